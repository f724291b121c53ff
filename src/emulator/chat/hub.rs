//! The room fan-out: which chat connections are open in which room, a
//! bounded send queue per connection, and the room's message rate bucket.
//!
//! A frame is serialized once and shared by every connection of the room.
//! Each connection's queue holds at most [`DEFAULT_QUEUE`] frames (set by
//! the emulator's configuration); a connection whose queue is full when a
//! frame comes is a slow consumer: it is dropped without a close frame,
//! which the official client reads as a broken connection and answers by
//! reconnecting with a new token. So memory per connection stays bounded
//! however fast a room is fed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use super::rate::MessageRate;

/// Frames queued per connection by default.
pub const DEFAULT_QUEUE: usize = 256;

/// A serialized server frame, shared between the connections of a room.
pub type Frame = Arc<str>;

/// How the edge ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A close frame with this code and reason (1000: the client does not
    /// reconnect).
    Close(u16, &'static str),
    /// The connection is dropped without a close frame (the client
    /// reconnects): slow consumers and injected faults.
    Drop,
}

/// Why connections end, as close reasons.
pub mod reasons {
    /// `DisconnectUser` (HTTP or action).
    pub const DISCONNECTED: &str = "Disconnected by a moderator";
    /// `DeleteRoom`.
    pub const ROOM_DELETED: &str = "Room deleted";
    /// `sessionExpirationTime` reached.
    pub const SESSION_EXPIRED: &str = "Session expired";
    /// The emulator stops.
    pub const SHUTDOWN: &str = "Server shutting down";
}

#[derive(Debug)]
struct Member {
    id: u64,
    user_id: String,
    frames: mpsc::Sender<Frame>,
    ending: watch::Sender<Option<Ending>>,
}

#[derive(Debug)]
struct RoomEntry {
    members: Vec<Member>,
    rate: MessageRate,
}

/// One open connection's side of the hub.
#[derive(Debug)]
pub struct Membership {
    /// Unique for the life of the emulator.
    pub id: u64,
    /// The room's ARN.
    pub room_arn: String,
    /// Frames to send, in order.
    pub frames: mpsc::Receiver<Frame>,
    /// Set when the connection must end.
    pub ending: watch::Receiver<Option<Ending>>,
}

/// Counters of the chat edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubCounts {
    /// Connections open now.
    pub open: u64,
    /// Connections accepted since start.
    pub accepted: u64,
    /// Frames queued for sending since start.
    pub frames_queued: u64,
    /// Connections dropped because their queue was full.
    pub slow_consumers_dropped: u64,
}

/// All rooms' connections.
#[derive(Debug)]
pub struct ChatHub {
    rooms: Mutex<HashMap<String, RoomEntry>>,
    queue: usize,
    next: AtomicU64,
    frames: AtomicU64,
    slow: AtomicU64,
    live: AtomicU64,
}

impl Default for ChatHub {
    fn default() -> Self {
        Self::new(DEFAULT_QUEUE)
    }
}

