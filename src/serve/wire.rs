//! The line layer the SMTP and POP3 listeners share: bounded line reads, replies held until the
//! client has no more pipelined commands waiting (one write per batch, RFC 2920 §3.1 and RFC
//! 2449 §6.6), and the STARTTLS/STLS switch that refuses bytes sent before the handshake.

use std::{
    io::{self, BufRead, BufReader, Read},
    sync::Arc,
};

use rustls::ServerConfig;

use super::tls::Upgrade;

/// What one bounded read of a line found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line with its end (`\r\n`, or a bare `\n` the caller judges).
    Full(Vec<u8>),
    /// A line longer than the limit; it was read to its end and dropped.
    TooLong,
    /// The client closed the connection.
    Closed,
}

/// A client connection with a read buffer and pending replies.
pub struct Wire<S: Upgrade> {
    reader: Option<BufReader<S>>,
    out: Vec<u8>,
}

impl<S: Upgrade> Wire<S> {
    /// Wraps a fresh connection.
    pub fn new(stream: S) -> Self {
        Wire {
            reader: Some(BufReader::with_capacity(16 * 1024, stream)),
            out: Vec::new(),
        }
    }

    fn reader(&mut self) -> &mut BufReader<S> {
        self.reader
            .as_mut()
            .expect("the reader is only absent during an upgrade")
    }

    /// Reads one line of at most `max` bytes (line end included), flushing pending replies
    /// first when the client has sent nothing more.
    pub fn line(&mut self, max: usize) -> io::Result<Line> {
        if self.reader().buffer().is_empty() {
            self.flush()?;
        }
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let reader = self.reader();
            let available = reader.fill_buf()?;
            if available.is_empty() {
                return Ok(Line::Closed);
            }
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            if !too_long {
                if line.len() + take > max {
                    too_long = true;
                    line.clear();
                } else {
                    line.extend_from_slice(&available[..take]);
                }
            }
            reader.consume(take);
            if done {
                return Ok(if too_long {
                    Line::TooLong
                } else {
                    Line::Full(line)
                });
            }
        }
    }

    /// Reads raw bytes (a SASL continuation is a line; this is for the DATA fast path).
    pub fn buffered(&mut self) -> io::Result<&[u8]> {
        self.reader().fill_buf()
    }

    /// Marks `n` bytes returned by [`Wire::buffered`] as read.
    pub fn consume(&mut self, n: usize) {
        self.reader().consume(n);
    }

    /// Queues a reply; it is written when the client has no more commands waiting.
    pub fn send(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Writes queued replies now.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            let stream = self.reader().get_mut();
            stream.write_all(&out)?;
            stream.flush()?;
        }
        Ok(())
    }

    /// Writes bytes straight through (a large RETR body), after what is queued.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        if self.out.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.reader.as_ref().is_some_and(|r| r.get_ref().is_tls())
    }

    /// Whether the client sent more bytes after the command now being handled.
    pub fn has_pipelined(&mut self) -> bool {
        !self.reader().buffer().is_empty()
    }

    /// Flushes the go-ahead and runs the TLS handshake. Fails if the client pipelined anything
    /// after the STARTTLS command: such bytes would be cleartext injected into the TLS session
    /// (CVE-2011-0411), so the caller drops the connection.
    pub fn upgrade(&mut self, config: &Arc<ServerConfig>) -> io::Result<()> {
        if self.has_pipelined() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "client sent data after STARTTLS before the handshake",
            ));
        }
        self.flush()?;
        let reader = self.reader.take().expect("reader present");
        let stream = reader.into_inner().upgrade(config)?;
        self.reader = Some(BufReader::with_capacity(16 * 1024, stream));
        Ok(())
    }
}

impl<S: Upgrade> Read for Wire<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader().read(buf)
    }
}

#[cfg(test)]
impl Wire<crate::testing::Script> {
    /// What the session wrote, for unit tests.
    pub fn written(&self) -> &[u8] {
        self.reader
            .as_ref()
            .expect("reader present")
            .get_ref()
            .written()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;

    #[test]
    fn lines_are_bounded_and_replies_wait_for_the_batch() {
        let mut wire = Wire::new(Script::chunked(&[b"NOOP\r\nTOOLONGLINE\r\n", b"X\n"]));
        assert_eq!(wire.line(100).unwrap(), Line::Full(b"NOOP\r\n".to_vec()));
        wire.send(b"250 ok\r\n");
        assert_eq!(wire.line(5).unwrap(), Line::TooLong);
        assert_eq!(wire.line(5).unwrap(), Line::Full(b"X\n".to_vec()));
        assert_eq!(wire.line(5).unwrap(), Line::Closed);
        let stream = wire.reader.take().unwrap().into_inner();
        assert_eq!(stream.written(), b"250 ok\r\n");
    }
}
