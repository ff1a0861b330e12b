//! TLS client configuration (rustls, webpki-roots, an optional private CA, an explicitly named
//! insecure mode) and the stream that is either plain TCP or TLS over it.

use std::{
    io::{self, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    sync::Arc,
    time::Instant,
};

use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};

use super::UntilDeadline;
use crate::exit::{Failure, Kind};

/// How certificates are checked. Verification against the public roots is the default; a CA
/// file adds private roots; skipping verification must be asked for by name.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// PEM file of extra trusted CA certificates (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. Only from a flag whose name says it is insecure.
    pub insecure_skip_verify: bool,
}

/// Why TLS could not be set up or the handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file could not be read or held no certificate.
    #[error("cannot load CA file {path}: {reason}")]
    CaFile {
        /// The file given.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The name to verify is not a valid DNS name or IP address.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// The server's certificate was not trusted.
    #[error("TLS certificate of {server} not trusted: {reason}{}", trust_hint(*ca_file_given))]
    Untrusted {
        /// The name that was verified.
        server: String,
        /// What is wrong with the certificate, in words.
        reason: String,
        /// Whether --ca-file was given (then the hint to give one would be wrong).
        ca_file_given: bool,
    },
    /// The server did not complete the handshake within the timeout.
    #[error("TLS handshake with {server} timed out after {secs} s")]
    Timeout {
        /// The name that was verified.
        server: String,
        /// The timeout, in seconds.
        secs: u64,
    },
    /// The handshake failed for another reason (protocol mismatch, connection lost).
    #[error("TLS handshake with {server} failed: {cause}")]
    Handshake {
        /// The name that was verified.
        server: String,
        /// The underlying failure (shown in the message, so not a `source` shown again).
        cause: io::Error,
    },
}

/// What to do about an untrusted certificate, said only when it applies.
fn trust_hint(ca_file_given: bool) -> &'static str {
    if ca_file_given {
        " (neither the --ca-file given nor a public CA vouches for it)"
    } else {
        " (for a private CA, give --ca-file)"
    }
}

/// rustls's verdict on a certificate in words: its Display shows webpki's enum names
/// (`Other(OtherError(CaUsedAsEndEntity))`), which mean nothing to people.
fn certificate_problem(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let named = |debug: String| -> String {
        if debug.contains("CaUsedAsEndEntity") {
            return "the certificate is self-signed (a CA certificate used as the server's own)"
                .into();
        }
        // The innermost name, in words: `UnknownIssuer` -> `unknown issuer`.
        let name = debug
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or(&debug);
        let mut words = String::new();
        for (i, c) in name.char_indices() {
            if c.is_ascii_uppercase() && i > 0 {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        format!("the certificate is invalid ({words})")
    };
    match err {
        rustls::Error::InvalidCertificate(problem) => match problem {
            C::UnknownIssuer => {
                "the certificate is issued by an unknown authority (self-signed, or a private CA)"
                    .into()
            }
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the certificate is not valid yet (check the clock)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is for another name".into()
            }
            C::Revoked => "the certificate has been revoked".into(),
            C::BadSignature => "the certificate's signature is invalid".into(),
            other => named(format!("{other:?}")),
        },
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".into(),
        rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA) => {
            "the server refused our TLS as coming from an unknown CA".into()
        }
        other => other.to_string(),
    }
}

impl TlsError {
    /// A refused certificate is a trust refusal (an unusable CA file, configuration); a
    /// handshake that timed out is temporary; any other broken handshake is a protocol failure.
    pub fn kind(&self) -> Kind {
        match self {
            TlsError::CaFile { .. } | TlsError::ServerName(_) => Kind::Config,
            TlsError::Untrusted { .. } => Kind::TrustRefused,
            TlsError::Timeout { .. } => Kind::Temporary,
            TlsError::Handshake { .. } => Kind::Protocol,
        }
    }
}

impl From<TlsError> for Failure {
    fn from(err: TlsError) -> Self {
        Failure::new(err.kind(), err)
    }
}

/// A ready client configuration, built once per run and shared by every connection.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    ca_file_given: bool,
}

