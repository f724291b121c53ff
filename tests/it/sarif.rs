//! SARIF output (`validate`, `catalog check`, `catalog diff --format
//! sarif`): every log validates against the official SARIF 2.1.0 schema
//! (vendored under tests/sarif/), says what the JSON format says at the same
//! places, names each rule with the docs' description, and has no empty
//! object, array or string (GitHub rejects some, e.g. an empty `snippet`).

use std::process::Command;

use serde_json::Value;

use crate::support::fixtures::{fixtures, root};

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn tool_json(args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(crate::support::bin())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

/// Asserts the log is valid SARIF 2.1.0 with nothing empty in it.
pub fn assert_valid_sarif(log: &Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
    assert_nothing_empty(log, "");
}

fn assert_nothing_empty(v: &Value, at: &str) {
    match v {
        Value::String(s) => assert!(!s.is_empty(), "empty string at {at}"),
        Value::Array(a) => {
            // An empty `results` says "ran, found nothing", as SARIF means it.
            assert!(
                !a.is_empty() || at.ends_with("/results"),
                "empty array at {at}"
            );
            for (i, x) in a.iter().enumerate() {
                assert_nothing_empty(x, &format!("{at}/{i}"));
            }
        }
        Value::Object(o) => {
            assert!(!o.is_empty(), "empty object at {at}");
            for (k, x) in o {
                assert_nothing_empty(x, &format!("{at}/{k}"));
            }
        }
        _ => {}
    }
}

fn run(log: &Value) -> &Value {
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    &runs[0]
}

/// Checks SARIF results against the JSON format's diagnostics of the same
/// run: same code, level and region, in the same order, and that each
/// result's rule is listed with a description.
fn assert_same_as_json(sarif: &Value, json: &Value) {
    let run = run(sarif);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let diags = json.as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    assert!(!results.is_empty());
    for (r, d) in results.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"], "{r}");
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["fullDescription"]["text"].as_str().unwrap().len() > 10);
        assert_eq!(r["level"], d["severity"]);
        let text = r["message"]["text"].as_str().unwrap();
        assert!(text.starts_with(d["message"].as_str().unwrap()), "{text}");
        if let Some(hint) = d["hint"].as_str() {
            assert!(text.ends_with(&format!("hint: {hint}")), "{text}");
        }
        let Some(line) = d["line"].as_u64() else {
            continue;
        };
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], d["file"], "{r}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        assert_eq!(region["startLine"].as_u64(), Some(line), "{r}");
        assert_eq!(region["startColumn"], d["column"], "{r}");
        assert_eq!(region["endLine"], d["end_line"], "{r}");
        assert_eq!(region["endColumn"], d["end_column"], "{r}");
        let print = r["partialFingerprints"]["ivschatPlaybookHash/v1"]
            .as_str()
            .unwrap();
        assert_eq!(print.len(), 34, "{print}");
    }
}