impl ChatHub {
    /// A hub whose connections queue at most `queue` frames (at least 1).
    pub fn new(queue: usize) -> Self {
        Self {
            rooms: Mutex::new(HashMap::new()),
            queue: queue.max(1),
            next: AtomicU64::new(1),
            frames: AtomicU64::new(0),
            slow: AtomicU64::new(0),
            live: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RoomEntry>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection of `user_id` in `room_arn`.
    pub fn join(&self, room_arn: &str, user_id: &str) -> Membership {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.live.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.queue);
        let (end_tx, end_rx) = watch::channel(None);
        self.lock()
            .entry(room_arn.to_string())
            .or_insert_with(|| RoomEntry {
                members: Vec::new(),
                rate: MessageRate::new(Instant::now()),
            })
            .members
            .push(Member {
                id,
                user_id: user_id.to_string(),
                frames: tx,
                ending: end_tx,
            });
        Membership {
            id,
            room_arn: room_arn.to_string(),
            frames: rx,
            ending: end_rx,
        }
    }

    /// Forgets a connection when it has ended (call once per [`join`]); a
    /// room with no connection left is forgotten too.
    ///
    /// [`join`]: ChatHub::join
    pub fn leave(&self, room_arn: &str, id: u64) {
        self.live.fetch_sub(1, Ordering::Relaxed);
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(room_arn) {
            room.members.retain(|m| m.id != id);
            if room.members.is_empty() {
                rooms.remove(room_arn);
            }
        }
    }

    /// Queues `frame` for every connection of the room; returns how many
    /// got it. Slow consumers are dropped.
    pub fn broadcast(&self, room_arn: &str, frame: String) -> usize {
        let frame: Frame = frame.into();
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_arn) else {
            return 0;
        };
        let mut sent = 0;
        room.members.retain(|m| match m.frames.try_send(frame.clone()) {
            Ok(()) => {
                sent += 1;
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.slow.fetch_add(1, Ordering::Relaxed);
                tracing::info!(room = room_arn, user = %m.user_id, "slow chat consumer dropped");
                let _ = m.ending.send(Some(Ending::Drop));
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        self.frames.fetch_add(sent as u64, Ordering::Relaxed);
        sent
    }

    /// Ends every connection of `user_id` in the room; returns how many.
    pub fn end_user(&self, room_arn: &str, user_id: &str, how: Ending) -> usize {
        self.end_where(room_arn, how, |m| m.user_id == user_id)
    }

    /// Ends every connection of the room.
    pub fn end_room(&self, room_arn: &str, how: Ending) -> usize {
        self.end_where(room_arn, how, |_| true)
    }

    fn end_where(&self, room_arn: &str, how: Ending, which: impl Fn(&Member) -> bool) -> usize {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(room_arn) else {
            return 0;
        };
        let mut ended = 0;
        room.members.retain(|m| {
            if which(m) {
                let _ = m.ending.send(Some(how));
                ended += 1;
                false
            } else {
                true
            }
        });
        ended
    }

    /// Ends every connection of every room.
    pub fn end_all(&self, how: Ending) -> usize {
        let mut rooms = self.lock();
        let mut ended = 0;
        for (_, room) in rooms.drain() {
            for m in room.members {
                let _ = m.ending.send(Some(how));
                ended += 1;
            }
        }
        ended
    }

    /// Takes one message token of the room at `rate` per second.
    pub fn take_message_token(&self, room_arn: &str, rate: i64) -> bool {
        let mut rooms = self.lock();
        match rooms.get_mut(room_arn) {
            Some(room) => room.rate.take(rate, Instant::now()),
            None => true,
        }
    }

    /// Connections joined and not yet left, including those being closed.
    pub fn live(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    /// Connections open now (in a room's fan-out).
    pub fn open(&self) -> usize {
        self.lock().values().map(|r| r.members.len()).sum()
    }

    /// The counters.
    pub fn counts(&self) -> HubCounts {
        HubCounts {
            open: self.open() as u64,
            accepted: self.next.load(Ordering::Relaxed) - 1,
            frames_queued: self.frames.load(Ordering::Relaxed),
            slow_consumers_dropped: self.slow.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = "arn:aws:ivschat:us-west-2:1:room/a";

    #[tokio::test]
    async fn frames_reach_every_connection_of_the_room_only() {
        let hub = ChatHub::new(8);
        let mut a = hub.join(ROOM, "alice");
        let mut b = hub.join(ROOM, "bob");
        let mut other = hub.join("arn:aws:ivschat:us-west-2:1:room/b", "carol");
        assert_eq!(hub.broadcast(ROOM, "f1".into()), 2);
        assert_eq!(&*a.frames.recv().await.unwrap(), "f1");
        assert_eq!(&*b.frames.recv().await.unwrap(), "f1");
        assert!(other.frames.try_recv().is_err());
        hub.leave(ROOM, a.id);
        assert_eq!(hub.broadcast(ROOM, "f2".into()), 1);
        assert_eq!(hub.open(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_slow_consumer() {
        let hub = ChatHub::new(2);
        let slow = hub.join(ROOM, "slow");
        let mut fast = hub.join(ROOM, "fast");
        for i in 0..3 {
            hub.broadcast(ROOM, format!("f{i}"));
            assert_eq!(&*fast.frames.recv().await.unwrap(), format!("f{i}"));
        }
        assert_eq!(*slow.ending.borrow(), Some(Ending::Drop));
        assert_eq!(hub.counts().slow_consumers_dropped, 1);
        assert_eq!(hub.broadcast(ROOM, "f3".into()), 1);
    }

    #[tokio::test]
    async fn users_and_rooms_are_ended() {
        let hub = ChatHub::default();
        let bob1 = hub.join(ROOM, "bob");
        let bob2 = hub.join(ROOM, "bob");
        let alice = hub.join(ROOM, "alice");
        let close = Ending::Close(1000, reasons::DISCONNECTED);
        assert_eq!(hub.end_user(ROOM, "bob", close), 2);
        assert_eq!(*bob1.ending.borrow(), Some(close));
        assert_eq!(*bob2.ending.borrow(), Some(close));
        assert_eq!(*alice.ending.borrow(), None);
        assert_eq!(hub.end_room(ROOM, Ending::Close(1000, "x")), 1);
        assert_eq!(hub.open(), 0);
        let late = hub.join(ROOM, "late");
        assert_eq!(hub.end_all(Ending::Drop), 1);
        assert_eq!(*late.ending.borrow(), Some(Ending::Drop));
        assert_eq!(hub.counts().accepted, 4);
    }
}
