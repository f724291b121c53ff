//! Timelines end to end, in real seconds (few of them): steps go at their
//! times and never early, by the emulator's delivery record; a run stopped
//! or killed while waiting resumes on the same schedule; a step past its
//! grace is skipped as late and reported, and `--late send` sends it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ivschat_playbook::emulator::DeliveredEvent;
use ivschat_playbook::report::{Report, Status};

use super::{ACCOUNT, command, count, report, run_to, signal, start_emulator, text, wait_for_ends};

/// A countdown to `rooms` rooms in two regions: a welcome at the start,
/// then steps at each of `offsets` (`-4s`), each saying its offset.
fn countdown(dir: &Path, rooms: usize, offsets: &[&str], grace: Option<&str>) -> PathBuf {
    let mut s = String::from("version: 1\nname: countdown\nrooms:\n");
    for i in 0..rooms {
        let region = ["us-west-2", "eu-west-1"][i % 2];
        s.push_str(&format!(
            "  - {{ arn: \"arn:aws:ivschat:{region}:{ACCOUNT}:room/t{i:04}\", name: t{i} }}\n"
        ));
    }
    s.push_str("events:\n  - name: Welcome\n");
    for o in offsets {
        s.push_str(&format!(
            "  - name: Countdown\n    at: \"{o}\"\n    attributes:\n      step: \"{{{{ step.offset }}}}\"\n      msgText: \"Closing in {{{{ step.remaining_seconds }}}} seconds ({{{{ step.at }}}}).\"\n"
        ));
        if let Some(g) = grace {
            s.push_str(&format!("    grace: {g}\n"));
        }
    }
    let p = dir.join("countdown.yaml");
    std::fs::write(&p, s).unwrap();
    p
}

fn time(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).unwrap().to_utc()
}

/// Delivered countdown events by their step's offset.
fn by_step(events: &[DeliveredEvent]) -> HashMap<String, Vec<&DeliveredEvent>> {
    let mut m: HashMap<String, Vec<&DeliveredEvent>> = HashMap::new();
    for e in events.iter().filter(|e| e.event_name == "Countdown") {
        m.entry(e.attributes["step"].clone()).or_default().push(e);
    }
    m
}

/// Each step of the report's timeline: every send of it arrived at the
/// emulator no earlier than the step's time and within 1 s of it.
fn assert_on_time(r: &Report, events: &[DeliveredEvent], rooms: usize) {
    let t = r
        .head
        .timeline
        .as_ref()
        .expect("the report has the timeline");
    let arrived = by_step(events);
    for step in t.steps.iter().filter(|s| s.at.is_some()) {
        let at = step.at.unwrap().to_utc();
        let offset = step.offset.as_deref().unwrap();
        let got = &arrived[offset];
        assert_eq!(got.len(), rooms, "step {offset}: {} arrived", got.len());
        for e in got {
            let when = time(&e.time);
            // The delivery record has milliseconds: "early" is before the
            // step's millisecond.
            assert!(when >= at, "step {offset} arrived early: {when} < {at}");
            assert!(
                when - at < chrono::Duration::seconds(1),
                "step {offset} arrived {} late",
                when - at
            );
            assert_eq!(
                e.attributes["msgText"],
                format!(
                    "Closing in {} seconds ({}).",
                    -step.offset_ms().unwrap() / 1000,
                    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                )
            );
        }
    }
}

/// The millisecond offset of a report step, from its text.
trait OffsetMs {
    fn offset_ms(&self) -> Option<i64>;
}

impl OffsetMs for ivschat_playbook::report::model::StepRun {
    fn offset_ms(&self) -> Option<i64> {
        ivschat_playbook::playbook::model::parse_offset(self.offset.as_deref()?)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_go_at_their_times_in_order_and_never_early() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = countdown(dir.path(), 6, &["-4s", "-2s", "0s"], None);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &[
            "--report",
            "r.json",
            "--report",
            "r.md",
            "--journal",
            "j.jsonl",
        ],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("step 3 (at -2s) begins: 6 sends to 6 rooms"),
        "{err}"
    );
    assert!(err.contains("waiting for step 4 (at 0s) at "), "{err}");
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 24);
    let events = emu.events();
    assert_on_time(&r, &events, 6);
    // Per room, the order follows time: Welcome, then -4s, -2s, 0s.
    let mut per_room: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut sorted: Vec<&DeliveredEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    for e in sorted {
        let what = e.attributes.get("step").map_or("start", String::as_str);
        per_room.entry(&e.room_arn).or_default().push(what);
    }
    for (room, order) in per_room {
        assert_eq!(order, ["start", "-4s", "-2s", "0s"], "{room}");
    }
    // The report's steps: planned time, first and last send.
    let t = r.head.timeline.as_ref().unwrap();
    assert_eq!(t.steps.len(), 4);
    for s in &t.steps {
        assert_eq!(s.counts.get(&Status::Sent), Some(&6), "{s:?}");
        let first = s.first_send_at.expect("first send");
        assert!(s.last_send_at.unwrap() >= first);
        if let Some(at) = s.at {
            assert!(first >= at.to_utc(), "{s:?}");
            assert!((0..1000).contains(&s.began_after_ms.unwrap()), "{s:?}");
        }
    }
    let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    assert!(md.contains("| step | at | due | sends | outcome |"), "{md}");
    assert!(md.contains("| 4 | 0s | "), "{md}");
}

