//! `lock`: resolve every `discover:` selector of the playbooks against the
//! service and write each playbook's lock file beside it, so that
//! `validate` and `plan` work offline and `run` can tell when the service
//! changed. Also the resolution `run` repeats before sending.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;

use super::listing::{self, ServiceArgs};
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::{Io, plural};
use crate::diag::{DiagFormat, Diagnostic, Sources};
use crate::discover::{FoundRoom, Query, RoomFilter, TagPair};
use crate::playbook::load::{self, LoadedPlaybook};
use crate::playbook::lock::{LockFile, LockedRoom, LockedSelector};
use crate::playbook::model::{Selector, Version};
use crate::playbook::selectors::{WrittenSelector, selectors_of};

/// `lock` options.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Playbook files, or folders whose .yaml/.yml files are playbooks.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub paths: Vec<PathBuf>,
    /// Folder that includes and folders of playbooks may reach (as for
    /// `validate`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where to list, and as whom.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Format of diagnostics, written to stderr.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub diagnostics: DiagFormat,
}

/// Runs `lock`.
pub async fn exec(a: &LockArgs, io: &mut Io<'_>) -> CmdResult {
    let reach = match a.root.as_deref().map(crate::fs::Reach::within).transpose() {
        Ok(r) => r,
        Err(e) => return io.refuse(format_args!("--root: {e}")),
    };
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let loaded = load::load(&a.paths, reach.as_ref(), &mut sources, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        io.diagnostics(&sources, &diags, a.diagnostics, false)?;
        return io.end(
            Exit::Invalid,
            "nothing written: the playbooks could not be read",
        );
    }
    let locks = match resolve(&loaded, &a.service, &mut diags).await {
        Ok(l) => l,
        Err(e) => return io.end(Exit::Failed, format_args!("error: {e}")),
    };
    io.diagnostics(&sources, &diags, a.diagnostics, false)?;
    if diags.iter().any(Diagnostic::is_error) {
        return io.end(
            Exit::Invalid,
            "nothing written: a selector that finds no room is an error, not an empty run",
        );
    }
    let mut written = 0;
    for (lp, lock) in loaded.iter().zip(locks) {
        let Some(lock) = lock else { continue };
        let path = crate::fs::lock_path(&lp.path);
        std::fs::write(&path, lock.to_text())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        let rooms: usize = lock.selectors.iter().map(|s| s.rooms.len()).sum();
        writeln!(
            io.err,
            "wrote {}: {}, {}",
            path.display(),
            plural(lock.selectors.len(), "selector"),
            plural(rooms, "room")
        )?;
        written += 1;
    }
    if written == 0 {
        writeln!(
            io.err,
            "no playbook has a `discover:` selector; nothing to lock"
        )?;
    }
    Ok(Exit::Ok)
}

/// The lock each playbook would get now (`None` for one without
/// selectors). A selector that finds no room is an error diagnostic at
/// it. `Err` when the service could not be listed.
pub async fn resolve(
    loaded: &[LoadedPlaybook],
    service: &ServiceArgs,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Option<LockFile>>, String> {
    let written: Vec<Vec<WrittenSelector>> = loaded.iter().map(selectors_of).collect();
    let mut unique: Vec<&Selector> = Vec::new();
    for s in written.iter().flatten() {
        if !unique.contains(&&s.selector) {
            unique.push(&s.selector);
        }
    }
    if unique.is_empty() {
        return Ok(vec![None; loaded.len()]);
    }
    let Some(found) = list_each(&unique, &written, service, diags).await? else {
        return Ok(vec![None; loaded.len()]);
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(loaded
        .iter()
        .zip(&written)
        .map(|(lp, sels)| {
            (!sels.is_empty()).then(|| lock_of(lp, sels, (&unique, &found), &now, diags))
        })
        .collect())
}

/// The rooms each selector finds, in `unique`'s order. `Ok(None)`: a
/// selector is bad input, said in `diags`, and nothing was listed.
async fn list_each(
    unique: &[&Selector],
    written: &[Vec<WrittenSelector>],
    service: &ServiceArgs,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Vec<Vec<FoundRoom>>>, String> {
    let mut regions: BTreeSet<String> = BTreeSet::new();
    let mut queries = Vec::new();
    for sel in unique {
        match query_of(sel) {
            Ok(query) => {
                regions.extend(query.regions.iter().cloned());
                queries.push(query);
            }
            Err(e) => {
                let at = written
                    .iter()
                    .flatten()
                    .find(|w| w.selector == **sel)
                    .map(|w| w.at);
                diags.push(Diagnostic::error("playbook::invalid-selector", e).at(at));
                return Ok(None);
            }
        }
    }
    let regions: Vec<String> = regions.into_iter().collect();
    let clients = listing::connect(service, &regions).await?;
    let limiters = crate::discover::room_limiters();
    let mut found = Vec::new();
    for (sel, query) in unique.iter().zip(&queries) {
        let rooms = listing::list(&clients, &limiters, service, query)
            .await
            .map_err(|e| e.to_string())?;
        found.push(
            rooms
                .into_iter()
                .filter(|r| {
                    sel.accounts.is_empty() || sel.accounts.iter().any(|a| a.0 == r.account)
                })
                .collect(),
        );
    }
    Ok(Some(found))
}

/// One playbook's lock, from what its selectors found; a selector that
/// found nothing is an error at it.
fn lock_of(
    lp: &LoadedPlaybook,
    sels: &[WrittenSelector],
    (unique, found): (&[&Selector], &[Vec<FoundRoom>]),
    now: &str,
    diags: &mut Vec<Diagnostic>,
) -> LockFile {
    let mut selectors: Vec<LockedSelector> = Vec::new();
    for w in sels {
        let k = unique
            .iter()
            .position(|u| **u == w.selector)
            .expect("listed");
        if found[k].is_empty() {
            diags.push(
                Diagnostic::error(
                    "playbook::discovers-no-rooms",
                    "this selector finds no room in the service",
                )
                .at(Some(w.at))
                .hint("check its regions, tags and name against `ivschat-playbook rooms`"),
            );
        }
        if selectors.iter().any(|s| s.asked == w.selector) {
            continue;
        }
        selectors.push(LockedSelector {
            asked: w.selector.clone(),
            rooms: found[k].iter().map(locked).collect(),
        });
    }
    LockFile {
        version: Version,
        playbook: lp
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        locked_at: now.to_string(),
        selectors,
    }
}

/// The listing a selector asks for.
fn query_of(sel: &Selector) -> Result<Query, String> {
    let given: Vec<String> = sel.regions.iter().map(|r| r.0.clone()).collect();
    let regions = listing::regions(&given)?;
    let tags = sel
        .tags
        .iter()
        .map(|(k, v)| TagPair {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    let filter = RoomFilter::new(tags, sel.name.as_deref())?;
    Ok(Query { regions, filter })
}

fn locked(r: &FoundRoom) -> LockedRoom {
    LockedRoom {
        arn: r.arn.clone(),
        name: r.name.clone(),
        tags: r.tags.clone(),
        update_time: r
            .update_time
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}
