//! `mailkit send`: flags -> messages and envelopes -> delivery (relay or MX) -> reports.

use std::{
    io::Read as _,
    net::{SocketAddr, ToSocketAddrs},
    path::Path,
    time::Duration,
};

use anyhow::Context as _;
use serde::Serialize;

use crate::{
    accounts::{self, Account, SecretSource, TlsMode},
    cli::{
        GlobalArgs,
        send::{Ret, SendArgs},
    },
    compose::{self, Attachment, Draft, Mailbox},
    dns::{MailRoute, QueryOptions, Resolver, parse_server},
    exit::{Exit, Failure},
    message::{
        HeaderSummary,
        source::{self, Messages},
    },
    net::TlsClient,
    output::{Printer, escape_line},
    smtp::{
        Credentials, Dsn, Envelope, Payload, RcptOutcome, Status,
        deliver::{self, Connector, Job, Report, Target},
    },
};

/// One message to send: its bytes, envelope and, for reports, its Message-ID.
struct Outgoing {
    payload: Payload,
    envelope: Envelope,
    message_id: Option<String>,
}

/// One recipient's line in `--json`.
#[derive(Serialize)]
struct RecipientJson<'a> {
    address: &'a str,
    status: Status,
    reply: &'a str,
    host: Option<&'a str>,
}

/// One message's document in `--json` (JSON Lines, one per message).
#[derive(Serialize)]
struct MessageJson<'a> {
    message_id: Option<&'a str>,
    status: &'static str,
    recipients: Vec<RecipientJson<'a>>,
}

/// Runs `mailkit send`.
pub fn run(args: &SendArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let account = match &args.route.account {
        Some(name) => Some(accounts::load_named(name).context("loading the account")?),
        None => None,
    };
    let ehlo = ehlo_name(args)?;
    let outgoing = messages(args, account.as_ref()).context("preparing the message")?;
    let tls = TlsClient::new(&args.route.trust.tls_options(account.as_ref()))
        .map_err(Failure::from)
        .context("setting up TLS")?;
    let mut connector = Connector {
        tls_mode: TlsMode::Opportunistic,
        tls,
        ehlo,
        credentials: None,
        allow_cleartext_auth: args.route.trust.allow_cleartext_auth,
        timeout: Duration::from_secs(args.route.timeout.max(1)),
        verbose: global.verbose,
        warnings: Vec::new(),
    };
    let relay = args.route.server.is_some() || account.as_ref().is_some_and(|a| a.host.is_some());
    // A spinner for long runs at a terminal; never with -v, whose transcript it would garble.
    let spinner = (outgoing.len() > 1 && !global.verbose && crate::output::stderr_is_terminal())
        .then(|| {
            let spinner = indicatif::ProgressBar::new_spinner()
                .with_message(format!("sending {} messages", outgoing.len()));
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        });
    let reports = if relay {
        relay_delivery(args, account.as_ref(), &mut connector, &outgoing)
    } else {
        direct_delivery(args, account.as_ref(), &mut connector, &outgoing)
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let reports = reports?;
    for warning in &connector.warnings {
        eprintln!("mailkit: warning: {}", escape_line(warning));
    }
    report(&outgoing, &reports, global)
}

/// The EHLO name: the one given (checked so it cannot inject a command), else this host's
/// name when it is fully qualified; `None` lets each connection use its own address literal,
/// as RFC 5321 §4.1.4 asks of hosts without a proper name.
fn ehlo_name(args: &SendArgs) -> anyhow::Result<Option<String>> {
    let Some(name) = &args.route.ehlo else {
        return Ok(gethostname::gethostname()
            .into_string()
            .ok()
            .filter(|n| is_hostname(n) && n.contains('.')));
    };
    if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        crate::bail!(
            Exit::Usage,
            "invalid EHLO name {:?}: it must be one word without control characters",
            escape_line(name)
        );
    }
    Ok(Some(name.clone()))
}

fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Builds every message and its envelope from the flags, before any connection is made, so
/// bad input fails fast with 65 (or 2 for contradictory flags).
fn messages(args: &SendArgs, account: Option<&Account>) -> anyhow::Result<Vec<Outgoing>> {
    let sender = args
        .from
        .clone()
        .or_else(|| account.and_then(|a| a.from.clone()))
        .map(|text| Mailbox::parse(&text).map_err(Failure::from))
        .transpose()?;
    let parse_all = |list: &[String]| {
        list.iter()
            .map(|t| Mailbox::parse(t).map_err(Failure::from))
            .collect::<Result<Vec<_>, _>>()
    };
    let (to, cc) = (parse_all(&args.to)?, parse_all(&args.cc)?);
    let flag_rcpts: Vec<String> = to
        .iter()
        .chain(&cc)
        .chain(&parse_all(&args.bcc)?)
        .map(|m| m.address.clone())
        .collect();
    let dsn = Dsn {
        notify: args.route.notify.clone(),
        ret: args.route.ret.map(|r| match r {
            Ret::Full => "FULL".into(),
            Ret::Hdrs => "HDRS".into(),
        }),
        envid: args.route.envid.clone(),
    };
    if let Some(notify) = &dsn.notify
        && !notify.split(',').all(|w| {
            ["NEVER", "SUCCESS", "FAILURE", "DELAY"].contains(&w.to_ascii_uppercase().as_str())
        })
    {
        crate::bail!(
            Exit::Usage,
            "--notify takes NEVER or a comma list of SUCCESS, FAILURE, DELAY"
        );
    }
    if let Some(envid) = &dsn.envid
        && envid.chars().any(char::is_control)
    {
        crate::bail!(Exit::DataErr, "--envid contains control characters");
    }

    let raw_inputs = raw_inputs(args)?;
    let Some(raws) = raw_inputs else {
        let from = sender.ok_or_else(|| {
            Failure::new(
                Exit::Usage,
                "composing a message needs --from (or an account's from)",
            )
        })?;
        if flag_rcpts.is_empty() {
            crate::bail!(Exit::Usage, "no recipients: give --to, --cc or --bcc");
        }
        let built = draft(args, &from, to, cc)?
            .build(crate::smtp::domain_of(&from.address))
            .map_err(Failure::from)?;
        return Ok(vec![Outgoing {
            payload: Payload::new(&built.bytes),
            envelope: Envelope {
                from: from.address,
                recipients: flag_rcpts,
                dsn,
            },
            message_id: Some(built.message_id),
        }]);
    };
    if args.compose.subject.is_some()
        || args.compose.body.is_some()
        || args.compose.body_file.is_some()
        || args.compose.html_file.is_some()
        || !args.compose.header.is_empty()
        || !args.compose.attach.is_empty()
    {
        crate::bail!(
            Exit::Usage,
            "--subject, --body, --body-file, --html-file, --header and --attach compose a message; they cannot change a raw one"
        );
    }
    let mut out = Vec::with_capacity(raws.len());
    for (index, raw) in raws.into_iter().enumerate() {
        let what = || format!("message {}", index + 1);
        let mut recipients = flag_rcpts.clone();
        let summary = HeaderSummary::parse(&raw);
        let bytes = if args.read_recipients {
            for address in compose::header_recipients(&summary)
                .map_err(Failure::from)
                .with_context(what)?
            {
                if !recipients.contains(&address) {
                    recipients.push(address);
                }
            }
            compose::strip_bcc(&raw)
        } else {
            raw
        };
        if recipients.is_empty() {
            return Err(Failure::new(
                Exit::Usage,
                "no recipients: give --to, --cc, --bcc, or -t to read them from the message",
            ))
            .with_context(what);
        }
        let from = match &sender {
            Some(mailbox) => mailbox.address.clone(),
            None => compose::header_from(&summary)
                .ok_or_else(|| {
                    Failure::new(Exit::DataErr, "no sender: give --from, or a From header")
                })
                .with_context(what)?,
        };
        out.push(Outgoing {
            message_id: summary.message_id,
            payload: Payload::new(&bytes),
            envelope: Envelope {
                from,
                recipients,
                dsn: dsn.clone(),
            },
        });
    }
    Ok(out)
}

