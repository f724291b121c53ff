//! A small mutation fuzzer for the parsers that read untrusted input, on
//! the stable toolchain (no cargo-fuzz, no coverage guidance): seeds from
//! the repository's own files, mutated with a fixed-seed RNG for a time
//! budget, each input run under `catch_unwind`. A panic saves the input
//! and fails the test. See docs/fuzzing.md.
//!
//! - `FUZZ_SECONDS`: budget per target (default 2);
//! - `FUZZ_SEED`: the RNG seed (decimal or `0x` hex; default fixed per target);
//! - `FUZZ_REPLAY`: run this one saved input instead (only the target it
//!   was saved by: the file name starts with the target's name).
//!
//! Inputs saved in `tests/fuzz-crashes/<target>/` are replayed first by
//! every run of that target.

mod catalog;
mod journal;
mod playbook;
mod shorthand;
mod template;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::support::fixtures::root;

/// The largest input tried, so memory stays bounded.
pub const MAX_INPUT: usize = 64 * 1024;

/// An input slower than this is saved and reported (not a failure: the
/// machine may just be busy).
const SLOW: Duration = Duration::from_secs(3);

/// The stack the targets run on: the binary's main thread has 8 MiB, the
/// test harness's threads 2 MiB.
const STACK: usize = 8 << 20;

/// Tokens every target may insert: YAML, JSON and template syntax, and the
/// bytes parsers trip on.
const TOKENS: &[&[u8]] = &[
    b"{{",
    b"}}",
    b"{%",
    b"%}",
    b"{#",
    b"#}",
    b"{{ x }}",
    b"{{ room.name }}",
    b"{% if x %}",
    b"{% endif %}",
    b"{% for x in room.tags %}",
    b"{% endfor %}",
    b"{% raw %}",
    b"|upper",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"<<:",
    b"!!str ",
    b"!!binary ",
    b"!!map ",
    b"!tag ",
    b"? ",
    b"---\n",
    b"...\n",
    b"%YAML 1.2\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b"- ",
    b": ",
    b", ",
    b"\"",
    b"'",
    b"\\",
    b"\\u",
    b"\\x",
    b"|\n",
    b">-\n",
    b"# ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xEF\xBB\xBF",
    b"~",
    b"null",
    b"true",
    b".nan",
    b".inf",
    b"-.inf",
    b"0x",
    b"0o7",
    b"1e309",
    b"-0",
    b"99999999999999999999999999999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"4294967296",
    b"1_000",
    b"\xC3",
    b"\xE2\x80\xA8",
    b"\xF0\x9F\x98\x80",
    b"\xED\xA0\x80",
    b"\xFF",
    b"\\,",
    b"=",
    b"@=",
    b"file://",
    b",",
    b"::",
    b"  ",
];

/// Numbers that overflow, underflow or are not numbers.
const NUMBERS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"4294967295",
    b"4294967296",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775808",
    b"99999999999999999999999999999999999999",
    b"1e308",
    b"1e309",
    b"-1e309",
    b"0.0000000000000000000000001",
    b"NaN",
    b".nan",
    b"1.5",
    b"0x7fffffff",
    b"1_0",
];

/// Openers for deep nesting.
const NESTERS: &[&[u8]] = &[
    b"[",
    b"{",
    b"- ",
    b"a: ",
    b"{{ (",
    b"{% if x %}",
    b"[{",
    b"\"",
    b"(",
    b"{\"a\":",
    b"a={",
    b"a=[",
    b"&a [",
];

thread_local! {
    /// Whether this thread is running a fuzz input (the hook records the
    /// place of its panic).
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic on this thread happened.
    static PLACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Wraps the panic hook, once, to record where a fuzz input panicked; the
/// previous hook still prints the message.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if ACTIVE.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                PLACE.with(|p| *p.borrow_mut() = place);
            }
            previous(info);
        }));
    });
}

/// The message of a panic payload.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}

/// The budget and seed a run uses.
struct Config {
    seconds: f64,
    seed: u64,
}

impl Config {
    fn from_env(name: &str) -> Config {
        let seconds = std::env::var("FUZZ_SECONDS")
            .ok()
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("FUZZ_SECONDS={s:?} is not a number"))
            })
            .unwrap_or(2.0);
        let seed = match std::env::var("FUZZ_SEED") {
            Ok(s) => {
                let s = s.trim();
                let parsed = match s.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => s.parse(),
                };
                parsed.unwrap_or_else(|_| panic!("FUZZ_SEED={s:?} is not a number"))
            }
            // Fixed, and different for each target: FNV-1a of its name.
            Err(_) => name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            }),
        };
        Config { seconds, seed }
    }
}

