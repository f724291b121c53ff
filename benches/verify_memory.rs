//! Memory of `run --verify`: peak RSS (from `wait4`) of the whole `run`
//! process as it watches rooms in chat and matches every send with its
//! frame, against the same run without `--verify`, in one run of this
//! program (so the figures compare as ratios on the same machine).
//!
//! Starts `ivschat-playbook emulator --no-quotas --auto-create-rooms` in its
//! own process (its memory is not counted), then runs
//! `run --endpoint-url URL --unchecked-rate 5000 [--verify]` on generated
//! playbooks of rooms spread over four regions. Each verified run must
//! report every send seen.
//!
//! ```text
//! cargo bench --bench verify_memory -- [--rooms N]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

const BIN: &str = env!("CARGO_BIN_EXE_ivschat-playbook");
const REGIONS: [&str; 4] = ["us-west-2", "us-east-1", "eu-west-1", "eu-central-1"];

fn playbook(dir: &Path, rooms: usize, events: usize) -> PathBuf {
    let mut s = String::from("version: 1\nname: bench\nrooms:\n");
    for i in 0..rooms {
        s.push_str(&format!(
            "  - {{ arn: \"arn:aws:ivschat:{}:123456789012:room/v{i:07}\", name: r{i} }}\n",
            REGIONS[i % REGIONS.len()]
        ));
    }
    s.push_str("events:\n");
    for e in 0..events {
        s.push_str(&format!(
            "  - name: Bench{e}\n    attributes:\n      msgText: \"event {e} for {{{{ room.name }}}}\"\n"
        ));
    }
    let p = dir.join(format!("p-{rooms}x{events}.yaml"));
    std::fs::write(&p, s).unwrap();
    p
}

fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}

/// The `summary` of a JSON report, read from its head only.
fn summary(path: &Path) -> serde_json::Value {
    let mut head = String::new();
    for line in BufReader::new(std::fs::File::open(path).unwrap()).lines() {
        let line = line.unwrap();
        if line.trim().starts_with("\"sends\": [") {
            break;
        }
        head.push_str(&line);
        head.push('\n');
    }
    let head = head.trim_end().trim_end_matches(',');
    let v: serde_json::Value = serde_json::from_str(&format!("{head}}}")).unwrap();
    v["summary"].clone()
}

fn run(dir: &Path, url: &str, pb: &Path, verify: bool) -> (common::Measured, serde_json::Value) {
    let report = dir.join("r.json");
    let journal = dir.join("j.jsonl");
    let _ = std::fs::remove_file(&journal);
    let mut c = Command::new(BIN);
    c.env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-west-2")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", dir)
        .current_dir(dir)
        .args([
            "run",
            "--endpoint-url",
            url,
            "--unchecked-rate",
            "5000",
            "--no-fsync",
        ])
        .arg("--report")
        .arg(&report)
        .arg("--journal")
        .arg(&journal);
    if verify {
        c.arg("--verify");
    }
    c.arg(pb);
    let m = common::measure(&mut c);
    assert!(m.ok, "run failed: {c:?}");
    (m, summary(&report))
}

fn main() {
    let mut rooms = 1000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rooms" => rooms = args.next().and_then(|v| v.parse().ok()).expect("--rooms N"),
            "--bench" => {}
            other => panic!("unknown flag {other}"),
        }
    }
    raise_fd_limit();
    let mut emu = Command::new(BIN)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--no-quotas",
            "--auto-create-rooms",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(emu.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (rooms, 1, false),
        (rooms / 10, 1, true),
        (rooms, 1, true),
        (rooms, 10, true),
    ];
    println!("| plan | sends | --verify | peak RSS | wall | seen |\n|---|---:|---|---:|---:|---:|");
    let mut peaks = Vec::new();
    for (r, e, verify) in cases {
        let pb = playbook(dir.path(), r, e);
        let (m, s) = run(dir.path(), &url, &pb, verify);
        let seen = if verify {
            let v = &s["verify"];
            assert_eq!(v["seen"], v["checked"], "every send seen: {v}");
            assert_eq!(v["checked"].as_u64(), Some((r * e) as u64));
            v["seen"].to_string()
        } else {
            "-".into()
        };
        println!(
            "| {r} rooms × {e} event{} | {} | {} | {:.1} MB | {:.1} s | {seen} |",
            if e == 1 { "" } else { "s" },
            r * e,
            if verify { "yes" } else { "no" },
            m.max_rss as f64 / 1e6,
            m.wall.as_secs_f64()
        );
        peaks.push(m.max_rss as f64);
    }
    println!(
        "\nverify at {rooms} rooms / without: {:.2}×; {rooms} rooms / {} rooms (verified): {:.2}×; 10 events a room / 1 (verified): {:.2}×",
        peaks[2] / peaks[0],
        rooms / 10,
        peaks[2] / peaks[1],
        peaks[3] / peaks[2]
    );
    let _ = emu.kill();
    let _ = emu.wait();
}
