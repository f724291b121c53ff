//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by pre-commit
//! itself (`pre-commit try-repo`, from the venv `scripts/setup-venv` makes)
//! on a repository of playbooks: the `-system` hooks, with the binary under
//! test first on PATH. (The `language: rust` hooks run the same entries after
//! pre-commit builds this repository with cargo; the manifest test checks
//! they match.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::fixtures::root;

fn pre_commit() -> PathBuf {
    let venv = crate::support::venv();
    let p = venv.join("bin/pre-commit");
    assert!(
        p.exists(),
        "no pre-commit in {}: run scripts/setup-venv first",
        venv.display()
    );
    p
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
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

/// `pre-commit try-repo <this repository> HOOK --all-files` in `dir`.
fn try_repo(dir: &Path, home: &Path, hook: &str) -> (Option<i32>, String) {
    let bin_dir = Path::new(crate::support::bin())
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out: Output = Command::new(pre_commit())
        .args(["try-repo"])
        .arg(root())
        .args([hook, "--all-files", "--color", "never"])
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A repository of playbooks: the example playbook and its inventory.
fn playbook_repo(dir: &Path) {
    let pb = dir.join("playbooks");
    std::fs::create_dir_all(pb.join("rooms")).unwrap();
    let r = root().join("playbooks");
    std::fs::copy(
        r.join("maintenance-window.yaml"),
        pb.join("maintenance-window.yaml"),
    )
    .unwrap();
    std::fs::copy(r.join("rooms/prod.yaml"), pb.join("rooms/prod.yaml")).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "playbooks"]);
}

#[test]
fn validate_hook_passes_good_playbooks_and_shows_where_bad_ones_fail() {
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    playbook_repo(repo.path());
    let (code, out) = try_repo(repo.path(), home.path(), "ivschat-playbook-validate-system");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("validate IVS Chat playbooks") && out.contains("Passed"),
        "{out}"
    );
    // A mistake: the hook fails and says file:line:col and the code.
    std::fs::copy(
        root().join("tests/fixtures/invalid/unknown-room-in-to.yaml"),
        repo.path().join("playbooks/broken.yaml"),
    )
    .unwrap();
    git(repo.path(), &["add", "."]);
    let (code, out) = try_repo(repo.path(), home.path(), "ivschat-playbook-validate-system");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("error[playbook::unknown-room]"), "{out}");
    assert!(out.contains("playbooks/broken.yaml:10:20"), "{out}");
}

#[test]
fn catalog_diff_hook_fails_on_a_breaking_change_against_the_base_branch() {
    let base = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let events = base.path().join("playbooks/events");
    std::fs::create_dir_all(&events).unwrap();
    let fixtures = root().join("tests/fixtures/catalog/diff");
    std::fs::copy(
        fixtures.join("old/catalog.yaml"),
        events.join("catalog.yaml"),
    )
    .unwrap();
    git(base.path(), &["init", "-q", "-b", "main"]);
    git(base.path(), &["add", "."]);
    git(base.path(), &["commit", "-q", "-m", "catalog"]);
    // A clone has origin/HEAD, the hook's default base.
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("clone");
    git(
        work.path(),
        &["clone", "-q", base.path().to_str().unwrap(), "clone"],
    );
    let (code, out) = try_repo(&clone, home.path(), "ivschat-playbook-catalog-diff-system");
    assert_eq!(code, Some(0), "unchanged: {out}");
    std::fs::copy(
        fixtures.join("new/catalog.yaml"),
        clone.join("playbooks/events/catalog.yaml"),
    )
    .unwrap();
    git(&clone, &["add", "."]);
    let (code, out) = try_repo(&clone, home.path(), "ivschat-playbook-catalog-diff-system");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("12 breaking changes"), "{out}");
    assert!(out.contains("[enum-value-removed]"), "{out}");
}

#[test]
fn rust_and_system_hooks_run_the_same_commands() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 4);
    for hook in hooks.iter().filter(|h| h["language"] == "rust") {
        let id = hook["id"].as_str().unwrap();
        let system = hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(&format!("{id}-system")))
            .unwrap_or_else(|| panic!("no {id}-system"));
        assert_eq!(system["language"], "system");
        for key in ["entry", "args", "pass_filenames", "files"] {
            assert_eq!(hook[key], system[key], "{id}: {key}");
        }
        let entry = hook["entry"].as_str().unwrap();
        assert!(entry.starts_with("ivschat-playbook "), "{entry}");
    }
}