/// A fuzz target: its name, seeds and tokens.
pub struct Fuzz {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    tokens: Vec<Vec<u8>>,
    max_len: usize,
}

impl Fuzz {
    pub fn new(name: &'static str) -> Fuzz {
        Fuzz {
            name,
            seeds: Vec::new(),
            tokens: TOKENS.iter().map(|t| t.to_vec()).collect(),
            max_len: MAX_INPUT,
        }
    }

    /// Adds seeds (inputs longer than the cap are cut).
    pub fn seeds(mut self, seeds: impl IntoIterator<Item = Vec<u8>>) -> Fuzz {
        self.seeds.extend(seeds.into_iter().map(|mut s| {
            s.truncate(self.max_len);
            s
        }));
        self
    }

    /// Adds tokens of this target's syntax.
    pub fn tokens(mut self, tokens: &[&str]) -> Fuzz {
        self.tokens
            .extend(tokens.iter().map(|t| t.as_bytes().to_vec()));
        self
    }

    /// Sets the input size cap.
    pub fn max_len(mut self, n: usize) -> Fuzz {
        self.max_len = n;
        self
    }

    /// Runs `target` on the saved crashes, the seeds, then mutated inputs
    /// until the budget is spent. Panics (failing the test) at the first
    /// input that panics, after saving it.
    pub fn run(self, target: impl FnMut(&[u8]) + Send) {
        assert!(!self.seeds.is_empty(), "{}: no seeds", self.name);
        install_hook();
        std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name(format!("fuzz-{}", self.name))
                .stack_size(STACK)
                .spawn_scoped(s, move || Runner::new(self).run(target))
                .expect("spawn the fuzz thread");
            if let Err(payload) = worker.join() {
                std::panic::resume_unwind(payload);
            }
        });
    }
}

/// One run of a target.
struct Runner {
    fuzz: Fuzz,
    config: Config,
    rng: SmallRng,
    iterations: u64,
    slowest: Duration,
    reported_slow: bool,
}

impl Runner {
    fn new(fuzz: Fuzz) -> Runner {
        let config = Config::from_env(fuzz.name);
        Runner {
            rng: SmallRng::seed_from_u64(config.seed),
            fuzz,
            config,
            iterations: 0,
            slowest: Duration::ZERO,
            reported_slow: false,
        }
    }

