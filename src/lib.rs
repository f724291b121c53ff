//! ivschat-playbook: a declarative batch sender for Amazon IVS Chat `SendEvent`.
//!
//! The data flow, one type per stage, each built by the stage before:
//!
//! ```text
//! playbooks/*.yaml ─playbook::load─▶ Vec<LoadedPlaybook> ─validate::check─▶ Vec<CheckedPlaybook>
//!   ─plan::Planner::scan─▶ ScannedPlan ─execute::Engine::run─▶ journal records ─report::build─▶ ReportHead + SendRecords
//! ```
//!
//! [`pipeline`] composes load, validate and plan in exactly one place
//! ([`pipeline::scan_files`]); `validate`, `plan` and `run` all go through
//! it. The outcomes of a run are its [`journal`]: every start and end of a
//! send is appended there as it happens, and the report is built from the
//! journal on disk, never from memory.
//!
//! ## Layers
//!
//! A module uses `crate::X` only from its own layer or a lower one, and no
//! two files import each other, even indirectly (`tests/it/layers.rs`
//! checks both). From the bottom:
//!
//! 0. leaves: [`diag`] (diagnostics and their rendering), [`service`] (what
//!    IVS Chat accepts), [`yaml`] (the one YAML parser pass), [`fs`] (reading
//!    input files), [`schema`] (JSON-Schema generation), [`redact`] (secrets
//!    kept out of logs), [`budget`] (the memory a template may take)
//! 1. formats: [`catalog`] (event definitions), [`playbook`] (the playbook
//!    format, loading, templates)
//! 2. [`validate`]: schema and semantic checks → [`validate::CheckedPlaybook`]
//! 3. [`plan`] (rooms × events → [`plan::ScannedPlan`]) and [`pipeline`]
//! 4. [`journal`] (records, [`journal::Status`], the one reader),
//!    [`clients`] (one SDK client per region, shared by all that call the
//!    service),
//!    [`execute`] (`SendEvent` attempts, limiter, retry, engine),
//!    [`discover`] (rooms listed from the service, by tag and name) and
//!    [`chat`] (the chat messaging client: what a room's viewers receive,
//!    for `watch` and `run --verify`)
//! 5. [`report`]: the report built from the journal
//! 6. [`app`]: the command line; the only place with clap, exit statuses,
//!    stdout and stderr
//!
//! [`emulator`] stands beside the layers: a local IVS Chat endpoint that uses
//! only [`service`], so it keeps its own reading of the service model.

// Layer 0: leaves.
pub mod budget;
pub mod diag;
pub mod fs;
pub mod redact;
pub mod schema;
pub mod service;
pub mod yaml;

// Layer 1: formats.
pub mod catalog;
pub mod playbook;

// Layer 2.
pub mod validate;

// Layer 3.
pub mod pipeline;
pub mod plan;

// Layer 4.
pub mod chat;
pub mod clients;
pub mod discover;
pub mod execute;
pub mod journal;

// Layer 5.
pub mod report;

// Layer 6.
pub mod app;

// Beside the layers.
pub mod emulator;
