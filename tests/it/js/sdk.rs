//! The AWS SDK for JavaScript v3 against the emulator: `tests/js/sdk.js`
//! calls every operation of the model and parses every error the emulator
//! can produce into its modelled class with its members; this test starts
//! the emulator and checks the script covered all of them.

use std::time::Duration;

use ivschat_playbook::emulator::{self, Credential, EmulatorConfig, Operation};
use serde_json::Value;

use crate::support::node::node;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_js_sdk_round_trips_every_operation_and_error() {
    let mut config = EmulatorConfig {
        quotas: false,
        max_rooms: 3,
        max_logging_configurations: 1,
        ..EmulatorConfig::default()
    };
    config.credentials.push(Credential {
        allowed_operations: Some(vec!["ListRooms".into()]),
        ..Credential::new("AKIALIMITED000000000", "limited-secret")
    });
    let emu = emulator::spawn(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        node("sdk.js", &[], dir.path())
            .env("IVSCHAT_ENDPOINT", emu.endpoint_url())
            .env("LIMITED_KEY_ID", "AKIALIMITED000000000")
            .env("LIMITED_KEY_SECRET", "limited-secret")
            .output(),
    )
    .await
    .expect("node finishes within 60 s")
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {stdout}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.success() && result.get("error").is_none(),
        "{}",
        result["error"]
    );

    let covered: Vec<&str> = result["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut all: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
    all.sort_unstable();
    assert_eq!(covered, all, "every operation of the model");
    for error in [
        "AccessDeniedException",
        "ConflictException",
        "InternalServerException",
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
        "ThrottlingException",
        "ValidationException",
    ] {
        assert!(
            result["errors"][error].as_u64() >= Some(1),
            "{error}: {result}"
        );
    }
    emu.shutdown().await.unwrap();
}
