//! SASL (RFC 4422) client mechanisms, once for SMTP (RFC 4954), POP3 (RFC 5034) and IMAP
//! (RFC 3501 `AUTHENTICATE`): PLAIN (RFC 4616), LOGIN (the widespread draft) and XOAUTH2
//! (Google's and Microsoft's OAuth 2 bearer token).
//!
//! Sans-I/O, so any line-based protocol drives it the same way: send
//! [`Exchange::initial_response`] with the command when the protocol allows it (SMTP, IMAP
//! with SASL-IR), then answer each server challenge with [`Exchange::answer`] until the server
//! says yes or no. Everything on the wire is base64 (the `base64` crate); what goes in a
//! transcript is [`crate::output::redacted`], since base64 is not encryption.

use std::collections::VecDeque;

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};

use crate::secret::Secret;

/// The most challenges one exchange may take: PLAIN needs 0 or 1, LOGIN 2, XOAUTH2 1 more
/// for its error document; a server asking for more is broken or hostile.
pub const MAX_ROUNDS: usize = 4;

/// A SASL mechanism mailkit can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: user and password in one message.
    Plain,
    /// The username/password challenge pair most servers still offer.
    Login,
    /// OAuth 2 bearer token (`user=...^Aauth=Bearer ...^A^A`).
    XOAuth2,
    /// RFC 7628 OAuth 2 bearer token (`n,a=user,^Aauth=Bearer ...^A^A`).
    OAuthBearer,
}

impl Mechanism {
    /// The name in `AUTH`/`AUTHENTICATE` commands and capability lists.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The mechanism a capability list or an accounts file names, in any case.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
        ]
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether the client speaks first (RFC 4422 §3.3): PLAIN and XOAUTH2 do, LOGIN waits
    /// for the server's "Username:" challenge.
    pub fn has_initial_response(self) -> bool {
        !matches!(self, Mechanism::Login)
    }
}

/// One authentication exchange: the client's messages in the order the mechanism sends
/// them, already base64-encoded.
pub struct Exchange {
    mechanism: Mechanism,
    messages: VecDeque<String>,
    rounds: usize,
}

/// The server asked more than [`MAX_ROUNDS`] challenges.
#[derive(Debug, thiserror::Error)]
#[error("AUTH took more than {MAX_ROUNDS} rounds")]
pub struct TooManyRounds;

impl Exchange {
    /// Starts an exchange for `user` with `secret` (password or OAuth token).
    pub fn new(mechanism: Mechanism, user: &str, secret: &Secret) -> Exchange {
        let secret = secret.expose();
        let messages = match mechanism {
            Mechanism::Plain => vec![format!("\0{user}\0{secret}")],
            Mechanism::Login => vec![user.to_string(), secret.to_string()],
            Mechanism::XOAuth2 => vec![format!("user={user}\x01auth=Bearer {secret}\x01\x01")],
            Mechanism::OAuthBearer => vec![format!("n,a={user},\x01auth=Bearer {secret}\x01\x01")],
        };
        Exchange {
            mechanism,
            messages: messages.iter().map(|m| BASE64.encode(m)).collect(),
            rounds: 0,
        }
    }

    /// The mechanism in use.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response to send with the command, for protocols that allow one; `None`
    /// for a mechanism that waits for the server (LOGIN). Not taking it leaves it as the
    /// answer to the first challenge (POP3's two-step form).
    pub fn initial_response(&mut self) -> Option<String> {
        if self.mechanism.has_initial_response() {
            self.messages.pop_front()
        } else {
            None
        }
    }

    /// The answer to one server challenge (its base64 text, which these mechanisms do not
    /// need to read): the next message, or an empty line once there is none, which is how a
    /// client acknowledges XOAUTH2's error document (the server then says no).
    pub fn answer(&mut self, _challenge: &str) -> Result<String, TooManyRounds> {
        self.rounds += 1;
        if self.rounds > MAX_ROUNDS {
            return Err(TooManyRounds);
        }
        Ok(self.messages.pop_front().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(mechanism: Mechanism) -> Exchange {
        Exchange::new(mechanism, "alice", &Secret::new("pw"))
    }

    #[test]
    fn plain_is_one_initial_response() {
        let mut x = exchange(Mechanism::Plain);
        assert_eq!(x.initial_response().as_deref(), Some("AGFsaWNlAHB3"));
        assert_eq!(x.answer("").unwrap(), "");
    }

    #[test]
    fn plain_without_initial_response_answers_the_first_challenge() {
        let mut x = exchange(Mechanism::Plain);
        assert_eq!(x.answer("").unwrap(), "AGFsaWNlAHB3");
    }

    #[test]
    fn login_answers_user_then_password() {
        let mut x = exchange(Mechanism::Login);
        assert_eq!(x.initial_response(), None);
        assert_eq!(x.answer("VXNlcm5hbWU6").unwrap(), "YWxpY2U=");
        assert_eq!(x.answer("UGFzc3dvcmQ6").unwrap(), "cHc=");
    }

    #[test]
    fn xoauth2_then_an_empty_answer_to_the_error_document() {
        let mut x = exchange(Mechanism::XOAuth2);
        assert_eq!(
            x.initial_response().as_deref(),
            Some("dXNlcj1hbGljZQFhdXRoPUJlYXJlciBwdwEB")
        );
        assert_eq!(x.answer("eyJzdGF0dXMiOiI0MDEifQ==").unwrap(), "");
    }

    #[test]
    fn oauthbearer_is_the_gs2_header_and_the_token() {
        let mut x = exchange(Mechanism::OAuthBearer);
        let first = x.initial_response().unwrap();
        assert_eq!(
            BASE64.decode(first).unwrap(),
            b"n,a=alice,\x01auth=Bearer pw\x01\x01"
        );
        assert_eq!(
            Mechanism::from_name("oauthbearer"),
            Some(Mechanism::OAuthBearer)
        );
    }

    #[test]
    fn rounds_are_bounded() {
        let mut x = exchange(Mechanism::Login);
        for _ in 0..MAX_ROUNDS {
            x.answer("").unwrap();
        }
        assert!(x.answer("").is_err());
    }

    #[test]
    fn names_in_any_case() {
        assert_eq!(Mechanism::from_name("xoauth2"), Some(Mechanism::XOAuth2));
        assert_eq!(Mechanism::from_name("Login"), Some(Mechanism::Login));
        assert_eq!(Mechanism::from_name("CRAM-MD5"), None);
    }
}
