//! The chat edge through a real WebSocket client (tokio-tungstenite): the
//! handshake (token as the only subprotocol, echoed; refusals), `SendEvent`
//! fan-out with its id, the client actions and their errors, the HTTP
//! twins, and how connections end (DisconnectUser, DeleteRoom, session
//! expiry, shutdown, injected faults).

use std::time::Duration;

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use ivschat_playbook::emulator::{EmulatorConfig, FaultConfig};
use serde_json::json;

use super::{new_room, no_quotas, start};
use crate::support::chat::{End, end, frame, open, refused, send, silent, token};
use crate::support::client;

const ALL: &[&str] = &["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"];

#[tokio::test]
async fn send_event_reaches_every_connection_of_the_room_with_its_id() {
    let emu = start(no_quotas()).await;
    assert_eq!(emu.chat_url(), format!("ws://{}", emu.local_addr()));
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    let other = new_room(&c).await;
    let mut alice = open(&emu.chat_url(), &token(&c, &room, "alice", &[]).await).await;
    let mut bob = open(&emu.chat_url(), &token(&c, &room, "bob", &[]).await).await;
    let mut carol = open(&emu.chat_url(), &token(&c, &other, "carol", &[]).await).await;
    assert_eq!(emu.chat_connections(), 3);

    let sent = c
        .send_event()
        .room_identifier(&room)
        .event_name("SystemMessage")
        .attributes("msgText", "hello")
        .send()
        .await
        .unwrap();
    for socket in [&mut alice, &mut bob] {
        let f = frame(socket).await;
        assert_eq!(f["Type"], "EVENT");
        assert_eq!(f["Id"], sent.id().unwrap());
        assert_eq!(f["EventName"], "SystemMessage");
        assert_eq!(f["Attributes"], json!({"msgText": "hello"}));
        assert!(f.get("RequestId").is_none(), "{f}");
        let recorded = &emu.events()[0];
        assert_eq!(f["SendTime"], recorded.time.as_str());
    }
    silent(&mut carol, Duration::from_millis(200)).await;
    assert_eq!(emu.stats().chat.open, 3);
}

#[tokio::test]
async fn the_handshake_takes_one_unused_token_and_echoes_it() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    let url = emu.chat_url();
    let t = token(&c, &room, "alice", &[]).await;
    // Any path works: the token alone names the room.
    let _first = open(&format!("{url}/any/path?x=1"), &t).await;
    assert_eq!(refused(&url, Some(&t)).await, 401, "single use");
    assert_eq!(refused(&url, Some("AQICAHnotatoken")).await, 401);
    assert_eq!(refused(&url, None).await, 401);
    let two = token(&c, &room, "bob", &[]).await;
    assert_eq!(refused(&url, Some(&format!("{}, other", two))).await, 400);
    let gone = token(&c, &room, "carol", &[]).await;
    c.delete_room().identifier(&room).send().await.unwrap();
    assert_eq!(refused(&url, Some(&gone)).await, 404);
    // A plain GET without the upgrade is still the API.
    let resp = crate::support::raw(
        emu.local_addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    resp.expect_error(404, "UnknownOperationException");
}

