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
//! - [`catalog`]: event definitions, the versioned contracts playbook events
//!   `use:`; checked during validation and planning, and by `catalog`.
//! - [`emulator`]: a local IVS Chat endpoint, `serve(listener, shutdown)`.
//! - [`arn`]: the room ARN grammar and the IVS Chat regions.
//! - [`schema`]: the generated JSON Schemas that are committed under `schema/`.
//! - [`request`]: the service's rules for one SendEvent request, shared by
//!   playbook validation and `send-event`.
//! - [`send_event`]: the `send-event` command, the AWS CLI's
//!   `aws ivschat send-event` over the same checks, client and retries as
//!   `run`; [`shorthand`] parses the AWS CLI's shorthand syntax for it.
//! - [`init`]: the `init` command's starter playbook and inventory.

pub mod arn;
pub mod catalog;
pub mod cli;
pub mod diag;
pub mod emulator;
pub mod execute;
pub mod init;
pub mod pipeline;
pub mod plan;
pub mod playbook;
pub mod report;
pub mod request;
pub mod run;
pub mod schema;
pub mod send_event;
pub mod shorthand;
pub mod validate;
