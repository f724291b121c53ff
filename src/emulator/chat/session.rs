//! One chat connection after the handshake: it joins its room's fan-out,
//! sends the room's frames in order, serves the client's actions, and ends
//! the way the service does.
//!
//! Endings:
//! - `sessionExpirationTime` reached, `DisconnectUser`, `DeleteRoom`: a
//!   close frame with code 1000 (the official client then reports
//!   `serverDisconnect` and does not reconnect); 1001 when the emulator
//!   stops.
//! - a full send queue (slow consumer), a write that does not finish within
//!   [`WRITE_TIMEOUT`], or an injected chat fault: the connection is dropped
//!   without a close frame (the client reports a broken connection and
//!   reconnects with a new token).
//!
//! The token's own expiry does not end a session: it only bounds when the
//! token may connect. A client refreshing its token opens a second
//! connection for the same user, which is simply another member of the
//! room until it closes the first.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use chrono::Utc;

use super::super::app::App;
use super::super::faults::Fault;
use super::super::rooms::random_id;
use super::actions::{self, Edge};
use super::frames::{ErrorCode, error_text, parse_request};
use super::hub::{Ending, Membership, reasons};
use super::tokens::Grant;

/// How long one frame may take to be written before the connection is
/// dropped as a slow consumer.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the client gets to answer a close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Leaves the room's fan-out when the connection ends, however it ends.
struct Leave {
    app: Arc<App>,
    room_arn: String,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.app.chat.leave(&self.room_arn, self.id);
    }
}

/// Serves one upgraded connection until it ends.
pub async fn run(app: Arc<App>, grant: Grant, mut socket: WebSocket) {
    let mut member = app.chat.join(&grant.room_arn, &grant.user_id);
    let _leave = Leave {
        app: app.clone(),
        room_arn: member.room_arn.clone(),
        id: member.id,
    };
    tracing::debug!(room = %grant.room_arn, user = %grant.user_id, "chat connection open");
    let ending = drive(&app, &grant, &mut socket, &mut member).await;
    tracing::debug!(room = %grant.room_arn, user = %grant.user_id, ?ending, "chat connection ends");
    if let Some(Ending::Close(code, reason)) = ending {
        close(&mut socket, code, reason).await;
    }
}

/// Sends a close frame and waits (briefly) for the client's.
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        if socket.send(frame).await.is_ok() {
            while let Some(Ok(_)) = socket.recv().await {}
        }
    })
    .await;
}

async fn send(socket: &mut WebSocket, text: &str) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::text(text))).await,
        Ok(Ok(()))
    )
}

/// The connection's loop; returns how it must end (`None`: it is gone).
async fn drive(
    app: &App,
    grant: &Grant,
    socket: &mut WebSocket,
    member: &mut Membership,
) -> Option<Ending> {
    let left = (grant.session_expires - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    let expiry = tokio::time::sleep(left);
    tokio::pin!(expiry);
    let edge = Edge {
        hub: &app.chat,
        rooms: &app.rooms,
    };
    loop {
        tokio::select! {
            biased;
            _ = member.ending.changed() => {
                // A hub that forgot the connection without a word drops it.
                let how = member.ending.borrow().unwrap_or(Ending::Drop);
                if how == Ending::Drop {
                    return None;
                }
                // What was queued before the close goes out first (the
                // DisconnectUser event reaches the user it disconnects).
                while let Ok(frame) = member.frames.try_recv() {
                    if !send(socket, &frame).await {
                        return None;
                    }
                }
                return Some(how);
            }
            () = &mut expiry => return Some(Ending::Close(1000, reasons::SESSION_EXPIRED)),
            frame = member.frames.recv() => {
                let frame = frame?;
                if app.faults.drop_chat_connection(&grant.room_arn) {
                    app.stats.fault(Fault::ChatDrop);
                    return None;
                }
                if !send(socket, &frame).await {
                    return None;
                }
            }
            incoming = socket.recv() => {
                let reply = match incoming? {
                    Ok(Message::Close(_)) => {
                        // Reading on lets the close reply go out.
                        let _ = tokio::time::timeout(CLOSE_GRACE, async {
                            while let Some(Ok(_)) = socket.recv().await {}
                        })
                        .await;
                        return None;
                    }
                    Ok(msg) => answer(edge, grant, msg),
                    Err(e) => {
                        tracing::debug!(error = %e, "chat connection read failed");
                        return None;
                    }
                };
                if let Some(reply) = reply
                    && !send(socket, &reply).await
                {
                    return None;
                }
            }
        }
    }
}

/// The answer to one client frame: an `ERROR` frame, or nothing (the
/// action's broadcast is the answer).
fn answer(edge: Edge<'_>, grant: &Grant, msg: Message) -> Option<String> {
    let bad = |rid: Option<&str>, m: &str| {
        Some(error_text(&random_id(12), rid, ErrorCode::BadRequest, m))
    };
    match msg {
        Message::Text(text) => match parse_request(text.as_str()) {
            Ok(request) => actions::serve(edge, grant, request, Utc::now()),
            Err(e) => bad(e.request_id.as_deref(), &e.message),
        },
        Message::Binary(_) => bad(None, "Frames must be JSON text"),
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => None,
    }
}