impl TlsClient {
    /// Builds the configuration: webpki roots plus the CA file, or no verification at all when
    /// `insecure_skip_verify` is set.
    pub fn new(options: &TlsOptions) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions");
        let config = if options.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            if let Some(path) = &options.ca_file {
                for cert in load_ca_file(path)? {
                    roots.add(cert).map_err(|err| TlsError::CaFile {
                        path: path.clone(),
                        reason: err.to_string(),
                    })?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        Ok(TlsClient {
            config: Arc::new(config),
            ca_file_given: options.ca_file.is_some(),
        })
    }

    /// Runs a complete handshake over `tcp`, verifying the certificate against `server_name`,
    /// so trust failures surface here rather than at the first read.
    pub fn handshake(&self, tcp: TcpStream, server_name: &str) -> Result<Stream, TlsError> {
        let name = ServerName::try_from(server_name.to_string())
            .map_err(|_| TlsError::ServerName(server_name.to_string()))?;
        let conn = ClientConnection::new(self.config.clone(), name).map_err(|err| {
            TlsError::Handshake {
                server: server_name.to_string(),
                cause: io::Error::other(err),
            }
        })?;
        let mut tls = StreamOwned::new(conn, tcp);
        // The whole handshake gets one socket timeout: a server dripping its records a byte
        // at a time must not restart the clock with every byte.
        let timeout = tls.sock.read_timeout().ok().flatten();
        let deadline = timeout.map(|t| Instant::now() + t);
        while tls.conn.is_handshaking() {
            let step = match deadline {
                Some(deadline) => tls.conn.complete_io(&mut UntilDeadline {
                    stream: &mut tls.sock,
                    deadline,
                }),
                None => tls.conn.complete_io(&mut tls.sock),
            };
            if let Err(err) = step {
                if is_timeout(&err) {
                    return Err(TlsError::Timeout {
                        server: server_name.to_string(),
                        secs: timeout.map_or(0, |t| t.as_secs()),
                    });
                }
                return Err(classify_handshake_error(
                    server_name,
                    err,
                    self.ca_file_given,
                ));
            }
        }
        tls.sock
            .set_read_timeout(timeout)
            .map_err(|cause| TlsError::Handshake {
                server: server_name.to_string(),
                cause,
            })?;
        tls.sock
            .set_write_timeout(timeout)
            .map_err(|cause| TlsError::Handshake {
                server: server_name.to_string(),
                cause,
            })?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

/// Whether a socket error is its read or write timeout expiring (`EAGAIN` on Linux).
fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The socket's timeout in whole seconds, for messages.
fn timeout_secs(tcp: &TcpStream) -> u64 {
    tcp.read_timeout().ok().flatten().map_or(0, |d| d.as_secs())
}

/// An expired socket timeout as an error that says so ("timed out after 30 s"), instead of
/// the OS's "Resource temporarily unavailable"; other errors unchanged.
fn explain_timeout(tcp: &TcpStream, err: io::Error) -> io::Error {
    if !is_timeout(&err) {
        return err;
    }
    let text = format!("timed out after {} s", timeout_secs(tcp));
    io::Error::new(io::ErrorKind::TimedOut, text)
}

fn classify_handshake_error(server: &str, err: io::Error, ca_file_given: bool) -> TlsError {
    let rustls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match rustls_error {
        Some(
            source @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA)),
        ) => TlsError::Untrusted {
            server: server.to_string(),
            reason: certificate_problem(&source),
            ca_file_given,
        },
        _ => TlsError::Handshake {
            server: server.to_string(),
            cause: err,
        },
    }
}

fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |reason: String| TlsError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|err| fail(err.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| fail(err.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// The verifier behind `--insecure-*` flags: accepts any certificate chain, but still checks
/// that the server holds the key it presented.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A connection that is plain TCP until STARTTLS/STLS, or TLS from the start; sessions read
/// and write it without caring which.
pub enum Stream {
    /// Cleartext TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// Whether traffic is encrypted, for transcripts and the no-cleartext-password rule.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Upgrades a plain stream to TLS (STARTTLS, STLS). The caller must first make sure the
    /// server sent nothing after its go-ahead: bytes already buffered before the handshake
    /// would be injected plaintext (CVE-2021-22947).
    pub fn start_tls(self, tls: &TlsClient, server_name: &str) -> Result<Stream, TlsError> {
        match self {
            Stream::Plain(tcp) => tls.handshake(tcp, server_name),
            already @ Stream::Tls(_) => Ok(already),
        }
    }

    /// The underlying socket, for timeouts and shutdown.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        };
        result.map_err(|err| explain_timeout(self.tcp(), err))
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        };
        result.map_err(|err| explain_timeout(self.tcp(), err))
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        };
        result.map_err(|err| explain_timeout(self.tcp(), err))
    }
}
