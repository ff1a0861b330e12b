//! `mailkit serve`: a local mail server to try and test mail with. SMTP in, POP3 and IMAP out
//! and an HTTP API with a web page, all over one [`store::Store`] of Maildirs (a mailbox per
//! recipient address). Blocking I/O with a thread per connection, bounded in number; every
//! message is durable before its 250, so a stop (or a crash) loses nothing that was accepted.

pub mod auth;
pub mod faults;
pub mod http;
pub mod imap;
pub mod pop3;
pub mod smtp;
pub mod store;
pub mod tls;
pub mod wire;

use std::{
    collections::HashSet,
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use rustls::ServerConfig;

use crate::exit::{Failure, Kind};
use auth::Logins;
use faults::{Faults, Plan, Stage};
use store::Store;
use tls::{CertFiles, Conn};

/// How long a connection may stay silent (RFC 9051 §5.4 asks IMAP servers for at least 30
/// minutes; SMTP and POP3 get the same, well above RFC 5321 §4.5.3.2's 5 minutes).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Everything `mailkit serve` is told.
pub struct Config {
    /// Where each listener binds; `None` turns it off.
    pub smtp: Option<SocketAddr>,
    /// POP3 listener.
    pub pop3: Option<SocketAddr>,
    /// IMAP listener.
    pub imap: Option<SocketAddr>,
    /// HTTP listener (API and web page).
    pub http: Option<SocketAddr>,
    /// The data directory (mailboxes, certificate).
    pub data: PathBuf,
    /// The name the server gives itself in greetings and Received lines.
    pub hostname: String,
    /// Who may log in.
    pub logins: Logins,
    /// Accept any SMTP AUTH (for clients that insist on authenticating).
    pub accept_any_auth: bool,
    /// A certificate to use instead of the generated one.
    pub cert: Option<CertFiles>,
    /// The SIZE limit, in bytes.
    pub max_size: u64,
    /// The fault plan.
    pub faults: Plan,
    /// Connections served at once; more are turned away.
    pub max_connections: usize,
}

/// What every connection's thread shares.
pub struct Shared {
    /// The server's name.
    pub hostname: String,
    /// The mailboxes.
    pub store: Store,
    /// TLS for STARTTLS/STLS, when available.
    pub tls: Option<Arc<ServerConfig>>,
    /// Who may log in to POP3 and IMAP (and SMTP AUTH with a users file).
    pub logins: Logins,
    /// SMTP AUTH accepts anything.
    pub accept_any_auth: bool,
    /// SMTP SIZE.
    pub max_size: u64,
    /// The fault plan.
    pub faults: Faults,
    /// Set on SIGINT/SIGTERM: no new message is taken.
    pub stopping: AtomicBool,
    /// Deliveries between the final dot and their fsync; a stop waits for them.
    pub in_flight: AtomicUsize,
    /// Told of every delivery (live updates of the web page).
    pub events: Events,
    locked: Mutex<HashSet<PathBuf>>,
    connections: AtomicUsize,
    max_connections: usize,
}

impl Shared {
    /// Whether SMTP offers AUTH.
    pub fn smtp_auth(&self) -> bool {
        self.accept_any_auth || !self.logins.is_sandbox()
    }

    /// Takes a mailbox's session lock (POP3 RFC 1939 §4); false when another session has it.
    pub fn lock(&self, dir: &Path) -> bool {
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_path_buf())
    }

    /// Releases a mailbox's session lock.
    pub fn unlock(&self, dir: &Path) {
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(dir);
    }

    /// A store in a temporary directory with no TLS, faults or users, for unit tests.
    #[cfg(test)]
    pub fn for_tests() -> (Shared, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared {
            hostname: "mx.test".into(),
            store: Store::open(dir.path()).unwrap(),
            tls: None,
            logins: Logins::Sandbox,
            accept_any_auth: false,
            max_size: 10 << 20,
            faults: Faults::none(),
            stopping: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            events: Events::default(),
            locked: Mutex::new(HashSet::new()),
            connections: AtomicUsize::new(0),
            max_connections: 4,
        };
        (shared, dir)
    }
}

/// Delivery notifications for whoever listens (server-sent events).
#[derive(Default)]
pub struct Events {
    subscribers: Mutex<Vec<mpsc::Sender<()>>>,
}

impl Events {
    /// Tells every subscriber something changed; forgets those that went away.
    pub fn notify(&self) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|s| s.send(()).is_ok());
    }

    /// A new subscription.
    pub fn subscribe(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }
}

/// The protocols a listener can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// SMTP (RFC 5321).
    Smtp,
    /// POP3 (RFC 1939).
    Pop3,
    /// IMAP (RFC 9051).
    Imap,
    /// HTTP: the JSON API and web page.
    Http,
}

impl Protocol {
    /// The name printed at start-up.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Pop3 => "pop3",
            Protocol::Imap => "imap",
            Protocol::Http => "http",
        }
    }
}

