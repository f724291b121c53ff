//! Rooms from the service: `ListRooms` in every region asked for, every
//! page, filtered by tags and name.
//!
//! `ListRooms` pages hold at most 50 rooms, newest `updateTime` first, and
//! the room operations share a quota of 5 requests per second per account
//! and region. Each account and region gets its own limiter of the same
//! design as sending ([`crate::execute::limiter`]) at that rate, so a
//! listing never draws throttles from the quota it shares with whoever
//! else manages rooms, and the regions are listed at once. Throttles and
//! server errors are retried with the sending policy's backoff.
//!
//! - [`filter`]: which listed rooms are kept (tags, name glob).
//! - [`list`]: paging one region.
//! - [`preflight`]: do named rooms exist, and when were they updated.

pub mod filter;
pub mod list;
pub mod preflight;

use futures::future::try_join_all;

pub use filter::{RoomFilter, TagPair};
pub use list::{FoundRoom, ListError, PAGE_SIZE, Seen};

use crate::clients::Clients;
use crate::execute::limiter::Limiters;
use crate::execute::retry::RetryPolicy;

/// The quota of the room operations (`ListRooms`, `GetRoom`, ...), per
/// account and region.
pub const ROOM_OPS_TPS: f64 = 5.0;

/// Attempts per `ListRooms` page, the first included.
pub const LIST_ATTEMPTS: u32 = 8;

/// Limiters for the room operations: [`ROOM_OPS_TPS`], no burst on top.
pub fn room_limiters() -> Limiters {
    Limiters::new(ROOM_OPS_TPS, 1)
}

/// What to list: where, and what to keep.
#[derive(Debug, Clone)]
pub struct Query {
    /// Regions to list, each once.
    pub regions: Vec<String>,
    /// What to keep.
    pub filter: RoomFilter,
}

/// Lists every region of `query` at once through `clients` (which must hold
/// a client for each), as `account` (the limiters' key: the credentials'
/// account, or a name for the default ones). The rooms come sorted by
/// region, then name, then ARN. `seen` is told each region's progress.
pub async fn discover(
    clients: &Clients,
    limiters: &Limiters,
    account: &str,
    query: &Query,
    seen: &(dyn Fn(&str, Seen) + Sync),
) -> Result<Vec<FoundRoom>, ListError> {
    let retry = RetryPolicy::new(LIST_ATTEMPTS);
    let listings = query.regions.iter().map(|region| async move {
        let client = clients.get(region).ok_or_else(|| ListError {
            region: region.clone(),
            message: "no client for this region".into(),
        })?;
        let limiter = limiters.get(account, region);
        let report = |s: Seen| seen(region, s);
        list::list_region(client, &limiter, retry, region, &query.filter, &report).await
    });
    let mut rooms: Vec<FoundRoom> = try_join_all(listings)
        .await?
        .into_iter()
        .flatten()
        .collect();
    rooms.sort_by(|a, b| (&a.region, &a.name, &a.arn).cmp(&(&b.region, &b.name, &b.arn)));
    Ok(rooms)
}
