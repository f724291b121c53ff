//! View-only chat tokens: `CreateChatToken` with no capabilities, through
//! the same clients (and credentials) as sending, and through a limiter per
//! account and region, since `CreateChatToken` has its own quota (200 TPS
//! per account and region). Every token is registered as a secret the
//! moment it arrives: it grants a session in the room, so no log line,
//! message or report may show it.

use std::sync::Arc;

use aws_sdk_ivschat::error::ProvideErrorMetadata as _;

use crate::clients::{Clients, error_chain};
use crate::execute::limiter::Limiters;
use crate::service::arn::RoomArn;

/// `CreateChatToken`'s quota, per account and region.
pub const CREATE_CHAT_TOKEN_QUOTA_TPS: f64 = 200.0;
/// The rate tokens are made at: half the quota, as sending takes half of
/// SendEvent's, leaving the rest to the application's own back end.
pub const TOKEN_RATE: f64 = CREATE_CHAT_TOKEN_QUOTA_TPS / 2.0;
/// Tokens made at once after an idle moment, on top of the rate.
pub const TOKEN_BURST: u32 = 10;
/// The user id of the watcher's tokens (what other chat users would see if
/// it could send; with no capabilities it cannot).
pub const WATCHER_USER_ID: &str = "ivschat-playbook-watch";

/// Why no token was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// The error code (`ResourceNotFoundException`, `AccessDeniedException`,
    /// `DispatchFailure`, …).
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// Whether asking again may work (throttling, 5xx, no connection).
    pub retryable: bool,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Makes view-only tokens for rooms, one limiter per account and region.
pub struct Tokens {
    clients: Arc<Clients>,
    limiters: Limiters,
}

impl Tokens {
    /// Tokens through `clients`, at [`TOKEN_RATE`] with [`TOKEN_BURST`].
    pub fn new(clients: Arc<Clients>) -> Self {
        Tokens {
            clients,
            limiters: Limiters::new(TOKEN_RATE, TOKEN_BURST),
        }
    }

    /// A token for `room` with no capabilities: it receives, never sends.
    pub async fn view_token(&self, room: &RoomArn) -> Result<String, TokenError> {
        let Some(client) = self.clients.get(&room.region) else {
            return Err(TokenError {
                code: "NoClient".into(),
                message: format!("no client for region {}", room.region),
                retryable: false,
            });
        };
        let limiter = self.limiters.get(&room.account, &room.region);
        limiter.acquire().await;
        limiter.depart().await;
        let answer = client
            .create_chat_token()
            .room_identifier(&room.arn)
            .user_id(WATCHER_USER_ID)
            .set_capabilities(Some(Vec::new()))
            .send()
            .await;
        match answer {
            Ok(out) => {
                let token = out.token().unwrap_or_default().to_string();
                if token.is_empty() {
                    return Err(TokenError {
                        code: "NoToken".into(),
                        message: "CreateChatToken answered without a token".into(),
                        retryable: true,
                    });
                }
                crate::redact::register(&token);
                Ok(token)
            }
            Err(e) => {
                let code = e.code().map(str::to_string);
                let status = e.raw_response().map(|r| r.status().as_u16());
                let retryable = match (code.as_deref(), status) {
                    (Some("ThrottlingException"), _) => {
                        limiter.on_throttle();
                        true
                    }
                    (_, Some(s)) => s >= 500,
                    // No answer: no connection, a timeout.
                    (None, None) => true,
                    (Some(_), None) => false,
                };
                Err(TokenError {
                    code: code.unwrap_or_else(|| "DispatchFailure".into()),
                    message: e
                        .message()
                        .map(str::to_string)
                        .unwrap_or_else(|| error_chain(&e)),
                    retryable,
                })
            }
        }
    }
}
