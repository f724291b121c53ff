//! Sending settings: the defaults, the flags that override a playbook's, and
//! the settings a run actually uses.

use crate::playbook::model::Settings;
use crate::service::SEND_EVENT_QUOTA_TPS;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default sends per second per account and region: half the SendEvent
/// quota, leaving the other half to chat moderation bots and anything else
/// that sends in the same account.
pub const DEFAULT_RATE: f64 = 50.0;

/// Default burst after an idle moment.
pub const DEFAULT_BURST: u32 = 5;

/// Default sends in flight.
pub const DEFAULT_CONCURRENCY: u32 = 32;

/// Default attempts per send.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Default time per attempt, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The settings a run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectiveSettings {
    /// Sends per second per account and region.
    pub rate: f64,
    /// Burst per account and region.
    pub burst: u32,
    /// Most sends in flight.
    pub concurrency: u32,
    /// Attempts per send.
    pub max_attempts: u32,
    /// Time per attempt, in milliseconds.
    pub timeout_ms: u64,
}

/// Settings given on the command line; each overrides the playbooks'.
#[derive(Debug, Clone, Default)]
pub struct SettingsOverrides {
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--burst`.
    pub burst: Option<u32>,
    /// `--concurrency`.
    pub concurrency: Option<u32>,
    /// `--max-attempts`.
    pub max_attempts: Option<u32>,
    /// `--timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
}

impl EffectiveSettings {
    /// Combines playbook settings and flags. When several playbooks run
    /// together and disagree, the most careful value wins: the lowest rate,
    /// burst, concurrency and attempts, and the longest timeout.
    pub fn resolve(settings: &[&Settings], flags: &SettingsOverrides) -> Self {
        fn min_of<T: PartialOrd + Copy>(it: impl Iterator<Item = T>) -> Option<T> {
            it.fold(None, |acc, v| match acc {
                Some(a) if a <= v => Some(a),
                _ => Some(v),
            })
        }
        let rate = flags
            .rate
            .or_else(|| min_of(settings.iter().filter_map(|s| s.rate)))
            .unwrap_or(DEFAULT_RATE)
            .min(f64::from(SEND_EVENT_QUOTA_TPS));
        let burst = flags
            .burst
            .or_else(|| min_of(settings.iter().filter_map(|s| s.burst)))
            .unwrap_or(DEFAULT_BURST);
        let concurrency = flags
            .concurrency
            .or_else(|| min_of(settings.iter().filter_map(|s| s.concurrency)))
            .unwrap_or(DEFAULT_CONCURRENCY);
        let max_attempts = flags
            .max_attempts
            .or_else(|| min_of(settings.iter().filter_map(|s| s.max_attempts)))
            .unwrap_or(DEFAULT_MAX_ATTEMPTS);
        let timeout_ms = flags
            .timeout_ms
            .or_else(|| {
                settings
                    .iter()
                    .filter_map(|s| s.timeout.as_ref().and_then(|t| t.parse()))
                    .map(|d| d.as_millis() as u64)
                    .max()
            })
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        EffectiveSettings {
            rate,
            burst,
            concurrency,
            max_attempts,
            timeout_ms,
        }
    }
}
