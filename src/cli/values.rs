//! Clap's side of the flags that name one of mailkit's own types (`--tls`, `--auth`): parsed
//! here and converted, so that no protocol module depends on the command-line parser.

use crate::{
    accounts::{Auth, Protocol},
    net::TlsMode,
    sasl,
};

/// `--tls`: how the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsArg {
    /// TLS from the first byte (SMTPS 465, POP3S 995).
    Tls,
    /// Upgrade with STARTTLS/STLS, and fail if the server does not offer it.
    Starttls,
    /// Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery).
    Opportunistic,
    /// Never encrypt.
    None,
}

impl From<TlsArg> for TlsMode {
    fn from(arg: TlsArg) -> TlsMode {
        match arg {
            TlsArg::Tls => TlsMode::Tls,
            TlsArg::Starttls => TlsMode::Starttls,
            TlsArg::Opportunistic => TlsMode::Opportunistic,
            TlsArg::None => TlsMode::None,
        }
    }
}

/// `--tls` of the POP3 commands: no opportunistic mode, since a mailbox login never falls back
/// to cleartext on its own (`none` says so explicitly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pop3TlsArg {
    /// TLS from the first byte (POP3S, port 995).
    Tls,
    /// Upgrade with STLS, and fail if the server does not offer it (port 110).
    Starttls,
    /// Never encrypt.
    None,
}

impl From<Pop3TlsArg> for TlsMode {
    fn from(arg: Pop3TlsArg) -> TlsMode {
        match arg {
            Pop3TlsArg::Tls => TlsMode::Tls,
            Pop3TlsArg::Starttls => TlsMode::Starttls,
            Pop3TlsArg::None => TlsMode::None,
        }
    }
}

/// `send --auth`: a SASL mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SaslArg {
    /// RFC 4616: user and password in one base64 line.
    Plain,
    /// The widespread non-standard username/password challenge pair.
    Login,
    /// Google's and Microsoft's OAuth 2 bearer token mechanism.
    #[value(name = "xoauth2")]
    XOAuth2,
}

impl From<SaslArg> for sasl::Mechanism {
    fn from(arg: SaslArg) -> sasl::Mechanism {
        match arg {
            SaslArg::Plain => sasl::Mechanism::Plain,
            SaslArg::Login => sasl::Mechanism::Login,
            SaslArg::XOAuth2 => sasl::Mechanism::XOAuth2,
        }
    }
}

/// `fetch/list/dele --auth`: how to log in to POP3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pop3AuthArg {
    /// SASL PLAIN if offered, else USER/PASS, else APOP.
    Auto,
    /// USER and PASS (RFC 1939 §7).
    User,
    /// APOP digest of the greeting's timestamp and the password (RFC 1939 §7).
    Apop,
    /// SASL PLAIN (RFC 5034, RFC 4616).
    Plain,
    /// SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires).
    Xoauth2,
}

impl From<Pop3AuthArg> for Auth {
    fn from(arg: Pop3AuthArg) -> Auth {
        match arg {
            Pop3AuthArg::Auto => Auth::Auto,
            Pop3AuthArg::User => Auth::User,
            Pop3AuthArg::Apop => Auth::Apop,
            Pop3AuthArg::Plain => Auth::Sasl(sasl::Mechanism::Plain),
            Pop3AuthArg::Xoauth2 => Auth::Sasl(sasl::Mechanism::XOAuth2),
        }
    }
}

/// `fetch/list/dele --protocol`: which mail-access protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolArg {
    /// IMAP (ports 993, 143): messages stay in folders on the server.
    Imap,
    /// POP3 (ports 995, 110).
    Pop3,
}

impl From<ProtocolArg> for Protocol {
    fn from(arg: ProtocolArg) -> Protocol {
        match arg {
            ProtocolArg::Imap => Protocol::Imap,
            ProtocolArg::Pop3 => Protocol::Pop3,
        }
    }
}
