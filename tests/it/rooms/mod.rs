//! Rooms from the service: `rooms` lists them (tags, names, regions, every
//! page, within the room operations' quota), and the inventory it writes
//! is one that `include:` accepts. The binary talks to the emulator through
//! the real SDK.

mod list;
mod lock;
mod preflight;

use std::path::Path;
use std::process::Output;

use indexmap::IndexMap;
use ivschat_playbook::emulator::{self, EmulatorConfig, EmulatorHandle, RoomSeed, RoomSeedSpec};

use crate::support::{bin, clean_command};

const ACCOUNT: &str = "123456789012";

/// A seeded room: `r{i}` named `lobby-{i}` (or `stage-{i}` when `i` is a
/// multiple of 7) in `regions[i % len]`, tagged `team=chat`, and
/// `env=prod` unless `i` is a multiple of 3 (then `env=dev`).
pub fn seed(i: usize, regions: &[&str]) -> RoomSeedSpec {
    let mut tags = IndexMap::new();
    tags.insert(
        "env".to_string(),
        if i.is_multiple_of(3) { "dev" } else { "prod" }.to_string(),
    );
    tags.insert("team".to_string(), "chat".to_string());
    let kind = if i.is_multiple_of(7) {
        "stage"
    } else {
        "lobby"
    };
    RoomSeedSpec {
        arn: format!(
            "arn:aws:ivschat:{}:{ACCOUNT}:room/r{i:05}",
            regions[i % regions.len()]
        ),
        name: Some(format!("{kind}-{i}")),
        tags,
        maximum_message_rate_per_second: None,
        maximum_message_length: None,
        update_time: None,
    }
}

/// An emulator with `n` seeded rooms ([`seed`]) and its quotas on.
pub async fn seeded(n: usize, regions: &[&str]) -> (EmulatorHandle, Vec<RoomSeedSpec>) {
    let seeds: Vec<RoomSeedSpec> = (0..n).map(|i| seed(i, regions)).collect();
    let emu = emulator::spawn(EmulatorConfig {
        rooms: seeds.iter().cloned().map(RoomSeed::Room).collect(),
        ..Default::default()
    })
    .await
    .unwrap();
    (emu, seeds)
}

/// The binary in `dir` with a clean AWS environment and `args`.
pub async fn tool(dir: &Path, args: &[&str]) -> Output {
    clean_command(bin(), dir).args(args).output().await.unwrap()
}

/// Status, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
