//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

/// The crate root; tests run with it as the working directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `.yaml` files directly in a folder under the crate root, sorted, as
/// paths relative to the root (so diagnostics and snapshots are stable).
pub fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|p| Path::new(dir).join(p.file_name().unwrap()))
        .collect();
    files.sort();
    files
}
