//! `catalog codegen --lang typescript PATH...`: the catalog as a module the
//! front-end compiles, written to stdout or `--out FILE`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::catalog::load::load_paths;
use crate::diag::{self, DiagFormat};

/// `catalog codegen` options.
#[derive(Debug, Args)]
pub struct CodegenArgs {
    /// Definition files, folders (their .yaml/.yml files) or globs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The language to write.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// Write the module to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A language `catalog codegen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// A TypeScript module (compiles with `tsc --strict`).
    Typescript,
}

/// Runs `catalog codegen`: nothing is written when the catalog has errors.
pub fn exec(a: &CodegenArgs, io: &mut Io<'_>) -> CmdResult {
    let l = load_paths(&a.paths);
    io.diagnostics(&l.sources, &l.diagnostics, DiagFormat::Human, false)?;
    let (errors, _) = diag::counts(&l.diagnostics);
    if errors > 0 {
        return io.end(
            Exit::Invalid,
            format_args!("no code: {}", plural(errors, "error")),
        );
    }
    let from = a
        .paths
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = match a.lang {
        Lang::Typescript => crate::catalog::codegen::typescript(&l.catalog, &from),
    };
    match &a.out {
        None => io.out.write_all(text.as_bytes())?,
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            writeln!(io.err, "wrote {}", path.display())?;
        }
    }
    Ok(Exit::Ok)
}
