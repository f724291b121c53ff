//! The `ivschat-playbook` binary: parse the command line, set up logging,
//! run the command, turn its result into an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use ivschat_playbook::cli::{self, Cli, Command, EXIT_INVALID, Io};
use ivschat_playbook::send_event;

/// mimalloc rather than the system allocator: a run makes millions of small
/// short-lived allocations across the runtime's threads (the SDK's request
/// pipeline, journal lines), where glibc's malloc spent about a seventh of
/// the run's CPU time. Tuned by [`tune_allocator`].
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`, which the bindings do not name: in
/// `mi_option_e` it comes right before `mi_option_use_numa_nodes`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Give freed pages back after 10 ms rather than mimalloc's default of a
/// second. Loading a large playbook frees its parse tree while it builds
/// rooms of other sizes; with the default, that memory stayed committed and
/// a 100,000-room validation peaked at 147 MB instead of 117 MB. Sending is
/// as fast as with the default (purging at once, 112 MB, was about 4%
/// slower).
fn tune_allocator() {
    // SAFETY: setting an option is a plain store mimalloc allows at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
}

fn main() -> ExitCode {
    tune_allocator();
    let args = match Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // send-event answers usage errors as the AWS CLI does (252).
            let code = if e.use_stderr() && subcommand().as_deref() == Some("send-event") {
                send_event::EXIT_USAGE
            } else {
                e.exit_code()
            };
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    init_tracing(args.verbose);
    let color = args.color.enabled(std::io::stderr().is_terminal());
    // Buffered: plans and reports can be large; the emulator flushes its
    // endpoint line itself.
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut stderr = std::io::stderr();
    let result = match args.command {
        Command::Emulator(a) => tokio_runtime()
            .and_then(|rt| rt.block_on(ivschat_playbook::emulator::run_command(a, &mut stdout))),
        Command::Run(a) => tokio_runtime().and_then(|rt| {
            rt.block_on(async {
                let (stop_tx, stop) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    shutdown_signal().await;
                    eprintln!(
                        "stopping: no new sends start; waiting for those in flight (Ctrl-C again to quit at once)"
                    );
                    let _ = stop_tx.send(true);
                    shutdown_signal().await;
                    eprintln!("quitting; the journal has every outcome so far");
                    std::process::exit(130);
                });
                let mut io = Io {
                    out: &mut stdout,
                    err: &mut stderr,
                    color,
                };
                ivschat_playbook::run::run(&a, &mut io, stop).await
            })
        }),
        Command::SendEvent(a) => tokio_runtime().and_then(|rt| {
            let mut io = Io {
                out: &mut stdout,
                err: &mut stderr,
                color,
            };
            // Like the AWS CLI, a failure of our own exits 255.
            rt.block_on(send_event::run(&a, &mut io)).or_else(|e| {
                eprintln!("\n{e:#}");
                Ok(send_event::EXIT_OTHER)
            })
        }),
        command => {
            let mut io = Io {
                out: &mut stdout,
                err: &mut stderr,
                color,
            };
            cli::run_sync(&command, &mut io)
        }
    };
    let flushed = std::io::Write::flush(&mut stdout);
    let result = result.and_then(|code| flushed.map(|()| code).map_err(Into::into));
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_INVALID as u8)
        }
    }
}

/// The subcommand named on the command line, if any: the first word that is
/// not an option (or the value of the global `--color`).
fn subcommand() -> Option<String> {
    let mut args = std::env::args_os()
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

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Crates that log requests (signed headers, canonical requests, session
/// tokens) at debug or trace level. They are capped whatever the user asks
/// for: credentials never reach the logs.
const CAPPED: &[(&str, &str)] = &[
    ("aws_sigv4", "warn"),
    ("aws_smithy_runtime", "info"),
    ("aws_smithy_runtime_api", "info"),
    ("aws_smithy_http_client", "info"),
    ("aws_smithy_types", "info"),
    ("aws_config", "info"),
    ("aws_runtime", "info"),
    ("aws_sdk_ivschat", "info"),
    ("hyper", "info"),
    ("hyper_util", "info"),
    ("h2", "info"),
    ("rustls", "info"),
];

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let requested = std::env::var("RUST_LOG").unwrap_or_else(|_| default.to_string());
    let mut directives: Vec<String> = requested
        .split(',')
        .filter(|d| {
            let target = d.split('=').next().unwrap_or("");
            !CAPPED
                .iter()
                .any(|(c, _)| target == *c || target.starts_with(&format!("{c}::")))
        })
        .map(str::to_string)
        .collect();
    // A cap only ever lowers what is shown: at the default verbosity these
    // crates log warnings, not info. `RUST_LOG` asks for its own levels, so
    // with it the caps apply as they are.
    let from_env = std::env::var_os("RUST_LOG").is_some();
    let rank = |l: &str| {
        ["error", "warn", "info", "debug", "trace"]
            .iter()
            .position(|x| *x == l)
    };
    directives.extend(CAPPED.iter().map(|(c, cap)| {
        let level = if !from_env && rank(default) < rank(cap) {
            default
        } else {
            cap
        };
        format!("{c}={level}")
    }));
    if verbose == 0 && !from_env {
        // Each credential provider that fails logs a warning with a debug
        // dump, and so does the instance metadata service when this is not
        // an EC2 instance (regions come from room ARNs anyway); the run's
        // own error already says when no credentials could be loaded.
        directives.push("aws_config::meta::credentials::chain=error".into());
        directives.push("aws_config::imds=error".into());
    }
    let filter = tracing_subscriber::EnvFilter::try_new(directives.join(","))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
