//! The HTTP listener: a JSON API under `/api/` over the store and one static web page on top of
//! it (embedded, no inline script, a strict Content-Security-Policy). tiny_http does all of
//! HTTP; this module only routes. Message HTML is served by itself with a CSP `sandbox` and no
//! sources allowed, and the page shows it in an `<iframe sandbox>` without `allow-scripts`: no
//! script of a message runs and nothing remote is loaded.
//!
//! API (every mailbox is an address; UIDs are the IMAP UIDs):
//! - `GET /api/mailboxes`: `[{"address", "messages"}]`
//! - `GET /api/messages?mailbox=&from=&to=&subject=&q=&offset=&limit=`: newest first,
//!   `{"total", "offset", "limit", "messages": [summary]}`
//! - `GET /api/messages/{mailbox}/{uid}`: the message as `mailkit parse --json` prints it
//! - `GET .../raw`, `.../text`, `.../html`, `.../parts/{id}`: its bytes, best text, HTML
//!   body, one decoded part (as a download)
//! - `DELETE /api/messages/{mailbox}/{uid}`: removes it
//! - `POST .../release` with `{"server": "host:port", "to": [..], "tls": ..., "ca_file": ..}`:
//!   delivers it through mailkit's own SMTP client; answers with each recipient's outcome
//! - `GET /api/events`: server-sent events, one `delivery` event per stored message

use std::{
    io::{self, Read},
    net::{TcpListener, ToSocketAddrs},
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tiny_http::{Header, Method, Request, Response, StatusCode};

use super::{Shared, store::Entry};
use crate::{
    message::{self, HeaderSummary, Mailbox as Person},
    net::{TlsClient, TlsMode, TlsOptions},
    smtp::{
        Dsn, Envelope, Payload, RcptOutcome,
        deliver::{self, Connector, Job, Target},
    },
};

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// The page's policy: its own script, style and API only; frames only from itself (the
/// sandboxed message HTML).
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// A message's HTML: a sandbox (no scripts, a unique origin) that loads nothing but inline
/// styles and `data:` images; only the page may frame it.
const MESSAGE_CSP: &str =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";
/// A part served as a download: never rendered as a document of this origin.
const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";
/// How many bytes of a message a listing reads for its header.
const HEADER_CAP: u64 = 64 * 1024;

/// Serves HTTP on `listener` until the process ends: one thread per request.
pub fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let server = match tiny_http::Server::from_listener(listener, None) {
        Ok(server) => server,
        Err(err) => {
            crate::output::warning(&format!("the HTTP listener failed to start: {err}"));
            return;
        }
    };
    for request in server.incoming_requests() {
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("http".into())
            .spawn(move || handle(request, &shared));
        if spawned.is_err() {
            crate::output::warning("cannot start a thread for an HTTP request; it was dropped");
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header")
}

/// Headers every response carries.
fn common<R: Read>(response: Response<R>) -> Response<R> {
    response
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("Cache-Control", "no-store"))
}

type Reply = Response<io::Cursor<Vec<u8>>>;

fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    common(Response::from_data(body).with_status_code(StatusCode(status)))
        .with_header(header("Content-Type", content_type))
}

fn json<T: Serialize>(status: u16, value: &T) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    bytes(status, "application/json", body)
}

fn error(status: u16, message: &str) -> Reply {
    #[derive(Serialize)]
    struct Error<'a> {
        error: &'a str,
    }
    json(status, &Error { error: message })
}

fn handle(mut request: Request, shared: &Shared) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let method = request.method().clone();
    if matches!(
        (&method, segments.as_slice()),
        (Method::Get, ["api", "events"])
    ) {
        let events = EventStream::new(shared.events.subscribe());
        let response = common(Response::new(
            StatusCode(200),
            vec![header("Content-Type", "text/event-stream")],
            events,
            None,
            None,
        ));
        // The client going away ends the stream with a write error; nothing to report.
        let _ = request.respond(response);
        return;
    }
    let mut body = Vec::new();
    if method == Method::Post
        && request
            .as_reader()
            .take(1 << 20)
            .read_to_end(&mut body)
            .is_err()
    {
        let _ = request.respond(error(400, "cannot read the request body"));
        return;
    }
    let reply = route(&method, &segments, &params, &body, shared);
    let _ = request.respond(reply);
}