    fn run(mut self, mut target: impl FnMut(&[u8])) {
        let name = self.fuzz.name;
        if let Ok(replay) = std::env::var("FUZZ_REPLAY") {
            let path = PathBuf::from(replay);
            let ours = path
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&format!("{name}-")))
                || path.parent().and_then(Path::file_name) == Some(name.as_ref());
            if ours {
                let input = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("FUZZ_REPLAY {}: {e}", path.display()));
                eprintln!("fuzz {name}: replaying {}", path.display());
                target(&input);
            }
            return;
        }
        eprintln!(
            "fuzz {name}: seed {} (FUZZ_SEED), {} s (FUZZ_SECONDS), {} seeds",
            self.config.seed,
            self.config.seconds,
            self.fuzz.seeds.len()
        );
        let dir = std::env::temp_dir().join("ivschat-fuzz");
        std::fs::create_dir_all(&dir).expect("create the crash folder");
        let abort_path = dir.join(format!("{name}-abort-{}.bin", self.config.seed));
        on_abort::arm(
            &abort_path,
            format!(
                "fuzz {name}: the process aborted; the input it was running is saved to {} \
                 (seed {}; FUZZ_REPLAY={} reproduces it)\n",
                abort_path.display(),
                self.config.seed,
                abort_path.display()
            ),
        );
        let started = Instant::now();
        for input in saved_crashes(name) {
            self.exec(&mut target, &input);
        }
        for i in 0..self.fuzz.seeds.len() {
            let input = self.fuzz.seeds[i].clone();
            self.exec(&mut target, &input);
        }
        let budget = Duration::from_secs_f64(self.config.seconds.max(0.0));
        while started.elapsed() < budget {
            let input = self.mutated();
            self.exec(&mut target, &input);
        }
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "fuzz {name}: {} iterations in {secs:.1} s ({:.0}/s), slowest input {:.0} ms",
            self.iterations,
            self.iterations as f64 / secs.max(1e-9),
            self.slowest.as_secs_f64() * 1000.0
        );
    }

    /// Runs one input, failing the test if it panics.
    fn exec(&mut self, target: &mut impl FnMut(&[u8]), input: &[u8]) {
        self.iterations += 1;
        let t = Instant::now();
        ACTIVE.with(|a| a.set(true));
        on_abort::running(input);
        let outcome = catch_unwind(AssertUnwindSafe(|| target(input)));
        on_abort::done();
        ACTIVE.with(|a| a.set(false));
        let took = t.elapsed();
        self.slowest = self.slowest.max(took);
        if took > SLOW && !self.reported_slow {
            self.reported_slow = true;
            let path = self.save(input, "slow");
            eprintln!(
                "fuzz {}: an input took {:.1} s (saved to {}; seed {})",
                self.fuzz.name,
                took.as_secs_f64(),
                path.display(),
                self.config.seed
            );
        }
        if let Err(payload) = outcome {
            let msg = message(payload.as_ref());
            let place = PLACE
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "an unknown place".to_string());
            let path = self.save(input, "crash");
            let report = format!(
                "fuzz {}: input {} panicked at {place}: {msg}\n  input saved to {}\n  seed {} \
                 (FUZZ_SEED={} reproduces the run; FUZZ_REPLAY={} the input)",
                self.fuzz.name,
                self.iterations,
                path.display(),
                self.config.seed,
                self.config.seed,
                path.display()
            );
            panic!("{report}");
        }
    }

    /// Saves an input under the system temp folder and returns its path.
    fn save(&self, input: &[u8], kind: &str) -> PathBuf {
        let dir = std::env::temp_dir().join("ivschat-fuzz");
        std::fs::create_dir_all(&dir).expect("create the crash folder");
        let path = dir.join(format!(
            "{}-{kind}-{}-{}.bin",
            self.fuzz.name, self.config.seed, self.iterations
        ));
        std::fs::write(&path, input).expect("save the input");
        path
    }

    /// A seed with one to eight mutations stacked on it.
    fn mutated(&mut self) -> Vec<u8> {
        let mut data = self.fuzz.seeds.choose(&mut self.rng).unwrap().clone();
        let rounds = 1 << self.rng.random_range(0..4);
        for _ in 0..self.rng.random_range(1..=rounds) {
            self.mutate(&mut data);
            data.truncate(self.fuzz.max_len);
        }
        data
    }

    fn pos(&mut self, data: &[u8]) -> usize {
        self.rng.random_range(0..=data.len())
    }

    fn token(&mut self) -> Vec<u8> {
        self.fuzz.tokens.choose(&mut self.rng).unwrap().clone()
    }

    /// A range of `data`, mostly short.
    fn range(&mut self, data: &[u8]) -> (usize, usize) {
        if data.is_empty() {
            return (0, 0);
        }
        let start = self.rng.random_range(0..data.len());
        let max = if self.rng.random_bool(0.8) {
            16
        } else {
            data.len()
        };
        let len = self.rng.random_range(0..=max.min(data.len() - start));
        (start, start + len)
    }

    fn other_seed(&mut self) -> Vec<u8> {
        self.fuzz.seeds.choose(&mut self.rng).unwrap().clone()
    }

    fn mutate(&mut self, data: &mut Vec<u8>) {
        match self.rng.random_range(0..17) {
            // Flip a bit.
            0 if !data.is_empty() => {
                let i = self.rng.random_range(0..data.len());
                data[i] ^= 1 << self.rng.random_range(0..8);
            }
            // Replace a byte.
            1 if !data.is_empty() => {
                let i = self.rng.random_range(0..data.len());
                data[i] = *b"\0\t\n\r \"'\\:-#{}[]&*!|>%@=,\x7f\x80\xc3\xff"
                    .choose(&mut self.rng)
                    .unwrap();
            }
            // Insert a token.
            2 | 3 => {
                let at = self.pos(data);
                let t = self.token();
                data.splice(at..at, t);
            }
            // Insert a token at the start of a line, indented like it.
            4 => {
                let at = self.line_start(data);
                let indent = data[at..].iter().take_while(|b| **b == b' ').count();
                let mut t = vec![b' '; indent];
                t.extend(self.token());
                t.push(b'\n');
                data.splice(at..at, t);
            }
            // Delete a range.
            5 => {
                let (a, b) = self.range(data);
                data.drain(a..b);
            }
            // Copy a range elsewhere.
            6 => {
                let (a, b) = self.range(data);
                let chunk = data[a..b].to_vec();
                let at = self.pos(data);
                data.splice(at..at, chunk);
            }
            // Splice: this one's head, another seed's tail.
            7 => {
                let other = self.other_seed();
                let cut = self.pos(data);
                let from = self.rng.random_range(0..=other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            // Insert a piece of another seed.
            8 => {
                let other = self.other_seed();
                let (a, b) = self.range(&other);
                let at = self.pos(data);
                data.splice(at..at, other[a..b].iter().copied());
            }
            // Truncate.
            9 => {
                let at = self.pos(data);
                data.truncate(at);
            }
            // A long run of a byte or a token.
            10 => {
                let n = *[64, 256, 1024, 4096, 16384].choose(&mut self.rng).unwrap();
                let unit = if self.rng.random_bool(0.5) {
                    vec![
                        data.get(self.rng.random_range(0..data.len().max(1)))
                            .copied()
                            .unwrap_or(b'a'),
                    ]
                } else {
                    self.token()
                };
                let run: Vec<u8> = unit.repeat(n.min(self.fuzz.max_len / unit.len().max(1)));
                let at = self.pos(data);
                data.splice(at..at, run);
            }
            // Deep nesting.
            11 => {
                let open = *NESTERS.choose(&mut self.rng).unwrap();
                let n = *[32, 128, 512, 2048, 8192].choose(&mut self.rng).unwrap();
                let nest = open.repeat(n.min(self.fuzz.max_len / open.len()));
                let at = self.pos(data);
                data.splice(at..at, nest);
            }
            // A number replaced by one that overflows.
            12 => {
                let digits: Vec<usize> = (0..data.len())
                    .filter(|i| data[*i].is_ascii_digit())
                    .collect();
                let n = NUMBERS.choose(&mut self.rng).unwrap().to_vec();
                match digits.choose(&mut self.rng) {
                    Some(&i) => {
                        let end = i + data[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                        let start = i - data[..i]
                            .iter()
                            .rev()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                        data.splice(start..end, n);
                    }
                    None => {
                        let at = self.pos(data);
                        data.splice(at..at, n);
                    }
                }
            }
            // Line endings: all CRLF, or a lone CR.
            13 => {
                if self.rng.random_bool(0.5) {
                    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
                    for &b in data.iter() {
                        if b == b'\n' {
                            out.push(b'\r');
                        }
                        out.push(b);
                    }
                    *data = out;
                } else {
                    let at = self.pos(data);
                    data.insert(at, b'\r');
                }
            }
            // A byte-order mark, at the start or anywhere.
            14 => {
                let at = if self.rng.random_bool(0.7) {
                    0
                } else {
                    self.pos(data)
                };
                data.splice(at..at, *b"\xEF\xBB\xBF");
            }
            // Duplicate or drop a line.
            15 => {
                let a = self.line_start(data);
                let b = a + data[a..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(data.len() - a, |p| p + 1);
                if self.rng.random_bool(0.5) {
                    let line = data[a..b].to_vec();
                    let at = self.line_start(data);
                    data.splice(at..at, line);
                } else {
                    data.drain(a..b);
                }
            }
            // Indent or dedent a line.
            _ => {
                let at = self.line_start(data);
                if self.rng.random_bool(0.5) {
                    let n = self.rng.random_range(1..=4);
                    data.splice(at..at, std::iter::repeat_n(b' ', n));
                } else {
                    let n = data[at..].iter().take_while(|b| **b == b' ').count().min(2);
                    data.drain(at..at + n);
                }
            }
        }
    }

    /// The start of a random line of `data`.
    fn line_start(&mut self, data: &[u8]) -> usize {
        let at = self.pos(data);
        data[..at]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
    }
}

/// The saved crashes of a target: `tests/fuzz-crashes/<name>/*`.
fn saved_crashes(name: &str) -> Vec<Vec<u8>> {
    let dir = root().join("tests/fuzz-crashes").join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Files under `dir` (relative to the crate root), recursively, whose name
/// ends in one of `exts`, sorted.
pub fn files_under(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, exts, out);
            } else if exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), exts, &mut out);
    out.sort();
    out
}

