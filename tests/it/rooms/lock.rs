//! `lock` then an offline plan; a stale lock refused by `run` with nothing
//! sent, and `--refresh`; selectors that find nothing.

use std::collections::BTreeSet;
use std::path::Path;

use ivschat_playbook::emulator::RoomSeed;
use ivschat_playbook::playbook::lock::LockFile;
use serde_json::Value;

use super::{seed, seeded, text, tool};

const REGIONS: [&str; 2] = ["us-west-2", "eu-west-1"];

const PLAYBOOK: &str = "\
version: 1
rooms:
  - discover:
      regions: [us-west-2, eu-west-1]
      tags: { env: prod }
      name: \"lobby-*\"
events:
  - name: notice
    to: { tags: [team=chat] }
    attributes: { text: \"hello {{ room.name }}\" }
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn planned_rooms(out: &std::process::Output) -> BTreeSet<String> {
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["room_arn"].as_str().unwrap().to_string())
        .collect()
}

fn lock_of(dir: &Path) -> LockFile {
    serde_yaml::from_str(&std::fs::read_to_string(dir.join("announce.lock.yaml")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_then_plan_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, seeds) = seeded(130, &REGIONS).await;
    let url = emu.endpoint_url();
    write(dir.path(), "announce.yaml", PLAYBOOK);
    let out = tool(
        dir.path(),
        &["lock", "--endpoint-url", &url, "announce.yaml"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote announce.lock.yaml: 1 selector"));
    let expected: BTreeSet<String> = seeds
        .iter()
        .filter(|s| s.tags["env"] == "prod" && s.name.as_deref().unwrap().starts_with("lobby-"))
        .map(|s| s.arn.clone())
        .collect();
    let lock = lock_of(dir.path());
    assert_eq!(lock.playbook, "announce.yaml");
    let pinned: BTreeSet<String> = lock.selectors[0]
        .rooms
        .iter()
        .map(|r| r.arn.clone())
        .collect();
    assert_eq!(pinned, expected);
    let r = &lock.selectors[0].rooms[0];
    assert!(
        r.name.starts_with("lobby-") && r.tags["team"] == "chat" && r.update_time.ends_with('Z')
    );
    emu.shutdown().await.unwrap();

    // The service is gone: validate and plan need only the lock.
    let out = tool(dir.path(), &["validate", "announce.yaml"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = tool(dir.path(), &["plan", "--format", "json", "announce.yaml"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(planned_rooms(&out), expected);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let texts: Vec<&str> = plan["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attributes"]["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"hello lobby-1"),
        "discovered names render: {texts:?}"
    );

    // A folder of playbooks does not take the lock for one.
    let out = tool(dir.path(), &["validate", "."]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 playbook"),
        "{}",
        text(&out)
    );

    // The lock is part of the plan hash: the same rooms pinned for another
    // selector make another plan.
    let hash = plan["plan_hash"].as_str().unwrap().to_string();
    let mut other = lock_of(dir.path());
    other.selectors[0].asked.name = Some("lobby-?*".into());
    write(dir.path(), "announce.lock.yaml", &other.to_text());
    let edited = PLAYBOOK.replace("\"lobby-*\"", "\"lobby-?*\"");
    write(dir.path(), "announce.yaml", &edited);
    let out = tool(dir.path(), &["plan", "--format", "json", "announce.yaml"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(planned_rooms(&out), expected);
    assert_ne!(again["plan_hash"].as_str().unwrap(), hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_lock_is_refused_with_nothing_sent_unless_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, seeds) = seeded(60, &REGIONS).await;
    let url = emu.endpoint_url();
    write(dir.path(), "announce.yaml", PLAYBOOK);
    let out = tool(
        dir.path(),
        &["lock", "--endpoint-url", &url, "announce.yaml"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let before = lock_of(dir.path());

    // A new room appears that the selector finds.
    let mut added = seed(1000, &REGIONS);
    added.name = Some("lobby-new".into());
    emu.add_room(RoomSeed::Room(added.clone())).unwrap();
    let out = tool(
        dir.path(),
        &[
            "run",
            "--endpoint-url",
            &url,
            "--journal",
            "j.jsonl",
            "announce.yaml",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the service no longer matches announce.lock.yaml"),
        "{err}"
    );
    assert!(err.contains(&format!("1 added ({})", added.arn)), "{err}");
    assert!(err.contains("nothing sent"), "{err}");
    assert!(emu.events().is_empty(), "nothing was sent");
    assert!(!dir.path().join("j.jsonl").exists(), "no journal either");
    assert_eq!(lock_of(dir.path()), before, "the lock is left as reviewed");

    // --refresh writes the lock again and sends to the rooms found now.
    let out = tool(
        dir.path(),
        &[
            "run",
            "--endpoint-url",
            &url,
            "--refresh",
            "--journal",
            "j.jsonl",
            "announce.yaml",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let expected = seeds
        .iter()
        .filter(|s| s.tags["env"] == "prod" && s.name.as_deref().unwrap().starts_with("lobby-"))
        .count()
        + 1;
    assert_eq!(emu.events().len(), expected);
    assert!(emu.events().iter().any(|e| e.room_arn == added.arn));
    let after = lock_of(dir.path());
    assert_eq!(after.selectors[0].rooms.len(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selector_that_finds_nothing_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, _) = seeded(10, &REGIONS).await;
    let url = emu.endpoint_url();
    write(
        dir.path(),
        "announce.yaml",
        &PLAYBOOK.replace("env: prod", "env: nowhere"),
    );
    let out = tool(
        dir.path(),
        &["lock", "--endpoint-url", &url, "announce.yaml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[playbook::discovers-no-rooms]"), "{err}");
    assert!(err.contains("announce.yaml:4:7"), "{err}");
    assert!(
        !dir.path().join("announce.lock.yaml").exists(),
        "nothing written"
    );
    // Without a lock, validate says to run `lock`, at the selector.
    let out = tool(dir.path(), &["validate", "announce.yaml"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[playbook::not-locked]") && err.contains("announce.yaml:4:7"),
        "{err}"
    );
    assert!(
        err.contains("run `ivschat-playbook lock announce.yaml`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipes_lock_is_what_lock_writes_against_its_rooms() {
    let root = crate::support::fixtures::root();
    let recipe = root.join("docs/recipes/prod");
    let seeds =
        ivschat_playbook::emulator::config::load_rooms_file(&recipe.join("service/rooms.yaml"))
            .unwrap();
    let emu = ivschat_playbook::emulator::spawn(ivschat_playbook::emulator::EmulatorConfig {
        rooms: seeds,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        recipe.join("announce.yaml"),
        dir.path().join("announce.yaml"),
    )
    .unwrap();
    let out = tool(
        dir.path(),
        &[
            "lock",
            "--endpoint-url",
            &emu.endpoint_url(),
            "announce.yaml",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let committed: LockFile =
        serde_yaml::from_str(&std::fs::read_to_string(recipe.join("announce.lock.yaml")).unwrap())
            .unwrap();
    let written = lock_of(dir.path());
    type Pins = Vec<(String, String, Vec<(String, String)>)>;
    let pins = |l: &LockFile| -> Pins {
        l.selectors
            .iter()
            .flat_map(|s| &s.rooms)
            .map(|r| {
                let tags = r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                (r.arn.clone(), r.name.clone(), tags)
            })
            .collect()
    };
    assert_eq!(pins(&written), pins(&committed));
    assert_eq!(written.selectors[0].asked, committed.selectors[0].asked);
}

#[tokio::test]
async fn a_local_rehearsal_sends_to_the_locked_rooms_as_they_are() {
    let root = crate::support::fixtures::root();
    let dir = tempfile::tempdir().unwrap();
    for f in ["announce.yaml", "announce.lock.yaml"] {
        std::fs::copy(root.join("docs/recipes/prod").join(f), dir.path().join(f)).unwrap();
    }
    let out = tool(
        dir.path(),
        &["run", "--local", "--journal", "j.jsonl", "announce.yaml"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--local: discovered rooms are taken from the lock files as they are"),
        "{err}"
    );
    assert!(err.contains("5 events to 3 rooms"), "{err}");
}
