//! SMTP client (RFC 5321 and its extensions).
