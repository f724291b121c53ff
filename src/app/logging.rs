//! Logging: tracing to stderr, at the level `-v` asks for or `RUST_LOG`
//! names, with the crates that log credentials capped.

use std::io::IsTerminal;

/// Crates that log whole requests (signed headers, canonical requests) at
/// debug or trace level. They are capped so that `-vvv` stays readable;
/// what keeps credentials out of the logs is [`crate::redact`], which every
/// line passes through, whatever the filter (a span filter such as
/// `[try_attempt]=trace` is not held by these caps).
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

/// Installs the subscriber for `-v` count `verbose`.
pub fn init(verbose: u8) {
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
    crate::redact::register_from_env();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Redacting(std::io::stderr()))
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Stderr for log lines, each cleaned of secrets ([`crate::redact`]). The
/// formatter writes one event in one call, so a secret is never split
/// across writes.
struct Redacting(std::io::Stderr);

impl std::io::Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(crate::redact::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
