//! Benchmark: `validate` and `plan --format json` on a generated playbook of
//! 10,000 rooms and 10 events with templated attributes (100,000 sends).
//!
//! Targets: each under 1 s wall time and 200 MB peak memory on a 2-core
//! machine. Run with `cargo bench --bench validate_plan`; it prints a table
//! for BENCHMARKS.md. Wall times are the median of several runs; peak memory
//! is the child's maximum resident set size (from wait4). As a yardstick from
//! the same run, it also times `cat` of the file and a bare serde_yaml parse
//! of it, so the figures can be read as ratios on a noisy machine.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROOMS: usize = 10_000;
const EVENTS: usize = 10;
const RUNS: usize = 5;

fn generate(dir: &Path) -> PathBuf {
    let mut s = String::with_capacity(2 << 20);
    s.push_str("# yaml-language-server: $schema=../schema/playbook.schema.json\n");
    s.push_str("version: 1\nname: bench\nsettings: { rate: 100, burst: 10 }\n");
    s.push_str("vars:\n  minutes: 15\n  product: Example\nrooms:\n");
    let regions = [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-northeast-1",
    ];
    let tags = ["eu", "us", "beta", "lobby", "vip"];
    for i in 0..ROOMS {
        let region = regions[i % regions.len()];
        s.push_str(&format!(
            "  - arn: arn:aws:ivschat:{region}:123456789012:room/Room{i:08}\n    name: room-{i}\n    tags: [{}, {}]\n    vars: {{ locale: {} }}\n",
            tags[i % 5],
            tags[(i / 5) % 5],
            if i % 3 == 0 { "de" } else { "en" }
        ));
    }
    s.push_str("events:\n");
    for e in 0..EVENTS {
        s.push_str(&format!(
            "  - name: Event{e}\n    attributes:\n      msgType: notice-{e}\n      msgText: \"{{% if locale == 'de' %}}Raum {{{{ room.name }}}} schließt in {{{{ minutes }}}} Minuten{{% else %}}Room {{{{ room.name }}}} closes in {{{{ minutes }}}} minutes{{% endif %}}\"\n      region: \"{{{{ room.region }}}}\"\n      product: \"{{{{ product }}}} #{e}\"\n"
        ));
    }
    let path = dir.join("bench.yaml");
    std::fs::write(&path, s).unwrap();
    path
}

/// Runs a command to completion, returning wall time and peak RSS in bytes.
fn measure(cmd: &mut Command) -> (Duration, u64) {
    let m = common::measure(cmd);
    assert!(m.ok, "command failed: {cmd:?}");
    (m.wall, m.max_rss)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn row(name: &str, mut make: impl FnMut() -> Command) -> (Duration, u64) {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..RUNS {
        let (t, rss) = measure(&mut make());
        times.push(t);
        peak = peak.max(rss);
    }
    let m = median(times);
    println!(
        "| {name} | {:.3} s | {:.1} MB |",
        m.as_secs_f64(),
        peak as f64 / 1e6
    );
    (m, peak)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let bin = env!("CARGO_BIN_EXE_ivschat-playbook");
    let dir = tempfile::tempdir().unwrap();
    let playbook = generate(dir.path());
    let size = std::fs::metadata(&playbook).unwrap().len();

    println!(
        "playbook: {ROOMS} rooms x {EVENTS} events = {} sends, {:.2} MB of YAML; median of {RUNS} runs",
        ROOMS * EVENTS,
        size as f64 / 1e6
    );
    println!();
    println!("| command | wall (median) | peak RSS (max) |");
    println!("|---|---|---|");
    let (v, v_rss) = row("`validate`", || {
        let mut c = Command::new(bin);
        c.arg("validate").arg(&playbook);
        c
    });
    let (p, p_rss) = row("`plan --format json`", || {
        let mut c = Command::new(bin);
        c.args(["plan", "--format", "json"]).arg(&playbook);
        c
    });
    let (c, _) = row("`cat` (floor: process start and reading the file)", || {
        let mut c = Command::new("cat");
        c.arg(&playbook);
        c
    });
    // Measured after the children: a forked child's peak memory includes
    // what this process held when it forked.
    let t = Instant::now();
    let text = std::fs::read_to_string(&playbook).unwrap();
    let _: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let bare_parse = t.elapsed();
    println!();
    println!(
        "bare serde_yaml parse of the file in-process: {:.3} s; validate = {:.1}x that, plan --format json = {:.1}x",
        bare_parse.as_secs_f64(),
        v.as_secs_f64() / bare_parse.as_secs_f64(),
        p.as_secs_f64() / bare_parse.as_secs_f64()
    );
    let _ = c;
    let ok = v < Duration::from_secs(1)
        && p < Duration::from_secs(1)
        && v_rss < 200_000_000
        && p_rss < 200_000_000;
    println!(
        "targets (< 1 s, < 200 MB each): {}",
        if ok { "met" } else { "NOT met" }
    );
    std::io::stdout().flush().unwrap();
}
