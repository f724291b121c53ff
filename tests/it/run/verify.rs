//! `run --verify`: the rooms are watched in chat before sending and every
//! sent event is matched with the EVENT frame that arrives (by id); the
//! journal, every report format and the exit status say what was seen.

use std::path::Path;

use ivschat_playbook::emulator::{self, EmulatorConfig, FaultConfig};
use ivschat_playbook::journal::{self, JournalRecord};
use ivschat_playbook::report::Status;

use super::{command, count, report, run_to, text, write_playbook};

/// `run --local --verify`: the whole loop with no AWS account; every send
/// is reported seen, in the journal, the JSON report and the summary.
#[tokio::test]
async fn local_verify_sees_every_send() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 6, &["us-west-2", "eu-west-1"], 2, 50);
    let out = command(dir.path())
        .args(["run", "--local", "--verify", "--journal", "j.jsonl"])
        .args([
            "--report", "r.json", "--report", "r.md", "--report", "r.xml",
        ])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("verify: 6 of 6 rooms connected"), "{t}");
    assert!(
        t.contains("Seen in chat: 12 of 12 sent events, not seen 0 (watching 6 of 6 rooms)"),
        "{t}"
    );
    let r = report(&dir.path().join("r.json"));
    let v = r.head.summary.verify.as_ref().expect("a verify summary");
    assert_eq!(
        (v.rooms, v.of_rooms, v.checked, v.seen, v.not_seen),
        (6, 6, 12, 12, 0)
    );
    assert!(
        r.sends.iter().all(|s| s.seen == Some(true)),
        "{:?}",
        r.sends
    );
    // The journal has one verify record per send, with the id SendEvent
    // returned.
    let records = journal::read(&dir.path().join("j.jsonl")).unwrap();
    let ends: std::collections::HashMap<String, String> = records
        .iter()
        .filter_map(|r| match r {
            JournalRecord::End(e) => Some((e.id.clone(), e.outcome.message_id.clone().unwrap())),
            _ => None,
        })
        .collect();
    let verified: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            JournalRecord::Verify(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(verified.len(), 12);
    for v in verified {
        assert!(v.seen);
        assert_eq!(ends[&v.id], v.message_id);
    }
    let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    assert!(
        md.contains("Watching 6 of 6 rooms: 12 of 12 sent events seen, 0 not seen."),
        "{md}"
    );
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(!xml.contains("NotSeen"), "{xml}");
    // The chat tokens are secrets: none is in any output or record.
    for f in ["j.jsonl", "r.json", "r.md", "r.xml"] {
        let body = std::fs::read_to_string(dir.path().join(f)).unwrap();
        assert!(!body.contains("AQICAH"), "{f}");
    }
}

/// The emulator's chat drop fault loses every frame: each send is reported
/// not seen, in every format, and the run exits 1; `report` rebuilds the
/// same from the journal.
#[tokio::test]
async fn dropped_frames_are_reported_not_seen_and_fail_the_run() {
    let emu = emulator::spawn(EmulatorConfig {
        auto_create_rooms: true,
        faults: FaultConfig {
            chat_drop_rate: 1.0,
            seed: Some(7),
            ..FaultConfig::default()
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 1, 50);
    let extra = [
        "--verify",
        "--verify-timeout",
        "1s",
        "--journal",
        "j.jsonl",
        "--report",
        "r.json",
        "--format",
        "junit",
    ];
    let out = run_to(dir.path(), &emu.endpoint_url(), &extra, &pb).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("Seen in chat: 0 of 3 sent events, not seen 3"),
        "{t}"
    );
    assert!(t.contains("not seen E0 -> r0"), "{t}");
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.contains(r#"failures="3""#), "{xml}");
    assert_eq!(
        xml.matches(r#"<failure type="NotSeen""#).count(),
        3,
        "{xml}"
    );
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 3, "sent, all the same");
    assert!(r.sends.iter().all(|s| s.seen == Some(false)));
    assert_eq!(r.head.summary.verify.as_ref().unwrap().not_seen, 3);
    let md = command(dir.path())
        .args(["report", "j.jsonl", "--format", "markdown"])
        .output()
        .await
        .unwrap();
    let md_text = String::from_utf8_lossy(&md.stdout);
    assert!(
        md_text.contains("0 of 3 sent events seen, 3 not seen"),
        "{md_text}"
    );
    assert!(
        md_text.contains("| send | room | event | event id |"),
        "{md_text}"
    );
    for room in ["| r0 | E0 |", "| r1 | E0 |", "| r2 | E0 |"] {
        assert!(md_text.contains(room), "{room}: {md_text}");
    }
    assert!(emu.stats().faults.chat_drop >= 3);
}

/// `--verify=N` watches N rooms spread over the regions; sends to the other
/// rooms are not verified (no `seen`), and the run passes.
#[tokio::test]
async fn a_sample_is_spread_over_regions() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(
        dir.path(),
        9,
        &["us-west-2", "eu-west-1", "ap-northeast-1"],
        1,
        50,
    );
    let out = command(dir.path())
        .args([
            "run",
            "--local",
            "--verify=3",
            "--report",
            "r.json",
            "--journal",
            "j.jsonl",
        ])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    let seen: Vec<&str> = r
        .sends
        .iter()
        .filter(|s| s.seen == Some(true))
        .map(|s| s.region.as_str())
        .collect();
    let mut regions = seen.clone();
    regions.sort_unstable();
    assert_eq!(regions, ["ap-northeast-1", "eu-west-1", "us-west-2"]);
    assert_eq!(r.sends.iter().filter(|s| s.seen.is_none()).count(), 6);
    let v = r.head.summary.verify.unwrap();
    assert_eq!((v.rooms, v.of_rooms, v.seen), (3, 9, 3));
}

/// Bad `--verify` values are usage errors, before anything is sent.
#[tokio::test]
async fn bad_verify_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 1, &["us-west-2"], 1, 50);
    for bad in ["--verify=0", "--verify=many"] {
        let out = command(dir.path())
            .args(["run", "--local", bad])
            .arg(&pb)
            .output()
            .await
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {t}");
        assert!(t.contains("is not a number of rooms"), "{t}");
    }
    let out = command(dir.path())
        .args(["run", "--local", "--verify-timeout", "1s"])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!Path::new(&dir.path().join("j.jsonl")).exists());
}
