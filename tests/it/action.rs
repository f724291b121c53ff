//! The composite GitHub Action (`action.yml`): its shell steps run here as
//! the runner runs them, with the binary under test on PATH.

use std::path::Path;

use crate::support::action::run_action;
use crate::support::fixtures::root;

fn bin_dir() -> &'static Path {
    Path::new(crate::support::bin()).parent().unwrap()
}

#[test]
fn valid_playbooks_pass_with_a_summary_and_no_annotations() {
    let run = run_action(&[("paths", "playbooks/")], root(), &[bin_dir()]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let out = run.output();
    assert!(out.contains("using ivschat-playbook 0.1.0"), "{out}");
    assert!(out.contains("no catalog to check"), "{out}");
    assert!(
        !out.contains("::error") && !out.contains("::warning"),
        "{out}"
    );
    assert!(
        run.summary
            .contains("### ivschat-playbook validate\n\n✅ **valid**"),
        "{}",
        run.summary
    );
}

#[test]
fn problems_become_annotations_and_fail_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let run = run_action(
        &[
            (
                "paths",
                "tests/fixtures/invalid/unknown-room-in-to.yaml\nplaybooks/maintenance-window.yaml",
            ),
            ("catalog", "tests/fixtures/catalog/events/"),
            ("sarif", sarif.to_str().unwrap()),
        ],
        root(),
        &[bin_dir()],
    );
    assert_eq!(run.code, Some(2), "{run:#?}");
    let (name, code, out) = run.steps.last().unwrap();
    assert_eq!((name.as_str(), *code), ("Validate playbooks", Some(2)));
    assert!(
        out.contains(
            "::error file=tests/fixtures/invalid/unknown-room-in-to.yaml,line=10,col=20,endColumn=27,title=playbook%3A%3Aunknown-room::"
        ),
        "{out}"
    );
    assert!(
        run.summary.contains("catalog check\n\n✅ **valid**"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("validate\n\n❌ **invalid**"),
        "{}",
        run.summary
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    crate::sarif::assert_valid_sarif(&log);
}

#[test]
fn bad_inputs_are_refused() {
    let run = run_action(&[("paths", "  \n ")], root(), &[bin_dir()]);
    assert_eq!(run.code, Some(2));
    assert!(run.output().contains("the paths input names no playbook"));
    let run = run_action(&[("deny-warnings", "yes")], root(), &[bin_dir()]);
    assert_eq!(run.code, Some(2));
    assert!(run.output().contains("deny-warnings is true or false"));
}
