//! `mailkit serve`: flags -> a running local server -> wait for a signal -> clean stop; and
//! `--demo`, which runs mailkit's own `send` and `fetch` against a server of its own.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context as _;
use clap::Parser as _;
use serde::Serialize;

use crate::{
    cli::{Cli, GlobalArgs, serve::ServeArgs},
    exit::{Exit, Failure, Kind},
    output::{self, Printer},
    serve::{
        self, Config, Protocol,
        auth::Logins,
        faults::{Fault, Faults, Plan},
        tls::CertFiles,
    },
};

/// The start-up document of `--json`.
#[derive(Serialize)]
struct Listening<'a> {
    listening: std::collections::BTreeMap<&'static str, SocketAddr>,
    data: &'a std::path::Path,
    cert: &'a std::path::Path,
    sandbox: bool,
}

/// Runs `mailkit serve`.
pub fn run(args: &ServeArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.demo {
        return demo(args);
    }
    let temporary = args
        .ephemeral
        .then(|| tempfile::Builder::new().prefix("mailkit-serve.").tempdir())
        .transpose()
        .map_err(|err| {
            Failure::new(
                Kind::CantCreate,
                format!("creating a temporary data directory: {err}"),
            )
        })?;
    let data = match (&temporary, &args.data) {
        (Some(dir), _) => dir.path().to_path_buf(),
        (None, Some(dir)) => dir.clone(),
        (None, None) => default_data().ok_or_else(|| {
            Failure::new(
                Kind::Usage,
                "no data directory: set HOME or XDG_STATE_HOME, or give --data or --ephemeral",
            )
        })?,
    };
    // Signals are caught before the listeners start, so a stop is never the default action.
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .context("installing the signal handlers")?;
    let server = serve::start(config(args, data.clone())?)?;
    let mut printer = Printer::stdout(global.json);
    if printer.is_json() {
        printer.json(&Listening {
            listening: server
                .listening
                .iter()
                .map(|(p, a)| (p.name(), *a))
                .collect(),
            data: &data,
            cert: &server.cert,
            sandbox: server.sandbox,
        })?;
    } else {
        for (protocol, addr) in &server.listening {
            printer.line(&format!("{:<5} {addr}", protocol.name()))?;
        }
        printer.line(&format!("data  {}", data.display()))?;
        printer.line(&format!("cert  {}", server.cert.display()))?;
    }
    printer.flush()?;
    if server.sandbox {
        output::note(
            "sandbox mode: any password opens any mailbox (log in as its address); loopback only. Use --users FILE for real accounts",
        );
    }
    signals.forever().next();
    output::note("stopping: waiting for deliveries in progress");
    server.stop();
    drop(temporary);
    Ok(Exit::Success)
}

fn config(args: &ServeArgs, data: PathBuf) -> anyhow::Result<Config> {
    let logins = match &args.users {
        Some(path) => Logins::from_file(path)?,
        None => Logins::Sandbox,
    };
    let mut plan = match &args.faults {
        Some(path) => Faults::load(path)?,
        None => Plan::default(),
    };
    for (stage, action, probability) in &args.fault {
        let (reply, drop) = if action == "drop" {
            (None, true)
        } else {
            (Some(action.clone()), false)
        };
        plan.fault.push(Fault {
            stage: Some(*stage),
            reply,
            probability: *probability,
            delay_ms: None,
            drop,
        });
    }
    if args.seed.is_some() {
        plan.seed = args.seed;
    }
    plan.check()
        .map_err(|msg| Failure::new(Kind::Usage, format!("--fault: {msg}")))?;
    Ok(Config {
        smtp: args.smtp,
        pop3: args.pop3,
        imap: args.imap,
        http: args.http,
        data,
        hostname: args.hostname.clone(),
        logins,
        accept_any_auth: args.accept_any_auth,
        cert: args
            .cert
            .clone()
            .zip(args.key.clone())
            .map(|(cert, key)| CertFiles { cert, key }),
        max_size: args.max_size,
        faults: plan,
        max_connections: args.max_connections.max(1),
    })
}

/// `$XDG_STATE_HOME/mailkit/serve`, else `~/.local/state/mailkit/serve`.
fn default_data() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state"))
        })?;
    Some(base.join("mailkit").join("serve"))
}

