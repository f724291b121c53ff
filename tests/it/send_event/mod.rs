//! `send-event` end to end: the binary against an emulator started in
//! process, for every form of input, every error and its exit code; then
//! side by side with the real AWS CLI (from the venv of
//! `scripts/setup-venv`); and our shorthand parser against the AWS CLI's.

mod input;
mod output;
mod service_errors;

use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use ivschat_playbook::emulator::{self, EmulatorConfig, EmulatorHandle};

use crate::support::{bin, clean_command};

const ARN: &str = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6";

#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `ivschat-playbook send-event ARGS` with a clean environment plus
/// `env` (an empty value removes the variable).
async fn ours(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut c = clean_command(bin(), dir);
    c.arg("send-event").args(args);
    for (k, v) in env {
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
    run(c).await
}

async fn run(mut c: tokio::process::Command) -> Ran {
    let out = tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("finishes within a minute")
        .expect("starts");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn emulator(auto_create_rooms: bool) -> EmulatorHandle {
    emulator::spawn(EmulatorConfig {
        auto_create_rooms,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// The id in `{"id": "..."}` printed the AWS CLI's way, or a panic.
fn printed_id(r: &Ran) -> String {
    assert_eq!(r.code, 0, "{r:?}");
    let id = r
        .stdout
        .strip_prefix("{\n    \"id\": \"")
        .and_then(|s| s.strip_suffix("\"\n}\n"))
        .unwrap_or_else(|| panic!("not the AWS CLI's JSON: {:?}", r.stdout));
    assert!(
        id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    id.to_string()
}

fn attrs(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}
