//! `mailkit resolve`: flags -> `dns` -> Printer. Every view (dig-like text, short, JSON,
//! trace, mail-routing check, batch) is rendered here; the queries are the dns module's.

use std::{fs, io, net::SocketAddr, time::Duration};

use anyhow::Context;

mod print;

use print::*;

use crate::{
    cli::{GlobalArgs, resolve::ResolveArgs},
    dns::{
        self, BatchQuery, BatchReply, DnsError, MailCheck, QueryOptions, RecordType, Resolver,
        Response, Rr, TraceEvent,
    },
    exit::{self, Exit, Failure, Kind},
    output::{self, Printer, Transcript, escape_line},
};

/// Runs `mailkit resolve`.
pub fn run(args: &ResolveArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let plan = Plan::from_args(args)?;
    let options = QueryOptions {
        timeout: Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                usage(format!(
                    "--timeout {} is not a positive number",
                    args.timeout
                ))
            })?,
        attempts: args.attempts,
        tcp: args.tcp,
        recursion: !args.norecurse && !args.trace,
    };
    let mut out = Printer::stdout(global.json);
    if args.trace {
        let hints = dns::RootHints::load(args.root_hints.as_deref()).map_err(usage_or_input)?;
        let name = plan.name.as_deref().unwrap_or(".");
        let exit = trace(&mut out, name, plan.types[0], &hints, &options)?;
        out.flush()?;
        return Ok(exit);
    }
    let resolver = if plan.servers.is_empty() {
        Resolver::system(&options).context("finding the system's DNS servers")?
    } else {
        Resolver::with_servers(plan.servers, &options)
    };
    let resolver = resolver.with_diagnostics(Transcript::stderr(global.verbose));
    let exit = if let Some(path) = &args.batch {
        batch(&mut out, &resolver, path, &plan.types, args.concurrency)?
    } else if args.check {
        let name = plan
            .name
            .as_deref()
            .ok_or_else(|| usage("--check needs a domain"))?;
        check(&mut out, &resolver, name)?
    } else {
        let name = plan
            .name
            .as_deref()
            .ok_or_else(|| usage("no name to resolve (try: mailkit resolve example.org MX)"))?;
        queries(&mut out, &resolver, name, &plan.types, args.short)?
    };
    out.flush()?;
    Ok(exit)
}

/// The positional words sorted into servers, name and types.
struct Plan {
    servers: Vec<SocketAddr>,
    name: Option<String>,
    types: Vec<RecordType>,
}

impl Plan {
    fn from_args(args: &ResolveArgs) -> anyhow::Result<Plan> {
        let mut servers = Vec::new();
        for text in &args.servers {
            servers.push(dns::parse_server(text).map_err(usage)?);
        }
        let mut name = args.reverse.map(dns::reverse_name);
        let mut types = Vec::new();
        for word in &args.args {
            if let Some(server) = word.strip_prefix('@') {
                servers.push(dns::parse_server(server).map_err(usage)?);
            } else if name.is_none() && args.batch.is_none() {
                name = Some(word.clone());
            } else {
                types.push(word.parse::<RecordType>().map_err(usage)?);
            }
        }
        if types.is_empty() {
            types.push(if args.reverse.is_some() {
                RecordType::PTR
            } else if args.check {
                RecordType::MX
            } else {
                RecordType::A
            });
        }
        if args.trace && types.len() > 1 {
            return Err(usage("--trace follows one record type"));
        }
        if args.check && types != [RecordType::MX] {
            return Err(usage("--check explains MX routing; give no other type"));
        }
        Ok(Plan {
            servers,
            name,
            types,
        })
    }
}

/// The exit code of one lookup's result.
fn exit_of(kind: Option<Kind>) -> Exit {
    kind.map_or(Exit::Success, Kind::exit)
}

fn usage(text: impl Into<String>) -> anyhow::Error {
    Failure::new(Kind::Usage, text.into()).into()
}

fn usage_or_input(err: dns::HintsError) -> anyhow::Error {
    Failure::new(err.kind(), err).into()
}

