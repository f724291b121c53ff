//! Runs the steps of the composite action (`action.yml`) on this machine as
//! GitHub's runner would: each step's `run` script with `bash --noprofile
//! --norc -eo pipefail`, its `env:` evaluated from the inputs, in one
//! workspace, with `$GITHUB_STEP_SUMMARY` and `$GITHUB_PATH` files.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use super::fixtures::root;

/// What the steps did.
#[derive(Debug)]
pub struct ActionRun {
    /// The exit status of the last step run (a failing step stops the job).
    pub code: Option<i32>,
    /// Each step's name, exit status and output (stdout then stderr).
    pub steps: Vec<(String, Option<i32>, String)>,
    /// What the steps appended to the step summary.
    pub summary: String,
}

impl ActionRun {
    /// All the steps' output, in order.
    pub fn output(&self) -> String {
        self.steps
            .iter()
            .map(|(_, _, o)| o.as_str())
            .collect::<Vec<_>>()
            .join("")
    }
}

/// Runs the action with `with` as its inputs (the others take their
/// defaults), in `workspace`, with `path_dirs` first on PATH.
pub fn run_action(with: &[(&str, &str)], workspace: &Path, path_dirs: &[&Path]) -> ActionRun {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        let default = spec["default"].as_str().unwrap_or_default();
        inputs.insert(name.as_str().unwrap().to_string(), default.to_string());
    }
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "the action has no input `{k}`");
        inputs.insert((*k).to_string(), (*v).to_string());
    }
    let scratch = tempfile::tempdir().unwrap();
    let summary = scratch.path().join("summary.md");
    let gh_path = scratch.path().join("path");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&gh_path, "").unwrap();
    let mut path = path_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>();
    path.push(std::env::var("PATH").unwrap_or_default());
    let mut steps = Vec::new();
    let mut code = Some(0);
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        assert_eq!(step["shell"], "bash", "every step is a bash script");
        let name = step["name"].as_str().unwrap().to_string();
        let script = step["run"].as_str().unwrap();
        assert!(
            !script.contains("${{"),
            "{name}: inputs reach scripts through env only"
        );
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(workspace)
            .env("PATH", path.join(":"))
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &gh_path)
            .env("GITHUB_ACTIONS", "true");
        if let Some(env) = step["env"].as_mapping() {
            for (k, v) in env {
                cmd.env(
                    k.as_str().unwrap(),
                    expression(v.as_str().unwrap(), &inputs),
                );
            }
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        code = out.status.code();
        steps.push((name, code, text));
        if code != Some(0) {
            break;
        }
    }
    ActionRun {
        code,
        steps,
        summary: std::fs::read_to_string(&summary).unwrap(),
    }
}

/// Evaluates the one kind of expression the action's `env:` may hold:
/// `${{ inputs.NAME }}` or `${{ github.action_path }}`.
fn expression(value: &str, inputs: &BTreeMap<String, String>) -> String {
    let inner = value
        .strip_prefix("${{")
        .and_then(|v| v.strip_suffix("}}"))
        .unwrap_or_else(|| panic!("`{value}` is not one expression"))
        .trim();
    if inner == "github.action_path" {
        return root().display().to_string();
    }
    let name = inner
        .strip_prefix("inputs.")
        .unwrap_or_else(|| panic!("unexpected expression `{inner}`"));
    inputs
        .get(name)
        .unwrap_or_else(|| panic!("no input `{name}`"))
        .clone()
}
