//! Fault injection: reproducible throttles, 500/503 replies, latency and
//! connections closed without a reply, plus the log of every fault decision
//! with whether the event was delivered.
//!
//! Each API request (after its signature checks out) draws one number from a
//! seeded generator and falls into at most one fault: the first
//! `throttleRate` of the unit interval throttles, the next `errorRate`
//! answers 500 or 503, the next `dropRate` closes the connection. A fault
//! that answers early (throttle, error, drop before delivery) happens before
//! the operation runs, so nothing is delivered; `dropMode: after` runs the
//! operation first and then closes the connection, which is how a client sees
//! an unknown outcome. With a seed and one request at a time, the sequence of
//! decisions is the same on every run.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::operation::Operation;

/// When a dropped connection is closed relative to the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DropMode {
    /// Before the operation runs: nothing happened.
    #[default]
    Before,
    /// After the operation ran: the event was delivered but the client never
    /// hears so.
    After,
}

/// The fault settings; the JSON shape of `PUT /_emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Fraction of requests answered with `ThrottlingException` (0..=1).
    pub throttle_rate: f64,
    /// Fraction of requests answered with a 500 or 503 (0..=1).
    pub error_rate: f64,
    /// The statuses error faults pick from, uniformly: 500 and/or 503.
    pub error_statuses: Vec<u16>,
    /// Fraction of requests whose connection is closed without a reply.
    pub drop_rate: f64,
    /// Whether a dropped request is processed first.
    pub drop_mode: DropMode,
    /// Fixed latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Extra random latency, uniform in `0..=jitterMs` milliseconds.
    pub jitter_ms: u64,
    /// Operations the faults apply to (model names); empty means all.
    pub operations: Vec<String>,
    /// Reseeds the generator when set (on start and on every update).
    pub seed: Option<u64>,
    /// Fraction of frames to chat connections that, instead of being sent,
    /// drop their connection without a close frame (0..=1): the official
    /// client then reconnects with a new token.
    pub chat_drop_rate: f64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            throttle_rate: 0.0,
            error_rate: 0.0,
            error_statuses: vec![500, 503],
            drop_rate: 0.0,
            drop_mode: DropMode::Before,
            latency_ms: 0,
            jitter_ms: 0,
            operations: Vec::new(),
            seed: None,
            chat_drop_rate: 0.0,
        }
    }
}

impl FaultConfig {
    /// Checks rates, statuses and operation names.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("throttleRate", self.throttle_rate),
            ("errorRate", self.error_rate),
            ("dropRate", self.drop_rate),
            ("chatDropRate", self.chat_drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        let total = self.throttle_rate + self.error_rate + self.drop_rate;
        if total > 1.0 + 1e-9 {
            return Err(format!(
                "throttleRate + errorRate + dropRate must be at most 1, got {total}"
            ));
        }
        if self.error_rate > 0.0 && self.error_statuses.is_empty() {
            return Err("errorStatuses must not be empty when errorRate > 0".into());
        }
        if let Some(bad) = self
            .error_statuses
            .iter()
            .find(|s| **s != 500 && **s != 503)
        {
            return Err(format!(
                "errorStatuses may hold 500 and 503 only, got {bad}"
            ));
        }
        if let Some(bad) = self
            .operations
            .iter()
            .find(|o| Operation::from_name(o).is_none())
        {
            return Err(format!("unknown operation `{bad}` in operations"));
        }
        Ok(())
    }

    /// Whether any fault or latency is configured.
    pub fn is_active(&self) -> bool {
        self.throttle_rate > 0.0
            || self.error_rate > 0.0
            || self.drop_rate > 0.0
            || self.latency_ms > 0
            || self.jitter_ms > 0
    }

