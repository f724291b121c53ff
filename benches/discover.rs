//! Room discovery against the ListRooms quota: how long `rooms` takes to
//! list N rooms in one region, next to the floor the quota sets.
//!
//! Starts `ivschat-playbook emulator` (built by `cargo bench` in release
//! mode) with N rooms in us-west-2 and its quotas on (ListRooms, like every
//! room operation, 5 TPS per account and region), then times
//! `ivschat-playbook rooms --region us-west-2 --format json` to completion.
//! At 50 rooms a page and 5 pages a second, the floor is N / 50 / 5
//! seconds (40 s for 10,000 rooms); the figure is the ratio to it. It also
//! checks that every room was listed, and reads from the emulator's stats
//! how many ListRooms requests there were and how many its quota refused.
//!
//! ```text
//! cargo bench --bench discover -- [--rooms N] [--bin PATH]
//! ```

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

struct Options {
    rooms: usize,
    bin: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        rooms: 10_000,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("flag needs a value");
        match arg.as_str() {
            "--rooms" => o.rooms = value().parse().expect("--rooms N"),
            "--bin" => o.bin = PathBuf::from(value()),
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// `GET path` on the emulator, the body.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let rooms_file = dir.path().join("rooms.yaml");
    let mut text = String::new();
    for i in 0..o.rooms {
        text.push_str(&format!(
            "- {{arn: \"arn:aws:ivschat:us-west-2:123456789012:room/bench{i:07}\", name: room-{i}, tags: {{env: prod}}}}\n"
        ));
    }
    std::fs::write(&rooms_file, text).expect("rooms file");
    let mut emulator = Command::new(&o.bin)
        .args(["emulator", "--listen", "127.0.0.1:0", "--rooms"])
        .arg(&rooms_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", o.bin.display()));
    let mut url = String::new();
    BufReader::new(emulator.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("emulator prints its URL");
    let url = url.trim().to_string();
    let addr = url.strip_prefix("http://").expect("http URL").to_string();

    let out = dir.path().join("rooms.json");
    let measured = common::measure(
        Command::new(&o.bin)
            .args(["rooms", "--endpoint-url", &url, "--region", "us-west-2"])
            .args(["--format", "json", "-o"])
            .arg(&out)
            .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true"),
    );
    assert!(measured.ok, "rooms failed");
    let listed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let found = listed["rooms"].as_array().unwrap().len();
    let stats: serde_json::Value = serde_json::from_str(&get(&addr, "/_emulator/stats")).unwrap();
    let _ = emulator.kill();
    let _ = emulator.wait();

    let pages = o.rooms.div_ceil(50).max(1);
    let floor = o.rooms as f64 / 50.0 / 5.0;
    let wall = measured.wall.as_secs_f64();
    println!("Room discovery: {} rooms in one region, quotas on", o.rooms);
    println!("  rooms listed:        {found}");
    println!(
        "  ListRooms requests:  {} (pages needed: {pages}); refused by the quota: {}",
        stats["operations"]["ListRooms"]["requests"], stats["quotaThrottled"]
    );
    println!("  wall time:           {wall:.2} s");
    println!("  quota floor N/50/5:  {floor:.2} s");
    println!("  ratio to the floor:  {:.3}", wall / floor);
    println!(
        "  peak RSS of `rooms`: {:.1} MB",
        measured.max_rss as f64 / 1e6
    );
    assert_eq!(found, o.rooms, "every room listed");
}
