//! The lock file: the rooms a playbook's `discover:` selectors found, pinned
//! so that plans stay reviewable and `validate` and `plan` need neither
//! credentials nor network.
//!
//! `ivschat-playbook lock PLAYBOOK` writes it beside the playbook
//! (`announce.yaml` → `announce.lock.yaml`, [`crate::fs::lock_path`]);
//! folder expansion never takes it for a playbook. Each entry holds a
//! selector as written (what was asked) and the rooms found for it (ARN,
//! name, tags, update time); a selector is looked up by what it asks, so
//! reordering rooms in the playbook keeps the lock valid, and changing a
//! selector makes it unlocked until `lock` runs again.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{Selector, Vars, Version};
use super::rooms::{Room, service_tag};
use crate::diag::{Diagnostic, FileId, Location, Sources};
use crate::service::arn::RoomArn;

/// A lock file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// Format version; only `1`.
    pub version: Version,
    /// The file name of the playbook it locks.
    pub playbook: String,
    /// When it was written (RFC 3339).
    pub locked_at: String,
    /// Each selector and the rooms it found.
    pub selectors: Vec<LockedSelector>,
}

/// One selector and its rooms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedSelector {
    /// The selector as written in the playbook or an inventory.
    pub asked: Selector,
    /// The rooms it found, by region, then name, then ARN.
    pub rooms: Vec<LockedRoom>,
}

/// A room as the service listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRoom {
    /// Room ARN.
    pub arn: String,
    /// Room name (empty when it has none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Its tags.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: IndexMap<String, String>,
    /// When it was last updated (RFC 3339).
    pub update_time: String,
}

impl LockFile {
    /// The entry of a selector, if the lock has one.
    pub fn find(&self, asked: &Selector) -> Option<&LockedSelector> {
        self.selectors.iter().find(|s| s.asked == *asked)
    }

    /// The text of the file: a header comment, then YAML.
    pub fn to_text(&self) -> String {
        let body = serde_yaml::to_string(self).expect("a lock file serializes");
        format!(
            "# Written by `ivschat-playbook lock {}`: the rooms its `discover:` selectors\n# found. Commit it with the playbook; `run` checks it against the service\n# before sending, and `lock` (or `run --refresh`) writes it again.\n{body}",
            self.playbook
        )
    }

    /// A digest of what the lock pins (selectors and room ARNs), for the
    /// plan hash.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for s in &self.selectors {
            h.update(
                serde_json::to_string(&s.asked)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            h.update([0]);
            for r in &s.rooms {
                h.update(r.arn.as_bytes());
                h.update([0]);
            }
            h.update([1]);
        }
        format!("lock:{}", hex::encode(&h.finalize()[..16]))
    }
}

impl LockedSelector {
    /// The rooms as playbook rooms, each at `at` (where the selector is
    /// written): the service name (unless `taken` already has it, since
    /// names are unique in a playbook) and the service tags as
    /// `KEY=VALUE`.
    pub fn rooms(&self, at: Location, taken: &dyn Fn(&str) -> bool) -> Vec<Room> {
        self.rooms
            .iter()
            .filter_map(|r| {
                let arn = RoomArn::parse(&r.arn).ok()?;
                let name = (!r.name.is_empty() && !taken(&r.name)).then(|| r.name.clone());
                Some(Room {
                    arn,
                    name,
                    tags: r.tags.iter().map(|(k, v)| service_tag(k, v)).collect(),
                    vars: Vars::default(),
                    at,
                })
            })
            .collect()
    }
}

/// A playbook's lock file as read.
#[derive(Debug, Clone)]
pub struct LoadedLock {
    /// Where it is.
    pub path: PathBuf,
    /// Its id in [`Sources`].
    pub file: FileId,
    /// Its content, `None` when it could not be read (a diagnostic says
    /// why).
    pub lock: Option<LockFile>,
}