fn route(
    method: &Method,
    segments: &[&str],
    params: &[(String, String)],
    body: &[u8],
    shared: &Shared,
) -> Reply {
    let page = |content_type: &str, text: &str| {
        bytes(200, content_type, text.as_bytes().to_vec())
            .with_header(header("Content-Security-Policy", PAGE_CSP))
    };
    match (method, segments) {
        (Method::Get, []) => page("text/html; charset=utf-8", PAGE),
        (Method::Get, ["app.js"]) => page("text/javascript; charset=utf-8", SCRIPT),
        (Method::Get, ["app.css"]) => page("text/css; charset=utf-8", STYLE),
        (Method::Get, ["api", "mailboxes"]) => mailboxes(shared),
        (Method::Get, ["api", "messages"]) => messages(shared, params),
        (_, ["api", "messages", mailbox, uid, rest @ ..]) => {
            let Some((dir, entry)) = find(shared, mailbox, uid) else {
                return error(404, "no such message");
            };
            match (method, rest) {
                (Method::Delete, []) => match shared.store.remove(&entry) {
                    Ok(()) => {
                        shared.events.notify();
                        bytes(204, "text/plain", Vec::new())
                    }
                    Err(err) => error(500, &format!("cannot remove: {err}")),
                },
                (Method::Post, ["release"]) => release(&entry, body),
                (Method::Get, rest) => message(&dir, &entry, rest),
                _ => error(405, "method not allowed"),
            }
        }
        (Method::Get, _) => error(404, "not found"),
        _ => error(405, "method not allowed"),
    }
}

#[derive(Serialize)]
struct MailboxJson {
    address: String,
    messages: usize,
}

fn mailboxes(shared: &Shared) -> Reply {
    let Ok(names) = shared.store.mailboxes() else {
        return error(500, "cannot read the store");
    };
    let list: Vec<MailboxJson> = names
        .into_iter()
        .filter_map(|address| {
            let dir = shared.store.mailbox_dir(&address).ok()?;
            let messages = shared.store.list(&dir).ok()?.len();
            Some(MailboxJson { address, messages })
        })
        .collect();
    json(200, &list)
}

/// One message in a listing.
#[derive(Serialize)]
struct Summary {
    mailbox: String,
    uid: u32,
    size: u64,
    received: u64,
    flags: String,
    from: Vec<Person>,
    to: Vec<Person>,
    subject: Option<String>,
    date: Option<String>,
    message_id: Option<String>,
}

#[derive(Serialize)]
struct Listing {
    total: usize,
    offset: usize,
    limit: usize,
    messages: Vec<Summary>,
}

fn messages(shared: &Shared, params: &[(String, String)]) -> Reply {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_lowercase())
    };
    let number =
        |name: &str, default: usize| param(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (offset, limit) = (number("offset", 0), number("limit", 50).min(1000));
    let mailboxes = match param("mailbox") {
        Some(mailbox) => vec![mailbox],
        None => shared.store.mailboxes().unwrap_or_default(),
    };
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for mailbox in mailboxes {
        let Ok(dir) = shared.store.mailbox_dir(&mailbox) else {
            return error(400, "mailbox must be an address");
        };
        entries.extend(
            shared
                .store
                .list(&dir)
                .unwrap_or_default()
                .into_iter()
                .map(|e| (mailbox.clone(), e)),
        );
    }
    entries.sort_by_key(|(_, e)| std::cmp::Reverse((e.received, e.uid)));
    let filters: Vec<(&str, String)> = ["from", "to", "subject", "q"]
        .into_iter()
        .filter_map(|k| Some((k, param(k)?)))
        .collect();
    let mut total = 0;
    let mut page = Vec::new();
    for (mailbox, entry) in entries {
        let summary = summarize(&mailbox, &entry);
        if !filters
            .iter()
            .all(|(field, needle)| matches(&summary, field, needle))
        {
            continue;
        }
        if total >= offset && page.len() < limit {
            page.push(summary);
        }
        total += 1;
    }
    json(
        200,
        &Listing {
            total,
            offset,
            limit,
            messages: page,
        },
    )
}

fn summarize(mailbox: &str, entry: &Entry) -> Summary {
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(&entry.path) {
        let _ = file.take(HEADER_CAP).read_to_end(&mut head);
    }
    let header = HeaderSummary::parse(&head);
    Summary {
        mailbox: mailbox.to_string(),
        uid: entry.uid,
        size: entry.size,
        received: entry.received,
        flags: entry.flags.clone(),
        from: header.from,
        to: header.to,
        subject: header.subject,
        date: header.date,
        message_id: header.message_id,
    }
}

