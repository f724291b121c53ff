//! The chat token store: what `CreateChatToken` hands out and the edge
//! redeems at the WebSocket handshake.
//!
//! A token binds a connection to its room, user, capabilities and
//! attributes; nothing else in the handshake names them. Each token can be
//! used once (as the service documents), and only before its
//! `tokenExpirationTime`. The session it opens lasts until its
//! `sessionExpirationTime`.
//!
//! Memory is bounded: expired tokens are swept whenever a token is issued,
//! and at most [`DEFAULT_MAX_TOKENS`] (configurable) unused tokens are kept;
//! past that, the one closest to expiry is forgotten first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;

/// Unused tokens kept at most, by default. Far above what a test or demo
/// holds at once; an unbounded store would grow with every token never used.
pub const DEFAULT_MAX_TOKENS: usize = 100_000;

/// One capability of `CreateChatToken`'s `capabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// May send messages.
    SendMessage,
    /// May delete messages.
    DeleteMessage,
    /// May disconnect users.
    DisconnectUser,
}

impl Capability {
    /// The capability of a model enum value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SEND_MESSAGE" => Some(Self::SendMessage),
            "DELETE_MESSAGE" => Some(Self::DeleteMessage),
            "DISCONNECT_USER" => Some(Self::DisconnectUser),
            _ => None,
        }
    }

    /// The model enum value (also the client action's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendMessage => "SEND_MESSAGE",
            Self::DeleteMessage => "DELETE_MESSAGE",
            Self::DisconnectUser => "DISCONNECT_USER",
        }
    }
}

/// What a token grants: the session a connection opened with it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The room's ARN.
    pub room_arn: String,
    /// The region of the room (and of the `CreateChatToken` request).
    pub region: String,
    /// `userId`.
    pub user_id: String,
    /// `capabilities`, without duplicates.
    pub capabilities: Vec<Capability>,
    /// `attributes` (the sender's attributes on its messages).
    pub attributes: IndexMap<String, String>,
    /// Until when the token may open a connection.
    pub token_expires: DateTime<Utc>,
    /// When a connection opened with it is closed.
    pub session_expires: DateTime<Utc>,
}

impl Grant {
    /// Whether the token carries `cap`.
    pub fn can(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }
}

/// Why a token does not open a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, already used, or forgotten.
    Unknown,
    /// Past its `tokenExpirationTime`.
    Expired,
}

#[derive(Debug, Default)]
struct Inner {
    by_token: HashMap<String, (Grant, u64)>,
    by_expiry: BTreeMap<(DateTime<Utc>, u64), String>,
    next: u64,
}

/// Unused tokens.
#[derive(Debug)]
pub struct TokenStore {
    inner: Mutex<Inner>,
    max: usize,
}

impl Default for TokenStore {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_TOKENS)
    }
}

impl TokenStore {
    /// A store keeping at most `max` unused tokens (at least one).
    pub fn new(max: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max: max.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `grant` under `token`, sweeping expired tokens and keeping
    /// the store within its cap.
    pub fn issue(&self, token: String, grant: Grant, now: DateTime<Utc>) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        while let Some(entry) = inner.by_expiry.first_entry() {
            if entry.key().0 > now && inner.by_token.len() < self.max {
                break;
            }
            let gone = entry.remove();
            inner.by_token.remove(&gone);
        }
        let n = inner.next;
        inner.next += 1;
        inner
            .by_expiry
            .insert((grant.token_expires, n), token.clone());
        inner.by_token.insert(token, (grant, n));
    }

    /// Uses a token: its grant if it is known and not expired. Either way
    /// the token cannot be used again.
    pub fn redeem(&self, token: &str, now: DateTime<Utc>) -> Result<Grant, Refusal> {
        let mut inner = self.lock();
        let (grant, n) = inner.by_token.remove(token).ok_or(Refusal::Unknown)?;
        inner.by_expiry.remove(&(grant.token_expires, n));
        if grant.token_expires <= now {
            return Err(Refusal::Expired);
        }
        Ok(grant)
    }

    /// Unused tokens held now.
    pub fn len(&self) -> usize {
        self.lock().by_token.len()
    }

    /// Whether no unused token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn grant(now: DateTime<Utc>, minutes: i64) -> Grant {
        Grant {
            room_arn: "arn:aws:ivschat:us-west-2:1:room/a".into(),
            region: "us-west-2".into(),
            user_id: "u".into(),
            capabilities: vec![Capability::SendMessage],
            attributes: IndexMap::new(),
            token_expires: now + TimeDelta::minutes(minutes),
            session_expires: now + TimeDelta::minutes(minutes),
        }
    }

    #[test]
    fn a_token_opens_one_connection() {
        let store = TokenStore::default();
        let now = Utc::now();
        store.issue("t1".into(), grant(now, 5), now);
        assert_eq!(store.redeem("t1", now).unwrap().user_id, "u");
        assert_eq!(store.redeem("t1", now), Err(Refusal::Unknown));
        assert_eq!(store.redeem("never", now), Err(Refusal::Unknown));
        assert!(store.is_empty());
    }

    #[test]
    fn expired_tokens_are_refused_and_swept() {
        let store = TokenStore::default();
        let now = Utc::now();
        store.issue("old".into(), grant(now, 1), now);
        let later = now + TimeDelta::minutes(2);
        assert_eq!(store.redeem("old", later), Err(Refusal::Expired));
        store.issue("a".into(), grant(now, 1), now);
        store.issue("b".into(), grant(later, 5), later);
        assert_eq!(store.len(), 1, "the expired token was swept");
        assert!(store.redeem("b", later).is_ok());
    }

    #[test]
    fn the_store_is_capped_soonest_expiry_first() {
        let store = TokenStore::new(3);
        let now = Utc::now();
        for (i, minutes) in [50, 10, 30, 40, 20].into_iter().enumerate() {
            store.issue(format!("t{i}"), grant(now, minutes), now);
        }
        assert_eq!(store.len(), 3);
        // Issuing t3 forgot t1 (10 min), the soonest to expire then; issuing
        // t4 forgot t2 (30 min), the soonest of t0, t2, t3.
        assert_eq!(store.redeem("t1", now), Err(Refusal::Unknown));
        assert_eq!(store.redeem("t2", now), Err(Refusal::Unknown));
        assert!(store.redeem("t0", now).is_ok());
        assert!(store.redeem("t3", now).is_ok());
        assert!(store.redeem("t4", now).is_ok());
    }

    #[test]
    fn capabilities_round_trip() {
        for c in [
            Capability::SendMessage,
            Capability::DeleteMessage,
            Capability::DisconnectUser,
        ] {
            assert_eq!(Capability::parse(c.as_str()), Some(c));
        }
        assert_eq!(Capability::parse("VIEW"), None);
        assert!(grant(Utc::now(), 1).can(Capability::SendMessage));
        assert!(!grant(Utc::now(), 1).can(Capability::DisconnectUser));
    }
}
