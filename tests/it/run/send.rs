//! Sending: every send arrives once and in order, retries, the rate limit,
//! errors that are not retried, and what needs (or needs no) credentials.

use std::time::Duration;

use ivschat_playbook::emulator::{self, DeliveredEvent, FaultConfig};
use ivschat_playbook::report::Status;

use crate::support::bin;

use super::{
    ACCOUNT, command, count, deliveries, key, report, run_to, start_emulator, text, write_playbook,
};

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
    assert_eq!(r.head.summary.total, 400);
    assert_eq!(count(&r, Status::Sent), 400);
    let events = emu.events();
    assert_eq!(events.len(), 400, "each send delivered once");
    let by_key = deliveries(&events);
    for s in &r.sends {
        let d = &by_key[&key(&s.room_arn, &s.event_name)];
        assert_eq!(d.len(), 1, "{} delivered {} times", s.id, d.len());
        assert_eq!(
            s.outcome.message_id.as_deref(),
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
    assert_eq!(r.head.summary.regions.len(), 3);
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
    let report_attempts: u64 = r.sends.iter().map(|s| u64::from(s.outcome.attempts)).sum();
    let report_throttles: u64 = r.sends.iter().map(|s| u64::from(s.outcome.throttles)).sum();
    assert_eq!(
        report_throttles, injected_throttles,
        "throttles in the report = throttles injected"
    );
    assert_eq!(
        report_attempts,
        80 + injected_throttles + injected_errors,
        "every attempt is counted"
    );
    assert_eq!(r.head.summary.throttles, report_throttles);
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
    // Arrival times at the emulator carry the scheduling jitter of this
    // shared machine (a starved emulator thread takes queued requests
    // together, and other tests run beside this one), so they get an
    // allowance; the departures the limiter controls are held to the limit
    // exactly (the report's peak, below).
    let peak = peak_per_second(&events);
    assert!(
        peak <= 35,
        "{peak} events in one second; limit is rate 20 + burst 5"
    );
    let r = report(&dir.path().join("r.json"));
    let departures = r.head.summary.regions[0].peak_per_second;
    assert!(
        departures <= 25,
        "{departures} attempts started in one second"
    );
    assert!(
        departures >= 10,
        "{departures}: far below the rate; the limiter is too slow"
    );
    assert!(
        r.head.summary.duration_seconds >= 3.5,
        "100 sends at 20/s took {}s",
        r.head.summary.duration_seconds
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
        if s.outcome.status == Status::Failed {
            assert_eq!(s.event_name, "E0");
            assert_eq!(s.outcome.attempts, 1);
            assert_eq!(
                s.outcome.error_code.as_deref(),
                Some("ResourceNotFoundException")
            );
            assert!(s.outcome.request_id.is_some());
        } else {
            assert_eq!(s.event_name, "E1");
            assert_eq!(s.outcome.attempts, 0);
            assert!(s.note.as_deref().unwrap().contains("keep their order"));
        }
    }
    assert_eq!(r.head.summary.errors["ResourceNotFoundException"], 3);
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
        assert_eq!(s.outcome.attempts, 1, "an unknown outcome is never retried");
        assert_eq!(s.outcome.error_code.as_deref(), Some("NoResponse"));
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
        .arg(crate::support::fixtures::root().join("playbooks/maintenance-window.yaml"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), r.head.summary.total);
    assert!(
        r.sends
            .iter()
            .all(|s| s.outcome.message_id.as_ref().is_some_and(|m| m.len() == 12))
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

/// A burst that would let one second hold more than the quota is cut to
/// fit: `--rate 100 --burst 100` sends at most 100 in any second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_plus_burst_never_exceeds_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 150, &["us-west-2"], 2, 100);
    let out = run_to(
        dir.path(),
        &emu.endpoint_url(),
        &["--rate", "100", "--burst", "100", "--report", "r.json"],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(
        r.head.settings.burst, 1,
        "the burst is cut to fit the quota"
    );
    assert!(
        r.head.summary.regions[0].peak_per_second <= 100,
        "{} attempts in one second",
        r.head.summary.regions[0].peak_per_second
    );
    assert_eq!(emu.events().len(), 300);
}

/// Errors say where: a connection that cannot be made names the endpoint,
/// and a profile the shared files do not define is named as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_endpoint_and_the_missing_profile() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 1, &["us-west-2"], 1, 100);
    // Nothing listens on port 9 of loopback.
    let out = run_to(
        dir.path(),
        "http://127.0.0.1:9",
        &["--max-attempts", "1", "--report", "r.json"],
        &pb,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    let message = r.sends[0].outcome.error_message.clone().unwrap_or_default();
    assert!(
        message.starts_with("cannot connect to http://127.0.0.1:9: "),
        "{message}"
    );
    let out = command(dir.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["run", "--profile", "nope", "--yes"])
        .arg(&pb)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the profile `nope` is not defined"),
        "{}",
        text(&out)
    );
}
