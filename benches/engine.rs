//! The send engine against the emulator in another process: throughput
//! next to three baselines measured in the same run, rate accuracy, memory
//! as the plan grows, and CPU per send at the quota.
//!
//! ```text
//! cargo bench --bench engine -- [throughput] [rate] [memory] [quota] [--rounds N]   (default: all)
//! ```
//!
//! - throughput: `ivschat-playbook run` (rate limit raised out of the way
//!   with the hidden `--unchecked-rate`, which only works against an
//!   emulator) sends 100,000 events; a bare `aws-sdk-ivschat` loop (one
//!   client, `buffer_unordered(64)`, nothing else) sends 100,000; a boto3
//!   script with 32 threads (`benches/boto3_sendevent.py`) and the AWS CLI in
//!   a shell loop (`benches/awscli_loop.sh`) send fewer, since they are slow.
//!   All against the same emulator (quotas and faults off), one after
//!   another. Ratios matter, not absolute numbers: this machine is shared.
//! - rate: `run --rate 100` for 3,000 sends (30 s) against the emulator;
//!   achieved rate from the report, and the busiest one-second window of
//!   the emulator's own delivery log.
//! - memory: peak RSS of `run` for 100,000 and 1,000,000-send plans: 10,000
//!   rooms × 10/100 events and 100,000 rooms × 1/10 events (sends grow, the
//!   rooms stay), and 10,000/100,000 rooms × 10 events (the rooms grow too).
//! - quota: CPU per send of `run --rate 100 --burst 5` against a bare SDK
//!   loop paced at the same rate, each in its own process ([`quota`]);
//!   `--rounds N` alternations (default 3). `IVSCHAT_BENCH_BIN` replaces
//!   the `run` binary measured (here and in the other modes), and
//!   `IVSCHAT_BENCH_BEFORE_BIN` adds an earlier build to the quota and
//!   throughput alternations.
//!
//! Needs the Python virtual environment from `scripts/setup-venv` for the
//! boto3 and AWS CLI baselines (skipped with a note when missing). Loopback
//! only; every loop is bounded and stops by itself.

mod common;
#[path = "engine/quota.rs"]
mod quota;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::{BehaviorVersion, Region};
use futures::StreamExt;
use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

const BIN: &str = env!("CARGO_BIN_EXE_ivschat-playbook");