fn paths(dir: &str) -> Vec<String> {
    fixtures(dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn validate_sarif_is_valid_and_says_what_json_says_for_every_invalid_fixture() {
    let files = paths("tests/fixtures/invalid");
    let mut args = vec!["validate", "--format", "sarif"];
    args.extend(files.iter().map(String::as_str));
    let (code, sarif) = tool_json(&args);
    assert_eq!(code, Some(2));
    assert_valid_sarif(&sarif);
    args[2] = "json";
    let (_, json) = tool_json(&args);
    assert_same_as_json(&sarif, &json);
    // Every code is a rule, described as docs/diagnostics.md describes it.
    let rules = run(&sarif)["tool"]["driver"]["rules"].as_array().unwrap();
    let docs = std::fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    assert_eq!(rules.len(), ivschat_playbook::diag::codes::ALL.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap_or_else(|| panic!("{id} not in docs"));
        let md = rule["help"]["markdown"].as_str().unwrap();
        assert!(row.contains(md.split("\n\n").next().unwrap()), "{id}: {md}");
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(row.contains(&format!("| {level} |")), "{id}: {level}");
    }
}

#[test]
fn catalog_check_sarif_is_valid_for_every_catalog_fixture() {
    let files = paths("tests/fixtures/catalog/check");
    let mut args = vec!["catalog", "check", "--format", "sarif"];
    args.extend(files.iter().map(String::as_str));
    let (code, sarif) = tool_json(&args);
    assert_eq!(code, Some(2));
    assert_valid_sarif(&sarif);
    args[3] = "json";
    let (_, json) = tool_json(&args);
    assert_same_as_json(&sarif, &json);
}

#[test]
fn a_valid_playbook_gives_a_log_with_no_results() {
    let (code, sarif) = tool_json(&[
        "validate",
        "--format",
        "sarif",
        "playbooks/maintenance-window.yaml",
    ]);
    assert_eq!(code, Some(0));
    assert_valid_sarif(&sarif);
    assert_eq!(run(&sarif)["results"], serde_json::json!([]));
}

#[test]
fn catalog_diff_sarif_has_a_rule_per_change_kind_and_levels_by_breaking() {
    let dir = "tests/fixtures/catalog/diff";
    let (code, sarif) = tool_json(&[
        "catalog",
        "diff",
        "--format",
        "sarif",
        &format!("{dir}/old"),
        &format!("{dir}/new"),
    ]);
    assert_eq!(code, Some(1));
    assert_valid_sarif(&sarif);
    let (_, json) = tool_json(&[
        "catalog",
        "diff",
        "--format",
        "json",
        &format!("{dir}/old"),
        &format!("{dir}/new"),
    ]);
    let run = run(&sarif);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        ivschat_playbook::catalog::diff::ChangeKind::ALL.len()
    );
    let results = run["results"].as_array().unwrap();
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(results.len(), changes.len());
    for (r, c) in results.iter().zip(changes) {
        assert_eq!(
            r["ruleId"],
            format!("catalog-diff::{}", c["kind"].as_str().unwrap())
        );
        let level = if c["breaking"] == true {
            "error"
        } else {
            "note"
        };
        assert_eq!(r["level"], level);
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert_eq!(rule["defaultConfiguration"]["level"], level);
        if c["kind"] != "definition-removed"
            && let Some(line) = c["line"].as_u64()
        {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            assert_eq!(region["startLine"].as_u64(), Some(line), "{r}");
        }
    }
}

#[test]
fn fingerprints_survive_lines_moving_and_tell_problems_apart() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/invalid/unknown-room-in-to.yaml"))
            .unwrap();
    let a = dir.path().join("a.yaml");
    std::fs::write(&a, &text).unwrap();
    let prints = |path: &std::path::Path| -> Vec<(u64, String)> {
        let out = Command::new(crate::support::bin())
            .args(["validate", "--format", "sarif"])
            .arg(path.file_name().unwrap())
            .current_dir(dir.path())
            .output()
            .unwrap();
        let log: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_valid_sarif(&log);
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                    r["partialFingerprints"]["ivschatPlaybookHash/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let before = prints(&a);
    // Two comment lines on top: the problem moves down, its print stays.
    std::fs::write(&a, format!("# one\n# two\n{text}")).unwrap();
    let after = prints(&a);
    assert_eq!(before.len(), 1);
    assert_eq!(after[0].0, before[0].0 + 2);
    assert_eq!(after[0].1, before[0].1);
    // The same mistake twice: two results, two prints.
    std::fs::write(
        &a,
        text.replace("to: [eu-lobby, us-loby]", "to: [us-loby, us-loby]"),
    )
    .unwrap();
    let twice = prints(&a);
    assert!(twice.len() >= 2, "{twice:?}");
    let mut distinct: Vec<&String> = twice.iter().map(|(_, p)| p).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), twice.len(), "{twice:?}");
}
