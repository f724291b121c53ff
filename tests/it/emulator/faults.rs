//! Injected faults: what was delivered, and seeded faults that repeat.

use std::time::{Duration, Instant};

use aws_sdk_ivschat::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::operation::send_event::SendEventError;
use ivschat_playbook::emulator::{EmulatorConfig, FaultConfig, RoomSeed};
use serde_json::{Value, json};

use crate::support::{client, raw, signed_request, signer};

use super::{new_room, no_quotas, start, status};

fn fault_config(json: Value) -> FaultConfig {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn injected_faults_and_what_was_delivered() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;
    let send = |name: &'static str| c.send_event().room_identifier(&arn).event_name(name).send();

    emu.set_faults(fault_config(json!({"throttleRate": 1.0})))
        .unwrap();
    match send("throttled").await.unwrap_err().into_service_error() {
        SendEventError::ThrottlingException(t) => {
            assert_eq!(t.limit(), 100);
            assert_eq!(t.resource_id(), arn.rsplit('/').next().unwrap());
        }
        other => panic!("{other:?}"),
    }

    for (code, status_code) in [
        (500u16, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ] {
        emu.set_faults(fault_config(
            json!({"errorRate": 1.0, "errorStatuses": [code]}),
        ))
        .unwrap();
        let err = send("error").await.unwrap_err();
        assert_eq!(status(&err), Some(code));
        assert_eq!(err.code(), Some(status_code));
    }

    emu.set_faults(fault_config(json!({"dropRate": 1.0, "dropMode": "before"})))
        .unwrap();
    let err = send("dropped-before").await.unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert!(emu.events().is_empty());

    emu.set_faults(fault_config(json!({"dropRate": 1.0, "dropMode": "after"})))
        .unwrap();
    let err = send("dropped-after").await.unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    let events = emu.events();
    assert_eq!(events.len(), 1, "delivered although the client never heard");
    assert_eq!(events[0].event_name, "dropped-after");

    // Faults limited to other operations leave SendEvent alone.
    emu.set_faults(fault_config(
        json!({"errorRate": 1.0, "errorStatuses": [500], "operations": ["GetRoom"]}),
    ))
    .unwrap();
    send("fine").await.unwrap();
    assert!(c.get_room().identifier(&arn).send().await.is_err());

    emu.set_faults(fault_config(json!({"latencyMs": 150, "jitterMs": 50})))
        .unwrap();
    let started = Instant::now();
    send("slow").await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");
    emu.set_faults(FaultConfig::default()).unwrap();

    let log = emu.fault_log();
    let kinds: Vec<(&str, bool)> = log
        .iter()
        .map(|r| (r.fault.as_str(), r.delivered))
        .collect();
    assert_eq!(
        kinds,
        [
            ("throttle", false),
            ("error500", false),
            ("error503", false),
            ("dropBeforeDelivery", false),
            ("dropAfterDelivery", true),
            ("error500", false),
        ]
    );
    assert_eq!(log[4].event_id.as_deref(), Some(events[0].id.as_str()));
    assert_eq!(log[4].room_arn.as_deref(), Some(arn.as_str()));
    let stats = emu.stats();
    assert_eq!(stats.faults.throttle, 1);
    assert_eq!(stats.faults.error500, 2);
    assert_eq!(stats.faults.error503, 1);
    assert_eq!(stats.faults.drop_before_delivery, 1);
    assert_eq!(stats.faults.drop_after_delivery, 1);
    assert_eq!(stats.throttled, 1);
}

#[tokio::test]
async fn seeded_faults_repeat_across_runs() {
    async fn run() -> Vec<String> {
        let emu = start(EmulatorConfig {
            quotas: false,
            faults: FaultConfig {
                throttle_rate: 0.2,
                error_rate: 0.2,
                drop_rate: 0.2,
                seed: Some(42),
                ..FaultConfig::default()
            },
            ..EmulatorConfig::default()
        })
        .await;
        let addr = emu.local_addr();
        let arn = "arn:aws:ivschat:us-east-1:123456789012:room/seeded";
        emu.add_room(RoomSeed::Arn(arn.into())).unwrap();
        let mut outcomes = Vec::new();
        for i in 0..40 {
            let body = format!(r#"{{"roomIdentifier":"{arn}","eventName":"E{i}"}}"#);
            let req = signed_request(
                addr,
                &signer("us-east-1"),
                "POST",
                "/SendEvent",
                Some("application/json"),
                body.as_bytes(),
            );
            outcomes.push(match raw(addr, &req).await {
                None => "dropped".to_string(),
                Some(r) => r.status.to_string(),
            });
        }
        outcomes
    }
    let first = run().await;
    assert_eq!(first, run().await);
    for kind in ["200", "429", "dropped"] {
        assert!(first.iter().any(|o| o == kind), "{kind} in {first:?}");
    }
    assert!(first.iter().any(|o| o == "500" || o == "503"));
}
