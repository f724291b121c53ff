//! The plan: every send a run would make, in order, with rendered
//! attributes, stable ids and a hash of the whole.
//!
//! Planning is a pure function of validated playbooks and `--var` values: no
//! I/O, no clock, no credentials. The same playbook always gives the same
//! send ids and plan hash, which is what lets a later run resume ("is this
//! the plan I was running?") and what makes `plan` safe to run in CI.
//!
//! Rendering problems (undefined variables, template errors, attributes
//! over 1 KB for some room) are found here, since they depend on each room.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Location};
use crate::playbook::model::{ATTRIBUTES_MAX_BYTES, SEND_EVENT_QUOTA_TPS, Settings};
use crate::playbook::template::{self, Context, EventScope, GlobalScope, RoomScope};
use crate::validate::{Room, ValidPlaybook};

/// Default sends per second per account and region: half the SendEvent
/// quota, leaving the other half to chat moderation bots and anything else
/// that sends in the same account.
pub const DEFAULT_RATE: f64 = 50.0;
/// Default burst after an idle moment.
pub const DEFAULT_BURST: u32 = 5;
/// Default sends in flight.
pub const DEFAULT_CONCURRENCY: u32 = 32;
/// Default attempts per send.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Default time per attempt, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Everything a run would send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ivschat-playbook plan")]
pub struct Plan {
    /// Format version of this document.
    pub format_version: u32,
    /// `sha256:` of the ordered send ids. A run resumed from a report or
    /// journal checks it to make sure it continues the same plan.
    pub plan_hash: String,
    /// The playbooks in the plan, in the order given.
    pub playbooks: Vec<PlanPlaybook>,
    /// Settings in effect: playbook settings, overridden by flags.
    pub settings: EffectiveSettings,
    /// Totals.
    pub summary: PlanSummary,
    /// Every send, in order. Sends to one room keep this order.
    pub sends: Vec<PlannedSend>,
}

/// A playbook in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPlaybook {
    /// Its name.
    pub name: String,
    /// The file.
    pub path: String,
    /// Rooms, includes counted.
    pub rooms: usize,
    /// Events.
    pub events: usize,
    /// Sends it contributes.
    pub sends: usize,
}

/// The settings a run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectiveSettings {
    /// Sends per second per account and region.
    pub rate: f64,
    /// Burst per account and region.
    pub burst: u32,
    /// Most sends in flight.
    pub concurrency: u32,
    /// Attempts per send.
    pub max_attempts: u32,
    /// Time per attempt, in milliseconds.
    pub timeout_ms: u64,
}

/// Settings given on the command line; each overrides the playbooks'.
#[derive(Debug, Clone, Default)]
pub struct SettingsOverrides {
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--burst`.
    pub burst: Option<u32>,
    /// `--concurrency`.
    pub concurrency: Option<u32>,
    /// `--max-attempts`.
    pub max_attempts: Option<u32>,
    /// `--timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
}

impl EffectiveSettings {
    /// Combines playbook settings and flags. When several playbooks run
    /// together and disagree, the most careful value wins: the lowest rate,
    /// burst, concurrency and attempts, and the longest timeout.
    pub fn resolve(settings: &[&Settings], flags: &SettingsOverrides) -> Self {
        fn min_of<T: PartialOrd + Copy>(it: impl Iterator<Item = T>) -> Option<T> {
            it.fold(None, |acc, v| match acc {
                Some(a) if a <= v => Some(a),
                _ => Some(v),
            })
        }
        let rate = flags
            .rate
            .or_else(|| min_of(settings.iter().filter_map(|s| s.rate)))
            .unwrap_or(DEFAULT_RATE)
            .min(f64::from(SEND_EVENT_QUOTA_TPS));
        let burst = flags
            .burst
            .or_else(|| min_of(settings.iter().filter_map(|s| s.burst)))
            .unwrap_or(DEFAULT_BURST);
        let concurrency = flags
            .concurrency
            .or_else(|| min_of(settings.iter().filter_map(|s| s.concurrency)))
            .unwrap_or(DEFAULT_CONCURRENCY);
        let max_attempts = flags
            .max_attempts
            .or_else(|| min_of(settings.iter().filter_map(|s| s.max_attempts)))
            .unwrap_or(DEFAULT_MAX_ATTEMPTS);
        let timeout_ms = flags
            .timeout_ms
            .or_else(|| {
                settings
                    .iter()
                    .filter_map(|s| s.timeout.as_ref().and_then(|t| t.parse()))
                    .map(|d| d.as_millis() as u64)
                    .max()
            })
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        EffectiveSettings {
            rate,
            burst,
            concurrency,
            max_attempts,
            timeout_ms,
        }
    }
}