/// Case-insensitive substring search in a summary's field (`q`: any of them).
fn matches(summary: &Summary, field: &str, needle: &str) -> bool {
    let people = |people: &[Person]| {
        people.iter().any(|p| {
            [&p.name, &p.address].into_iter().any(|v| {
                v.as_deref()
                    .is_some_and(|v| v.to_lowercase().contains(needle))
            })
        })
    };
    let subject = || {
        summary
            .subject
            .as_deref()
            .is_some_and(|s| s.to_lowercase().contains(needle))
    };
    match field {
        "from" => people(&summary.from),
        "to" => people(&summary.to) || summary.mailbox.contains(needle),
        "subject" => subject(),
        _ => people(&summary.from) || people(&summary.to) || subject(),
    }
}

fn find(shared: &Shared, mailbox: &str, uid: &str) -> Option<(PathBuf, Entry)> {
    let dir = shared.store.mailbox_dir(mailbox).ok()?;
    let uid: u32 = uid.parse().ok()?;
    let entry = shared
        .store
        .list(&dir)
        .ok()?
        .into_iter()
        .find(|e| e.uid == uid)?;
    Some((dir, entry))
}

fn message(_dir: &Path, entry: &Entry, rest: &[&str]) -> Reply {
    let Ok(raw) = std::fs::read(&entry.path) else {
        return error(404, "no such message");
    };
    if rest == ["raw"] {
        return bytes(200, "text/plain; charset=utf-8", raw);
    }
    let source = format!("uid {}", entry.uid);
    let inspected = match message::inspect(&raw, &source, 1) {
        Ok(inspected) => inspected,
        Err(err) => return error(422, &err.to_string()),
    };
    match rest {
        [] => json(200, inspected.view()),
        ["text"] => {
            let text = inspected
                .best_text()
                .map(|(_, text)| text)
                .unwrap_or_default();
            bytes(200, "text/plain; charset=utf-8", text.into_bytes())
        }
        ["html"] => {
            let part = inspected.view().parts.iter().find(|p| {
                p.content_type == "text/html" && p.disposition.as_deref() != Some("attachment")
            });
            let Some(part) = part else {
                return error(404, "no HTML body");
            };
            let charset = part.charset.clone().unwrap_or_else(|| "utf-8".into());
            let charset: String = charset
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_:.".contains(*c))
                .collect();
            let mut content = Vec::new();
            if let Some(Err(err)) = inspected.write_part(&part.id, &mut content) {
                return error(500, &format!("reading the HTML part: {err}"));
            }
            bytes(200, &format!("text/html; charset={charset}"), content)
                .with_header(header("Content-Security-Policy", MESSAGE_CSP))
        }
        ["parts", id] => {
            let mut content = Vec::new();
            match inspected.write_part(id, &mut content) {
                Some(Err(err)) => error(500, &format!("reading part {id}: {err}")),
                Some(Ok(_)) => {
                    let part = inspected.view().parts.iter().find(|p| p.id == *id);
                    let name = part
                        .and_then(|p| p.filename.as_deref())
                        .map(|n| message::names::safe_name(n, &format!("part-{id}")))
                        .unwrap_or_else(|| format!("part-{id}"));
                    let disposition = format!(
                        "attachment; filename*=UTF-8''{}",
                        percent_encoding::utf8_percent_encode(
                            &name,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    );
                    bytes(200, "application/octet-stream", content)
                        .with_header(header("Content-Disposition", &disposition))
                        .with_header(header("Content-Security-Policy", DOWNLOAD_CSP))
                }
                None => error(404, "no such part"),
            }
        }
        _ => error(404, "not found"),
    }
}

/// What `POST .../release` asks for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
    /// The real server, `host:port`.
    server: String,
    /// The recipients (the envelope; the header is left as it is).
    to: Vec<String>,
    /// Sender for the envelope (default: the message's Return-Path).
    from: Option<String>,
    /// `tls`, `starttls`, `opportunistic` (default) or `none`.
    tls: Option<String>,
    /// A private CA to trust.
    ca_file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Released {
    address: String,
    status: crate::smtp::Status,
    reply: String,
}

/// Delivers a held message to a real server through mailkit's own SMTP client (the same
/// connector and delivery loop as `mailkit send`).
fn release(entry: &Entry, body: &[u8]) -> Reply {
    let request: Release = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(err) => return error(400, &format!("bad release request: {err}")),
    };
    if request.to.is_empty()
        || request
            .to
            .iter()
            .any(|a| crate::smtp::check_address(a).is_err())
    {
        return error(400, "give one or more valid recipient addresses in \"to\"");
    }
    let tls_mode = match request.tls.as_deref().unwrap_or("opportunistic") {
        "tls" => TlsMode::Tls,
        "starttls" => TlsMode::Starttls,
        "none" => TlsMode::None,
        "opportunistic" => TlsMode::Opportunistic,
        _ => return error(400, "tls must be tls, starttls, opportunistic or none"),
    };
    let Ok(raw) = std::fs::read(&entry.path) else {
        return error(404, "no such message");
    };
    // Return-Path belongs to final delivery (RFC 5321 §4.4); it must not travel on.
    let (return_path, message) = match raw.strip_prefix(b"Return-Path: <") {
        Some(rest) => {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |n| n + 1);
            let path = String::from_utf8_lossy(&rest[..end])
                .trim_end()
                .trim_end_matches('>')
                .to_string();
            (path, &rest[end..])
        }
        None => (String::new(), &raw[..]),
    };
    let Some(addr) = request
        .server
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    else {
        return error(400, "server must be host:port and resolve");
    };
    let tls = match TlsClient::new(&TlsOptions {
        ca_file: request.ca_file,
        insecure_skip_verify: false,
    }) {
        Ok(tls) => tls,
        Err(err) => return error(400, &err.to_string()),
    };
    let mut connector = Connector {
        tls_mode,
        tls,
        ehlo: None,
        credentials: None,
        allow_cleartext_auth: false,
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(30),
        transcript: crate::output::Transcript::off(),
        warnings: Vec::new(),
    };
    let host = request
        .server
        .rsplit_once(':')
        .map_or(request.server.as_str(), |(h, _)| h);
    let envelope = Envelope {
        from: request.from.unwrap_or(return_path),
        recipients: request.to.clone(),
        dsn: Dsn::default(),
    };
    let payload = Payload::new(message);
    let targets = [Target {
        name: host.trim_matches(['[', ']']).to_string(),
        addr,
    }];
    let reports = deliver::deliver(
        &mut connector,
        &targets,
        &[Job {
            envelope: &envelope,
            payload: &payload,
        }],
    );
    let outcomes: Vec<Released> = request
        .to
        .iter()
        .zip(reports.into_iter().next().unwrap_or_default())
        .map(|(address, report)| {
            let RcptOutcome { status, reply, .. } = report.outcome;
            Released {
                address: address.clone(),
                status,
                reply,
            }
        })
        .collect();
    json(200, &outcomes)
}