    fn applies_to(&self, op: Operation) -> bool {
        self.operations.is_empty() || self.operations.iter().any(|o| o == op.name())
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `ThrottlingException` without running the operation.
    Throttle,
    /// Answer 500 or 503 without running the operation.
    Error(u16),
    /// Close the connection without running the operation.
    DropBeforeDelivery,
    /// Run the operation, then close the connection without replying.
    DropAfterDelivery,
    /// Drop a chat connection instead of sending it a frame.
    ChatDrop,
}

/// The `operation` of chat faults in the fault log.
pub const CHAT_FAULT_OPERATION: &str = "chat";

impl Fault {
    /// Name used in the fault log and the stats.
    pub fn name(self) -> &'static str {
        match self {
            Self::Throttle => "throttle",
            Self::Error(503) => "error503",
            Self::Error(_) => "error500",
            Self::DropBeforeDelivery => "dropBeforeDelivery",
            Self::DropAfterDelivery => "dropAfterDelivery",
            Self::ChatDrop => "chatDrop",
        }
    }
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Added latency before the request is handled further.
    pub delay: Duration,
    /// The fault, if any.
    pub fault: Option<Fault>,
}

/// One entry of the fault log (`GET /_emulator/faults/log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRecord {
    /// 1-based position among all fault decisions.
    pub seq: u64,
    /// When, RFC 3339 with milliseconds.
    pub time: String,
    /// The request's `x-amzn-RequestId`.
    pub request_id: String,
    /// Operation name.
    pub operation: String,
    /// `throttle`, `error500`, `error503`, `dropBeforeDelivery`, `dropAfterDelivery`.
    pub fault: String,
    /// Whether the operation took effect (for SendEvent: the event was
    /// delivered and is in the delivery record).
    pub delivered: bool,
    /// The event id when an event was delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The room the request named, when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_arn: Option<String>,
}

/// The live fault settings, the seeded generator and the fault log.
#[derive(Debug)]
pub struct Faults {
    config: RwLock<Arc<FaultConfig>>,
    rng: Mutex<StdRng>,
    log: Mutex<FaultLog>,
}

#[derive(Debug)]
struct FaultLog {
    entries: VecDeque<FaultRecord>,
    keep: usize,
    next_seq: u64,
}