/// Totals of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSummary {
    /// Number of sends.
    pub sends: usize,
    /// Distinct rooms that get at least one event.
    pub rooms: usize,
    /// Per account and region (the unit of the quota), sorted.
    pub regions: Vec<RegionSummary>,
    /// Lower bound of the run's duration: regions send in parallel, each at
    /// the configured rate.
    pub estimated_seconds: f64,
    /// The largest rendered payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_payload: Option<Payload>,
    /// Sum of attribute bytes over all sends.
    pub total_bytes: u64,
}

/// Sends in one account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionSummary {
    /// AWS account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// Rooms in it that get events.
    pub rooms: usize,
    /// Sends.
    pub sends: usize,
    /// Seconds these sends take at the configured rate and burst.
    pub estimated_seconds: f64,
}

/// A payload size and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The send.
    pub send_id: String,
    /// Its room.
    pub room_arn: String,
    /// Its room's name.
    pub room_name: String,
    /// Its event.
    pub event_name: String,
    /// UTF-8 bytes of keys plus values.
    pub bytes: usize,
}

/// One SendEvent call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedSend {
    /// Stable id derived from the content: room, event name, rendered
    /// attributes, and how many identical sends to that room come before.
    pub id: String,
    /// Position in the plan, from 0.
    pub seq: usize,
    /// Name of the playbook it comes from.
    pub playbook: String,
    /// Position of the event in its playbook's `events`.
    pub event_index: usize,
    /// `eventName`.
    pub event_name: String,
    /// `roomIdentifier`.
    pub room_arn: String,
    /// The room's name, or its id when it has none.
    pub room_name: String,
    /// Region from the ARN; the send goes through this region's endpoint.
    pub region: String,
    /// Account from the ARN.
    pub account: String,
    /// Rendered `attributes`.
    pub attributes: IndexMap<String, String>,
    /// UTF-8 bytes of keys plus values.
    pub bytes: usize,
}

/// Size of attributes as the service counts it.
pub fn attributes_bytes<'a>(attrs: impl IntoIterator<Item = (&'a String, &'a String)>) -> usize {
    attrs.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The content hash behind a send id.
