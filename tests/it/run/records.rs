//! Records that tell the truth: a journal has one writer at a time, a torn
//! last line does not stop a resume, and a report of a damaged journal is
//! refused rather than cut short.

use std::io::Write;

use ivschat_playbook::report::Status;

use super::{count, report, run_to, start_emulator, text, write_playbook};

/// What a full disk or a crash leaves: half a line at the end.
const TORN: &str = "{\"type\":\"start\",\"send\":{\"id\":\"zz\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_journal_line_does_not_stop_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let url = emu.endpoint_url();
    let out = run_to(dir.path(), &url, &["--journal", "j.jsonl"], &pb).await;
    assert!(out.status.success(), "{}", text(&out));
    let j = dir.path().join("j.jsonl");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&j)
        .unwrap()
        .write_all(TORN.as_bytes())
        .unwrap();
    let out = run_to(
        dir.path(),
        &url,
        &["--resume", "j.jsonl", "--report", "r.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Skipped), 6, "{}", text(&out));
    assert_eq!(emu.events().len(), 6, "nothing was sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_being_written_is_not_resumed_by_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let url = emu.endpoint_url();
    let out = run_to(dir.path(), &url, &["--journal", "j.jsonl"], &pb).await;
    assert!(out.status.success(), "{}", text(&out));
    let j = dir.path().join("j.jsonl");
    // Another run is writing the journal: it holds the lock.
    let holder = std::fs::OpenOptions::new().append(true).open(&j).unwrap();
    holder.lock().unwrap();
    let before = std::fs::read(&j).unwrap();
    for journal in [None, Some("other.jsonl")] {
        let mut args = vec!["--resume", "j.jsonl", "--resend-unknown"];
        if let Some(o) = journal {
            args.extend(["--journal", o]);
        }
        let out = run_to(dir.path(), &url, &args, &pb).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("being written by another run"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(
        std::fs::read(&j).unwrap(),
        before,
        "the journal is untouched"
    );
    assert_eq!(emu.events().len(), 6, "nothing more was sent");
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_damaged_mid_file_is_not_reported_as_if_whole() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--journal", "j.jsonl"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let j = dir.path().join("j.jsonl");
    let text_j = std::fs::read_to_string(&j).unwrap();
    let mut lines: Vec<&str> = text_j.lines().collect();
    lines[3] = "{\"type\":\"end\",garbage";
    std::fs::write(&j, lines.join("\n") + "\n").unwrap();
    let out = super::command(dir.path())
        .args(["report", "j.jsonl"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 4 is not a journal record"),
        "{}",
        text(&out)
    );
}

/// A rehearsal cannot finish in production: the journal records where it
/// sent and with which variables; the printed hint repeats them, a resume
/// given no target sends where the journal did, and another target is
/// refused unless `--retarget`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_sends_the_rest_where_the_journal_sent_it() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    let mut text = String::from("version: 1\nrooms:\n");
    for i in 0..40 {
        text.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/r{i:04}\n"
        ));
    }
    text.push_str("events:\n  - name: E\n    attributes: { msg: \"{{ x }}\" }\n");
    std::fs::write(&pb, text).unwrap();
    let child = super::command(dir.path())
        .args(["run", "--local", "--rate", "20", "--var", "x=hello"])
        .args(["--journal", "j.jsonl", "p.yaml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    super::wait_for_ends(&dir.path().join("j.jsonl"), 5).await;
    super::signal(&child, libc::SIGINT);
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", super::text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = stderr
        .lines()
        .find_map(|l| {
            l.split_once("not attempted: ")
                .map(|(_, cmd)| cmd.to_string())
        })
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    assert_eq!(
        hint,
        "ivschat-playbook run --resume j.jsonl --local --var x=hello p.yaml"
    );
    // Another place is refused, nothing is sent.
    let other = super::command(dir.path())
        .args([
            "run",
            "--resume",
            "j.jsonl",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .arg("p.yaml")
        .output()
        .await
        .unwrap();
    assert_eq!(other.status.code(), Some(2), "{}", super::text(&other));
    assert!(String::from_utf8_lossy(&other.stderr).contains("--retarget"));
    // A dry run of the resume shows exactly what it would send.
    let sent_before = super::journal_state(&dir.path().join("j.jsonl")).1.len();
    let dry = super::command(dir.path())
        .args([
            "run",
            "--resume",
            "j.jsonl",
            "--dry-run",
            "--format",
            "json",
            "p.yaml",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", super::text(&dry));
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let remaining = plan["sends"].as_array().unwrap().len();
    assert_eq!(remaining, 40 - sent_before, "{}", super::text(&dry));
    assert!(
        String::from_utf8_lossy(&dry.stderr).contains(&format!("would send {remaining} of 40")),
        "{}",
        super::text(&dry)
    );
    // No target and no --var: the rest goes where the journal sent, with
    // its variables (a different x would change the plan and be refused).
    let rest = super::command(dir.path())
        .args(["run", "--resume", "j.jsonl", "--report", "r.json", "p.yaml"])
        .output()
        .await
        .unwrap();
    assert_eq!(rest.status.code(), Some(0), "{}", super::text(&rest));
    assert!(
        String::from_utf8_lossy(&rest.stderr).contains("target: the local emulator"),
        "{}",
        super::text(&rest)
    );
    // It counts what this run does.
    assert!(
        String::from_utf8_lossy(&rest.stderr).contains(&format!(
            "sending {remaining} of 40 events ({sent_before} already sent, 0 with an unknown outcome held back)"
        )),
        "{}",
        super::text(&rest)
    );
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent) + count(&r, Status::Skipped), 40);
}

/// An unknown outcome is not forgotten when a retry of it fails, and is no
/// dead end: `report resolve` records what was found out, and a resume
/// follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_outcomes_stand_until_resolved() {
    use ivschat_playbook::emulator::{DropMode, FaultConfig};
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let url = emu.endpoint_url();
    let pb = write_playbook(dir.path(), 2, &["us-west-2"], 1, 100);
    // Every reply is lost after the event was delivered: outcomes unknown.
    emu.set_faults(FaultConfig {
        drop_rate: 1.0,
        drop_mode: DropMode::After,
        ..Default::default()
    })
    .unwrap();
    let args = ["--journal", "j.jsonl", "--timeout", "2s"];
    let out = run_to(dir.path(), &url, &args, &pb).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("report resolve j.jsonl"),
        "{}",
        text(&out)
    );
    assert_eq!(emu.events().len(), 2, "delivered, though no reply came");
    // Sent again, and refused this time: still maybe delivered.
    emu.set_faults(FaultConfig {
        error_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let again = [
        "--resume",
        "j.jsonl",
        "--resend-unknown",
        "--max-attempts",
        "1",
    ];
    let out = run_to(dir.path(), &url, &again, &pb).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    emu.set_faults(FaultConfig::default()).unwrap();
    let plain = ["--resume", "j.jsonl", "--report", "r.json"];
    let out = run_to(dir.path(), &url, &plain, &pb).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        emu.events().len(),
        2,
        "a plain resume did not send them twice"
    );
    assert_eq!(
        count(&report(&dir.path().join("r.json")), Status::Unknown),
        2
    );
    // Someone checked: the first arrived, the second did not.
    let ids: Vec<String> = {
        let r = report(&dir.path().join("r.json"));
        let mut v: Vec<(usize, String)> = r.sends.iter().map(|s| (s.seq, s.id.clone())).collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    };
    let out = super::command(dir.path())
        .args(["report", "resolve", "j.jsonl", "--delivered", &ids[0]])
        .args(["--not-delivered", &ids[1]])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let bogus = super::command(dir.path())
        .args(["report", "resolve", "j.jsonl", "--delivered", "nope"])
        .output()
        .await
        .unwrap();
    assert_eq!(bogus.status.code(), Some(2), "{}", text(&bogus));
    let out = run_to(dir.path(), &url, &plain, &pb).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let events = emu.events();
    assert_eq!(events.len(), 3, "only the one not delivered was sent again");
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 1);
    assert_eq!(count(&r, Status::Skipped), 1);
}
