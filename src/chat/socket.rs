//! One chat connection: a WebSocket upgrade whose one and only subprotocol
//! is the chat token (the server must echo it, as CHAT-PROTOCOL.md says),
//! over TLS with the system's root certificates for `wss://`.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Error as WsError};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// An open chat connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    /// The HTTP status the server refused the upgrade with, if it answered.
    pub status: Option<u16>,
    /// What happened, in words (never the token).
    pub message: String,
}

impl OpenError {
    /// Whether trying again (with a new token) may work: not when the room
    /// does not exist or access is denied.
    pub fn retryable(&self) -> bool {
        !matches!(self.status, Some(403 | 404))
    }
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::redact::redact(&self.message))
    }
}

/// Opens a connection to `url` with `token`, within `timeout`.
pub async fn open(url: &str, token: &str, timeout: Duration) -> Result<Socket, OpenError> {
    let mut request = url.into_client_request().map_err(|e| OpenError {
        status: None,
        message: format!("{url} is not a WebSocket URL: {e}"),
    })?;
    let protocol = HeaderValue::from_str(token).map_err(|_| OpenError {
        status: None,
        message: "the chat token is not a valid header value".into(),
    })?;
    request
        .headers_mut()
        .insert(tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL, protocol);
    let connect = tokio_tungstenite::connect_async(request);
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(OpenError {
            status: None,
            message: format!("no connection to {url} within {} ms", timeout.as_millis()),
        }),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(WsError::Http(response))) => {
            let status = response.status().as_u16();
            Err(OpenError {
                status: Some(status),
                message: format!("{url} refused the chat connection: HTTP {status}"),
            })
        }
        Ok(Err(e)) => Err(OpenError {
            status: None,
            message: format!("cannot connect to {url}: {e}"),
        }),
    }
}
