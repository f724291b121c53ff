//! The emulator against the real Rust SDK: every operation round-trips,
//! modelled errors parse with all their members, request ids reach it.

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use aws_sdk_ivschat::operation::create_chat_token::CreateChatTokenError;
use aws_sdk_ivschat::operation::get_room::GetRoomError;
use aws_sdk_ivschat::operation::list_rooms::ListRoomsError;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use aws_sdk_ivschat::types::{
    ChatTokenCapability, FallbackResult, MessageReviewHandler, ResourceType,
    ValidationExceptionReason,
};

use crate::support::client;

use super::{ACCOUNT, is_id, new_room, no_quotas, start, status};

#[tokio::test]
async fn sdk_round_trips_every_operation() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");

    let created = c
        .create_room()
        .name("lobby")
        .maximum_message_rate_per_second(20)
        .maximum_message_length(200)
        .tags("team", "a")
        .message_review_handler(
            MessageReviewHandler::builder()
                .uri("arn:aws:lambda:us-west-2:123456789012:function:review")
                .fallback_result(FallbackResult::Deny)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();
    let id = created.id().unwrap();
    assert!(is_id(id), "{id}");
    assert_eq!(
        arn,
        format!("arn:aws:ivschat:us-west-2:{ACCOUNT}:room/{id}")
    );
    assert!(created.create_time().is_some() && created.update_time().is_some());

    let got = c.get_room().identifier(&arn).send().await.unwrap();
    assert_eq!(got.name(), Some("lobby"));
    assert_eq!(got.maximum_message_rate_per_second(), Some(20));
    assert_eq!(got.maximum_message_length(), Some(200));
    assert_eq!(got.tags().unwrap()["team"], "a");
    let handler = got.message_review_handler().unwrap();
    assert_eq!(handler.fallback_result(), Some(&FallbackResult::Deny));

    let updated = c
        .update_room()
        .identifier(&arn)
        .name("lobby-2")
        .maximum_message_length(100)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name(), Some("lobby-2"));
    assert_eq!(updated.maximum_message_length(), Some(100));
    assert_eq!(updated.maximum_message_rate_per_second(), Some(20));
    assert!(updated.update_time().unwrap() >= updated.create_time().unwrap());

    // A second, newer room: ListRooms is newest (last updated) first.
    let second = c.create_room().name("second").send().await.unwrap();
    let page1 = c.list_rooms().max_results(1).send().await.unwrap();
    assert_eq!(page1.rooms().len(), 1);
    assert_eq!(page1.rooms()[0].arn(), second.arn());
    let token = page1.next_token().expect("a next page").to_string();
    let page2 = c
        .list_rooms()
        .max_results(1)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(page2.rooms()[0].arn(), Some(arn.as_str()));
    assert_eq!(page2.next_token(), None);
    let by_name = c.list_rooms().name("lobby-2").send().await.unwrap();
    assert_eq!(by_name.rooms().len(), 1);
    assert_eq!(by_name.rooms()[0].tags().unwrap()["team"], "a");

    let sent = c
        .send_event()
        .room_identifier(&arn)
        .event_name("SystemMessage")
        .attributes("msgType", "user-notification")
        .attributes("msgText", "closing in 15 minutes – ünïcode")
        .send()
        .await
        .unwrap();
    let event_id = sent.id().unwrap();
    assert!(is_id(event_id));
    let events = emu.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.id, event_id);
    assert_eq!(e.room_arn, arn);
    assert_eq!(e.region, "us-west-2");
    assert_eq!(e.event_name, "SystemMessage");
    // The SDK holds attributes in a HashMap, so their order on the wire is
    // arbitrary: compare sorted.
    let mut got: Vec<(&String, &String)> = e.attributes.iter().collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                &"msgText".to_string(),
                &"closing in 15 minutes – ünïcode".to_string()
            ),
            (&"msgType".to_string(), &"user-notification".to_string()),
        ]
    );
    assert!(chrono::DateTime::parse_from_rfc3339(&e.time).is_ok());
    assert_eq!(e.time.len(), "2024-01-01T00:00:00.000Z".len(), "{}", e.time);
    assert_eq!(e.request_id.len(), 36);

    let token = c
        .create_chat_token()
        .room_identifier(&arn)
        .user_id("viewer-1")
        .capabilities(ChatTokenCapability::SendMessage)
        .session_duration_in_minutes(30)
        .attributes("displayName", "Vi")
        .send()
        .await
        .unwrap();
    assert!(!token.token().unwrap().is_empty());
    let session = token.session_expiration_time().unwrap().secs();
    let in_30 = chrono::Utc::now().timestamp() + 30 * 60;
    assert!((session - in_30).abs() < 60, "{session} vs {in_30}");
    assert!(token.token_expiration_time().is_some());

    c.tag_resource()
        .resource_arn(&arn)
        .tags("env", "test")
        .tags("team", "b")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    assert_eq!(tags.tags()["team"], "b");
    c.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().keys().collect::<Vec<_>>(), [&"env".to_string()]);

    c.delete_room().identifier(&arn).send().await.unwrap();
    let err = c.get_room().identifier(&arn).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetRoomError::ResourceNotFoundException(_)
    ));
    let stats = emu.stats();
    assert_eq!(stats.events_delivered, 1);
    assert_eq!(stats.operations["SendEvent"].succeeded, 1);
    assert_eq!(stats.operations["GetRoom"].client_errors, 1);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn sdk_parses_validation_errors_with_field_lists() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;

    let check = |err: SendEventError, field: &str, needle: &str| match err {
        SendEventError::ValidationException(v) => {
            assert_eq!(
                v.reason(),
                &ValidationExceptionReason::FieldValidationFailed
            );
            assert_eq!(v.field_list().len(), 1, "{v:?}");
            assert_eq!(v.field_list()[0].name(), field);
            assert!(v.field_list()[0].message().contains(needle), "{v:?}");
            assert!(
                v.message().starts_with("1 validation error detected"),
                "{v:?}"
            );
        }
        other => panic!("expected ValidationException, got {other:?}"),
    };

    let long_name = c
        .send_event()
        .room_identifier(&arn)
        .event_name("x".repeat(101))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&long_name), Some(400));
    check(
        long_name.into_service_error(),
        "eventName",
        "less than or equal to 100",
    );

    let bad_arn = c
        .send_event()
        .room_identifier("arn:aws:ivschat:us-east-1:1:channel/x")
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    check(
        bad_arn.into_service_error(),
        "roomIdentifier",
        "regular expression",
    );

    // 1 KB = 1024 UTF-8 bytes of keys plus values: 4 + 1020 passes, 1021 not.
    let ok = c
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .attributes("abcd", "v".repeat(1020))
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let too_big = c
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .attributes("abcd", "é".repeat(511))
        .send()
        .await
        .unwrap_err();
    check(too_big.into_service_error(), "attributes", "1024 bytes");

    let list = c.list_rooms().max_results(51).send().await.unwrap_err();
    match list.into_service_error() {
        ListRoomsError::ValidationException(v) => {
            assert_eq!(v.field_list()[0].name(), "maxResults");
        }
        other => panic!("{other:?}"),
    }

    let token = c
        .create_chat_token()
        .room_identifier(&arn)
        .user_id("")
        .session_duration_in_minutes(181)
        .capabilities(ChatTokenCapability::from("READ_MINDS"))
        .send()
        .await
        .unwrap_err();
    match token.into_service_error() {
        CreateChatTokenError::ValidationException(v) => {
            let names: Vec<&str> = v.field_list().iter().map(|f| f.name()).collect();
            assert_eq!(
                names,
                ["userId", "capabilities", "sessionDurationInMinutes"]
            );
            assert!(v.message().starts_with("3 validation errors detected"));
        }
        other => panic!("{other:?}"),
    }

    let room = c
        .create_room()
        .name("has space")
        .tags("aws:reserved", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(room.code(), Some("ValidationException"));
}

#[tokio::test]
async fn sdk_parses_resource_not_found() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = format!("arn:aws:ivschat:us-east-1:{ACCOUNT}:room/doesNotExist");
    let err = c
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(404));
    match err.into_service_error() {
        SendEventError::ResourceNotFoundException(e) => {
            assert_eq!(e.resource_id(), "doesNotExist");
            assert_eq!(e.resource_type(), &ResourceType::Room);
            assert!(e.message().contains(&arn));
        }
        other => panic!("{other:?}"),
    }
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(tags.code(), Some("ResourceNotFoundException"));
    assert!(emu.events().is_empty());
}

/// Every SDK reply carried a request id the SDK could read.
#[tokio::test]
async fn request_ids_reach_the_sdk() {
    use aws_sdk_ivschat::operation::RequestId;
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-east-1");
    let out = c.list_rooms().send().await.unwrap();
    assert_eq!(out.request_id().map(str::len), Some(36));
    let err = c
        .get_room()
        .identifier("arn:aws:ivschat:us-east-1:1:room/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.request_id().map(str::len), Some(36));
}
