//! The crate root and the fixture files: `.yaml` files in a folder, the
//! code each expects (`# expect: CODE`) and the diagnostic that carries it.

use std::path::{Path, PathBuf};

use ivschat_playbook::diag::Diagnostic;
use ivschat_playbook::pipeline::Planned;

/// The crate root; tests run with it as the working directory. Read when
/// the tests run (cargo sets it then too), not when they were compiled: a
/// test binary built in another clone into a shared target directory would
/// otherwise read that clone's files, or fail once it is gone.
pub fn root() -> &'static Path {
    static ROOT: std::sync::LazyLock<std::path::PathBuf> = std::sync::LazyLock::new(|| {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(Into::into)
            .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
    });
    &ROOT
}

/// `.yaml` files directly in a folder under the crate root (lock files
/// aside), sorted, as
/// paths relative to the root (so diagnostics and snapshots are stable).
pub fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        // A playbook's lock file is its fixture's companion, not a fixture.
        .filter(|p| !ivschat_playbook::fs::is_lock_file(p))
        .map(|p| Path::new(dir).join(p.file_name().unwrap()))
        .collect();
    files.sort();
    files
}

/// The code a fixture must produce, from its first line (`# expect: CODE`).
pub fn expected_code(path: &Path) -> String {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| panic!("{} lacks a `# expect: CODE` first line", path.display()))
        .trim()
        .to_string()
}

/// The diagnostic a fixture expects, or why the run fails that fixture:
/// no diagnostic with its code, or one that points at no place.
pub fn expected_diagnostic<'p>(
    path: &Path,
    planned: &'p Planned,
) -> Result<&'p Diagnostic, String> {
    let expect = expected_code(path);
    match planned.diagnostics.iter().find(|d| d.code == expect) {
        None => Err(format!(
            "{}: expected {expect}, got {:?}",
            path.display(),
            planned
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect::<Vec<_>>()
        )),
        Some(d) if d.location.is_none() => {
            Err(format!("{}: {expect} has no location", path.display()))
        }
        Some(d) => Ok(d),
    }
}
