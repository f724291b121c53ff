//! `rooms`: list the rooms of the service across regions, filtered by tags
//! and name, as a table, JSON, or a room inventory that `include:` accepts.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::json;

use super::init::{absolute, find_schema_dir, relative};
use super::listing::{self, ServiceArgs};
use super::schema::SchemaKind;
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::discover::{FoundRoom, Query, RoomFilter, TagPair};
use crate::playbook::model::{Inventory, RoomArnText, RoomEntry, RoomSpec, Tag};
use crate::playbook::rooms::service_tag;

/// `rooms` options.
#[derive(Debug, Args)]
pub struct RoomsArgs {
    /// A region to list; repeatable. Default: every region IVS Chat is
    /// offered in.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Keep rooms with this tag and value; repeat for rooms with all of
    /// them.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = TagPair::parse)]
    pub tags: Vec<TagPair>,
    /// Keep rooms whose name matches this glob (`lobby-*` for a prefix; a
    /// name without `*`, `?` or `[` is exact and filtered by the service).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// What to print: a table, JSON, or a room inventory file for
    /// `include:`.
    #[arg(long, value_enum, default_value_t = RoomsFormat::Table)]
    pub format: RoomsFormat,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The inventory's schema modeline path. Default: this tool's
    /// `schema/inventory.schema.json` in the nearest folder above the file
    /// that has one, else in the current folder (`schema --write schema/`
    /// makes it), relative to the file.
    #[arg(long, value_name = "PATH")]
    pub schema: Option<String>,
    /// Where to list, and as whom.
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// What `rooms` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoomsFormat {
    /// Region, name, ARN, last update and tags, one room a line.
    Table,
    /// `{"rooms": [{arn, name, region, account, tags, updateTime}]}`.
    Json,
    /// A room inventory (YAML) with the schema modeline.
    Inventory,
}

/// Runs `rooms`.
pub async fn exec(a: &RoomsArgs, io: &mut Io<'_>) -> CmdResult {
    let regions = match listing::regions(&a.regions) {
        Ok(r) => r,
        Err(e) => return io.refuse(e),
    };
    let filter = match RoomFilter::new(a.tags.clone(), a.name.as_deref()) {
        Ok(f) => f,
        Err(e) => return io.refuse(e),
    };
    let clients = match listing::connect(&a.service, &regions).await {
        Ok(c) => c,
        Err(e) => return io.refuse(e),
    };
    let query = Query { regions, filter };
    let rooms = match listing::list(
        &clients,
        &crate::discover::room_limiters(),
        &a.service,
        &query,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return io.end(Exit::Failed, format_args!("error: {e}")),
    };
    let text = match a.format {
        RoomsFormat::Table => table(&rooms),
        RoomsFormat::Json => {
            let list: Vec<_> = rooms.iter().map(room_json).collect();
            format!("{:#}\n", json!({ "rooms": list }))
        }
        RoomsFormat::Inventory => {
            let (text, unnamed) = inventory(&rooms, &describe(a), &modeline(a)?);
            if unnamed > 0 {
                writeln!(
                    io.err,
                    "note: {} share a name with another room, so the inventory lists them without one (refer to them by ARN)",
                    plural(unnamed, "room")
                )?;
            }
            text
        }
    };
    match &a.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        None => io.out.write_all(text.as_bytes())?,
    }
    writeln!(
        io.err,
        "{} in {}",
        plural(rooms.len(), "room"),
        plural(query.regions.len(), "region")
    )?;
    Ok(Exit::Ok)
}

/// What was asked, in words, for the inventory's description.
fn describe(a: &RoomsArgs) -> String {
    let mut parts = Vec::new();
    if !a.tags.is_empty() {
        let tags: Vec<String> = a.tags.iter().map(ToString::to_string).collect();
        parts.push(format!("tagged {}", tags.join(" and ")));
    }
    if let Some(n) = &a.name {
        parts.push(format!("named {n}"));
    }
    if !a.regions.is_empty() {
        parts.push(format!("in {}", a.regions.join(", ")));
    }
    if parts.is_empty() {
        "Every room, listed by `ivschat-playbook rooms`.".to_string()
    } else {
        format!(
            "Rooms {}, listed by `ivschat-playbook rooms`.",
            parts.join(", ")
        )
    }
}

/// The modeline's schema path: `--schema`, or this tool's inventory
/// schema in the nearest `schema/` above the output, relative to it.
fn modeline(a: &RoomsArgs) -> anyhow::Result<String> {
    if let Some(s) = &a.schema {
        return Ok(s.clone());
    }
    let dir = match &a.output {
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    let abs = absolute(&dir)?;
    let here = absolute(Path::new("."))?;
    let schema = find_schema_dir(&abs).unwrap_or_else(|| here.join(super::init::SCHEMA_DIR));
    Ok(relative(
        &abs,
        &schema.join(SchemaKind::Inventory.file_name()),
    ))
}

/// One room as JSON.
fn room_json(r: &FoundRoom) -> serde_json::Value {
    json!({
        "arn": r.arn,
        "name": r.name,
        "region": r.region,
        "account": r.account,
        "tags": r.tags,
        "updateTime": r.update_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// The rooms as aligned columns.
fn table(rooms: &[FoundRoom]) -> String {
    let rows: Vec<[String; 5]> = rooms
        .iter()
        .map(|r| {
            let tags: Vec<String> = r.tags.iter().map(|(k, v)| service_tag(k, v)).collect();
            [
                r.region.clone(),
                if r.name.is_empty() {
                    "-".into()
                } else {
                    r.name.clone()
                },
                r.arn.clone(),
                r.update_time.format("%Y-%m-%d").to_string(),
                tags.join(","),
            ]
        })
        .collect();
    let head = ["REGION", "NAME", "ARN", "UPDATED", "TAGS"].map(String::from);
    let mut widths = head.clone().map(|h| h.len());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&rows) {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The longest playbook tag.
const TAG_MAX: usize = 128;

/// The rooms as an inventory file, and how many lost their name because
/// another room has it too (names must be unique among a playbook's
/// rooms).
fn inventory(rooms: &[FoundRoom], description: &str, schema: &str) -> (String, usize) {
    let mut counts = std::collections::HashMap::new();
    for r in rooms.iter().filter(|r| !r.name.is_empty()) {
        *counts.entry(r.name.as_str()).or_insert(0usize) += 1;
    }
    let mut unnamed = 0;
    let entries: Vec<RoomEntry> = rooms
        .iter()
        .map(|r| {
            let name = match counts.get(r.name.as_str()) {
                Some(1) => Some(r.name.clone()),
                Some(_) => {
                    unnamed += 1;
                    None
                }
                None => None,
            };
            let tags: Vec<Tag> = r
                .tags
                .iter()
                .map(|(k, v)| service_tag(k, v))
                .filter(|t| t.len() <= TAG_MAX)
                .map(Tag)
                .collect();
            if name.is_none() && tags.is_empty() {
                RoomEntry::Arn(RoomArnText(r.arn.clone()))
            } else {
                RoomEntry::Room(RoomSpec {
                    arn: RoomArnText(r.arn.clone()),
                    name,
                    tags,
                    vars: Default::default(),
                })
            }
        })
        .collect();
    let doc = Inventory {
        description: Some(description.to_string()),
        rooms: entries,
    };
    let body = serde_yaml::to_string(&doc).expect("an inventory serializes");
    let text = format!(
        "# yaml-language-server: $schema={schema}\n#\n# Service tags read as KEY=VALUE tags here, for `to: {{tags: [...]}}`.\n{body}"
    );
    (text, unnamed)
}