/// One query per type; errors are reported as they happen and the worst status wins.
fn queries(
    out: &mut Printer,
    resolver: &Resolver,
    name: &str,
    types: &[RecordType],
    short: bool,
) -> anyhow::Result<Exit> {
    let mut worst = Exit::Success;
    for (i, &rtype) in types.iter().enumerate() {
        match resolver.query(name, rtype) {
            Ok(response) => {
                worst = exit::worst([worst, exit_of(response.kind())]);
                if out.is_json() {
                    out.json(&response)?;
                } else if short {
                    for rr in &response.answer {
                        out.line(&rr.data)?;
                    }
                } else {
                    if i > 0 {
                        out.line("")?;
                    }
                    print_response(out, &response, name, rtype)?;
                }
            }
            Err(err) => {
                worst = exit::worst([worst, report(&format!("querying {name} {rtype}"), err)?]);
            }
        }
    }
    Ok(worst)
}

/// An error that does not stop the run, in the same one-line form `main` uses; its exit code
/// is returned for the worst status. A usage error does stop the run: it is returned instead.
fn report(what: &str, err: DnsError) -> anyhow::Result<Exit> {
    let exit = err.kind().exit();
    if exit == Exit::Usage {
        return Err(Failure::from(err).into());
    }
    let err = anyhow::Error::new(Failure::from(err)).context(what.to_string());
    output::error(&crate::exit::one_line(&err));
    Ok(exit)
}

/// `--trace`: each step as it happens (text), or one JSON line per step.
fn trace(
    out: &mut Printer,
    name: &str,
    rtype: RecordType,
    hints: &dns::RootHints,
    options: &QueryOptions,
) -> anyhow::Result<Exit> {
    let mut printed: io::Result<()> = Ok(());
    let result = dns::trace(name, rtype, hints, options, |event| {
        if printed.is_ok() {
            printed = print_trace_event(out, event);
        }
    });
    printed?;
    match result {
        Ok(outcome) => Ok(exit_of(outcome.kind())),
        Err(err) => report(&format!("tracing {name} {rtype}"), err),
    }
}

/// `--check`: the mail-routing view.
fn check(out: &mut Printer, resolver: &Resolver, domain: &str) -> anyhow::Result<Exit> {
    let report = resolver
        .check_mail(domain)
        .map_err(Failure::from)
        .with_context(|| format!("checking mail routing for {domain}"))?;
    if out.is_json() {
        out.json(&report)?;
    } else {
        print_check(out, &report)?;
    }
    Ok(report.exit)
}

/// `--batch`: the names of a file or stdin, resolved concurrently, printed in input order.
fn batch(
    out: &mut Printer,
    resolver: &Resolver,
    path: &std::path::Path,
    default_types: &[RecordType],
    concurrency: u32,
) -> anyhow::Result<Exit> {
    let text = if path.as_os_str() == "-" {
        io::read_to_string(io::stdin()).context("reading names from stdin")?
    } else {
        let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        String::from_utf8(bytes)
            .map_err(|_| Failure::new(Kind::BadInput, "the file is not UTF-8 text"))
            .with_context(|| format!("reading {}", path.display()))?
    };
    let mut jobs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let types: Vec<RecordType> = words
            .map(|w| w.parse::<RecordType>())
            .collect::<Result<_, _>>()
            .map_err(|err| Failure::new(Kind::BadInput, err))
            .with_context(|| format!("{} line {}", path.display(), number + 1))?;
        let types = if types.is_empty() {
            default_types.to_vec()
        } else {
            types
        };
        for rtype in types {
            jobs.push(BatchQuery {
                name: name.to_string(),
                rtype,
            });
        }
    }
    let mut worst = Exit::Success;
    let mut printed: io::Result<()> = Ok(());
    let json = out.is_json();
    let render = |job: &BatchQuery, result: Result<BatchReply, DnsError>| {
        let exit = match &result {
            Ok(r) => exit_of(r.outcome().kind()),
            Err(err) => err.kind().exit(),
        };
        (exit, batch_line(json, job, &result))
    };
    resolver.batch(&jobs, concurrency as usize, render, |(exit, line)| {
        worst = exit::worst([worst, exit]);
        if printed.is_ok() {
            printed = line.and_then(|line| out.line(&line));
        }
    });
    printed?;
    Ok(worst)
}
