//! Run results for people and programs: the report model ([`model`],
//! generated as `schema/report.schema.json`), building it from the journal
//! ([`build`]), its renderers ([`render`], and [`timeline`] for a run's
//! steps), and reading an earlier run's
//! report back for `--resume` ([`resume`]). The journal itself is
//! [`crate::journal`], the layer below.

pub mod build;
pub mod model;
pub mod render;
pub mod resume;
pub mod timeline;

pub use model::{Report, SendRecord, Status};
