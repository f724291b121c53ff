//! `schema`: print or write the generated JSON Schemas; the registry of
//! the schemas committed under `schema/`.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;
use crate::schema::generate;

/// A generated schema and the file name it is committed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// A playbook file.
    Playbook,
    /// A room inventory file (a playbook's `include`).
    Inventory,
    /// An event definition file (a playbook's `catalog`).
    EventDefinition,
    /// The JSON output of `plan --format json`.
    Plan,
    /// The JSON report of `run`.
    Report,
}

impl SchemaKind {
    /// Every kind, in the order files are written.
    pub const ALL: &'static [SchemaKind] = &[
        SchemaKind::Playbook,
        SchemaKind::Inventory,
        SchemaKind::EventDefinition,
        SchemaKind::Plan,
        SchemaKind::Report,
    ];

    /// The file name under `schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Playbook => "playbook.schema.json",
            SchemaKind::Inventory => "inventory.schema.json",
            SchemaKind::EventDefinition => "event-definition.schema.json",
            SchemaKind::Plan => "plan.schema.json",
            SchemaKind::Report => "report.schema.json",
        }
    }

    /// The schema.
    pub fn generate(self) -> Value {
        match self {
            SchemaKind::Playbook => generate::<crate::playbook::Playbook>(),
            SchemaKind::Inventory => generate::<crate::playbook::Inventory>(),
            SchemaKind::EventDefinition => generate::<crate::catalog::model::DefinitionDocument>(),
            SchemaKind::Plan => generate::<crate::plan::Plan>(),
            SchemaKind::Report => generate::<crate::report::Report>(),
        }
    }

    /// The schema as the committed file's text.
    pub fn text(self) -> String {
        let mut s = serde_json::to_string_pretty(&self.generate()).expect("schema serializes");
        s.push('\n');
        s
    }
}

/// `schema` options.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum, default_value_t = SchemaKind::Playbook)]
    pub kind: SchemaKind,
    /// Write every schema into this folder instead of printing one.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Print the playbook schema specialised to these event definitions (a
    /// file, folder or glob; repeatable), so editors check `use:` events
    /// against their contracts.
    #[arg(long, value_name = "PATH", conflicts_with = "write")]
    pub catalog: Vec<String>,
}

/// Runs `schema`.
pub fn exec(a: &SchemaArgs, io: &mut Io<'_>) -> CmdResult {
    if !a.catalog.is_empty() {
        if a.kind != SchemaKind::Playbook {
            return io.refuse("--catalog specialises the playbook schema only");
        }
        return super::catalog::schema(&a.catalog, io);
    }
    match &a.write {
        None => io.out.write_all(a.kind.text().as_bytes())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the folder {}: {e}", dir.display()))?;
            for k in SchemaKind::ALL {
                let path = dir.join(k.file_name());
                std::fs::write(&path, k.text())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                writeln!(io.err, "wrote {}", path.display())?;
            }
        }
    }
    Ok(Exit::Ok)
}
