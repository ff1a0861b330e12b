//! `resolve`'s text views: the dig-like reply, the trace, the mail check, batch lines.

use super::*;

/// The dig-like view of one reply.
pub(super) fn print_response(
    out: &mut Printer,
    r: &Response,
    name: &str,
    rtype: RecordType,
) -> io::Result<()> {
    out.line(&format!(
        "; <<>> mailkit resolve <<>> {} {rtype}",
        escape_line(name)
    ))?;
    out.line(&format!(
        ";; ->>HEADER<<- opcode: {}, status: {}, id: {}",
        r.header.opcode, r.header.rcode, r.header.id
    ))?;
    out.line(&format!(
        ";; flags: {}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        r.header.flags.names().join(" "),
        r.question.len(),
        r.answer.len(),
        r.authority.len(),
        r.additional.len()
    ))?;
    if let Some(edns) = &r.edns {
        out.line("")?;
        out.line(";; OPT PSEUDOSECTION:")?;
        out.line(&format!(
            "; EDNS: version: {}, flags:{}; udp: {}",
            edns.version,
            if edns.dnssec_ok { " do" } else { "" },
            edns.udp_size
        ))?;
    }
    out.line("")?;
    out.line(";; QUESTION SECTION:")?;
    for q in &r.question {
        out.line(&format!(";{}\t\t{}\t{}", q.name, q.class, q.rtype))?;
    }
    for (title, records) in [
        ("ANSWER", &r.answer),
        ("AUTHORITY", &r.authority),
        ("ADDITIONAL", &r.additional),
    ] {
        if records.is_empty() {
            continue;
        }
        out.line("")?;
        out.line(&format!(";; {title} SECTION:"))?;
        print_records(out, records, "")?;
    }
    out.line("")?;
    out.line(&format!(
        ";; Query time: {:.3} msec",
        r.elapsed.as_secs_f64() * 1e3
    ))?;
    out.line(&format!(
        ";; SERVER: {} ({}{})",
        r.server,
        r.transport.as_str().to_uppercase(),
        if r.tcp_fallback {
            ", after a truncated UDP answer"
        } else {
            ""
        }
    ))?;
    out.line(&format!(";; MSG SIZE  rcvd: {}", r.size))
}

/// Records as aligned zone-file lines.
pub(super) fn print_records(out: &mut Printer, records: &[Rr], indent: &str) -> io::Result<()> {
    let width = records.iter().map(|rr| rr.name.len()).max().unwrap_or(0);
    let type_width = records.iter().map(|rr| rr.rtype.len()).max().unwrap_or(0);
    for rr in records {
        out.line(&format!(
            "{indent}{:<width$}  {:>6}  {:<2}  {:<type_width$}  {}",
            rr.name, rr.ttl, rr.class, rr.rtype, rr.data
        ))?;
    }
    Ok(())
}

pub(super) fn print_trace_event(out: &mut Printer, event: &TraceEvent) -> io::Result<()> {
    if out.is_json() {
        return out.json(event);
    }
    let ms = event.elapsed.as_secs_f64() * 1e3;
    let server = format!("{} ({})", event.server_name, event.server);
    match (&event.response, &event.error) {
        (_, Some(error)) => out.line(&format!(
            ";; {} asked {server} for zone {}: {} ({ms:.1} ms)",
            event.step,
            event.zone,
            escape_line(error)
        )),
        (Some(r), None) => {
            out.line(&format!(
                ";; {} {server} for zone {} answered {} [{}] in {ms:.1} ms: {}",
                event.step,
                event.zone,
                r.header.rcode,
                r.header.flags.names().join(" "),
                event.kind
            ))?;
            if r.answer.is_empty() {
                // No answer (a referral, NXDOMAIN, NODATA): the authority section and glue.
                let records: Vec<Rr> = r
                    .authority
                    .iter()
                    .chain(
                        r.additional
                            .iter()
                            .filter(|rr| rr.rtype == "A" || rr.rtype == "AAAA"),
                    )
                    .cloned()
                    .collect();
                print_records(out, &records, "   ")?;
            } else {
                print_records(out, &r.answer, "   ")?;
            }
            out.line("")
        }
        (None, None) => Ok(()),
    }
}

