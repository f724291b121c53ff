//! Exit statuses: one type, each variant with the one thing it means, and
//! the one place errors become a status.
//!
//! Commands return `Result<Exit, Failure>`. A command that decides how it
//! ends returns `Ok(Exit::…)`; an error carries its status with it
//! ([`Failure`]), the way cargo's `CliError` does, so the status is chosen
//! where the error happens (before or after anything was sent), never
//! guessed from the error's type at the end. docs/cli.md has the same table.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// How the process ends. The numbers are part of the interface: scripts
/// and CI retry or alert on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked for was done (every send sent, the playbook
    /// valid, the file written).
    Ok,
    /// 1: the command did its work and the result is a failure: not every
    /// send was sent (some failed, have an unknown outcome, or were not
    /// attempted; the report says which), or `catalog diff` found breaking
    /// changes.
    Failed,
    /// 2: invalid input or usage, refused before anything was sent. Safe to
    /// fix and run again.
    Invalid,
    /// 3: sends went out, then a record could not be written (the journal,
    /// a report, stdout). The journal holds what was sent; `report JOURNAL`
    /// rebuilds the report. Do not simply run again: resume.
    RecordFailed,
    /// 4: `run` refused, nothing sent: the rooms the playbook's `discover:`
    /// selectors find now differ from those its lock file pins. Review the
    /// change with `lock`, or send to the rooms found now with `--refresh`.
    StaleLock,
    /// 130: interrupted (Ctrl-C or SIGTERM); the journal has every outcome
    /// so far and `run --resume` continues.
    Interrupted,
    /// `send-event`'s own statuses, those of AWS CLI v2.
    AwsCli(AwsCliExit),
}

/// `send-event` exit statuses, as AWS CLI v2 uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsCliExit {
    /// 252: the command line or its input is invalid.
    Usage,
    /// 253: no credentials could be found.
    Config,
    /// 254: the service answered with an error.
    Service,
    /// 255: any other failure, such as no connection.
    Other,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Invalid => 2,
            Exit::RecordFailed => 3,
            Exit::StaleLock => 4,
            Exit::Interrupted => 130,
            Exit::AwsCli(AwsCliExit::Usage) => 252,
            Exit::AwsCli(AwsCliExit::Config) => 253,
            Exit::AwsCli(AwsCliExit::Service) => 254,
            Exit::AwsCli(AwsCliExit::Other) => 255,
        }
    }
}

/// Whether sends may have gone out in this process: from then on, ending it
/// is a failure of a record, never "invalid input".
static SENDING: AtomicBool = AtomicBool::new(false);

/// Marks that sends may go out from now on (`run`, once its run header is
/// journaled).
pub fn sends_may_go_out() {
    SENDING.store(true, Ordering::SeqCst);
}

/// What happens when rendering a template takes more memory than
/// [`crate::budget`] allows: says which template, and ends the process with
/// 2 (nothing was sent) or, once sends may have gone out, 3. It runs inside
/// an allocation, so it formats on the stack, writes with a plain system
/// call and exits without running destructors or taking locks.
pub fn template_memory_spent(what: &str, budget: usize) -> ! {
    use std::io::Write as _;
    let sending = SENDING.load(Ordering::SeqCst);
    let mut buf = [0u8; 2048];
    let len = {
        let mut w = &mut buf[..];
        let _ = write!(
            w,
            "error: {what} needs more than {} MiB of memory to render{}\n  \
             = help: a template builds one short attribute value; it must not build large \
             strings or lists (for example by doubling one in a loop)\n",
            budget >> 20,
            if sending { "" } else { ", so nothing was sent" },
        );
        2048 - w.len()
    };
    // SAFETY: writing a buffer we own to stderr, then ending the process.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), len);
        let code = if sending {
            Exit::RecordFailed
        } else {
            Exit::Invalid
        };
        libc::_exit(i32::from(code.code()));
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// An error that ends a command, with the status it ends with.
#[derive(Debug)]
pub struct Failure {
    /// The status.
    pub exit: Exit,
    /// What went wrong, printed as `error: …` with its causes.
    pub error: anyhow::Error,
}

impl Failure {
    /// An error after sends went out: exit 3, never "invalid input".
    pub fn after_send(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit: Exit::RecordFailed,
            error: error.into(),
        }
    }

    /// An error ending with `exit`.
    pub fn with(exit: Exit, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit,
            error: error.into(),
        }
    }

    /// Whether the error is a closed stdout (`| head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        self.error.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
    }
}

/// Errors with no status of their own happened before anything was sent
/// (reading input, checking it): invalid input.
impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure {
            exit: Exit::Invalid,
            error,
        }
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Failure::from(anyhow::Error::from(error))
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::from(anyhow::Error::from(error))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// What a command returns.
pub type CmdResult = Result<Exit, Failure>;

/// Lets `?` give an error a status: `.or_exit(Exit::RecordFailed)?`.
pub trait OrExit<T> {
    /// Attaches `exit` to the error.
    fn or_exit(self, exit: Exit) -> Result<T, Failure>;
}

impl<T, E: Into<anyhow::Error>> OrExit<T> for Result<T, E> {
    fn or_exit(self, exit: Exit) -> Result<T, Failure> {
        self.map_err(|e| Failure::with(exit, e))
    }
}

/// The subcommand named on the command line, if any: the first word that is
/// not an option (or the value of the global `--color`). Used before clap
/// has parsed anything, to answer a usage error of `send-event` as the AWS
/// CLI does (252).
pub fn subcommand(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<String> {
    let mut args = args
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = args.next() {
        if a == "--color" {
            args.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// The status of a usage error clap found: the AWS CLI's 252 for
/// `send-event`, clap's own (2, or 0 for `--help` and `--version`) for the
/// rest.
pub fn usage_exit(e: &clap::Error, subcommand: Option<&str>) -> u8 {
    if e.use_stderr() && subcommand == Some("send-event") {
        Exit::AwsCli(AwsCliExit::Usage).code()
    } else {
        u8::try_from(e.exit_code()).unwrap_or(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let all = [
            Exit::Ok,
            Exit::Failed,
            Exit::Invalid,
            Exit::RecordFailed,
            Exit::StaleLock,
            Exit::Interrupted,
            Exit::AwsCli(AwsCliExit::Usage),
            Exit::AwsCli(AwsCliExit::Config),
            Exit::AwsCli(AwsCliExit::Service),
            Exit::AwsCli(AwsCliExit::Other),
        ];
        let mut codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    /// docs/cli.md's table lists exactly the statuses of every command but
    /// `send-event` (which has its own section).
    #[test]
    fn the_documented_table_matches() {
        let doc = include_str!("../../docs/cli.md");
        let table = &doc[doc.find("## Exit codes").unwrap()..];
        let table = &table[..table.find("`send-event` answers").unwrap()];
        let mut documented: Vec<u8> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok())
            .collect();
        documented.sort_unstable();
        let mut ours: Vec<u8> = [
            Exit::Ok,
            Exit::Failed,
            Exit::Invalid,
            Exit::RecordFailed,
            Exit::StaleLock,
            Exit::Interrupted,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        ours.sort_unstable();
        assert_eq!(documented, ours);
    }

    #[test]
    fn subcommand_skips_options() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            subcommand(args(&["x", "--color", "never", "-v", "send-event"])).as_deref(),
            Some("send-event")
        );
        assert_eq!(subcommand(args(&["x", "-v"])), None);
    }
}
