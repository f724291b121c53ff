//! The diagnostic codes: the registry (`diag::codes::ALL`), the code
//! literals in `src/`, and `docs/diagnostics.md` list the same codes, and
//! each code is produced by a fixture or by a test that names it.

use std::collections::BTreeSet;
use std::path::Path;

use ivschat_playbook::diag::codes::ALL;

const CODE: &str = r#""((?:yaml|playbook|catalog)::[a-z0-9-]+)""#;

/// Codes no fixture can hold, and why; each is still produced by a test
/// that names it, or (for guards) by none, said here.
const WITHOUT_FIXTURE: &[(&str, &str)] = &[
    (
        "catalog::invalid",
        "guard: a definition that passed the generated schema but not its serde type; both come from one type",
    ),
    (
        "playbook::invalid",
        "guard: a part that passed the generated schema but not its serde type; both come from one type",
    ),
    (
        "catalog::unreadable",
        "needs an I/O error on a file that exists (a test creates one)",
    ),
    (
        "playbook::unreadable",
        "needs an I/O error on a file or folder that exists (a test creates one)",
    ),
    (
        "playbook::file-too-large",
        "needs a file over 64 MiB (a test creates a sparse one)",
    ),
    (
        "playbook::file-not-found",
        "a missing file cannot be a fixture (tests name one)",
    ),
    (
        "playbook::no-playbooks",
        "an empty folder cannot be committed (a test creates one)",
    ),
    ("playbook::not-utf8", "tests write the invalid bytes"),
    (
        "playbook::conflicting-anchor",
        "needs two playbooks in one run (a test in tests/it/timeline.rs gives two)",
    ),
    (
        "playbook::missing-key",
        "tests cover it through catalog fixtures' output",
    ),
    (
        "playbook::unused-var",
        "needs --var on the command line (a test gives one)",
    ),
    (
        "playbook::room-not-found",
        "needs a service to ask (tests/it/rooms/preflight.rs asks the emulator)",
    ),
    (
        "playbook::room-inactive",
        "needs a service to ask (tests/it/rooms/preflight.rs asks the emulator)",
    ),
    (
        "catalog::invalid-glob",
        "a test gives the bad pattern on the command line",
    ),
];

fn root() -> &'static Path {
    crate::support::fixtures::root()
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "rs" || x == "yaml" || x == "yml")
        {
            out.push(p);
        }
    }
}

fn codes_in(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(CODE).unwrap();
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// Code literals in `src/`, outside test modules.
fn source_codes() -> BTreeSet<String> {
    let mut files = Vec::new();
    rs_files(&root().join("src"), &mut files);
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        out.extend(codes_in(code));
    }
    out
}

fn documented_codes() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    let re = regex::Regex::new(r"(?m)^\| `((?:yaml|playbook|catalog)::[a-z0-9-]+)` \|").unwrap();
    re.captures_iter(&doc).map(|c| c[1].to_string()).collect()
}

#[test]
fn the_registry_is_sorted_and_unique() {
    let mut sorted = ALL.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted, ALL,
        "diag::codes::ALL must be sorted, each code once"
    );
}

#[test]
fn the_registry_lists_every_code_in_the_source() {
    let registry: BTreeSet<String> = ALL.iter().map(|s| s.to_string()).collect();
    let source = source_codes();
    let missing: Vec<_> = source.difference(&registry).collect();
    let unused: Vec<_> = registry.difference(&source).collect();
    assert!(
        missing.is_empty(),
        "codes in src/ but not in diag::codes::ALL: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "codes in diag::codes::ALL that src/ never reports: {unused:?}"
    );
}

#[test]
fn every_code_is_documented() {
    let registry: BTreeSet<String> = ALL.iter().map(|s| s.to_string()).collect();
    let docs = documented_codes();
    let undocumented: Vec<_> = registry.difference(&docs).collect();
    let stale: Vec<_> = docs.difference(&registry).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/diagnostics.md: {undocumented:?}"
    );
    assert!(stale.is_empty(), "documented but never reported: {stale:?}");
}

#[test]
fn every_code_has_a_fixture_or_a_reason() {
    let mut fixtures = Vec::new();
    rs_files(&root().join("tests/fixtures"), &mut fixtures);
    let expected: BTreeSet<String> = fixtures
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            Some(
                text.lines()
                    .next()?
                    .strip_prefix("# expect: ")?
                    .trim()
                    .to_string(),
            )
        })
        .collect();
    // Tests (not this one) that name a code produce it and assert on it.
    let mut tests = Vec::new();
    rs_files(&root().join("tests/it"), &mut tests);
    let named: BTreeSet<String> = tests
        .iter()
        .filter(|f| !f.ends_with("codes.rs"))
        .flat_map(|f| codes_in(&std::fs::read_to_string(f).unwrap()))
        .collect();
    let mut problems = Vec::new();
    for code in ALL {
        let reason = WITHOUT_FIXTURE.iter().find(|(c, _)| c == code);
        match (expected.contains(*code), reason) {
            (true, Some(_)) => problems.push(format!("{code} has a fixture now: drop its reason")),
            (true, None) => {}
            (false, None) => problems.push(format!("{code}: no fixture expects it")),
            (false, Some((_, why))) => {
                if !why.starts_with("guard") && !named.contains(*code) {
                    problems.push(format!("{code}: no fixture, and no test names it"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
