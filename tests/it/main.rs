//! The integration tests: one binary, one module per area.

mod action;
mod catalog;
mod cli;
mod codes;
mod completions;
mod conformance;
mod docs;
mod emulator;
mod engine;
mod fuzz;
mod hostile;
mod init;
mod install;
mod layers;
mod outputs;
mod plan;
mod precommit;
mod run;
mod sarif;
mod schema;
mod send_event;
mod support;
mod validate;