/// The contents of the YAML files under `dirs`.
pub fn yaml_seeds(dirs: &[&str]) -> Vec<Vec<u8>> {
    dirs.iter()
        .flat_map(|d| files_under(d, &["yaml", "yml"]))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// The fenced ```yaml blocks of the README and the docs.
pub fn doc_yaml_blocks() -> Vec<Vec<u8>> {
    let mut docs = files_under("docs", &["md"]);
    docs.push(root().join("README.md"));
    let mut out = Vec::new();
    for d in docs {
        let text = std::fs::read_to_string(d).unwrap();
        let mut block: Option<String> = None;
        for line in text.lines() {
            match &mut block {
                None if line.trim_start().starts_with("```yaml") => block = Some(String::new()),
                Some(b) if line.trim_start().starts_with("```") => {
                    out.push(std::mem::take(b).into_bytes());
                    block = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A project (it holds `.git`) in which the seeds' references resolve when
/// the input is written to `p/fuzz.yaml`:
///
/// - `p/` is `playbooks/` (`rooms/prod.yaml`, `events/*.yaml`) with the
///   invalid fixtures' `inventories/`;
/// - the root is `tests/fixtures/catalog/` (`../events/*.yaml`,
///   `../rooms.yaml`, `../check/...` from `p/`).
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join(".git")).unwrap();
        copy_tree(&root().join("tests/fixtures/catalog"), d);
        copy_tree(&root().join("playbooks"), &d.join("p"));
        copy_tree(
            &root().join("tests/fixtures/invalid/inventories"),
            &d.join("p/inventories"),
        );
        Project { dir }
    }

    /// The path an input is written to.
    pub fn input(&self) -> PathBuf {
        self.dir.path().join("p/fuzz.yaml")
    }
}

/// An input that aborts the process (a stack overflow, an abort in a
/// library) cannot be caught: a `SIGABRT` handler saves the input the
/// aborting thread was running, with plain system calls, before the
/// process dies.
mod on_abort {
    use std::cell::Cell;
    use std::ffi::CString;
    use std::sync::Once;

    thread_local! {
        /// The input this thread is running.
        static INPUT: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
        /// Where to save it, and what to say.
        static PLACE: Cell<(*const libc::c_char, *const u8, usize)> =
            const { Cell::new((std::ptr::null(), std::ptr::null(), 0)) };
    }

    extern "C" fn handler(sig: libc::c_int) {
        let input = INPUT.try_with(Cell::get).unwrap_or((std::ptr::null(), 0));
        let place = PLACE
            .try_with(Cell::get)
            .unwrap_or((std::ptr::null(), std::ptr::null(), 0));
        // SAFETY: only async-signal-safe calls, on buffers that outlive the
        // run (the input is borrowed for the call, the strings are leaked).
        unsafe {
            if !input.0.is_null() && !place.0.is_null() {
                let fd = libc::open(
                    place.0,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
                    0o644,
                );
                if fd >= 0 {
                    libc::write(fd, input.0.cast(), input.1);
                    libc::close(fd);
                }
                libc::write(2, place.1.cast(), place.2);
            }
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// Installs the handler (once) and names this thread's crash file.
    pub fn arm(path: &std::path::Path, note: String) {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: installing a handler that only makes system calls.
            unsafe {
                libc::signal(
                    libc::SIGABRT,
                    handler as extern "C" fn(libc::c_int) as libc::sighandler_t,
                );
            }
        });
        let path = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        let note: &'static [u8] = note.into_bytes().leak();
        PLACE.with(|p| p.set((path.into_raw(), note.as_ptr(), note.len())));
    }

    /// The input now running (null: none).
    pub fn running(input: &[u8]) {
        INPUT.with(|i| i.set((input.as_ptr(), input.len())));
    }

    pub fn done() {
        INPUT.with(|i| i.set((std::ptr::null(), 0)));
    }
}

/// The engine itself: a panicking input fails the run, and is saved.
#[test]
fn a_panicking_input_is_saved_and_fails_the_run() {
    if std::env::var_os("FUZZ_REPLAY").is_some() {
        return;
    }
    let run = std::panic::catch_unwind(|| {
        Fuzz::new("selftest")
            .seeds([b"boom".to_vec()])
            .run(|input| assert!(!input.starts_with(b"boom"), "went off"));
    });
    let payload = run.expect_err("the run failed");
    let msg = message(payload.as_ref());
    assert!(
        msg.contains("went off") && msg.contains("fuzz/mod.rs"),
        "{msg}"
    );
    let saved = msg
        .split("input saved to ")
        .nth(1)
        .and_then(|r| r.lines().next())
        .unwrap_or_else(|| panic!("no path in {msg}"));
    assert_eq!(std::fs::read(saved).unwrap(), b"boom");
    std::fs::remove_file(saved).unwrap();
}
