//! The application: the command line and what each command does. The only
//! part of the crate with clap, exit statuses, stdout and stderr; the layers
//! below return values and diagnostics, and this decides what is printed
//! where and how the process ends.
//!
//! - [`exit`]: the exit statuses ([`Exit`]) and errors that carry one.
//! - [`io`]: the streams, refusals, diagnostics and summary lines.
//! - [`args`]: options shared by several commands.
//! - [`outputs`]: `--report FORMAT=FILE` and the GitHub step summary.
//! - [`logging`], [`signal`]: tracing set-up and Ctrl-C/SIGTERM.
//! - [`commands`]: one file per command, each `Args` + `exec`.

pub mod args;
pub mod commands;
pub mod exit;
pub mod io;
pub mod logging;
pub mod outputs;
pub mod signal;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

pub use exit::{CmdResult, Exit, Failure};
pub use io::Io;

/// Declarative batch sender for Amazon IVS Chat SendEvent.
#[derive(Debug, Parser)]
#[command(name = "ivschat-playbook", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// When to colour output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
    pub color: ColorChoice,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG
    /// overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
}

/// The `--help` heading of the options every command takes, listed after
/// the command's own.
const GLOBAL: &str = "Global options";

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the stream is a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks against the schema and the service's rules; report
    /// every problem with file:line:col. Exit 0 valid, 2 invalid.
    Validate(commands::validate::ValidateArgs),
    /// Show every send a run would make, with rendered attributes, without
    /// sending anything or needing credentials.
    Plan(commands::plan::PlanArgs),
    /// Send the events: concurrently, rate-limited per account and region,
    /// retrying what is safe to retry, journaled so a later run can resume.
    Run(commands::run::RunArgs),
    /// List the service's rooms across regions, filtered by tags and name:
    /// a table, JSON, or a room inventory for `include:`.
    Rooms(commands::rooms::RoomsArgs),
    /// Resolve the playbooks' `discover:` selectors against the service
    /// and write each playbook's lock file (`NAME.lock.yaml`) beside it.
    Lock(commands::lock::LockArgs),
    /// Rebuild a run's report from its journal (after a crash, or in another
    /// format).
    Report(commands::report::ReportArgs),
    /// Print a generated JSON Schema (playbook, inventory, plan, report), or
    /// write them all to a folder.
    Schema(commands::schema::SchemaArgs),
    /// Send one event, as `aws ivschat send-event` does (same options,
    /// output and exit codes), checked first and retried when throttled.
    #[command(args_override_self = true)]
    SendEvent(commands::send_event::SendEventArgs),
    /// Run a local IVS Chat endpoint for rehearsals and tests.
    Emulator(commands::emulator::EmulatorArgs),
    /// Event definitions: list them, check them, or diff two versions of a
    /// catalog for breaking changes.
    Catalog(commands::catalog::CatalogArgs),
    /// Write a commented starter playbook and room inventory into a folder.
    Init(commands::init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual page, or write one per command into a folder.
    Man(commands::man::ManArgs),
    /// Watch rooms' chat as a viewer does (a view-only chat token per
    /// room) and print every frame as it arrives.
    Watch(commands::watch::WatchArgs),
}

/// The binary's whole life: parse the command line, set up logging, run the
/// command, print its error if any, and turn the outcome into the exit
/// status.
pub fn main() -> ExitCode {
    crate::budget::on_spent(exit::template_memory_spent);
    let args = match Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = exit::usage_exit(&e, exit::subcommand(std::env::args_os()).as_deref());
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    logging::init(args.verbose);
    let color = args.color.enabled(std::io::stderr().is_terminal());
    // Buffered: plans and reports can be large; the emulator flushes its
    // endpoint line itself.
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut stderr = std::io::stderr();
    let mut io = Io {
        out: &mut stdout,
        err: &mut stderr,
        color,
    };
    let result = dispatch(args.command, &mut io);
    let flushed = io.out.flush();
    let result = result.and_then(|exit| {
        flushed.map(|()| exit).map_err(|e| {
            // Output after sends went out failed: keep the status the command
            // had chosen for a failure of its records.
            Failure::with(exit_for_lost_output(exit), e)
        })
    });
    match result {
        Ok(exit) => exit.into(),
        Err(f) if f.is_broken_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {f}");
            f.exit.into()
        }
    }
}

/// The status when stdout cannot be flushed at the end: a command that had
/// sent something reports a failed record, the others invalid input.
fn exit_for_lost_output(exit: Exit) -> Exit {
    match exit {
        Exit::Failed | Exit::Interrupted | Exit::RecordFailed => Exit::RecordFailed,
        Exit::AwsCli(_) => Exit::AwsCli(exit::AwsCliExit::Other),
        Exit::Ok | Exit::Invalid | Exit::StaleLock => Exit::Invalid,
    }
}

/// Runs one command: synchronous ones directly, the others on one runtime.
pub fn dispatch(command: Command, io: &mut Io<'_>) -> CmdResult {
    match command {
        Command::Validate(a) => commands::validate::exec(&a, io),
        Command::Plan(a) => commands::plan::exec(&a, io),
        Command::Schema(a) => commands::schema::exec(&a, io),
        Command::Catalog(a) => commands::catalog::exec(&a, io),
        Command::Init(a) => commands::init::exec(&a, io),
        Command::Report(a) => commands::report::exec(&a, io),
        Command::Completions(a) => commands::completions::exec(&a, Cli::command(), io),
        Command::Man(a) => commands::man::exec(&a, Cli::command(), io),
        Command::Emulator(a) => runtime()?.block_on(commands::emulator::exec(a, io)),
        Command::Lock(a) => runtime()?.block_on(commands::lock::exec(&a, io)),
        Command::Rooms(a) => runtime()?.block_on(commands::rooms::exec(&a, io)),
        Command::Run(a) => commands::run::exec(&a, io),
        Command::SendEvent(a) => runtime()?.block_on(commands::send_event::exec(&a, io)),
        Command::Watch(a) => runtime()?.block_on(commands::watch::exec(&a, io)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Sends per second up to which one thread sends: ten regions at the
/// quota.
const ONE_THREAD_UP_TO: f64 = 1_000.0;

/// The runtime for sending at `rate` sends per second in all: a
/// current-thread runtime up to [`ONE_THREAD_UP_TO`], one worker per core
/// above. A paced send takes a fraction of a millisecond of CPU, and a run
/// at the quota spends most of its time waiting, so what a send costs is
/// mostly its wake-ups. On a multi-thread runtime the send loop runs on
/// the thread that calls `block_on` and each send's task on a worker, so
/// every send woke both, and they moved between cores; on one thread the
/// loop, the sends, the timer and the sockets share the thread that waits
/// for them (the journal's fsync too, while it is quick: see
/// [`crate::journal::sync`]). That took `run` from about 9.5 context
/// switches a send to 5.3, as many as the bare paced SDK loop with a
/// journal (BENCHMARKS.md, CPU per send at the quota). Faster runs
/// (`--unchecked-rate` against an emulator, many accounts) use every core.
pub(crate) fn runtime_for_rate(rate: f64) -> Result<tokio::runtime::Runtime, Failure> {
    let mut builder = if rate <= ONE_THREAD_UP_TO {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    Ok(builder.enable_all().build()?)
}
