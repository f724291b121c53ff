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

/// Where a timeline's anchor came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorSource {
    /// `--at`.
    Flag,
    /// A playbook's `settings.at`.
    Settings,
    /// The journal of the run being resumed.
    Journal,
    /// None given: chosen so that the earliest step starts now.
    EarliestStep,
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
    /// `--at`, the timeline's anchor as written, or the anchor a resumed
    /// run's journal recorded; and which of the two it is.
    pub at: Option<(String, AnchorSource)>,
    /// `--grace`, in milliseconds: how late any step may start.
    pub grace_ms: Option<u64>,
    /// The time now, local: the date of a wall-clock `--at 20:00`, and the
    /// anchor when none is given. Planning reads no clock; the caller
    /// passes it (`None`: the Unix epoch, for tests).
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl SettingsOverrides {
    /// These overrides, each one not given taken from `settings` (what an
    /// earlier run recorded): the run is made again with the same settings.
    pub fn or_from(self, settings: &EffectiveSettings) -> SettingsOverrides {
        SettingsOverrides {
            rate: self.rate.or(Some(settings.rate)),
            burst: self.burst.or(Some(settings.burst)),
            concurrency: self.concurrency.or(Some(settings.concurrency)),
            max_attempts: self.max_attempts.or(Some(settings.max_attempts)),
            timeout_ms: self.timeout_ms.or(Some(settings.timeout_ms)),
            ..self
        }
    }
}

/// The burst that keeps every one-second window within the quota: after an
/// idle moment a burst of `b` goes out at once and the rate `r` follows, so
/// one second can hold `r + b` sends. The burst is cut so that `r + b` is at
/// most the quota, and is never below 1 (the limiter's smallest).
pub fn fit_burst(rate: f64, burst: u32) -> u32 {
    let room = (f64::from(SEND_EVENT_QUOTA_TPS) - rate).floor().max(1.0) as u32;
    burst.clamp(1, room)
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
        let burst = fit_burst(rate, burst);
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

/// Seconds `count` sends take at `rate` with `burst` available at the start.
pub(super) fn estimate_seconds(count: usize, settings: &EffectiveSettings) -> f64 {
    let after_burst = count.saturating_sub(settings.burst as usize) as f64;
    (after_burst / settings.rate * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_plus_burst_stays_within_the_quota() {
        assert_eq!(fit_burst(50.0, 5), 5);
        assert_eq!(fit_burst(100.0, 100), 1);
        assert_eq!(fit_burst(100.0, 5), 1);
        assert_eq!(fit_burst(90.0, 20), 10);
        assert_eq!(fit_burst(99.5, 5), 1);
        assert_eq!(fit_burst(1.0, 100), 99);
        let flags = SettingsOverrides {
            rate: Some(100.0),
            burst: Some(100),
            ..Default::default()
        };
        let s = EffectiveSettings::resolve(&[], &flags);
        assert_eq!((s.rate, s.burst), (100.0, 1));
    }
}
