//! Timelines in validation and plans: offsets and anchors, the plan's
//! timeline in every format, its warnings, the `step` built-in, and what is
//! refused. Sending on a schedule is in `run::timeline`.

use std::path::Path;

use indexmap::IndexMap;
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::{AnchorSource, Plan, SettingsOverrides};

use crate::support::bin;
use crate::support::fixtures::root;

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2026-12-01T19:00:00+00:00").unwrap()
}

fn plan(paths: &[&Path], flags: SettingsOverrides) -> (Plan, Vec<String>) {
    let paths: Vec<_> = paths.iter().map(|p| p.to_path_buf()).collect();
    let flags = SettingsOverrides {
        now: Some(now()),
        ..flags
    };
    let planned = plan_files(&paths, None, &IndexMap::new(), &flags, true);
    let codes = planned
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    (planned.plan.expect("a plan"), codes)
}

/// The binary with `args`, then `files`, to completion.
fn tool(args: &[&str], files: &[&Path]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .args(files)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const COUNTDOWN: &str = "version: 1
rooms:
  - { arn: \"arn:aws:ivschat:us-west-2:123456789012:room/aaaa\", name: a }
  - { arn: \"arn:aws:ivschat:us-west-2:123456789012:room/bbbb\", name: b }
events:
  - name: RoomClosed
    at: 0s
  - name: SystemMessage
    at: -15m
    attributes: { msgText: \"closes in {{ step.remaining }} minutes, at {{ step.at }}\" }
  - name: Welcome
  - name: SystemMessage
    at: -5m
    grace: 2m
    attributes: { msgText: \"closes in {{ step.remaining }} minutes\" }
";

/// A step as (offset, time, grace, sends).
type Row<'a> = (Option<&'a str>, Option<String>, Option<u64>, usize);

#[test]
fn steps_are_ordered_by_time_and_the_anchor_defaults_to_the_earliest_step_now() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write(dir.path(), "p.yaml", COUNTDOWN);
    let (p, diags) = plan(&[&pb], SettingsOverrides::default());
    assert!(diags.is_empty(), "{diags:?}");
    let t = p.overview.timeline.as_ref().unwrap();
    assert_eq!(t.anchor_from, AnchorSource::EarliestStep);
    // The -15m step starts now: the anchor is 15 minutes on.
    assert_eq!(t.anchor.to_rfc3339(), "2026-12-01T19:15:00+00:00");
    let steps: Vec<Row> = t
        .steps
        .iter()
        .map(|s| {
            (
                s.offset.as_deref(),
                s.at.map(|a| a.to_rfc3339()),
                s.grace_ms,
                s.sends,
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, None, None, 2),
            (
                Some("-15m"),
                Some("2026-12-01T19:00:00+00:00".into()),
                Some(60_000),
                2
            ),
            (
                Some("-5m"),
                Some("2026-12-01T19:10:00+00:00".into()),
                Some(120_000),
                2
            ),
            (
                Some("0s"),
                Some("2026-12-01T19:15:00+00:00".into()),
                Some(60_000),
                2
            ),
        ]
    );
    // Per room, sends follow time, not the order written; templates read
    // the step.
    let a: Vec<(&str, Option<usize>)> = p
        .sends
        .iter()
        .filter(|s| s.room_name == "a")
        .map(|s| (s.event_name.as_str(), s.step))
        .collect();
    assert_eq!(
        a,
        [
            ("Welcome", Some(0)),
            ("SystemMessage", Some(1)),
            ("SystemMessage", Some(2)),
            ("RoomClosed", Some(3))
        ]
    );
    let texts: Vec<&str> = p
        .sends
        .iter()
        .filter(|s| s.room_name == "a" && s.event_name == "SystemMessage")
        .map(|s| s.attributes["msgText"].as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "closes in 15 minutes, at 2026-12-01T19:00:00Z",
            "closes in 5 minutes"
        ]
    );
}

#[test]
fn the_anchor_comes_from_the_flag_over_settings_and_a_wall_clock_is_today() {
    let dir = tempfile::tempdir().unwrap();
    let text = COUNTDOWN.replace(
        "version: 1\n",
        "version: 1\nsettings: { at: \"2026-12-01T21:00:00Z\" }\n",
    );
    let pb = write(dir.path(), "p.yaml", &text);
    let (p, _) = plan(&[&pb], SettingsOverrides::default());
    let t = p.overview.timeline.unwrap();
    assert_eq!(
        (t.anchor.to_rfc3339().as_str(), t.anchor_from),
        ("2026-12-01T21:00:00+00:00", AnchorSource::Settings)
    );
    let flags = SettingsOverrides {
        at: Some(("20:30".into(), AnchorSource::Flag)),
        ..Default::default()
    };
    let (p, _) = plan(&[&pb], flags);
    let t = p.overview.timeline.unwrap();
    assert_eq!(
        (t.anchor.to_rfc3339().as_str(), t.anchor_from),
        ("2026-12-01T20:30:00+00:00", AnchorSource::Flag)
    );
}

#[test]
fn the_schedule_is_part_of_the_plan_hash_and_grace_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write(dir.path(), "p.yaml", COUNTDOWN);
    let (base, _) = plan(&[&pb], SettingsOverrides::default());
    let moved = write(
        dir.path(),
        "q.yaml",
        &COUNTDOWN.replace("at: -5m", "at: -6m"),
    );
    let (other, _) = plan(&[&moved], SettingsOverrides::default());
    assert_ne!(base.overview.plan_hash, other.overview.plan_hash);
    let wider = SettingsOverrides {
        grace_ms: Some(600_000),
        ..Default::default()
    };
    let (graced, _) = plan(&[&pb], wider);
    assert_eq!(base.overview.plan_hash, graced.overview.plan_hash);
    assert_eq!(
        graced.overview.timeline.unwrap().steps[1].grace_ms,
        Some(600_000)
    );
    // Without `at:` anywhere there is no timeline, and nothing changes.
    let plain = write(
        dir.path(),
        "r.yaml",
        "version: 1\nrooms: [\"arn:aws:ivschat:us-west-2:123456789012:room/aaaa\"]\nevents: [{ name: Welcome }]\n",
    );
    let (p, _) = plan(&[&plain], SettingsOverrides::default());
    assert!(p.overview.timeline.is_none());
    assert_eq!(p.sends[0].step, None);
    // `at:` with no value is no `at:`.
    let empty = write(
        dir.path(),
        "s.yaml",
        "version: 1
rooms: [\"arn:aws:ivschat:us-west-2:123456789012:room/aaaa\"]
events:
  - name: Welcome
    at:
",
    );
    let (p, diags) = plan(&[&empty], SettingsOverrides::default());
    assert!(diags.is_empty(), "{diags:?}");
    assert!(p.overview.timeline.is_none());
}

#[test]
fn two_playbooks_with_different_anchors_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(
        dir.path(),
        "one.yaml",
        &COUNTDOWN.replace("version: 1\n", "version: 1\nsettings: { at: \"20:00\" }\n"),
    );
    let two = write(
        dir.path(),
        "two.yaml",
        "version: 1\nsettings: { at: \"21:00\" }\nrooms: [\"arn:aws:ivschat:us-west-2:123456789012:room/cccc\"]\nevents: [{ name: RoomClosed, at: 0s }]\n",
    );
    let out = tool(&["validate"], &[&one, &two]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let code = "playbook::conflicting-anchor";
    assert!(
        err.contains(&format!(
            "error[{code}]: `settings.at` is `21:00` here but `20:00` in an earlier playbook"
        )),
        "{err}"
    );
    assert!(err.contains("two.yaml:2:"), "at the second's `at`: {err}");
    // `--at` decides for both.
    let out = tool(&["plan", "--at", "2099-01-01T00:00:00Z"], &[&one, &two]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn step_is_a_built_in_so_no_variable_may_take_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write(
        dir.path(),
        "p.yaml",
        "version: 1\nvars: { step: 3 }\nrooms: [\"arn:aws:ivschat:us-west-2:123456789012:room/aaaa\"]\nevents: [{ name: Welcome }]\n",
    );
    let out = tool(&["validate"], &[&pb]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid-variable-name"));
    let out = tool(
        &["plan", "--var", "step=1"],
        &[&root().join("playbooks/countdown.yaml")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`step` is a built-in"));
    // An event without `at:` has no step to read.
    let pb = write(
        dir.path(),
        "q.yaml",
        "version: 1\nrooms: [\"arn:aws:ivschat:us-west-2:123456789012:room/aaaa\"]\nevents: [{ name: Welcome, attributes: { t: \"{{ step.remaining }}\" } }]\n",
    );
    let out = tool(&["validate"], &[&pb]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("undefined variable `step.remaining`"), "{err}");
    assert!(
        err.contains("step.at, step.remaining"),
        "the hint names them: {err}"
    );
}

#[test]
fn the_plan_shows_the_timeline_in_every_format() {
    let pb = root().join("playbooks/countdown.yaml");
    let run = |format: &str| {
        let out = tool(
            &["plan", "--at", "2099-12-01T20:00:00Z", "--format", format],
            &[&pb],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(
        table.contains("Timeline: anchor 2099-12-01T20:00:00Z (from --at)"),
        "{table}"
    );
    assert!(
        table.contains(
            "     1  -4s       2099-12-01T19:59:56Z            2        2     ~0.0s  1m00s"
        ),
        "{table}"
    );
    let md = run("markdown");
    assert!(
        md.contains("| 3 | 0s | 2099-12-01T20:00:00Z | 2 | 2 | ~0.0s | 10.0s |"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["timeline"]["anchor_from"], "flag");
    assert_eq!(json["timeline"]["steps"][2]["grace_ms"], 10_000);
    assert_eq!(json["sends"][1]["step"], 1);
}

#[test]
fn the_fan_out_of_a_step_is_its_sends_at_the_rate() {
    // 5,000 rooms at 100/s: 50 s (the burst of 1 goes at once).
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("version: 1\nsettings: { rate: 100 }\nrooms:\n");
    for i in 0..5000 {
        s.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/r{i:05}\n"
        ));
    }
    s.push_str("events:\n  - { name: A, at: -30s }\n  - { name: B, at: 0s }\n");
    let pb = write(dir.path(), "p.yaml", &s);
    let (p, diags) = plan(&[&pb], SettingsOverrides::default());
    let t = p.overview.timeline.unwrap();
    assert_eq!(t.steps[0].fanout_seconds, 49.99);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].starts_with("playbook::step-overlap: step at -30s: its 5000 sends to 5000 rooms take about 50.0 s at 100/s per account and region, longer than the 30 s until step at 0s begins"), "{diags:?}");
}

#[test]
fn a_steps_sends_rendered_alone_are_the_plans_with_the_same_ids_and_places() {
    // The same event and text in two steps and twice in one: ids tell them
    // apart, and a step rendered alone (as a run does) gets the same ids
    // and seq as the whole plan.
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("version: 1\nrooms:\n");
    for i in 0..5 {
        s.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/r{i}\n"
        ));
    }
    s.push_str(
        "events:\n  - { name: Tick, at: -2s, attributes: { t: same } }\n  - { name: Hello }\n  - { name: Tick, at: 0s, attributes: { t: same } }\n  - { name: Tick, at: -2s, attributes: { t: same } }\n",
    );
    let pb = write(dir.path(), "p.yaml", &s);
    let flags = SettingsOverrides {
        now: Some(now()),
        ..Default::default()
    };
    let scanned =
        ivschat_playbook::pipeline::scan_files(&[pb], None, &IndexMap::new(), &flags, |_| {});
    assert!(!scanned.has_errors(), "{:?}", scanned.diagnostics);
    let plan = scanned.plan;
    let steps = plan.overview.timeline.as_ref().unwrap().steps.len();
    assert_eq!(steps, 3);
    let mut ids = std::collections::HashSet::new();
    for room in plan.rooms() {
        let all = plan.room_sends(room);
        assert_eq!(all.len(), 4);
        let mut alone = Vec::new();
        for step in 0..steps {
            alone.extend(plan.room_step_sends(room, step));
        }
        let key = |v: &[ivschat_playbook::plan::PlannedSend]| {
            v.iter()
                .map(|s| (s.id.clone(), s.seq, s.step))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&all), key(&alone));
        ids.extend(all.into_iter().map(|s| s.id));
    }
    assert_eq!(ids.len(), 20, "every send has its own id");
}
