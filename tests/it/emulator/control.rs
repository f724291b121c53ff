//! Control and configuration: the control API mid-run, the events log and
//! capped record, bad configuration, and the `emulator` command.

use std::time::Duration;

use ivschat_playbook::emulator::{DropMode, EmulatorConfig, FaultConfig, RoomSeed, spawn};
use serde_json::{Value, json};

use crate::support::{client, control};

use super::{new_room, no_quotas, start, status};

#[tokio::test]
async fn control_api_changes_faults_mid_run() {
    let emu = start(no_quotas()).await;
    let addr = emu.local_addr();
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;
    let health = control(addr, "GET", "/_emulator/health", None).await;
    assert_eq!(health.json()["status"], "ok");
    assert!(health.header("x-amzn-RequestId").is_some());

    let set = control(
        addr,
        "PUT",
        "/_emulator/faults",
        Some(r#"{"errorRate":1,"errorStatuses":[503],"seed":1}"#),
    )
    .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["errorStatuses"], json!([503]));
    let err = c
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(503));
    let got = control(addr, "GET", "/_emulator/faults", None).await.json();
    assert_eq!(got["errorRate"], 1.0);
    let log = control(addr, "GET", "/_emulator/faults/log", None)
        .await
        .json();
    assert_eq!(log["decisions"][0]["fault"], "error503");
    assert_eq!(log["decisions"][0]["delivered"], false);
    assert_eq!(
        control(addr, "DELETE", "/_emulator/faults/log", None)
            .await
            .status,
        204
    );
    assert!(emu.fault_log().is_empty());

    // Bad settings are refused and leave the old ones in place.
    let bad = control(addr, "PUT", "/_emulator/faults", Some(r#"{"errorRate":2}"#)).await;
    bad.expect_error(400, "ValidationException");
    let bad = control(addr, "PUT", "/_emulator/faults", Some(r#"{"nope":1}"#)).await;
    bad.expect_error(400, "SerializationException");
    let bad = control(addr, "PUT", "/_emulator/quotas", Some("[]")).await;
    bad.expect_error(400, "SerializationException");
    assert_eq!(emu.faults().error_rate, 1.0);

    assert_eq!(
        control(addr, "PUT", "/_emulator/faults", Some("{}"))
            .await
            .status,
        200
    );
    for i in 0..3 {
        c.send_event()
            .room_identifier(&arn)
            .event_name(format!("E{i}"))
            .send()
            .await
            .unwrap();
    }
    let page = control(addr, "GET", "/_emulator/events?after=1&limit=1", None)
        .await
        .json();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["events"][0]["seq"], 2);
    assert_eq!(page["events"][0]["eventName"], "E1");
    assert_eq!(page["counts"]["delivered"], 3);
    let stats = control(addr, "GET", "/_emulator/stats", None).await.json();
    assert_eq!(stats["operations"]["SendEvent"]["requests"], 4);
    assert_eq!(stats["operations"]["SendEvent"]["serverErrors"], 1);
    assert_eq!(stats["faults"]["error503"], 1);
    assert_eq!(
        control(addr, "DELETE", "/_emulator/events", None)
            .await
            .status,
        204
    );
    let all = control(addr, "GET", "/_emulator/events", None).await.json();
    assert!(all["events"].as_array().unwrap().is_empty());
    let quotas = control(addr, "GET", "/_emulator/quotas", None).await.json();
    assert_eq!(quotas["enabled"], false);
}

#[tokio::test]
async fn events_log_and_capped_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let emu = start(EmulatorConfig {
        quotas: false,
        keep_events: Some(2),
        events_log: Some(log.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu.endpoint_url(), "ap-northeast-2");
    let arn = new_room(&c).await;
    for i in 0..5 {
        c.send_event()
            .room_identifier(&arn)
            .event_name(format!("E{i}"))
            .attributes("i", i.to_string())
            .send()
            .await
            .unwrap();
    }
    let kept = emu.events();
    assert_eq!(
        kept.iter()
            .map(|e| e.event_name.as_str())
            .collect::<Vec<_>>(),
        ["E3", "E4"]
    );
    let stats = emu.stats();
    assert_eq!(
        (
            stats.events_delivered,
            stats.events_kept,
            stats.events_evicted
        ),
        (5, 2, 3)
    );
    emu.shutdown().await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["eventName"], format!("E{i}"));
        assert_eq!(line["attributes"]["i"], i.to_string());
        assert_eq!(line["region"], "ap-northeast-2");
        assert_eq!(line["roomArn"], arn);
        for key in ["id", "time", "requestId", "seq"] {
            assert!(!line[key].is_null(), "{key} in {line}");
        }
    }
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    let bad_room = spawn(EmulatorConfig {
        rooms: vec![RoomSeed::Arn("arn:aws:ivschat:xx-moon-1:1:room/a".into())],
        ..EmulatorConfig::default()
    })
    .await;
    assert!(bad_room.is_err());
    let bad_faults = spawn(EmulatorConfig {
        faults: FaultConfig {
            drop_rate: 0.7,
            error_rate: 0.7,
            drop_mode: DropMode::After,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    assert!(bad_faults.is_err());
    let no_keys = spawn(EmulatorConfig {
        credentials: vec![],
        ..EmulatorConfig::default()
    })
    .await;
    assert!(no_keys.is_err());
}

/// The `emulator` command of the binary: prints its URLs, serves the API
/// and the chat edge, and exits 0 on SIGTERM after closing chat connections
/// (1001) and flushing the events log.
#[cfg(unix)]
#[tokio::test]
async fn cli_command_prints_url_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt;

    let dir = tempfile::tempdir().unwrap();
    let rooms = dir.path().join("rooms.yaml");
    let arn = "arn:aws:ivschat:us-west-2:123456789012:room/fromFile";
    std::fs::write(
        &rooms,
        format!("- {arn}\n- arn: arn:aws:ivschat:eu-west-1:123456789012:room/two\n  name: two\n"),
    )
    .unwrap();
    let log = dir.path().join("events.jsonl");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ivschat-playbook"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--no-quotas",
            "--seed",
            "3",
        ])
        .arg("--rooms")
        .arg(&rooms)
        .arg("--events-log")
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("URL within 20 s")
        .unwrap()
        .expect("a line");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let ws = lines.next_line().await.unwrap().expect("the chat URL");
    assert_eq!(ws, url.replace("http://", "ws://"));
    let c = client(&url, "us-west-2");
    let token = crate::support::chat::token(&c, arn, "viewer", &[]).await;
    let mut viewer = crate::support::chat::open(&ws, &token).await;
    c.send_event()
        .room_identifier(arn)
        .event_name("FromCli")
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::support::chat::frame(&mut viewer).await["EventName"],
        "FromCli"
    );

    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        crate::support::chat::end(&mut viewer).await,
        crate::support::chat::End::Closed(1001, "Server shutting down".into()),
        "chat connections get a close frame before the process exits"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"eventName\":\"FromCli\""), "{text}");
}
