//! `validate --remote` and `plan --remote`: a room the service does not
//! have is an error at its line, one idle for more than 23 months a
//! warning; ListRooms pages stand in for GetRoom per room where cheaper.

use ivschat_playbook::emulator::{self, EmulatorConfig, RoomSeed};
use serde_json::Value;

use super::{seed, text, tool};

const ACCOUNT: &str = "123456789012";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_rooms_are_errors_at_their_line_and_idle_rooms_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // 60 rooms in us-west-2 (r00000 untouched for two years), one in eu-west-1.
    let mut seeds: Vec<_> = (0..60).map(|i| seed(i, &["us-west-2"])).collect();
    seeds[0].update_time = Some(chrono::Utc::now() - chrono::Duration::days(730));
    let mut eu = seed(100, &["eu-west-1"]);
    eu.name = Some("eu-room".into());
    seeds.push(eu);
    let emu = emulator::spawn(EmulatorConfig {
        rooms: seeds.iter().cloned().map(RoomSeed::Room).collect(),
        ..Default::default()
    })
    .await
    .unwrap();
    // The playbook names 55 of the us-west-2 rooms, two that do not exist
    // (lines 5 and 7), and the eu-west-1 room.
    let mut pb = String::from("version: 1\nrooms:\n");
    pb.push_str(&format!(
        "  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00000\n"
    ));
    pb.push_str(&format!(
        "  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00001\n"
    ));
    pb.push_str(&format!(
        "  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/gone1\n"
    ));
    pb.push_str(&format!(
        "  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00002\n"
    ));
    pb.push_str(&format!(
        "  - {{ arn: \"arn:aws:ivschat:us-west-2:{ACCOUNT}:room/gone2\", name: old-lobby }}\n"
    ));
    for i in 3..55 {
        pb.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/r{i:05}\n"
        ));
    }
    pb.push_str(&format!(
        "  - arn:aws:ivschat:eu-west-1:{ACCOUNT}:room/r00100\n"
    ));
    pb.push_str("events:\n  - name: notice\n");
    std::fs::write(dir.path().join("pb.yaml"), pb).unwrap();

    // Offline, the playbook is valid.
    let out = tool(dir.path(), &["validate", "pb.yaml"]).await;
    assert!(out.status.success(), "{}", text(&out));

    let url = emu.endpoint_url();
    let out = tool(
        dir.path(),
        &[
            "validate",
            "--remote",
            "--endpoint-url",
            &url,
            "--format",
            "json",
            "pb.yaml",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let diags: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, u64, u64)> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("playbook::room-inactive".into(), "warning".into(), 3, 5),
            ("playbook::room-not-found".into(), "error".into(), 5, 5),
            ("playbook::room-not-found".into(), "error".into(), 7, 12),
        ],
        "{diags:#}"
    );
    assert!(
        diags[2]["message"]
            .as_str()
            .unwrap()
            .contains("room `old-lobby` does not exist in us-west-2")
    );
    let stats = emu.stats();
    assert_eq!(
        stats.operations["ListRooms"].requests, 2,
        "60 rooms: two pages, not 57 GetRoom"
    );
    assert_eq!(
        stats.operations["GetRoom"].requests, 1,
        "the lone eu-west-1 room"
    );
    assert_eq!(stats.quota_throttled, 0);

    // plan --remote refuses the same way, with no plan.
    let out = tool(
        dir.path(),
        &["plan", "--remote", "--endpoint-url", &url, "pb.yaml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[playbook::room-not-found]") && err.contains("pb.yaml:5:5"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_check_that_cannot_be_made_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pb.yaml"),
        format!("version: 1\nrooms:\n  - arn:aws:ivschat:us-west-2:{ACCOUNT}:room/a\nevents:\n  - name: notice\n"),
    )
    .unwrap();
    let out = tool(
        dir.path(),
        &[
            "validate",
            "--remote",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "pb.yaml",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the rooms could not be checked with the service")
    );
}
