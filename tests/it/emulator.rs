//! The emulator against the real Rust SDK and against raw HTTP: every
//! operation round-trips, every modelled error parses into its variant with
//! all members, bad input of each kind gets the service's answer, and the
//! region, quota, fault, record and control features behave as documented.

use std::time::{Duration, Instant};

use aws_sdk_ivschat::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::operation::create_chat_token::CreateChatTokenError;
use aws_sdk_ivschat::operation::get_room::GetRoomError;
use aws_sdk_ivschat::operation::list_rooms::ListRoomsError;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use aws_sdk_ivschat::types::{
    ChatTokenCapability, FallbackResult, MessageReviewHandler, ResourceType,
    ValidationExceptionReason,
};
use ivschat_playbook::emulator::{
    Credential, DropMode, EmulatorConfig, EmulatorHandle, FaultConfig, RoomSeed, Signer, spawn,
};
use serde_json::{Value, json};

use crate::support::{
    build_request, client, client_with, control, post, raw, signed_request, signer,
};

const ACCOUNT: &str = "123456789012";

fn no_quotas() -> EmulatorConfig {
    EmulatorConfig {
        quotas: false,
        ..EmulatorConfig::default()
    }
}

async fn start(config: EmulatorConfig) -> EmulatorHandle {
    spawn(config).await.expect("emulator starts")
}

async fn new_room(c: &aws_sdk_ivschat::Client) -> String {
    c.create_room()
        .send()
        .await
        .expect("CreateRoom")
        .arn()
        .expect("arn")
        .to_string()
}

fn is_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

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

    // SendEvent: 100 TPS; the modelled error carries every member.
    let burst = (0..250).map(|i| {
        c.send_event()
            .room_identifier(&arn)
            .event_name(format!("E{i}"))
            .send()
    });
    let results = futures::future::join_all(burst).await;
    let delivered = results.iter().filter(|r| r.is_ok()).count();
    assert!((100..250).contains(&delivered), "{delivered}");
    let throttled = results
        .into_iter()
        .find_map(Result::err)
        .expect("a burst of 250 SendEvent calls is throttled");
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
    let preloaded = "arn:aws:ivschat:eu-central-1:111122223333:room/preloaded-1";
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

    let anywhere = "arn:aws:ivschat:eu-west-1:999999999999:room/firstUse";
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
    let other = "arn:aws:ivschat:eu-west-1:999999999999:room/otherRoom";
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

