//! CPU per send at the quota: `run --rate 100 --burst 5` against a bare
//! `aws-sdk-ivschat` loop paced by `tokio::time::interval` at the same
//! rate, each in its own process, CPU time (user + system of the whole
//! process) from `wait4`, alternated in one run.
//!
//! Two plans: 3,000 sends to one region (30 s at 100/s), and 3 × 1,000 to
//! three regions (10 s, each region at 100/s). The bare loop is this bench
//! binary run again in a hidden mode ([`bare_main`]): one client and one
//! interval per region, each send awaited before the next tick. It runs
//! twice: as it is, and writing a line like `run`'s start record and
//! fsyncing it before each request (and one like the end record after),
//! the floor of any sender that keeps a write-ahead journal. `run` keeps
//! its journal fsync on, as by default; `run --no-fsync` is measured beside
//! it to show what the fsync costs.
//!
//! `IVSCHAT_BENCH_BIN` replaces the `run` binary under test and
//! `IVSCHAT_BENCH_BEFORE_BIN` adds another (an earlier build) to the
//! alternation, so a change is measured against what came before it in
//! the same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::{BehaviorVersion, Region};
use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

use super::{Emulator, aws_env, common, ours_bin, report_summary};

/// The hidden argument that runs the bare loop instead of the benchmark.
pub const BARE_MODE: &str = "__bare-paced";

const RATE: u32 = 100;
const ACCOUNT: &str = "123456789012";
const EVENTS: usize = 10;

/// One plan: its regions, each with `per_region` sends.
struct Scenario {
    name: &'static str,
    regions: &'static [&'static str],
    per_region: usize,
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "3,000 sends, 1 region",
        regions: &["us-west-2"],
        per_region: 3_000,
    },
    Scenario {
        name: "3 × 1,000 sends, 3 regions",
        regions: &["us-west-2", "us-east-1", "eu-west-1"],
        per_region: 1_000,
    },
];

/// A sender under test: a label and how to start it.
struct Sender {
    label: String,
    kind: Kind,
}

enum Kind {
    /// The bare loop; with a write-ahead journal of its own when true.
    Bare(bool),
    Run {
        bin: PathBuf,
        extra: &'static [&'static str],
    },
}

/// The scenario's playbook: `per_region / EVENTS` rooms in each region,
/// `EVENTS` templated events each. The regions' rooms alternate in the
/// list: `run` takes rooms in order, `--concurrency` at a time, so rooms
/// listed region by region would keep one region busy and the others idle.
fn playbook(dir: &Path, s: &Scenario) -> PathBuf {
    let mut text = String::from("version: 1\nname: quota\nrooms:\n");
    for i in 0..s.per_region / EVENTS {
        for (r, region) in s.regions.iter().enumerate() {
            text.push_str(&format!(
                "  - {{ arn: 'arn:aws:ivschat:{region}:{ACCOUNT}:room/q{i:06}', name: r{r}-{i}, vars: {{ n: \"{i}\" }} }}\n"
            ));
        }
    }
    text.push_str("events:\n");
    for e in 0..EVENTS {
        text.push_str(&format!(
            "  - name: Quota{e}\n    attributes:\n      msgType: notice\n      msgText: \"event {e} for room {{{{ n }}}} ({{{{ room.name }}}})\"\n"
        ));
    }
    let p = dir.join(format!("quota-{}.yaml", s.regions.len()));
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs one sender over one scenario; CPU per send and wall time.
fn once(dir: &Path, url: &str, pb: &Path, s: &Scenario, sender: &Sender) -> (Duration, Duration) {
    let sends = s.per_region * s.regions.len();
    let mut c;
    match &sender.kind {
        Kind::Bare(journaled) => {
            let journal = dir.join("bare.jsonl");
            let _ = std::fs::remove_file(&journal);
            c = Command::new(std::env::current_exe().unwrap());
            c.arg(BARE_MODE)
                .arg(url)
                .arg(s.per_region.to_string())
                .arg(RATE.to_string())
                .arg(if *journaled {
                    journal.as_os_str()
                } else {
                    "-".as_ref()
                })
                .args(s.regions);
        }
        Kind::Run { bin, extra } => {
            let journal = dir.join("quota.jsonl");
            let _ = std::fs::remove_file(&journal);
            c = Command::new(bin);
            c.current_dir(dir)
                .args(["run", "--endpoint-url", url, "--report"])
                .arg(dir.join("quota-report.json"))
                .arg("--journal")
                .arg(&journal)
                .args(["--rate", &RATE.to_string(), "--burst", "5"])
                .args(*extra)
                .arg(pb);
        }
    }
    aws_env(&mut c, dir);
    let m = common::measure(&mut c);
    assert!(m.ok, "{} failed: {c:?}", sender.label);
    if let Kind::Run { .. } = sender.kind {
        let summary = report_summary(&dir.join("quota-report.json"));
        assert_eq!(
            summary["counts"]["sent"].as_u64(),
            Some(sends as u64),
            "{}: not every send was sent",
            sender.label
        );
    }
    (m.cpu / sends as u32, m.wall)
}

/// The benchmark: every sender once per round, rounds alternated, medians
/// and ratios to the bare loop printed as Markdown.
pub fn quota(dir: &Path, rounds: usize) {
    let emu = Emulator::start(&["--keep-events", "1000"]);
    let mut senders = vec![
        Sender {
            label: "bare SDK loop, `tokio::time::interval`".into(),
            kind: Kind::Bare(false),
        },
        Sender {
            label: "the same with a write-ahead line fsynced before each request".into(),
            kind: Kind::Bare(true),
        },
        Sender {
            label: "`run` (journal fsynced)".into(),
            kind: Kind::Run {
                bin: ours_bin(),
                extra: &[],
            },
        },
        Sender {
            label: "`run --no-fsync`".into(),
            kind: Kind::Run {
                bin: ours_bin(),
                extra: &["--no-fsync"],
            },
        },
    ];
    // Warm up the emulator and the page cache.
    let warm = Scenario {
        name: "warm-up",
        regions: SCENARIOS[1].regions,
        per_region: 200,
    };
    let _ = once(dir, &emu.url, Path::new(""), &warm, &senders[0]);
    if let Some(before) = std::env::var_os("IVSCHAT_BENCH_BEFORE_BIN") {
        senders.push(Sender {
            label: "`run` before (journal fsynced)".into(),
            kind: Kind::Run {
                bin: before.into(),
                extra: &[],
            },
        });
    }
    println!(
        "## CPU per send at the quota (`--rate {RATE} --burst 5`, user + system from wait4, {rounds} rounds alternated)\n"
    );
    for s in &SCENARIOS {
        let pb = playbook(dir, s);
        let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); senders.len()];
        let mut walls: Vec<Vec<f64>> = vec![Vec::new(); senders.len()];
        for _ in 0..rounds {
            for (i, sender) in senders.iter().enumerate() {
                let (c, w) = once(dir, &emu.url, &pb, s, sender);
                cpu[i].push(c.as_secs_f64() * 1e6);
                walls[i].push(w.as_secs_f64());
            }
        }
        print_table(s, &senders, &mut cpu, &walls);
    }
}

