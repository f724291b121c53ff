//! The unmodified official chat client receives what `ivschat-playbook run`
//! sends: a ChatRoom connects with a token from CreateChatToken (made by
//! the JS SDK, as a back end would), the binary sends a playbook's event to
//! the emulator, and the room gets it with the id the emulator recorded;
//! then send, delete and disconnect round-trip through the client's own
//! promises and events. Run once with the `ws` package as the WebSocket and
//! once with Node's built-in one.

use std::time::Duration;

use ivschat_playbook::emulator::{self, EmulatorConfig};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::support::node::node;
use crate::support::{bin, clean_command, client};

async fn round_trip(websocket: &str, flags: &[&str]) {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = c.create_room().name("lobby").send().await.unwrap();
    let arn = room.arn().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let playbook = dir.path().join("announce.yaml");
    std::fs::write(
        &playbook,
        format!(
            "version: 1\nname: announce\nrooms:\n  - {{ arn: \"{arn}\", name: lobby }}\n\
             events:\n  - name: Announcement\n    attributes:\n      msgText: \"hello {{{{ room.name }}}}\"\n"
        ),
    )
    .unwrap();

    let mut child = node("chat-room.js", flags, dir.path())
        .env("IVSCHAT_ENDPOINT", emu.endpoint_url())
        .env("IVSCHAT_CHAT_URL", emu.chat_url())
        .env("ROOM_ARN", arn)
        .env("EVENT_NAME", "Announcement")
        .env("IVSCHAT_WEBSOCKET", websocket)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(Duration::from_secs(40), lines.next_line())
            .await
            .expect("a line from node within 40 s")
            .unwrap()
            .expect("node printed a line");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v.get("error").is_none(),
            "the JS client failed: {}",
            v["error"]
        );
        v
    };
    assert_eq!(next().await, json!({"ready": true}));
    assert_eq!(emu.chat_connections(), 2);

    let out = clean_command(bin(), dir.path())
        .args(["run", "--endpoint-url", &emu.endpoint_url()])
        .arg(&playbook)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let delivered = emu.events();
    assert_eq!(delivered.len(), 1);

    let event = next().await["event"].clone();
    assert_eq!(
        event["id"],
        delivered[0].id.as_str(),
        "the id SendEvent returned"
    );
    assert_eq!(event["bobId"], delivered[0].id.as_str());
    assert_eq!(event["eventName"], "Announcement");
    assert_eq!(event["attributes"], json!({"msgText": "hello lobby"}));
    assert_eq!(event["sendTime"], delivered[0].time.as_str());

    let done = next().await["done"].clone();
    assert_eq!(
        done["refused"],
        json!({"errorCode": 403, "errorMessage": "Missing SEND_MESSAGE capability"})
    );
    assert_eq!(done["sent"]["content"], "hi all");
    assert_eq!(done["sent"]["attributes"], json!({"color": "red"}));
    assert_eq!(
        done["sent"]["sender"],
        json!({"userId": "alice", "attributes": {"displayName": "ALICE"}})
    );
    assert_eq!(done["bobGot"]["id"], done["sent"]["id"]);
    assert_eq!(
        done["deleted"],
        json!({"messageId": done["sent"]["id"], "reason": "spam"})
    );
    assert_eq!(done["bobSawDelete"]["messageId"], done["sent"]["id"]);
    assert_eq!(done["kicked"], json!({"userId": "bob", "reason": "ban"}));
    assert_eq!(
        done["bobSawKick"],
        json!({"userId": "bob", "reason": "ban"})
    );
    assert_eq!(done["bobDisconnectReason"], "serverDisconnect");
    assert_eq!(done["aliceState"], "connected");

    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("node exits")
        .unwrap();
    assert!(status.success());
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_chat_client_receives_what_run_sends() {
    round_trip("ws", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_chat_client_on_nodes_own_websocket() {
    round_trip("builtin", &["--experimental-websocket", "--no-warnings"]).await;
}