fn content_hash(
    room_arn: &str,
    event_name: &str,
    attributes: &IndexMap<String, String>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(room_arn.as_bytes());
    h.update([0]);
    h.update(event_name.as_bytes());
    h.update([0]);
    for (k, v) in attributes {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    h.finalize().into()
}

/// A send id: the content hash with the occurrence number, shortened to 16
/// hex digits (64 bits; a collision among a million sends has odds of about
/// 1 in 30 million, and is detected).
fn send_id(content: &[u8; 32], occurrence: u32) -> String {
    let mut h = Sha256::new();
    h.update(content);
    h.update(occurrence.to_le_bytes());
    let d = h.finalize();
    hex::encode(&d[..8])
}

/// The plan hash: the ordered send ids.
pub fn plan_hash(sends: &[PlannedSend]) -> String {
    let mut h = Sha256::new();
    h.update(b"ivschat-playbook plan v1\n");
    for s in sends {
        h.update(s.id.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Builds the plan. Rendering problems are returned as diagnostics; sends
/// that could not be rendered are left out, so a plan with errors among the
/// diagnostics must not be run.
pub fn build(
    playbooks: &[ValidPlaybook],
    cli_vars: &IndexMap<String, String>,
    flags: &SettingsOverrides,
) -> (Plan, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut sends: Vec<PlannedSend> = Vec::new();
    let mut occurrences: HashMap<[u8; 32], u32> = HashMap::new();
    let mut plan_playbooks = Vec::new();
    let env = template::environment();
    let cli: IndexMap<String, minijinja::Value> = cli_vars
        .iter()
        .map(|(k, v)| (k.clone(), minijinja::Value::from(v.as_str())))
        .collect();

    for pb in playbooks {
        let before = sends.len();
        let global = Arc::new(GlobalScope {
            cli: cli.clone(),
            playbook: template::var_values(&pb.vars),
            builtin: template::playbook_builtin(&pb.name),
        });
        let room_scopes: Vec<Arc<RoomScope>> = pb.rooms.iter().map(room_scope).collect();
        let known_vars: Vec<String> = known_var_names(pb, cli_vars);

        for ev in &pb.events {
            let event = Arc::new(EventScope {
                vars: template::var_values(&ev.vars),
                builtin: template::event_builtin(&ev.name),
            });
            // Compile each attribute once.
            let mut compiled = Vec::with_capacity(ev.attributes.len());
            let mut broken = false;
            for a in &ev.attributes {
                if !template::is_template(&a.template) {
                    compiled.push(None);
                    continue;
                }
                match env.template_from_str(&a.template) {
                    Ok(t) => {
                        // Global functions such as `range` are not variables.
                        let mut names: Vec<String> = t
                            .undeclared_variables(true)
                            .into_iter()
                            .filter(|n| {
                                let root = n.split('.').next().unwrap_or(n);
                                env.globals().all(|(g, _)| g != root)
                            })
                            .collect();
                        names.sort();
                        compiled.push(Some((t, names)));
                    }
                    Err(e) => {
                        broken = true;
                        diags.push(template_error(&a.key, &e, a.at));
                        compiled.push(None);
                    }
                }
            }
            if broken {
                continue;
            }

            let mut undefined: IndexMap<(usize, String), (usize, usize)> = IndexMap::new();
            let mut render_errors: IndexMap<usize, (String, usize)> = IndexMap::new();
            let mut oversize: Option<(usize, usize, usize)> = None; // (bytes, room, attr)
            let mut oversize_count = 0usize;

            for &ri in &ev.rooms {
                let room = &pb.rooms[ri];
                let ctx = Context {
                    global: global.clone(),
                    event: event.clone(),
                    room: room_scopes[ri].clone(),
                };
                let mut ok = true;
                for (ai, c) in compiled.iter().enumerate() {
                    if let Some((_, names)) = c {
                        for n in names {
                            if !ctx.resolves(n) {
                                ok = false;
                                undefined.entry((ai, n.clone())).or_insert((0, ri)).0 += 1;
                            }
                        }
                    }
                }
                if !ok {
                    continue;
                }
                let ctx_value = ctx.to_value();
                let mut attributes = IndexMap::with_capacity(ev.attributes.len());
                let mut largest_attr = (0usize, 0usize);
                for (ai, (a, c)) in ev.attributes.iter().zip(&compiled).enumerate() {
                    let value = match c {
                        None => a.template.clone(),
                        Some((t, _)) => match t.render(&ctx_value) {
                            Ok(v) => v,
                            Err(e) => {
                                ok = false;
                                render_errors.entry(ai).or_insert((render_message(&e), ri));
                                continue;
                            }
                        },
                    };
                    let size = a.key.len() + value.len();
                    if size > largest_attr.0 {
                        largest_attr = (size, ai);
                    }
                    attributes.insert(a.key.clone(), value);
                }
                if !ok {
                    continue;
                }
                let bytes = attributes_bytes(&attributes);
                if bytes > ATTRIBUTES_MAX_BYTES {
                    oversize_count += 1;
                    if oversize.is_none_or(|(b, _, _)| bytes > b) {
                        oversize = Some((bytes, ri, largest_attr.1));
                    }
                    continue;
                }
                let content = content_hash(&room.arn.arn, &ev.name, &attributes);
                let occ = occurrences.entry(content).or_insert(0);
                let id = send_id(&content, *occ);
                *occ += 1;
                sends.push(PlannedSend {
                    id,
                    seq: sends.len(),
                    playbook: pb.name.clone(),
                    event_index: ev.index,
                    event_name: ev.name.clone(),
                    room_arn: room.arn.arn.clone(),
                    room_name: room.display_name().to_string(),
                    region: room.arn.region.clone(),
                    account: room.arn.account.clone(),
                    attributes,
                    bytes,
                });
            }

            let total = ev.rooms.len();
            for ((ai, name), (count, first_room)) in undefined {
                let a = &ev.attributes[ai];
                let room = &pb.rooms[first_room];
                let scope = if count == total {
                    String::new()
                } else {
                    format!(
                        " for {count} of {total} rooms, such as `{}`",
                        room.display_name()
                    )
                };
                let root = name.split('.').next().unwrap_or(&name);
                let known: Vec<&str> = known_vars.iter().map(String::as_str).collect();
                let hint = match crate::validate::did_you_mean(root, &known) {
                    Some(s) if s != root => format!("did you mean `{s}`?"),
                    _ if name.contains('.') => {
                        "built-ins: room.name, room.arn, room.region, room.id, room.account, room.tags, event.name, playbook.name".to_string()
                    }
                    _ => format!(
                        "define `{root}` under `vars` (of the playbook, the room or the event) or pass `--var {root}=...`"
                    ),
                };
                diags.push(
                    Diagnostic::error(
                        "playbook::undefined-variable",
                        format!(
                            "undefined variable `{name}` in attribute `{}`{scope}",
                            a.key
                        ),
                    )
                    .at(Some(a.at))
                    .hint(hint),
                );
            }
            for (ai, (message, first_room)) in render_errors {
                let a = &ev.attributes[ai];
                diags.push(
                    Diagnostic::error(
                        "playbook::template-error",
                        format!(
                            "attribute `{}` cannot be rendered for room `{}`: {message}",
                            a.key,
                            pb.rooms[first_room].display_name()
                        ),
                    )
                    .at(Some(a.at)),
                );
            }
            if let Some((bytes, ri, ai)) = oversize {
                let room: &Room = &pb.rooms[ri];
                let others = if oversize_count > 1 {
                    format!(" ({oversize_count} of {total} rooms are over; this is the largest)")
                } else {
                    String::new()
                };
                diags.push(
                    Diagnostic::error(
                        "playbook::attributes-too-large",
                        format!(
                            "attributes of event `{}` are {bytes} bytes for room `{}`, over the 1 KB limit{others}",
                            ev.name,
                            room.display_name()
                        ),
                    )
                    .at(Some(ev.attributes[ai].at))
                    .hint("keys plus values may total 1024 bytes of UTF-8 after rendering; shorten the largest value (marked)"),
                );
            }
        }
        let distinct_rooms = {
            let mut set: Vec<&str> = sends[before..]
                .iter()
                .map(|s| s.room_arn.as_str())
                .collect();
            set.sort_unstable();
            set.dedup();
            set.len()
        };
        let _ = distinct_rooms;
        plan_playbooks.push(PlanPlaybook {
            name: pb.name.clone(),
            path: pb.path.display().to_string(),
            rooms: pb.rooms.len(),
            events: pb.events.len(),
            sends: sends.len() - before,
        });
    }

    let settings_refs: Vec<&Settings> = playbooks.iter().map(|p| &p.settings).collect();
    let settings = EffectiveSettings::resolve(&settings_refs, flags);
    let summary = summarize(&sends, &settings);
    let plan = Plan {
        format_version: 1,
        plan_hash: plan_hash(&sends),
        playbooks: plan_playbooks,
        settings,
        summary,
        sends,
    };
    (plan, diags)
}

fn room_scope(room: &Room) -> Arc<RoomScope> {
    Arc::new(RoomScope {
        vars: template::var_values(&room.vars),
        builtin: template::room_builtin(
            room.display_name(),
            &room.arn.arn,
            &room.arn.region,
            &room.arn.account,
            &room.arn.id,
            &room.tags,
        ),
    })
}

fn known_var_names(pb: &ValidPlaybook, cli: &IndexMap<String, String>) -> Vec<String> {
    let mut names: Vec<String> = cli.keys().cloned().collect();
    names.extend(pb.vars.keys().cloned());
    for r in &pb.rooms {
        names.extend(r.vars.keys().cloned());
    }
    for e in &pb.events {
        names.extend(e.vars.keys().cloned());
    }
    names.sort();
    names.dedup();
    names
}

fn render_message(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => format!("{} ({d})", e.kind()),
        None => e.kind().to_string(),
    }
}

fn template_error(key: &str, e: &minijinja::Error, at: Location) -> Diagnostic {
    let line = e
        .line()
        .map(|l| format!(" (line {l} of the value)"))
        .unwrap_or_default();
    Diagnostic::error(
        "playbook::template-error",
        format!("attribute `{key}` is not a valid template{line}: {}", render_message(e)),
    )
    .at(Some(at))
    .hint("templates use minijinja syntax: `{{ name }}`, `{% if ... %}...{% endif %}`; write `{{ '{{' }}` for literal braces")
}

fn summarize(sends: &[PlannedSend], settings: &EffectiveSettings) -> PlanSummary {
    let mut groups: IndexMap<(&str, &str), (usize, Vec<&str>)> = IndexMap::new();
    let mut largest: Option<&PlannedSend> = None;
    let mut total_bytes = 0u64;
    for s in sends {
        let g = groups.entry((&s.account, &s.region)).or_default();
        g.0 += 1;
        g.1.push(&s.room_arn);
        total_bytes += s.bytes as u64;
        if largest.is_none_or(|l| s.bytes > l.bytes) {
            largest = Some(s);
        }
    }
    let mut all_rooms: Vec<&str> = Vec::new();
    let mut regions: Vec<RegionSummary> = groups
        .into_iter()
        .map(|((account, region), (count, mut rooms))| {
            rooms.sort_unstable();
            rooms.dedup();
            all_rooms.extend(&rooms);
            RegionSummary {
                account: account.to_string(),
                region: region.to_string(),
                rooms: rooms.len(),
                sends: count,
                estimated_seconds: estimate_seconds(count, settings),
            }
        })
        .collect();
    regions.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    let estimated_seconds = regions
        .iter()
        .map(|r| r.estimated_seconds)
        .fold(0.0, f64::max);
    PlanSummary {
        sends: sends.len(),
        rooms: all_rooms.len(),
        regions,
        estimated_seconds,
        largest_payload: largest.map(|s| Payload {
            send_id: s.id.clone(),
            room_arn: s.room_arn.clone(),
            room_name: s.room_name.clone(),
            event_name: s.event_name.clone(),
            bytes: s.bytes,
        }),
        total_bytes,
    }
}

/// Seconds `count` sends take at `rate` with `burst` available at the start.
fn estimate_seconds(count: usize, settings: &EffectiveSettings) -> f64 {
    let after_burst = count.saturating_sub(settings.burst as usize) as f64;
    (after_burst / settings.rate * 100.0).round() / 100.0
}

/// Writes the plan as a table for people.
pub fn render_table(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = String::new();
    let rooms_w = plan
        .sends
        .iter()
        .map(|x| x.room_name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    let event_w = plan
        .sends
        .iter()
        .map(|x| x.event_name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 32);
    let region_w = plan
        .sends
        .iter()
        .map(|x| x.region.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  ATTRIBUTES",
        "#", "SEND ID", "REGION", "ROOM", "EVENT", "BYTES"
    );
    for x in &plan.sends {
        let attrs: Vec<String> = x
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", shorten(&v.replace('\n', "\\n"), 60)))
            .collect();
        let _ = writeln!(
            s,
            "{:>6}  {:<16}  {:<region_w$}  {:<rooms_w$}  {:<event_w$}  {:>5}  {}",
            x.seq + 1,
            x.id,
            x.region,
            shorten(&x.room_name, rooms_w),
            shorten(&x.event_name, event_w),
            x.bytes,
            attrs.join(" ")
        );
        if s.len() > 64 * 1024 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    let sm = &plan.summary;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Plan {}: {} sends to {} rooms from {} playbook{}",
        plan.plan_hash,
        sm.sends,
        sm.rooms,
        plan.playbooks.len(),
        if plan.playbooks.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(s, "By account and region:");
    for r in &sm.regions {
        let _ = writeln!(
            s,
            "  {} {:<region_w$}  {:>7} sends  {:>6} rooms  ~{}",
            r.account,
            r.region,
            r.sends,
            r.rooms,
            human_seconds(r.estimated_seconds)
        );
    }
    if let Some(p) = &sm.largest_payload {
        let _ = writeln!(
            s,
            "Largest payload: {} bytes of 1024 ({} to {}, send {})",
            p.bytes, p.event_name, p.room_name, p.send_id
        );
    }
    let st = &plan.settings;
    let _ = writeln!(
        s,
        "Estimated duration: at least {} at {}/s per account and region (burst {}, concurrency {})",
        human_seconds(sm.estimated_seconds),
        st.rate,
        st.burst,
        st.concurrency
    );
    out.write_all(s.as_bytes())
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn human_seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    }
}