/// The raw messages to send, or `None` when composing.
fn raw_inputs(args: &SendArgs) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    if let Some(path) = &args.mbox {
        let Messages::Mbox(mbox) = source::open(&path.to_string_lossy()).map_err(Failure::from)?
        else {
            crate::bail!(
                Exit::DataErr,
                "{} is not an mbox (it does not start with a \"From \" line)",
                path.display()
            );
        };
        let messages = mbox
            .map(|message| message.map(|m| m.bytes.into_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failure::from)?;
        return Ok(Some(messages));
    }
    if args.raw {
        return Ok(Some(vec![read_input(Path::new("-"))?]));
    }
    if args.messages.is_empty() {
        if args.read_recipients {
            crate::bail!(
                Exit::Usage,
                "-t reads a raw message: give a file, `-` or --raw"
            );
        }
        return Ok(None);
    }
    args.messages
        .iter()
        .map(|path| read_input(path))
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = read_input(path)?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::new(
            Exit::DataErr,
            format!(
                "{what} {} is not UTF-8; send it with --attach or as a raw message",
                path.display()
            ),
        )
        .into()
    })
}

/// The message to compose; `to` and `cc` are the flags' mailboxes, parsed once by the caller.
fn draft(
    args: &SendArgs,
    from: &Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
) -> anyhow::Result<Draft> {
    let text = match (&args.compose.body, &args.compose.body_file) {
        (Some(body), _) => body.clone(),
        (None, Some(path)) => read_text(path, "body")?,
        (None, None) if !crate::output::stdin_is_terminal() => read_text(Path::new("-"), "body")?,
        (None, None) => String::new(),
    };
    let headers = args
        .compose
        .header
        .iter()
        .map(|h| match h.split_once(':') {
            Some((name, value)) => Ok((name.trim().to_string(), value.trim().to_string())),
            None => Err(Failure::new(
                Exit::Usage,
                format!("--header {:?} is not \"Name: value\"", escape_line(h)),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Draft {
        from: Some(from.clone()),
        to,
        cc,
        subject: args.compose.subject.clone(),
        text,
        html: args
            .compose
            .html_file
            .as_deref()
            .map(|p| read_text(p, "HTML file"))
            .transpose()?,
        headers,
        attachments: args
            .compose
            .attach
            .iter()
            .map(|p| Attachment::read(p).map_err(Failure::from))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

/// Relay mode: every message through one server (one connection for all of them).
fn relay_delivery(
    args: &SendArgs,
    account: Option<&Account>,
    connector: &mut Connector,
    outgoing: &[Outgoing],
) -> anyhow::Result<Vec<Vec<Report>>> {
    let (host, server_port) = match &args.route.server {
        Some(server) => crate::net::split_server(server)?,
        None => (
            account.and_then(|a| a.host.clone()).unwrap_or_default(),
            None,
        ),
    };
    let port = args
        .route
        .port
        .or(server_port)
        .or_else(|| account.and_then(|a| a.port));
    let mode = args
        .route
        .tls
        .or_else(|| account.and_then(|a| a.tls))
        .unwrap_or(if port == Some(465) {
            TlsMode::Tls
        } else {
            TlsMode::Starttls
        });
    let port = port.unwrap_or(if mode == TlsMode::Tls { 465 } else { 587 });
    connector.tls_mode = mode;
    connector.credentials = credentials(args, account)?;
    let targets: Vec<Target> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|err| Failure::new(Exit::NoHost, format!("cannot resolve {host}: {err}")))
        .with_context(|| format!("connecting to {host}:{port}"))?
        .map(|addr| Target {
            name: host.clone(),
            addr,
        })
        .collect();
    let jobs: Vec<Job<'_>> = outgoing
        .iter()
        .map(|o| Job {
            envelope: &o.envelope,
            payload: &o.payload,
        })
        .collect();
    Ok(deliver::deliver(connector, &targets, &jobs))
}

/// The credentials: user from the flag or the account, secret from the flags' source, else
/// the account's, else a prompt.
fn credentials(args: &SendArgs, account: Option<&Account>) -> anyhow::Result<Option<Credentials>> {
    let Some(user) = args
        .route
        .user
        .clone()
        .or_else(|| account.and_then(|a| a.user.clone()))
    else {
        return Ok(None);
    };
    let source = match args.route.password.source() {
        Some(source) => source,
        None => {
            let from_account = match (args.route.auth, account) {
                (Some(crate::smtp::Mechanism::XOAuth2), Some(a)) => a.oauth_token_source(),
                (_, Some(a)) => a.password_source()?,
                (_, None) => None,
            };
            from_account.unwrap_or(SecretSource::Prompt)
        }
    };
    let mechanism = args.route.auth.or_else(|| {
        account
            .and_then(|a| a.auth.as_deref())
            .and_then(|name| <crate::smtp::Mechanism as clap::ValueEnum>::from_str(name, true).ok())
    });
    let secret = accounts::fetch_secret(&source, &format!("password for {user}"))
        .context("reading the password")?;
    Ok(Some(Credentials {
        user,
        secret,
        mechanism,
    }))
}

/// Direct mode: recipients grouped by domain (one connection per domain for every message),
/// each domain's MX hosts tried in order, each host's addresses in turn.
fn direct_delivery(
    args: &SendArgs,
    account: Option<&Account>,
    connector: &mut Connector,
    outgoing: &[Outgoing],
) -> anyhow::Result<Vec<Vec<Report>>> {
    let options = QueryOptions {
        timeout: Duration::from_secs(args.route.timeout.clamp(1, 10)),
        ..QueryOptions::default()
    };
    let resolver = match &args.route.dns_server {
        Some(server) => Resolver::with_servers(
            vec![parse_server(server).map_err(|e| Failure::new(Exit::Usage, e))?],
            &options,
        ),
        None => Resolver::system(&options)
            .map_err(Failure::from)
            .context("reading the system resolver configuration")?,
    };
    connector.tls_mode = args
        .route
        .tls
        .or_else(|| account.and_then(|a| a.tls))
        .unwrap_or(TlsMode::Opportunistic);
    connector.credentials = credentials(args, account)?;
    let port = args.route.port.unwrap_or(25);

    let envelopes: Vec<&Envelope> = outgoing.iter().map(|o| &o.envelope).collect();
    let domains = deliver::by_domain(&envelopes);

    let mut reports: Vec<Vec<Report>> = outgoing
        .iter()
        .map(|o| {
            let pending = Report {
                outcome: RcptOutcome::new(Status::Deferred, "not attempted".into()),
                host: None,
            };
            vec![pending; o.envelope.recipients.len()]
        })
        .collect();
    for (domain, members) in &domains {
        let settled = |outcome: RcptOutcome, reports: &mut Vec<Vec<Report>>| {
            for (m, indexes) in members {
                for &r in indexes {
                    reports[*m][r] = Report {
                        outcome: outcome.clone(),
                        host: None,
                    };
                }
            }
        };
        let hosts = match resolver.mail_route(domain) {
            Ok(MailRoute::Hosts(hosts)) => hosts,
            Ok(MailRoute::NoSuchDomain) => {
                let mut outcome =
                    RcptOutcome::refused(format!("no such domain {domain} (NXDOMAIN)"));
                outcome.exit = Exit::NoHost;
                settled(outcome, &mut reports);
                continue;
            }
            Ok(MailRoute::NullMx) => {
                let outcome = RcptOutcome::refused(format!(
                    "{domain} does not accept mail (null MX, RFC 7505)"
                ));
                settled(outcome, &mut reports);
                continue;
            }
            Err(err) => {
                let outcome = RcptOutcome {
                    status: Status::Deferred,
                    reply: format!("looking up the MX of {domain}: {err}"),
                    exit: err.exit(),
                };
                settled(outcome, &mut reports);
                continue;
            }
        };
        let targets: Vec<Target> = hosts
            .iter()
            .flat_map(|host| {
                let name = host.name.trim_end_matches('.').to_string();
                host.addresses.iter().map(move |ip| Target {
                    name: name.clone(),
                    addr: SocketAddr::new(*ip, port),
                })
            })
            .collect();
        if connector.verbose {
            let list: Vec<String> = targets
                .iter()
                .map(|t| format!("{} ({})", t.name, t.addr))
                .collect();
            eprintln!("* mail for {domain} goes to: {}", list.join(", "));
        }
        if targets.is_empty() {
            settled(
                RcptOutcome::new(
                    Status::Deferred,
                    format!("no mail host of {domain} has an address"),
                ),
                &mut reports,
            );
            continue;
        }
        let envelopes: Vec<Envelope> = members
            .iter()
            .map(|(m, indexes)| outgoing[*m].envelope.subset(indexes))
            .collect();
        let jobs: Vec<Job<'_>> = members
            .iter()
            .zip(&envelopes)
            .map(|((m, _), envelope)| Job {
                envelope,
                payload: &outgoing[*m].payload,
            })
            .collect();
        let results = deliver::deliver(connector, &targets, &jobs);
        for ((m, indexes), result) in members.iter().zip(results) {
            for (&r, report) in indexes.iter().zip(result) {
                reports[*m][r] = report;
            }
        }
    }
    Ok(reports)
}

/// Severity for the run's exit code: a problem the user must fix outranks one that a retry
/// may solve, which outranks a final refusal.
fn severity(exit: Exit) -> u8 {
    match exit {
        Exit::Success => 0,
        Exit::Unavailable => 1,
        Exit::NoHost => 2,
        Exit::TempFail => 3,
        Exit::Protocol => 4,
        Exit::NoPerm => 5,
        Exit::Config => 6,
        _ => 7,
    }
}

fn message_status(reports: &[Report]) -> &'static str {
    let accepted = reports
        .iter()
        .filter(|r| r.outcome.status == Status::Accepted)
        .count();
    if accepted == reports.len() {
        return "accepted";
    }
    if accepted > 0 {
        return "partial";
    }
    let worst = reports.iter().map(|r| r.outcome.status).max();
    match worst {
        Some(Status::Unknown) => "unknown",
        Some(Status::Deferred) => "deferred",
        _ => "rejected",
    }
}

/// Prints one stderr line per failed recipient, the `--json` documents, and picks the exit.
fn report(
    outgoing: &[Outgoing],
    reports: &[Vec<Report>],
    global: &GlobalArgs,
) -> anyhow::Result<Exit> {
    let mut printer = Printer::stdout(global.json);
    let mut worst = Exit::Success;
    for (message, reports) in outgoing.iter().zip(reports) {
        for (address, report) in message.envelope.recipients.iter().zip(reports) {
            let RcptOutcome {
                status,
                reply,
                exit,
            } = &report.outcome;
            if severity(*exit) > severity(worst) {
                worst = *exit;
            }
            if *status == Status::Accepted {
                continue;
            }
            let via = report
                .host
                .as_deref()
                .map(|h| format!(" via {h}"))
                .unwrap_or_default();
            let id = if outgoing.len() > 1 {
                message
                    .message_id
                    .as_deref()
                    .map(|id| format!(" (message <{id}>)"))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            eprintln!(
                "mailkit: error: delivering to {}{}{}: {status}: {}",
                escape_line(address),
                escape_line(&via),
                escape_line(&id),
                escape_line(reply)
            );
        }
        if printer.is_json() {
            printer.json(&MessageJson {
                message_id: message.message_id.as_deref(),
                status: message_status(reports),
                recipients: message
                    .envelope
                    .recipients
                    .iter()
                    .zip(reports)
                    .map(|(address, r)| RecipientJson {
                        address,
                        status: r.outcome.status,
                        reply: &r.outcome.reply,
                        host: r.host.as_deref(),
                    })
                    .collect(),
            })?;
        }
    }
    printer.flush()?;
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_prefers_what_needs_fixing() {
        let mut codes = [
            Exit::TempFail,
            Exit::Unavailable,
            Exit::NoPerm,
            Exit::Success,
            Exit::NoHost,
        ];
        codes.sort_by_key(|e| severity(*e));
        assert_eq!(
            codes,
            [
                Exit::Success,
                Exit::Unavailable,
                Exit::NoHost,
                Exit::TempFail,
                Exit::NoPerm
            ]
        );
    }
}