/// `--demo`: a server on free loopback ports in a temporary directory, then `mailkit send -v`
/// and `mailkit fetch -v` against it exactly as a user would type them.
fn demo(args: &ServeArgs) -> anyhow::Result<Exit> {
    let dir = tempfile::Builder::new()
        .prefix("mailkit-demo.")
        .tempdir()
        .map_err(|err| {
            Failure::new(
                Kind::CantCreate,
                format!("creating a temporary directory: {err}"),
            )
        })?;
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut config = config(args, dir.path().join("server"))?;
    config.smtp = Some(loopback);
    config.pop3 = Some(loopback);
    config.imap = None;
    config.http = None;
    config.hostname = "hamburger.test".into();
    let server = serve::start(config)?;
    let password = dir.path().join("password");
    std::fs::write(&password, "any password opens a mailbox in the sandbox\n")
        .context("writing the demo password file")?;
    let smtp = server
        .addr(Protocol::Smtp)
        .context("the demo's SMTP listener")?;
    let pop3 = server
        .addr(Protocol::Pop3)
        .context("the demo's POP3 listener")?;
    let cert = server.cert.display().to_string();
    say(&format!(
        "mailkit serve: SMTP on {smtp}, POP3 on {pop3}, a Maildir per recipient in {}",
        dir.path().display()
    ))?;
    let send = [
        "mailkit",
        "-v",
        "send",
        "--server",
        &smtp.to_string(),
        "--tls",
        "starttls",
        "--ca-file",
        &cert,
        "--ehlo",
        "crepes.test",
        "--from",
        "alice@crepes.test",
        "--to",
        "bob@hamburger.test",
        "--subject",
        "Do you like ketchup?",
        "--body",
        "Do you like ketchup?\nHow about pickles?",
    ];
    let sent = step(
        "1. alice sends to bob over SMTP (the transcript is mailkit send -v)",
        &send,
    )?;
    if sent != Exit::Success {
        return Ok(sent);
    }
    let state = dir.path().join("uidl-state").display().to_string();
    let password = password.display().to_string();
    let fetch = [
        "mailkit",
        "-v",
        "fetch",
        "--server",
        &pop3.to_string(),
        "--tls",
        "starttls",
        "--ca-file",
        &cert,
        "--user",
        "bob@hamburger.test",
        "--password-file",
        &password,
        "--state-file",
        &state,
        "--stdout",
        "1",
    ];
    let fetched = step(
        "2. bob fetches his mail over POP3 (mailkit fetch -v; the message goes to stdout)",
        &fetch,
    )?;
    server.stop();
    if fetched == Exit::Success {
        say(
            "Done: the message went from alice through an SMTP server into bob's mailbox and back out over POP3.",
        )?;
        say(
            "Next: `mailkit serve` keeps such a server running (SMTP :2525, POP3 :1110, IMAP :1143, web http://127.0.0.1:8025/).",
        )?;
    }
    Ok(fetched)
}

/// Prints a heading and the command line, then runs it as the binary would.
fn step(title: &str, argv: &[&str]) -> anyhow::Result<Exit> {
    say("")?;
    say(title)?;
    let shown: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
    say(&format!("$ {}", shown.join(" ")))?;
    let cli = Cli::try_parse_from(argv).map_err(|err| {
        Failure::new(
            Kind::Internal,
            format!("the demo's own command line: {err}"),
        )
    })?;
    match crate::run(&cli) {
        Ok(exit) => Ok(exit),
        Err(err) => {
            output::error(&crate::exit::one_line(&err));
            Ok(crate::exit::code_of(&err))
        }
    }
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut printer = Printer::stdout(false);
    printer.line(line)?;
    printer.flush()?;
    Ok(())
}

fn shell_quote(arg: &str) -> String {
    if arg.contains('\n') {
        let escaped = arg
            .replace('\\', "\\\\")
            .replace('\'', "\\'")
            .replace('\n', "\\n");
        return format!("$'{escaped}'");
    }
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_for_display() {
        assert_eq!(super::shell_quote("a@b.test"), "a@b.test");
        assert_eq!(super::shell_quote("Do you?"), "'Do you?'");
        assert_eq!(super::shell_quote("it's"), "'it'\\''s'");
        assert_eq!(super::shell_quote("a\nb's"), "$'a\\nb\\'s'");
    }
}
