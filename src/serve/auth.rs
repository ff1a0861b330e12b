//! Who may log in: a sandbox where any password opens any mailbox (loopback only), or the
//! accounts of a `--users` file; and the server side of SASL PLAIN (RFC 4616), shared by SMTP
//! AUTH, POP3 AUTH and IMAP AUTHENTICATE.

use std::{collections::HashMap, path::Path};

use base64::Engine as _;

use crate::exit::{Failure, Kind};

/// The login policy.
pub enum Logins {
    /// Any password opens the mailbox named by the user (an address).
    Sandbox,
    /// Only these address/password pairs.
    Users(HashMap<String, String>),
}

impl Logins {
    /// Reads a users file: one `address:password` per line; `#` starts a comment.
    pub fn from_file(path: &Path) -> Result<Logins, Failure> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Failure::new(
                Kind::NoInput,
                format!("reading users file {}: {err}", path.display()),
            )
        })?;
        let mut users = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((user, password)) = line.split_once(':').filter(|(u, _)| u.contains('@'))
            else {
                return Err(Failure::new(
                    Kind::Config,
                    format!(
                        "{} line {}: expected address:password",
                        path.display(),
                        number + 1
                    ),
                ));
            };
            users.insert(user.trim().to_lowercase(), password.to_string());
        }
        Ok(Logins::Users(users))
    }

    /// Whether these credentials open the mailbox `user`.
    pub fn check(&self, user: &str, password: &str) -> bool {
        match self {
            Logins::Sandbox => user.contains('@'),
            Logins::Users(users) => users
                .get(&user.to_lowercase())
                .is_some_and(|p| p == password),
        }
    }

    /// Whether any password is accepted (said at start-up, and loopback only).
    pub fn is_sandbox(&self) -> bool {
        matches!(self, Logins::Sandbox)
    }
}

/// Decodes an RFC 4616 PLAIN response (base64 of `authzid NUL authcid NUL password`) into
/// the user and password; an authorization identity other than the user is refused.
pub fn decode_plain(base64: &[u8]) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(base64.trim_ascii())
        .ok()?;
    split_plain(&raw)
}

/// Splits a decoded PLAIN response (IMAP's codec decodes the base64 itself).
pub fn split_plain(raw: &[u8]) -> Option<(String, String)> {
    let mut parts = raw.split(|&b| b == 0);
    let authz = parts.next()?;
    let user = std::str::from_utf8(parts.next()?).ok()?;
    let password = std::str::from_utf8(parts.next()?).ok()?;
    if parts.next().is_some() || (!authz.is_empty() && authz != user.as_bytes()) {
        return None;
    }
    Some((user.to_string(), password.to_string()))
}

/// Decodes one base64 SASL line (the LOGIN mechanism's user name or password).
pub fn decode_text(base64: &[u8]) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(base64.trim_ascii())
        .ok()?;
    String::from_utf8(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_responses() {
        assert_eq!(
            decode_plain(b"AGJvYkB4LnRlc3QAc2VjcmV0"),
            Some(("bob@x.test".into(), "secret".into()))
        );
        // authzid differing from the user
        assert_eq!(decode_plain(b"ZXZlQHgAYm9iQHgAcHc="), None);
        assert_eq!(decode_plain(b"not base64!"), None);
    }

    #[test]
    fn sandbox_and_users() {
        assert!(Logins::Sandbox.check("bob@x.test", "anything"));
        let users = Logins::Users([("bob@x.test".to_string(), "pw".to_string())].into());
        assert!(users.check("Bob@X.test", "pw"));
        assert!(!users.check("bob@x.test", "nope"));
        assert!(!users.check("eve@x.test", "pw"));
    }
}
