//! Request counters, served at `GET /_emulator/stats`: how many requests
//! each operation got and how they ended (success, client error, quota
//! throttle, injected fault).

use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::chat::hub::HubCounts;
use super::faults::Fault;
use super::operation::Operation;
use super::record::RecordCounts;

#[derive(Debug, Default)]
struct OpCounters {
    requests: AtomicU64,
    succeeded: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    throttled: AtomicU64,
}

/// How a request ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Succeeded,
    /// Refused by a quota bucket.
    QuotaThrottled,
    /// Any other 4xx.
    ClientError,
    /// A 5xx.
    ServerError,
    /// Connection closed without reply (counted as a fault only).
    Dropped,
}

/// The live counters.
#[derive(Debug, Default)]
pub struct Stats {
    ops: [OpCounters; Operation::ALL.len()],
    unknown_operations: AtomicU64,
    rejected_before_auth: AtomicU64,
    auth_failures: AtomicU64,
    quota_throttled: AtomicU64,
    fault_throttle: AtomicU64,
    fault_error500: AtomicU64,
    fault_error503: AtomicU64,
    fault_drop_before: AtomicU64,
    fault_drop_after: AtomicU64,
    fault_chat_drop: AtomicU64,
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// Counters of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpStats {
    /// Requests that reached the operation (signature checked or not).
    pub requests: u64,
    /// Answered 2xx.
    pub succeeded: u64,
    /// Answered 4xx other than a quota throttle (includes injected throttles).
    pub client_errors: u64,
    /// Answered 5xx.
    pub server_errors: u64,
    /// Refused by a quota.
    pub throttled: u64,
}

/// Injected faults by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultStats {
    /// Injected `ThrottlingException`s.
    pub throttle: u64,
    /// Injected 500s.
    pub error500: u64,
    /// Injected 503s.
    pub error503: u64,
    /// Connections closed before the operation ran.
    pub drop_before_delivery: u64,
    /// Connections closed after the operation ran.
    pub drop_after_delivery: u64,
    /// Chat connections dropped instead of getting a frame.
    pub chat_drop: u64,
}

/// A snapshot of the counters, the JSON of `GET /_emulator/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// API requests to known operations.
    pub requests: u64,
    /// Of those, answered 2xx.
    pub succeeded: u64,
    /// Refused by a quota or an injected throttle.
    pub throttled: u64,
    /// Refused by a quota.
    pub quota_throttled: u64,
    /// Injected faults.
    pub faults: FaultStats,
    /// Refused for a missing or bad signature or key.
    pub auth_failures: u64,
    /// Requests to no known operation.
    pub unknown_operations: u64,
    /// Requests refused before authentication (body too large or too slow).
    pub rejected_before_auth: u64,
    /// Events delivered since start.
    pub events_delivered: u64,
    /// Events held in memory.
    pub events_kept: u64,
    /// Events no longer held in memory.
    pub events_evicted: u64,
    /// Failed writes to the events log.
    pub events_log_errors: u64,
    /// The chat edge.
    pub chat: HubCounts,
    /// Per operation.
    pub operations: IndexMap<String, OpStats>,
}

impl Stats {
    /// Counts a request to `op`.
    pub fn request(&self, op: Operation) {
        inc(&self.ops[op.index()].requests);
    }

    /// Counts how a request to `op` ended.
    pub fn outcome(&self, op: Operation, outcome: Outcome) {
        let c = &self.ops[op.index()];
        match outcome {
            Outcome::Succeeded => inc(&c.succeeded),
            Outcome::QuotaThrottled => {
                inc(&c.throttled);
                inc(&self.quota_throttled);
            }
            Outcome::ClientError => inc(&c.client_errors),
            Outcome::ServerError => inc(&c.server_errors),
            Outcome::Dropped => {}
        }
    }

    /// Counts an injected fault.
    pub fn fault(&self, fault: Fault) {
        inc(match fault {
            Fault::Throttle => &self.fault_throttle,
            Fault::Error(503) => &self.fault_error503,
            Fault::Error(_) => &self.fault_error500,
            Fault::DropBeforeDelivery => &self.fault_drop_before,
            Fault::DropAfterDelivery => &self.fault_drop_after,
            Fault::ChatDrop => &self.fault_chat_drop,
        });
    }

    /// Counts a refused signature.
    pub fn auth_failure(&self) {
        inc(&self.auth_failures);
    }

    /// Counts a request to no operation.
    pub fn unknown_operation(&self) {
        inc(&self.unknown_operations);
    }

    /// Counts a request refused before its signature could be checked.
    pub fn rejected_before_auth(&self) {
        inc(&self.rejected_before_auth);
    }

    /// A consistent-enough snapshot (each counter is read once).
    pub fn snapshot(&self, record: RecordCounts, chat: HubCounts) -> StatsSnapshot {
        let mut s = StatsSnapshot {
            quota_throttled: get(&self.quota_throttled),
            faults: FaultStats {
                throttle: get(&self.fault_throttle),
                error500: get(&self.fault_error500),
                error503: get(&self.fault_error503),
                drop_before_delivery: get(&self.fault_drop_before),
                drop_after_delivery: get(&self.fault_drop_after),
                chat_drop: get(&self.fault_chat_drop),
            },
            auth_failures: get(&self.auth_failures),
            unknown_operations: get(&self.unknown_operations),
            rejected_before_auth: get(&self.rejected_before_auth),
            events_delivered: record.delivered,
            events_kept: record.kept,
            events_evicted: record.evicted,
            events_log_errors: record.log_errors,
            chat,
            ..StatsSnapshot::default()
        };
        s.throttled = s.quota_throttled + s.faults.throttle;
        for op in Operation::ALL {
            let c = &self.ops[op.index()];
            let o = OpStats {
                requests: get(&c.requests),
                succeeded: get(&c.succeeded),
                client_errors: get(&c.client_errors),
                server_errors: get(&c.server_errors),
                throttled: get(&c.throttled),
            };
            s.requests += o.requests;
            s.succeeded += o.succeeded;
            s.operations.insert(op.name().to_string(), o);
        }
        s
    }
}