#[tokio::test]
async fn actions_are_checked_against_the_token_and_the_room() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = c
        .create_room()
        .maximum_message_length(5)
        .maximum_message_rate_per_second(2)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let alice_token = c
        .create_chat_token()
        .room_identifier(&room)
        .user_id("alice")
        .attributes("displayName", "Alice")
        .set_capabilities(Some(ALL.iter().map(|c| (*c).into()).collect()))
        .send()
        .await
        .unwrap();
    let mut alice = open(&emu.chat_url(), alice_token.token().unwrap()).await;
    let mut bob = open(&emu.chat_url(), &token(&c, &room, "bob", &[]).await).await;

    send(
        &mut bob,
        json!({"Action": "SEND_MESSAGE", "RequestId": "b1", "Content": "nope"}),
    )
    .await;
    let err = frame(&mut bob).await;
    assert_eq!(err["Type"], "ERROR");
    assert_eq!(err["RequestId"], "b1");
    assert_eq!(err["ErrorCode"], 403);
    assert_eq!(err["ErrorMessage"], "Missing SEND_MESSAGE capability");
    for (action, extra) in [
        ("DELETE_MESSAGE", json!({"Id": "abc"})),
        ("DISCONNECT_USER", json!({"UserId": "alice"})),
    ] {
        let mut f = json!({"Action": action, "RequestId": "b2"});
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        send(&mut bob, f).await;
        assert_eq!(frame(&mut bob).await["ErrorCode"], 403, "{action}");
    }

    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "a1", "Content": "hi",
                             "Attributes": {"color": "red"}}),
    )
    .await;
    for socket in [&mut alice, &mut bob] {
        let m = frame(socket).await;
        assert_eq!(m["Type"], "MESSAGE");
        assert_eq!(m["RequestId"], "a1");
        assert_eq!(m["Content"], "hi");
        assert_eq!(m["Attributes"], json!({"color": "red"}));
        assert_eq!(
            m["Sender"],
            json!({"UserId": "alice", "Attributes": {"displayName": "Alice"}})
        );
        assert_eq!(m["Id"].as_str().unwrap().len(), 12);
    }
    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "a2", "Content": "toolong"}),
    )
    .await;
    assert_eq!(frame(&mut alice).await["ErrorCode"], 413);
    // The room allows 2 per second: one more passes, the next is refused.
    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "a3", "Content": "x"}),
    )
    .await;
    assert_eq!(frame(&mut alice).await["Type"], "MESSAGE");
    assert_eq!(frame(&mut bob).await["RequestId"], "a3");
    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "a4", "Content": "y"}),
    )
    .await;
    let limited = frame(&mut alice).await;
    assert_eq!(
        (limited["ErrorCode"].as_u64(), limited["RequestId"].as_str()),
        (Some(429), Some("a4"))
    );
    for (bad, code) in [
        (json!({"Action": "JOIN", "RequestId": "a5"}), 400),
        (json!({"Action": "DELETE_MESSAGE", "RequestId": "a6"}), 400),
        (json!(["not", "an", "object"]), 400),
    ] {
        send(&mut alice, bad).await;
        assert_eq!(frame(&mut alice).await["ErrorCode"], code);
    }

    send(
        &mut alice,
        json!({"Action": "DELETE_MESSAGE", "RequestId": "a7", "Id": "CTL6o0mz5INk",
                             "Reason": "spam"}),
    )
    .await;
    for socket in [&mut alice, &mut bob] {
        let e = frame(socket).await;
        assert_eq!(e["Type"], "EVENT");
        assert_eq!(e["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(e["RequestId"], "a7");
        assert_eq!(
            e["Attributes"],
            json!({"MessageID": "CTL6o0mz5INk", "MessageId": "CTL6o0mz5INk", "Reason": "spam"})
        );
    }
    send(
        &mut alice,
        json!({"Action": "DISCONNECT_USER", "RequestId": "a8", "UserId": "bob",
                             "Reason": "ban"}),
    )
    .await;
    for socket in [&mut alice, &mut bob] {
        let e = frame(socket).await;
        assert_eq!(e["EventName"], "aws:DISCONNECT_USER");
        assert_eq!(e["Attributes"], json!({"UserId": "bob", "Reason": "ban"}));
    }
    assert!(matches!(end(&mut bob).await, End::Closed(1000, _)));
    silent(&mut alice, Duration::from_millis(100)).await;

    // UpdateRoom applies to the next message.
    c.update_room()
        .identifier(&room)
        .maximum_message_length(10)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "a9", "Content": "now longer"}),
    )
    .await;
    assert_eq!(frame(&mut alice).await["Type"], "MESSAGE");
}

