//! Report renderers besides JSON: a human summary (stderr), Markdown (for
//! `$GITHUB_STEP_SUMMARY`) and JUnit XML (for CI test reports).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::build::{self, ReportHead};
use super::model::{SendRecord, Status};

/// The formats a whole report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The JSON report (`schema/report.schema.json`).
    Json,
    /// Markdown, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// JUnit XML, for CI test reports.
    Junit,
}

/// Writes the report of the run at `offset` of `journal` in `format`.
pub fn write(
    format: Format,
    head: &ReportHead,
    journal: &Path,
    offset: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => build::write_json(journal, offset, head, out),
        Format::Markdown => markdown(head, journal, offset, out),
        Format::Junit => junit(head, journal, offset, out),
    }
}

fn count(head: &ReportHead, s: Status) -> usize {
    head.summary.counts.get(&s).copied().unwrap_or(0)
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Sends that were not sent, at most `limit`, for listings: failed and
/// unknown ones, and not attempted ones too when `with_planned`.
fn problems(
    head: &ReportHead,
    journal: &Path,
    offset: u64,
    limit: usize,
    with_planned: bool,
) -> io::Result<(Vec<SendRecord>, usize)> {
    let mut out = Vec::new();
    let mut total = 0;
    build::sends(journal, offset, head, |s| {
        if matches!(
            s.outcome.status,
            Status::Failed | Status::Unknown | Status::Late
        ) || (with_planned && s.outcome.status == Status::Planned)
        {
            total += 1;
            if out.len() < limit {
                out.push(s);
            }
        }
        Ok(())
    })?;
    out.sort_by_key(|s| s.seq);
    Ok((out, total))
}

/// A few lines for people, written to stderr at the end of a run.
pub fn human(head: &ReportHead, journal: &Path, offset: u64) -> io::Result<String> {
    let mut out = totals(head);
    if let Some(t) = &head.timeline {
        super::timeline::human(t, &mut out);
    }
    human_verify(&mut out, head, journal, offset)?;
    let (list, total) = problems(head, journal, offset, 10, false)?;
    for p in &list {
        let _ = writeln!(
            out,
            "  {:<7} {} -> {} ({}): {}",
            p.outcome.status.as_str(),
            p.event_name,
            p.room_name,
            p.id,
            match (&p.outcome.error_code, &p.outcome.error_message, &p.note) {
                (Some(c), Some(m), _) => format!("{c}: {m}"),
                (Some(c), None, _) => c.clone(),
                (None, _, Some(n)) => n.clone(),
                _ => String::new(),
            }
        );
    }
    if total > list.len() {
        let _ = writeln!(
            out,
            "  ... and {} more (see the report)",
            total - list.len()
        );
    }
    let unknown = count(head, Status::Unknown);
    if unknown > 0 {
        let _ = writeln!(
            out,
            "{unknown} with an unknown outcome may have arrived: check the chat, then record it with `ivschat-playbook report resolve {j} --delivered ID...` or `--not-delivered ID...` (a resume then sends those), or resume with --resend-unknown to send them all again.",
            j = shell_word(&journal.display().to_string())
        );
    }
    let retry = count(head, Status::Failed) + count(head, Status::Planned);
    if retry > 0 {
        let _ = writeln!(
            out,
            "To send the {retry} failed or not attempted: {}",
            resume_command(head, journal)
        );
    }
    if super::timeline::has_late(head) {
        let _ = writeln!(
            out,
            "{} skipped as late were not sent: their step could not start within its grace. To send them late anyway: {} --late send",
            count(head, Status::Late),
            resume_command(head, journal)
        );
    }
    Ok(out)
}

/// The summary's first lines: counts, attempts, latency and the peak
/// per second against the quota.
fn totals(head: &ReportHead) -> String {
    let s = &head.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} of {} sends in {:.1}s ({:.1}/s): failed {}, unknown {}, skipped {}, not attempted {}.",
        if head.interrupted {
            "Interrupted:"
        } else {
            "Done:"
        },
        count(head, Status::Sent),
        s.total,
        s.duration_seconds,
        s.achieved_rate,
        count(head, Status::Failed),
        count(head, Status::Unknown),
        count(head, Status::Skipped),
        count(head, Status::Planned),
    );
    if head.timeline.is_some() {
        // The line above ends in a full stop; the late count joins it.
        out.pop();
        out.pop();
        let _ = writeln!(out, ", late {}.", count(head, Status::Late));
    }
    let _ = write!(out, "Attempts {}, throttled {}", s.attempts, s.throttles);
    if let Some(l) = &s.latency_ms {
        let _ = write!(
            out,
            "; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50, l.p90, l.p99, l.max
        );
    }
    out.push_str(".\n");
    if !s.regions.is_empty() {
        let peaks: Vec<String> = s
            .regions
            .iter()
            .map(|r| format!("{} {}/s", r.region, r.peak_per_second))
            .collect();
        let _ = writeln!(
            out,
            "Peak attempts in one second: {} (at most rate {} + burst {} = {} in each account and region; the quota is 100).",
            peaks.join(", "),
            head.settings.rate,
            head.settings.burst,
            head.settings.rate + f64::from(head.settings.burst),
        );
    }
    out
}

