//! `init`: the starter files validate and rehearse as written, their schema
//! modelines point at files that exist, and nothing is ever overwritten.

use std::path::{Path, PathBuf};
use std::process::Command;

use indexmap::IndexMap;
use ivschat_playbook::app::commands::init::{INVENTORY_FILE, PLAYBOOK_FILE};
use ivschat_playbook::diag;
use ivschat_playbook::pipeline;
use ivschat_playbook::plan::SettingsOverrides;

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(crate::support::bin());
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

/// The path in a file's `$schema=` modeline, resolved against the file.
fn modeline_target(file: &Path) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap();
    let first = text.lines().next().unwrap();
    let rel = first
        .strip_prefix("# yaml-language-server: $schema=")
        .unwrap_or_else(|| panic!("{}: no modeline: {first}", file.display()));
    file.parent().unwrap().join(rel)
}

#[test]
fn writes_a_starter_that_validates_and_runs_locally() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    let out = bin(tmp.path()).args(["init", "new"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let playbook = dir.join(PLAYBOOK_FILE);
    let inventory = dir.join(INVENTORY_FILE);
    assert!(playbook.is_file() && inventory.is_file());

    // No schema folder above a temporary folder: init wrote the schemas, and
    // the modelines point at them.
    for (file, schema) in [
        (&playbook, "playbook.schema.json"),
        (&inventory, "inventory.schema.json"),
    ] {
        let target = modeline_target(file);
        assert!(
            target.is_file(),
            "{} -> {}",
            file.display(),
            target.display()
        );
        assert_eq!(
            target.canonicalize().unwrap(),
            dir.join("schema").join(schema).canonicalize().unwrap()
        );
    }

    // Valid as written, with sends for every room of both files.
    let planned = pipeline::plan_files(
        std::slice::from_ref(&playbook),
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    assert_eq!(
        diag::counts(&planned.diagnostics),
        (0, 0),
        "{:?}",
        planned.diagnostics
    );
    let plan = planned.plan.expect("a plan");
    assert_eq!(plan.overview.summary.rooms, 3);
    assert_eq!(plan.overview.summary.sends, 5);

    // A rehearsal against the embedded emulator sends all of it.
    let out = bin(&dir)
        .args(["run", "--local", "--no-fsync", PLAYBOOK_FILE])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn modelines_point_at_the_project_schemas_when_there_are_some() {
    let tmp = tempfile::tempdir().unwrap();
    // A project with this tool's schemas, as `schema --write schema/` makes.
    let project = tmp.path();
    let out = bin(project)
        .args(["schema", "--write", "schema"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = bin(project)
        .args(["init", "playbooks/team"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let playbook = project.join("playbooks/team").join(PLAYBOOK_FILE);
    let first = std::fs::read_to_string(&playbook).unwrap();
    assert!(
        first.starts_with("# yaml-language-server: $schema=../../schema/playbook.schema.json\n"),
        "{first}"
    );
    let inventory =
        std::fs::read_to_string(project.join("playbooks/team").join(INVENTORY_FILE)).unwrap();
    assert!(
        inventory
            .starts_with("# yaml-language-server: $schema=../../../schema/inventory.schema.json\n"),
        "{inventory}"
    );
    assert!(
        !project.join("playbooks/team/schema").exists(),
        "no second copy of the schemas"
    );
}

#[test]
fn never_overwrites_and_writes_nothing_when_any_file_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("rooms")).unwrap();
    std::fs::write(dir.join(INVENTORY_FILE), "mine\n").unwrap();
    let out = bin(dir).args(["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rooms/example.yaml") && stderr.contains("already exists"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(INVENTORY_FILE)).unwrap(),
        "mine\n"
    );
    assert!(!dir.join(PLAYBOOK_FILE).exists(), "nothing was written");
    assert!(!dir.join("schema").exists(), "nothing was written");

    // And a second init over a first one refuses too.
    let other = dir.join("other");
    assert!(bin(dir).args(["init", "other"]).status().unwrap().success());
    let before = std::fs::read_to_string(other.join(PLAYBOOK_FILE)).unwrap();
    let out = bin(dir).args(["init", "other"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(PLAYBOOK_FILE));
    assert_eq!(
        std::fs::read_to_string(other.join(PLAYBOOK_FILE)).unwrap(),
        before
    );
}

/// The docs' `init playbooks/team`, then `validate playbooks`: the folder
/// has no playbooks of its own, and the error names the subfolder that has.
#[test]
fn a_folder_whose_playbooks_are_in_a_subfolder_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin(tmp.path())
        .args(["init", "playbooks/team"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = bin(tmp.path())
        .args(["validate", "playbooks"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the subfolder `playbooks/team` has YAML files: give it instead"),
        "{err}"
    );
    let out = bin(tmp.path())
        .args(["validate", "playbooks/team"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
