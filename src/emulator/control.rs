//! The control API under `/_emulator/`, for tests and operators: the
//! delivery record, counters, fault and quota settings at run time, and the
//! rooms of every region. It needs no signature (the emulator is a local test
//! tool) and is not counted as API traffic.
//!
//! | Method | Path | What |
//! |---|---|---|
//! | GET | `/_emulator/health` | `{"status":"ok"}` |
//! | GET | `/_emulator/events?after=SEQ&limit=N` | delivered events held in memory |
//! | DELETE | `/_emulator/events` | forget them (the log file stays) |
//! | GET | `/_emulator/stats` | counters |
//! | GET, PUT | `/_emulator/faults` | fault settings (PUT replaces them) |
//! | GET, DELETE | `/_emulator/faults/log` | fault decisions and whether each delivered |
//! | GET, PUT | `/_emulator/quotas` | `{"enabled": bool}` |
//! | GET, POST | `/_emulator/rooms` | all rooms; POST adds one (`"arn"` or `{"arn",…}`) |

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::app::App;
use super::config::RoomSeed;
use super::errors::ApiError;
use super::faults::FaultConfig;

/// The `/_emulator` routes (nested by the server).
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/events", get(events).delete(clear_events))
        .route("/stats", get(stats))
        .route("/faults", get(faults).put(set_faults))
        .route("/faults/log", get(fault_log).delete(clear_fault_log))
        .route("/quotas", get(quotas).put(set_quotas))
        .route("/rooms", get(rooms).post(add_room))
}

/// JSON reply with the content type set.
struct Json<T>(T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                bytes,
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

fn bad_request(message: String) -> Response {
    ApiError::other_validation("body", message).into_response()
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::Serialization(format!("Could not parse the body: {e}")))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

async fn events(State(app): State<Arc<App>>, Query(q): Query<EventsQuery>) -> Response {
    let events = app
        .record
        .page(q.after.unwrap_or(0), q.limit.unwrap_or(usize::MAX));
    Json(json!({ "events": events, "counts": app.record.counts() })).into_response()
}

async fn clear_events(State(app): State<Arc<App>>) -> StatusCode {
    app.record.clear();
    StatusCode::NO_CONTENT
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    Json(app.stats.snapshot(app.record.counts(), app.chat.counts())).into_response()
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(app.faults.config()).into_response()
}

async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let config: FaultConfig = match parse(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match app.faults.set(config) {
        Ok(()) => {
            tracing::info!(faults = ?app.faults.config(), "fault settings changed");
            Json(app.faults.config()).into_response()
        }
        Err(e) => bad_request(e),
    }
}

async fn fault_log(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "decisions": app.faults.records() })).into_response()
}

async fn clear_fault_log(State(app): State<Arc<App>>) -> StatusCode {
    app.faults.clear_log();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaSetting {
    enabled: bool,
}

async fn quotas(State(app): State<Arc<App>>) -> Response {
    Json(QuotaSetting {
        enabled: app.quotas.enabled(),
    })
    .into_response()
}

async fn set_quotas(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match parse::<QuotaSetting>(&body) {
        Ok(q) => {
            app.quotas.set_enabled(q.enabled);
            Json(q).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn rooms(State(app): State<Arc<App>>) -> Response {
    let rooms: Vec<Value> = app
        .rooms
        .all()
        .iter()
        .map(|r| {
            let mut v = r.to_json();
            v["region"] = r.region.clone().into();
            v
        })
        .collect();
    Json(json!({ "rooms": rooms })).into_response()
}

async fn add_room(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let seed: RoomSeed = match parse(&body) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match app.add_room(&seed) {
        Ok(()) => (StatusCode::CREATED, Json(json!({ "arn": seed.arn() }))).into_response(),
        Err(e) => bad_request(e),
    }
}
