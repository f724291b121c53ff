//! The integration tests: one binary, one module per area.

/// The tool's allocator wrapper, so the memory budget is tested as it runs.
#[global_allocator]
static ALLOCATOR: ivschat_playbook::budget::Budgeted<std::alloc::System> =
    ivschat_playbook::budget::Budgeted(std::alloc::System);

mod action;
mod budget;
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
mod js;
mod layers;
mod outputs;
mod plan;
mod precommit;
mod render_cache;
mod rooms;
mod run;
mod sarif;
mod schema;
mod send_event;
mod support;
mod timeline;
mod validate;
mod watch;