impl Faults {
    /// Starts with `config` (which must be valid) and keeps `keep_log`
    /// decisions.
    pub fn new(config: FaultConfig, keep_log: usize) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            config: RwLock::new(Arc::new(config)),
            rng: Mutex::new(rng),
            log: Mutex::new(FaultLog {
                entries: VecDeque::new(),
                keep: keep_log,
                next_seq: 1,
            }),
        }
    }

    /// The current settings.
    pub fn config(&self) -> FaultConfig {
        (**self.config.read().unwrap_or_else(|e| e.into_inner())).clone()
    }

    /// Replaces the settings; reseeds when the new ones carry a seed.
    pub fn set(&self, config: FaultConfig) -> Result<(), String> {
        config.validate()?;
        if let Some(seed) = config.seed {
            *self.rng.lock().unwrap_or_else(|e| e.into_inner()) = StdRng::seed_from_u64(seed);
        }
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// Decides the fate of one request to `op`.
    pub fn decide(&self, op: Operation) -> Decision {
        let config = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if !config.is_active() || !config.applies_to(op) {
            return Decision::default();
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut delay = Duration::from_millis(config.latency_ms);
        if config.jitter_ms > 0 {
            delay += Duration::from_millis(rng.random_range(0..=config.jitter_ms));
        }
        let u: f64 = rng.random();
        let throttle_edge = config.throttle_rate;
        let error_edge = throttle_edge + config.error_rate;
        let drop_edge = error_edge + config.drop_rate;
        let fault = if u < throttle_edge {
            Some(Fault::Throttle)
        } else if u < error_edge {
            let i = rng.random_range(0..config.error_statuses.len().max(1));
            Some(Fault::Error(
                config.error_statuses.get(i).copied().unwrap_or(500),
            ))
        } else if u < drop_edge {
            Some(match config.drop_mode {
                DropMode::Before => Fault::DropBeforeDelivery,
                DropMode::After => Fault::DropAfterDelivery,
            })
        } else {
            None
        };
        Decision { delay, fault }
    }

    /// Whether the next frame to a chat connection of `room_arn` drops the
    /// connection instead (an injected chat fault, logged and counted as
    /// `chatDrop`).
    pub fn drop_chat_connection(&self, room_arn: &str) -> bool {
        let rate = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .chat_drop_rate;
        if rate <= 0.0 {
            return false;
        }
        let u: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
        if u >= rate {
            return false;
        }
        self.log(FaultRecord {
            seq: 0,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: String::new(),
            operation: CHAT_FAULT_OPERATION.to_string(),
            fault: Fault::ChatDrop.name().to_string(),
            delivered: false,
            event_id: None,
            room_arn: Some(room_arn.to_string()),
        });
        true
    }

    /// Appends a decision to the fault log.
    pub fn log(&self, mut record: FaultRecord) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        record.seq = log.next_seq;
        log.next_seq += 1;
        if log.keep == 0 {
            return;
        }
        if log.entries.len() >= log.keep {
            log.entries.pop_front();
        }
        log.entries.push_back(record);
    }

    /// The kept fault decisions, oldest first.
    pub fn records(&self) -> Vec<FaultRecord> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.entries.iter().cloned().collect()
    }

    /// Empties the fault log.
    pub fn clear_log(&self) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: FaultConfig, n: usize) -> Vec<Decision> {
        let f = Faults::new(config, 10);
        (0..n).map(|_| f.decide(Operation::SendEvent)).collect()
    }

    #[test]
    fn seeded_decisions_repeat() {
        let config = FaultConfig {
            throttle_rate: 0.25,
            error_rate: 0.25,
            drop_rate: 0.25,
            jitter_ms: 5,
            seed: Some(7),
            ..FaultConfig::default()
        };
        let a = run(config.clone(), 500);
        assert_eq!(a, run(config, 500));
        let count = |want: fn(&Option<Fault>) -> bool| a.iter().filter(|d| want(&d.fault)).count();
        for n in [
            count(|f| *f == Some(Fault::Throttle)),
            count(|f| matches!(f, Some(Fault::Error(_)))),
            count(|f| *f == Some(Fault::DropBeforeDelivery)),
            count(Option::is_none),
        ] {
            assert!((75..=175).contains(&n), "{n}");
        }
        assert!(a.iter().all(|d| d.delay <= Duration::from_millis(5)));
    }

    #[test]
    fn off_by_default_and_filtered_by_operation() {
        assert!(
            run(FaultConfig::default(), 100)
                .iter()
                .all(|d| *d == Decision::default())
        );
        let f = Faults::new(
            FaultConfig {
                error_rate: 1.0,
                error_statuses: vec![503],
                operations: vec!["GetRoom".into()],
                ..FaultConfig::default()
            },
            10,
        );
        assert_eq!(f.decide(Operation::SendEvent).fault, None);
        assert_eq!(f.decide(Operation::GetRoom).fault, Some(Fault::Error(503)));
    }

    #[test]
    fn validation_rejects_nonsense() {
        let bad = |c: FaultConfig| c.validate().is_err();
        assert!(bad(FaultConfig {
            throttle_rate: 1.5,
            ..Default::default()
        }));
        assert!(bad(FaultConfig {
            throttle_rate: -0.1,
            ..Default::default()
        }));
        assert!(bad(FaultConfig {
            throttle_rate: f64::NAN,
            ..Default::default()
        }));
        assert!(bad(FaultConfig {
            throttle_rate: 0.6,
            drop_rate: 0.6,
            ..Default::default()
        }));
        assert!(bad(FaultConfig {
            error_statuses: vec![404],
            ..Default::default()
        }));
        assert!(bad(FaultConfig {
            operations: vec!["Nope".into()],
            ..Default::default()
        }));
        assert!(serde_json::from_str::<FaultConfig>(r#"{"throttle":1}"#).is_err());
        let parsed: FaultConfig =
            serde_json::from_str(r#"{"dropRate":0.5,"dropMode":"after"}"#).unwrap();
        assert_eq!(parsed.drop_mode, DropMode::After);
        assert!(parsed.validate().is_ok());
    }

    #[test]
    fn log_is_capped() {
        let f = Faults::new(FaultConfig::default(), 2);
        for i in 0..3 {
            f.log(FaultRecord {
                seq: 0,
                time: String::new(),
                request_id: i.to_string(),
                operation: "SendEvent".into(),
                fault: "throttle".into(),
                delivered: false,
                event_id: None,
                room_arn: None,
            });
        }
        let recs = f.records();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].seq, 2);
        assert_eq!(recs[1].request_id, "2");
    }
}