/// A running server.
pub struct Server {
    /// What listens where (the actual ports, when port 0 was asked for).
    pub listening: Vec<(Protocol, SocketAddr)>,
    /// The certificate clients can trust (`--ca-file`).
    pub cert: PathBuf,
    /// Whether any password opens any mailbox.
    pub sandbox: bool,
    shared: Arc<Shared>,
}

/// Binds every listener and starts serving in background threads.
pub fn start(config: Config) -> anyhow::Result<Server> {
    let wanted: Vec<(Protocol, SocketAddr)> = [
        (Protocol::Smtp, config.smtp),
        (Protocol::Pop3, config.pop3),
        (Protocol::Imap, config.imap),
        (Protocol::Http, config.http),
    ]
    .into_iter()
    .filter_map(|(p, a)| Some((p, a?)))
    .collect();
    if config.logins.is_sandbox()
        && let Some((_, addr)) = wanted.iter().find(|(_, a)| !a.ip().is_loopback())
    {
        crate::bail!(
            Kind::Usage,
            "refusing to listen on {addr} without --users: in sandbox mode any password opens any mailbox; give --users FILE or listen on loopback"
        );
    }
    if let Some(addr) = config.http.filter(|a| !a.ip().is_loopback()) {
        crate::bail!(
            Kind::Usage,
            "refusing to serve HTTP on {addr}: the web page and API have no login, so --http must be a loopback address"
        );
    }
    std::fs::create_dir_all(&config.data).map_err(|err| {
        Failure::new(
            Kind::CantCreate,
            format!("creating {}: {err}", config.data.display()),
        )
    })?;
    let store = Store::open(&config.data).map_err(|err| {
        Failure::new(
            Kind::CantCreate,
            format!("opening the store in {}: {err}", config.data.display()),
        )
    })?;
    let (tls, files) = tls::server_config(&config.data, config.cert, &config.hostname)?;
    let shared = Arc::new(Shared {
        hostname: config.hostname,
        store,
        tls: Some(tls),
        logins: config.logins,
        accept_any_auth: config.accept_any_auth,
        max_size: config.max_size,
        faults: Faults::new(config.faults),
        stopping: AtomicBool::new(false),
        in_flight: AtomicUsize::new(0),
        events: Events::default(),
        locked: Mutex::new(HashSet::new()),
        connections: AtomicUsize::new(0),
        max_connections: config.max_connections,
    });
    let mut listening = Vec::new();
    for (protocol, addr) in wanted {
        let listener = TcpListener::bind(addr).map_err(|err| {
            Failure::new(
                Kind::Config,
                format!("cannot listen for {} on {addr}: {err}", protocol.name()),
            )
        })?;
        let local = listener
            .local_addr()
            .context("reading a listener's address")?;
        listening.push((protocol, local));
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("{}-accept", protocol.name()))
            .spawn(move || accept_loop(protocol, listener, shared))
            .context("starting a listener thread")?;
    }
    Ok(Server {
        listening,
        cert: files.cert,
        sandbox: shared.logins.is_sandbox(),
        shared,
    })
}

impl Server {
    /// Where `protocol` listens, if it does.
    pub fn addr(&self, protocol: Protocol) -> Option<SocketAddr> {
        self.listening
            .iter()
            .find(|(p, _)| *p == protocol)
            .map(|(_, a)| *a)
    }

    /// Stops taking messages and waits (up to 30 s) for deliveries in progress to be durable.
    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn accept_loop(protocol: Protocol, listener: TcpListener, shared: Arc<Shared>) {
    if protocol == Protocol::Http {
        return http::serve(listener, shared);
    }
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(protocol.name().into())
            .spawn(move || connection(protocol, stream, &shared));
        if spawned.is_err() {
            crate::output::warning("cannot start a thread for a connection; it was dropped");
        }
    }
}

/// One connection, counted against the limit, with socket timeouts.
fn connection(protocol: Protocol, mut stream: TcpStream, shared: &Shared) {
    let active = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = Counted(&shared.connections);
    let peer = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(300)));
    let _ = stream.set_nodelay(true);
    if active > shared.max_connections {
        use std::io::Write as _;
        let busy: &[u8] = match protocol {
            Protocol::Smtp => b"421 4.3.2 too many connections, try again later\r\n",
            Protocol::Pop3 => b"-ERR [SYS/TEMP] too many connections, try again later\r\n",
            _ => b"* BYE too many connections, try again later\r\n",
        };
        let _ = stream.write_all(busy);
        return;
    }
    let conn = Conn::Plain(stream);
    // A failed connection (client gone, timeout, TLS refused) concerns only that client.
    let _ = match protocol {
        Protocol::Smtp => {
            if let Some(action) = shared.faults.at(Stage::Connect) {
                std::thread::sleep(action.delay);
                if action.drop {
                    return;
                }
            }
            smtp::serve(conn, shared, peer)
        }
        Protocol::Pop3 => pop3::serve(conn, shared),
        Protocol::Imap => imap::serve(conn, shared),
        Protocol::Http => Ok(()),
    };
}

struct Counted<'a>(&'a AtomicUsize);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