/// The `run` binary measured: `IVSCHAT_BENCH_BIN`, else the one cargo
/// built for this bench (which also serves as the emulator).
fn ours_bin() -> PathBuf {
    std::env::var_os("IVSCHAT_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(BIN))
}

struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start(extra: &[&str]) -> Emulator {
        let mut child = Command::new(BIN)
            .args([
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--no-quotas",
                "--auto-create-rooms",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Emulator {
            child,
            url: line.trim().to_string(),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn venv() -> PathBuf {
    std::env::var_os("IVSCHAT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/ivschat-playbook/venv")
        })
}

fn aws_env(c: &mut Command, dir: &Path) {
    c.env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-west-2")
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", dir);
}

/// A playbook of `rooms` rooms in us-west-2 and `events` templated events.
fn playbook(dir: &Path, rooms: usize, events: usize) -> PathBuf {
    let mut s = String::from("version: 1\nname: bench\nrooms:\n");
    for i in 0..rooms {
        s.push_str(&format!(
            "  - {{ arn: arn:aws:ivschat:us-west-2:123456789012:room/b{i:07}, name: r{i}, vars: {{ n: \"{i}\" }} }}\n"
        ));
    }
    s.push_str("events:\n");
    for e in 0..events {
        s.push_str(&format!(
            "  - name: Bench{e}\n    attributes:\n      msgType: notice\n      msgText: \"event {e} for room {{{{ n }}}} ({{{{ room.name }}}})\"\n"
        ));
    }
    let p = dir.join(format!("p-{rooms}x{events}.yaml"));
    std::fs::write(&p, s).unwrap();
    p
}

/// Runs a command to completion: wall time, peak RSS (bytes), success.
fn measure(cmd: &mut Command) -> (Duration, u64, bool) {
    let m = common::measure(cmd);
    (m.wall, m.max_rss, m.ok)
}

/// The report's summary, read from the report's head only: a report of a
/// million sends is large, and this process must stay small, because a
/// child's peak RSS as wait4 reports it includes what the parent held when
/// it forked.
fn report_summary(path: &Path) -> serde_json::Value {
    report_head(path)["summary"].clone()
}

/// The report without its sends.
fn report_head(path: &Path) -> serde_json::Value {
    let mut head = String::new();
    let mut reader = BufReader::new(std::fs::File::open(path).unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 {
        if line.trim() == "\"sends\": [" || line.trim() == "\"sends\": []" {
            break;
        }
        head.push_str(&line);
        line.clear();
    }
    let head = head.trim_end().trim_end_matches(',');
    // `"sends": []` (no sends) closes the object on the same line.
    serde_json::from_str(&format!("{head}}}")).unwrap()
}

fn our_run(dir: &Path, url: &str, pb: &Path, extra: &[&str]) -> (Duration, u64, serde_json::Value) {
    run_with(&ours_bin(), dir, url, pb, extra)
}

fn run_with(
    bin: &Path,
    dir: &Path,
    url: &str,
    pb: &Path,
    extra: &[&str],
) -> (Duration, u64, serde_json::Value) {
    let report = dir.join("r.json");
    let journal = dir.join("j.jsonl");
    let _ = std::fs::remove_file(&journal);
    let mut c = Command::new(bin);
    aws_env(&mut c, dir);
    c.current_dir(dir)
        .args(["run", "--endpoint-url", url, "--report"])
        .arg(&report)
        .arg("--journal")
        .arg(&journal)
        .args(extra)
        .arg(pb);
    let (t, rss, ok) = measure(&mut c);
    assert!(ok, "run failed: {c:?}");
    (t, rss, report_summary(&report))
}

fn bare_sdk_loop(url: &str, n: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conf = aws_sdk_ivschat::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(url)
            .region(Region::new("us-west-2"))
            .credentials_provider(aws_credential_types::Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
                None,
                None,
                "bench",
            ))
            .retry_config(RetryConfig::disabled())
            .build();
        let client = aws_sdk_ivschat::Client::from_conf(conf);
        let start = Instant::now();
        let ok = futures::stream::iter(0..n)
            .map(|i| {
                let client = client.clone();
                async move {
                    client
                        .send_event()
                        .room_identifier(format!(
                            "arn:aws:ivschat:us-west-2:123456789012:room/s{:07}",
                            i % 10_000
                        ))
                        .event_name("Bench")
                        .attributes("msgText", format!("bare {i}"))
                        .send()
                        .await
                        .is_ok()
                }
            })
            .buffer_unordered(64)
            .filter(|ok| futures::future::ready(*ok))
            .count()
            .await;
        assert_eq!(ok, n, "bare loop: some sends failed");
        n as f64 / start.elapsed().as_secs_f64()
    })
}

fn script_rate(cmd: &mut Command) -> Option<f64> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!("baseline failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["rate"].as_f64()
}

fn throughput(dir: &Path) {
    let emu = Emulator::start(&["--keep-events", "1000"]);
    let n = 100_000;
    let pb = playbook(dir, 10_000, 10);
    println!("## Engine throughput ({n} SendEvent to the emulator in another process)\n");
    // Warm up connections and the emulator.
    let _ = bare_sdk_loop(&emu.url, 2_000);
    // Alternate the senders over three rounds and take medians, so a busy
    // moment on this shared machine does not favour one of them.
    let fast = [
        "--unchecked-rate",
        "1000000",
        "--burst",
        "100",
        "--concurrency",
        "64",
    ];
    let mut bares = Vec::new();
    let mut ourss = Vec::new();
    let mut nofsyncs = Vec::new();
    let before_bin = std::env::var_os("IVSCHAT_BENCH_BEFORE_BIN").map(PathBuf::from);
    let mut befores = Vec::new();
    let mut wall = Duration::ZERO;
    for _ in 0..3 {
        bares.push(bare_sdk_loop(&emu.url, n));
        let (w, _, s) = our_run(dir, &emu.url, &pb, &fast);
        wall = w;
        ourss.push(s["achieved_rate"].as_f64().unwrap());
        let mut no_fsync = fast.to_vec();
        no_fsync.push("--no-fsync");
        let (_, _, s) = our_run(dir, &emu.url, &pb, &no_fsync);
        nofsyncs.push(s["achieved_rate"].as_f64().unwrap());
        if let Some(b) = &before_bin {
            let (_, _, s) = run_with(b, dir, &emu.url, &pb, &fast);
            befores.push(s["achieved_rate"].as_f64().unwrap());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "rounds (bare / ours / ours --no-fsync, sends/s): {}\n",
        bares
            .iter()
            .zip(&ourss)
            .zip(&nofsyncs)
            .map(|((b, o), f)| format!("{b:.0} / {o:.0} / {f:.0}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let bare = median(&mut bares);
    let ours = median(&mut ourss);
    let ours_nofsync = median(&mut nofsyncs);
    if !befores.is_empty() {
        println!(
            "rounds of the earlier build (IVSCHAT_BENCH_BEFORE_BIN), fsynced: {}\n",
            befores
                .iter()
                .map(|b| format!("{b:.0}"))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    let before = (!befores.is_empty()).then(|| median(&mut befores));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = venv().join("bin/python");
    let boto3 = if python.exists() {
        let mut c = Command::new(&python);
        aws_env(&mut c, dir);
        c.arg(root.join("benches/boto3_sendevent.py"))
            .args([&emu.url, "3000", "32"]);
        script_rate(&mut c)
    } else {
        None
    };
    let awscli = if python.exists() {
        let mut c = Command::new("bash");
        aws_env(&mut c, dir);
        c.env(
            "PATH",
            format!(
                "{}:{}",
                venv().join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .arg(root.join("benches/awscli_loop.sh"))
        .args([&emu.url, "10"]);
        script_rate(&mut c)
    } else {
        None
    };
    println!("| sender | sends/s | ours ÷ it |\n|---|---:|---:|");
    println!("| `ivschat-playbook run` (journal fsynced) | {ours:.0} | 1.00 |");
    println!(
        "| `ivschat-playbook run --no-fsync` | {ours_nofsync:.0} | {:.2} |",
        ours / ours_nofsync
    );
    if let Some(b) = before {
        println!(
            "| the earlier build's `run` (journal fsynced) | {b:.0} | {:.2} |",
            ours / b
        );
    }
    println!(
        "| bare `aws-sdk-ivschat`, `buffer_unordered(64)` | {bare:.0} | {:.2} |",
        ours / bare
    );
    match boto3 {
        Some(b) => println!(
            "| boto3, 32 threads (3,000 sends) | {b:.0} | {:.1} |",
            ours / b
        ),
        None => println!("| boto3, 32 threads | not run (no venv: scripts/setup-venv) | |"),
    }
    match awscli {
        Some(a) => println!(
            "| AWS CLI in a shell loop (10 sends) | {a:.2} | {:.0} |",
            ours / a
        ),
        None => println!("| AWS CLI loop | not run (no venv) | |"),
    }
    println!(
        "\nrun: {:.1} s wall for the whole command (validation, plan, sending, report); targets: ours ≥ 0.70 × bare SDK ({}), ≥ 10 × boto3 ({})\n",
        wall.as_secs_f64(),
        if ours >= 0.7 * bare { "met" } else { "NOT met" },
        match boto3 {
            Some(b) if ours >= 10.0 * b => "met",
            Some(_) => "NOT met",
            None => "not measured",
        }
    );
}

fn rate_accuracy(dir: &Path) {
    let log = dir.join("events.jsonl");
    let emu = Emulator::start(&[
        "--keep-events",
        "1000",
        "--events-log",
        log.to_str().unwrap(),
    ]);
    let pb = playbook(dir, 300, 10);
    let (_, _, s) = our_run(dir, &emu.url, &pb, &["--rate", "100", "--burst", "5"]);
    // The burst in force: cut so that rate + burst fits the quota.
    let burst = report_head(&dir.join("r.json"))["settings"]["burst"]
        .as_u64()
        .unwrap();
    drop(emu);
    let mut times: Vec<f64> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap())
                .unwrap()
                .timestamp_micros() as f64
                / 1000.0
        })
        .collect();
    let peak = ivschat_playbook::report::build::peak_in_window(&mut times, 1000.0);
    let achieved = s["achieved_rate"].as_f64().unwrap();
    println!("## Rate accuracy (`run --rate 100 --burst 5`, 3,000 sends)\n");
    println!("| measure | value | target |\n|---|---:|---|");
    println!(
        "| achieved rate (report) | {achieved:.2}/s ({:.1}% of 100) | ≥ 99% |",
        achieved
    );
    println!(
        "| duration | {:.2} s | |",
        s["duration_seconds"].as_f64().unwrap()
    );
    println!(
        "| busiest 1-s window, emulator's delivery log | {peak} | ≤ {} (rate + burst {burst}; arrivals carry the loopback's jitter) |",
        100 + burst
    );
    println!(
        "| busiest 1-s window of attempts, report | {} | ≤ {} (rate + burst − 1, what the gate lets leave) |\n",
        s["regions"][0]["peak_per_second"],
        100 + burst - 1
    );
}

fn memory(dir: &Path) {
    let emu = Emulator::start(&["--keep-events", "1000"]);
    println!("## Memory of `run` (peak RSS, whole process)\n");
    println!("| plan | sends | peak RSS | wall |\n|---|---:|---:|---:|");
    let mut results = Vec::new();
    for (rooms, events) in [(10_000, 10), (10_000, 100), (100_000, 1), (100_000, 10)] {
        let pb = playbook(dir, rooms, events);
        let (t, rss, s) = our_run(
            dir,
            &emu.url,
            &pb,
            &[
                "--unchecked-rate",
                "1000000",
                "--burst",
                "100",
                "--concurrency",
                "64",
                "--no-fsync",
            ],
        );
        let sent = s["counts"]["sent"].as_u64().unwrap();
        assert_eq!(sent as usize, rooms * events);
        println!(
            "| {rooms} rooms × {events} events | {} | {:.1} MB | {:.1} s |",
            rooms * events,
            rss as f64 / 1e6,
            t.as_secs_f64()
        );
        results.push(rss);
        std::io::stdout().flush().unwrap();
    }
    println!(
        "\ngrowth 100k → 1M sends: {:.2}x (10,000 rooms, 10 → 100 events), {:.2}x (100,000 rooms, 1 → 10 events); target < 2x and < 300 MB",
        results[1] as f64 / results[0] as f64,
        results[3] as f64 / results[2] as f64
    );
    println!(
        "with ten times the rooms as well (10,000 × 10 → 100,000 × 10): {:.2}x\n",
        results[3] as f64 / results[0] as f64
    );
}

fn main() -> std::process::ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some(quota::BARE_MODE) {
        return quota::bare_main(&raw[1..]);
    }
    let rounds = raw
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| raw.get(i + 1))
        .map(|n| n.parse().expect("--rounds N"))
        .unwrap_or(3);
    let args: Vec<&String> = raw
        .iter()
        .filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .collect();
    let all = args.is_empty();
    let dir = tempfile::tempdir().unwrap();
    if all || args.iter().any(|a| *a == "throughput") {
        throughput(dir.path());
    }
    if all || args.iter().any(|a| *a == "rate") {
        rate_accuracy(dir.path());
    }
    if all || args.iter().any(|a| *a == "memory") {
        memory(dir.path());
    }
    if all || args.iter().any(|a| *a == "quota") {
        quota::quota(dir.path(), rounds);
    }
    std::process::ExitCode::SUCCESS
}
