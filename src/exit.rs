//! Exit codes: the one table every command shares (sysexits-style, as mail tools use them), and
//! the mapping from an error to its code.
//!
//! Client modules say what *kind* of failure happened ([`Kind`]: temporary, permanent, protocol
//! violation, authentication refused, ...) and know nothing of numbers; [`Kind::exit`] is the one
//! table from kinds to codes, and [`worst`] the one rule for picking among several outcomes.
//! Where an error's kind is known where it is raised, it is wrapped in a [`Failure`] so that
//! `main` can find it anywhere in the error chain.

use std::{fmt, io, process::ExitCode};

/// A process exit status with a meaning scripts can rely on; the numbers follow sysexits.h.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "u8")]
#[repr(u8)]
pub enum Exit {
    /// Everything asked for was done.
    Success = 0,
    /// A valid negative result: a name that does not exist, a header that is absent.
    Negative = 1,
    /// The command line was wrong.
    Usage = 2,
    /// The input data was malformed.
    DataErr = 65,
    /// An input file was missing or unreadable.
    NoInput = 66,
    /// No such host or domain.
    NoHost = 68,
    /// A permanent failure: the remote side gave up or refused for good.
    Unavailable = 69,
    /// A bug in mailkit.
    Software = 70,
    /// An output file or directory could not be created.
    CantCreate = 73,
    /// A local input/output error (disk full, write failed).
    IoErr = 74,
    /// A temporary failure: try again later.
    TempFail = 75,
    /// The remote side broke the protocol.
    Protocol = 76,
    /// Authentication failed or TLS trust was refused.
    NoPerm = 77,
    /// The configuration (accounts file, flags that contradict it) is wrong.
    Config = 78,
}

/// Every exit code with its one-line meaning, in the order the README and man page show them.
pub const TABLE: &[(Exit, &str)] = &[
    (Exit::Success, "success"),
    (
        Exit::Negative,
        "valid negative result (a name or header that does not exist)",
    ),
    (Exit::Usage, "usage error"),
    (Exit::DataErr, "bad input data"),
    (Exit::NoInput, "input missing or unreadable"),
    (Exit::NoHost, "no such host or domain"),
    (Exit::Unavailable, "permanent failure (gave up)"),
    (Exit::Software, "internal error"),
    (Exit::CantCreate, "cannot create output"),
    (Exit::IoErr, "local I/O error"),
    (Exit::TempFail, "temporary failure (retry later)"),
    (Exit::Protocol, "remote protocol error"),
    (Exit::NoPerm, "authentication or TLS trust refused"),
    (Exit::Config, "configuration error"),
];

impl Exit {
    /// The numeric status, for JSON output and tests.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// How much this outcome matters when several are met in one run: a failure outranks a
    /// negative result, which outranks success; among failures the one a script must act on
    /// differently comes first (a refused login or a broken configuration will not fix itself;
    /// a temporary failure will).
    fn severity(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Negative => 1,
            Exit::TempFail => 2,
            Exit::NoHost => 3,
            Exit::Unavailable => 4,
            Exit::Protocol => 5,
            Exit::DataErr => 6,
            Exit::NoInput => 7,
            Exit::CantCreate => 8,
            Exit::IoErr => 9,
            Exit::NoPerm => 10,
            Exit::Config => 11,
            Exit::Usage => 12,
            Exit::Software => 13,
        }
    }
}

/// Every exit code, most serious first: the order [`worst`] applies, as the README states it.
pub fn most_serious_first() -> Vec<Exit> {
    let mut exits: Vec<Exit> = TABLE.iter().map(|(exit, _)| *exit).collect();
    exits.sort_by_key(|exit| std::cmp::Reverse(exit.severity()));
    exits
}

/// The exit status of a run that met several outcomes (one per recipient, query, message or
/// input): the most severe, by one rule for every command.
pub fn worst(outcomes: impl IntoIterator<Item = Exit>) -> Exit {
    outcomes
        .into_iter()
        .max_by_key(|exit| exit.severity())
        .unwrap_or(Exit::Success)
}

/// What kind of failure an error is. Protocol and storage modules classify their errors with
/// this and never pick exit codes; [`Kind::exit`] is the only place kinds become numbers, so
/// the same failure gets the same code in every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A valid negative answer: no such header, part, message or name.
    NotFound,
    /// The command line cannot be acted on.
    Usage,
    /// Input data is malformed (not a message, a bad address in a header).
    BadInput,
    /// An input file is missing, unreadable, or a directory where a file is expected.
    NoInput,
    /// A host or domain name does not exist.
    NoHost,
    /// The remote side refused for good (5xx, `-ERR [SYS/PERM]`): retrying will not help.
    Permanent,
    /// A bug in mailkit.
    Internal,
    /// An output file or directory could not be created.
    CantCreate,
    /// A local read or write failed (disk full, fsync failed).
    LocalIo,
    /// Worth retrying later: a connection failure, a timeout, a 4xx, a dropped session.
    Temporary,
    /// The remote side broke the protocol: a malformed or oversized reply, injected bytes.
    Protocol,
    /// The server refused the credentials, or no mechanism both sides support exists.
    AuthRefused,
    /// TLS trust was refused (certificate not verified), or TLS was required and the server
    /// did not offer it, or mailkit refused to send credentials without it.
    TrustRefused,
    /// The configuration (accounts file, contradicting flags) is wrong.
    Config,
    /// The command would have to ask a person, but stdin is not a terminal.
    NoTerminal,
}

