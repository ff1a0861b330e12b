//! The server's TLS: a certificate from `--cert/--key`, or a self-signed one generated at first
//! start and kept in the data directory (valid for localhost, 127.0.0.1, ::1 and the server's
//! name, so clients can trust it with `--ca-file <data>/cert.pem`); and the stream a listener
//! hands its session, plain until STARTTLS/STLS.

use std::{
    fs,
    io::{self, Read, Write},
    net::TcpStream,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context as _;
use rustls::{
    ServerConfig, ServerConnection, StreamOwned,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};

use crate::exit::{Failure, Kind};

/// The files of the certificate in use.
pub struct CertFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Loads `--cert/--key`, or the data directory's generated pair (creating it the first time).
pub fn server_config(
    data: &Path,
    given: Option<CertFiles>,
    hostname: &str,
) -> anyhow::Result<(Arc<ServerConfig>, CertFiles)> {
    let files = match given {
        Some(files) => files,
        None => {
            let files = CertFiles {
                cert: data.join("cert.pem"),
                key: data.join("key.pem"),
            };
            if !files.cert.exists() || !files.key.exists() {
                generate(&files, hostname).context("generating a self-signed certificate")?;
            }
            files
        }
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|err| {
            Failure::new(
                Kind::Config,
                format!("reading {}: {err}", files.cert.display()),
            )
        })?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|err| {
        Failure::new(
            Kind::Config,
            format!("reading {}: {err}", files.key.display()),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Failure::new(Kind::Internal, err))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| {
            Failure::new(
                Kind::Config,
                format!(
                    "{} and {} do not make a usable pair: {err}",
                    files.cert.display(),
                    files.key.display()
                ),
            )
        })?;
    Ok((Arc::new(config), files))
}

fn generate(files: &CertFiles, hostname: &str) -> anyhow::Result<()> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !names.iter().any(|n| n == hostname) {
        names.push(hostname.to_string());
    }
    let pair = rcgen::generate_simple_self_signed(names)?;
    let mut key = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&files.key)?;
    key.write_all(pair.signing_key.serialize_pem().as_bytes())?;
    key.sync_all()?;
    fs::write(&files.cert, pair.cert.pem())?;
    Ok(())
}

/// A client connection: plain TCP until the session upgrades it.
pub enum Conn {
    /// Cleartext.
    Plain(TcpStream),
    /// TLS (after STARTTLS/STLS).
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

/// What a session needs of its stream besides bytes: an in-place TLS upgrade. Unit tests use a
/// scripted stream whose upgrade fails.
pub trait Upgrade: Read + Write + Sized {
    /// Runs the server side of a TLS handshake over this stream.
    fn upgrade(self, config: &Arc<ServerConfig>) -> io::Result<Self>;
    /// Whether the stream is already TLS.
    fn is_tls(&self) -> bool;
    /// Bounds the next reads (IMAP IDLE wakes up to look at the mailbox); `None` restores
    /// the connection's normal timeout.
    fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()>;
}

impl Upgrade for Conn {
    fn upgrade(self, config: &Arc<ServerConfig>) -> io::Result<Self> {
        match self {
            Conn::Plain(mut tcp) => {
                let mut conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
                while conn.is_handshaking() {
                    conn.complete_io(&mut tcp)?;
                }
                Ok(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))))
            }
            tls => Ok(tls),
        }
    }

    fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }

    fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        let tcp = match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => &tls.sock,
        };
        tcp.set_read_timeout(Some(timeout.unwrap_or(super::IDLE_TIMEOUT)))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

#[cfg(test)]
impl Upgrade for crate::testing::Script {
    fn upgrade(self, _: &Arc<ServerConfig>) -> io::Result<Self> {
        Err(io::Error::other("no TLS in a scripted stream"))
    }

    fn is_tls(&self) -> bool {
        false
    }

    fn set_read_timeout(&self, _: Option<std::time::Duration>) -> io::Result<()> {
        Ok(())
    }
}
