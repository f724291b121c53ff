//! The one door to the service for sending: `SendEvent` through the shared
//! per-region clients ([`crate::clients`]), with every failure sorted by
//! what is safe to do next.
//!
//! The SDK's own retries are off: the send loop owns attempts, so each one
//! passes the rate limiter and is counted. What matters about a failure is
//! whether the event may have been delivered:
//!
//! - the service answered with an error: it was not delivered; throttling
//!   and 5xx may be retried, validation, access and not-found may not;
//! - the connection could not be made: nothing was sent; retry;
//! - the request went out and no answer came back (timeout, reset): the
//!   event may or may not have been delivered. SendEvent has no idempotency
//!   token, so this is `unknown` and is never retried silently.

use std::error::Error as StdError;

use aws_sdk_ivschat::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::operation::RequestId;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use futures::future::BoxFuture;

pub use crate::clients::{ClientOptions, Clients, error_chain};
use indexmap::IndexMap;

/// One SendEvent call's input.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// Account of the room: its credentials sign, else the default ones.
    pub account: String,
    /// Region of the room: the client for it is used.
    pub region: String,
    /// `roomIdentifier`.
    pub room_arn: String,
    /// `eventName`.
    pub event_name: String,
    /// `attributes`.
    pub attributes: IndexMap<String, String>,
}

/// A delivered event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The `id` the service returned.
    pub message_id: String,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
}

/// Why an attempt did not deliver, sorted by what may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// `ThrottlingException`: not delivered; retry after backing off, and
    /// slow this region down.
    Throttled {
        /// Service message.
        message: String,
        /// Request id.
        request_id: Option<String>,
    },
    /// A 5xx answer: not delivered; retry.
    Server {
        /// Error code (`InternalServerException`, or `HTTP 503`).
        code: String,
        /// Service message.
        message: String,
        /// Request id.
        request_id: Option<String>,
    },
    /// No connection could be made, so nothing was sent; retry.
    NotSent {
        /// What happened.
        message: String,
    },
    /// The request may have reached the service but no answer came back.
    Unknown {
        /// What happened.
        message: String,
    },
    /// The service refused the request (validation, access, not found):
    /// retrying cannot help.
    Rejected {
        /// Error code, such as `ResourceNotFoundException`.
        code: String,
        /// Service message.
        message: String,
        /// Request id.
        request_id: Option<String>,
    },
    /// Refused on this side before anything was sent; retrying cannot help.
    Local {
        /// What was wrong.
        failure: LocalFailure,
        /// What happened.
        message: String,
    },
}

/// Why a request never left this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalFailure {
    /// No client for the request's region.
    NoClient,
    /// The SDK could not build the request.
    InvalidRequest,
    /// Credentials could not be loaded.
    Credentials,
}

impl LocalFailure {
    /// The code journals and reports carry.
    pub fn code(self) -> &'static str {
        match self {
            LocalFailure::NoClient => "NoClient",
            LocalFailure::InvalidRequest => "InvalidRequest",
            LocalFailure::Credentials => "CredentialsError",
        }
    }
}

impl AttemptError {
    /// The error code to report.
    pub fn code(&self) -> &str {
        match self {
            AttemptError::Throttled { .. } => "ThrottlingException",
            AttemptError::Server { code, .. } | AttemptError::Rejected { code, .. } => code,
            AttemptError::NotSent { .. } => "ConnectionError",
            AttemptError::Unknown { .. } => "NoResponse",
            AttemptError::Local { failure, .. } => failure.code(),
        }
    }

    /// The message to report.
    pub fn message(&self) -> &str {
        match self {
            AttemptError::Throttled { message, .. }
            | AttemptError::Server { message, .. }
            | AttemptError::NotSent { message }
            | AttemptError::Unknown { message }
            | AttemptError::Rejected { message, .. }
            | AttemptError::Local { message, .. } => message,
        }
    }

    /// The request id, when the service answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            AttemptError::Throttled { request_id, .. }
            | AttemptError::Server { request_id, .. }
            | AttemptError::Rejected { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether another attempt is safe and may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AttemptError::Throttled { .. }
                | AttemptError::Server { .. }
                | AttemptError::NotSent { .. }
        )
    }
}

/// Sends one event. The real implementation is [`SdkChatApi`]; tests of the
/// send loop may use a scripted one.
pub trait ChatApi: Send + Sync {
    /// One attempt, no retries.
    fn send_event<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<Delivered, AttemptError>>;
}

/// `SendEvent` through the shared per-account and per-region clients.
pub struct SdkChatApi {
    clients: std::sync::Arc<Clients>,
}

impl SdkChatApi {
    /// Clients for `regions`, as [`Clients::connect`] builds them.
    pub async fn new(regions: &[String], options: &ClientOptions) -> Self {
        SdkChatApi {
            clients: std::sync::Arc::new(Clients::connect(regions, options).await),
        }
    }

    /// The clients it sends through (shared with the chat client, which
    /// makes its tokens with the same credentials).
    pub fn clients(&self) -> std::sync::Arc<Clients> {
        self.clients.clone()
    }