/// Sends sent but not seen arriving in chat (`run --verify`), the first
/// `limit` of them, and how many there are.
fn not_seen(
    head: &ReportHead,
    journal: &Path,
    offset: u64,
    limit: usize,
) -> io::Result<(Vec<SendRecord>, usize)> {
    let mut out = Vec::new();
    let mut total = 0;
    if head.summary.verify.as_ref().is_none_or(|v| v.not_seen == 0) {
        return Ok((out, 0));
    }
    build::sends(journal, offset, head, |s| {
        if s.seen == Some(false) {
            total += 1;
            if out.len() < limit {
                out.push(s);
            }
        }
        Ok(())
    })?;
    out.sort_by_key(|s| s.seq);
    Ok((out, total))
}

/// The verify line of the human summary, and the sends not seen.
fn human_verify(
    out: &mut String,
    head: &ReportHead,
    journal: &Path,
    offset: u64,
) -> io::Result<()> {
    let Some(v) = &head.summary.verify else {
        return Ok(());
    };
    let _ = write!(
        out,
        "Seen in chat: {} of {} sent events, not seen {} (watching {} of {} rooms)",
        v.seen, v.checked, v.not_seen, v.rooms, v.of_rooms
    );
    if let Some(l) = &v.latency_ms {
        let _ = write!(
            out,
            "; arrival after the answer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50, l.p99, l.max
        );
    }
    out.push_str(
        ".
",
    );
    let (list, total) = not_seen(head, journal, offset, 10)?;
    for p in &list {
        let _ = writeln!(
            out,
            "  not seen {} -> {} ({}): event id {} did not arrive in {} ms",
            p.event_name,
            p.room_name,
            p.id,
            p.outcome.message_id.as_deref().unwrap_or("?"),
            v.timeout_ms
        );
    }
    if total > list.len() {
        let _ = writeln!(
            out,
            "  ... and {} more not seen (see the report)",
            total - list.len()
        );
    }
    Ok(())
}

/// The command that sends exactly the rest: the same journal, target,
/// variables and playbooks (a resume takes the settings from the journal).
pub fn resume_command(head: &ReportHead, journal: &Path) -> String {
    let mut words = vec![
        "ivschat-playbook".to_string(),
        "run".into(),
        "--resume".into(),
        shell_word(&journal.display().to_string()),
    ];
    if let Some(t) = &head.target {
        words.extend(t.flags().iter().map(|f| shell_word(f)));
    }
    for (k, v) in &head.vars {
        words.push("--var".into());
        words.push(shell_word(&format!("{k}={v}")));
    }
    words.extend(head.playbooks.iter().map(|p| shell_word(&p.path)));
    words.join(" ")
}

