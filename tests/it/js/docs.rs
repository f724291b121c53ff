//! The front-end example of docs/emulator.md runs as written: its `js`
//! block, with the emulator's real address for `127.0.0.1:4566`, connects
//! the official client, and the `send-event` command the docs show makes it
//! print the event.

use std::time::Duration;

use ivschat_playbook::emulator::{self, EmulatorConfig};
use tokio::io::AsyncBufReadExt;

use crate::support::fixtures::root;
use crate::support::node::node_with_script;
use crate::support::{bin, clean_command};

/// The first fenced block of `lang` in `text` that starts with `first`.
fn block<'a>(text: &'a str, lang: &str, first: &str) -> &'a str {
    let fence = format!("```{lang}\n{first}");
    let start = text.find(&fence).expect("the example block") + lang.len() + 4;
    let len = text[start..].find("\n```").expect("the block ends");
    &text[start..start + len + 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_end_example_prints_the_event() {
    let docs = std::fs::read_to_string(root().join("docs/emulator.md")).unwrap();
    let emu = emulator::spawn(EmulatorConfig {
        auto_create_rooms: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let addr = emu.local_addr().to_string();
    let script = block(&docs, "js", "// front-end.js").replace("127.0.0.1:4566", &addr);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("front-end.js");
    std::fs::write(&path, script).unwrap();

    let mut child = node_with_script(&path, &[], dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut line = async || {
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("a line within 30 s")
            .unwrap()
            .expect("a line")
    };
    assert_eq!(line().await, "connected");

    // The send-event command of the docs, at the emulator's address.
    let sh = block(&docs, "sh", "node front-end.js &");
    let command = sh
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ")
        .replace("127.0.0.1:4566", &addr);
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args[0], "ivschat-playbook", "{command}");
    let out = clean_command(bin(), dir.path())
        .args(&args[1..])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(line().await, r#"SystemMessage {"msgText":"hello"}"#);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the example exits by itself")
        .unwrap();
    assert!(status.success());
}
