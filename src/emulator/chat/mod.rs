//! The emulator's chat edge: the WebSocket messaging endpoint the official
//! `amazon-ivs-chat-messaging` client (and any client speaking the IVS Chat
//! Messaging API) connects to, on the emulator's own address and port
//! (`ws://HOST:PORT`).
//!
//! A connection is opened with a token from `CreateChatToken`, offered as
//! the only WebSocket subprotocol; it then receives, as JSON text frames,
//! an `EVENT` for every accepted `SendEvent` to its room (with the id
//! `SendEvent` returned), the room's `MESSAGE`s and the system events of
//! `DeleteMessage` and `DisconnectUser`; it may send `SEND_MESSAGE`,
//! `DELETE_MESSAGE` and `DISCONNECT_USER` as its token allows. See
//! `docs/emulator.md` for the user reference.
//!
//! Modules, one concept each:
//! - [`tokens`] — the token store behind `CreateChatToken`.
//! - [`upgrade`] — the handshake (token in, token echoed).
//! - [`session`] — one connection's life.
//! - [`frames`] — the client and server frames.
//! - [`actions`] — what each client action does, and the system events.
//! - [`hub`] — the room fan-out with bounded send queues.
//! - [`rate`] — a room's message rate bucket.

pub mod actions;
pub mod frames;
pub mod hub;
pub mod rate;
pub mod session;
pub mod tokens;
pub mod upgrade;