/// Reads the lock beside `playbook`, if there is one. A lock that cannot
/// be read or parsed is a diagnostic at it.
pub fn load(
    playbook: &Path,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoadedLock> {
    let path = crate::fs::lock_path(playbook);
    if path.symlink_metadata().is_err() {
        return None;
    }
    let text = match crate::fs::read_bounded(&path, crate::fs::MAX_FILE_BYTES)
        .map_err(|e| e.to_string())
        .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "playbook::invalid-lock",
                    format!("cannot read the lock file: {e}"),
                )
                .in_file(&path),
            );
            return None;
        }
    };
    let file = sources.add(path.clone(), text.clone());
    let lock = match serde_yaml::from_str::<LockFile>(&text) {
        Ok(l) => Some(l),
        Err(e) => {
            let start = e.location().map_or(0, |l| l.index());
            diags.push(
                Diagnostic::error(
                    "playbook::invalid-lock",
                    format!("the lock file cannot be read: {e}"),
                )
                .at(Some(Location {
                    file,
                    start,
                    end: start,
                }))
                .hint(format!(
                    "write it again with `ivschat-playbook lock {}`; do not edit it by hand",
                    playbook.display()
                )),
            );
            None
        }
    };
    Some(LoadedLock { path, file, lock })
}

/// How the service differs from a lock: one line per selector that
/// changed, naming the rooms added and gone. Empty when they agree.
pub fn diff(old: &LockFile, new: &LockFile) -> Vec<String> {
    let mut out = Vec::new();
    for n in &new.selectors {
        let asked = serde_json::to_string(&n.asked).unwrap_or_default();
        let Some(o) = old.find(&n.asked) else {
            out.push(format!("selector {asked}: not in the lock"));
            continue;
        };
        let arns = |s: &LockedSelector| -> std::collections::BTreeSet<String> {
            s.rooms.iter().map(|r| r.arn.clone()).collect()
        };
        let (was, now) = (arns(o), arns(n));
        let added: Vec<&String> = now.difference(&was).collect();
        let gone: Vec<&String> = was.difference(&now).collect();
        if added.is_empty() && gone.is_empty() {
            continue;
        }
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        let mut line = format!("selector {asked}:");
        if !added.is_empty() {
            line.push_str(&format!(" {} added ({})", added.len(), list(&added)));
        }
        if !gone.is_empty() {
            line.push_str(&format!(" {} gone ({})", gone.len(), list(&gone)));
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(rooms: &[&str]) -> LockFile {
        let mut tags = IndexMap::new();
        tags.insert("env".to_string(), "prod".to_string());
        LockFile {
            version: Version,
            playbook: "p.yaml".into(),
            locked_at: "2026-01-01T00:00:00Z".into(),
            selectors: vec![LockedSelector {
                asked: Selector {
                    regions: Vec::new(),
                    tags,
                    name: None,
                    accounts: Vec::new(),
                },
                rooms: rooms
                    .iter()
                    .map(|a| LockedRoom {
                        arn: a.to_string(),
                        name: String::new(),
                        tags: IndexMap::new(),
                        update_time: "2026-01-01T00:00:00Z".into(),
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn differences_name_added_and_gone_rooms() {
        let a = "arn:aws:ivschat:us-west-2:123456789012:room/a";
        let b = "arn:aws:ivschat:us-west-2:123456789012:room/b";
        assert!(diff(&lock(&[a, b]), &lock(&[b, a])).is_empty());
        let d = diff(&lock(&[a]), &lock(&[b]));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("1 added (") && d[0].contains("room/b"),
            "{d:?}"
        );
        assert!(
            d[0].contains("1 gone (") && d[0].contains("room/a"),
            "{d:?}"
        );
        assert_ne!(lock(&[a]).digest(), lock(&[b]).digest());
        let text = lock(&[a]).to_text();
        let back: LockFile = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, lock(&[a]));
    }
}
