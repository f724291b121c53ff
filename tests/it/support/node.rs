//! The JavaScript clients: `node` running a script of `tests/js/` with the
//! modules `scripts/setup-node` installed (at
//! `${IVSCHAT_NODE:-$HOME/.cache/ivschat-playbook/node}/node_modules`, outside
//! the git tree), and a clean environment holding only the emulator's key.

use std::path::{Path, PathBuf};

use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

/// Where `scripts/setup-node` installed the pinned modules.
pub fn node_modules() -> PathBuf {
    let base = match std::env::var_os("IVSCHAT_NODE") {
        Some(v) => PathBuf::from(v),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".cache/ivschat-playbook/node"),
    };
    base.join("node_modules")
}

/// [`node_modules`], failing the test (not skipping it) when the modules
/// are missing.
pub fn require_node_modules() -> PathBuf {
    let dir = node_modules();
    for module in ["amazon-ivs-chat-messaging", "ws", "@aws-sdk/client-ivschat"] {
        assert!(
            dir.join(module).join("package.json").exists(),
            "{module} is not installed in {}: run scripts/setup-node first \
             (set IVSCHAT_NODE to use another location)",
            dir.display()
        );
    }
    dir
}

/// `node [flags] tests/js/SCRIPT` in `dir`, with the modules on
/// `NODE_PATH`, the emulator's key and nothing else from this machine.
pub fn node(script: &str, flags: &[&str], dir: &Path) -> tokio::process::Command {
    node_with_script(
        &super::fixtures::root().join("tests/js").join(script),
        flags,
        dir,
    )
}

/// [`node`] for a script anywhere.
pub fn node_with_script(script: &Path, flags: &[&str], dir: &Path) -> tokio::process::Command {
    let modules = require_node_modules();
    let mut c = tokio::process::Command::new("node");
    c.args(flags)
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NODE_PATH", modules)
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .kill_on_drop(true);
    c
}
