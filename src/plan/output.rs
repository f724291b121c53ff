//! A plan for people (a table) and for programs (JSON).

use super::Plan;
use super::*;
use serde::Serialize;
use std::fmt::Write as _;

/// Writes the plan as a table for people.
pub fn render_table(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = String::new();
    let w = Widths::of(&plan.sends);
    let _ = writeln!(
        s,
        "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  ATTRIBUTES",
        "#",
        "SEND ID",
        "REGION",
        "ROOM",
        "EVENT",
        "BYTES",
        region_w = w.region,
        rooms_w = w.rooms,
        event_w = w.event,
    );
    for x in &plan.sends {
        send_row(&mut s, x, &w);
        if s.len() > 64 * 1024 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    summary_lines(&mut s, plan, w.region);
    out.write_all(s.as_bytes())
}

/// Widths of the table's columns that fit their contents.
struct Widths {
    region: usize,
    rooms: usize,
    event: usize,
}

impl Widths {
    fn of(sends: &[PlannedSend]) -> Self {
        let rooms = sends
            .iter()
            .map(|x| x.room_name.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 32);
        let event = sends
            .iter()
            .map(|x| x.event_name.chars().count())
            .max()
            .unwrap_or(5)
            .clamp(5, 32);
        let region = sends
            .iter()
            .map(|x| x.region.len())
            .max()
            .unwrap_or(6)
            .max(6);
        Widths {
            region,
            rooms,
            event,
        }
    }
}

/// One send's line: names shortened to their column, attributes on one line.
fn send_row(s: &mut String, x: &PlannedSend, w: &Widths) {
    let attrs: Vec<String> = x
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={}", shorten(&v.replace('\n', "\\n"), 60)))
        .collect();
    let _ = writeln!(
        s,
        "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  {}",
        x.seq + 1,
        x.id,
        x.region,
        shorten(&x.room_name, w.rooms),
        shorten(&x.event_name, w.event),
        x.bytes,
        attrs.join(" "),
        region_w = w.region,
        rooms_w = w.rooms,
        event_w = w.event,
    );
}

/// The lines after the table: totals, per account and region, the largest
/// payload and the estimated duration.
fn summary_lines(s: &mut String, plan: &Plan, region_w: usize) {
    let sm = &plan.overview.summary;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Plan {}: {} sends to {} rooms from {}",
        plan.overview.plan_hash,
        sm.sends,
        sm.rooms,
        playbooks(plan)
    );
    let _ = writeln!(s, "By account and region:");
    for r in &sm.regions {
        let _ = writeln!(
            s,
            "  {} {:<region_w$}  {:>7} sends  {:>6} rooms  ~{}",
            r.account,
            r.region,
            r.sends,
            r.rooms,
            human_seconds(r.estimated_seconds)
        );
    }
    if let Some(p) = &sm.largest_payload {
        let _ = writeln!(
            s,
            "Largest payload: {} bytes of 1024 ({} to {}, send {})",
            p.bytes, p.event_name, p.room_name, p.send_id
        );
    }
    let st = &plan.overview.settings;
    let _ = writeln!(
        s,
        "Estimated duration: at least {} at {}/s per account and region (burst {}, concurrency {})",
        human_seconds(sm.estimated_seconds),
        st.rate,
        st.burst,
        st.concurrency
    );
    if let Some(t) = &plan.overview.timeline {
        timeline_lines(s, t);
    }
}

/// The timeline after the summary: the anchor, then a line per step with
/// its time, rooms, sends, fan-out time and grace.
fn timeline_lines(s: &mut String, t: &Timeline) {
    let _ = writeln!(
        s,
        "Timeline: anchor {} ({})",
        timeline::rfc3339(t.anchor),
        anchor_words(t.anchor_from)
    );
    let _ = writeln!(
        s,
        "  {:>4}  {:<8}  {:<25}  {:>6}  {:>7}  {:>8}  GRACE",
        "STEP", "AT", "TIME", "ROOMS", "SENDS", "FAN-OUT"
    );
    for st in &t.steps {
        let [at, time, grace] = step_cells(st);
        let _ = writeln!(
            s,
            "  {:>4}  {at:<8}  {time:<25}  {:>6}  {:>7}  {:>8}  {grace}",
            st.index + 1,
            st.rooms,
            st.sends,
            format!("~{}", human_seconds(st.fanout_seconds)),
        );
    }
}

