//! Interrupting a run: Ctrl-C, SIGTERM and a second Ctrl-C.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ivschat_playbook::emulator::FaultConfig;
use ivschat_playbook::report::Status;

use super::{
    command, count, journal_state, report, signal, start_emulator, text, wait_for_ends,
    write_playbook,
};

/// Starts the binary with `args` then the playbook, output captured.
fn spawn_run(dir: &Path, args: &[&str], playbook: &Path) -> tokio::process::Child {
    command(dir)
        .args(args)
        .arg(playbook)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (at most 20 s) for a signalled child to exit.
async fn exit_of(child: tokio::process::Child) -> Output {
    tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("stops promptly")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_writes_a_valid_partial_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 40, &["us-west-2"], 2, 100);
    let url = emu.endpoint_url();
    let child = spawn_run(
        dir.path(),
        &[
            "run",
            "--rate",
            "10",
            "--burst",
            "1",
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
            "--report",
            "r.xml",
            "--endpoint-url",
            &url,
        ],
        &pb,
    );
    wait_for_ends(&dir.path().join("j.jsonl"), 5).await;
    signal(&child, libc::SIGINT);
    let out = exit_of(child).await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert!(r.head.interrupted);
    assert_eq!(r.sends.len(), 80, "every send is accounted for");
    let total: usize = r.head.summary.counts.values().sum();
    assert_eq!(total, 80);
    assert!(count(&r, Status::Planned) > 0);
    assert_eq!(count(&r, Status::Sent), emu.events().len());
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(xml.contains("<skipped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_like_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 20, &["us-west-2"], 1, 100);
    let url = emu.endpoint_url();
    let child = spawn_run(
        dir.path(),
        &[
            "run",
            "--rate",
            "10",
            "--burst",
            "1",
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
            "--endpoint-url",
            &url,
        ],
        &pb,
    );
    wait_for_ends(&dir.path().join("j.jsonl"), 3).await;
    signal(&child, libc::SIGTERM);
    let out = exit_of(child).await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert!(r.head.interrupted);
    assert_eq!(r.head.summary.counts.values().sum::<usize>(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_quits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    // Every reply takes 5 s: after the first Ctrl-C the run would wait.
    emu.set_faults(FaultConfig {
        latency_ms: 5000,
        ..Default::default()
    })
    .unwrap();
    let pb = write_playbook(dir.path(), 4, &["us-west-2"], 1, 100);
    let url = emu.endpoint_url();
    let child = spawn_run(
        dir.path(),
        &["run", "--journal", "j.jsonl", "--endpoint-url", &url],
        &pb,
    );
    // Wait until the sends are in flight.
    for _ in 0..200 {
        let j = dir.path().join("j.jsonl");
        if j.exists() && journal_state(&j).0.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = std::time::Instant::now();
    signal(&child, libc::SIGINT);
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&child, libc::SIGINT);
    let out = exit_of(child).await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "did not wait for the 5 s replies"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("quitting"));
    // The journal still holds every start: those sends read back as unknown.
    let st = ivschat_playbook::report::resume::load(&dir.path().join("j.jsonl")).unwrap();
    assert_eq!(st.in_flight.len(), 4);
}
