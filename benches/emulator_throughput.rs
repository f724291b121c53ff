//! Throughput and memory of the emulator binary under signed SendEvent load.
//!
//! Starts `ivschat-playbook emulator` (built by `cargo bench` in release
//! mode) in its own process with quotas and faults off, an events log and a
//! capped in-memory record; pre-signs a pool of distinct SendEvent requests
//! (the emulator still verifies every signature, and tolerates the usual
//! 15-minute clock skew); then fires them over many keep-alive connections,
//! one request in flight per connection, and reports requests per second and
//! the emulator's peak RSS (`VmHWM` in `/proc/PID/status`) after each
//! checkpoint. Finally it stops the emulator with SIGTERM and checks that the
//! events log holds one line per event.
//!
//! ```text
//! cargo bench --bench emulator_throughput -- [--events N] [--checkpoint N]
//!     [--connections N] [--keep-events N] [--pool N] [--bin PATH]
//! ```
//!
//! Loopback only; the request count is bounded and the run stops by itself.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use ivschat_playbook::emulator::Signer;
use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ROOM: &str = "arn:aws:ivschat:us-west-2:123456789012:room/benchRoom001";

struct Options {
    events: u64,
    checkpoint: u64,
    connections: usize,
    keep_events: usize,
    pool: usize,
    bin: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        events: 1_000_000,
        checkpoint: 100_000,
        connections: 64,
        keep_events: 10_000,
        pool: 4096,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("flag needs a value");
        match arg.as_str() {
            "--events" => o.events = value().parse().expect("--events N"),
            "--checkpoint" => o.checkpoint = value().parse().expect("--checkpoint N"),
            "--connections" => o.connections = value().parse().expect("--connections N"),
            "--keep-events" => o.keep_events = value().parse().expect("--keep-events N"),
            "--pool" => o.pool = value().parse().expect("--pool N"),
            "--bin" => o.bin = PathBuf::from(value()),
            // `cargo bench` passes --bench; anything else is ignored too.
            _ => {}
        }
    }
    o.checkpoint = o.checkpoint.min(o.events);
    o
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Pre-signed keep-alive requests, each a distinct event.
fn presign(addr: &str, pool: usize) -> Vec<Arc<[u8]>> {
    let signer = Signer::new(
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_SECRET_ACCESS_KEY,
        "us-west-2",
    );
    let now = Utc::now();
    (0..pool)
        .map(|i| {
            let body = format!(
                r#"{{"roomIdentifier":"{ROOM}","eventName":"BenchEvent","attributes":{{"seq":"{i}","msgText":"This chat room will close in 15 minutes."}}}}"#
            );
            let headers = signer.sign(
                "POST",
                addr,
                "/SendEvent",
                &[("content-type", "application/json")],
                body.as_bytes(),
                now,
            );
            let mut req = String::from("POST /SendEvent HTTP/1.1\r\n");
            for (k, v) in headers {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            req.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
            Arc::from(req.into_bytes().into_boxed_slice())
        })
        .collect()
}

/// Reads one response off a keep-alive connection; returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).unwrap_or("");
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..total);
            return Ok(status);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends `count` requests over `connections` connections.
async fn fire(
    addr: &str,
    requests: &Arc<Vec<Arc<[u8]>>>,
    connections: usize,
    count: u64,
    next: &Arc<AtomicU64>,
    failures: &Arc<AtomicU64>,
) {
    let limit = next.load(Ordering::Relaxed) + count;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let requests = requests.clone();
        let next = next.clone();
        let failures = failures.clone();
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut buf = Vec::with_capacity(8192);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limit {
                    break;
                }
                let req = &requests[(i as usize) % requests.len()];
                stream.write_all(req).await.expect("write");
                match read_response(&mut stream, &mut buf).await {
                    Ok(200) => {}
                    Ok(_) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => panic!("connection failed: {e}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("connection task");
    }
    // Undo the overshoot of the last fetch_add on each connection.
    next.store(limit, Ordering::Relaxed);
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let rooms = dir.path().join("rooms.yaml");
    std::fs::write(&rooms, format!("- {ROOM}\n")).expect("rooms file");
    let log = dir.path().join("events.jsonl");

    let mut child = Command::new(&o.bin)
        .args(["emulator", "--listen", "127.0.0.1:0", "--no-quotas"])
        .arg("--rooms")
        .arg(&rooms)
        .arg("--events-log")
        .arg(&log)
        .args(["--keep-events", &o.keep_events.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", o.bin.display()));
    let pid = child.id();
    let mut url = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("emulator prints its URL");
    let addr = url
        .trim()
        .strip_prefix("http://")
        .expect("http URL")
        .to_string();
    let (hwm0, _) = memory_kib(pid);

    println!(
        "Emulator throughput: {} (pid {pid}) at {addr}",
        o.bin.display()
    );
    println!(
        "  {} signed SendEvent requests, {} connections, --keep-events {}, pool of {} pre-signed requests",
        o.events, o.connections, o.keep_events, o.pool
    );
    println!("  start: VmHWM {} MiB", hwm0 / 1024);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let requests = Arc::new(presign(&addr, o.pool));
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let mut done = 0u64;
    let mut checkpoints = vec![o.checkpoint];
    if o.events > o.checkpoint {
        checkpoints.push(o.events);
    }
    for target in checkpoints {
        let phase = Instant::now();
        let count = target - done;
        runtime.block_on(fire(
            &addr,
            &requests,
            o.connections,
            count,
            &next,
            &failures,
        ));
        done = target;
        let phase_secs = phase.elapsed().as_secs_f64();
        let total_secs = started.elapsed().as_secs_f64();
        let (hwm, rss) = memory_kib(pid);
        println!(
            "  {:>9} events: {:>8.0} req/s over the last {} ({:.1} s), {:>8.0} req/s overall; VmHWM {} MiB, VmRSS {} MiB",
            done,
            count as f64 / phase_secs,
            count,
            phase_secs,
            done as f64 / total_secs,
            hwm / 1024,
            rss / 1024
        );
    }
    let failed = failures.load(Ordering::Relaxed);
    println!("  non-200 replies: {failed}");

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("emulator did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines = BufReader::new(std::fs::File::open(&log).expect("events log"))
        .lines()
        .count() as u64;
    println!("  emulator exit: {status}; events log lines: {lines}");
    assert_eq!(failed, 0, "every request succeeds");
    assert_eq!(lines, o.events, "one log line per event");
}
