//! Several accounts in one run: each room's sends are signed by its
//! account's credentials (a profile from the playbook's `accounts` or
//! `--account-profile`), a room of an unmapped account uses the default
//! chain and the banner says so, and the emulator's delivery record shows
//! which account each event arrived as.

use std::path::Path;

use ivschat_playbook::emulator::{self, Credential, EmulatorConfig, EmulatorHandle, RoomSeed};
use ivschat_playbook::report::Status;

use crate::support::fixtures::root;

use super::{ACCOUNT, command, count, report, text};

const A: &str = "111111111111";
const B: &str = "222222222222";

/// The documented example (docs/playbook.md, "Several accounts").
fn example() -> std::path::PathBuf {
    root().join("playbooks/two-accounts.yaml")
}

/// An emulator that accepts the default key and one 12-digit key per
/// account, with the example's rooms.
async fn emulator_of_two_accounts() -> EmulatorHandle {
    let cfg = EmulatorConfig::default();
    let mut credentials = cfg.credentials.clone();
    credentials.push(Credential::new(A, "secret-of-a"));
    credentials.push(Credential::new(B, "secret-of-b"));
    emulator::spawn(EmulatorConfig {
        quotas: false,
        credentials,
        rooms: vec![
            RoomSeed::Arn(format!("arn:aws:ivschat:us-west-2:{A}:room/prodLobby001")),
            RoomSeed::Arn(format!("arn:aws:ivschat:eu-west-1:{B}:room/euLobby00001")),
            RoomSeed::Arn(format!(
                "arn:aws:ivschat:us-west-2:{ACCOUNT}:room/staffRoom001"
            )),
        ],
        ..cfg
    })
    .await
    .unwrap()
}

/// A shared config file with the example's two profiles, each holding its
/// account's key.
fn write_profiles(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("aws-config");
    std::fs::write(
        &p,
        format!(
            "[profile chat-prod]\naws_access_key_id = {A}\naws_secret_access_key = secret-of-a\n\n\
             [profile chat-eu]\naws_access_key_id = {B}\naws_secret_access_key = secret-of-b\n"
        ),
    )
    .unwrap();
    p
}

async fn run(dir: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    command(dir)
        .env("AWS_CONFIG_FILE", dir.join("aws-config"))
        .args(["run", "--endpoint-url", url])
        .args(["--journal", "j.jsonl", "--report", "r.json"])
        .args(extra)
        .arg(example())
        .output()
        .await
        .unwrap()
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_room_is_signed_by_its_account() {
    let emu = emulator_of_two_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path());
    let out = run(dir.path(), &emu.endpoint_url(), &[]).await;
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let banner = stderr
        .lines()
        .find(|l| l.starts_with("target: "))
        .unwrap_or_else(|| panic!("no banner: {}", text(&out)));
    assert!(
        banner.ends_with(&format!(
            "; accounts {A} (profile chat-prod), \
             {ACCOUNT} (no credentials mapped: the default chain), {B} (profile chat-eu)"
        )),
        "{banner}"
    );
    let events = emu.events();
    assert_eq!(events.len(), 3, "{}", text(&out));
    for e in &events {
        assert_eq!(e.account, account_of(&e.room_arn), "{e:?}");
    }
    let mut accounts: Vec<&str> = events.iter().map(|e| e.account.as_str()).collect();
    accounts.sort_unstable();
    assert_eq!(accounts, [A, ACCOUNT, B]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flag_overrides_the_playbook_and_a_wrong_key_is_not_found() {
    let emu = emulator_of_two_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path());
    // Account B's rooms signed with account A's key: not found there.
    let out = run(
        dir.path(),
        &emu.endpoint_url(),
        &["--account-profile", &format!("{B}=chat-prod")],
    )
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{B} (profile chat-prod)")),
        "{}",
        text(&out)
    );
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 2, "{}", text(&out));
    assert_eq!(count(&r, Status::Failed), 1, "{}", text(&out));
    let json = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert!(json.contains("ResourceNotFoundException"), "{json}");
    let arrived: Vec<String> = emu.events().into_iter().map(|e| e.account).collect();
    assert!(!arrived.contains(&B.to_string()), "{arrived:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_does_not_exist_is_refused_before_sending() {
    let emu = emulator_of_two_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path());
    let out = run(
        dir.path(),
        &emu.endpoint_url(),
        &["--account-profile", &format!("{A}=nosuch")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains(&format!("for account {A}")), "{t}");
    assert!(t.contains("the profile `nosuch` is not defined"), "{t}");
    assert!(emu.events().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_account_profile_flag_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["12345=prod", "210987654321", "210987654321="] {
        let out = command(dir.path())
            .args(["run", "--local", "--account-profile", bad])
            .arg(example())
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("--account-profile"), "{}", text(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_rehearsal_reaches_the_rooms_of_every_account() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .args([
            "run",
            "--local",
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
        ])
        .arg(example())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(count(&r, Status::Sent), 3, "{}", text(&out));
}

/// `validate --remote` asks about each room with its account's
/// credentials; with the wrong ones a room is not found at its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_preflight_checks_each_room_as_its_account() {
    let emu = emulator_of_two_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path());
    let validate = |extra: Vec<String>| {
        let mut c = command(dir.path());
        c.env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
            .args([
                "validate",
                "--remote",
                "--endpoint-url",
                &emu.endpoint_url(),
            ])
            .args(extra)
            .arg(example());
        c
    };
    let out = validate(vec![]).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = validate(vec!["--account-profile".into(), format!("{B}=chat-prod")])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("playbook::room-not-found"), "{t}");
    assert!(t.contains("euLobby00001"), "{t}");
    assert!(!t.contains("prodLobby001"), "{t}");
}

/// `rooms` lists as the default credentials and as each mapped account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_lists_every_mapped_account() {
    let emu = emulator_of_two_accounts().await;
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path());
    let list = |extra: &[String]| {
        let mut c = command(dir.path());
        c.env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
            .args([
                "rooms",
                "--format",
                "json",
                "--endpoint-url",
                &emu.endpoint_url(),
            ])
            .args(["--region", "us-west-2", "--region", "eu-west-1"])
            .args(extra);
        c
    };
    let arns = |o: &std::process::Output| -> Vec<String> {
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
        let mut a: Vec<String> = v
            .as_array()
            .or_else(|| v["rooms"].as_array())
            .unwrap()
            .iter()
            .map(|r| r["arn"].as_str().unwrap().to_string())
            .collect();
        a.sort();
        a
    };
    let out = list(&[]).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(arns(&out).len(), 1, "{}", text(&out));
    let out = list(&[
        "--account-profile".into(),
        format!("{A}=chat-prod"),
        "--account-profile".into(),
        format!("{B}=chat-eu"),
    ])
    .output()
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let got = arns(&out);
    let accounts: Vec<&str> = got.iter().map(|a| account_of(a)).collect();
    assert_eq!(accounts, [B, A, ACCOUNT], "{got:?} {}", text(&out));
}
