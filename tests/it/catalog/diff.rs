//! `catalog diff`: every kind of change between `diff/old` and `diff/new`,
//! its output formats and exit codes.

use ivschat_playbook::catalog::diff::{ChangeKind, diff};
use ivschat_playbook::catalog::load::load_paths;

use super::cli;
use super::snapshot;

const OLD: &str = "tests/fixtures/catalog/diff/old";

const NEW: &str = "tests/fixtures/catalog/diff/new";

#[test]
fn diff_reports_every_kind_of_change() {
    let old = load_paths(&[OLD.to_string()]);
    let new = load_paths(&[NEW.to_string()]);
    assert!(old.diagnostics.is_empty() && new.diagnostics.is_empty());
    let changes = diff(&old.catalog, &new.catalog);
    // Each kind with the definition and attribute it must be reported for.
    let expected: &[(ChangeKind, &str, Option<&str>)] = &[
        (ChangeKind::DefinitionRemoved, "Countdown@1", None),
        (ChangeKind::AttributeRemoved, "Banner@1", Some("legacy")),
        (
            ChangeKind::AttributeNowRequired,
            "Banner@1",
            Some("msgText"),
        ),
        (
            ChangeKind::RequiredAttributeAdded,
            "Banner@1",
            Some("priority"),
        ),
        (
            ChangeKind::RequiredAttributeAdded,
            "Alert (unpinned `use: Alert`)",
            Some("level"),
        ),
        (ChangeKind::EnumValueRemoved, "Banner@1", Some("msgType")),
        (ChangeKind::EnumAdded, "Banner@1", Some("colour")),
        (ChangeKind::MaxLengthDecreased, "Limits@1", Some("a")),
        (ChangeKind::MinLengthIncreased, "Limits@1", Some("c")),
        (ChangeKind::MaxBytesDecreased, "Limits@1", Some("e")),
        (ChangeKind::PatternChanged, "Limits@1", Some("g")),
        (ChangeKind::UnknownAttributesDisallowed, "Reaction@1", None),
        (ChangeKind::DefinitionAdded, "Alert@2", None),
        (
            ChangeKind::LatestVersionChanged,
            "Alert (unpinned `use: Alert`)",
            None,
        ),
        (ChangeKind::OptionalAttributeAdded, "Banner@1", Some("icon")),
        (ChangeKind::AttributeUndeclared, "Poll@1", Some("question")),
        (ChangeKind::AttributeNowOptional, "Banner@1", Some("footer")),
        (ChangeKind::EnumValueAdded, "Banner@1", Some("msgType")),
        (ChangeKind::EnumRemoved, "Banner@1", Some("style")),
        (ChangeKind::MaxLengthIncreased, "Limits@1", Some("b")),
        (ChangeKind::MinLengthDecreased, "Limits@1", Some("d")),
        (ChangeKind::MaxBytesIncreased, "Limits@1", Some("f")),
        (ChangeKind::PatternRemoved, "Limits@1", Some("h")),
        (ChangeKind::UnknownAttributesAllowed, "Poll@1", None),
        (ChangeKind::DescriptionChanged, "Banner@1", None),
        (ChangeKind::DescriptionChanged, "Banner@1", Some("msgText")),
        (ChangeKind::DefaultChanged, "Limits@1", Some("i")),
    ];
    let found: Vec<(ChangeKind, String, Option<&str>)> = changes
        .iter()
        .map(|c| (c.kind, c.subject(), c.attribute.as_deref()))
        .collect();
    for (kind, subject, attr) in expected {
        assert!(
            found.contains(&(*kind, subject.to_string(), *attr)),
            "missing {kind:?} for {subject} {attr:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for kind in ChangeKind::ALL {
        assert!(
            expected.iter().any(|(k, _, _)| k == kind),
            "{kind:?} has no case"
        );
    }
    assert_eq!(ChangeKind::ALL.iter().filter(|k| k.breaking()).count(), 11);
    assert_eq!(ChangeKind::MaxBytesIncreased.name(), "max-bytes-increased");
}

#[test]
fn diff_output_and_exit_codes() {
    let (code, out, err) = cli(&["catalog", "diff", OLD, NEW]);
    assert_eq!((code, err.as_str()), (1, ""), "breaking changes exit 1");
    snapshot!("catalog_diff", out);
    let (code, out, _) = cli(&["catalog", "diff", "--format", "json", OLD, NEW]);
    assert_eq!(code, 1);
    snapshot!("catalog_diff_json", out);
    let (code, out, _) = cli(&["catalog", "diff", "--format", "github", OLD, NEW]);
    assert_eq!(code, 1);
    // 12 breaking and 15 other changes: GitHub shows 10 annotations of a
    // level per step, so 10 errors, 9 notices and a notice with the count;
    // the rest are plain lines.
    assert_eq!(out.matches("::error ").count(), 10, "{out}");
    assert_eq!(out.matches("::notice ").count(), 10, "{out}");
    assert_eq!(out.matches("error[catalog diff: ").count(), 2, "{out}");
    assert_eq!(out.matches("notice[catalog diff: ").count(), 6, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .contains("2 more errors, 6 more notices are in this step's log"),
        "{out}"
    );
    // Only non-breaking changes: exit 0. The reverse direction of a pure
    // addition, and identical catalogs.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    std::fs::write(&a, "name: N\nattributes:\n  x: { enum: [a] }\n").unwrap();
    std::fs::write(&b, "name: N\nattributes:\n  x: { enum: [a, b] }\n  y: {}\n").unwrap();
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let (code, out, _) = cli(&["catalog", "diff", &a, &b]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("0 breaking changes, 2 non-breaking changes\n"),
        "{out}"
    );
    let (code, out, _) = cli(&["catalog", "diff", &b, &b]);
    assert_eq!(
        (code, out.as_str()),
        (0, "0 breaking changes, 0 non-breaking changes\n")
    );
    let (code, _, _) = cli(&["catalog", "diff", &b, &a]);
    assert_eq!(code, 1);
    // Invalid input: exit 2, no diff.
    let (code, out, err) = cli(&[
        "catalog",
        "diff",
        &a,
        "tests/fixtures/catalog/check/unknown-key.yaml",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("catalog::unknown-key"), "{err}");
}

/// Runs git in `dir`, with an identity of its own, and checks it worked.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn against_compares_with_the_catalog_at_a_git_revision() {
    let root = crate::support::fixtures::root();
    let repo = tempfile::tempdir().unwrap();
    let events = repo.path().join("events");
    std::fs::create_dir(&events).unwrap();
    std::fs::copy(
        root.join(OLD).join("catalog.yaml"),
        events.join("catalog.yaml"),
    )
    .unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "old"]);
    std::fs::copy(
        root.join(NEW).join("catalog.yaml"),
        events.join("catalog.yaml"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::support::bin())
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The same changes as diffing the two folders.
    let (code, against, _) = run(&[
        "catalog",
        "diff",
        "--against",
        "main",
        "events/",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1));
    let (_, two, _) = cli(&["catalog", "diff", OLD, NEW, "--format", "json"]);
    let kinds = |s: &str| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["kind"].to_string(), c["message"].to_string()))
            .collect()
    };
    assert_eq!(kinds(&against), kinds(&two));
    // Places are in the work tree's file, removals named at the revision.
    assert!(
        against.contains("\"file\": \"events/catalog.yaml\""),
        "{against}"
    );
    assert!(
        against.contains("\"file\": \"main:events/catalog.yaml\""),
        "{against}"
    );
    // Committed: nothing changed.
    git(repo.path(), &["commit", "-q", "-am", "new"]);
    let (code, out, _) = run(&["catalog", "diff", "--against", "HEAD", "events/"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("0 breaking changes, 0 non-breaking changes"),
        "{out}"
    );
    // A catalog that did not exist at the revision: everything is added.
    let (code, out, _) = run(&["catalog", "diff", "--against", "HEAD~1", "events/"]);
    assert_eq!(code, Some(1), "{out}");
    std::fs::create_dir(repo.path().join("more")).unwrap();
    std::fs::copy(
        root.join(NEW).join("catalog.yaml"),
        repo.path().join("more/c.yaml"),
    )
    .unwrap();
    let (code, out, err) = run(&["catalog", "diff", "--against", "HEAD", "more/"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("0 breaking changes") && out.contains("added [definition-added]"),
        "{out}"
    );
    // Bad revisions, globs and extra paths are refused with exit 2.
    for (args, needle) in [
        (vec!["--against", "nope", "events/"], "is not a commit"),
        (vec!["--against", "HEAD", "events/*.yaml"], "not a glob"),
        (
            vec!["--against", "HEAD", "events/", "x/"],
            "cannot be used with",
        ),
    ] {
        let mut all = vec!["catalog", "diff"];
        all.extend(args);
        let (code, _, err) = run(&all);
        assert_eq!(code, Some(2), "{all:?}: {err}");
        assert!(err.contains(needle), "{all:?}: {err}");
    }
}
