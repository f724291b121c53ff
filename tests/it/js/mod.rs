//! Real JavaScript clients against the emulator, installed pinned from npm
//! by `scripts/setup-node` (which `scripts/test` runs): the official
//! `amazon-ivs-chat-messaging` ChatRoom on the chat edge, and the AWS SDK
//! for JavaScript v3 on every operation and error of the model.

mod chat;
mod docs;
mod sdk;
