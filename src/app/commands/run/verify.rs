//! `run --verify`: before sending, follow the rooms to watch (all, or a
//! sample spread over accounts and regions) with view-only chat tokens,
//! and wait until each is connected; the sending stage then matches every
//! sent event with the frame that arrives.

use std::sync::Arc;
use std::time::Duration;

use super::args::{RunArgs, VerifyScope};
use crate::app::exit::Failure;
use crate::app::io::Io;
use crate::chat::verify::{self, Verifier};
use crate::chat::{EdgeUrls, Note, Reconnect, Tokens, follow_rooms};
use crate::clients::Clients;
use crate::journal::VerifySettings;
use crate::plan::ScannedPlan;

/// Time allowed for every watched room to connect before sending starts.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Notes not yet read, at most, over all rooms.
const NOTES_BUFFER: usize = 1024;

/// The rooms being watched, while the run sends.
pub(super) struct Watching {
    pub(super) verifier: Verifier,
    pub(super) notes: tokio::sync::mpsc::Receiver<Note>,
    pub(super) settings: VerifySettings,
    pub(super) timeout: Duration,
}

/// Follows the rooms `--verify` asks for and waits until they are
/// connected. `None` without `--verify`.
pub(super) async fn subscribe(
    a: &RunArgs,
    (plan, limit): (&ScannedPlan, Option<&std::collections::HashSet<String>>),
    clients: Arc<Clients>,
    edge: EdgeUrls,
    io: &mut Io<'_>,
) -> Result<Option<Watching>, Failure> {
    let Some(scope) = a.verify else {
        return Ok(None);
    };
    let all: Vec<_> = plan
        .rooms()
        .iter()
        .map(|r| plan.room_arn(r))
        // With --limit, only the rooms sent to.
        .filter(|r| limit.is_none_or(|l| l.contains(&r.arn)))
        .cloned()
        .collect();
    let rooms = match scope {
        VerifyScope::All => all.clone(),
        VerifyScope::Sample(n) => verify::sample(&all, n),
    };
    writeln!(
        io.err,
        "verify: watching {} of {} rooms in chat ({}) before sending",
        rooms.len(),
        all.len(),
        match &edge {
            EdgeUrls::Aws => "wss://edge.ivschat.REGION.amazonaws.com".to_string(),
            EdgeUrls::Endpoint(u) => u.clone(),
        }
    )?;
    let verifier = Verifier::new(&rooms);
    let count = rooms.len();
    let tokens = Arc::new(Tokens::new(clients));
    let mut notes = follow_rooms(rooms, tokens, edge, Reconnect::default(), NOTES_BUFFER);
    let subscribed = verify::subscribed(&mut notes, count, SUBSCRIBE_TIMEOUT).await;
    for (room, why) in subscribed.failed.iter().take(10) {
        writeln!(io.err, "verify: cannot watch {room}: {why}")?;
    }
    if subscribed.failed.len() > 10 {
        writeln!(
            io.err,
            "verify: ... and {} more rooms cannot be watched",
            subscribed.failed.len() - 10
        )?;
    }
    writeln!(
        io.err,
        "verify: {} of {} rooms connected; their events will be looked for until {} s after the last send",
        subscribed.connected,
        count,
        a.verify_timeout.as_secs_f64()
    )?;
    Ok(Some(Watching {
        verifier,
        notes,
        settings: VerifySettings {
            rooms: count,
            of_rooms: all.len(),
            timeout_ms: a.verify_timeout.as_millis() as u64,
        },
        timeout: a.verify_timeout,
    }))
}
