//! `rooms`: exactly the rooms asked for, from every page of every region,
//! within the 5 TPS quota; its inventory validates and is included as is.

use std::collections::BTreeSet;

use ivschat_playbook::emulator::FaultConfig;
use serde_json::Value;

use super::{seeded, text, tool};
use crate::support::fixtures::root;

const REGIONS: [&str; 2] = ["us-west-2", "eu-west-1"];

fn arns(json: &Value) -> BTreeSet<String> {
    json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["arn"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagged_rooms_in_two_regions_are_found_exactly_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    // 260 rooms: 130 a region, three pages each.
    let (emu, seeds) = seeded(260, &REGIONS).await;
    let url = emu.endpoint_url();
    let out = tool(
        dir.path(),
        &[
            "rooms",
            "--endpoint-url",
            &url,
            "--region",
            "us-west-2",
            "--region",
            "eu-west-1",
            "--tag",
            "env=prod",
            "--tag",
            "team=chat",
            "--name",
            "lobby-*",
            "--format",
            "json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: BTreeSet<String> = seeds
        .iter()
        .filter(|s| s.tags["env"] == "prod" && s.name.as_deref().unwrap().starts_with("lobby-"))
        .map(|s| s.arn.clone())
        .collect();
    assert!(
        expected.len() > 100,
        "the filter leaves rooms on every page"
    );
    assert_eq!(arns(&json), expected);
    let first = &json["rooms"][0];
    assert_eq!(first["region"], "eu-west-1", "sorted by region: {first}");
    assert_eq!(first["account"], super::ACCOUNT);
    assert_eq!(first["tags"]["team"], "chat");
    assert!(first["updateTime"].as_str().unwrap().ends_with('Z'));
    let stats = emu.stats();
    let list = &stats.operations["ListRooms"];
    assert_eq!(list.requests, 6, "three pages in each of two regions");
    assert_eq!(stats.quota_throttled, 0, "kept within 5 TPS");
    assert!(String::from_utf8_lossy(&out.stderr).contains("in 2 regions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_are_retried_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, seeds) = seeded(120, &["us-west-2"]).await;
    emu.set_faults(FaultConfig {
        throttle_rate: 0.4,
        error_rate: 0.2,
        seed: Some(7),
        ..Default::default()
    })
    .unwrap();
    let url = emu.endpoint_url();
    let out = tool(
        dir.path(),
        &[
            "rooms",
            "--endpoint-url",
            &url,
            "--region",
            "us-west-2",
            "--format",
            "json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all: BTreeSet<String> = seeds.iter().map(|s| s.arn.clone()).collect();
    assert_eq!(arns(&json), all);
    let stats = emu.stats();
    assert!(stats.faults.throttle > 0, "faults were injected: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exact_name_is_filtered_by_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, _) = seeded(120, &["us-west-2"]).await;
    let url = emu.endpoint_url();
    let out = tool(
        dir.path(),
        &[
            "rooms",
            "--endpoint-url",
            &url,
            "--region",
            "us-west-2",
            "--name",
            "lobby-5",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("REGION"));
    assert!(lines[1].contains("room/r00005") && lines[1].contains("env=prod,team=chat"));
    assert_eq!(emu.stats().operations["ListRooms"].requests, 1, "one page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_validates_and_round_trips_through_include() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, seeds) = seeded(70, &REGIONS).await;
    let url = emu.endpoint_url();
    std::fs::create_dir_all(dir.path().join("rooms")).unwrap();
    let out = tool(
        dir.path(),
        &[
            "rooms",
            "--endpoint-url",
            &url,
            "--region",
            "us-west-2",
            "--region",
            "eu-west-1",
            "--tag",
            "env=prod",
            "--format",
            "inventory",
            "-o",
            "rooms/prod.yaml",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let inventory = std::fs::read_to_string(dir.path().join("rooms/prod.yaml")).unwrap();
    assert!(
        inventory.starts_with("# yaml-language-server: $schema=../schema/inventory.schema.json\n"),
        "{inventory}"
    );
    // It follows the inventory schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/inventory.schema.json")).unwrap(),
    )
    .unwrap();
    let doc: Value = serde_yaml::from_str(&inventory).unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema)
        .unwrap()
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{inventory}");
    // A playbook includes it as it is; its KEY=VALUE tags select.
    std::fs::write(
        dir.path().join("announce.yaml"),
        "version: 1\ninclude: [rooms/prod.yaml]\nevents:\n  - name: notice\n    to: {all_tags: [env=prod, team=chat]}\n    attributes: {text: \"hello {{ room.name }}\"}\n",
    )
    .unwrap();
    let out = tool(dir.path(), &["plan", "--format", "json", "announce.yaml"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned: BTreeSet<String> = plan["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["room_arn"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = seeds
        .iter()
        .filter(|s| s.tags["env"] == "prod")
        .map(|s| s.arn.clone())
        .collect();
    assert_eq!(planned, expected);
    let texts: Vec<&str> = plan["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attributes"]["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"hello lobby-1"), "{texts:?}");
}

#[tokio::test]
async fn bad_flags_are_refused_before_anything_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["rooms", "--region", "us-east-2"],
            "IVS Chat is not offered in `us-east-2`",
        ),
        (
            &["rooms", "--name", "lobby-[", "--region", "us-west-2"],
            "the name pattern `lobby-[` is invalid",
        ),
        (&["rooms", "--tag", "env"], "`env` is not a tag KEY=VALUE"),
    ];
    for (args, says) in cases {
        let out = tool(dir.path(), args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            text(&out)
        );
    }
}

#[tokio::test]
async fn an_unreachable_service_is_a_failure_not_an_empty_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = tool(
        dir.path(),
        &[
            "rooms",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-west-2",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ListRooms in us-west-2 failed"), "{err}");
    assert!(out.stdout.is_empty());
}
