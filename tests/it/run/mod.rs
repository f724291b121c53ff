//! `run` end to end: the binary sends through the real `aws-sdk-ivschat`
//! client to the emulator over loopback, and the emulator's delivery record
//! is the proof of what arrived.

mod accounts;
mod interrupt;
mod limit;
mod records;
mod reports;
mod resume;
mod send;
mod timeline;
mod verify;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use ivschat_playbook::emulator::{self, DeliveredEvent, EmulatorConfig, EmulatorHandle};
use ivschat_playbook::journal::{self, JournalRecord};
use ivschat_playbook::report::{Report, Status};

use crate::support::fixtures::root;
use crate::support::{bin, clean_command};

const ACCOUNT: &str = "123456789012";

/// The binary with a clean AWS environment: nothing from this machine's
/// configuration leaks in.
fn command(dir: &Path) -> tokio::process::Command {
    clean_command(bin(), dir)
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
    let schema_text = std::fs::read_to_string(root().join("schema/report.schema.json")).unwrap();
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
    r.head.summary.counts.get(&s).copied().unwrap_or(0)
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
