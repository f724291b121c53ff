//! Run results: the durable journal written during a run ([`journal`]),
//! the report model ([`model`], generated as `schema/report.schema.json`),
//! building the report from the journal ([`build`]), other renderers
//! ([`render`]), and reading an earlier run back for `--resume` ([`resume`]).

pub mod build;
pub mod journal;
pub mod model;
pub mod render;
pub mod resume;

pub use model::{Report, SendRecord, Status};
