//! `watch ROOM...`: a chat viewer for rooms (given as ARNs, or every room of
//! `--playbook` files), printing every frame as it arrives: a line per frame
//! for people, or JSON lines for programs. View-only tokens come from
//! `CreateChatToken` through the same clients and credentials as `run`;
//! connections go to AWS's chat edge of each room's region, or to the
//! endpoint's (`--endpoint-url`, `--local`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, ValueEnum};
use serde_json::Value;

use super::run::local_options;
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, summary_line};
use crate::app::signal::shutdown_signal;
use crate::chat::{EdgeUrls, Frame, Note, Reconnect, State, Tokens, follow_rooms};
use crate::clients::Clients;
use crate::execute::ClientOptions;
use crate::service::arn::RoomArn;

/// `watch` options.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Room ARNs to watch.
    #[arg(value_name = "ROOM")]
    pub rooms: Vec<String>,
    /// Also watch every room of this playbook (repeatable).
    #[arg(long, value_name = "PLAYBOOK")]
    pub playbook: Vec<PathBuf>,
    /// `human`: a line per frame (time, room, type, event name, attributes);
    /// `jsonl`: per frame, one JSON object with the room, the time it
    /// arrived and the frame as received.
    #[arg(long, value_enum, default_value_t = WatchFormat::Human)]
    pub format: WatchFormat,
    /// Stop after N events (EVENT frames); exit 1 if --timeout comes first.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Stop after this long, e.g. 30s or 2m.
    #[arg(long, value_name = "DURATION", value_parser = crate::app::args::parse_timeout)]
    pub timeout: Option<Duration>,
    /// Watch an emulator started inside this process (rooms created on
    /// first use; its address is printed on stderr).
    #[arg(long, conflicts_with_all = ["endpoint_url", "profile"])]
    pub local: bool,
    /// AWS profile from the shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Region for the SDK's own configuration; rooms are always watched
    /// through the region in their ARN.
    #[arg(long)]
    pub region: Option<String>,
    /// The service endpoint instead of AWS (AWS_ENDPOINT_URL_IVSCHAT and
    /// AWS_ENDPOINT_URL are honoured too); chat goes to the same host and
    /// port, `http` as `ws`, `https` as `wss`.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// How frames are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// One line per frame, for people.
    Human,
    /// One JSON object per line, for programs.
    Jsonl,
}