/// Markdown, suitable for `$GITHUB_STEP_SUMMARY`.
pub fn markdown(
    head: &ReportHead,
    journal: &Path,
    offset: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let names: Vec<&str> = head.playbooks.iter().map(|p| p.name.as_str()).collect();
    let mut m = String::new();
    let _ = writeln!(m, "## ivschat-playbook run: {}\n", names.join(", "));
    if head.interrupted {
        let _ = writeln!(
            m,
            "**Interrupted** before the end; resume with `run --resume`.\n"
        );
    }
    let _ = writeln!(m, "| status | sends |\n|---|---:|");
    for st in Status::ALL {
        if st == Status::Late && head.timeline.is_none() {
            continue;
        }
        let _ = writeln!(m, "| {} | {} |", st.as_str(), count(head, st));
    }
    let _ = writeln!(m, "| **total** | **{}** |\n", head.summary.total);
    if let Some(t) = &head.timeline {
        super::timeline::markdown(t, &mut m);
    }
    md_pace(&mut m, head);
    let (list, total) = problems(head, journal, offset, 50, true)?;
    md_not_sent(&mut m, &list, total);
    md_verify(&mut m, head, journal, offset)?;
    let _ = writeln!(m, "\nPlan `{}`.", head.plan_hash);
    out.write_all(m.as_bytes())
}

/// How the run went: duration, rate and latency, each account and region,
/// and the errors by code.
fn md_pace(m: &mut String, head: &ReportHead) {
    let s = &head.summary;
    // The limit holds in each account and region; the achieved rate is over
    // all of them, so with several it may well exceed the limit.
    let limit = match s.regions.len() {
        0 | 1 => format!("limit {}/s", head.settings.rate),
        n => format!(
            "over {n} accounts and regions, limit {}/s in each",
            head.settings.rate
        ),
    };
    let _ = writeln!(
        m,
        "Duration {:.1} s, achieved rate {:.1}/s ({limit}), attempts {}, throttled {}.",
        s.duration_seconds, s.achieved_rate, s.attempts, s.throttles
    );
    if let Some(l) = &s.latency_ms {
        let _ = writeln!(
            m,
            "Latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.",
            l.p50, l.p90, l.p99, l.max
        );
    }
    let _ = writeln!(
        m,
        "\n| account | region | sent | attempts | peak/s | limit/s |\n|---|---|---:|---:|---:|---:|"
    );
    for r in &s.regions {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} |",
            r.account, r.region, r.sent, r.attempts, r.peak_per_second, r.limit_per_second
        );
    }
    if !s.errors.is_empty() {
        let _ = writeln!(m, "\n| error | sends |\n|---|---:|");
        for (code, n) in &s.errors {
            let _ = writeln!(m, "| `{code}` | {n} |");
        }
    }
}

/// The sends not sent (the first of `total`), with their error or note.
fn md_not_sent(m: &mut String, list: &[SendRecord], total: usize) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        m,
        "\n### Not sent\n\n| send | room | event | status | error |\n|---|---|---|---|---|"
    );
    for p in list {
        let err = match (&p.outcome.error_code, &p.outcome.error_message) {
            (Some(c), Some(msg)) => format!("`{c}` {}", md_escape(msg)),
            (Some(c), None) => format!("`{c}`"),
            _ => p.note.clone().map(|n| md_escape(&n)).unwrap_or_default(),
        };
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | {} | {} |",
            p.id,
            md_escape(&p.room_name),
            md_escape(&p.event_name),
            p.outcome.status.as_str(),
            err
        );
    }
    if total > list.len() {
        let _ = writeln!(
            m,
            "\n{} more not listed; see the JSON report.",
            total - list.len()
        );
    }
}

