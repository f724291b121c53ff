//! `run` end to end: the binary sends through the real `aws-sdk-ivschat`
//! client to the emulator over loopback, and the emulator's delivery record
//! is the proof of what arrived.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use ivschat_playbook::emulator::{
    self, DeliveredEvent, EmulatorConfig, EmulatorHandle, FaultConfig,
};
use ivschat_playbook::journal::{self, JournalRecord};
use ivschat_playbook::report::{Report, Status};

const ACCOUNT: &str = "123456789012";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ivschat-playbook")
}

/// The binary with a clean AWS environment: nothing from this machine's
/// configuration leaks in.
fn command(dir: &Path) -> tokio::process::Command {
    crate::support::clean_command(bin(), dir)
}

/// An SDK-backed API for one region with fixed credentials.
async fn api(endpoint: String, key: &str, secret: &str) -> ivschat_playbook::execute::SdkChatApi {
    use ivschat_playbook::execute::{ClientOptions, SdkChatApi};
    SdkChatApi::new(
        &["us-west-2".to_string()],
        &ClientOptions {
            endpoint_url: Some(endpoint),
            static_credentials: Some(aws_credential_types::Credentials::new(
                key, secret, None, None, "test",
            )),
            connect_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    )
    .await
}

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

/// `run --endpoint-url URL EXTRA... PLAYBOOK`, to completion.
async fn run_to(dir: &Path, url: &str, extra: &[&str], playbook: &Path) -> Output {
    command(dir)
        .args(["run", "--endpoint-url", url])
        .args(extra)
        .arg(playbook)
        .output()
        .await
        .unwrap()
}

async fn start_emulator(auto_create: bool, quotas: bool) -> EmulatorHandle {
    emulator::spawn(EmulatorConfig {
        auto_create_rooms: auto_create,
        quotas,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A playbook whose every send has distinct content: room `r{i}` in
/// `regions[i % len]`, events `E{j}` whose text names both.
fn write_playbook(dir: &Path, rooms: usize, regions: &[&str], events: usize, rate: u32) -> PathBuf {
    let mut s = format!("version: 1\nname: test\nsettings: {{ rate: {rate} }}\nrooms:\n");
    for i in 0..rooms {
        s.push_str(&format!(
            "  - {{ arn: \"arn:aws:ivschat:{}:{ACCOUNT}:room/r{i:05}\", name: r{i} }}\n",
            regions[i % regions.len()]
        ));
    }
    s.push_str("events:\n");
    for j in 0..events {
        s.push_str(&format!(
            "  - name: E{j}\n    attributes:\n      msgText: \"{{{{ event.name }}}} to {{{{ room.name }}}}\"\n"
        ));
    }
    let p = dir.join("playbook.yaml");
    std::fs::write(&p, s).unwrap();
    p
}

fn report(path: &Path) -> Report {
    let text = std::fs::read_to_string(path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema_text =
        std::fs::read_to_string(crate::files::root().join("schema/report.schema.json")).unwrap();
    let validator =
        jsonschema::validator_for(&serde_json::from_str(&schema_text).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "report does not follow its schema: {errors:?}"
    );
    serde_json::from_value(json).unwrap()
}

fn count(r: &Report, s: Status) -> usize {
    r.summary.counts.get(&s).copied().unwrap_or(0)
}

fn key(room_arn: &str, event: &str) -> (String, String) {
    (room_arn.to_string(), event.to_string())
}

fn deliveries(events: &[DeliveredEvent]) -> HashMap<(String, String), Vec<&DeliveredEvent>> {
    let mut m: HashMap<_, Vec<_>> = HashMap::new();
    for e in events {
        m.entry(key(&e.room_arn, &e.event_name))
            .or_default()
            .push(e);
    }
    m
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_arrives_once_in_order_across_three_regions() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let regions = ["us-east-1", "eu-west-1", "ap-northeast-1"];
    let pb = write_playbook(dir.path(), 200, &regions, 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--report", "r.json", "--journal", "j.jsonl"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(r.summary.total, 400);
    assert_eq!(count(&r, Status::Sent), 400);
    let events = emu.events();
    assert_eq!(events.len(), 400, "each send delivered once");
    let by_key = deliveries(&events);
    for s in &r.sends {
        let d = &by_key[&key(&s.room_arn, &s.event_name)];
        assert_eq!(d.len(), 1, "{} delivered {} times", s.id, d.len());
        assert_eq!(
            s.message_id.as_deref(),
            Some(d[0].id.as_str()),
            "report carries the emulator's id"
        );
        assert_eq!(d[0].region, s.region, "sent through the room's own region");
        assert_eq!(
            d[0].attributes["msgText"],
            format!("{} to {}", s.event_name, s.room_name)
        );
    }
    // Per-room order: E0 reached every room before E1.
    for i in 0..200 {
        let arn = format!("arn:aws:ivschat:{}:{ACCOUNT}:room/r{i:05}", regions[i % 3]);
        let e0 = by_key[&key(&arn, "E0")][0].seq;
        let e1 = by_key[&key(&arn, "E1")][0].seq;
        assert!(e0 < e1, "room {arn}: E1 arrived before E0");
    }
    assert_eq!(r.summary.regions.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_and_server_errors_are_retried_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    emu.set_faults(FaultConfig {
        throttle_rate: 0.2,
        error_rate: 0.1,
        error_statuses: vec![503],
        seed: Some(7),
        ..Default::default()
    })
    .unwrap();
    let pb = write_playbook(dir.path(), 40, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--max-attempts", "12", "--report", "r.json"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 80);
    assert_eq!(emu.events().len(), 80, "retries never duplicate");
    let log = emu.fault_log();
    let injected_throttles = log.iter().filter(|f| f.fault == "throttle").count() as u64;
    let injected_errors = log.iter().filter(|f| f.fault.starts_with("error")).count() as u64;
    assert!(injected_throttles > 0 && injected_errors > 0);
    let report_attempts: u64 = r.sends.iter().map(|s| u64::from(s.attempts)).sum();
    let report_throttles: u64 = r.sends.iter().map(|s| u64::from(s.throttles)).sum();
    assert_eq!(
        report_throttles, injected_throttles,
        "throttles in the report = throttles injected"
    );
    assert_eq!(
        report_attempts,
        80 + injected_throttles + injected_errors,
        "every attempt is counted"
    );
    assert_eq!(r.summary.throttles, report_throttles);
    let stats = emu.stats();
    assert_eq!(stats.operations["SendEvent"].requests, report_attempts);
}

/// Most events in any one-second window of the delivery record.
fn peak_per_second(events: &[DeliveredEvent]) -> usize {
    let mut t: Vec<f64> = events
        .iter()
        .map(|e| {
            chrono::DateTime::parse_from_rfc3339(&e.time)
                .unwrap()
                .timestamp_micros() as f64
                / 1000.0
        })
        .collect();
    ivschat_playbook::report::build::peak_in_window(&mut t, 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_in_every_second() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 50, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--rate", "20", "--burst", "5", "--report", "r.json"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let events = emu.events();
    assert_eq!(events.len(), 100);
    let peak = peak_per_second(&events);
    assert!(
        peak <= 25,
        "{peak} events in one second; limit is rate 20 + burst 5"
    );
    assert!(
        peak >= 18,
        "{peak}: far below the rate; the limiter is too slow"
    );
    let r = report(&dir.path().join("r.json"));
    assert!(r.summary.regions[0].peak_per_second <= 25);
    assert!(
        r.summary.duration_seconds >= 3.5,
        "100 sends at 20/s took {}s",
        r.summary.duration_seconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_retryable_errors_fail_after_one_attempt() {
    let dir = tempfile::tempdir().unwrap();
    // No room exists and none is created: every send is ResourceNotFound.
    let emu = start_emulator(false, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--report", "r.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    // The first event of each room fails; the second is held back so that
    // a later run keeps the room's order.
    assert_eq!(count(&r, Status::Failed), 3);
    assert_eq!(count(&r, Status::Planned), 3);
    for s in &r.sends {
        if s.status == Status::Failed {
            assert_eq!(s.event_name, "E0");
            assert_eq!(s.attempts, 1);
            assert_eq!(s.error_code.as_deref(), Some("ResourceNotFoundException"));
            assert!(s.request_id.is_some());
        } else {
            assert_eq!(s.event_name, "E1");
            assert_eq!(s.attempts, 0);
            assert!(s.note.as_deref().unwrap().contains("keep their order"));
        }
    }
    assert_eq!(r.summary.errors["ResourceNotFoundException"], 3);
    assert_eq!(emu.stats().operations["SendEvent"].requests, 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");

    // An oversized event (which validation never lets through) is refused by
    // the service with a ValidationException that is not retried.
    use ivschat_playbook::execute::{AttemptError, ChatApi, SendRequest};
    let api = api(
        emu.endpoint_url(),
        emulator::config::DEFAULT_ACCESS_KEY_ID,
        emulator::config::DEFAULT_SECRET_ACCESS_KEY,
    )
    .await;
    let err = api
        .send_event(&SendRequest {
            region: "us-west-2".into(),
            room_arn: format!("arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00000"),
            event_name: "Big".into(),
            attributes: [("k".to_string(), "x".repeat(2000))].into_iter().collect(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AttemptError::Rejected { code, .. } if code == "ValidationException"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_cannot_be_made_is_not_sent_and_retried() {
    use ivschat_playbook::execute::{AttemptError, ChatApi, SendRequest};
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api = api(format!("http://127.0.0.1:{port}"), "AKID", "secret").await;
    let err = api
        .send_event(&SendRequest {
            region: "us-west-2".into(),
            room_arn: format!("arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00000"),
            event_name: "E".into(),
            attributes: Default::default(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, AttemptError::NotSent { .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_never_comes_is_unknown_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    emu.set_faults(FaultConfig {
        latency_ms: 3000,
        ..Default::default()
    })
    .unwrap();
    let pb = write_playbook(dir.path(), 2, &["us-west-2"], 1, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--timeout", "300ms", "--report", "r.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Unknown), 2);
    for s in &r.sends {
        assert_eq!(s.attempts, 1, "an unknown outcome is never retried");
        assert_eq!(s.error_code.as_deref(), Some("NoResponse"));
    }
}

fn journal_state(path: &Path) -> (HashSet<String>, HashSet<String>) {
    let mut started = HashSet::new();
    let mut ended = HashSet::new();
    for rec in journal::read(path).unwrap() {
        match rec {
            JournalRecord::Start(s) => {
                started.insert(s.send.id);
            }
            JournalRecord::End(e) => {
                ended.insert(e.id);
            }
            _ => {}
        }
    }
    (started, ended)
}

async fn wait_for_ends(journal: &Path, n: usize) {
    for _ in 0..400 {
        if journal.exists() && journal_state(journal).1.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the run did not get {n} sends done in time");
}

fn signal(child: &tokio::process::Child, sig: i32) {
    let pid = child.id().expect("child running") as i32;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

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
    assert!(r0.interrupted);
    assert_eq!(count(&r0, Status::Unknown), in_flight.len());
    assert_eq!(
        r0.sends
            .iter()
            .filter(|s| s.error_code.as_deref() == Some("InFlight"))
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
    assert_eq!(r1.summary.total, 60);
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
        .filter(|s| s.status == Status::Unknown)
        .map(|s| s.room_arn.as_str())
        .collect();
    for s in r1.sends.iter().filter(|s| s.status == Status::Planned) {
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
    for s in r1.sends.iter().filter(|s| s.status == Status::Unknown) {
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
    assert!(r.interrupted);
    assert_eq!(r.sends.len(), 80, "every send is accounted for");
    let total: usize = r.summary.counts.values().sum();
    assert_eq!(total, 80);
    assert!(count(&r, Status::Planned) > 0);
    assert_eq!(count(&r, Status::Sent), emu.events().len());
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(xml.contains("<skipped"));
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
async fn credentials_never_appear_in_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "AKIALEAKCHECK0000001";
    let secret = "LeakCheckSecret/abcdefghijklmnopqrstuvwx+01";
    let token = "LeakCheckSessionTokenValue0123456789";
    let emu = emulator::spawn(EmulatorConfig {
        auto_create_rooms: true,
        quotas: false,
        credentials: vec![emulator::Credential::new(key_id, secret)],
        ..Default::default()
    })
    .await
    .unwrap();
    let pb = write_playbook(dir.path(), 2, &["us-west-2"], 1, 100);
    // One room in a region the emulator has no room for fails, so error
    // paths are exercised too.
    let text_before = std::fs::read_to_string(&pb).unwrap();
    std::fs::write(
        &pb,
        text_before.replace(
            "rooms:\n",
            "rooms:\n  - arn:aws:ivschat:eu-west-1:123456789012:room/missing\n",
        ),
    )
    .unwrap();
    let out = command(dir.path())
        .env("AWS_ACCESS_KEY_ID", key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", token)
        // Even when asked for the SDK's own trace logs.
        .env("RUST_LOG", "trace,aws_sigv4=trace,aws_smithy_runtime=trace")
        .args([
            "-vvv",
            "run",
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
            "--report",
            "r.md",
            "--format",
            "json",
        ])
        .args(["--endpoint-url", &emu.endpoint_url()])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    let mut everything = text(&out);
    for f in ["j.jsonl", "r.json", "r.md"] {
        everything.push_str(&std::fs::read_to_string(dir.path().join(f)).unwrap());
    }
    assert!(everything.contains("sent"), "the run ran: {everything}");
    for secret_value in [secret, token] {
        assert!(!everything.contains(secret_value), "a credential leaked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_needs_no_credentials_or_network() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let out = tokio::process::Command::new(bin())
        .current_dir(dir.path())
        .env_clear()
        .args(["run", "--dry-run", "--format", "json"])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["sends"].as_array().unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_runs_against_the_embedded_emulator_with_no_aws_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(bin())
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", dir.path())
        .args(["run", "--local", "--report", "r.json"])
        .arg(crate::files::root().join("playbooks/maintenance-window.yaml"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), r.summary.total);
    assert!(
        r.sends
            .iter()
            .all(|s| s.message_id.as_ref().is_some_and(|m| m.len() == 12))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_means_nothing_is_sent_or_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 2, &["us-west-2"], 1, 100);
    // As on a machine that is not an EC2 instance: the instance metadata
    // service is asked and answers nonsense (here the emulator answers it).
    let out = command(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", emu.endpoint_url())
        .args([
            "run",
            "--journal",
            "j.jsonl",
            "--endpoint-url",
            &emu.endpoint_url(),
        ])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    // One clear message, not the SDK's debug dumps or per-provider warnings.
    assert!(!stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("Response {"), "{stderr}");
    assert!(!stderr.contains("FailedToLoadToken("), "{stderr}");
    assert!(stderr.lines().count() <= 3, "{stderr}");
    assert!(!dir.path().join("j.jsonl").exists());
    assert_eq!(
        emu.stats()
            .operations
            .get("SendEvent")
            .map_or(0, |o| o.requests),
        0
    );
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
    assert!(r.interrupted);
    assert_eq!(r.summary.counts.values().sum::<usize>(), 20);
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

/// A record that cannot be written after the sends went out ends with its
/// own status (3), never "invalid input" (2): a CI job that retries on 2
/// would send everything again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_written_after_sending_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--journal", "j.jsonl", "--report", "nodir/r.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write the report nodir/r.json"),
        "{}",
        text(&out)
    );
    assert_eq!(
        emu.events().len(),
        6,
        "the sends went out before the failure"
    );
}
