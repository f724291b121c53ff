//! Rooms: each lives in its region; preloaded, auto-created and added at
//! run time.

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use aws_sdk_ivschat::operation::get_room::GetRoomError;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use ivschat_playbook::emulator::{EmulatorConfig, RoomSeed};
use serde_json::json;

use crate::support::{client, control};

use super::{new_room, no_quotas, start, status};

#[tokio::test]
async fn rooms_live_in_their_region() {
    let emu = start(no_quotas()).await;
    let us = client(&emu.endpoint_url(), "us-west-2");
    let eu = client(&emu.endpoint_url(), "eu-west-1");
    let arn = new_room(&us).await;
    assert!(arn.contains(":us-west-2:"));

    // The eu-west-1 endpoint has no such room.
    let err = eu.get_room().identifier(&arn).send().await.unwrap_err();
    match err.into_service_error() {
        GetRoomError::ResourceNotFoundException(e) => {
            assert_eq!(e.resource_id(), arn.rsplit('/').next().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let err = eu
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        SendEventError::ResourceNotFoundException(_)
    ));
    assert!(eu.list_rooms().send().await.unwrap().rooms().is_empty());
    assert_eq!(us.list_rooms().send().await.unwrap().rooms().len(), 1);
    us.send_event()
        .room_identifier(&arn)
        .event_name("E")
        .send()
        .await
        .unwrap();
    assert_eq!(emu.events().len(), 1);

    // A region where IVS Chat is not offered has no endpoint at all.
    let ohio = client(&emu.endpoint_url(), "us-east-2");
    let err = ohio.list_rooms().send().await.unwrap_err();
    assert_eq!(status(&err), Some(403));
    assert_eq!(err.code(), Some("InvalidSignatureException"));
}

#[tokio::test]
async fn preloaded_and_auto_created_rooms() {
    let preloaded = "arn:aws:ivschat:eu-central-1:123456789012:room/preloaded-1";
    let emu = start(EmulatorConfig {
        quotas: false,
        auto_create_rooms: true,
        rooms: vec![RoomSeed::Arn(preloaded.into())],
        ..EmulatorConfig::default()
    })
    .await;
    let frankfurt = client(&emu.endpoint_url(), "eu-central-1");
    let got = frankfurt
        .get_room()
        .identifier(preloaded)
        .send()
        .await
        .unwrap();
    assert_eq!(got.id(), Some("preloaded-1"));

    let anywhere = "arn:aws:ivschat:eu-west-1:123456789012:room/firstUse";
    let ireland = client(&emu.endpoint_url(), "eu-west-1");
    ireland
        .send_event()
        .room_identifier(anywhere)
        .event_name("E")
        .send()
        .await
        .expect("auto-created in its own region");
    assert!(ireland.get_room().identifier(anywhere).send().await.is_ok());
    // Not from another region: that endpoint would not create it either.
    let virginia = client(&emu.endpoint_url(), "us-east-1");
    let other = "arn:aws:ivschat:eu-west-1:123456789012:room/otherRoom";
    let err = virginia
        .send_event()
        .room_identifier(other)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    // DeleteRoom never creates.
    let err = ireland
        .delete_room()
        .identifier(other)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    // Rooms added at run time through the control API.
    let added = "arn:aws:ivschat:ap-south-1:123456789012:room/added";
    let resp = control(
        emu.local_addr(),
        "POST",
        "/_emulator/rooms",
        Some(&json!({"arn": added, "name": "late", "tags": {"k": "v"}}).to_string()),
    )
    .await;
    assert_eq!(
        resp.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    let mumbai = client(&emu.endpoint_url(), "ap-south-1");
    let got = mumbai.get_room().identifier(added).send().await.unwrap();
    assert_eq!(got.name(), Some("late"));
    let all = control(emu.local_addr(), "GET", "/_emulator/rooms", None)
        .await
        .json();
    assert_eq!(all["rooms"].as_array().unwrap().len(), 3);
    let bad = control(
        emu.local_addr(),
        "POST",
        "/_emulator/rooms",
        Some(r#""not an arn""#),
    )
    .await;
    bad.expect_error(400, "ValidationException");
}
