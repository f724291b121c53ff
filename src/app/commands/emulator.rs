//! The `ivschat-playbook emulator` command: flags, and running the server
//! until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use tokio::net::TcpListener;

use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;
use crate::app::signal::shutdown_signal;
use crate::emulator::config::{
    Credential, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT, DEFAULT_SECRET_ACCESS_KEY, EmulatorConfig,
    load_rooms_file,
};
use crate::emulator::faults::{DropMode, FaultConfig};
use crate::emulator::operation::Operation;
use crate::emulator::server::serve;

/// Command-line options of `ivschat-playbook emulator`.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free one; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub listen: String,

    /// The default account: that of keys whose id is not a 12-digit
    /// account id (such a key acts as that account).
    #[arg(long, default_value = DEFAULT_ACCOUNT)]
    pub account: String,

    /// Access key id to accept; repeat together with --secret-access-key to
    /// accept several keys (the n-th id goes with the n-th secret). An id of
    /// 12 digits acts as that account.
    #[arg(long = "access-key-id", default_value = DEFAULT_ACCESS_KEY_ID)]
    pub access_key_ids: Vec<String>,

    /// Secret of the access key at the same position.
    #[arg(long = "secret-access-key", default_value = DEFAULT_SECRET_ACCESS_KEY, hide_default_value = true)]
    pub secret_access_keys: Vec<String>,

    /// An extra key that may call only the listed operations (none when the
    /// list is left out); others are answered AccessDeniedException.
    /// Repeatable.
    #[arg(long = "limited-key", value_name = "ID:SECRET[:OP,OP...]")]
    pub limited_keys: Vec<String>,

    /// YAML or JSON list of rooms to create at start: ARNs, or objects with
    /// `arn` and optional `name`, `tags`.
    #[arg(long, value_name = "FILE")]
    pub rooms: Option<PathBuf>,

    /// Create an unknown room on first use if its ARN is in the request's region.
    #[arg(long)]
    pub auto_create_rooms: bool,

    /// Do not enforce the service quotas.
    #[arg(long)]
    pub no_quotas: bool,

    /// Fraction of requests answered with ThrottlingException (0..1).
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub throttle_rate: f64,

    /// Fraction of requests answered with 500 or 503 (0..1).
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub error_rate: f64,

    /// Fraction of requests whose connection is closed without a reply (0..1).
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub drop_rate: f64,

    /// Fraction of frames to chat connections that drop the connection
    /// instead, without a close frame (0..1); clients reconnect.
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub chat_drop_rate: f64,

    /// Close dropped connections before the operation runs, or after it ran
    /// (the client then cannot know the outcome).
    #[arg(long, value_enum, default_value = "before")]
    pub drop_mode: DropModeArg,

    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,

    /// Extra random latency, 0..=N milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub jitter_ms: u64,

    /// Seed for fault decisions, for reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Append every delivered event to FILE as a JSON line.
    #[arg(long, value_name = "FILE")]
    pub events_log: Option<PathBuf>,

    /// Keep at most N delivered events in memory (default: all).
    #[arg(long, value_name = "N")]
    pub keep_events: Option<usize>,
}

/// `--drop-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DropModeArg {
    /// Before the operation runs.
    Before,
    /// After the operation ran.
    After,
}

impl EmulatorArgs {
    /// The server configuration these flags describe.
    pub fn to_config(&self) -> anyhow::Result<EmulatorConfig> {
        if self.access_key_ids.len() != self.secret_access_keys.len() {
            bail!(
                "--access-key-id was given {} times but --secret-access-key {} times; give them in pairs",
                self.access_key_ids.len(),
                self.secret_access_keys.len()
            );
        }
        let mut credentials: Vec<Credential> = self
            .access_key_ids
            .iter()
            .zip(&self.secret_access_keys)
            .map(|(id, secret)| Credential::new(id.clone(), secret.clone()))
            .collect();
        for spec in &self.limited_keys {
            credentials.push(limited_key(spec)?);
        }
        let rooms = match &self.rooms {
            Some(path) => load_rooms_file(path)?,
            None => Vec::new(),
        };
        let faults = FaultConfig {
            throttle_rate: self.throttle_rate,
            error_rate: self.error_rate,
            drop_rate: self.drop_rate,
            drop_mode: match self.drop_mode {
                DropModeArg::Before => DropMode::Before,
                DropModeArg::After => DropMode::After,
            },
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            seed: self.seed,
            chat_drop_rate: self.chat_drop_rate,
            ..FaultConfig::default()
        };
        faults.validate().map_err(anyhow::Error::msg)?;
        Ok(EmulatorConfig {
            account: self.account.clone(),
            credentials,
            rooms,
            auto_create_rooms: self.auto_create_rooms,
            quotas: !self.no_quotas,
            faults,
            events_log: self.events_log.clone(),
            keep_events: self.keep_events,
            ..EmulatorConfig::default()
        })
    }
}

