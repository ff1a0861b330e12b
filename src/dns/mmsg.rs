//! Many datagrams per system call (Linux's `sendmmsg(2)` and `recvmmsg(2)`): a batch sends
//! and receives one small datagram per query, and entering and leaving the kernel once per
//! datagram was a sizeable part of its CPU. The bytes stay hickory's; only the calls change.

use std::{io, net::UdpSocket, os::fd::AsRawFd};

/// Datagrams handed to the kernel in one call at most (the kernel's own cap is 1,024).
const MAX_PER_CALL: usize = 64;

/// Sends `datagrams` in order on the connected `socket`, as many per call as the kernel
/// takes: returns how many went (at least one), or the error of the first, which then did
/// not go (the caller reports it and carries on with the next).
pub(crate) fn send_many(socket: &UdpSocket, datagrams: &[&[u8]]) -> io::Result<usize> {
    let datagrams = &datagrams[..datagrams.len().min(MAX_PER_CALL)];
    let mut iovecs: Vec<libc::iovec> = datagrams
        .iter()
        .map(|bytes| libc::iovec {
            iov_base: bytes.as_ptr().cast_mut().cast(),
            iov_len: bytes.len(),
        })
        .collect();
    let mut headers = headers(&mut iovecs);
    // SAFETY: each header points at one iovec, each iovec at one datagram; all of them outlive
    // the call, and the kernel only reads the datagrams (it writes each header's msg_len).
    let sent = unsafe {
        libc::sendmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr(),
            headers.len() as libc::c_uint,
            0,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// Room for the datagrams one [`recv_many`] call takes.
pub(crate) struct Slots {
    buffer: Vec<u8>,
    size: usize,
    lens: Vec<usize>,
}

impl Slots {
    /// `count` slots of `size` bytes each.
    pub(crate) fn new(count: usize, size: usize) -> Slots {
        Slots {
            buffer: vec![0; count * size],
            size,
            lens: vec![0; count],
        }
    }

    /// The `index`th datagram of the last [`recv_many`] call.
    pub(crate) fn get(&self, index: usize) -> &[u8] {
        let start = index * self.size;
        &self.buffer[start..start + self.lens[index]]
    }
}

/// Receives datagrams from the connected `socket` into `slots`: waits for the first as long as
/// the socket's read timeout allows, then takes those already queued without waiting
/// (`MSG_WAITFORONE`). Returns how many came; an error only when none did (an error met after
/// some datagrams stays pending for the next call, as the kernel keeps it).
pub(crate) fn recv_many(socket: &UdpSocket, slots: &mut Slots) -> io::Result<usize> {
    let size = slots.size;
    let mut iovecs: Vec<libc::iovec> = slots
        .buffer
        .chunks_exact_mut(size)
        .map(|chunk| libc::iovec {
            iov_base: chunk.as_mut_ptr().cast(),
            iov_len: size,
        })
        .collect();
    let mut headers = headers(&mut iovecs);
    // SAFETY: each header points at one iovec, each iovec at its own `size`-byte part of the
    // buffer; all of them outlive the call, and the kernel writes at most `size` bytes into each
    // part and the received length into each header. No timeout pointer: the socket's own read
    // timeout bounds the wait for the first datagram.
    let received = unsafe {
        libc::recvmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr(),
            headers.len() as libc::c_uint,
            libc::MSG_WAITFORONE,
            std::ptr::null_mut(),
        )
    };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    let received = received as usize;
    for (len, header) in slots.lens.iter_mut().zip(&headers[..received]) {
        *len = (header.msg_len as usize).min(size);
    }
    Ok(received)
}

/// One message header per iovec, each with that iovec and nothing else (a connected socket:
/// no address, no ancillary data).
fn headers(iovecs: &mut [libc::iovec]) -> Vec<libc::mmsghdr> {
    iovecs
        .iter_mut()
        .map(|iovec| {
            // SAFETY: msghdr and mmsghdr are plain C structs for which all-zero bytes are valid
            // (null pointers, zero lengths); some targets add private padding fields, hence no
            // literal.
            let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
            header.msg_hdr.msg_iov = std::ptr::from_mut(iovec);
            header.msg_hdr.msg_iovlen = 1;
            header
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn datagrams_go_and_come_many_at_a_time_in_order() {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.connect(b.local_addr().unwrap()).unwrap();
        b.connect(a.local_addr().unwrap()).unwrap();
        b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let payloads: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; usize::from(i) + 1]).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let mut sent = 0;
        while sent < refs.len() {
            sent += send_many(&a, &refs[sent..]).unwrap();
        }
        let mut slots = Slots::new(16, 512);
        let mut got = Vec::new();
        while got.len() < payloads.len() {
            let count = recv_many(&b, &mut slots).unwrap();
            assert!((1..=16).contains(&count));
            got.extend((0..count).map(|i| slots.get(i).to_vec()));
        }
        assert_eq!(got, payloads);
        // Nothing queued: the wait ends with the socket's read timeout.
        b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = recv_many(&b, &mut slots).unwrap_err();
        assert!(crate::dns::transport::is_timeout(&err), "{err}");
    }

    #[test]
    fn a_refused_port_is_an_error_of_the_call() {
        let gone = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = gone.local_addr().unwrap();
        drop(gone);
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.connect(port).unwrap();
        a.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(send_many(&a, &[b"x"]).ok(), Some(1));
        let err = recv_many(&a, &mut Slots::new(4, 64)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    }
}
