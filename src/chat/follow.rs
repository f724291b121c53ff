//! Rooms followed across reconnects, the way the official client does it:
//! a connection that breaks (closed with a code other than 1000, or lost)
//! is opened again with a new token; one closed cleanly (1000: session
//! expired, user disconnected, room deleted) ends, as the official client's
//! `serverDisconnect` does; an `ERROR` 401 (token expired) asks for a new
//! token. Opening is tried [`Reconnect::attempts`] times in a row (the
//! official client's `maxReconnectAttempts` is 3), with an exponential,
//! jittered backoff between tries; a successful open starts the count
//! again.
//!
//! Every room is one task; they all report to one bounded channel, so a
//! slow reader slows the sockets down rather than queueing frames without
//! end.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use rand::Rng as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::edge::EdgeUrls;
use super::frame::Frame;
use super::socket::{self, Socket};
use super::token::Tokens;
use crate::service::arn::RoomArn;

/// How connections are opened again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reconnect {
    /// Tries in a row before a room is given up.
    pub attempts: u32,
    /// The first backoff; each try doubles it.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// Time allowed for one connection to open.
    pub open_timeout: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            attempts: 3,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(5),
            open_timeout: Duration::from_secs(10),
        }
    }
}

impl Reconnect {
    /// The wait before try `n` (from 1): up to `base · 2^(n-1)`, at most
    /// `cap`, full jitter over its upper half.
    fn delay(&self, n: u32) -> Duration {
        let max = self
            .base
            .saturating_mul(1 << n.saturating_sub(1).min(16))
            .min(self.cap);
        let half = max / 2;
        half + max
            .saturating_sub(half)
            .mul_f64(rand::rng().random::<f64>())
    }
}

/// What a followed room reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A frame arrived.
    Frame {
        /// The room.
        room: Arc<str>,
        /// When it arrived.
        at: DateTime<Utc>,
        /// The frame.
        frame: Frame,
    },
    /// The room's connection changed.
    State {
        /// The room.
        room: Arc<str>,
        /// How.
        state: State,
    },
}

/// A room's connection, as it changes.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Connected (again): frames from now on arrive.
    Connected,
    /// The connection broke or could not be opened; trying again.
    Reconnecting {
        /// Try number, from 1.
        attempt: u32,
        /// Why.
        why: String,
    },
    /// No more frames will come from this room.
    Ended {
        /// Why.
        why: String,
        /// Closed by the server on purpose (1000), not given up.
        clean: bool,
    },
}

/// Follows every room in `rooms` until each ends or the receiver is
/// dropped. Tokens come from `tokens`, URLs from `edge`; notes go to the
/// returned channel, holding at most `buffer` not yet read.
pub fn follow_rooms(
    rooms: Vec<RoomArn>,
    tokens: Arc<Tokens>,
    edge: EdgeUrls,
    policy: Reconnect,
    buffer: usize,
) -> mpsc::Receiver<Note> {
    let (tx, rx) = mpsc::channel(buffer.max(1));
    for room in rooms {
        let url = edge.url(&room.region);
        let follower = Follower {
            room: Arc::from(room.arn.as_str()),
            arn: room,
            url,
            tokens: tokens.clone(),
            policy,
            tx: tx.clone(),
        };
        tokio::spawn(follower.run());
    }
    rx
}

/// One room's connection, reopened as needed.
struct Follower {
    room: Arc<str>,
    arn: RoomArn,
    url: String,
    tokens: Arc<Tokens>,
    policy: Reconnect,
    tx: mpsc::Sender<Note>,
}

/// How a connection ended.
enum Closed {
    /// Closed on purpose by the server (1000, or a clean close).
    Clean(String),
    /// Broken: open it again.
    Broken(String),
    /// Nobody reads the notes any more.
    Unread,
}

impl Follower {
    async fn state(&self, state: State) -> bool {
        self.tx
            .send(Note::State {
                room: self.room.clone(),
                state,
            })
            .await
            .is_ok()
    }

    async fn run(self) {
        let mut failures = 0u32;
        loop {
            match self.open().await {
                Ok(socket) => {
                    failures = 0;
                    if !self.state(State::Connected).await {
                        return;
                    }
                    match self.read(socket).await {
                        Closed::Unread => return,
                        Closed::Clean(why) => {
                            self.state(State::Ended { why, clean: true }).await;
                            return;
                        }
                        Closed::Broken(why) => {
                            if !self.state(State::Reconnecting { attempt: 1, why }).await {
                                return;
                            }
                        }
                    }
                }
                Err((why, retryable)) => {
                    failures += 1;
                    if !retryable || failures > self.policy.attempts {
                        let why = if retryable {
                            format!("{why} (gave up after {} tries)", failures)
                        } else {
                            why
                        };
                        self.state(State::Ended { why, clean: false }).await;
                        return;
                    }
                    if !self
                        .state(State::Reconnecting {
                            attempt: failures,
                            why,
                        })
                        .await
                    {
                        return;
                    }
                    tokio::time::sleep(self.policy.delay(failures)).await;
                }
            }
        }
    }

    /// A new token, then a connection. `Err((why, retryable))`.
    async fn open(&self) -> Result<Socket, (String, bool)> {
        let token = self
            .tokens
            .view_token(&self.arn)
            .await
            .map_err(|e| (format!("CreateChatToken failed: {e}"), e.retryable))?;
        socket::open(&self.url, &token, self.policy.open_timeout)
            .await
            .map_err(|e| (e.to_string(), e.retryable()))
    }

    /// Reads frames until the connection ends.
    async fn read(&self, mut socket: Socket) -> Closed {
        while let Some(message) = socket.next().await {
            let text = match message {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(frame)) => {
                    return match frame {
                        Some(f) if f.code == CloseCode::Normal => {
                            Closed::Clean(format!("closed by the server (1000 {})", f.reason))
                        }
                        None => Closed::Clean("closed by the server".into()),
                        Some(f) => Closed::Broken(format!(
                            "closed by the server ({} {})",
                            u16::from(f.code),
                            f.reason
                        )),
                    };
                }
                // Pings are answered by the library; nothing else is a frame.
                Ok(_) => continue,
                Err(e) => return Closed::Broken(format!("connection lost: {e}")),
            };
            let frame = match Frame::parse(&text) {
                Ok(f) => f,
                Err(why) => {
                    tracing::warn!(room = %self.room, "ignored {why}");
                    continue;
                }
            };
            // The token expired: the official client reconnects with a new one.
            let expired = frame.kind() == Some("ERROR") && frame.error_code() == Some(401);
            let note = Note::Frame {
                room: self.room.clone(),
                at: Utc::now(),
                frame,
            };
            if self.tx.send(note).await.is_err() {
                let _ = socket.close(None).await;
                return Closed::Unread;
            }
            if expired {
                let _ = socket.close(None).await;
                return Closed::Broken("the token expired (ERROR 401)".into());
            }
        }
        Closed::Broken("connection lost".into())
    }
}
