//! Remote preflight: do the rooms a playbook names exist, and when were
//! they last updated? IVS deletes a room with no connection or update for
//! 24 months, so an inventory kept in git goes stale.
//!
//! Per region, the cheaper of two reads: `ListRooms` pages (50 rooms each)
//! when many rooms are asked about, `GetRoom` (one room each) when few
//! are. Listing stops as soon as every asked room was seen; and when the
//! rooms still unseen are no more than the pages already read, the rest is
//! asked for one by one, so a check never costs much more than one request
//! per asked room, and far less for large inventories. Every request goes
//! through the account and region's limiter (5 TPS).

use std::collections::{HashMap, HashSet};

use aws_sdk_ivschat::error::SdkError;
use aws_sdk_ivschat::operation::get_room::GetRoomError;
use chrono::{DateTime, Utc};
use futures::future::try_join_all;

use super::LIST_ATTEMPTS;
use super::list::{Failed, FoundRoom, ListError, sort_failure};
use crate::clients::Clients;
use crate::execute::limiter::{Limiters, RegionLimiter};
use crate::execute::retry::RetryPolicy;

/// At most this many rooms of a region are asked for one by one before
/// listing is tried.
pub const GET_ROOM_AT_MOST: usize = 2;

/// What the service says of one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// It exists, last updated then.
    Exists {
        /// `updateTime`.
        update_time: DateTime<Utc>,
    },
    /// The service does not have it.
    Missing,
}

/// How a check went: what was found, and the requests it took.
#[derive(Debug, Default)]
pub struct Checked {
    /// By ARN.
    pub rooms: HashMap<String, Found>,
    /// `ListRooms` requests made.
    pub list_requests: u64,
    /// `GetRoom` requests made.
    pub get_requests: u64,
}

/// Checks `arns` (each `(region, arn)`) region by region, at once.
pub async fn check(
    clients: &Clients,
    limiters: &Limiters,
    account: &str,
    arns: &[(String, String)],
) -> Result<Checked, ListError> {
    let mut by_region: HashMap<&str, HashSet<String>> = HashMap::new();
    for (region, arn) in arns {
        by_region.entry(region).or_default().insert(arn.clone());
    }
    let checks = by_region.into_iter().map(|(region, wanted)| async move {
        let client = clients.get(region).ok_or_else(|| ListError {
            region: region.to_string(),
            message: "no client for this region".into(),
        })?;
        let limiter = limiters.get(account, region);
        check_region(client, &limiter, region, wanted).await
    });
    let mut out = Checked::default();
    for c in try_join_all(checks).await? {
        out.rooms.extend(c.rooms);
        out.list_requests += c.list_requests;
        out.get_requests += c.get_requests;
    }
    Ok(out)
}

async fn check_region(
    client: &aws_sdk_ivschat::Client,
    limiter: &RegionLimiter,
    region: &str,
    mut wanted: HashSet<String>,
) -> Result<Checked, ListError> {
    let retry = RetryPolicy::new(LIST_ATTEMPTS);
    let mut out = Checked::default();
    if wanted.len() > GET_ROOM_AT_MOST {
        let mut token = None;
        loop {
            let page = super::list::page(client, limiter, retry, region, None, token).await?;
            out.list_requests += 1;
            for s in page.rooms() {
                if let Some(r) = super::list::found(region, s)
                    && wanted.remove(&r.arn)
                {
                    out.rooms.insert(r.arn.clone(), exists(&r));
                }
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                // Listed in full: what was not seen does not exist.
                for arn in wanted.drain() {
                    out.rooms.insert(arn, Found::Missing);
                }
                break;
            }
            if (wanted.len() as u64) <= out.list_requests || wanted.is_empty() {
                break;
            }
        }
    }
    for arn in wanted {
        let found = get(client, limiter, retry, region, &arn).await?;
        out.get_requests += 1;
        out.rooms.insert(arn, found);
    }
    Ok(out)
}

fn exists(r: &FoundRoom) -> Found {
    Found::Exists {
        update_time: r.update_time,
    }
}

/// One `GetRoom`, retried as the policy allows.
async fn get(
    client: &aws_sdk_ivschat::Client,
    limiter: &RegionLimiter,
    retry: RetryPolicy,
    region: &str,
    arn: &str,
) -> Result<Found, ListError> {
    let mut delays = retry.delays();
    let fail = |message: String| ListError {
        region: region.to_string(),
        message: format!("GetRoom {arn}: {message}"),
    };
    loop {
        limiter.acquire().await;
        limiter.depart().await;
        let e = match client.get_room().identifier(arn).send().await {
            Ok(out) => {
                let t = out
                    .update_time()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
                return Ok(match t {
                    Some(update_time) => Found::Exists { update_time },
                    None => Found::Exists {
                        update_time: DateTime::<Utc>::MIN_UTC,
                    },
                });
            }
            Err(e) => e,
        };
        if let SdkError::ServiceError(se) = &e
            && matches!(se.err(), GetRoomError::ResourceNotFoundException(_))
        {
            return Ok(Found::Missing);
        }
        let message = match sort_failure(&e) {
            Failed::Throttled(m) => {
                limiter.on_throttle();
                m
            }
            Failed::Transient(m) => m,
            Failed::Final(m) => return Err(fail(m)),
        };
        match delays.next() {
            Some(d) => tokio::time::sleep(d).await,
            None => return Err(fail(message)),
        }
    }
}
