//! Benchmark: `validate` and `plan --format json` against a bare serde_yaml
//! parse of the same playbook, as ratios from one run.
//!
//! Two generated playbooks with templated attributes: 10,000 rooms × 10
//! events (100,000 sends, `validate` and `plan --format json`) and 100,000
//! rooms × 10 events (1,000,000 sends, `validate`). Targets: `validate`
//! under 2× the bare parse and `plan --format json` under 3× on the first;
//! `validate` under 1 s and 150 MB on the second.
//!
//! ```sh
//! cargo bench --bench validate_plan
//! cargo bench --bench validate_plan -- --baseline OLD-BINARY   # before/after
//! cargo bench --bench validate_plan -- --bin BINARY --runs 9 --big-runs 3
//! ```
//!
//! The binary under test is the one `cargo bench` builds, or `--bin` (or the
//! `IVSCHAT_PLAYBOOK_BIN` environment variable). With `--baseline`, a second
//! binary runs too, alternated run by run with the first, so both meet the
//! same load. The bare parse runs in a child process as well (this program
//! again, with `--bare-parse FILE`), alternated with the others, and times
//! only `serde_yaml::from_str` of the file's text; so the ratios compare
//! whole commands, process start included, with the parse alone. Wall times
//! are medians; peak memory is the largest maximum resident set size of a
//! child (from wait4).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EVENTS: usize = 10;

fn generate(dir: &Path, rooms: usize) -> PathBuf {
    let mut s = String::with_capacity(rooms * 140 + 4096);
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
    for i in 0..rooms {
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
    let path = dir.join(format!("bench-{rooms}.yaml"));
    std::fs::write(&path, s).unwrap();
    path
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Several runs of one thing: wall times and the largest peak RSS.
#[derive(Default)]
struct Runs {
    walls: Vec<Duration>,
    peak: u64,
}

impl Runs {
    fn add(&mut self, wall: Duration, rss: u64) {
        self.walls.push(wall);
        self.peak = self.peak.max(rss);
    }
    fn median(&self) -> Duration {
        median(self.walls.clone())
    }
}

/// One run of a command, output discarded: wall time and peak RSS.
fn run(cmd: &mut Command) -> (Duration, u64) {
    let m = common::measure(cmd);
    assert!(m.ok, "command failed: {cmd:?}");
    (m.wall, m.max_rss)
}

/// One bare parse in a child: the in-process parse time it prints, and the
/// child's peak RSS.
fn bare_parse(file: &Path) -> (Duration, u64) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.arg("--bare-parse").arg(file);
    let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "bare parse failed");
    let secs: f64 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (Duration::from_secs_f64(secs), 0)
}

/// The child's side of [`bare_parse`].
fn bare_parse_child(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let t = Instant::now();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let elapsed = t.elapsed();
    std::hint::black_box(&v);
    println!("{}", elapsed.as_secs_f64());
    // Freeing the tree is not part of the parse.
    std::mem::forget(v);
}

struct Options {
    bins: Vec<(String, PathBuf)>,
    runs: usize,
    big_runs: usize,
    big: bool,
}

fn options() -> Options {
    let mut bin = std::env::var_os("IVSCHAT_PLAYBOOK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook")));
    let mut baseline = None;
    let mut o = Options {
        bins: Vec::new(),
        runs: 5,
        big_runs: 3,
        big: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("flag needs a value");
        match arg.as_str() {
            "--bare-parse" => {
                bare_parse_child(Path::new(&value()));
                std::process::exit(0);
            }
            "--bin" => bin = PathBuf::from(value()),
            "--baseline" => baseline = Some(PathBuf::from(value())),
            "--runs" => o.runs = value().parse().expect("--runs N"),
            "--big-runs" => o.big_runs = value().parse().expect("--big-runs N"),
            "--no-big" => o.big = false,
            // `cargo bench` passes --bench; anything else is ignored too.
            _ => {}
        }
    }
    if let Some(b) = baseline {
        o.bins.push(("baseline".into(), b));
        o.bins.push(("tested".into(), bin));
    } else {
        o.bins.push(("tested".into(), bin));
    }
    o
}

fn validate(bin: &Path, playbook: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("validate").arg(playbook);
    c
}

