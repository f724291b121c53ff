//! `--limit`: a subset of a plan's rooms, for a canary first and the rest
//! later (Ansible's `--limit`).
//!
//! Each value is a room name (or ARN), `tag:TAG` (a room tag, such as
//! `tag:env=prod` for a discovered room's service tag), or `@FILE` (room
//! ARNs, one a line, `#` comments); values may be given several times or
//! joined with commas, and a room is kept when any of them matches it. The
//! limit only chooses among the rooms the playbooks already have: the plan
//! and its hash stay the whole playbook's, so a resume without `--limit`
//! sends exactly the rest.

use std::collections::HashSet;
use std::path::Path;

use super::ScannedPlan;
use crate::playbook::rooms::Room;

/// One way of naming rooms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A room name, or ARN.
    Room(String),
    /// A room tag.
    Tag(String),
    /// ARNs read from a file.
    Arns(HashSet<String>),
}

/// A parsed `--limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    asked: Vec<String>,
    items: Vec<Item>,
}

/// The most ARNs an `@FILE` may hold.
const MAX_FILE_BYTES: u64 = 16 << 20;

impl Limit {
    /// Reads the values of `--limit`; `@FILE`s are read now.
    pub fn parse(values: &[String]) -> Result<Limit, String> {
        let mut asked = Vec::new();
        let mut items = Vec::new();
        for v in values.iter().flat_map(|v| v.split(',')) {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            asked.push(v.to_string());
            items.push(if let Some(t) = v.strip_prefix("tag:") {
                if t.is_empty() {
                    return Err("`tag:` needs a tag, such as `tag:env=prod`".into());
                }
                Item::Tag(t.to_string())
            } else if let Some(f) = v.strip_prefix('@') {
                Item::Arns(read_arns(Path::new(f))?)
            } else {
                Item::Room(v.to_string())
            });
        }
        if items.is_empty() {
            return Err("--limit needs a room name, `tag:TAG` or `@FILE`".into());
        }
        Ok(Limit { asked, items })
    }

    /// The values as given, each once.
    pub fn asked(&self) -> &[String] {
        &self.asked
    }

    /// Whether the limit keeps `room`.
    pub fn keeps(&self, room: &Room) -> bool {
        self.items.iter().any(|i| match i {
            Item::Room(n) => room.name.as_deref() == Some(n.as_str()) || room.arn.arn == *n,
            Item::Tag(t) => room.tags.iter().any(|x| x == t),
            Item::Arns(set) => set.contains(&room.arn.arn),
        })
    }

    /// The ARNs of the plan's rooms that the limit keeps.
    pub fn select(&self, plan: &ScannedPlan) -> HashSet<String> {
        plan.rooms()
            .iter()
            .map(|r| plan.room_of(r))
            .filter(|r| self.keeps(r))
            .map(|r| r.arn.arn.clone())
            .collect()
    }
}

/// The ARNs of an `@FILE`.
fn read_arns(path: &Path) -> Result<HashSet<String>, String> {
    let bytes = crate::fs::read_bounded(path, MAX_FILE_BYTES)
        .map_err(|e| format!("--limit @{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--limit @{}: the file is not UTF-8 text", path.display()))?;
    let mut out = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if crate::service::arn::RoomArn::parse(line).is_err() {
            return Err(format!(
                "--limit @{}:{}: `{line}` is not a room ARN",
                path.display(),
                n + 1
            ));
        }
        out.insert(line.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Location};
    use crate::service::arn::RoomArn;

    fn room(id: &str, name: Option<&str>, tags: &[&str]) -> Room {
        Room {
            arn: RoomArn::parse(&format!("arn:aws:ivschat:us-west-2:123456789012:room/{id}"))
                .unwrap(),
            name: name.map(str::to_string),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            vars: Default::default(),
            at: Location {
                file: FileId::default(),
                start: 0,
                end: 0,
            },
        }
    }

    #[test]
    fn names_tags_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arns.txt");
        std::fs::write(
            &file,
            "# canaries\narn:aws:ivschat:us-west-2:123456789012:room/c\n\n",
        )
        .unwrap();
        let l = Limit::parse(&[
            "canary,tag:env=prod".to_string(),
            format!("@{}", file.display()),
        ])
        .unwrap();
        assert_eq!(l.asked().len(), 3);
        assert!(l.keeps(&room("a", Some("canary"), &[])));
        assert!(l.keeps(&room("b", None, &["env=prod"])));
        assert!(l.keeps(&room("c", None, &[])));
        assert!(!l.keeps(&room("d", Some("other"), &["env=dev"])));
        assert!(Limit::parse(&[",".into()]).is_err());
        assert!(Limit::parse(&["tag:".into()]).is_err());
        std::fs::write(&file, "not-an-arn\n").unwrap();
        let e = Limit::parse(&[format!("@{}", file.display())]).unwrap_err();
        assert!(e.contains(":1: `not-an-arn` is not a room ARN"), "{e}");
        assert!(Limit::parse(&["@/nonexistent/x".into()]).is_err());
    }
}
