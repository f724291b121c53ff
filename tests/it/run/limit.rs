//! `--limit`: a canary first, then `--resume` without it sends exactly the
//! rest; the plan hash stays the whole playbook's; a limit that keeps no
//! room is refused with nothing sent.

use std::collections::HashMap;

use ivschat_playbook::journal::{self, JournalRecord};
use serde_json::Value;

use super::{ACCOUNT, command, run_to, start_emulator, text, write_playbook};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_then_resume_sends_exactly_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 6, &["us-west-2", "eu-west-1"], 2, 100);
    let url = emu.endpoint_url();
    let out = run_to(
        dir.path(),
        &url,
        &[
            "--limit",
            "r1",
            "--journal",
            "j.jsonl",
            "--report",
            "canary.json",
        ],
        &pb,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--limit r1: 1 room and 2 sends of the plan's 12"),
        "{}",
        text(&out)
    );
    let canary = format!("arn:aws:ivschat:eu-west-1:{ACCOUNT}:room/r00001");
    let events = emu.events();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.room_arn == canary));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("canary.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["summary"]["total"], 2,
        "the canary's report is the canary's"
    );
    let header = journal::read(&dir.path().join("j.jsonl"))
        .unwrap()
        .into_iter()
        .find_map(|r| match r {
            JournalRecord::Run(h) => Some(h),
            _ => None,
        })
        .unwrap();
    let limit = header.limit.expect("the journal records the limit");
    assert_eq!(
        (limit.asked, limit.rooms, limit.sends),
        (vec!["r1".to_string()], 1, 2)
    );
    assert_eq!(header.sends, 12, "the plan is the whole playbook's");

    // The rest, without --limit: every other send once, the canary's not again.
    let out = run_to(dir.path(), &url, &["--resume", "j.jsonl"], &pb).await;
    assert!(out.status.success(), "{}", text(&out));
    let events = emu.events();
    assert_eq!(events.len(), 12, "{}", text(&out));
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for e in &events {
        *per.entry((e.room_arn.clone(), e.event_name.clone()))
            .or_default() += 1;
    }
    assert!(per.values().all(|n| *n == 1), "each send once: {per:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_limit_keeps_the_hash_and_a_limit_that_keeps_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pb = write_playbook(dir.path(), 5, &["us-west-2"], 1, 100);
    let plan = |extra: &'static [&'static str]| {
        let dir = dir.path().to_path_buf();
        let pb = pb.clone();
        async move {
            command(&dir)
                .args(["plan", "--format", "json"])
                .args(extra)
                .arg(&pb)
                .output()
                .await
                .unwrap()
        }
    };
    let arns = format!(
        "# canaries\narn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00002\narn:aws:ivschat:us-west-2:{ACCOUNT}:room/r00004\n"
    );
    std::fs::write(dir.path().join("canaries.txt"), arns).unwrap();
    let whole = plan(&[]).await;
    let limited = plan(&["--limit", "@canaries.txt,r0"]).await;
    assert!(limited.status.success(), "{}", text(&limited));
    let whole: Value = serde_json::from_slice(&whole.stdout).unwrap();
    let limited_json: Value = serde_json::from_slice(&limited.stdout).unwrap();
    assert_eq!(limited_json["plan_hash"], whole["plan_hash"]);
    let rooms: Vec<&str> = limited_json["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["room_name"].as_str().unwrap())
        .collect();
    assert_eq!(rooms, ["r0", "r2", "r4"]);
    assert_eq!(limited_json["summary"]["sends"], 3);

    let emu = start_emulator(true, false).await;
    for args in [&["--limit", "nosuchroom"][..], &["--limit", "tag:nope"][..]] {
        let out = run_to(dir.path(), &emu.endpoint_url(), args, &pb).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("matches no room"),
            "{}",
            text(&out)
        );
    }
    let out = plan(&["--limit", "@missing.txt"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(emu.events().is_empty());
}