/// Runs `watch`.
pub async fn exec(a: &WatchArgs, io: &mut Io<'_>) -> CmdResult {
    let rooms = match rooms(a, io)? {
        Ok(r) => r,
        Err(exit) => return Ok(exit),
    };
    let mut regions: Vec<String> = rooms.iter().map(|r| r.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let endpoint = a.endpoint_url.clone().or_else(|| {
        ["AWS_ENDPOINT_URL_IVSCHAT", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
    });
    let mut emulator = None;
    let (options, edge) = if a.local {
        let handle = crate::emulator::spawn(crate::emulator::EmulatorConfig {
            auto_create_rooms: true,
            ..Default::default()
        })
        .await
        .context("cannot start the embedded emulator")?;
        writeln!(io.err, "local emulator at {}", handle.endpoint_url())?;
        let out = (
            local_options(&handle, &[]),
            EdgeUrls::Endpoint(handle.chat_url()),
        );
        emulator = Some(handle);
        out
    } else {
        let edge = match EdgeUrls::for_endpoint(endpoint.as_deref()) {
            Ok(e) => e,
            Err(e) => return io.refuse(e),
        };
        let options = ClientOptions {
            profile: a.profile.clone(),
            region: a.region.clone(),
            endpoint_url: endpoint,
            connect_timeout: Duration::from_secs(3),
            ..Default::default()
        };
        (options, edge)
    };
    let clients = Clients::connect(&regions, &options).await;
    if let Err(e) = clients.check_credentials().await {
        return io.refuse(format_args!(
            "no AWS credentials could be loaded, so no chat token can be made: {e}\n\
             Configure credentials (environment, --profile, SSO, instance role), or try --local."
        ));
    }
    let count = rooms.len();
    let tokens = Arc::new(Tokens::new(Arc::new(clients)));
    let notes = follow_rooms(rooms, tokens, edge, Reconnect::default(), 256);
    let exit = print_notes(a, notes, count, io).await?;
    if let Some(h) = emulator {
        let _ = h.shutdown().await;
    }
    Ok(exit)
}

/// The rooms to watch: the ARNs given and the playbooks' rooms, each once.
fn rooms(
    a: &WatchArgs,
    io: &mut Io<'_>,
) -> Result<Result<Vec<RoomArn>, Exit>, crate::app::exit::Failure> {
    let mut out: Vec<RoomArn> = Vec::new();
    for s in &a.rooms {
        match RoomArn::parse(s) {
            Ok(r) => out.push(r),
            Err(e) => {
                return io
                    .refuse(format_args!("`{s}` is not a room ARN: {e}"))
                    .map(Err);
            }
        }
    }
    if !a.playbook.is_empty() {
        let scanned = crate::pipeline::scan_files(
            &a.playbook,
            None,
            &Default::default(),
            &Default::default(),
            |_| {},
        );
        io.diagnostics(
            &scanned.sources,
            &scanned.diagnostics,
            crate::diag::DiagFormat::Human,
            false,
        )?;
        if scanned.has_errors() {
            let line = summary_line(&scanned.diagnostics, scanned.files);
            return io
                .end(Exit::Invalid, format_args!("nothing watched: {line}"))
                .map(Err);
        }
        let plan = &scanned.plan;
        out.extend(plan.rooms().iter().map(|r| plan.room_arn(r).clone()));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.arn.clone()));
    if out.is_empty() {
        return io
            .refuse("no rooms to watch: give room ARNs or --playbook")
            .map(Err);
    }
    Ok(Ok(out))
}

/// Prints notes until --count, --timeout, Ctrl-C, or every room ended.
async fn print_notes(
    a: &WatchArgs,
    mut notes: tokio::sync::mpsc::Receiver<Note>,
    rooms: usize,
    io: &mut Io<'_>,
) -> CmdResult {
    let deadline = a.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut events = 0u64;
    let mut ended = 0usize;
    let mut unclean = 0usize;
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        let note = tokio::select! {
            n = notes.recv() => n,
            () = &mut signal => return io.end(Exit::Interrupted, "watch: interrupted"),
            () = sleep_until(deadline) => {
                return Ok(if a.count.is_some() {
                    writeln!(io.err, "watch: {events} of {} events before the timeout", a.count.unwrap_or(0))?;
                    Exit::Failed
                } else {
                    Exit::Ok
                });
            }
        };
        let Some(note) = note else { break };
        match note {
            Note::Frame { room, at, frame } => {
                print_frame(a.format, &room, at, &frame, io)?;
                io.out.flush()?;
                if frame.is_event() {
                    events += 1;
                    if a.count.is_some_and(|n| events >= n) {
                        return Ok(Exit::Ok);
                    }
                }
            }
            Note::State { room, state } => {
                match &state {
                    State::Connected => writeln!(io.err, "watch: connected to {room}")?,
                    State::Reconnecting { attempt, why } => {
                        writeln!(io.err, "watch: {room}: {why}; reconnecting (try {attempt})")?
                    }
                    State::Ended { why, clean } => {
                        ended += 1;
                        unclean += usize::from(!clean);
                        writeln!(io.err, "watch: {room}: {why}; no longer watched")?;
                    }
                }
                if ended == rooms {
                    break;
                }
            }
        }
    }
    // Every room ended: closed by the server is an ending; given up is not.
    Ok(if unclean > 0 || a.count.is_some() {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One frame, in `format`.
fn print_frame(
    format: WatchFormat,
    room: &str,
    at: DateTime<Utc>,
    frame: &Frame,
    io: &mut Io<'_>,
) -> std::io::Result<()> {
    let received = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    if format == WatchFormat::Jsonl {
        let line = serde_json::json!({
            "room": room,
            "receivedAt": received,
            "frame": Value::Object(frame.0.clone()),
        });
        return writeln!(io.out, "{line}");
    }
    let id = room.rsplit('/').next().unwrap_or(room);
    let time = frame.send_time().unwrap_or(&received);
    let kind = frame.kind().unwrap_or("?");
    let mut line = format!("{time}  {id}  {kind}");
    match kind {
        "EVENT" => line.push_str(&format!("  {}", frame.event_name().unwrap_or(""))),
        "MESSAGE" => {
            let sender = frame
                .0
                .get("Sender")
                .and_then(|s| s.get("UserId"))
                .and_then(Value::as_str);
            let content = frame.0.get("Content").and_then(Value::as_str).unwrap_or("");
            line.push_str(&format!("  {}: {}", sender.unwrap_or("?"), quoted(content)));
        }
        "ERROR" => line.push_str(&format!(
            "  {} {}",
            frame.error_code().unwrap_or(0),
            frame
                .0
                .get("ErrorMessage")
                .and_then(Value::as_str)
                .unwrap_or("")
        )),
        _ => {}
    }
    if let Some(attrs) = frame.attributes() {
        for (k, v) in attrs {
            let v = v.as_str().map(quoted).unwrap_or_else(|| v.to_string());
            line.push_str(&format!("  {k}={v}"));
        }
    }
    if let Some(mid) = frame.id() {
        line.push_str(&format!("  (id {mid})"));
    }
    writeln!(io.out, "{line}")
}

/// A value as is when it is one plain word, else as a JSON string.
fn quoted(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "-_.:/@+,".contains(c))
    {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}