    /// See [`Clients::check_credentials`].
    pub async fn check_credentials(&self) -> Result<(), String> {
        self.clients.check_credentials().await
    }

    /// See [`Clients::check_credentials_for`].
    pub async fn check_credentials_for(&self, accounts: &[String]) -> Result<(), String> {
        self.clients.check_credentials_for(accounts).await
    }
}

impl ChatApi for SdkChatApi {
    fn send_event<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<Delivered, AttemptError>> {
        Box::pin(async move {
            let Some(client) = self.clients.get_for(&request.account, &request.region) else {
                return Err(AttemptError::Local {
                    failure: LocalFailure::NoClient,
                    message: format!("no client for region {}", request.region),
                });
            };
            let mut call = client
                .send_event()
                .room_identifier(&request.room_arn)
                .event_name(&request.event_name);
            for (k, v) in &request.attributes {
                call = call.attributes(k, v);
            }
            match call.send().await {
                Ok(out) => Ok(Delivered {
                    message_id: out.id().unwrap_or_default().to_string(),
                    request_id: out.request_id().map(str::to_string),
                }),
                Err(e) => Err(match classify(e) {
                    // Say where the connection was tried.
                    AttemptError::NotSent { message } => AttemptError::NotSent {
                        message: format!(
                            "cannot connect to {}: {message}",
                            self.clients
                                .endpoint(&request.region)
                                .unwrap_or("the endpoint")
                        ),
                    },
                    other => other,
                }),
            }
        })
    }
}

/// Sorts an SDK error into what may follow.
pub fn classify(
    e: SdkError<SendEventError, aws_smithy_runtime_api::http::Response>,
) -> AttemptError {
    match &e {
        SdkError::ServiceError(se) => service_error(se.raw().status().as_u16(), se.err()),
        SdkError::ResponseError(re) => {
            let status = re.raw().status().as_u16();
            let message = format!("unreadable response (HTTP {status}): {}", error_chain(&e));
            unreadable_response(status, message)
        }
        SdkError::DispatchFailure(df) => dispatch_failure(&e, df.is_user()),
        SdkError::TimeoutError(_) => AttemptError::Unknown {
            message: error_chain(&e),
        },
        SdkError::ConstructionFailure(_) => AttemptError::Local {
            failure: LocalFailure::InvalidRequest,
            message: error_chain(&e),
        },
        _ => AttemptError::Unknown {
            message: error_chain(&e),
        },
    }
}

/// An error the service answered with, at HTTP `status`.
fn service_error(status: u16, err: &SendEventError) -> AttemptError {
    let code = err.code().unwrap_or("Unknown").to_string();
    let message = err.message().unwrap_or_default().to_string();
    let request_id = err.request_id().map(str::to_string);
    if matches!(err, SendEventError::ThrottlingException(_)) || status == 429 {
        AttemptError::Throttled {
            message,
            request_id,
        }
    } else if status >= 500 {
        let code = if err.code().is_some() {
            code
        } else {
            format!("HTTP {status}")
        };
        AttemptError::Server {
            code,
            message,
            request_id,
        }
    } else {
        AttemptError::Rejected {
            code,
            message,
            request_id,
        }
    }
}

/// An answer at HTTP `status` that could not be read.
fn unreadable_response(status: u16, message: String) -> AttemptError {
    if status >= 500 {
        AttemptError::Server {
            code: format!("HTTP {status}"),
            message,
            request_id: None,
        }
    } else if status == 429 {
        AttemptError::Throttled {
            message,
            request_id: None,
        }
    } else if (200..300).contains(&status) {
        // The service accepted the event, but its answer was garbled.
        AttemptError::Unknown { message }
    } else {
        AttemptError::Rejected {
            code: format!("HTTP {status}"),
            message,
            request_id: None,
        }
    }
}

/// A request that could not be dispatched; `is_user` when the SDK says the
/// failure is the caller's.
fn dispatch_failure(e: &(dyn StdError + 'static), is_user: bool) -> AttemptError {
    let message = error_chain(e);
    if has_source::<aws_credential_types::provider::error::CredentialsError>(e) {
        // Signing needs credentials first: nothing went out.
        return AttemptError::Local {
            failure: LocalFailure::Credentials,
            message,
        };
    }
    if is_connect_failure(e) || is_user {
        AttemptError::NotSent { message }
    } else {
        AttemptError::Unknown { message }
    }
}

/// Whether an error of type `E` is in the chain.
fn has_source<E: StdError + 'static>(e: &(dyn StdError + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        if err.downcast_ref::<E>().is_some() {
            return true;
        }
        next = err.source();
    }
    false
}

/// Whether the error chain says the connection was never established, so no
/// byte of the request was sent.
fn is_connect_failure(e: &(dyn StdError + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(h) = err.downcast_ref::<hyper_util::client::legacy::Error>()
            && h.is_connect()
        {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
            )
        {
            return true;
        }
        next = err.source();
    }
    false
}
