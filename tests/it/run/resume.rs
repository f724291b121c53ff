//! Resuming: from the journal of a killed run, from a report, and not
//! from a plan that changed.

use std::collections::HashSet;

use ivschat_playbook::emulator::{self, FaultConfig};
use ivschat_playbook::report::Status;

use super::{
    ACCOUNT, command, count, deliveries, journal_state, key, report, run_to, signal,
    start_emulator, text, wait_for_ends, write_playbook,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_then_resumed_delivers_the_plan_with_duplicates_only_from_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 30, &["us-west-2", "eu-west-1"], 2, 100);
    let journal_path = dir.path().join("j.jsonl");
    // Latency keeps several sends in flight at any moment (25/s × 0.3 s).
    emu.set_faults(FaultConfig {
        latency_ms: 300,
        jitter_ms: 100,
        ..Default::default()
    })
    .unwrap();
    let mut child = command(dir.path())
        .args([
            "run",
            "--rate",
            "25",
            "--journal",
            "j.jsonl",
            "--endpoint-url",
            &emu.endpoint_url(),
        ])
        .arg(&pb)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_ends(&journal_path, 10).await;
    signal(&child, libc::SIGKILL);
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    let (started, ended) = journal_state(&journal_path);
    let in_flight: HashSet<String> = started.difference(&ended).cloned().collect();
    assert!(ended.len() < 60, "the run finished before it was killed");
    assert!(!in_flight.is_empty(), "nothing was in flight at the kill");

    // The killed run wrote no report; one can be rebuilt from its journal.
    let out = command(dir.path())
        .args(["report", "j.jsonl", "--report", "r0.json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no finish record"));
    let r0 = report(&dir.path().join("r0.json"));
    assert!(r0.head.interrupted);
    assert_eq!(count(&r0, Status::Unknown), in_flight.len());
    // The sends the killed run never reached are counted too: not
    // attempted, and every count adds up to the plan's total.
    let counted: usize = r0.head.summary.counts.values().sum();
    assert_eq!(
        counted, r0.head.summary.total,
        "every planned send is counted"
    );
    assert_eq!(
        count(&r0, Status::Planned),
        r0.head.summary.total - ended.len() - in_flight.len()
    );
    // ...and listed, each once: the report has every send of the plan.
    assert_eq!(r0.sends.len(), r0.head.summary.total);
    let ids: HashSet<&str> = r0.sends.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), r0.head.summary.total);
    assert_eq!(
        r0.sends
            .iter()
            .filter(|s| s.outcome.error_code.as_deref() == Some("InFlight"))
            .count(),
        in_flight.len()
    );

    // Resume without --resend-unknown: what was in flight is left alone.
    emu.set_faults(FaultConfig::default()).unwrap();
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--resume", "j.jsonl", "--report", "r1.json"],
        &pb,
    )
    .await;
    let r1 = report(&dir.path().join("r1.json"));
    assert_eq!(r1.head.summary.total, 60);
    assert_eq!(count(&r1, Status::Skipped), ended.len(), "{}", text(&out));
    assert_eq!(count(&r1, Status::Unknown), in_flight.len());
    assert_eq!(
        count(&r1, Status::Sent) + count(&r1, Status::Planned),
        60 - ended.len() - in_flight.len()
    );
    // What is held back follows an unknown send in the same room.
    let unknown_rooms: HashSet<&str> = r1
        .sends
        .iter()
        .filter(|s| s.outcome.status == Status::Unknown)
        .map(|s| s.room_arn.as_str())
        .collect();
    for s in r1
        .sends
        .iter()
        .filter(|s| s.outcome.status == Status::Planned)
    {
        assert!(
            unknown_rooms.contains(s.room_arn.as_str()),
            "{} held back for no reason",
            s.id
        );
    }
    assert_eq!(
        out.status.code(),
        Some(if in_flight.is_empty() { 0 } else { 1 }),
        "{}",
        text(&out)
    );
    for s in r1
        .sends
        .iter()
        .filter(|s| s.outcome.status == Status::Unknown)
    {
        assert!(in_flight.contains(&s.id));
        assert!(s.note.as_deref().unwrap().contains("--resend-unknown"));
    }
    let events = emu.events();
    let by_key = deliveries(&events);
    assert!(
        by_key.values().all(|d| d.len() == 1),
        "nothing delivered twice yet"
    );

    // Resume again, re-sending the unknown ones: now the plan is complete.
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &[
            "--resume",
            "j.jsonl",
            "--resend-unknown",
            "--report",
            "r2.json",
        ],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let r2 = report(&dir.path().join("r2.json"));
    let events = emu.events();
    let by_key = deliveries(&events);
    assert_eq!(by_key.len(), 60, "every planned send arrived");
    for s in &r2.sends {
        let n = by_key[&key(&s.room_arn, &s.event_name)].len();
        if in_flight.contains(&s.id) {
            assert!(n == 1 || n == 2, "{}: {n}", s.id);
        } else {
            assert_eq!(
                n, 1,
                "{} was not in flight at the kill but arrived {n} times",
                s.id
            );
        }
    }
    let dupes = by_key.values().filter(|d| d.len() > 1).count();
    assert!(dupes <= in_flight.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_a_changed_plan_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 1, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--journal", "j.jsonl"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    // Add an event: the plan changes.
    let text_before = std::fs::read_to_string(&pb).unwrap();
    std::fs::write(&pb, format!("{text_before}  - name: Extra\n")).unwrap();
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--resume", "j.jsonl"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the plan changed"));
    assert_eq!(emu.events().len(), 3);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--resume", "j.jsonl", "--force", "--report", "r.json"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(
        count(&r, Status::Skipped),
        3,
        "unchanged sends keep their ids"
    );
    assert_eq!(count(&r, Status::Sent), 3);
    assert_eq!(emu.events().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_from_a_report_sends_what_failed_and_reports_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // Rooms do not exist yet: every first event fails, second ones wait.
    let emu = start_emulator(false, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--report", "r1.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--resume"),
        "the summary says how to resume"
    );
    for i in 0..3 {
        emu.add_room(emulator::RoomSeed::Arn(format!(
            "arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r{i:05}"
        )))
        .unwrap();
    }
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &[
            "--resume",
            "r1.json",
            "--journal",
            "j2.jsonl",
            "--format",
            "markdown",
        ],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## ivschat-playbook run: test"), "{md}");
    assert!(md.contains("| sent | 6 |"), "{md}");
    let events = emu.events();
    assert_eq!(events.len(), 6);
    let by_key = deliveries(&events);
    for i in 0..3 {
        let arn = format!("arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r{i:05}");
        assert!(
            by_key[&key(&arn, "E0")][0].seq < by_key[&key(&arn, "E1")][0].seq,
            "order kept across the resume"
        );
    }
    // The same run, rebuilt from its journal in other formats.
    let out = command(dir.path())
        .args(["report", "j2.jsonl", "--format", "junit"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains(r#"<testsuites name="ivschat-playbook" tests="6" failures="0""#),
        "{xml}"
    );
    let out = command(dir.path())
        .args(["report", "j2.jsonl", "--run", "1", "--format", "json"])
        .output()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["counts"]["sent"], 6);
    assert_eq!(json["resumed_from"], "r1.json");
}
