//! Command-line behaviour: exit codes, usage errors, colour, output streams.

use std::process::Command;

use crate::support::fixtures::root;

fn bin() -> Command {
    let mut c = Command::new(crate::support::bin());
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let bad = "tests/fixtures/invalid/unknown-tag.yaml";
    // Not a terminal: no escape codes.
    let out = bin().args(["validate", bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
    // Forced.
    let out = bin()
        .args(["--color", "always", "validate", bad])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("\u{1b}["));
    // Never, even when forced on by nothing else.
    let out = bin()
        .args(["--color", "never", "validate", bad])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
}

#[test]
fn human_diagnostics_go_to_stderr_and_machine_formats_to_stdout() {
    let bad = "tests/fixtures/invalid/unknown-tag.yaml";
    let out = bin().args(["validate", bad]).output().unwrap();
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("playbook::unknown-tag"));
    let out = bin()
        .args(["validate", "--format", "json", bad])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "playbook::unknown-tag");
    let out = bin().args(["plan", bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no plan from an invalid playbook");
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    for (args, needle) in [
        (
            vec!["plan", "--rate", "150", "playbooks/"],
            "SendEvent quota",
        ),
        (vec!["plan", "--rate", "abc", "playbooks/"], "not a number"),
        (
            vec!["plan", "--rate", "0.0001", "playbooks/"],
            "0.01 <= rate",
        ),
        (
            vec!["plan", "--var", "no-equals", "playbooks/"],
            "NAME=VALUE",
        ),
        (vec!["plan", "--var", "room=x", "playbooks/"], "built-in"),
        (
            vec!["plan", "--timeout", "10 seconds", "playbooks/"],
            "duration",
        ),
        (vec!["validate"], "PLAYBOOK"),
        (vec!["run", "--resend-unknown", "playbooks/"], "--resume"),
        (
            vec!["run", "--unchecked-rate", "500", "playbooks/"],
            "--local or --endpoint-url",
        ),
        (
            vec!["run", "--report", "r.txt", "playbooks/"],
            ".json, .md or .xml",
        ),
        (
            vec!["run", "--dry-run", "--format", "junit", "playbooks/"],
            "table, json or markdown",
        ),
        (vec!["nonsense"], "unrecognized subcommand"),
    ] {
        let out = bin().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(needle),
            "{args:?}: expected `{needle}` in {stderr}"
        );
    }
}

#[test]
fn a_missing_playbook_is_a_diagnostic_with_exit_2() {
    let out = bin()
        .args(["validate", "no/such/playbook.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("playbook::file-not-found"), "{stderr}");
}

#[test]
fn plan_output_closed_early_is_not_an_error() {
    // `plan ... | head` closes the pipe; the tool must stop quietly. The
    // plan must be far larger than a pipe's buffer for this to be tested.
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("version: 1\nrooms:\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/r{i:05}\n"
        ));
    }
    text.push_str("events:\n  - name: A\n  - name: B\n");
    let pb = dir.path().join("big.yaml");
    std::fs::write(&pb, text).unwrap();
    let mut child = bin()
        .arg("plan")
        .arg(&pb)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_byte_order_mark_is_not_content() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("bom.yaml");
    let text = std::fs::read_to_string(root().join("playbooks/maintenance-window.yaml")).unwrap();
    std::fs::write(
        &pb,
        format!(
            "\u{feff}{}",
            text.replace("include: [rooms/prod.yaml]\n", "")
        ),
    )
    .unwrap();
    let out = bin().arg("validate").arg(&pb).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
