//! Test support shared by the protocol modules' unit tests: a scripted stream standing in for
//! a server, so sessions generic over `Read + Write` are driven without sockets.

use std::{
    io::{self, Read, Write},
    sync::{Arc, Mutex},
    time::Duration,
};

/// The reply timeout unit tests give sessions: never reached by a scripted server.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A scripted server: the bytes it sends (each chunk delivered by a separate read, to model
/// replies split across packets) and everything the client wrote.
#[derive(Default)]
pub struct Script {
    chunks: std::collections::VecDeque<Vec<u8>>,
    written: Vec<u8>,
    /// Fail writes after this many bytes, to model a connection lost mid-DATA.
    pub fail_writes_after: Option<usize>,
    /// Deliver at most this many bytes per read, to model a slow network.
    pub max_read: Option<usize>,
    /// How many writes succeeded: each is a system call (and likely a packet) on a socket.
    pub writes: usize,
    /// Where writes are also copied, for a test that no longer holds the script (it went
    /// into a session that was dropped).
    copy: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Script {
    /// A server that sends `server` in one read.
    pub fn new(server: &[u8]) -> Script {
        Script {
            chunks: [server.to_vec()].into(),
            ..Script::default()
        }
    }

    /// A server that sends each chunk in a read of its own (replies split across packets).
    pub fn chunked(chunks: &[&[u8]]) -> Script {
        Script {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            ..Script::default()
        }
    }

    /// Like [`Script::new`], with everything the client writes also kept in the returned
    /// buffer, which outlives the script.
    pub fn recorded(server: &[u8]) -> (Script, Arc<Mutex<Vec<u8>>>) {
        let copy = Arc::new(Mutex::new(Vec::new()));
        let script = Script {
            copy: Some(Arc::clone(&copy)),
            ..Script::new(server)
        };
        (script, copy)
    }

    /// Queues more bytes for the server to send, after the ones already scripted (what a
    /// server says once the client has done something, such as a TLS upgrade).
    pub fn send(&mut self, bytes: &[u8]) {
        self.chunks.push_back(bytes.to_vec());
    }

    /// Everything the client wrote.
    pub fn written(&self) -> &[u8] {
        &self.written
    }
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(chunk) = self.chunks.front_mut() else {
            return Ok(0);
        };
        let n = chunk
            .len()
            .min(buf.len())
            .min(self.max_read.unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            self.chunks.pop_front();
        }
        Ok(n)
    }
}

impl Write for Script {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(limit) = self.fail_writes_after
            && self.written.len() + buf.len() > limit
        {
            return Err(io::Error::from(io::ErrorKind::ConnectionReset));
        }
        self.written.extend_from_slice(buf);
        self.writes += 1;
        if let Some(copy) = &self.copy {
            copy.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
