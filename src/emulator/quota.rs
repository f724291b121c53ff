//! The service quotas: one token bucket per account, region and operation
//! class, at the real (not adjustable) rates.
//!
//! SendEvent, DeleteMessage and DisconnectUser 100 TPS each, CreateChatToken
//! 200 TPS, the room operations 5 TPS, the tag operations 10 TPS and the
//! logging-configuration operations 3 TPS, each per account per region. A bucket holds one
//! second's worth of tokens, so a burst of the full rate passes and anything
//! beyond it is refused until tokens come back. Buckets are `governor` keyed
//! rate limiters on its own monotonic clock.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota};

use super::operation::{Operation, QuotaClass};

/// The buckets, switchable on and off at run time.
pub struct Quotas {
    enabled: AtomicBool,
    send_event: DefaultKeyedRateLimiter<(String, String)>,
    chat_token: DefaultKeyedRateLimiter<(String, String)>,
    room: DefaultKeyedRateLimiter<(String, String)>,
    tags: DefaultKeyedRateLimiter<(String, String)>,
    delete_message: DefaultKeyedRateLimiter<(String, String)>,
    disconnect_user: DefaultKeyedRateLimiter<(String, String)>,
    logging: DefaultKeyedRateLimiter<(String, String)>,
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quotas")
            .field("enabled", &self.enabled())
            .finish_non_exhaustive()
    }
}

fn limiter(class: QuotaClass) -> DefaultKeyedRateLimiter<(String, String)> {
    let tps = NonZeroU32::new(class.tps()).unwrap_or(NonZeroU32::MIN);
    DefaultKeyedRateLimiter::keyed(Quota::per_second(tps))
}

impl Quotas {
    /// Fresh, full buckets.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled: AtomicBool::new(enabled),
            send_event: limiter(QuotaClass::SendEvent),
            chat_token: limiter(QuotaClass::ChatToken),
            room: limiter(QuotaClass::Room),
            tags: limiter(QuotaClass::Tags),
            delete_message: limiter(QuotaClass::DeleteMessage),
            disconnect_user: limiter(QuotaClass::DisconnectUser),
            logging: limiter(QuotaClass::Logging),
        }
    }

    /// Whether quotas are enforced.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns enforcement on or off.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Takes a token for `op` in `account`/`region`; `Err(limit)` with the
    /// quota in TPS when the bucket is empty.
    pub fn check(&self, account: &str, region: &str, op: Operation) -> Result<(), u32> {
        if !self.enabled() {
            return Ok(());
        }
        let class = op.quota();
        let limiter = match class {
            QuotaClass::SendEvent => &self.send_event,
            QuotaClass::ChatToken => &self.chat_token,
            QuotaClass::Room => &self.room,
            QuotaClass::Tags => &self.tags,
            QuotaClass::DeleteMessage => &self.delete_message,
            QuotaClass::DisconnectUser => &self.disconnect_user,
            QuotaClass::Logging => &self.logging,
        };
        limiter
            .check_key(&(account.to_string(), region.to_string()))
            .map_err(|_| class.tps())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_per_account_region_and_class() {
        let q = Quotas::new(true);
        let passed = (0..20)
            .filter(|_| q.check("1", "us-east-1", Operation::GetRoom).is_ok())
            .count();
        // 5 TPS with a burst of 5; a slow machine may refill one or two.
        assert!((5..=7).contains(&passed), "{passed}");
        assert_eq!(q.check("1", "us-east-1", Operation::CreateRoom), Err(5));
        assert!(q.check("1", "eu-west-1", Operation::GetRoom).is_ok());
        assert!(q.check("2", "us-east-1", Operation::GetRoom).is_ok());
        assert!(q.check("1", "us-east-1", Operation::SendEvent).is_ok());
        assert!(q.check("1", "us-east-1", Operation::TagResource).is_ok());
        q.set_enabled(false);
        assert!(q.check("1", "us-east-1", Operation::GetRoom).is_ok());
    }
}
