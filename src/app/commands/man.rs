//! `man`: manual pages in roff, generated from the command line's own
//! definition (clap_mangen): the main page on stdout, or one page per
//! command into a folder, ready for `/usr/share/man/man1`.

use std::path::PathBuf;

use clap::Args;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;

/// `man` options.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write a page for every command (ivschat-playbook.1,
    /// ivschat-playbook-validate.1, …) into this folder instead of printing
    /// the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the main page, or writes every page into `--dir`. `cli` is the
/// whole command line, which the caller builds.
pub fn exec(a: &ManArgs, cli: clap::Command, io: &mut Io<'_>) -> CmdResult {
    let Some(dir) = &a.dir else {
        clap_mangen::Man::new(cli).render(io.out)?;
        return Ok(Exit::Ok);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the folder {}: {e}", dir.display()))?;
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    write_pages(&cli, dir, io)?;
    Ok(Exit::Ok)
}

/// Writes the page of `cmd` and of each of its visible subcommands, as
/// `clap_mangen::generate_to` does, saying which files it wrote.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path, io: &mut Io<'_>) -> CmdResult {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = man
        .generate_to(dir)
        .map_err(|e| anyhow::anyhow!("cannot write a page into {}: {e}", dir.display()))?;
    writeln!(io.err, "wrote {}", path.display())?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, io)?;
    }
    Ok(Exit::Ok)
}