impl Kind {
    /// The exit code for this kind: the one table.
    pub const fn exit(self) -> Exit {
        match self {
            Kind::NotFound => Exit::Negative,
            Kind::Usage => Exit::Usage,
            Kind::BadInput => Exit::DataErr,
            Kind::NoInput => Exit::NoInput,
            Kind::NoHost => Exit::NoHost,
            Kind::Permanent => Exit::Unavailable,
            Kind::Internal => Exit::Software,
            Kind::CantCreate => Exit::CantCreate,
            Kind::LocalIo => Exit::IoErr,
            Kind::Temporary => Exit::TempFail,
            Kind::Protocol => Exit::Protocol,
            Kind::AuthRefused | Kind::TrustRefused => Exit::NoPerm,
            Kind::Config | Kind::NoTerminal => Exit::Config,
        }
    }
}

impl From<Kind> for Exit {
    fn from(kind: Kind) -> Exit {
        kind.exit()
    }
}

impl From<Exit> for u8 {
    fn from(exit: Exit) -> u8 {
        exit.code()
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// An error whose kind was decided where it happened; its message is the wrapped error's,
/// so wrapping adds nothing to what the user reads.
#[derive(Debug)]
pub struct Failure {
    kind: Kind,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl Failure {
    /// Wraps `error` as a failure of `kind`; only [`Kind::exit`] turns it into a code.
    pub fn new(kind: Kind, error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Failure {
            kind,
            error: error.into(),
        }
    }

    /// The kind of failure this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Shorthand for an early return with a coded, formatted error:
/// `bail!(Kind::BadInput, "no message in {path}")`.
#[macro_export]
macro_rules! bail {
    ($kind:expr, $($fmt:tt)+) => {
        return Err($crate::exit::Failure::new($kind, format!($($fmt)+)).into())
    };
}

/// The exit code for an error: the first [`Failure`] in its chain decides; otherwise an I/O
/// error is classified by kind; anything else is an internal error.
pub fn code_of(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.kind.exit();
        }
    }
    for cause in err.chain() {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return match io.kind() {
                // A directory where a file is expected is missing input, as for parse and
                // --attach.
                io::ErrorKind::NotFound
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::IsADirectory => Exit::NoInput,
                io::ErrorKind::TimedOut
                | io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::WouldBlock
                | io::ErrorKind::UnexpectedEof => Exit::TempFail,
                _ => Exit::IoErr,
            };
        }
    }
    Exit::Software
}

/// True when the error is a closed stdout (`mailkit parse big.mbox | head`), which is not a
/// failure worth reporting.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, `what was being done: cause: cause`, with control
/// characters from remote or file input escaped so the line cannot rewrite the terminal.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&crate::output::escape_line(&text));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn failure_anywhere_in_the_chain_decides_the_code() {
        let err = anyhow::Error::new(Failure::new(Kind::Temporary, "421 try later"))
            .context("sending to example.org");
        assert_eq!(code_of(&err), Exit::TempFail);
        assert_eq!(one_line(&err), "sending to example.org: 421 try later");
    }

    #[test]
    fn io_errors_are_classified_by_kind() {
        let missing: anyhow::Result<()> =
            Err(io::Error::from(io::ErrorKind::NotFound)).context("reading x.eml");
        assert_eq!(code_of(&missing.unwrap_err()), Exit::NoInput);
        let dir = anyhow::Error::new(io::Error::from(io::ErrorKind::IsADirectory));
        assert_eq!(code_of(&dir), Exit::NoInput);
        let full = anyhow::Error::new(io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(code_of(&full), Exit::IoErr);
    }

    #[test]
    fn unknown_errors_are_internal() {
        assert_eq!(code_of(&anyhow::anyhow!("oops")), Exit::Software);
    }

    #[test]
    fn one_line_escapes_control_characters() {
        let err = anyhow::anyhow!("550 \x1b[31mno\r\nsuch user");
        assert_eq!(one_line(&err), "550 \\x1b[31mno\\r\\nsuch user");
    }

    #[test]
    fn worst_prefers_what_a_script_must_act_on() {
        assert_eq!(worst([]), Exit::Success);
        assert_eq!(worst([Exit::Success, Exit::Negative]), Exit::Negative);
        assert_eq!(
            worst([Exit::TempFail, Exit::Unavailable]),
            Exit::Unavailable
        );
        assert_eq!(
            worst([Exit::NoPerm, Exit::TempFail, Exit::Protocol]),
            Exit::NoPerm
        );
        assert_eq!(worst([Exit::Negative, Exit::TempFail]), Exit::TempFail);
    }

    #[test]
    fn every_exit_has_a_distinct_severity() {
        let mut seen: Vec<u8> = TABLE.iter().map(|(e, _)| e.severity()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), TABLE.len());
    }

    #[test]
    fn kinds_map_to_the_documented_codes() {
        assert_eq!(Kind::Temporary.exit().code(), 75);
        assert_eq!(Kind::Permanent.exit().code(), 69);
        assert_eq!(Kind::TrustRefused.exit().code(), 77);
        assert_eq!(Kind::NoTerminal.exit().code(), 78);
        let err = anyhow::Error::new(Failure::new(Kind::Protocol, "bad reply"));
        assert_eq!(code_of(&err), Exit::Protocol);
    }

    #[test]
    fn table_lists_every_code_once_in_ascending_order() {
        let codes: Vec<u8> = TABLE.iter().map(|(e, _)| e.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert_eq!(codes.len(), 14);
    }
}