pub(super) fn print_check(out: &mut Printer, c: &MailCheck) -> io::Result<()> {
    out.line(&format!("mail routing for {}", c.domain))?;
    match (&c.mx_error, c.mx_status.as_str()) {
        (Some(error), _) => out.line(&format!("  MX lookup failed: {}", escape_line(error)))?,
        (None, status) => out.line(&format!(
            "  MX lookup: {status} from {} in {:.1} ms",
            c.server.map(|s| s.to_string()).unwrap_or_default(),
            c.elapsed.as_secs_f64() * 1e3
        ))?,
    }
    if !c.hosts.is_empty() {
        out.line("  hosts, in the order a sender tries them:")?;
    }
    for (i, host) in c.hosts.iter().enumerate() {
        let label = if host.implicit {
            "implicit MX (no MX record: the domain's own address)".to_string()
        } else {
            format!("MX {}", host.preference)
        };
        out.line(&format!(
            "  {}. {}  {label}, TTL {}",
            i + 1,
            host.name,
            host.ttl
        ))?;
        for addr in &host.addresses {
            out.line(&format!(
                "       {addr}  TTL {}",
                host.address_ttl.map(|t| t.to_string()).unwrap_or_default()
            ))?;
        }
        for finding in &host.findings {
            out.line(&format!("       ! {}", escape_line(&finding.to_string())))?;
        }
    }
    if !c.name_servers.is_empty() {
        out.line(&format!("  name servers of {}:", c.zone))?;
    }
    for ns in &c.name_servers {
        out.line(&format!(
            "    {} {} {}",
            ns.name,
            ns.address
                .map(|a| a.to_string())
                .unwrap_or_else(|| "(no address)".into()),
            escape_line(&ns.status)
        ))?;
    }
    if c.findings.is_empty() {
        out.line("  findings: none")?;
    } else {
        out.line("  findings:")?;
        for finding in &c.findings {
            out.line(&format!("    ! {}", escape_line(&finding.to_string())))?;
        }
    }
    Ok(())
}

/// One `--batch --json` line: the query, then either the reply's status and answers or the
/// error that left it without one.
#[derive(serde::Serialize)]
pub(super) struct BatchLine<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    rtype: String,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<dns::Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a [Rr]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transport: Option<dns::Transport>,
    /// Milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<Exit>,
}

/// One batch line, as text or JSON, without its newline: made on the worker thread that got
/// the reply, so the reply's many small allocations are freed by the thread that made them
/// (freeing them on the printing thread defeated the allocator's per-thread caches) and only
/// the line crosses to the printing thread.
pub(super) fn batch_line(
    json: bool,
    job: &BatchQuery,
    result: &Result<BatchReply, DnsError>,
) -> io::Result<String> {
    if json {
        let answer;
        let rcode;
        let line = match result {
            Ok(r) => {
                answer = r.answer();
                rcode = r.rcode();
                BatchLine {
                    name: &job.name,
                    rtype: job.rtype.to_string(),
                    status: &rcode,
                    outcome: Some(r.outcome()),
                    answer: Some(&answer),
                    server: Some(r.server),
                    transport: Some(r.transport),
                    elapsed: Some((r.elapsed.as_secs_f64() * 1e6).round() / 1e3),
                    error: None,
                    exit: None,
                }
            }
            Err(err) => BatchLine {
                name: &job.name,
                rtype: job.rtype.to_string(),
                status: "ERROR",
                outcome: None,
                answer: None,
                server: None,
                transport: None,
                elapsed: None,
                error: Some(err.to_string()),
                exit: Some(err.kind().exit()),
            },
        };
        return Ok(serde_json::to_string(&line)?);
    }
    let name = escape_line(&job.name);
    match result {
        Ok(r) => {
            let rtype = job.rtype.text();
            let mut line = String::with_capacity(name.len() + 64);
            for part in [&name, "\t", &rtype, "\t", &r.rcode()] {
                line.push_str(part);
            }
            for (record_type, data) in r.answer_data() {
                line.push('\t');
                // A type's text names it alone (a unit test in dns::name checks every code).
                if record_type != job.rtype {
                    line.push_str(&record_type.text());
                    line.push(' ');
                }
                line.push_str(&data);
            }
            Ok(line)
        }
        Err(err) => Ok(format!(
            "{name}\t{}\tERROR\t{}",
            job.rtype,
            escape_line(&err.to_string())
        )),
    }
}
