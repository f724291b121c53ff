//! `send-event` failures: service errors (254), no connection (255) and
//! no credentials (253).

use ivschat_playbook::emulator::FaultConfig;

use super::{ARN, emulator, ours, printed_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_exit_254_and_are_told_like_the_aws_cli() {
    let emu = emulator(false).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &url,
    ];

    // Not found: never retried.
    let r = ours(d, &args, &[]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "\nAn error occurred (ResourceNotFoundException) when calling the SendEvent operation: Room not found: {ARN}\n"
        )
    );
    assert!(r.stdout.is_empty());
    assert_eq!(emu.stats().requests, 1);

    // Throttled: retried with backoff up to the attempts allowed, then told
    // with the number of retries, as the AWS CLI does.
    emu.set_faults(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let before = emu.stats().requests;
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "3")]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert!(
        r.stderr.starts_with(
            "\nAn error occurred (ThrottlingException) when calling the SendEvent operation (reached max retries: 2): "
        ),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats().requests - before, 3, "three attempts");
    let before = emu.stats().requests;
    let r = ours(d, &[&args[..], &["--max-attempts", "1"]].concat(), &[]).await;
    assert!(
        r.stderr.contains("(reached max retries: 0)"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats().requests - before, 1);

    // 5xx: retried too.
    emu.set_faults(FaultConfig {
        error_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "2")]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert!(
        r.stderr
            .contains("Exception) when calling the SendEvent operation (reached max retries: 1): "),
        "{}",
        r.stderr
    );

    // Throttled at first, then through: the retries are invisible but for
    // the time they take.
    emu.set_faults(FaultConfig {
        throttle_rate: 0.5,
        seed: Some(7),
        ..Default::default()
    })
    .unwrap();
    let auto = emulator(true).await;
    auto.set_faults(emu.faults()).unwrap();
    let auto_url = auto.endpoint_url();
    for _ in 0..4 {
        let r = ours(
            d,
            &[
                "--room-identifier",
                ARN,
                "--event-name",
                "E",
                "--endpoint-url",
                &auto_url,
            ],
            &[("AWS_MAX_ATTEMPTS", "20")],
        )
        .await;
        printed_id(&r);
    }
    assert_eq!(auto.events().len(), 4);
    assert!(
        auto.stats().throttled > 0,
        "some attempts were throttled and retried"
    );
    auto.shutdown().await.unwrap();
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_connection_exits_255_and_no_credentials_253() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let args = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &closed,
    ];
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "1")]).await;
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stdout.is_empty());

    let r = ours(
        d,
        &args,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
    .await;
    assert_eq!(r.code, 253, "{r:?}");
    assert!(
        r.stderr.contains("Unable to locate credentials"),
        "{}",
        r.stderr
    );
}
