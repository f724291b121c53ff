//! The HTTP side of the emulator: the accept loop (hyper HTTP/1.1 with
//! keep-alive, WebSocket upgrades and graceful shutdown), the axum router,
//! and the pipeline every API request goes through.
//!
//! A request asking for a WebSocket upgrade goes to the chat edge
//! ([`super::chat::upgrade`]) whatever its path, before any of the API
//! pipeline: the chat token it offers is its credential.
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
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::app::App;
use super::body::{check_content_type, read_body};
use super::chat::hub::{Ending, reasons};
use super::chat::upgrade;
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
    let chat = chat_router(app.clone());
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
        let chat = chat.clone();
        let mut close_rx = close_rx.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |req| handle(router.clone(), chat.clone(), req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
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
    app.chat.end_all(Ending::Close(1001, reasons::SHUTDOWN));
    // Chat sessions run on their own tasks: give them time to send their
    // close frames before the runtime goes away.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while app.chat.live() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
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
    chat: Router,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<Response, ConnectionDropped> {
    let router = if upgrade::is_upgrade(req.headers()) {
        chat
    } else {
        router
    };
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

/// Every WebSocket upgrade, whatever the path, is a chat handshake.
fn chat_router(app: Arc<App>) -> Router {
    Router::new().fallback(upgrade::upgrade).with_state(app)
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
    let Some(op) = route(named, &parts.method) else {
        app.stats.unknown_operation();
        return ApiError::UnknownOperation.into_response();
    };
    app.stats.request(op);
    let call = Call {
        app,
        op,
        request_id,
    };
    let body = match read_body(&parts.headers, body, app.max_body, app.body_timeout).await {
        Ok(b) => b,
        Err(e) => {
            app.stats.rejected_before_auth();
            return call.fail(e);
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
    let now = Utc::now();
    let caller = match call.authenticate(&signed, now) {
        Ok(caller) => caller,
        Err(e) => return call.fail(e),
    };
    let input = Input {
        body: &body,
        resource_label: op
            .is_tag_op()
            .then(|| path.strip_prefix("/tags/").unwrap_or("")),
        query,
    };
    if let Err(e) = check_content_type(&parts.headers, op, &body) {
        return call.fail(e);
    }

    let decision = app.faults.decide(op);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let drop_after = decision.fault == Some(Fault::DropAfterDelivery);
    if let Some(resp) = call.fault_before_delivery(decision.fault, input, &caller) {
        return resp;
    }
    if let Some(resp) = call.over_quota(input, &caller, drop_after) {
        return resp;
    }
    call.execute(&caller, input, now, drop_after)
}

/// The operation a request names: by the route (POST only), else by the
/// method on `/tags/{resourceArn}`.
fn route(named: Option<Operation>, method: &Method) -> Option<Operation> {
    match named {
        Some(op) if *method == Method::POST => Some(op),
        Some(_) => None,
        None => Operation::tag_op_for(method),
    }
}

/// One routed API request: what the pipeline's phases after routing share.
struct Call<'a> {
    app: &'a App,
    op: Operation,
    request_id: &'a str,
}

impl Call<'_> {
    /// An error reply, counted as a client or server error.
    fn fail(&self, e: ApiError) -> Response {
        let outcome = if e.status().is_server_error() {
            Outcome::ServerError
        } else {
            Outcome::ClientError
        };
        self.app.stats.outcome(self.op, outcome);
        e.into_response()
    }

    /// Verifies the SigV4 signature: the caller's account and region, or
    /// the refusal (counted as an authentication failure).
    fn authenticate(
        &self,
        signed: &RequestParts<'_>,
        now: DateTime<Utc>,
    ) -> Result<Caller, ApiError> {
        let app = self.app;
        let lookup = |id: &str| {
            app.credentials.get(id).map(|c| KeyInfo {
                secret_access_key: &c.secret_access_key,
                session_token: c.session_token.as_deref(),
            })
        };
        match sigv4::verify(signed, lookup, is_ivs_chat_region, now, app.max_skew) {
            Ok(auth) if !app.may_call(&auth.access_key_id, self.op.name()) => {
                let account = app.account_of(&auth.access_key_id);
                Err(ApiError::AccessDenied(format!(
                    "User: arn:aws:iam::{account}:user/{} is not authorized to perform: ivschat:{}",
                    auth.access_key_id,
                    self.op.name()
                )))
            }
            Ok(auth) => Ok(Caller {
                account: app.account_of(&auth.access_key_id).to_string(),
                region: auth.region,
            }),
            Err(e) => {
                tracing::debug!(
                    operation = self.op.name(),
                    error = e.code(),
                    "refused signature"
                );
                app.stats.auth_failure();
                Err(e)
            }
        }
    }

    /// Counts a fault and writes it to the faults log.
    fn log_fault(&self, input: Input<'_>, fault: Fault, delivered: bool, event_id: Option<String>) {
        self.app.stats.fault(fault);
        self.app.faults.log(FaultRecord {
            seq: 0,
            time: format_time(Utc::now()),
            request_id: self.request_id.to_string(),
            operation: self.op.name().to_string(),
            fault: fault.name().to_string(),
            delivered,
            event_id,
            room_arn: ops::named_room(self.op, input),
        });
    }

    /// The reply of a fault drawn to happen before the operation runs
    /// (throttle, 500/503, dropped connection); `None` to go on.
    fn fault_before_delivery(
        &self,
        fault: Option<Fault>,
        input: Input<'_>,
        caller: &Caller,
    ) -> Option<Response> {
        match fault {
            Some(Fault::Throttle) => {
                self.log_fault(input, Fault::Throttle, false, None);
                Some(self.fail(ApiError::Throttling {
                    resource_id: ops::throttle_resource_id(self.op, input, caller),
                    limit: self.op.quota().tps(),
                }))
            }
            Some(f @ Fault::Error(status)) => {
                self.log_fault(input, f, false, None);
                Some(self.fail(if status == 503 {
                    ApiError::ServiceUnavailable
                } else {
                    ApiError::InternalServer
                }))
            }
            Some(Fault::DropBeforeDelivery) => {
                self.log_fault(input, Fault::DropBeforeDelivery, false, None);
                self.app.stats.outcome(self.op, Outcome::Dropped);
                Some(dropped())
            }
            Some(Fault::DropAfterDelivery | Fault::ChatDrop) | None => None,
        }
    }

    /// The throttling reply when the caller's quota has no token left (a
    /// dropped connection when one was drawn); `None` to go on.
    fn over_quota(&self, input: Input<'_>, caller: &Caller, drop_after: bool) -> Option<Response> {
        let limit = self
            .app
            .quotas
            .check(&caller.account, &caller.region, self.op)
            .err()?;
        self.app.stats.outcome(self.op, Outcome::QuotaThrottled);
        let e = ApiError::Throttling {
            resource_id: ops::throttle_resource_id(self.op, input, caller),
            limit,
        };
        if drop_after {
            self.log_fault(input, Fault::DropAfterDelivery, false, None);
            return Some(dropped());
        }
        Some(e.into_response())
    }

    /// Runs the operation and replies, or drops the connection after
    /// delivery when that fault was drawn.
    fn execute(
        &self,
        caller: &Caller,
        input: Input<'_>,
        now: DateTime<Utc>,
        drop_after: bool,
    ) -> Response {
        let app = self.app;
        let ctx = Context {
            caller,
            rooms: &app.rooms,
            logging: &app.logging,
            quotas: app.resource_quotas,
            chat_minute: app.chat_minute,
            record: &app.record,
            chat: &app.chat,
            tokens: &app.chat_tokens,
            auto_create: app.auto_create,
            request_id: self.request_id,
            now,
        };
        let result = ops::execute(&ctx, self.op, input);
        if drop_after {
            let (delivered, event_id) = match &result {
                Ok(reply) => (true, reply.event_id.clone()),
                Err(_) => (false, None),
            };
            self.log_fault(input, Fault::DropAfterDelivery, delivered, event_id);
            app.stats.outcome(self.op, Outcome::Dropped);
            return dropped();
        }
        match result {
            Ok(reply) => {
                app.stats.outcome(self.op, Outcome::Succeeded);
                reply_response(reply)
            }
            Err(e) => self.fail(e),
        }
    }
}

/// An operation's reply as HTTP: its status, and its body as JSON.
fn reply_response(reply: ops::Reply) -> Response {
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
}
