//! What `cargo install` builds and what registries read: the release
//! profile ships without debug info (a separate profile keeps it for
//! profilers), and the manifest carries the metadata crates.io and
//! cargo-binstall use. (The binary's size is measured, not tested: see the
//! README's Install section for the figure and the command.)

use std::process::Command;

use crate::support::fixtures::root;

/// The `key = value` lines of one `[section]` of Cargo.toml.
fn section(name: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let header = format!("[{name}]");
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn get<'a>(s: &'a [(String, String)], key: &str) -> Option<&'a str> {
    s.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn release_ships_without_debug_info_and_profiling_keeps_it() {
    let release = section("profile.release");
    assert_eq!(get(&release, "debug"), Some("false"), "{release:?}");
    assert_eq!(get(&release, "strip"), Some("true"), "{release:?}");
    assert_eq!(get(&release, "lto"), Some("\"thin\""), "{release:?}");
    // A panic in a send task is caught and reported: never abort.
    assert_eq!(get(&release, "panic"), None, "{release:?}");
    let profiling = section("profile.profiling");
    assert_eq!(get(&profiling, "inherits"), Some("\"release\""));
    assert_eq!(get(&profiling, "debug"), Some("1"));
    assert_eq!(get(&profiling, "strip"), Some("false"));
}

#[test]
fn manifest_has_registry_and_binstall_metadata() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pkg = &meta["packages"][0];
    let repo = pkg["repository"].as_str().unwrap();
    assert!(repo.starts_with("https://"), "{repo}");
    let keywords = pkg["keywords"].as_array().unwrap();
    assert!(
        (1..=5).contains(&keywords.len()),
        "crates.io takes at most 5"
    );
    assert!(keywords.iter().all(|k| {
        let k = k.as_str().unwrap();
        k.len() <= 20
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }));
    let categories = pkg["categories"].as_array().unwrap();
    assert!(categories.iter().any(|c| c == "command-line-utilities"));
    let binstall = &pkg["metadata"]["binstall"];
    let url = binstall["pkg-url"].as_str().unwrap();
    for part in [
        "{ repo }",
        "{ version }",
        "{ target }",
        "{ archive-suffix }",
    ] {
        assert!(url.contains(part), "{url}");
    }
    assert_eq!(binstall["pkg-fmt"], "tgz");
    assert!(
        binstall["bin-dir"]
            .as_str()
            .unwrap()
            .ends_with("{ bin }{ binary-ext }")
    );
}