/// The body of `/api/events`: blocks until a delivery, then yields one event.
///
/// tiny_http sends a body of unknown length chunked, 8192 bytes per chunk, and writes a chunk
/// only once the next one has begun. So each event is padded with an SSE comment to end one
/// byte into a chunk: everything up to the event's blank line leaves at once, and the byte
/// held back is padding.
struct EventStream {
    events: mpsc::Receiver<()>,
    pending: Vec<u8>,
    sent: usize,
}

/// tiny_http's chunk size (chunked_transfer's default).
const CHUNK: usize = 8192;

impl EventStream {
    fn new(events: mpsc::Receiver<()>) -> EventStream {
        let mut stream = EventStream {
            events,
            pending: Vec::new(),
            sent: 0,
        };
        stream.queue("event: ready\ndata: {}\n\n");
        stream
    }

    fn queue(&mut self, event: &str) {
        let mut block = event.as_bytes().to_vec();
        let end = self.sent + block.len() + 3; // ":" ... "\n" at least
        let target = end.div_ceil(CHUNK) * CHUNK + 1;
        let padding = target - self.sent - block.len() - 2;
        block.push(b':');
        block.extend(std::iter::repeat_n(b' ', padding));
        block.push(b'\n');
        self.sent += block.len();
        self.pending.extend(block);
    }
}

impl Read for EventStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            match self.events.recv_timeout(Duration::from_secs(25)) {
                Ok(()) => {
                    // Deliveries that arrive together make one event.
                    while self.events.try_recv().is_ok() {}
                    self.queue("event: delivery\ndata: {}\n\n");
                }
                // A keep-alive comment, so proxies and browsers keep the stream open.
                Err(mpsc::RecvTimeoutError::Timeout) => self.queue(": keep-alive\n"),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_end_one_byte_into_a_chunk() {
        let (tx, rx) = mpsc::channel();
        let mut stream = EventStream::new(rx);
        let mut total = 0;
        for _ in 0..3 {
            tx.send(()).unwrap();
            let mut buf = vec![0; 100_000];
            let n = stream.read(&mut buf).unwrap();
            total += n;
            assert_eq!(total % CHUNK, 1, "{total}");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            assert!(
                text.contains("\n\n:") || text.starts_with("event: delivery"),
                "{text:.40}"
            );
        }
        drop(tx);
        let mut buf = [0; 10];
        assert_eq!(stream.read(&mut buf).unwrap(), 0);
    }
}
