//! A raw chat client for protocol tests: tokio-tungstenite connecting to the
//! emulator's chat edge with a token as the only subprotocol, reading JSON
//! frames with a deadline, and telling a close frame from a dropped
//! connection.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// An open chat connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// A close frame with this code and reason.
    Closed(u16, String),
    /// The connection went away without a close frame.
    Dropped,
}

/// A token for `user` in `room` with `caps`, from the SDK's `CreateChatToken`.
pub async fn token(c: &aws_sdk_ivschat::Client, room: &str, user: &str, caps: &[&str]) -> String {
    let mut req = c.create_chat_token().room_identifier(room).user_id(user);
    for cap in caps {
        req = req.capabilities(aws_sdk_ivschat::types::ChatTokenCapability::from(*cap));
    }
    req.send()
        .await
        .expect("CreateChatToken")
        .token()
        .expect("a token")
        .to_string()
}

/// Opens a connection with `protocols` as `Sec-WebSocket-Protocol`; the
/// handshake's error when it is refused.
pub async fn open_with(
    url: &str,
    protocols: Option<&str>,
) -> Result<
    (
        Socket,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    let mut request = url.into_client_request().expect("a ws URL");
    if let Some(p) = protocols {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_str(p).unwrap());
    }
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .expect("handshake within 10 s")
}

/// Opens a connection with `token`, checking the token is echoed back.
pub async fn open(url: &str, token: &str) -> Socket {
    let (socket, resp) = open_with(url, Some(token)).await.expect("handshake");
    assert_eq!(resp.status(), 101);
    assert_eq!(
        resp.headers()["sec-websocket-protocol"].to_str().unwrap(),
        token,
        "the token is echoed as the subprotocol"
    );
    socket
}

/// The HTTP status of a refused handshake.
pub async fn refused(url: &str, protocols: Option<&str>) -> u16 {
    match open_with(url, protocols).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("handshake failed without a status: {e}"),
        Ok(_) => panic!("handshake was accepted"),
    }
}

/// The next text frame, as JSON (panics on a close or after 10 s).
pub async fn frame(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the connection is open")
            .expect("a readable frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Sends a JSON text frame.
pub async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::text(frame.to_string()))
        .await
        .expect("send");
}

/// Reads until the connection ends (skipping frames); how it ended.
pub async fn end(socket: &mut Socket) -> End {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the connection ends within 10 s");
        match next {
            Some(Ok(Message::Close(Some(f)))) => {
                return End::Closed(f.code.into(), f.reason.to_string());
            }
            Some(Ok(Message::Close(None))) => return End::Closed(1005, String::new()),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return End::Dropped,
        }
    }
}

/// Asserts nothing arrives within `wait`.
pub async fn silent(socket: &mut Socket, wait: Duration) {
    if let Ok(Some(msg)) = tokio::time::timeout(wait, socket.next()).await {
        panic!("expected no frame, got {msg:?}");
    }
}
