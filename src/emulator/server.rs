//! The HTTP side of the emulator: the accept loop (hyper HTTP/1.1 with
//! keep-alive and graceful shutdown), the axum router, and the pipeline every
//! API request goes through.
//!
//! The pipeline, in order: route (method + path, else
//! `UnknownOperationException`), read the body under a size cap and a
//! deadline, verify the SigV4 signature (which also gives the region),
//! check the content type, draw the fault decision (latency, throttle,
//! 500/503, dropped connection), take a quota token, then run the operation.
//! A fault that closes the connection makes the service return an error to
//! hyper, which then drops the connection without writing a response.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::Utc;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::app::App;
use super::config::EmulatorConfig;
use super::control;
use super::errors::ApiError;
use super::faults::{Fault, FaultRecord};
use super::operation::Operation;
use super::ops::{self, Caller, Context, Input};
use super::record::FLUSH_INTERVAL;
use super::rooms::format_time;
use super::sigv4::{self, KeyInfo, RequestParts};
use super::stats::Outcome;
use crate::service::arn::is_ivs_chat_region;

/// Header carrying the request id on every reply.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";
/// How long in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the IVS Chat API on `listener` until `shutdown` completes, then
/// lets in-flight requests finish (up to 5 s) and flushes the events log.
///
/// The caller binds the listener, so tests can bind `127.0.0.1:0`.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = Arc::new(App::new(config)?);
    serve_app(listener, app, shutdown).await
}

/// [`serve`] with prepared state (the in-process handle keeps a reference).
pub(crate) async fn serve_app(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let router = router(app.clone());
    let (close_tx, close_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let flusher = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_INTERVAL);
            loop {
                tick.tick().await;
                app.record.flush();
            }
        })
    };
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut close_rx = close_rx.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(router.clone(), req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let closing = async move {
                let _ = close_rx.wait_for(|closing| *closing).await;
            };
            let result = tokio::select! {
                r = conn.as_mut() => r,
                () = closing => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = close_tx.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "closing connections that did not finish in time"
        );
        connections.abort_all();
    }
    flusher.abort();
    app.record.flush();
    tracing::info!("emulator stopped");
    Ok(())
}

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without replying.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn handle(
    router: Router,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<Response, ConnectionDropped> {
    let mut resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(e) => match e {},
    };
    if resp.extensions().get::<DropConnection>().is_some() {
        return Err(ConnectionDropped);
    }
    if !resp.headers().contains_key(REQUEST_ID_HEADER) {
        set_request_id(&mut resp, &new_request_id());
    }
    Ok(resp)
}

fn router(app: Arc<App>) -> Router {
    let mut router = Router::new();
    for op in Operation::ALL.into_iter().filter(|op| !op.is_tag_op()) {
        router = router.route(
            &format!("/{}", op.name()),
            any(move |State(app): State<Arc<App>>, req: Request| api(app, Some(op), req)),
        );
    }
    router
        .route(
            "/tags/{*resource_arn}",
            any(|State(app): State<Arc<App>>, req: Request| api(app, None, req)),
        )
        .nest("/_emulator", control::router())
        .fallback(unknown_operation)
        .with_state(app)
}

async fn unknown_operation(State(app): State<Arc<App>>) -> Response {
    app.stats.unknown_operation();
    ApiError::UnknownOperation.into_response()
}

/// A request id in the UUID v4 format the service uses.
pub fn new_request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn set_request_id(resp: &mut Response, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
}

/// One API request; `named` is the operation of a `/{Name}` route, `None`
/// for `/tags/{resourceArn}` (the method decides).
async fn api(app: Arc<App>, named: Option<Operation>, req: Request) -> Response {
    let request_id = new_request_id();
    let mut resp = pipeline(&app, named, req, &request_id).await;
    set_request_id(&mut resp, &request_id);
    resp
}

fn dropped() -> Response {
    let mut resp = Response::new(Body::empty());
    resp.extensions_mut().insert(DropConnection);
    resp
}

