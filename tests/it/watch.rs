//! `watch`: the binary follows rooms of the emulator through its chat edge
//! (view-only tokens from CreateChatToken, as on AWS) and prints the frames
//! `SendEvent` delivers, in both formats; stops at --count or --timeout;
//! refuses bad input; keeps its tokens out of every line. And the README's
//! "watch your announcement arrive" commands, run as written.

use std::process::Stdio;
use std::time::Duration;

use ivschat_playbook::emulator::{self, EmulatorConfig, EmulatorHandle};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::support::fixtures::root;
use crate::support::{bin, clean_command, client};

const ROOM: &str = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6";
const EU_ROOM: &str = "arn:aws:ivschat:eu-west-1:123456789012:room/AbCdEf123456";

async fn emulator(auto_create: bool) -> EmulatorHandle {
    emulator::spawn(EmulatorConfig {
        auto_create_rooms: auto_create,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Starts `watch ARGS...` and waits until it says `connected` `rooms` times.
async fn watch(dir: &std::path::Path, args: &[&str], rooms: usize) -> (Child, Vec<String>) {
    let mut child = clean_command(bin(), dir)
        .arg("watch")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mut connected = 0;
    while connected < rooms {
        let line = tokio::time::timeout(Duration::from_secs(20), err.next_line())
            .await
            .expect("watch connects in time")
            .unwrap()
            .unwrap_or_else(|| panic!("watch ended early: {seen:?}"));
        connected += usize::from(line.starts_with("watch: connected to "));
        seen.push(line);
    }
    // The rest of stderr, once it ends.
    let rest = tokio::spawn(async move {
        let mut v = Vec::new();
        while let Ok(Some(l)) = err.next_line().await {
            v.push(l);
        }
        v
    });
    drop(rest); // stderr goes on being drained in the background
    (child, seen)
}

async fn send(endpoint: &str, room: &str, name: &str, text: &str) -> String {
    let region = room.split(':').nth(3).unwrap();
    client(endpoint, region)
        .send_event()
        .room_identifier(room)
        .event_name(name)
        .attributes("msgText", text)
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn jsonl_has_each_frame_as_received_with_its_room() {
    let emu = emulator(true).await;
    let dir = tempfile::tempdir().unwrap();
    let url = emu.endpoint_url();
    let (child, _) = watch(
        dir.path(),
        &[
            "--endpoint-url",
            &url,
            "--format",
            "jsonl",
            "--count",
            "2",
            ROOM,
            EU_ROOM,
        ],
        2,
    )
    .await;
    let a = send(&url, ROOM, "SystemMessage", "hello us").await;
    let b = send(&url, EU_ROOM, "SystemMessage", "hallo eu").await;
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["frame"]["Id"] == id)
            .unwrap()
            .clone()
    };
    let us = by_id(&a);
    assert_eq!(us["room"], ROOM);
    assert_eq!(us["frame"]["Type"], "EVENT");
    assert_eq!(us["frame"]["EventName"], "SystemMessage");
    assert_eq!(us["frame"]["Attributes"]["msgText"], "hello us");
    assert!(us["receivedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(by_id(&b)["room"], EU_ROOM);
    // The tokens were view-only, made for the watcher. The emulator sees
    // the closes a moment after the process is gone.
    for _ in 0..100 {
        if emu.stats().chat.open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(emu.stats().chat.open, 0, "watch closed its connections");
}

#[tokio::test]
async fn human_lines_name_time_room_type_event_and_attributes() {
    let emu = emulator(true).await;
    let dir = tempfile::tempdir().unwrap();
    let url = emu.endpoint_url();
    let (child, _) = watch(
        dir.path(),
        &["--endpoint-url", &url, "--count", "1", ROOM],
        1,
    )
    .await;
    let id = send(&url, ROOM, "SystemMessage", "closing in 15 minutes").await;
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8(out.stdout).unwrap();
    let time = emu.events()[0].time.clone();
    assert_eq!(
        line,
        format!(
            "{time}  g1H2I3j4k5L6  EVENT  SystemMessage  msgText=\"closing in 15 minutes\"  (id {id})\n"
        )
    );
}

#[tokio::test]
async fn timeout_before_count_fails_and_without_count_ends_well() {
    let emu = emulator(true).await;
    let dir = tempfile::tempdir().unwrap();
    let url = emu.endpoint_url();
    let args = ["--endpoint-url", &url, "--timeout", "500ms", ROOM];
    let (child, _) = watch(dir.path(), &args, 1).await;
    assert_eq!(
        child.wait_with_output().await.unwrap().status.code(),
        Some(0)
    );
    let args = [
        "--endpoint-url",
        &url,
        "--timeout",
        "500ms",
        "--count",
        "1",
        ROOM,
    ];
    let (child, _) = watch(dir.path(), &args, 1).await;
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "no event came");
}

#[tokio::test]
async fn bad_input_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["not-an-arn"], "`not-an-arn` is not a room ARN"),
        (vec![], "no rooms to watch"),
        (
            vec!["--endpoint-url", "ftp://x", ROOM],
            "chat needs http(s)://",
        ),
        (vec!["--playbook", "missing.yaml"], "nothing watched"),
    ] {
        let out = clean_command(bin(), dir.path())
            .arg("watch")
            .args(&args)
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A room that does not exist cannot be watched: CreateChatToken says so,
/// watch says which room and why, and exits 1.
#[tokio::test]
async fn a_room_that_does_not_exist_ends_with_exit_1() {
    let emu = emulator(false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = clean_command(bin(), dir.path())
        .args(["watch", "--endpoint-url", &emu.endpoint_url(), ROOM])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    assert!(err.contains(ROOM), "{err}");
}

/// The README's tour step, as written: an emulator, `watch` of the
/// playbook's rooms, and `run`; watch prints each announcement. Only the
/// address differs (the test's emulator listens on a free port).
#[tokio::test]
async fn readme_watch_your_announcement_arrive() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## Watch your announcement arrive")
        .nth(1)
        .expect("the README has the tour step");
    let block = section
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let commands: Vec<&str> = block
        .lines()
        .map(|l| {
            l.split(" #")
                .next()
                .unwrap()
                .trim()
                .trim_end_matches('&')
                .trim()
        })
        .filter(|l| l.starts_with("ivschat-playbook "))
        .collect();
    assert_eq!(commands.len(), 3, "{commands:?}");
    assert!(commands[0].starts_with("ivschat-playbook emulator"));
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    let words = |c: &str| -> Vec<String> {
        c.split_whitespace()
            .skip(1)
            .map(|w| w.replace("http://127.0.0.1:4566", &url))
            .collect()
    };
    let watch_args = words(commands[1]);
    assert_eq!(watch_args[0], "watch");
    let refs: Vec<&str> = watch_args[1..].iter().map(String::as_str).collect();
    let (child, _) = watch(root(), &refs, 4).await;
    let journal = tempfile::tempdir().unwrap();
    let run = clean_command(bin(), root())
        .args(words(commands[2]))
        .arg("--journal")
        .arg(journal.path().join("j.jsonl"))
        .output()
        .await
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 6, "{text}");
    // Attributes print in the order they came in, which is the SDK's map
    // order and differs from request to request (so the README shows both).
    assert!(
        text.lines().all(|l| l.contains("  EVENT  SystemMessage  ")
            && l.contains("  msgType=user-notification  ")),
        "{text}"
    );
    assert!(readme.contains(text.lines().next().unwrap().split("  ").nth(2).unwrap()));
}
