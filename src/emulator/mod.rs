//! A local Amazon IVS Chat endpoint for tests, demos and benchmarks.
//!
//! It speaks the service's restJson1 protocol exactly as the model in
//! botocore's `data/ivschat/2020-07-14/service-2.json` describes it, so the
//! real SDKs and the AWS CLI work against it: `SendEvent`, `CreateChatToken`,
//! `CreateRoom`, `GetRoom`, `ListRooms`, `UpdateRoom`, `DeleteRoom`,
//! `TagResource`, `UntagResource` and `ListTagsForResource`. Requests must be
//! SigV4-signed (service `ivschat`) by a configured key; inputs are checked
//! against every constraint of the model; errors carry `x-amzn-ErrorType`,
//! `__type`, `message` and the modelled members; every reply carries
//! `x-amzn-RequestId`.
//!
//! **Regions.** One emulator stands for every IVS Chat regional endpoint.
//! The region of a request is the one in its SigV4 credential scope; a room
//! lives in the region of its ARN; a request that names a room of another
//! region is answered `ResourceNotFoundException`, which is what the regional
//! endpoint the request was signed for would say, since that room does not
//! exist there. Regions where IVS Chat is not offered are refused at the
//! signature check.
//!
//! On top of the service it keeps a delivery record of accepted events
//! (memory, optionally capped, and a JSON-lines file), enforces the real
//! quotas per account and region, injects reproducible faults, and offers a
//! control API under `/_emulator/`. See `docs/emulator.md` for the user
//! reference.
//!
//! Modules, one concept each:
//! - [`server`] — accept loop and the request pipeline, [`serve`].
//! - [`handle`] — the in-process handle for tests, [`spawn`].
//! - [`config`] — [`EmulatorConfig`] and the rooms file.
//! - [`app`] — shared state.
//! - [`operation`] — operation names, bindings and quota classes.
//! - [`model`] — request shapes and their constraints.
//! - [`body`] — reading a request body (cap, deadline, content type).
//! - [`call`] — what an operation is given (caller, state, input) and replies.
//! - [`ops`] — what each operation does (dispatch, rooms, tags).
//! - [`messaging`] — SendEvent, CreateChatToken, DeleteMessage, DisconnectUser.
//! - [`logging`] — the logging configurations of every region.
//! - [`logging_ops`] — the five logging-configuration operations.
//! - [`rooms`] — the rooms of every region.
//! - [`sigv4`] — signature verification (and a signer for tests and benches).
//! - [`errors`] — error replies.
//! - [`quota`] — token buckets.
//! - [`faults`] — fault injection and its log.
//! - [`record`] — the delivery record.
//! - [`chat`] — the WebSocket chat edge (tokens, connections, fan-out).
//! - [`stats`] — counters.
//! - [`control`] — the `/_emulator/` API.

pub mod app;
pub mod body;
pub mod call;
pub mod chat;
pub mod config;
pub mod control;
pub mod errors;
pub mod faults;
pub mod handle;
pub mod logging;
pub mod logging_ops;
pub mod messaging;
pub mod model;
pub mod operation;
pub mod ops;
pub mod quota;
pub mod record;
pub mod rooms;
pub mod server;
pub mod sigv4;
pub mod stats;

pub use config::{Credential, EmulatorConfig, RoomSeed, RoomSeedSpec};
pub use errors::ApiError;
pub use faults::{DropMode, FaultConfig, FaultRecord};
pub use handle::{EmulatorHandle, spawn, spawn_on};
pub use operation::Operation;
pub use record::DeliveredEvent;
pub use server::serve;
pub use sigv4::Signer;
pub use stats::StatsSnapshot;