/// `run --verify`: seen and not seen, and the sends not seen.
fn md_verify(m: &mut String, head: &ReportHead, journal: &Path, offset: u64) -> io::Result<()> {
    let Some(v) = &head.summary.verify else {
        return Ok(());
    };
    let _ = writeln!(
        m,
        "\n### Seen in chat\n\nWatching {} of {} rooms: {} of {} sent events seen, {} not seen.",
        v.rooms, v.of_rooms, v.seen, v.checked, v.not_seen
    );
    let (list, total) = not_seen(head, journal, offset, 50)?;
    if list.is_empty() {
        return Ok(());
    }
    let _ = writeln!(m, "\n| send | room | event | event id |\n|---|---|---|---|");
    for p in &list {
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | `{}` |",
            p.id,
            md_escape(&p.room_name),
            md_escape(&p.event_name),
            p.outcome.message_id.as_deref().unwrap_or("")
        );
    }
    if total > list.len() {
        let _ = writeln!(
            m,
            "\n{} more not seen; see the JSON report.",
            total - list.len()
        );
    }
    Ok(())
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// JUnit XML: one test case per send; failed sends are failures, and so
/// are sent events not seen arriving (`run --verify`); unknown ones are
/// errors, skipped and not attempted ones skipped.
pub fn junit(
    head: &ReportHead,
    journal: &Path,
    offset: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &head.summary;
    let names: Vec<&str> = head.playbooks.iter().map(|p| p.name.as_str()).collect();
    let suite = xml_escape(&names.join(", "));
    let not_seen_count = s.verify.as_ref().map_or(0, |v| v.not_seen);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="ivschat-playbook" tests="{}" failures="{}" errors="{}" skipped="{}" time="{:.3}">"#,
        s.total,
        count(head, Status::Failed) + count(head, Status::Late) + not_seen_count,
        count(head, Status::Unknown),
        count(head, Status::Skipped) + count(head, Status::Planned),
        s.duration_seconds
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{suite}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{:.3}" timestamp="{}">"#,
        s.total,
        count(head, Status::Failed) + count(head, Status::Late) + not_seen_count,
        count(head, Status::Unknown),
        count(head, Status::Skipped) + count(head, Status::Planned),
        s.duration_seconds,
        head.started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )?;
    build::sends(journal, offset, head, |r| {
        let name = xml_escape(&format!("{} -> {} ({})", r.event_name, r.room_name, r.id));
        let class = xml_escape(&format!("{}.{}", r.playbook, r.region));
        let time = r.latency_ms.unwrap_or(0.0) / 1000.0;
        let err = xml_escape(&format!(
            "{}: {}",
            r.outcome.error_code.as_deref().unwrap_or(""),
            r.outcome.error_message.as_deref().unwrap_or("")
        ));
        match r.outcome.status {
            Status::Sent if r.seen == Some(false) => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}" time="{time:.3}"><failure type="NotSeen" message="sent (event id {}) but not seen arriving in the room's chat"/></testcase>"#,
                xml_escape(r.outcome.message_id.as_deref().unwrap_or(""))
            ),
            Status::Sent => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}" time="{time:.3}"/>"#
            ),
            Status::Failed => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}" time="{time:.3}"><failure type="{}" message="{err}"/></testcase>"#,
                xml_escape(r.outcome.error_code.as_deref().unwrap_or("failed"))
            ),
            Status::Unknown => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}" time="{time:.3}"><error type="unknown" message="outcome unknown: {err}"/></testcase>"#
            ),
            Status::Late => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}"><failure type="Late" message="{}"/></testcase>"#,
                xml_escape(r.note.as_deref().unwrap_or("late"))
            ),
            Status::Skipped | Status::Planned => writeln!(
                out,
                r#"    <testcase classname="{class}" name="{name}"><skipped message="{}"/></testcase>"#,
                xml_escape(r.note.as_deref().unwrap_or(r.outcome.status.as_str()))
            ),
        }
    })?;
    writeln!(out, "  </testsuite>\n</testsuites>")
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}