async fn pipeline(app: &App, named: Option<Operation>, req: Request, request_id: &str) -> Response {
    let (parts, body) = req.into_parts();
    let op = match named {
        Some(op) if parts.method == Method::POST => Some(op),
        Some(_) => None,
        None => Operation::tag_op_for(&parts.method),
    };
    let Some(op) = op else {
        app.stats.unknown_operation();
        return ApiError::UnknownOperation.into_response();
    };
    app.stats.request(op);
    let fail = |e: ApiError| {
        let outcome = if e.status().is_server_error() {
            Outcome::ServerError
        } else {
            Outcome::ClientError
        };
        app.stats.outcome(op, outcome);
        e.into_response()
    };

    let body = match read_body(&parts.headers, body, app.max_body, app.body_timeout).await {
        Ok(b) => b,
        Err(e) => {
            app.stats.rejected_before_auth();
            return fail(e);
        }
    };
    let path = parts.uri.path();
    let query = parts.uri.query();
    let signed = RequestParts {
        method: parts.method.as_str(),
        path,
        query,
        headers: &parts.headers,
        body: &body,
    };
    let lookup = |id: &str| {
        app.credentials.get(id).map(|c| KeyInfo {
            secret_access_key: &c.secret_access_key,
            session_token: c.session_token.as_deref(),
        })
    };
    let now = Utc::now();
    let caller = match sigv4::verify(&signed, lookup, is_ivs_chat_region, now, app.max_skew) {
        Ok(auth) => Caller {
            account: app.account_of(&auth.access_key_id).to_string(),
            region: auth.region,
        },
        Err(e) => {
            tracing::debug!(operation = op.name(), error = e.code(), "refused signature");
            app.stats.auth_failure();
            return fail(e);
        }
    };
    let input = Input {
        body: &body,
        resource_label: op
            .is_tag_op()
            .then(|| path.strip_prefix("/tags/").unwrap_or("")),
        query,
    };
    if let Err(e) = check_content_type(&parts.headers, op, &body) {
        return fail(e);
    }

    let decision = app.faults.decide(op);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let log_fault = |fault: Fault, delivered: bool, event_id: Option<String>| {
        app.stats.fault(fault);
        app.faults.log(FaultRecord {
            seq: 0,
            time: format_time(Utc::now()),
            request_id: request_id.to_string(),
            operation: op.name().to_string(),
            fault: fault.name().to_string(),
            delivered,
            event_id,
            room_arn: ops::named_room(op, input),
        });
    };
    match decision.fault {
        Some(Fault::Throttle) => {
            log_fault(Fault::Throttle, false, None);
            return fail(ApiError::Throttling {
                resource_id: ops::throttle_resource_id(op, input, &caller),
                limit: op.quota().tps(),
            });
        }
        Some(f @ Fault::Error(status)) => {
            log_fault(f, false, None);
            return fail(if status == 503 {
                ApiError::ServiceUnavailable
            } else {
                ApiError::InternalServer
            });
        }
        Some(Fault::DropBeforeDelivery) => {
            log_fault(Fault::DropBeforeDelivery, false, None);
            app.stats.outcome(op, Outcome::Dropped);
            return dropped();
        }
        Some(Fault::DropAfterDelivery) | None => {}
    }

    if let Err(limit) = app.quotas.check(&caller.account, &caller.region, op) {
        app.stats.outcome(op, Outcome::QuotaThrottled);
        let e = ApiError::Throttling {
            resource_id: ops::throttle_resource_id(op, input, &caller),
            limit,
        };
        if decision.fault == Some(Fault::DropAfterDelivery) {
            log_fault(Fault::DropAfterDelivery, false, None);
            return dropped();
        }
        return e.into_response();
    }

    let ctx = Context {
        caller: &caller,
        rooms: &app.rooms,
        record: &app.record,
        auto_create: app.auto_create,
        request_id,
        now,
    };
    let result = ops::execute(&ctx, op, input);
    if decision.fault == Some(Fault::DropAfterDelivery) {
        let (delivered, event_id) = match &result {
            Ok(reply) => (true, reply.event_id.clone()),
            Err(_) => (false, None),
        };
        log_fault(Fault::DropAfterDelivery, delivered, event_id);
        app.stats.outcome(op, Outcome::Dropped);
        return dropped();
    }
    match result {
        Ok(reply) => {
            app.stats.outcome(op, Outcome::Succeeded);
            let mut resp = match reply.body {
                Some(body) => {
                    let bytes = serde_json::to_vec(&body).unwrap_or_default();
                    (reply.status, bytes).into_response()
                }
                None => reply.status.into_response(),
            };
            if reply.status != axum::http::StatusCode::NO_CONTENT {
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            resp
        }
        Err(e) => fail(e),
    }
}

/// Reads the whole body, refusing more than `max` bytes (by
/// `Content-Length` up front, or while reading) and bodies slower than
/// `timeout`.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::RequestEntityTooLarge(max));
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(ApiError::RequestTimeout),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::RequestEntityTooLarge(max))
        }
        Ok(Err(e)) => Err(ApiError::Serialization(format!(
            "Could not read the request body: {e}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A body, when there is one, must be JSON. A missing `Content-Type` is
/// tolerated (curl without `-H`); any other type is refused with 415.
fn check_content_type(headers: &HeaderMap, op: Operation, body: &[u8]) -> Result<(), ApiError> {
    let takes_body = !matches!(
        op,
        Operation::ListTagsForResource | Operation::UntagResource
    );
    if !takes_body || body.is_empty() {
        return Ok(());
    }
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let mime = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported Media Type: expected application/json, got '{}'",
            String::from_utf8_lossy(value.as_bytes())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(check_content_type(&h, Operation::SendEvent, b"{}").is_ok());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/JSON; charset=utf-8"),
        );
        assert!(check_content_type(&h, Operation::SendEvent, b"{}").is_ok());
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(matches!(
            check_content_type(&h, Operation::SendEvent, b"{}"),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(check_content_type(&h, Operation::SendEvent, b"").is_ok());
        assert!(check_content_type(&h, Operation::ListTagsForResource, b"x").is_ok());
    }
}
