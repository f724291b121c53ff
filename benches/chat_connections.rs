//! Memory of the emulator's chat edge under many idle connections.
//!
//! Starts `ivschat-playbook emulator --no-quotas --auto-create-rooms` (built
//! by `cargo bench` in release mode) in its own process, creates one chat
//! token per connection through the real Rust SDK, opens the connections
//! (tokio-tungstenite, spread over rooms of 100), and reads the emulator's
//! `VmRSS` from `/proc/PID/status` before the tokens, after them, after the
//! first checkpoint of connections and after all of them. The figure is the
//! RSS added per connection between the checkpoint and the end (so start-up
//! and allocator warm-up do not count). Then one `SendEvent` per room must
//! reach every connection, the connections close, and the RSS is read once
//! more.
//!
//! ```text
//! cargo bench --bench chat_connections -- [--connections N] [--checkpoint N] [--bin PATH]
//! ```
//!
//! Needs a file-descriptor limit above the connection count (each side
//! holds one per connection); it raises its soft limit to the hard one.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ivschat::config::{BehaviorVersion, Credentials, Region};
use futures::{StreamExt, stream};
use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const PER_ROOM: usize = 100;

struct Options {
    connections: usize,
    checkpoint: usize,
    bin: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        connections: 10_000,
        checkpoint: 1_000,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("flag needs a value");
        match arg.as_str() {
            "--connections" => o.connections = value().parse().expect("--connections N"),
            "--checkpoint" => o.checkpoint = value().parse().expect("--checkpoint N"),
            "--bin" => o.bin = PathBuf::from(value()),
            "--bench" => {}
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        o.checkpoint < o.connections,
        "--checkpoint must be below --connections"
    );
    o
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn raise_fd_limit(need: u64) {
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
    assert!(
        lim.rlim_cur > need,
        "the file-descriptor limit ({}) must exceed {need}",
        lim.rlim_cur
    );
}

fn room(i: usize) -> String {
    format!(
        "arn:aws:ivschat:us-west-2:123456789012:room/bench{:07}",
        i / PER_ROOM
    )
}

async fn tokens(c: &aws_sdk_ivschat::Client, n: usize) -> Vec<String> {
    stream::iter(0..n)
        .map(|i| async move {
            c.create_chat_token()
                .room_identifier(room(i))
                .user_id(format!("user{i}"))
                .send()
                .await
                .expect("CreateChatToken")
                .token()
                .expect("token")
                .to_string()
        })
        .buffered(32)
        .collect()
        .await
}

async fn open(url: &str, tokens: &[String]) -> Vec<Socket> {
    stream::iter(tokens)
        .map(|t| async move {
            let mut req = url.into_client_request().expect("ws URL");
            req.headers_mut()
                .insert("sec-websocket-protocol", HeaderValue::from_str(t).unwrap());
            tokio_tungstenite::connect_async(req)
                .await
                .expect("handshake")
                .0
        })
        .buffer_unordered(64)
        .collect()
        .await
}

#[tokio::main]
async fn main() {
    let o = options();
    raise_fd_limit(o.connections as u64 + 100);
    let mut child = Command::new(&o.bin)
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
        .expect("start the emulator");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let http = lines.next().unwrap().unwrap();
    let ws = lines.next().unwrap().unwrap();
    let config = aws_sdk_ivschat::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&http)
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
            None,
            None,
            "bench",
        ))
        .build();
    let c = aws_sdk_ivschat::Client::from_conf(config);

    let started = rss_kib(pid);
    let t0 = Instant::now();
    let toks = tokens(&c, o.connections).await;
    let with_tokens = rss_kib(pid);
    println!(
        "{} tokens in {:.1} s; emulator RSS {} KiB -> {} KiB",
        toks.len(),
        t0.elapsed().as_secs_f64(),
        started,
        with_tokens
    );

    let t1 = Instant::now();
    let mut sockets = open(&ws, &toks[..o.checkpoint]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_checkpoint = rss_kib(pid);
    sockets.extend(open(&ws, &toks[o.checkpoint..]).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_end = rss_kib(pid);
    let added = o.connections - o.checkpoint;
    println!(
        "{} connections open in {:.1} s; RSS {} KiB at {}, {} KiB at {}: {:.1} KiB per connection",
        sockets.len(),
        t1.elapsed().as_secs_f64(),
        at_checkpoint,
        o.checkpoint,
        at_end,
        o.connections,
        (at_end.saturating_sub(at_checkpoint)) as f64 / added as f64
    );

    let t2 = Instant::now();
    let rooms = o.connections.div_ceil(PER_ROOM);
    for r in 0..rooms {
        c.send_event()
            .room_identifier(room(r * PER_ROOM))
            .event_name("Ping")
            .send()
            .await
            .expect("SendEvent");
    }
    let received = stream::iter(sockets.iter_mut())
        .map(|s| async move {
            matches!(
                tokio::time::timeout(Duration::from_secs(30), s.next()).await,
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_))))
            )
        })
        .buffer_unordered(1024)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    println!(
        "{rooms} events fanned out to {received}/{} connections in {:.2} s; RSS {} KiB",
        o.connections,
        t2.elapsed().as_secs_f64(),
        rss_kib(pid)
    );
    assert_eq!(
        received, o.connections,
        "every connection got its room's event"
    );

    drop(sockets);
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("after closing them all: RSS {} KiB", rss_kib(pid));
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
}
