//! `completions SHELL`: the shell completion script, generated from the
//! command line's own definition (clap_complete), so it never lags behind
//! the options.

use clap::Args;
use clap_complete::Shell;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Writes the completion script for `a.shell` to stdout. `cli` is the whole
/// command line, which the caller builds (this file cannot name it without
/// importing its parent).
pub fn exec(a: &CompletionsArgs, mut cli: clap::Command, io: &mut Io<'_>) -> CmdResult {
    let name = cli.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cli, name.clone(), &mut script);
    if a.shell == Shell::Bash {
        script = fix_bash_hyphen(&String::from_utf8_lossy(&script), &name).into_bytes();
    }
    io.out.write_all(&script)?;
    Ok(Exit::Ok)
}

/// Makes the bash script complete past the subcommand for a name with a
/// hyphen. clap_complete spells the script's state `ivschat__playbook…`
/// where it walks the words but `ivschat__subcmd__playbook…` in the
/// `case` arms that list each command's options, so no arm ever matched
/// (clap-rs/clap#6421, open for this version): this respells the arms the
/// way the walk spells them.
fn fix_bash_hyphen(script: &str, name: &str) -> String {
    if !name.contains('-') {
        return script.to_string();
    }
    let arms = name.replace('-', "__subcmd__");
    let walk = name.replace('-', "__");
    script.replace(&arms, &walk)
}
