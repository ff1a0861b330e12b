//! Opening a logged-in IMAP session over the network: TCP, implicit TLS or STARTTLS (required
//! unless cleartext was asked for), CAPABILITY before and after TLS, and the login.

use std::time::Duration;

use super::{ImapError, ImapMechanism, Session};
use crate::{
    accounts::TlsMode,
    exit::Failure,
    net::{self, Stream, TlsClient, TlsOptions},
    output::Transcript,
    secret::Secret,
};

/// Everything needed to reach and log in to an IMAP server.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Server host name or address; also the name the certificate must match.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// `Tls` (implicit, 993), `Starttls` (143, required) or `None` (cleartext).
    pub tls: TlsMode,
    /// Certificate verification settings.
    pub tls_options: TlsOptions,
    /// Connect timeout, and the overall deadline of every reply.
    pub timeout: Duration,
    /// Login name.
    pub user: String,
    /// How to log in.
    pub mechanism: ImapMechanism,
    /// Whether a password may cross a connection without TLS.
    pub allow_cleartext: bool,
    /// The `-v` transcript.
    pub transcript: Transcript,
}

/// Connects, secures and logs in. The secret is asked for only once the connection is
/// protected (or cleartext was allowed), and not at all after a PREAUTH greeting.
pub fn open(
    options: &ConnectOptions,
    secret: impl FnOnce() -> Result<Secret, Failure>,
) -> Result<Session<Stream>, Failure> {
    let (tcp, addr) = net::connect(&options.host, options.port, options.timeout)?;
    options
        .transcript
        .event(&format!("connected to {} ({addr})", options.host));
    let client = match options.tls {
        TlsMode::None => None,
        _ => Some(TlsClient::new(&options.tls_options)?),
    };
    let stream = match (&client, options.tls) {
        (Some(client), TlsMode::Tls) => client.handshake(tcp, &options.host)?,
        _ => Stream::Plain(tcp),
    };
    let secure = stream.is_tls();
    let mut session = Session::open(stream, secure, options.transcript.clone(), options.timeout)?;
    if session.capabilities().is_empty() {
        session.capability()?;
    }
    if let (Some(client), TlsMode::Starttls | TlsMode::Opportunistic) = (&client, options.tls) {
        if session.is_authenticated() {
            return Err(ImapError::NoStartTls.into());
        }
        session = session.starttls(|stream| stream.start_tls(client, &options.host))?;
    }
    if session.is_authenticated() {
        return Ok(session);
    }
    if !session.is_secure() && !options.allow_cleartext {
        return Err(ImapError::CleartextRefused.into());
    }
    let secret = secret()?;
    session.login(
        options.mechanism,
        &options.user,
        &secret,
        options.allow_cleartext,
    )?;
    Ok(session)
}
