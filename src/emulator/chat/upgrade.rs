//! The WebSocket handshake of the chat edge: the request's only
//! subprotocol is the chat token; a token that is unknown, already used or
//! expired is refused with 401 before any upgrade, and an accepted one is
//! echoed back in `Sec-WebSocket-Protocol` (the official client, `ws`,
//! undici and browsers all abort a handshake that does not echo it).
//!
//! The server sends every request carrying `Upgrade: websocket` here,
//! whatever its path, before the API pipeline: the handshake carries no
//! SigV4 signature, the token is the credential.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::super::app::App;
use super::session;
use super::tokens::Refusal;

/// The largest client frame read (a message is at most 500 characters).
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;

/// Whether a request asks for a WebSocket upgrade.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// Answers a handshake: 101 with the token echoed, or the refusal.
pub async fn upgrade(
    State(app): State<Arc<App>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let mut ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let offered: Vec<_> = ws.requested_protocols().cloned().collect();
    let token = match offered.as_slice() {
        [one] => match one.to_str() {
            Ok(t) if !t.is_empty() => t.to_string(),
            _ => return refuse(StatusCode::BAD_REQUEST, "The chat token is not readable"),
        },
        [] => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "A chat token is required as the only WebSocket subprotocol (Sec-WebSocket-Protocol)",
            );
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "The chat token must be the only WebSocket subprotocol",
            );
        }
    };
    let now = Utc::now();
    let grant = match app.chat_tokens.redeem(&token, now) {
        Ok(g) => g,
        Err(Refusal::Unknown) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "The chat token is not valid or was already used (each token opens one connection)",
            );
        }
        Err(Refusal::Expired) => {
            return refuse(StatusCode::UNAUTHORIZED, "The chat token has expired");
        }
    };
    if !app.rooms.exists(&grant.region, &grant.room_arn) {
        return refuse(StatusCode::NOT_FOUND, "The token's room no longer exists");
    }
    if let Some(v) = offered.into_iter().next() {
        ws.set_selected_protocol(v);
    }
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| session::run(app, grant, socket))
}
