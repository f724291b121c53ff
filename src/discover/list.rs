//! Paging through `ListRooms` in one region: every page, each request
//! through the account and region's limiter (the room operations' quota is
//! 5 TPS), throttles and server errors retried with backoff.

use aws_sdk_ivschat::error::{ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};
use indexmap::IndexMap;

use super::filter::RoomFilter;
use crate::clients::error_chain;
use crate::execute::limiter::RegionLimiter;
use crate::execute::retry::RetryPolicy;

/// The largest page `ListRooms` gives.
pub const PAGE_SIZE: i32 = 50;

/// A room the service listed and the filter kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRoom {
    /// Room ARN.
    pub arn: String,
    /// Region it was listed in.
    pub region: String,
    /// Account part of the ARN.
    pub account: String,
    /// Room name (may be empty).
    pub name: String,
    /// The room's tags, sorted by key.
    pub tags: IndexMap<String, String>,
    /// When the room was last updated (creation counts).
    pub update_time: DateTime<Utc>,
}

/// Where a listing is, for a progress line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    /// Pages read.
    pub pages: u64,
    /// Rooms listed.
    pub listed: u64,
    /// Rooms kept by the filter.
    pub kept: u64,
}

/// A listing that could not be finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ListRooms in {region} failed: {message}")]
pub struct ListError {
    /// The region.
    pub region: String,
    /// What went wrong.
    pub message: String,
}

/// Whether a failed request may be tried again, and whether it was a
/// throttle.
pub(super) enum Failed {
    Throttled(String),
    Transient(String),
    Final(String),
}

/// Sorts a failed read (ListRooms, GetRoom): reads can always be asked
/// again, so a lost answer is transient too.
pub(super) fn sort_failure<E>(e: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Failed
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = error_chain(e);
    match e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            if status == 429 || se.err().code() == Some("ThrottlingException") {
                Failed::Throttled(message)
            } else if status >= 500 {
                Failed::Transient(message)
            } else {
                Failed::Final(message)
            }
        }
        SdkError::ResponseError(re) if re.raw().status().as_u16() >= 500 => {
            Failed::Transient(message)
        }
        // ListRooms only reads: a lost answer can be asked again.
        SdkError::DispatchFailure(df) if !df.is_user() => Failed::Transient(message),
        SdkError::TimeoutError(_) => Failed::Transient(message),
        _ => Failed::Final(message),
    }
}

pub(super) fn found(region: &str, s: &aws_sdk_ivschat::types::RoomSummary) -> Option<FoundRoom> {
    let arn = s.arn()?.to_string();
    let account = arn.split(':').nth(4).unwrap_or_default().to_string();
    let t = s.update_time()?;
    let update_time = DateTime::from_timestamp(t.secs(), t.subsec_nanos())?;
    // The SDK gives tags as a hash map: sorted by key, they read the same
    // every time.
    let mut tags: IndexMap<String, String> = s
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    tags.sort_keys();
    Some(FoundRoom {
        arn,
        region: region.to_string(),
        account,
        name: s.name().unwrap_or_default().to_string(),
        tags,
        update_time,
    })
}

/// One page, retried as the policy allows.
pub(super) async fn page(
    client: &aws_sdk_ivschat::Client,
    limiter: &RegionLimiter,
    retry: RetryPolicy,
    region: &str,
    name: Option<&str>,
    token: Option<String>,
) -> Result<aws_sdk_ivschat::operation::list_rooms::ListRoomsOutput, ListError> {
    let mut delays = retry.delays();
    loop {
        limiter.acquire().await;
        limiter.depart().await;
        let result = client
            .list_rooms()
            .max_results(PAGE_SIZE)
            .set_next_token(token.clone())
            .set_name(name.map(str::to_string))
            .send()
            .await;
        let e = match result {
            Ok(out) => return Ok(out),
            Err(e) => e,
        };
        let message = match sort_failure(&e) {
            Failed::Throttled(m) => {
                limiter.on_throttle();
                m
            }
            Failed::Transient(m) => m,
            Failed::Final(message) => {
                return Err(ListError {
                    region: region.to_string(),
                    message,
                });
            }
        };
        match delays.next() {
            Some(d) => {
                tracing::debug!(%region, %message, wait = ?d, "ListRooms retried");
                tokio::time::sleep(d).await;
            }
            None => {
                return Err(ListError {
                    region: region.to_string(),
                    message: format!("{message} (after {} attempts)", retry.max_attempts),
                });
            }
        }
    }
}

/// Every room of the region that `filter` keeps, in the service's order
/// (most recently updated first). `seen` is told after each page.
pub async fn list_region(
    client: &aws_sdk_ivschat::Client,
    limiter: &RegionLimiter,
    retry: RetryPolicy,
    region: &str,
    filter: &RoomFilter,
    seen: &(dyn Fn(Seen) + Sync),
) -> Result<Vec<FoundRoom>, ListError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut count = Seen::default();
    loop {
        let page = page(client, limiter, retry, region, filter.exact_name(), token).await?;
        for s in page.rooms() {
            count.listed += 1;
            let Some(room) = found(region, s) else {
                continue;
            };
            if filter.keeps(&room.name, &room.tags) {
                count.kept += 1;
                out.push(room);
            }
        }
        count.pages += 1;
        seen(count);
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}
