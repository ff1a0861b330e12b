//! Opening a logged-in session over the network: TCP, implicit TLS or STLS (required unless
//! cleartext was asked for), CAPA before and after TLS, and the login.

use std::time::Duration;

use super::{Mechanism, Pop3Error, Session};
use crate::{
    accounts::TlsMode,
    exit::Failure,
    net::{self, Stream, TlsClient, TlsOptions},
    output::Transcript,
    secret::Secret,
};

/// Everything needed to reach and log in to a POP3 server.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Server host name or address; also the name the certificate must match.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// `Tls` (implicit), `Starttls` (STLS, required) or `None` (cleartext).
    pub tls: TlsMode,
    /// Certificate verification settings.
    pub tls_options: TlsOptions,
    /// Connect timeout, and the timeout of every read and write.
    pub timeout: Duration,
    /// Login name.
    pub user: String,
    /// How to log in.
    pub mechanism: Mechanism,
    /// Whether a password may cross a connection without TLS.
    pub allow_cleartext: bool,
    /// Whether to print the transcript on stderr.
    pub verbose: bool,
}

/// Connects, secures and logs in; the session is in the TRANSACTION state on success. The
/// secret is asked for only once the connection is protected (or cleartext was allowed).
pub fn open(
    options: &ConnectOptions,
    secret: impl FnOnce() -> Result<Secret, Failure>,
) -> Result<Session<Stream>, Failure> {
    let (tcp, _) = net::connect(&options.host, options.port, options.timeout)?;
    let transcript = Transcript::stderr(options.verbose);
    let client = match options.tls {
        TlsMode::None => None,
        _ => Some(TlsClient::new(&options.tls_options)?),
    };
    let stream = match (&client, options.tls) {
        (Some(client), TlsMode::Tls) => client.handshake(tcp, &options.host)?,
        _ => Stream::Plain(tcp),
    };
    let secure = stream.is_tls();
    let mut session = Session::open(stream, secure, transcript)?;
    session.capa()?;
    if let (Some(client), TlsMode::Starttls | TlsMode::Opportunistic) = (&client, options.tls) {
        session = session.stls(|stream| stream.start_tls(client, &options.host))?;
        session.capa()?;
    }
    if !session.is_secure() && !options.allow_cleartext {
        return Err(Pop3Error::CleartextRefused.into());
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
