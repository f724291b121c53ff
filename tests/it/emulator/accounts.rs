//! Accounts: a 12-digit access key id acts as that account; rooms belong to
//! the account in their ARN, and another account's room is not found.

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use ivschat_playbook::emulator::{Credential, EmulatorConfig, RoomSeed};

use crate::support::{client, client_with};

use super::{new_room, start};

const A: &str = "111111111111";
const B: &str = "222222222222";

#[tokio::test]
async fn rooms_belong_to_the_account_of_the_key() {
    let seeded_b = format!("arn:aws:ivschat:us-west-2:{B}:room/seededB");
    let emu = start(EmulatorConfig {
        quotas: false,
        credentials: vec![
            Credential::new("AKIAIOSFODNN7EXAMPLE", "default-secret"),
            Credential::new(A, "secret-a"),
            Credential::new(B, "secret-b"),
        ],
        rooms: vec![RoomSeed::Arn(seeded_b.clone())],
        ..EmulatorConfig::default()
    })
    .await;
    let url = emu.endpoint_url();
    let a = client_with(&url, "us-west-2", A, "secret-a");
    let b = client_with(&url, "us-west-2", B, "secret-b");
    let default = client_with(&url, "us-west-2", "AKIAIOSFODNN7EXAMPLE", "default-secret");

    // CreateRoom makes the room in the caller's account.
    let room_a = new_room(&a).await;
    assert!(room_a.contains(&format!(":{A}:room/")), "{room_a}");
    let room_default = new_room(&default).await;
    assert!(
        room_default.contains(":123456789012:room/"),
        "{room_default}"
    );

    // ListRooms lists only the caller's rooms.
    let arns = |c: aws_sdk_ivschat::operation::list_rooms::ListRoomsOutput| {
        c.rooms()
            .iter()
            .map(|r| r.arn().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        arns(a.list_rooms().send().await.unwrap()),
        [room_a.as_str()]
    );
    assert_eq!(
        arns(b.list_rooms().send().await.unwrap()),
        [seeded_b.as_str()]
    );
    assert_eq!(
        arns(default.list_rooms().send().await.unwrap()),
        [room_default.as_str()]
    );

    // Another account's room does not exist for the caller, whatever the
    // operation, as in AWS.
    let err = a
        .send_event()
        .room_identifier(&seeded_b)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = a.get_room().identifier(&seeded_b).send().await.unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = a
        .delete_room()
        .identifier(&seeded_b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = a
        .tag_resource()
        .resource_arn(&seeded_b)
        .tags("k", "v")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let err = default
        .get_room()
        .identifier(&room_a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(b.get_room().identifier(&seeded_b).send().await.is_ok());

    // The delivery record names the account that sent.
    a.send_event()
        .room_identifier(&room_a)
        .event_name("A")
        .send()
        .await
        .unwrap();
    b.send_event()
        .room_identifier(&seeded_b)
        .event_name("B")
        .send()
        .await
        .unwrap();
    let events = emu.events();
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.event_name.as_str(), e.account.as_str()))
        .collect();
    assert_eq!(got, [("A", A), ("B", B)]);
}

#[tokio::test]
async fn auto_create_makes_rooms_only_in_the_callers_account() {
    let emu = start(EmulatorConfig {
        quotas: false,
        auto_create_rooms: true,
        credentials: vec![
            Credential::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            Credential::new(A, "secret-a"),
        ],
        ..EmulatorConfig::default()
    })
    .await;
    let url = emu.endpoint_url();
    let a = client_with(&url, "us-west-2", A, "secret-a");
    let mine = format!("arn:aws:ivschat:us-west-2:{A}:room/firstUse");
    let theirs = "arn:aws:ivschat:us-west-2:123456789012:room/notYours";
    a.send_event()
        .room_identifier(&mine)
        .event_name("E")
        .send()
        .await
        .unwrap();
    let err = a
        .send_event()
        .room_identifier(theirs)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    // The default key is the default account, which may create it.
    let default = client(&url, "us-west-2");
    default
        .send_event()
        .room_identifier(theirs)
        .event_name("E")
        .send()
        .await
        .unwrap();
    let accounts: Vec<String> = emu.events().into_iter().map(|e| e.account).collect();
    assert_eq!(accounts, [A, "123456789012"]);
}
