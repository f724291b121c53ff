//! `catalog check` and `catalog list`: broken definition files, formats
//! and exit codes, unreadable files, duplicates, and the listing.

use ivschat_playbook::catalog::load::load_paths;
use ivschat_playbook::diag::DiagFormat;

use crate::support::fixtures::{expected_code, fixtures};

use super::cli;
use super::snapshot;

#[test]
fn every_check_fixture_reports_its_code_at_a_place() {
    let files = fixtures("tests/fixtures/catalog/check");
    assert!(files.len() >= 12, "only {} fixtures", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let expect = expected_code(path);
        let loaded = load_paths(&[path.display().to_string()]);
        match loaded.diagnostics.iter().find(|d| d.code == expect) {
            None => failures.push(format!(
                "{}: expected {expect}, got {:?}",
                path.display(),
                loaded
                    .diagnostics
                    .iter()
                    .map(|d| d.code)
                    .collect::<Vec<_>>()
            )),
            Some(d) if d.location.is_none() => {
                failures.push(format!("{}: {expect} has no location", path.display()))
            }
            Some(_) => {}
        }
        let (code, _, _) = cli(&["catalog", "check", &path.display().to_string()]);
        assert_eq!(code, 2, "{}", path.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_diagnostics_match_snapshots() {
    for path in fixtures("tests/fixtures/catalog/check") {
        let loaded = load_paths(&[path.display().to_string()]);
        let text = loaded
            .sources
            .render(&loaded.diagnostics, DiagFormat::Human, false);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        snapshot!(format!("catalog_check__{name}"), text);
    }
}

#[test]
fn check_formats_and_exit_codes() {
    let (code, out, err) = cli(&["catalog", "check", "playbooks/events/"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        err,
        "valid: 0 errors, 0 warnings in 2 files (3 definitions)\n"
    );
    let bad = "tests/fixtures/catalog/check/invalid-default.yaml";
    let (code, out, _) = cli(&["catalog", "check", "--format", "json", bad]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["code"], "catalog::invalid-default");
    assert_eq!(
        (v[0]["line"].as_u64(), v[0]["column"].as_u64()),
        (Some(7), Some(14))
    );
    let (code, out, _) = cli(&["catalog", "check", "--format", "github", bad]);
    assert_eq!(code, 2);
    assert!(
        out.starts_with("::error file=tests/fixtures/catalog/check/invalid-default.yaml,line=7,col=14,endColumn=19,title=catalog%3A%3Ainvalid-default::"),
        "{out}"
    );
    // Missing paths and empty folders.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = cli(&[
        "catalog",
        "check",
        "tests/fixtures/catalog/nowhere.yaml",
        &empty.path().display().to_string(),
        "tests/fixtures/catalog/none-*.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("catalog::file-not-found"), "{err}");
    assert_eq!(err.matches("catalog::no-files").count(), 2, "{err}");
}

#[test]
fn unreadable_definition_files_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"name: Caf\xe9\n").unwrap();
    std::fs::write(dir.path().join("list.yaml"), "- name: A\n").unwrap();
    std::fs::write(dir.path().join("syntax.yaml"), "name: [A\n").unwrap();
    std::fs::write(dir.path().join("many.yaml"), "name: A\n---\nname: B\n").unwrap();
    let loaded = load_paths(&[dir.path().display().to_string()]);
    let mut codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        vec![
            "catalog::wrong-type",
            "playbook::not-utf8",
            "yaml::multiple-documents",
            "yaml::syntax"
        ]
    );
    assert!(loaded.catalog.incomplete);
}

#[test]
fn duplicates_across_files_are_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "name: A\nversion: 2\n").unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "definitions:\n  - name: A\n  - name: A\n    version: 2\n",
    )
    .unwrap();
    let loaded = load_paths(&[dir.path().display().to_string()]);
    let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["catalog::duplicate-definition"]);
    assert_eq!(loaded.diagnostics[0].related.len(), 1);
}

#[test]
fn list_shows_names_versions_and_attributes() {
    let (code, out, err) = cli(&["catalog", "list", "playbooks/events/"]);
    assert_eq!((code, err.as_str()), (0, ""));
    snapshot!("catalog_list", out);
    let (code, out, _) = cli(&[
        "catalog",
        "list",
        "--format",
        "json",
        "playbooks/events/*.yaml",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let labels: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}@{} latest={}",
                d["name"].as_str().unwrap(),
                d["version"],
                d["latest"]
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec![
            "FeatureAnnouncement@1 latest=true",
            "SystemMessage@1 latest=false",
            "SystemMessage@2 latest=true"
        ]
    );
    assert_eq!(v[2]["required"], serde_json::json!(["msgType", "msgText"]));
    assert_eq!(v[2]["attributes"]["severity"]["default"], "info");
    let (code, _, err) = cli(&[
        "catalog",
        "list",
        "tests/fixtures/catalog/check/unknown-key.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("catalog::unknown-key"));
}
