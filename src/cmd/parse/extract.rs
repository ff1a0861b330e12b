//! `parse --extract DIR`: every attachment of a message saved under a safe, unused name.

use super::*;

/// `--extract --json`: one document per saved file.
#[derive(Serialize)]
pub(super) struct Saved<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    filename: Option<&'a str>,
    path: String,
    size: u64,
}

pub(super) fn extract(
    out: &mut Sink,
    message: &Inspected<'_>,
    dir: &Path,
    raw: &RawMessage,
) -> anyhow::Result<Exit> {
    let attachments = message.attachments();
    for attachment in &attachments {
        let fallback = format!(
            "part-{}.{}",
            attachment.id,
            extension(&attachment.content_type)
        );
        let name = names::safe_name(attachment.filename.as_deref().unwrap_or(""), &fallback);
        let (path, size) = names::save(dir, &name, |file| {
            message.write_part(&attachment.id, file).unwrap_or(Ok(0))
        })
        .map_err(|err: SaveError| Failure::from(err))
        .with_context(|| format!("extracting part {} of {}", attachment.id, label(raw)))?;
        let shown = path.display().to_string();
        if out.is_json() {
            out.json(&Saved {
                source: &raw.source,
                index: raw.index,
                part: &attachment.id,
                filename: attachment.filename.as_deref(),
                path: shown,
                size,
            })?;
        } else {
            out.line(&format!("{}\t{}", attachment.id, escape_line(&shown)))?;
        }
    }
    Ok(Exit::Success)
}

/// A file extension for a part without a name, from its content type.
pub(super) fn extension(content_type: &str) -> &'static str {
    match content_type {
        "text/plain" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "message/rfc822" | "message/global" => "eml",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        _ => "bin",
    }
}
