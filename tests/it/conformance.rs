//! Conformance with clients we did not write: the pytest suite in
//! `tests/conformance/` drives the AWS CLI v1 and boto3 (pinned in its
//! `requirements.txt`) against an emulator started here, in process.
//!
//! The Python environment comes from `scripts/setup-venv`; without it this
//! test fails and says so, rather than skipping.

use std::time::Duration;

use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use ivschat_playbook::emulator::{EmulatorConfig, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_and_boto3_against_the_emulator() {
    let venv = crate::support::require_venv();
    let python = venv.join("bin/python");
    let emu = spawn(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let root = crate::support::fixtures::root();

    let mut cmd = tokio::process::Command::new(&python);
    cmd.args([
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/conformance",
    ])
    .current_dir(root)
    .kill_on_drop(true);
    // Nothing from this machine's AWS or proxy setup may leak in.
    for (key, _) in std::env::vars_os() {
        let key_str = key.to_string_lossy().to_ascii_uppercase();
        if key_str.starts_with("AWS_") || key_str.ends_with("_PROXY") || key_str == "BOTO_CONFIG" {
            cmd.env_remove(&key);
        }
    }
    cmd.env("IVSCHAT_EMULATOR_URL", emu.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_RETRY_MODE", "legacy")
        .env("AWS_PAGER", "")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", "*");

    let output = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("pytest finishes within 5 minutes")
        .expect("pytest starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "pytest tests/conformance failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
    assert!(emu.stats().requests > 0, "the suite talked to the emulator");
    emu.shutdown().await.unwrap();
}