/// Reads `--limited-key ID:SECRET[:OP,OP...]`.
fn limited_key(spec: &str) -> anyhow::Result<Credential> {
    let mut parts = spec.splitn(3, ':');
    let (Some(id), Some(secret)) = (parts.next(), parts.next()) else {
        bail!("--limited-key takes ID:SECRET[:OP,OP...], got `{spec}`");
    };
    if id.is_empty() || secret.is_empty() {
        bail!("--limited-key takes ID:SECRET[:OP,OP...], got an empty id or secret");
    }
    let ops: Vec<String> = parts
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = ops.iter().find(|o| Operation::from_name(o).is_none()) {
        bail!("--limited-key names `{bad}`, which is not an IVS Chat operation");
    }
    Ok(Credential {
        allowed_operations: Some(ops),
        ..Credential::new(id, secret)
    })
}

/// Runs the `emulator` command: binds `--listen`, writes the endpoint URL
/// (`http://HOST:PORT`) and then the chat edge's URL (`ws://HOST:PORT`) as
/// one line each to stdout, then serves until Ctrl-C or SIGTERM. Exits 0
/// after a clean stop.
pub async fn exec(args: EmulatorArgs, io: &mut Io<'_>) -> CmdResult {
    let config = args.to_config()?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        rooms = config.rooms.len(),
        quotas = config.quotas,
        auto_create_rooms = config.auto_create_rooms,
        "IVS Chat emulator listening"
    );
    writeln!(io.out, "http://{addr}")?;
    writeln!(io.out, "ws://{addr}")?;
    io.out.flush()?;
    serve(listener, config, shutdown_signal()).await?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn defaults_and_pairs() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.credentials.len(), 1);
        assert_eq!(config.credentials[0].access_key_id, DEFAULT_ACCESS_KEY_ID);
        assert!(config.quotas);

        let cli = Cli::try_parse_from([
            "x",
            "--access-key-id",
            "A",
            "--secret-access-key",
            "a",
            "--access-key-id",
            "B",
            "--secret-access-key",
            "b",
            "--no-quotas",
            "--throttle-rate",
            "0.5",
            "--drop-mode",
            "after",
        ])
        .unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.credentials[1].access_key_id, "B");
        assert!(!config.quotas);
        assert_eq!(config.faults.drop_mode, DropMode::After);

        let unpaired =
            Cli::try_parse_from(["x", "--access-key-id", "A", "--access-key-id", "B"]).unwrap();
        assert!(unpaired.args.to_config().is_err());
        let bad = Cli::try_parse_from(["x", "--error-rate", "2"]).unwrap();
        assert!(bad.args.to_config().is_err());

        let cli = Cli::try_parse_from([
            "x",
            "--limited-key",
            "AKIALIMITED:s3cret:GetRoom,ListRooms",
            "--limited-key",
            "AKIANOTHING:s",
        ])
        .unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(
            config.credentials[1].allowed_operations,
            Some(vec!["GetRoom".to_string(), "ListRooms".to_string()])
        );
        assert_eq!(config.credentials[2].allowed_operations, Some(vec![]));
        for bad in ["nocolon", ":s", "A:s:Nope"] {
            let cli = Cli::try_parse_from(["x", "--limited-key", bad]).unwrap();
            assert!(cli.args.to_config().is_err(), "{bad}");
        }
    }
}
