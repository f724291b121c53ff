//! Event catalogs: contract violations in playbooks, `catalog check`,
//! `catalog list`, `catalog diff`, and the catalog-specialised schema.
//!
//! Fixtures under tests/fixtures/catalog/: `events/` is a catalog, the
//! playbooks in `violations/` break it one way each and `check/` holds one
//! broken definition file per `catalog check` error; each names the code it
//! must produce on its first line (`# expect: CODE`), and the exact
//! diagnostics are snapshot-tested. `diff/old` and `diff/new` differ in
//! every way `catalog diff` knows.

mod check;
mod codegen;
mod diff;
mod editor_schema;
mod violations;

use std::path::PathBuf;

use clap::Parser;
use indexmap::IndexMap;
use ivschat_playbook::app::{Cli, Io, dispatch};
use ivschat_playbook::pipeline::{Planned, plan_files};
use ivschat_playbook::plan::SettingsOverrides;

fn plan(paths: &[PathBuf]) -> Planned {
    plan_files(
        paths,
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    )
}

/// Runs the command line in-process: (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let parsed =
        Cli::try_parse_from(std::iter::once("ivschat-playbook").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = dispatch(
        parsed.command,
        &mut Io {
            out: &mut out,
            err: &mut err,
            color: false,
        },
    )
    .unwrap();
    (
        i32::from(code.code()),
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}
pub(super) use snapshot;
