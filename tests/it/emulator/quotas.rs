//! Quotas: per account and region, and turned off through the control API.

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use aws_sdk_ivschat::types::ResourceType;
use ivschat_playbook::emulator::EmulatorConfig;

use crate::support::{client, control};

use super::{new_room, start, status};

#[tokio::test]
async fn quotas_throttle_per_account_and_region() {
    let emu = start(EmulatorConfig::default()).await;
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;

    // Room operations: 5 TPS, and CreateRoom above took one token. A
    // concurrent burst keeps this independent of how fast the machine is.
    let burst = (0..20).map(|_| c.get_room().identifier(&arn).send());
    let results = futures::future::join_all(burst).await;
    let err = results
        .into_iter()
        .find_map(Result::err)
        .expect("a burst of 20 GetRoom calls is throttled");
    assert_eq!(status(&err), Some(429));
    let room_id = arn.rsplit('/').next().unwrap();
    // GetRoom does not model ThrottlingException; the SDK still reads its code.
    assert_eq!(err.code(), Some("ThrottlingException"));

    // SendEvent: 100 TPS; the modelled error carries every member. A burst
    // meets the bucket only if the client issues it faster than the bucket
    // refills (100 a second); signing is slow in a debug build on a loaded
    // machine, so up to three bursts of 600 are sent until one is throttled.
    let mut delivered = 0;
    let mut throttled = None;
    for round in 0..3 {
        let burst = (0..600).map(|i| {
            c.send_event()
                .room_identifier(&arn)
                .event_name(format!("E{round}-{i}"))
                .send()
        });
        let results = futures::future::join_all(burst).await;
        delivered += results.iter().filter(|r| r.is_ok()).count();
        if let Some(e) = results.into_iter().find_map(Result::err) {
            throttled = Some(e);
            break;
        }
    }
    assert!(delivered >= 100, "{delivered}");
    let throttled = throttled.expect("bursts of 600 SendEvent calls are throttled");
    match throttled.into_service_error() {
        SendEventError::ThrottlingException(t) => {
            assert_eq!(t.limit(), 100);
            assert_eq!(t.resource_id(), room_id);
            assert_eq!(t.resource_type(), &ResourceType::Room);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.events().len(), delivered);
    // Another region has its own buckets.
    let eu = client(&emu.endpoint_url(), "eu-west-1");
    eu.list_rooms()
        .send()
        .await
        .expect("eu-west-1 bucket is full");
    assert!(emu.stats().quota_throttled >= 2);

    // Turned off at run time through the control API.
    let resp = control(
        emu.local_addr(),
        "PUT",
        "/_emulator/quotas",
        Some(r#"{"enabled":false}"#),
    )
    .await;
    assert_eq!(resp.status, 200);
    for _ in 0..10 {
        c.get_room()
            .identifier(&arn)
            .send()
            .await
            .expect("no quota");
    }
}
