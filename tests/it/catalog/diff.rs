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
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::notice "))
    );
    assert_eq!(out.matches("::error ").count(), 12);
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
