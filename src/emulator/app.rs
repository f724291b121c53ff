//! The shared state of one emulator instance: keys, rooms, quotas, faults,
//! the delivery record, the counters and the chat edge's tokens and
//! connections, built from an [`EmulatorConfig`].

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::call::ResourceQuotas;
use super::chat::hub::ChatHub;
use super::chat::tokens::TokenStore;
use super::config::{Credential, EmulatorConfig, RoomSeed};
use super::faults::Faults;
use super::logging::LoggingStore;
use super::quota::Quotas;
use super::record::Record;
use super::rooms::{Room, RoomStore};
use super::stats::Stats;
use crate::service::arn::RoomArn;

/// State shared by every connection.
#[derive(Debug)]
pub struct App {
    /// Account of keys that name none.
    pub account: String,
    /// Accepted keys by access key id.
    pub credentials: HashMap<String, Credential>,
    /// Create unknown rooms on first use.
    pub auto_create: bool,
    /// Cap on request bodies.
    pub max_body: usize,
    /// Time allowed for a body to arrive.
    pub body_timeout: Duration,
    /// Tolerated clock skew of signatures.
    pub max_skew: TimeDelta,
    /// Rooms of every region.
    pub rooms: RoomStore,
    /// Logging configurations of every region.
    pub logging: LoggingStore,
    /// Resource-count quotas.
    pub resource_quotas: ResourceQuotas,
    /// One minute of a chat session.
    pub chat_minute: TimeDelta,
    /// Token buckets.
    pub quotas: Quotas,
    /// Fault injection.
    pub faults: Faults,
    /// Delivered events.
    pub record: Record,
    /// Counters.
    pub stats: Stats,
    /// Chat tokens not used yet.
    pub chat_tokens: TokenStore,
    /// Open chat connections by room.
    pub chat: ChatHub,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl App {
    /// Builds the state; fails on an invalid fault setting or room ARN, or
    /// when the events log cannot be opened.
    pub fn new(config: EmulatorConfig) -> io::Result<Self> {
        config.faults.validate().map_err(invalid)?;
        if config.credentials.is_empty() {
            return Err(invalid("at least one credential is needed".into()));
        }
        let record = Record::open(config.keep_events, config.events_log.as_deref())?;
        let app = Self {
            account: config.account,
            credentials: config
                .credentials
                .into_iter()
                .map(|c| (c.access_key_id.clone(), c))
                .collect(),
            auto_create: config.auto_create_rooms,
            max_body: config.max_body_bytes,
            body_timeout: config.body_timeout,
            max_skew: TimeDelta::from_std(config.max_clock_skew)
                .unwrap_or(super::sigv4::DEFAULT_MAX_SKEW),
            rooms: RoomStore::new(),
            logging: LoggingStore::new(),
            chat_minute: TimeDelta::from_std(config.chat_minute).unwrap_or(TimeDelta::minutes(1)),
            resource_quotas: ResourceQuotas {
                rooms: config.max_rooms,
                logging_configurations: config.max_logging_configurations,
            },
            quotas: Quotas::new(config.quotas),
            faults: Faults::new(config.faults, config.keep_fault_log),
            record,
            stats: Stats::default(),
            chat_tokens: TokenStore::new(config.max_chat_tokens),
            chat: ChatHub::new(config.chat_queue),
        };
        for seed in &config.rooms {
            app.add_room(seed).map_err(invalid)?;
        }
        Ok(app)
    }

    /// Adds a room from a seed (rooms file entry or ARN).
    pub fn add_room(&self, seed: &RoomSeed) -> Result<(), String> {
        let arn = RoomArn::parse(seed.arn()).map_err(|e| e.to_string())?;
        if !arn.is_known_region() {
            return Err(format!(
                "room {arn} is in `{}`, which is not an IVS Chat region",
                arn.region
            ));
        }
        let mut room = Room::new(&arn, Utc::now());
        if let RoomSeed::Room(spec) = seed {
            if let Some(n) = &spec.name {
                room.name = n.clone();
            }
            room.tags = spec.tags.clone();
            if let Some(v) = spec.maximum_message_rate_per_second {
                room.maximum_message_rate_per_second = v;
            }
            if let Some(v) = spec.maximum_message_length {
                room.maximum_message_length = v;
            }
            if let Some(t) = spec.update_time {
                room.create_time = t;
                room.update_time = t;
            }
        }
        self.rooms.insert(room);
        Ok(())
    }

    /// Whether the key may call `op` (an unknown key may not).
    pub fn may_call(&self, access_key_id: &str, op: &str) -> bool {
        self.credentials.get(access_key_id).is_some_and(|c| {
            c.allowed_operations
                .as_ref()
                .is_none_or(|ops| ops.iter().any(|o| o == op))
        })
    }

    /// The account an access key belongs to.
    pub fn account_of(&self, access_key_id: &str) -> &str {
        self.credentials
            .get(access_key_id)
            .and_then(|c| c.account.as_deref())
            .unwrap_or(&self.account)
    }
}
