//! The documentation's console examples run as tests (trycmd), so the docs
//! cannot drift from the code.

#[test]
fn console_examples_in_docs_run() {
    trycmd::TestCases::new()
        .register_bin(
            "ivschat-playbook",
            trycmd::cargo::cargo_bin!("ivschat-playbook"),
        )
        .env("NO_COLOR", "1")
        .case("README.md")
        .case("docs/*.md")
        .case("docs/recipes/*.md");
}

#[test]
fn ci_recipe_workflow_commands_pass_on_the_examples() {
    let root = crate::support::fixtures::root();
    let text = std::fs::read_to_string(root.join("docs/recipes/validate-playbooks.yml")).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let steps = workflow["jobs"]["validate"]["steps"].as_sequence().unwrap();
    let commands: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| r.starts_with("ivschat-playbook "))
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary = tempfile::NamedTempFile::new().unwrap();
    for cmd in commands {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(root)
            .env("PATH", &path)
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty() || cmd.contains("plan"),
            "`{cmd}` printed annotations"
        );
    }
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(written.contains("Plan sha256:"), "{written}");
}
