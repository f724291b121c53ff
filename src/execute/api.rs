//! The one door to the service: `SendEvent` through `aws-sdk-ivschat`, one
//! client per region, with every failure sorted by what is safe to do next.
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

use std::collections::HashMap;
use std::error::Error as StdError;
use std::time::Duration;

use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::timeout::TimeoutConfig;
use aws_sdk_ivschat::config::{BehaviorVersion, Region};
use aws_sdk_ivschat::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivschat::operation::RequestId;
use aws_sdk_ivschat::operation::send_event::SendEventError;
use futures::future::BoxFuture;
use indexmap::IndexMap;

/// One SendEvent call's input.
#[derive(Debug, Clone)]
pub struct SendRequest {
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
}

impl AttemptError {
    /// The error code to report.
    pub fn code(&self) -> &str {
        match self {
            AttemptError::Throttled { .. } => "ThrottlingException",
            AttemptError::Server { code, .. } | AttemptError::Rejected { code, .. } => code,
            AttemptError::NotSent { .. } => "ConnectionError",
            AttemptError::Unknown { .. } => "NoResponse",
        }
    }

    /// The message to report.
    pub fn message(&self) -> &str {
        match self {
            AttemptError::Throttled { message, .. }
            | AttemptError::Server { message, .. }
            | AttemptError::NotSent { message }
            | AttemptError::Unknown { message }
            | AttemptError::Rejected { message, .. } => message,
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

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// A named profile from the shared AWS config files.
    pub profile: Option<String>,
    /// Region for the SDK's own configuration (rooms always use the region
    /// in their ARN).
    pub region: Option<String>,
    /// Region for the SDK's own configuration when neither `region`, the
    /// environment nor the profile names one, instead of asking the
    /// instance metadata service (slow, and noisy off EC2).
    pub fallback_region: Option<String>,
    /// Endpoint override; otherwise `AWS_ENDPOINT_URL_IVSCHAT`,
    /// `AWS_ENDPOINT_URL` and the config files are honoured by aws-config.
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the default chain (for the embedded
    /// emulator).
    pub static_credentials: Option<aws_credential_types::Credentials>,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
}

/// `aws-sdk-ivschat` clients, one per region.
pub struct SdkChatApi {
    clients: HashMap<String, aws_sdk_ivschat::Client>,
    /// What the clients sign with, from the configuration chain.
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl SdkChatApi {
    /// Builds a client for each region from the standard configuration chain
    /// (environment, profiles, SSO, instance metadata), with SDK retries off.
    pub async fn new(regions: &[String], options: &ClientOptions) -> Self {
        let base = match &options.static_credentials {
            // Nothing from the machine's AWS configuration is read.
            Some(creds) => aws_config::SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(creds.clone()),
                )
                .build(),
            None => {
                // Retries are ours: given explicitly, the SDK's retry settings
                // are not read from the environment, where AWS CLI values
                // such as AWS_RETRY_MODE=legacy would make aws-config panic.
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(RetryConfig::disabled());
                if let Some(p) = &options.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(r) = &options.region {
                    loader = loader.region(Region::new(r.clone()));
                } else if let Some(fallback) = &options.fallback_region {
                    let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
                    if let Some(p) = &options.profile {
                        profile = profile.profile_name(p);
                    }
                    loader = loader.region(
                        aws_config::meta::region::RegionProviderChain::first_try(
                            aws_config::environment::EnvironmentVariableRegionProvider::new(),
                        )
                        .or_else(profile.build())
                        .or_else(Region::new(fallback.clone())),
                    );
                }
                loader.load().await
            }
        };
        let mut clients = HashMap::new();
        for region in regions {
            let mut b = aws_sdk_ivschat::config::Builder::from(&base)
                .region(Region::new(region.clone()))
                .retry_config(RetryConfig::disabled())
                .timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(options.connect_timeout)
                        .build(),
                );
            if let Some(url) = &options.endpoint_url {
                b = b.endpoint_url(url);
            }
            if options.static_credentials.is_some() {
                b = b.behavior_version(BehaviorVersion::latest());
            }
            clients.insert(
                region.clone(),
                aws_sdk_ivschat::Client::from_conf(b.build()),
            );
        }
        SdkChatApi {
            clients,
            credentials: base.credentials_provider(),
        }
    }

    /// Resolves the credentials the clients sign with, so that missing
    /// credentials are told apart before a request is made (the SDK reports
    /// them as a failed dispatch, like a lost connection).
    pub async fn check_credentials(&self) -> Result<(), String> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| "no credentials provider is configured".to_string())?;
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|e| error_chain(&e))
    }
}

/// Code of a [`AttemptError::Rejected`] made here because there was no
/// client for the request's region.
pub const NO_CLIENT: &str = "NoClient";
/// Code of a [`AttemptError::Rejected`] made here because the SDK could not
/// build the request.
pub const INVALID_REQUEST: &str = "InvalidRequest";

/// Code of a [`AttemptError::Rejected`] made here because credentials could
/// not be loaded (nothing was sent).
pub const CREDENTIALS_ERROR: &str = "CredentialsError";

/// Whether a [`AttemptError::Rejected`] code was made on this side, not
/// answered by the service.
pub fn is_local_code(code: &str) -> bool {
    code == NO_CLIENT || code == INVALID_REQUEST || code == CREDENTIALS_ERROR
}

impl ChatApi for SdkChatApi {
    fn send_event<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<Delivered, AttemptError>> {
        Box::pin(async move {
            let Some(client) = self.clients.get(&request.region) else {
                return Err(AttemptError::Rejected {
                    code: NO_CLIENT.into(),
                    message: format!("no client for region {}", request.region),
                    request_id: None,
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
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// Sorts an SDK error into what may follow.
pub fn classify(
    e: SdkError<SendEventError, aws_smithy_runtime_api::http::Response>,
) -> AttemptError {
    match &e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let err = se.err();
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
        SdkError::ResponseError(re) => {
            let status = re.raw().status().as_u16();
            let message = format!("unreadable response (HTTP {status}): {}", error_chain(&e));
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
        SdkError::DispatchFailure(df) => {
            let message = error_chain(&e);
            if has_source::<aws_credential_types::provider::error::CredentialsError>(&e) {
                // Signing needs credentials first: nothing went out.
                return AttemptError::Rejected {
                    code: CREDENTIALS_ERROR.into(),
                    message,
                    request_id: None,
                };
            }
            if is_connect_failure(&e) || df.is_user() {
                AttemptError::NotSent { message }
            } else {
                AttemptError::Unknown { message }
            }
        }
        SdkError::TimeoutError(_) => AttemptError::Unknown {
            message: error_chain(&e),
        },
        SdkError::ConstructionFailure(_) => AttemptError::Rejected {
            code: INVALID_REQUEST.into(),
            message: error_chain(&e),
            request_id: None,
        },
        _ => AttemptError::Unknown {
            message: error_chain(&e),
        },
    }
}

/// An error and its causes, as one line of their messages: "dispatch
/// failure: io error: Connection refused (os error 111)". The SDK's own
/// `DisplayErrorContext` appends a debug dump of every layer, which is no
/// message for a person or a report. A cause whose message its parent
/// already says is left out.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let m = cause.to_string();
        if !m.is_empty() && !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        next = cause.source();
    }
    out
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