/// A step's offset, time and grace as the plan's tables show them.
pub(super) fn step_cells(st: &Step) -> [String; 3] {
    [
        st.offset.clone().unwrap_or_else(|| "start".into()),
        st.at
            .map_or("when the run starts".into(), timeline::rfc3339),
        st.grace_ms
            .map_or("-".into(), |g| human_seconds(g as f64 / 1000.0)),
    ]
}

/// Where a timeline's anchor came from, in words.
pub(super) fn anchor_words(from: AnchorSource) -> &'static str {
    match from {
        AnchorSource::Flag => "from --at",
        AnchorSource::Settings => "from settings.at",
        AnchorSource::Journal => "from the journal being resumed",
        AnchorSource::EarliestStep => "none given: the earliest step starts now",
    }
}

/// `1 playbook`, `3 playbooks`.
pub(super) fn playbooks(plan: &Plan) -> String {
    match plan.overview.playbooks.len() {
        1 => "1 playbook".into(),
        n => format!("{n} playbooks"),
    }
}

pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub(super) fn human_seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    }
}

/// Writes the plan as JSON: the head indented, then one send per line, which
/// keeps large plans fast to write and easy to grep.
pub fn write_json(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    write_json_head(plan.format_version, &plan.overview, out)?;
    let mut line = Vec::with_capacity(1024);
    for (i, s) in plan.sends.iter().enumerate() {
        send_line(&mut line, i == 0, s)?;
        out.write_all(&line)?;
    }
    write_json_tail(plan.sends.is_empty(), out)
}

/// [`write_json`] of a scanned plan without errors, its sends rendered
/// again and written one by one as they come: the same bytes, without
/// holding 100,000 sends (which took 130 MB) to write them after the head,
/// which needs all of them.
pub fn write_json_scanned(plan: &ScannedPlan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    write_json_head(FORMAT_VERSION, &plan.overview, out)?;
    let mut written = 0usize;
    let mut failed = None;
    let mut line = Vec::with_capacity(1024);
    plan.for_each_send(|s| {
        if failed.is_some() {
            return;
        }
        let written_line =
            send_line(&mut line, written == 0, s).and_then(|()| out.write_all(&line));
        match written_line {
            Ok(()) => written += 1,
            Err(e) => failed = Some(e),
        }
    });
    match failed {
        Some(e) => Err(e),
        None => write_json_tail(written == 0, out),
    }
}

/// Everything before the sends, and the opening of their list.
fn write_json_head(
    format_version: u32,
    overview: &PlanOverview,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    pub(super) struct Head<'a> {
        format_version: u32,
        plan_hash: &'a str,
        playbooks: &'a [PlanPlaybook],
        settings: &'a EffectiveSettings,
        summary: &'a PlanSummary,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeline: Option<&'a Timeline>,
    }
    let head = Head {
        format_version,
        plan_hash: &overview.plan_hash,
        playbooks: &overview.playbooks,
        settings: &overview.settings,
        summary: &overview.summary,
        timeline: overview.timeline.as_ref(),
    };
    let mut text = serde_json::to_vec_pretty(&head)?;
    // Reopen the object to append the sends.
    while let Some(b) = text.pop() {
        if b == b'}' {
            break;
        }
    }
    while text.last().is_some_and(u8::is_ascii_whitespace) {
        text.pop();
    }
    out.write_all(&text)?;
    out.write_all(b",\n  \"sends\": [")
}

/// One send's line, in `line`: serialized into a buffer and then written,
/// since serde_json writing token by token through `dyn Write` took a
/// fifth of the time.
fn send_line(line: &mut Vec<u8>, first: bool, s: &impl Serialize) -> std::io::Result<()> {
    line.clear();
    line.extend_from_slice(if first { b"\n    " } else { b",\n    " });
    serde_json::to_writer(&mut *line, s)?;
    Ok(())
}

fn write_json_tail(empty: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(if empty { b"]\n}\n" } else { b"\n  ]\n}\n" })
}
