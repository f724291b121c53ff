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
fn ci_recipe_workflow_passes_on_the_examples() {
    let root = crate::support::fixtures::root();
    let text = std::fs::read_to_string(root.join("docs/recipes/validate-playbooks.yml")).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let steps = workflow["jobs"]["validate"]["steps"].as_sequence().unwrap();
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_ivschat-playbook"));
    let bin_dir = bin.parent().unwrap();
    // The step that uses this repository's action, run with its inputs.
    let uses: Vec<&serde_yaml::Value> = steps
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("ivschat-playbook/ivschat-playbook@"))
        })
        .collect();
    assert_eq!(uses.len(), 1, "{steps:?}");
    let with: Vec<(String, String)> = uses[0]["with"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_yaml::Value::Bool(b) => b.to_string(),
                v => v.as_str().unwrap().to_string(),
            };
            (k.as_str().unwrap().to_string(), v)
        })
        .collect();
    let with: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = crate::support::action::run_action(&with, root, &[bin_dir]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        !run.output().contains("::error"),
        "annotations: {}",
        run.output()
    );
    assert!(run.summary.contains("✅ **valid**"), "{}", run.summary);
    // Then the workflow's own commands.
    let commands: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| r.starts_with("ivschat-playbook "))
        .collect();
    assert_eq!(commands.len(), 1, "{commands:?}");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
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
    }
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(written.contains("### ivschat-playbook plan"), "{written}");
    assert!(written.contains("Plan `sha256:"), "{written}");
}