/// `run --resume j.jsonl EXTRA...` to success; its report.
async fn resumed(dir: &Path, url: &str, extra: &[&str], pb: &Path) -> Report {
    let mut args = vec!["--resume", "j.jsonl", "--report", "r2.json"];
    args.extend_from_slice(extra);
    let out = run_to(dir, url, &args, pb).await;
    assert!(out.status.success(), "{}", text(&out));
    report(&dir.join("r2.json"))
}

/// Waits until the journal has `n` end records, then stops the run with
/// `sig`; returns its output.
async fn stop_after(dir: &Path, url: &str, pb: &Path, n: usize, sig: i32) -> std::process::Output {
    let child = command(dir)
        .args(["run", "--endpoint-url", url, "--journal", "j.jsonl"])
        .args(["--report", "r1.json"])
        .arg(pb)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_ends(&dir.join("j.jsonl"), n).await;
    // Now in the wait for the next step, seconds away.
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&child, sig);
    tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("stops promptly")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_stops_cleanly_and_the_resume_keeps_the_times() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let url = emu.endpoint_url();
    let pb = countdown(dir.path(), 4, &["-5s", "0s"], None);
    // The start step and the -5s step: 8 sends; then 5 s of waiting.
    let first = stop_after(dir.path(), &url, &pb, 8, libc::SIGINT).await;
    assert_eq!(first.status.code(), Some(130), "{}", text(&first));
    let r1 = report(&dir.path().join("r1.json"));
    assert!(r1.head.interrupted);
    assert_eq!(count(&r1, Status::Sent), 8);
    assert_eq!(count(&r1, Status::Planned), 4, "the 0s step, not attempted");
    let planned_at = r1.head.timeline.as_ref().unwrap().steps[2].at.unwrap();
    assert!(
        Utc::now() < planned_at.to_utc(),
        "stopped during the wait, before the last step"
    );
    // The resume sends the 0s step at its original time, not at once.
    let r2 = resumed(dir.path(), &url, &[], &pb).await;
    let t2 = r2.head.timeline.as_ref().unwrap();
    assert_eq!(t2.anchor, r1.head.timeline.as_ref().unwrap().anchor);
    assert_eq!(
        t2.anchor_from,
        ivschat_playbook::plan::AnchorSource::Journal
    );
    assert_eq!(count(&r2, Status::Sent), 4);
    assert_eq!(count(&r2, Status::Skipped), 8);
    let events = emu.events();
    assert_eq!(events.len(), 12, "each send delivered once");
    assert_on_time(&r2, &events, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_waiting_the_resume_sends_the_rest_at_their_original_times() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let url = emu.endpoint_url();
    let pb = countdown(dir.path(), 2, &["-5s", "-2s", "0s"], None);
    let first = stop_after(dir.path(), &url, &pb, 4, libc::SIGKILL).await;
    assert_eq!(first.status.code(), None, "killed");
    let r2 = resumed(dir.path(), &url, &[], &pb).await;
    assert_eq!(count(&r2, Status::Sent), 4, "the -2s and 0s steps");
    let events = emu.events();
    assert_eq!(events.len(), 8, "each send delivered once");
    assert_on_time(&r2, &events, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_past_its_grace_is_skipped_as_late_and_late_send_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let url = emu.endpoint_url();
    let pb = countdown(dir.path(), 3, &["-10m", "0s"], Some("30s"));
    // The anchor is 2 minutes ago: -10m is 12 minutes late, 0s 2 minutes,
    // both past their 30 s grace.
    let at = (Utc::now() - chrono::Duration::minutes(2)).to_rfc3339();
    let out = run_to(
        dir.path(),
        &url,
        &[
            "--at",
            &at,
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
            "--report",
            "r.xml",
        ],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("step 2 (at -10m) is 12m00s late, past its grace: its 3 sends to 3 rooms are skipped as late")
            || err.contains("step 2 (at -10m) is 12m01s late"),
        "{err}"
    );
    assert!(err.contains("6 skipped as late were not sent"), "{err}");
    assert!(err.contains("--late send"), "{err}");
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 3, "the start step is never late");
    assert_eq!(count(&r, Status::Late), 6);
    let late: Vec<_> = r
        .sends
        .iter()
        .filter(|s| s.outcome.status == Status::Late)
        .collect();
    assert!(
        late[0]
            .note
            .as_deref()
            .unwrap()
            .contains("could not start within its grace of 30.0s"),
        "{late:?}"
    );
    let steps = &r.head.timeline.as_ref().unwrap().steps;
    assert_eq!(steps[1].counts.get(&Status::Late), Some(&3));
    assert_eq!(steps[1].first_send_at, None, "nothing of it left");
    let junit = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert_eq!(
        junit.matches(r#"<failure type="Late""#).count(),
        6,
        "{junit}"
    );
    assert_eq!(emu.events().len(), 3, "nothing late went out");
    // A resume skips them again (still late) ...
    let again = run_to(dir.path(), &url, &["--resume", "j.jsonl"], &pb).await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert_eq!(emu.events().len(), 3);
    // ... unless told to send them late.
    let r2 = resumed(dir.path(), &url, &["--late", "send"], &pb).await;
    assert_eq!(count(&r2, Status::Sent), 6);
    assert_eq!(emu.events().len(), 9, "each send delivered once");
    let step = &r2.head.timeline.as_ref().unwrap().steps[1];
    assert!(step.began_after_ms.unwrap() > 11 * 60 * 1000, "{step:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_keeps_its_anchor_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let url = emu.endpoint_url();
    let pb = countdown(dir.path(), 1, &["0s"], None);
    let at = (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let out = run_to(
        dir.path(),
        &url,
        &["--at", &at, "--journal", "j.jsonl"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "late: {}", text(&out));
    let other = (Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let out = run_to(
        dir.path(),
        &url,
        &["--resume", "j.jsonl", "--at", &other],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a resumed run keeps its schedule"), "{err}");
    // A wider grace is allowed: it decides whether a late step goes.
    let out = run_to(
        dir.path(),
        &url,
        &["--resume", "j.jsonl", "--grace", "10m"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(emu.events().len(), 2);
}

/// Times and durations out of a line, for comparing a run's output with
/// the documented one.
fn shape(line: &str) -> String {
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\dT[\d:.]+Z").unwrap();
    let secs = regex::Regex::new(r"[+-]\d+\.\d s").unwrap();
    secs.replace_all(&times.replace_all(line, "TIME"), "SECS")
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_countdown_runs_as_written() {
    let root = crate::support::fixtures::root();
    let doc = std::fs::read_to_string(root.join("docs/playbook.md")).unwrap();
    let section = doc
        .split("## Timelines: `at:`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the section");
    let blocks = |lang: &str| -> Vec<String> {
        section
            .split(&format!("```{lang}\n"))
            .skip(1)
            .map(|b| b.split("```").next().unwrap().to_string())
            .collect()
    };
    // The rehearsal shown is the file's.
    let file = std::fs::read_to_string(root.join("playbooks/countdown.yaml")).unwrap();
    let shown = &blocks("yaml")[1];
    assert!(
        file.contains(shown.as_str()),
        "docs show:\n{shown}\nthe file:\n{file}"
    );
    // The command, as written, from a folder holding the playbooks.
    let command_line = blocks("sh")[0].trim().to_string();
    let words: Vec<&str> = command_line.split_whitespace().collect();
    assert_eq!(words[0], "ivschat-playbook");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("playbooks")).unwrap();
    std::fs::write(dir.path().join("playbooks/countdown.yaml"), &file).unwrap();
    let started = std::time::Instant::now();
    let out = command(dir.path())
        .args(&words[1..])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it waits for its steps"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let got: Vec<String> = err.lines().map(shape).collect();
    for line in blocks("text")[0].lines().filter(|l| *l != "...") {
        assert!(
            got.contains(&shape(line)),
            "documented line not printed: {line}\n{err}"
        );
    }
    let md = std::fs::read_to_string(dir.path().join("countdown.md")).unwrap();
    assert!(md.contains("| 3 | 0s | "), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_timeline_keeps_its_countdown_and_sees_every_step_arrive() {
    let root = crate::support::fixtures::root();
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .args([
            "run",
            "--local",
            "--verify",
            "--verify-timeout",
            "3s",
            "--report",
            "r.json",
        ])
        .arg(root.join("playbooks/countdown.yaml"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting for step 3 (at 0s) at "), "{err}");
    assert!(
        err.contains("step 3 (at 0s) begins: 2 sends to 2 rooms"),
        "{err}"
    );
    let r = report(&dir.path().join("r.json"));
    let v = r.head.summary.verify.as_ref().unwrap();
    assert_eq!((v.seen, v.not_seen), (6, 0));
}
