//! The integration tests: one binary, one module per area.

mod catalog;
mod cli;
mod codes;
mod conformance;
mod docs;
mod emulator;
mod engine;
mod fuzz;
mod hostile;
mod init;
mod js;
mod layers;
mod plan;
mod run;
mod schema;
mod send_event;
mod support;
mod validate;
mod watch;
