//! Opening a logged-in IMAP session over the network: TCP, implicit TLS or STARTTLS (required
//! unless cleartext was asked for), CAPABILITY before and after TLS, and the login.

use anyhow::Context as _;

use super::{ImapError, Login, Session};
use crate::{
    accounts::{Auth, Endpoint},
    exit::Failure,
    net::{self, Stream, TlsClient, TlsMode},
    output::Transcript,
};

/// Connects, secures and logs in to `endpoint`. The secret is asked for only once the
/// connection is protected (or cleartext was allowed), and not at all after PREAUTH.
pub fn login(endpoint: &Endpoint, transcript: Transcript) -> anyhow::Result<Session<Stream>> {
    let host = endpoint.host.as_deref().unwrap_or_default();
    let user = endpoint.user.as_deref().unwrap_or_default();
    open(endpoint, host, user, transcript)
        .with_context(|| format!("logging in to {host}:{} as {user}", endpoint.port))
}

fn open(
    endpoint: &Endpoint,
    host: &str,
    user: &str,
    transcript: Transcript,
) -> Result<Session<Stream>, Failure> {
    let login = match endpoint.auth {
        Auth::Auto => Login::Auto,
        // `user` (POP3's USER/PASS) and `login` both mean IMAP's LOGIN command.
        Auth::User | Auth::Sasl(crate::sasl::Mechanism::Login) => Login::Login,
        Auth::Sasl(mechanism) => Login::Sasl(mechanism),
        Auth::Apop => {
            return Err(ImapError::NoMechanism("APOP is POP3 only".into()).into());
        }
    };
    let (tcp, addr) = net::connect(
        host,
        endpoint.port,
        endpoint.connect_timeout,
        endpoint.timeout,
    )?;
    transcript.event(&format!("connected to {host} ({addr})"));
    let client = match endpoint.tls {
        TlsMode::None => None,
        _ => Some(TlsClient::new(&endpoint.tls_options)?),
    };
    let stream = match (&client, endpoint.tls) {
        (Some(client), TlsMode::Tls) => client.handshake(tcp, host)?,
        _ => Stream::Plain(tcp),
    };
    let secure = stream.is_tls();
    let mut session = Session::open(stream, secure, transcript, endpoint.timeout)?;
    if session.capabilities().is_empty() {
        session.capability()?;
    }
    if let (Some(client), TlsMode::Starttls | TlsMode::Opportunistic) = (&client, endpoint.tls) {
        if session.is_authenticated() {
            return Err(ImapError::NoStartTls.into());
        }
        session = session.starttls(|stream| stream.start_tls(client, host))?;
    }
    if session.is_authenticated() {
        return Ok(session);
    }
    if !session.is_secure() && !endpoint.allow_cleartext_auth {
        return Err(ImapError::CleartextRefused.into());
    }
    let secret = endpoint.secret()?;
    session.login(login, user, &secret, endpoint.allow_cleartext_auth)?;
    Ok(session)
}
