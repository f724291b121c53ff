//! The integration tests: one binary, one module per area.

/// The tool's allocator wrapper, so the memory budget is tested as it runs.
#[global_allocator]
static ALLOCATOR: ivschat_playbook::budget::Budgeted<std::alloc::System> =
    ivschat_playbook::budget::Budgeted(std::alloc::System);

mod budget;
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
mod rooms;
mod run;
mod schema;
mod send_event;
mod support;
mod validate;
mod watch;
