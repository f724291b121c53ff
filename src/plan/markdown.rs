//! A plan as Markdown, for `$GITHUB_STEP_SUMMARY` and pull request
//! comments: the totals, sends per account and region, then the sends
//! (the first [`MAX_ROWS`]; the JSON plan has them all, and a step summary
//! is capped at 1 MiB).

use std::fmt::Write as _;

use super::Plan;
use super::output::human_seconds;
use crate::diag::markdown::escape;

/// Sends listed at most.
pub const MAX_ROWS: usize = 500;

/// Writes the plan as Markdown.
pub fn render_markdown(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let sm = &plan.overview.summary;
    let st = &plan.overview.settings;
    let mut m = String::from("### ivschat-playbook plan\n\n");
    let _ = writeln!(
        m,
        "Plan `{}`: **{} sends** to {} rooms from {}; at least {} at {}/s per account and region (burst {}, concurrency {}).\n",
        plan.overview.plan_hash,
        sm.sends,
        sm.rooms,
        super::output::playbooks(plan),
        human_seconds(sm.estimated_seconds),
        st.rate,
        st.burst,
        st.concurrency
    );
    if let Some(p) = &sm.largest_payload {
        let _ = writeln!(
            m,
            "Largest payload: {} bytes of 1024 (`{}` to `{}`, send `{}`).\n",
            p.bytes, p.event_name, p.room_name, p.send_id
        );
    }
    m.push_str("| account | region | sends | rooms | time |\n|---|---|---:|---:|---:|\n");
    for r in &sm.regions {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | ~{} |",
            r.account,
            r.region,
            r.sends,
            r.rooms,
            human_seconds(r.estimated_seconds)
        );
    }
    if let Some(t) = &plan.overview.timeline {
        let _ = writeln!(
            m,
            "\nTimeline: anchor `{}` ({}).\n\n| step | at | time | rooms | sends | fan-out | grace |\n|---:|---|---|---:|---:|---:|---:|",
            super::timeline::rfc3339(t.anchor),
            super::output::anchor_words(t.anchor_from)
        );
        for st in &t.steps {
            let [at, time, grace] = super::output::step_cells(st);
            let _ = writeln!(
                m,
                "| {} | {at} | {time} | {} | {} | ~{} | {grace} |",
                st.index + 1,
                st.rooms,
                st.sends,
                human_seconds(st.fanout_seconds),
            );
        }
    }
    m.push_str(
        "\n| # | send id | room | event | bytes | attributes |\n|---:|---|---|---|---:|---|\n",
    );
    for x in plan.sends.iter().take(MAX_ROWS) {
        let attrs: Vec<String> = x
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(
            m,
            "| {} | `{}` | {} ({}) | {} | {} | {} |",
            x.seq,
            x.id,
            escape(&x.room_name),
            x.region,
            escape(&x.event_name),
            x.bytes,
            escape(&attrs.join(", "))
        );
    }
    if plan.sends.len() > MAX_ROWS {
        let _ = writeln!(
            m,
            "\n… and {} more sends (`plan --format json` lists every one).",
            plan.sends.len() - MAX_ROWS
        );
    }
    m.push('\n');
    out.write_all(m.as_bytes())
}
