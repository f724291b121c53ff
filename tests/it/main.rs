//! The integration tests: one binary, one module per area.

mod cli;
mod conformance;
mod docs;
mod emulator;
mod files;
mod plan;
mod run;
mod schema;
mod support;
mod validate;
