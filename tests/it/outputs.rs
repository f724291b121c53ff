//! Several outputs in one run: `--report FORMAT=FILE` beside the human
//! output, the GitHub annotation cap, `$GITHUB_STEP_SUMMARY`, and
//! `plan --format markdown`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::sarif::assert_valid_sarif;
use crate::support::fixtures::root;

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(crate::support::bin())
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses JUnit XML with Python's XML parser and returns, per test case,
/// `classname name failures`, so the test reads what a CI system reads.
fn junit_cases(path: &Path) -> Vec<String> {
    let program = "import sys, xml.etree.ElementTree as E\n\
        r = E.parse(sys.argv[1]).getroot()\n\
        assert r.tag == 'testsuites', r.tag\n\
        for s in r.iter('testsuite'):\n\
        \x20   cases = list(s.iter('testcase'))\n\
        \x20   assert int(s.get('tests')) == len(cases)\n\
        \x20   assert int(s.get('failures')) == sum(1 for c in cases if c.find('failure') is not None)\n\
        \x20   for c in cases:\n\
        \x20       print(c.get('classname'), c.get('name'), len(c.findall('failure')))\n";
    let out = Command::new("python3")
        .args(["-c", program])
        .arg(path)
        .output()
        .expect("python3 is installed");
    assert!(out.status.success(), "not JUnit: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn validate_writes_every_report_beside_its_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let bad = "tests/fixtures/invalid/unknown-room-in-to.yaml";
    let good = "playbooks/maintenance-window.yaml";
    let reports: Vec<String> = ["junit", "sarif", "json", "github", "markdown"]
        .iter()
        .map(|f| format!("{f}={d}/report.{f}"))
        .collect();
    let mut args = vec!["validate", bad, good];
    for r in &reports {
        args.extend(["--report", r.as_str()]);
    }
    let out = tool(root(), &args);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[playbook::unknown-room]"), "{stderr}");
    assert!(stderr.contains("invalid: 1 error"), "{stderr}");
    assert!(out.stdout.is_empty());
    for f in ["junit", "sarif", "json", "github", "markdown"] {
        assert!(
            stderr.contains(&format!("wrote {d}/report.{f}")),
            "{stderr}"
        );
    }
    let read = |f: &str| std::fs::read_to_string(dir.path().join(format!("report.{f}"))).unwrap();
    // The files hold what --format prints.
    for f in ["json", "github", "sarif"] {
        let printed = tool(root(), &["validate", "--format", f, bad, good]);
        assert_eq!(read(f), text(&printed.stdout), "{f}");
    }
    assert_valid_sarif(&serde_json::from_str::<Value>(&read("sarif")).unwrap());
    let cases = junit_cases(&dir.path().join("report.junit"));
    assert!(
        cases.contains(&format!(
            "validate.tests.fixtures.invalid.unknown-room-in-to {bad} 1"
        )),
        "{cases:?}"
    );
    assert!(
        cases.contains(&format!("validate.playbooks.maintenance-window {good} 0")),
        "{cases:?}"
    );
    assert!(
        cases
            .iter()
            .any(|c| c.starts_with("validate.playbooks.rooms.prod ")),
        "the included inventory is a case too: {cases:?}"
    );
    let junit = read("junit");
    assert!(junit.contains("unknown-room-in-to.yaml:10:20: error[playbook::unknown-room]"));
    for word in ["timestamp", "hostname", "time="] {
        assert!(!junit.contains(word), "{word} in {junit}");
    }
    let md = read("markdown");
    assert!(md.contains("**invalid**: 1 error, 0 warnings"), "{md}");
    assert!(md.contains("| error | `playbook::unknown-room` |"), "{md}");
    // Deterministic: the same input gives the same bytes.
    let again = tool(root(), &args);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(read("junit"), junit);
}

#[test]
fn report_options_are_checked() {
    for (arg, needle) in [
        ("junit", "is not FORMAT=FILE"),
        ("xml=out.xml", "`xml` is not a report format"),
        ("junit=", "names no file"),
    ] {
        let out = tool(root(), &["validate", "--report", arg, "playbooks/"]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(
            text(&out.stderr).contains(needle),
            "{arg}: {}",
            text(&out.stderr)
        );
    }
    let out = tool(
        root(),
        &[
            "validate",
            "--report",
            "junit=no/such/folder/r.xml",
            "playbooks/",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot write the report no/such/folder/r.xml"),
        "{}",
        text(&out.stderr)
    );
}

/// A playbook with `errors` unknown rooms and `warnings` unknown regions.
fn many_problems(dir: &Path, errors: usize, warnings: usize) -> String {
    let mut y = String::from("version: 1\nrooms:\n");
    for i in 0..warnings.max(1) {
        let region = if i < warnings { "moon-1" } else { "us-east-1" };
        y.push_str(&format!(
            "  - arn: arn:aws:ivschat:{region}:123456789012:room/room{i:08}\n    name: r{i}\n"
        ));
    }
    y.push_str("events:\n");
    for i in 0..errors.max(1) {
        let to = if i < errors {
            format!("nope{i}")
        } else {
            "r0".into()
        };
        y.push_str(&format!(
            "  - name: E{i}\n    to: [{to}]\n    attributes: {{ a: b }}\n"
        ));
    }
    std::fs::write(dir.join("many.yaml"), y).unwrap();
    "many.yaml".into()
}

#[test]
fn github_annotations_stay_within_the_per_step_cap_and_say_how_many_more() {
    let dir = tempfile::tempdir().unwrap();
    let pb = many_problems(dir.path(), 13, 11);
    let out = tool(dir.path(), &["validate", "--format", "github", &pb]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    let count = |p: &str| stdout.lines().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("::error "), 10, "{stdout}");
    assert_eq!(count("::warning "), 10, "{stdout}");
    assert_eq!(count("::notice "), 1, "{stdout}");
    // The rest are still in the log, as plain lines with their place.
    assert_eq!(count("many.yaml:"), 4, "{stdout}");
    assert!(stdout.contains("error[playbook::unknown-room]: no room is named `nope12`"));
    let notice = stdout.lines().last().unwrap();
    assert!(
        notice.contains("3 more errors, 1 more warning are in this step's log"),
        "{notice}"
    );
    // Within the cap: no notice, nothing plain.
    let pb = many_problems(dir.path(), 10, 10);
    let out = tool(dir.path(), &["validate", "--format", "github", &pb]);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 20, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
    );
}

#[test]
fn catalog_diff_annotations_keep_a_notice_free_for_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.yaml"), dir.path().join("new.yaml"));
    // 12 definitions removed (breaking), 12 added (not).
    let mut o = String::from("definitions:\n");
    let mut n = String::from("definitions:\n");
    for i in 0..12 {
        o.push_str(&format!(
            "  - name: Gone{i}\n    attributes: {{ a: {{}} }}\n"
        ));
        n.push_str(&format!(
            "  - name: New{i}\n    attributes: {{ a: {{}} }}\n"
        ));
    }
    std::fs::write(&old, o).unwrap();
    std::fs::write(&new, n).unwrap();
    let out = tool(
        dir.path(),
        &[
            "catalog", "diff", "--format", "github", "old.yaml", "new.yaml",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let count = |p: &str| stdout.lines().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("::error "), 10, "{stdout}");
    assert_eq!(
        count("::notice "),
        10,
        "9 change notices and the count: {stdout}"
    );
    assert!(stdout.contains("more errors"), "{stdout}");
}

#[test]
fn catalog_reports_and_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let summary = dir.path().join("summary.md");
    let diff_dir = "tests/fixtures/catalog/diff";
    let out = Command::new(crate::support::bin())
        .current_dir(root())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "catalog",
            "diff",
            &format!("{diff_dir}/old"),
            &format!("{diff_dir}/new"),
        ])
        .args(["--report", &format!("junit={d}/diff.xml")])
        .args(["--report", &format!("sarif={d}/diff.sarif")])
        .args(["--report", &format!("markdown={d}/diff.md")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("breaking change"),
        "human output stays"
    );
    let cases = junit_cases(&dir.path().join("diff.xml"));
    let failed = cases.iter().filter(|c| c.ends_with(" 1")).count();
    assert_eq!(failed, 12, "{cases:?}");
    assert!(
        cases.iter().all(|c| c.starts_with("catalog.diff.")),
        "{cases:?}"
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("diff.sarif")).unwrap())
            .unwrap();
    assert_valid_sarif(&sarif);
    let md = std::fs::read_to_string(dir.path().join("diff.md")).unwrap();
    assert!(md.contains("**breaking**: 12 breaking changes"), "{md}");
    // The step summary got the same Markdown.
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), md);
    // catalog check appends its own.
    let out = Command::new(crate::support::bin())
        .current_dir(root())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["catalog", "check", "tests/fixtures/catalog/events/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let both = std::fs::read_to_string(&summary).unwrap();
    assert!(both.starts_with(&md), "appended, not replaced");
    assert!(
        both.contains("### ivschat-playbook catalog check\n\n✅ **valid**"),
        "{both}"
    );
}

#[test]
fn plan_as_markdown() {
    let out = tool(
        root(),
        &[
            "plan",
            "--format",
            "markdown",
            "playbooks/maintenance-window.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    let table = tool(
        root(),
        &[
            "plan",
            "--format",
            "json",
            "playbooks/maintenance-window.yaml",
        ],
    );
    let plan: Value = serde_json::from_slice(&table.stdout).unwrap();
    let hash = plan["plan_hash"].as_str().unwrap();
    assert!(md.starts_with("### ivschat-playbook plan\n"), "{md}");
    assert!(md.contains(&format!("Plan `{hash}`")), "{md}");
    let sends = plan["sends"].as_array().unwrap();
    for s in sends {
        assert!(
            md.contains(&format!("`{}`", s["id"].as_str().unwrap())),
            "{md}"
        );
    }
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #") && !l.starts_with("| account"))
        .count();
    assert_eq!(
        rows,
        sends.len() + plan["summary"]["regions"].as_array().unwrap().len()
    );
    // run --dry-run prints the same.
    let dry = tool(
        root(),
        &[
            "run",
            "--dry-run",
            "--format",
            "markdown",
            "playbooks/maintenance-window.yaml",
        ],
    );
    assert_eq!(text(&dry.stdout), md);
}