#[tokio::test]
async fn http_delete_message_and_disconnect_user_emit_the_system_events() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    let mut watcher = open(&emu.chat_url(), &token(&c, &room, "watcher", &[]).await).await;
    // A refreshing client: two overlapping connections of one user.
    let mut bob1 = open(&emu.chat_url(), &token(&c, &room, "bob", &[]).await).await;
    let mut bob2 = open(&emu.chat_url(), &token(&c, &room, "bob", &[]).await).await;

    let deleted = c
        .delete_message()
        .room_identifier(&room)
        .id("CTL6o0mz5INk")
        .reason("spam")
        .send()
        .await
        .unwrap();
    for socket in [&mut watcher, &mut bob1, &mut bob2] {
        let e = frame(socket).await;
        assert_eq!(e["Id"], deleted.id().unwrap());
        assert_eq!(e["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(e["Attributes"]["MessageID"], "CTL6o0mz5INk");
        assert!(e.get("RequestId").is_none());
    }
    c.disconnect_user()
        .room_identifier(&room)
        .user_id("bob")
        .reason("bye")
        .send()
        .await
        .unwrap();
    for socket in [&mut watcher, &mut bob1, &mut bob2] {
        let e = frame(socket).await;
        assert_eq!(e["EventName"], "aws:DISCONNECT_USER");
        assert_eq!(e["Attributes"], json!({"UserId": "bob", "Reason": "bye"}));
    }
    assert!(matches!(end(&mut bob1).await, End::Closed(1000, _)));
    assert!(matches!(end(&mut bob2).await, End::Closed(1000, _)));
    silent(&mut watcher, Duration::from_millis(100)).await;

    let bad = c
        .delete_message()
        .room_identifier(&room)
        .id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("ValidationException"));
    let unknown = "arn:aws:ivschat:us-west-2:123456789012:room/nothere";
    let err = c
        .disconnect_user()
        .room_identifier(unknown)
        .user_id("x")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());

    c.delete_room().identifier(&room).send().await.unwrap();
    assert_eq!(
        end(&mut watcher).await,
        End::Closed(1000, "Room deleted".into())
    );
}

#[tokio::test]
async fn sessions_expire_and_shutdown_closes_with_1001() {
    let emu = start(EmulatorConfig {
        chat_minute: Duration::from_millis(500),
        ..no_quotas()
    })
    .await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    let short = c
        .create_chat_token()
        .room_identifier(&room)
        .user_id("u")
        .session_duration_in_minutes(1)
        .send()
        .await
        .unwrap();
    let mut s = open(&emu.chat_url(), short.token().unwrap()).await;
    assert_eq!(
        end(&mut s).await,
        End::Closed(1000, "Session expired".into())
    );
    let expired = c
        .create_chat_token()
        .room_identifier(&room)
        .user_id("late")
        .session_duration_in_minutes(1)
        .send()
        .await
        .unwrap();
    let expired = expired.token().unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(refused(&emu.chat_url(), Some(expired)).await, 401);

    let mut last = open(&emu.chat_url(), &token(&c, &room, "last", &[]).await).await;
    let url = emu.chat_url();
    let stopping = tokio::spawn(emu.shutdown());
    assert_eq!(
        end(&mut last).await,
        End::Closed(1001, "Server shutting down".into())
    );
    stopping.await.unwrap().unwrap();
    assert!(
        crate::support::chat::open_with(&url, Some("x"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn faults_break_chat_connections_without_a_close_frame() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    let mut a = open(&emu.chat_url(), &token(&c, &room, "a", &[]).await).await;
    assert_eq!(emu.drop_chat_connections(), 1);
    assert_eq!(end(&mut a).await, End::Dropped);

    let mut b = open(&emu.chat_url(), &token(&c, &room, "b", &[]).await).await;
    emu.set_faults(FaultConfig {
        chat_drop_rate: 1.0,
        seed: Some(1),
        ..FaultConfig::default()
    })
    .unwrap();
    c.send_event()
        .room_identifier(&room)
        .event_name("E")
        .send()
        .await
        .unwrap();
    assert_eq!(end(&mut b).await, End::Dropped);
    let log = emu.fault_log();
    assert_eq!(log.last().unwrap().fault, "chatDrop");
    assert_eq!(log.last().unwrap().room_arn.as_deref(), Some(room.as_str()));
    assert_eq!(emu.stats().faults.chat_drop, 1);
    let bad = emu.set_faults(FaultConfig {
        chat_drop_rate: 2.0,
        ..FaultConfig::default()
    });
    assert!(bad.is_err());
}