#[tokio::test]
async fn signatures_are_checked() {
    let emu = start(EmulatorConfig {
        quotas: false,
        credentials: vec![
            Credential::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            Credential {
                account: Some("210987654321".into()),
                ..Credential::new("AKIAOTHERACCOUNT0000", "other-secret")
            },
        ],
        ..EmulatorConfig::default()
    })
    .await;
    let url = emu.endpoint_url();
    let wrong = client_with(&url, "us-east-1", "AKIAIOSFODNN7EXAMPLE", "not-the-secret");
    let err = wrong.list_rooms().send().await.unwrap_err();
    assert_eq!(status(&err), Some(403));
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(!err.message().unwrap_or("").contains("not-the-secret"));

    let unknown = client_with(&url, "us-east-1", "AKIAUNKNOWN000000000", "x");
    let err = unknown.list_rooms().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"));

    // The second key creates rooms in its own account.
    let other = client_with(&url, "us-east-1", "AKIAOTHERACCOUNT0000", "other-secret");
    let arn = new_room(&other).await;
    assert!(arn.contains(":210987654321:room/"), "{arn}");
    assert_eq!(emu.stats().auth_failures, 2);

    let addr = emu.local_addr();
    let body = format!(r#"{{"roomIdentifier":"{arn}","eventName":"E"}}"#);

    // No Authorization header.
    let unsigned = build_request(
        "POST",
        "/SendEvent",
        &[
            ("host".into(), addr.to_string()),
            ("content-type".into(), "application/json".into()),
        ],
        body.as_bytes(),
    );
    raw(addr, &unsigned)
        .await
        .unwrap()
        .expect_error(403, "MissingAuthenticationTokenException");

    // Signed, then the body changed on the way.
    let other_signer = Signer::new("AKIAOTHERACCOUNT0000", "other-secret", "us-east-1");
    let good = signed_request(
        addr,
        &other_signer,
        "POST",
        "/SendEvent",
        Some("application/json"),
        body.as_bytes(),
    );
    let tampered = String::from_utf8(good.clone())
        .unwrap()
        .replace(r#""eventName":"E""#, r#""eventName":"F""#);
    raw(addr, tampered.as_bytes())
        .await
        .unwrap()
        .expect_error(403, "InvalidSignatureException");
    // Same tampering without x-amz-content-sha256: the body still counts.
    let headers = other_signer.sign(
        "POST",
        &addr.to_string(),
        "/SendEvent",
        &[("content-type", "application/json")],
        body.as_bytes(),
        chrono::Utc::now(),
    );
    let no_hash: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(k, _)| k != "x-amz-content-sha256")
        .collect();
    let req = build_request(
        "POST",
        "/SendEvent",
        &no_hash,
        br#"{"roomIdentifier":"x","eventName":"EE"}"#,
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(403, "InvalidSignatureException");
    // Malformed Authorization.
    let mut malformed = no_hash.clone();
    for (k, v) in &mut malformed {
        if k == "authorization" {
            *v = "AWS4-HMAC-SHA256 Credential=AKIAOTHERACCOUNT0000".into();
        }
    }
    let req = build_request("POST", "/SendEvent", &malformed, body.as_bytes());
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(403, "IncompleteSignatureException");
    // A signature from 20 minutes ago.
    let old = other_signer.sign(
        "POST",
        &addr.to_string(),
        "/SendEvent",
        &[("content-type", "application/json")],
        body.as_bytes(),
        chrono::Utc::now() - chrono::TimeDelta::minutes(20),
    );
    let req = build_request("POST", "/SendEvent", &old, body.as_bytes());
    let resp = raw(addr, &req).await.unwrap();
    let err = resp.expect_error(403, "InvalidSignatureException");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired")
    );
    // The untampered request goes through.
    raw(addr, &good).await.unwrap().json()["id"]
        .as_str()
        .map(is_id)
        .unwrap();
    assert!(emu.events().iter().all(|e| e.event_name == "E"));
    assert_eq!(emu.events().len(), 1);
}

#[tokio::test]
async fn raw_bad_input_gets_the_service_answer() {
    let emu = start(EmulatorConfig {
        quotas: false,
        max_body_bytes: 4096,
        body_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let addr = emu.local_addr();
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;

    // Unknown path, unknown method on a known path, unknown tag method.
    let unknown = control(addr, "POST", "/SendEvents", Some("{}")).await;
    unknown.expect_error(404, "UnknownOperationException");
    let s = signer("us-east-1");
    let get = signed_request(addr, &s, "GET", "/SendEvent", None, b"");
    raw(addr, &get)
        .await
        .unwrap()
        .expect_error(404, "UnknownOperationException");
    let put = signed_request(addr, &s, "PUT", "/tags/abc", None, b"");
    raw(addr, &put)
        .await
        .unwrap()
        .expect_error(404, "UnknownOperationException");

    // Malformed JSON, a non-object, a member of the wrong type.
    for body in [
        r#"{"roomIdentifier": "#,
        r#"["a","b"]"#,
        r#"{"eventName": 5}"#,
        "\u{1}",
    ] {
        let resp = post(addr, "us-east-1", "/SendEvent", body).await;
        resp.expect_error(400, "SerializationException");
    }

    // Missing required members: both reported.
    let resp = post(addr, "us-east-1", "/SendEvent", "{}").await;
    let body = resp.expect_error(400, "ValidationException");
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    let names: Vec<&str> = body["fieldList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["roomIdentifier", "eventName"]);
    assert_eq!(body["fieldList"][0]["message"], "Member must not be null");
    // An empty body counts as {}.
    let resp = post(addr, "us-east-1", "/GetRoom", "").await;
    assert_eq!(
        resp.expect_error(400, "ValidationException")["fieldList"][0]["name"],
        "identifier"
    );
    // UntagResource without tagKeys.
    let label = ivschat_playbook::emulator::sigv4::encode_component(&arn);
    let untag = signed_request(addr, &s, "DELETE", &format!("/tags/{label}"), None, b"");
    let body = raw(addr, &untag)
        .await
        .unwrap()
        .expect_error(400, "ValidationException");
    assert_eq!(body["fieldList"][0]["name"], "tagKeys");
    // A bad pagination token.
    let resp = post(
        addr,
        "us-east-1",
        "/ListRooms",
        r#"{"nextToken":"garbage"}"#,
    )
    .await;
    assert_eq!(
        resp.expect_error(400, "ValidationException")["reason"],
        "OTHER"
    );

    // Wrong content type.
    let body = format!(r#"{{"roomIdentifier":"{arn}","eventName":"E"}}"#);
    let req = signed_request(
        addr,
        &s,
        "POST",
        "/SendEvent",
        Some("text/plain"),
        body.as_bytes(),
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(415, "UnsupportedMediaTypeException");

    // Too large, by Content-Length and while streaming chunks.
    let big = format!(
        r#"{{"roomIdentifier":"{arn}","eventName":"{}"}}"#,
        "x".repeat(5000)
    );
    let req = signed_request(
        addr,
        &s,
        "POST",
        "/SendEvent",
        Some("application/json"),
        big.as_bytes(),
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(413, "RequestEntityTooLargeException");
    let mut chunked = format!(
        "POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("400\r\n{}\r\n", "a".repeat(1024)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    raw(addr, &chunked)
        .await
        .unwrap()
        .expect_error(413, "RequestEntityTooLargeException");

    // A body that never arrives in full.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(
            format!("POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 100\r\n\r\n{{")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut buf = Vec::new();
    let started = Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let resp = crate::support::parse_response(&buf).expect("a reply");
    resp.expect_error(408, "RequestTimeoutException");

    // Not HTTP at all: hyper answers 400 or closes; the server keeps serving.
    let garbage = raw(addr, b"\x00\x01\x02 hello\r\n\r\n").await;
    assert!(garbage.is_none_or(|r| r.status == 400));
    let ok = post(addr, "us-east-1", "/SendEvent", &body).await;
    assert_eq!(ok.status, 200);
    assert!(ok.header("x-amzn-RequestId").is_some());
    assert_eq!(ok.header("content-type"), Some("application/json"));
    assert!(emu.stats().rejected_before_auth >= 3);
}

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

#[tokio::test]
async fn control_api_changes_faults_mid_run() {
    let emu = start(no_quotas()).await;
    let addr = emu.local_addr();
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;
    let health = control(addr, "GET", "/_emulator/health", None).await;
    assert_eq!(health.json()["status"], "ok");
    assert!(health.header("x-amzn-RequestId").is_some());

    let set = control(
        addr,
        "PUT",
        "/_emulator/faults",
        Some(r#"{"errorRate":1,"errorStatuses":[503],"seed":1}"#),
    )
    .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["errorStatuses"], json!([503]));
    let err = c
        .send_event()
        .room_identifier(&arn)
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(503));
    let got = control(addr, "GET", "/_emulator/faults", None).await.json();
    assert_eq!(got["errorRate"], 1.0);
    let log = control(addr, "GET", "/_emulator/faults/log", None)
        .await
        .json();
    assert_eq!(log["decisions"][0]["fault"], "error503");
    assert_eq!(log["decisions"][0]["delivered"], false);
    assert_eq!(
        control(addr, "DELETE", "/_emulator/faults/log", None)
            .await
            .status,
        204
    );
    assert!(emu.fault_log().is_empty());

    // Bad settings are refused and leave the old ones in place.
    let bad = control(addr, "PUT", "/_emulator/faults", Some(r#"{"errorRate":2}"#)).await;
    bad.expect_error(400, "ValidationException");
    let bad = control(addr, "PUT", "/_emulator/faults", Some(r#"{"nope":1}"#)).await;
    bad.expect_error(400, "SerializationException");
    let bad = control(addr, "PUT", "/_emulator/quotas", Some("[]")).await;
    bad.expect_error(400, "SerializationException");
    assert_eq!(emu.faults().error_rate, 1.0);

    assert_eq!(
        control(addr, "PUT", "/_emulator/faults", Some("{}"))
            .await
            .status,
        200
    );
    for i in 0..3 {
        c.send_event()
            .room_identifier(&arn)
            .event_name(format!("E{i}"))
            .send()
            .await
            .unwrap();
    }
    let page = control(addr, "GET", "/_emulator/events?after=1&limit=1", None)
        .await
        .json();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["events"][0]["seq"], 2);
    assert_eq!(page["events"][0]["eventName"], "E1");
    assert_eq!(page["counts"]["delivered"], 3);
    let stats = control(addr, "GET", "/_emulator/stats", None).await.json();
    assert_eq!(stats["operations"]["SendEvent"]["requests"], 4);
    assert_eq!(stats["operations"]["SendEvent"]["serverErrors"], 1);
    assert_eq!(stats["faults"]["error503"], 1);
    assert_eq!(
        control(addr, "DELETE", "/_emulator/events", None)
            .await
            .status,
        204
    );
    let all = control(addr, "GET", "/_emulator/events", None).await.json();
    assert!(all["events"].as_array().unwrap().is_empty());
    let quotas = control(addr, "GET", "/_emulator/quotas", None).await.json();
    assert_eq!(quotas["enabled"], false);
}

#[tokio::test]
async fn events_log_and_capped_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let emu = start(EmulatorConfig {
        quotas: false,
        keep_events: Some(2),
        events_log: Some(log.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu.endpoint_url(), "ap-northeast-2");
    let arn = new_room(&c).await;
    for i in 0..5 {
        c.send_event()
            .room_identifier(&arn)
            .event_name(format!("E{i}"))
            .attributes("i", i.to_string())
            .send()
            .await
            .unwrap();
    }
    let kept = emu.events();
    assert_eq!(
        kept.iter()
            .map(|e| e.event_name.as_str())
            .collect::<Vec<_>>(),
        ["E3", "E4"]
    );
    let stats = emu.stats();
    assert_eq!(
        (
            stats.events_delivered,
            stats.events_kept,
            stats.events_evicted
        ),
        (5, 2, 3)
    );
    emu.shutdown().await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["eventName"], format!("E{i}"));
        assert_eq!(line["attributes"]["i"], i.to_string());
        assert_eq!(line["region"], "ap-northeast-2");
        assert_eq!(line["roomArn"], arn);
        for key in ["id", "time", "requestId", "seq"] {
            assert!(!line[key].is_null(), "{key} in {line}");
        }
    }
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    let bad_room = spawn(EmulatorConfig {
        rooms: vec![RoomSeed::Arn("arn:aws:ivschat:xx-moon-1:1:room/a".into())],
        ..EmulatorConfig::default()
    })
    .await;
    assert!(bad_room.is_err());
    let bad_faults = spawn(EmulatorConfig {
        faults: FaultConfig {
            drop_rate: 0.7,
            error_rate: 0.7,
            drop_mode: DropMode::After,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    assert!(bad_faults.is_err());
    let no_keys = spawn(EmulatorConfig {
        credentials: vec![],
        ..EmulatorConfig::default()
    })
    .await;
    assert!(no_keys.is_err());
}

/// The `emulator` command of the binary: prints its URL, serves, and exits 0
/// on SIGTERM after flushing the events log.
#[cfg(unix)]
#[tokio::test]
async fn cli_command_prints_url_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt;

    let dir = tempfile::tempdir().unwrap();
    let rooms = dir.path().join("rooms.yaml");
    let arn = "arn:aws:ivschat:us-west-2:123456789012:room/fromFile";
    std::fs::write(
        &rooms,
        format!("- {arn}\n- arn: arn:aws:ivschat:eu-west-1:123456789012:room/two\n  name: two\n"),
    )
    .unwrap();
    let log = dir.path().join("events.jsonl");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ivschat-playbook"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--no-quotas",
            "--seed",
            "3",
        ])
        .arg("--rooms")
        .arg(&rooms)
        .arg("--events-log")
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("URL within 20 s")
        .unwrap()
        .expect("a line");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let c = client(&url, "us-west-2");
    c.send_event()
        .room_identifier(arn)
        .event_name("FromCli")
        .send()
        .await
        .unwrap();

    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"eventName\":\"FromCli\""), "{text}");
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
