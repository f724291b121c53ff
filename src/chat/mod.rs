//! The chat messaging client: what a viewer of a room receives, over the
//! IVS Chat Messaging WebSocket protocol (the one the official
//! `amazon-ivs-chat-messaging` client speaks). `watch` prints what arrives;
//! `run --verify` checks that every sent event does.
//!
//! - [`edge`]: which WebSocket URL serves a region (AWS, or an endpoint's);
//! - [`token`]: view-only chat tokens from `CreateChatToken`, through a
//!   limiter per account and region, registered as secrets;
//! - [`frame`]: the frames a server sends, as received;
//! - [`socket`]: one connection (the token as the only subprotocol);
//! - [`follow`]: a room followed across reconnects, and many rooms at once;
//! - [`verify`]: sent events matched, by id, with the frames that arrive.

pub mod edge;
pub mod follow;
pub mod frame;
pub mod socket;
pub mod token;
pub mod verify;

pub use edge::EdgeUrls;
pub use follow::{Note, Reconnect, State, follow_rooms};
pub use frame::Frame;
pub use token::Tokens;
