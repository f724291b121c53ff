//! `catalog diff --against REV PATH`: the catalog as it is at a git
//! revision, read with `git ls-tree` and `git show` into a private folder,
//! so a pull request check needs no second checkout (as `buf breaking
//! --against` does).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// A folder holding the catalog files of one revision, removed on drop.
pub struct RevisionTree {
    /// The folder.
    pub dir: PathBuf,
    /// How many files it holds.
    pub files: usize,
}

impl Drop for RevisionTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Copies the `.yaml`/`.yml` files at or under `path` (relative to the
/// current folder, which must be in a git work tree) as they are at `rev`
/// into a new private folder, keeping their relative paths.
pub fn checkout(rev: &str, path: &str) -> anyhow::Result<RevisionTree> {
    if rev.starts_with('-') || rev.is_empty() {
        bail!("--against `{rev}` is not a git revision");
    }
    if path.contains(['*', '?', '[']) {
        bail!("with --against, PATH is a file or folder, not a glob (`{path}`)");
    }
    let commit = format!("{rev}^{{commit}}");
    if git(&["rev-parse", "--verify", "--quiet", &commit]).is_err() {
        bail!(
            "--against `{rev}` is not a commit of the git repository here (or this folder is in none)"
        );
    }
    let listed = git(&["ls-tree", "-r", "-z", "--name-only", rev, "--", path])?;
    let dir = std::env::temp_dir().join(format!(
        "ivschat-playbook-against-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut tree = RevisionTree { dir, files: 0 };
    for name in listed.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let yaml = Path::new(&name)
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml");
        if !yaml || name.split('/').any(|seg| seg == "..") {
            continue;
        }
        let text = git(&["show", &format!("{rev}:./{name}")])?;
        let to = tree.dir.join(&name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&to, text)?;
        tree.files += 1;
    }
    Ok(tree)
}

/// Runs git and returns its stdout, or an error with its stderr.
fn git(args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .output()
        .context("cannot run git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
