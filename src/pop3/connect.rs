//! Opening a logged-in session over the network: TCP, implicit TLS or STLS (required unless
//! cleartext was asked for), CAPA before and after TLS, and the login.

use anyhow::Context as _;

use super::{Mechanism, Pop3Error, Session};
use crate::{
    accounts::{Auth, Endpoint},
    exit::Failure,
    net::{self, Stream, TlsClient, TlsMode},
    output::Transcript,
    sasl,
};

/// Connects, secures and logs in to `endpoint`; the session is in the TRANSACTION state on
/// success. The secret is asked for only once the connection is protected (or cleartext was
/// allowed), so nobody is asked for a password in vain.
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
    let mechanism = mechanism(endpoint.auth)?;
    let (tcp, _) = net::connect(
        host,
        endpoint.port,
        endpoint.connect_timeout,
        endpoint.timeout,
    )?;
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
    session.capa()?;
    if let (Some(client), TlsMode::Starttls | TlsMode::Opportunistic) = (&client, endpoint.tls) {
        session = session.stls(|stream| stream.start_tls(client, host))?;
        session.capa()?;
    }
    if !session.is_secure() && !endpoint.allow_cleartext_auth {
        return Err(Pop3Error::CleartextRefused.into());
    }
    let secret = endpoint.secret()?;
    session.login(mechanism, user, &secret, endpoint.allow_cleartext_auth)?;
    Ok(session)
}

/// The POP3 login for an endpoint's `auth` (which [`Endpoint::resolve`] has already limited
/// to what POP3 knows).
fn mechanism(auth: Auth) -> Result<Mechanism, Pop3Error> {
    Ok(match auth {
        Auth::Auto => Mechanism::Auto,
        Auth::User => Mechanism::User,
        Auth::Apop => Mechanism::Apop,
        Auth::Sasl(sasl::Mechanism::Plain) => Mechanism::Plain,
        Auth::Sasl(sasl::Mechanism::XOAuth2) => Mechanism::Xoauth2,
        Auth::Sasl(other) => {
            return Err(Pop3Error::NoMechanism(format!(
                "{} is not a POP3 mechanism",
                other.name()
            )));
        }
    })
}
