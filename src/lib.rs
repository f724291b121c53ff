//! ivschat-playbook: a declarative batch sender for Amazon IVS Chat `SendEvent`.
//!
//! The data flow, one type per stage:
//!
//! ```text
//! playbooks/*.yaml ─load─▶ Playbook ─validate─▶ ValidPlaybook ─plan─▶ Plan ─execute─▶ outcomes ─report─▶ Report
//! ```
//!
//! - [`playbook`]: the YAML format (serde + schemars types), loading with
//!   source positions, includes, and templating.
//! - [`validate`]: JSON-Schema check with the generated schema, then the
//!   semantic checks; every problem is a [`diag::Diagnostic`].
//! - [`diag`]: diagnostics with stable codes and file:line:col, rendered for
//!   humans, as JSON or as GitHub annotations.
//! - [`plan`]: expansion of rooms × events into ordered sends with stable ids
//!   and a plan hash. No I/O.
//! - [`emulator`]: a local IVS Chat endpoint, `serve(listener, shutdown)`.
//! - [`arn`]: the room ARN grammar and the IVS Chat regions.
//! - [`schema`]: the generated JSON Schemas that are committed under `schema/`.

pub mod arn;
pub mod cli;
pub mod diag;
pub mod emulator;
pub mod execute;
pub mod pipeline;
pub mod plan;
pub mod playbook;
pub mod report;
pub mod run;
pub mod schema;
pub mod validate;
