//! Client commands (RFC 5321 §4.1.1 and the extensions' RFCs) as values whose `Display` is the
//! exact line sent, CRLF included, so what is written and what the transcript shows come from
//! one place.

use std::fmt;

/// One command line the client sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO name` (RFC 5321 §4.1.1.1).
    Ehlo(&'a str),
    /// `HELO name`, for servers that do not know EHLO.
    Helo(&'a str),
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954); the response is base64 and secret.
    Auth {
        /// The SASL mechanism name.
        mechanism: &'a str,
        /// The base64 initial response, if sent with the command.
        initial: Option<&'a str>,
    },
    /// A base64 line answering a 334 challenge; secret.
    AuthResponse(&'a str),
    /// `MAIL FROM:<addr> params` (RFC 5321 §4.1.1.2); `params` are ESMTP parameters.
    Mail {
        /// The reverse path (may be empty for bounces).
        from: &'a str,
        /// ESMTP parameters such as `SIZE=123`, `BODY=8BITMIME`.
        params: &'a [String],
    },
    /// `RCPT TO:<addr> params` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward path.
        to: &'a str,
        /// ESMTP parameters such as `NOTIFY=FAILURE`.
        params: &'a [String],
    },
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `RSET` (RFC 5321 §4.1.1.5): abandon a failed transaction before the next one.
    Rset,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
}

impl Command<'_> {
    /// The command's name, for saying which reply a timeout was waiting for.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } | Command::AuthResponse(_) => "AUTH",
            Command::Mail { .. } => "MAIL FROM",
            Command::Rcpt { .. } => "RCPT TO",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
        }
    }

    /// The line as the `-v` transcript shows it (no CRLF), with AUTH payloads replaced by
    /// `(redacted)` since base64 is not encryption.
    pub fn transcript(&self) -> String {
        match self {
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => crate::output::redacted(&format!("AUTH {mechanism}")),
            Command::AuthResponse(_) => crate::output::redacted(""),
            other => {
                let mut line = other.to_string();
                line.truncate(line.len() - 2);
                line
            }
        }
    }
}

impl fmt::Display for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = |f: &mut fmt::Formatter<'_>, params: &[String]| {
            params.iter().try_for_each(|p| write!(f, " {p}"))
        };
        match self {
            Command::Ehlo(name) => write!(f, "EHLO {name}")?,
            Command::Helo(name) => write!(f, "HELO {name}")?,
            Command::StartTls => f.write_str("STARTTLS")?,
            Command::Auth { mechanism, initial } => {
                write!(f, "AUTH {mechanism}")?;
                if let Some(initial) = initial {
                    write!(f, " {initial}")?;
                }
            }
            Command::AuthResponse(line) => f.write_str(line)?,
            Command::Mail { from, params: p } => {
                write!(f, "MAIL FROM:<{from}>")?;
                params(f, p)?;
            }
            Command::Rcpt { to, params: p } => {
                write!(f, "RCPT TO:<{to}>")?;
                params(f, p)?;
            }
            Command::Data => f.write_str("DATA")?,
            Command::Rset => f.write_str("RSET")?,
            Command::Quit => f.write_str("QUIT")?,
        }
        f.write_str("\r\n")
    }
}

/// RFC 3461 §4 xtext: `+XX` for `+`, `=`, and bytes outside `!`..`~`, so an ENVID or ORCPT
/// value cannot break the parameter syntax.
pub fn xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (b'!'..=b'~').contains(&byte) && byte != b'+' && byte != b'=' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("+{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_render_as_sent() {
        let params = ["SIZE=10".to_string(), "BODY=8BITMIME".to_string()];
        let cases = [
            (Command::Ehlo("client.test"), "EHLO client.test\r\n"),
            (Command::Helo("c"), "HELO c\r\n"),
            (Command::StartTls, "STARTTLS\r\n"),
            (
                Command::Mail {
                    from: "a@b",
                    params: &params,
                },
                "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME\r\n",
            ),
            (
                Command::Mail {
                    from: "",
                    params: &[],
                },
                "MAIL FROM:<>\r\n",
            ),
            (
                Command::Rcpt {
                    to: "c@d",
                    params: &[],
                },
                "RCPT TO:<c@d>\r\n",
            ),
            (Command::Data, "DATA\r\n"),
            (Command::Rset, "RSET\r\n"),
            (Command::Quit, "QUIT\r\n"),
        ];
        for (command, want) in cases {
            assert_eq!(command.to_string(), want);
            assert_eq!(command.transcript(), want.trim_end());
        }
    }

    #[test]
    fn auth_payloads_are_redacted_in_the_transcript_only() {
        let auth = Command::Auth {
            mechanism: "PLAIN",
            initial: Some("AGFsaWNlAHB3"),
        };
        assert_eq!(auth.to_string(), "AUTH PLAIN AGFsaWNlAHB3\r\n");
        assert_eq!(auth.transcript(), "AUTH PLAIN (redacted)");
        let step = Command::AuthResponse("c2VjcmV0");
        assert_eq!(step.to_string(), "c2VjcmV0\r\n");
        assert_eq!(step.transcript(), "(redacted)");
        let login = Command::Auth {
            mechanism: "LOGIN",
            initial: None,
        };
        assert_eq!(login.transcript(), "AUTH LOGIN");
    }

    #[test]
    fn xtext_escapes_plus_equals_and_non_graphic_bytes() {
        assert_eq!(xtext("a+b=c d\u{e9}"), "a+2Bb+3Dc+20d+C3+A9");
    }
}