fn plan_json(bin: &Path, playbook: &Path) -> Command {
    let mut c = Command::new(bin);
    c.args(["plan", "--format", "json"]).arg(playbook);
    c
}

/// The results for one playbook: the bare parse, then per binary and
/// command.
struct Table {
    parse: Runs,
    rows: Vec<(String, &'static str, Runs)>,
}

/// Runs the bare parse and each command of each binary in turn, `runs`
/// rounds, so every one of them meets the same load.
fn measure(o: &Options, playbook: &Path, runs: usize, with_plan: bool) -> Table {
    let mut commands: Vec<(String, &'static str, Command)> = Vec::new();
    for (name, bin) in &o.bins {
        commands.push((name.clone(), "validate", validate(bin, playbook)));
        if with_plan {
            commands.push((name.clone(), "plan --format json", plan_json(bin, playbook)));
        }
    }
    let mut parse = Runs::default();
    let mut rows: Vec<Runs> = commands.iter().map(|_| Runs::default()).collect();
    for _ in 0..runs {
        let (t, rss) = bare_parse(playbook);
        parse.add(t, rss);
        for ((_, _, cmd), r) in commands.iter_mut().zip(&mut rows) {
            let (t, rss) = run(cmd);
            r.add(t, rss);
        }
    }
    Table {
        parse,
        rows: commands
            .into_iter()
            .zip(rows)
            .map(|((bin, what, _), r)| (bin, what, r))
            .collect(),
    }
}

fn print(o: &Options, t: &Table) {
    let parse = t.parse.median().as_secs_f64();
    println!("| binary | command | wall (median) | ÷ bare parse | peak RSS (max) |");
    println!("|---|---|---:|---:|---:|");
    for (bin, what, r) in &t.rows {
        let wall = r.median().as_secs_f64();
        let label = if o.bins.len() > 1 { bin.as_str() } else { "-" };
        println!(
            "| {label} | `{what}` | {wall:.3} s | {:.2}× | {:.1} MB |",
            wall / parse,
            r.peak as f64 / 1e6
        );
    }
    println!("| | bare serde_yaml parse (in-process) | {parse:.3} s | 1.00× | |");
}

fn main() {
    let o = options();
    for (name, bin) in &o.bins {
        println!("{name}: {}", bin.display());
    }
    let dir = tempfile::tempdir().unwrap();

    let small = generate(dir.path(), 10_000);
    let size = std::fs::metadata(&small).unwrap().len();
    println!();
    println!(
        "10,000 rooms x {EVENTS} events = 100,000 sends, {:.2} MB of YAML; median of {} rounds",
        size as f64 / 1e6,
        o.runs
    );
    println!();
    let t = measure(&o, &small, o.runs, true);
    print(&o, &t);
    let parse = t.parse.median();
    let tested = |what: &str| {
        t.rows
            .iter()
            .rfind(|(b, w, _)| b == "tested" && *w == what)
            .map(|(_, _, r)| r.median())
            .unwrap()
    };
    let v = tested("validate").as_secs_f64() / parse.as_secs_f64();
    let p = tested("plan --format json").as_secs_f64() / parse.as_secs_f64();
    println!();
    println!(
        "targets: validate < 2x bare parse: {:.2}x ({}); plan --format json < 3x: {:.2}x ({})",
        v,
        met(v < 2.0),
        p,
        met(p < 3.0)
    );

    if o.big {
        let big = generate(dir.path(), 100_000);
        let size = std::fs::metadata(&big).unwrap().len();
        println!();
        println!(
            "100,000 rooms x {EVENTS} events = 1,000,000 sends, {:.2} MB of YAML; median of {} rounds",
            size as f64 / 1e6,
            o.big_runs
        );
        println!();
        let t = measure(&o, &big, o.big_runs, false);
        print(&o, &t);
        let (_, _, r) = t.rows.last().unwrap();
        let wall = r.median();
        println!();
        println!(
            "targets: validate < 1 s: {:.3} s ({}); < 150 MB: {:.1} MB ({})",
            wall.as_secs_f64(),
            met(wall < Duration::from_secs(1)),
            r.peak as f64 / 1e6,
            met(r.peak < 150_000_000)
        );
    }
    std::io::stdout().flush().unwrap();
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