fn print_table(s: &Scenario, senders: &[Sender], cpu: &mut [Vec<f64>], walls: &[Vec<f64>]) {
    println!("### {}\n", s.name);
    println!(
        "rounds (µs of CPU per send): {}\n",
        (0..cpu[0].len())
            .map(|r| cpu
                .iter()
                .map(|c| format!("{:.0}", c[r]))
                .collect::<Vec<_>>()
                .join(" / "))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let medians: Vec<f64> = cpu
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    println!(
        "| sender | CPU per send (median) | ÷ bare loop | ÷ bare loop + journal | wall (last) |\n|---|---:|---:|---:|---:|"
    );
    for (i, sender) in senders.iter().enumerate() {
        println!(
            "| {} | {:.0} µs | {:.2} | {:.2} | {:.1} s |",
            sender.label,
            medians[i],
            medians[i] / medians[0],
            medians[i] / medians[1],
            walls[i].last().copied().unwrap_or_default()
        );
    }
    let run = senders
        .iter()
        .position(|s| matches!(s.kind, Kind::Run { .. }))
        .expect("run is measured");
    println!(
        "\ntargets: `run` ≤ 1.5 × the bare loop ({}), < 300 µs per send ({})\n",
        if medians[run] <= 1.5 * medians[0] {
            "met"
        } else {
            "NOT met"
        },
        if medians[run] < 300.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// The bare loop, in its own process: `URL PER_REGION RATE JOURNAL
/// REGION…`, JOURNAL `-` for none. Exits non-zero if any send failed.
pub fn bare_main(args: &[String]) -> std::process::ExitCode {
    let [url, per_region, rate, journal, regions @ ..] = args else {
        panic!("usage: {BARE_MODE} URL PER_REGION RATE JOURNAL|- REGION...");
    };
    let per_region: usize = per_region.parse().unwrap();
    let rate: f64 = rate.parse().unwrap();
    let journal = (journal != "-").then(|| {
        Arc::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(journal)
                .unwrap(),
        )
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let failed: usize = rt.block_on(async {
        let loops: Vec<_> = regions
            .iter()
            .map(|r| {
                let journal = journal.clone();
                tokio::spawn(region_loop(
                    url.clone(),
                    r.clone(),
                    per_region,
                    rate,
                    journal,
                ))
            })
            .collect();
        let mut failed = 0;
        for l in loops {
            failed += l.await.unwrap();
        }
        failed
    });
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// `n` sends to `region`, one per tick of an interval at `rate`. With a
/// journal, a line like `run`'s start record is written and fsynced (on
/// the loop's own thread) before each request and one like its end record
/// after: the floor of a sender that keeps a write-ahead journal.
async fn region_loop(
    url: String,
    region: String,
    n: usize,
    rate: f64,
    journal: Option<Arc<std::fs::File>>,
) -> usize {
    let conf = aws_sdk_ivschat::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.clone()))
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
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut failed = 0;
    for i in 0..n {
        tick.tick().await;
        if let Some(j) = &journal {
            (&**j).write_all(&record("start", &region, i, 370)).unwrap();
            j.sync_data().unwrap();
        }
        let sent = client
            .send_event()
            .room_identifier(format!(
                "arn:aws:ivschat:{region}:{ACCOUNT}:room/q{:06}",
                i % (n / EVENTS).max(1)
            ))
            .event_name("Quota")
            .attributes("msgType", "notice")
            .attributes("msgText", format!("bare {i}"))
            .send()
            .await;
        if sent.is_err() {
            failed += 1;
        }
        if let Some(j) = &journal {
            (&**j).write_all(&record("end", &region, i, 300)).unwrap();
        }
    }
    failed
}

/// A journal line of about `len` bytes.
fn record(kind: &str, region: &str, i: usize, len: usize) -> Vec<u8> {
    let mut line = format!("{{\"type\":\"{kind}\",\"region\":\"{region}\",\"i\":{i},\"pad\":\"");
    line.push_str(&"x".repeat(len.saturating_sub(line.len() + 3)));
    line.push_str("\"}\n");
    line.into_bytes()
}
