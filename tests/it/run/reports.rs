//! What a run writes: no credential in any output, and a report that
//! cannot be written.

use ivschat_playbook::emulator::{self, EmulatorConfig};

use super::{command, run_to, start_emulator, text, write_playbook};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_appear_in_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = "AKIALEAKCHECK0000001";
    let secret = "LeakCheckSecret/abcdefghijklmnopqrstuvwx+01";
    let token = "LeakCheckSessionTokenValue0123456789";
    let emu = emulator::spawn(EmulatorConfig {
        auto_create_rooms: true,
        quotas: false,
        credentials: vec![emulator::Credential::new(key_id, secret)],
        ..Default::default()
    })
    .await
    .unwrap();
    let pb = write_playbook(dir.path(), 2, &["us-west-2"], 1, 100);
    // One room in a region the emulator has no room for fails, so error
    // paths are exercised too.
    let text_before = std::fs::read_to_string(&pb).unwrap();
    std::fs::write(
        &pb,
        text_before.replace(
            "rooms:\n",
            "rooms:\n  - arn:aws:ivschat:eu-west-1:123456789012:room/missing\n",
        ),
    )
    .unwrap();
    // Even when asked for the SDK's own trace logs, by target or by span
    // (a span filter is not held by the per-crate caps).
    for rust_log in [
        "trace,aws_sigv4=trace,aws_smithy_runtime=trace",
        "[try_attempt]=trace",
        "[invoke]=trace,[try_op]=trace",
    ] {
        leaks_nothing(
            dir.path(),
            &emu.endpoint_url(),
            &pb,
            key_id,
            secret,
            token,
            rust_log,
        )
        .await;
    }
}

async fn leaks_nothing(
    dir: &std::path::Path,
    url: &str,
    pb: &std::path::Path,
    key_id: &str,
    secret: &str,
    token: &str,
    rust_log: &str,
) {
    let _ = std::fs::remove_file(dir.join("j.jsonl"));
    let out = command(dir)
        .env("AWS_ACCESS_KEY_ID", key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", token)
        .env("RUST_LOG", rust_log)
        .args([
            "-vvv",
            "run",
            "--journal",
            "j.jsonl",
            "--report",
            "r.json",
            "--report",
            "r.md",
            "--format",
            "json",
        ])
        .args(["--endpoint-url", url])
        .arg(pb)
        .output()
        .await
        .unwrap();
    let mut everything = text(&out);
    for f in ["j.jsonl", "r.json", "r.md"] {
        everything.push_str(&std::fs::read_to_string(dir.join(f)).unwrap());
    }
    assert!(everything.contains("sent"), "the run ran: {everything}");
    for secret_value in [secret, token] {
        assert!(
            !everything.contains(secret_value),
            "RUST_LOG={rust_log}: a credential leaked"
        );
    }
}

/// A record that cannot be written after the sends went out ends with its
/// own status (3), never "invalid input" (2): a CI job that retries on 2
/// would send everything again. Here the report goes to a full stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_written_after_sending_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = super::command(dir.path())
        .args(["run", "--endpoint-url", &emu.endpoint_url()])
        .args(["--journal", "j.jsonl", "--format", "json"])
        .arg(&pb)
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("rebuild the report with `ivschat-playbook report j.jsonl`"),
        "{stderr}"
    );
    assert_eq!(
        emu.events().len(),
        6,
        "the sends went out before the failure"
    );
}

/// A report file that cannot be written is found before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_path_that_cannot_be_written_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_emulator(true, false).await;
    let pb = write_playbook(dir.path(), 3, &["us-west-2"], 2, 100);
    std::fs::create_dir(dir.path().join("adir.json")).unwrap();
    for report in ["nodir/r.json", "adir.json"] {
        let out = run_to(
            dir.path(),
            &emu.endpoint_url(),
            &["--journal", "j.jsonl", "--report", report],
            &pb,
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains(&format!("cannot write the report {report}")),
            "{}",
            text(&out)
        );
    }
    assert_eq!(emu.events().len(), 0, "nothing was sent");
    assert!(
        !dir.path().join("j.jsonl").exists(),
        "no journal was started"
    );
}
