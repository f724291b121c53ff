//! Connections that outlive an error: a reply the server sends before it
//! read the whole body (413, 408) says `Connection: close` and closes, so a
//! keep-alive client opens a new connection for its next request instead of
//! writing into one the server has given up on (EPIPE).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{new_room, no_quotas, start};
use crate::support::{client, parse_response};

#[tokio::test]
async fn a_pooled_connection_survives_a_413() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let room = new_room(&c).await;
    for round in 0..3 {
        c.send_event()
            .room_identifier(&room)
            .event_name("Before")
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        let err = c
            .send_event()
            .room_identifier(&room)
            .event_name("TooBig")
            .attributes("blob", "x".repeat(300 * 1024))
            .send()
            .await
            .unwrap_err();
        assert_eq!(super::status(&err), Some(413), "{err:?}");
        // The next request on the same client (and pool) goes through.
        c.send_event()
            .room_identifier(&room)
            .event_name("After")
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}, after the 413: {e:?}"));
    }
    assert_eq!(emu.events().len(), 6);
}

/// Writes `head` (and no more) on a keep-alive connection and reads the
/// reply to EOF: the server must answer and then close.
async fn reply_then_close(addr: std::net::SocketAddr, head: &str) -> crate::support::RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("the server closes the connection after its reply")
        .unwrap();
    parse_response(&buf).expect("a reply")
}

#[tokio::test]
async fn replies_before_the_body_say_connection_close() {
    let emu = start(no_quotas()).await;
    let addr = emu.local_addr();
    let big = reply_then_close(
        addr,
        &format!("POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 999999\r\n\r\n{{"),
    )
    .await;
    big.expect_error(413, "RequestEntityTooLargeException");
    assert_eq!(big.header("connection"), Some("close"));

    let slow = start(ivschat_playbook::emulator::EmulatorConfig {
        body_timeout: Duration::from_millis(300),
        ..no_quotas()
    })
    .await;
    let addr = slow.local_addr();
    let late = reply_then_close(
        addr,
        &format!("POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 100\r\n\r\n{{"),
    )
    .await;
    late.expect_error(408, "RequestTimeoutException");
    assert_eq!(late.header("connection"), Some("close"));
}
