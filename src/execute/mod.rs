//! Sending a plan: the service client ([`api`]), rate limiting per account
//! and region ([`limiter`]), the retry policy ([`retry`]), the send loop
//! ([`engine`]), the timeline's waits ([`schedule`]) and progress display
//! ([`progress`]).

pub mod api;
pub mod attempt;
pub mod engine;
pub mod limiter;
pub mod progress;
pub mod retry;
pub mod schedule;

pub use api::{
    AttemptError, ChatApi, ClientOptions, Delivered, LocalFailure, SdkChatApi, SendRequest,
};
pub use engine::{Engine, LoopEnd, NoProgress, Progress};
pub use schedule::LatePolicy;
