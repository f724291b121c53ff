//! `init`: write a commented starter playbook and a room inventory that
//! validate, plan and rehearse (`run --local`) as written, so a new user
//! edits something that works instead of starting from a blank file.
//!
//! Both files start with the `# yaml-language-server: $schema=...` modeline.
//! It must point at a file that exists, so: when the folder is inside a
//! project that already has the schemas (a `schema/` folder holding this
//! tool's `playbook.schema.json` and `inventory.schema.json`, as this
//! repository does and `ivschat-playbook schema --write schema/` makes),
//! the modelines point there by relative path; otherwise `init` writes the
//! two schemas into `DIR/schema/` as well.
//!
//! `init` never overwrites: when any file it would write exists, it names
//! that file, writes nothing, and exits 2.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use clap::Args;

use super::schema::SchemaKind;
use crate::app::exit::{CmdResult, Exit};
use crate::app::io::Io;

/// `init` options.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Folder to write into, created if missing.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

/// The starter playbook, relative to DIR.
pub const PLAYBOOK_FILE: &str = "playbook.yaml";
/// The starter room inventory, relative to DIR.
pub const INVENTORY_FILE: &str = "rooms/example.yaml";
/// Where the schemas go when no project schema folder is found.
pub const SCHEMA_DIR: &str = "schema";

/// Text that identifies this tool's playbook schema (its `title`).
const SCHEMA_MARK: &str = "\"ivschat-playbook playbook\"";

/// Runs `init`.
pub fn exec(a: &InitArgs, io: &mut Io<'_>) -> CmdResult {
    let dir = &a.dir;
    let abs_dir = absolute(dir)?;
    let found = find_schema_dir(&abs_dir);
    let schema_abs = found.clone().unwrap_or_else(|| abs_dir.join(SCHEMA_DIR));

    let playbook_schema = relative(&abs_dir, &schema_abs.join(SchemaKind::Playbook.file_name()));
    let inventory_schema = relative(
        &abs_dir.join("rooms"),
        &schema_abs.join(SchemaKind::Inventory.file_name()),
    );
    let mut files = vec![
        (dir.join(PLAYBOOK_FILE), playbook_text(&playbook_schema)),
        (dir.join(INVENTORY_FILE), inventory_text(&inventory_schema)),
    ];
    if found.is_none() {
        for kind in [SchemaKind::Playbook, SchemaKind::Inventory] {
            files.push((dir.join(SCHEMA_DIR).join(kind.file_name()), kind.text()));
        }
    }

    // Nothing is written unless every file is new.
    if let Some((existing, _)) = files.iter().find(|(p, _)| p.symlink_metadata().is_ok()) {
        return io.refuse(format_args!(
            "`{}` already exists; init never overwrites a file, so nothing was written",
            existing.display()
        ));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        f.write_all(text.as_bytes())?;
        writeln!(io.err, "wrote {}", path.display())?;
    }
    let pb = dir.join(PLAYBOOK_FILE);
    writeln!(
        io.err,
        "\nNext:\n  ivschat-playbook validate {p}\n  ivschat-playbook plan {p}\n  ivschat-playbook run --local {p}   # a rehearsal against the built-in emulator",
        p = pb.display()
    )?;
    Ok(Exit::Ok)
}

/// The starter playbook, its modeline pointing at `schema`.
pub fn playbook_text(schema: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schema}
#
# A starter playbook: which chat rooms get which events. Try it:
#
#   ivschat-playbook validate playbook.yaml       # check it
#   ivschat-playbook plan playbook.yaml           # every send, rendered
#   ivschat-playbook run --local playbook.yaml    # rehearse against the built-in emulator
#   ivschat-playbook run playbook.yaml            # send, with your AWS credentials
#
# Replace the example rooms with yours (`aws ivschat list-rooms` lists them).
version: 1
name: starter
description: Tell every room that chat closes soon.

# Sending settings; flags such as --rate override them.
settings:
  rate: 50              # sends per second per account and region (the quota is 100)
  max_attempts: 5       # attempts per send when throttled or the service fails

# Template variables; `--var minutes=5` overrides them.
vars:
  minutes: "15"

# Room inventories shared by playbooks, relative to this file.
include: [rooms/example.yaml]

# More rooms: a bare ARN, or a mapping with a name, tags and variables.
rooms:
  - arn: arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6
    name: us-lobby
    tags: [us]
    vars: {{ locale: en }}

# Events go to rooms in this order; each room gets its events one by one.
events:
  - name: SystemMessage
    to: all                 # all | [room names] | {{ tags: [eu] }}
    attributes:             # strings; keys plus values at most 1 KB per room
      msgType: user-notification
      msgText: "This chat room will close in {{{{ minutes }}}} minutes."
  - name: SystemMessage
    to: {{ tags: [eu] }}
    attributes:
      msgType: user-notification
      # Templates see the room (room.name, room.region, room vars) too.
      msgText: "{{% if locale == 'de' %}}{{{{ room.name }}}} schließt in {{{{ minutes }}}} Minuten.{{% else %}}{{{{ room.name }}}} closes in {{{{ minutes }}}} minutes.{{% endif %}}"
"#
    )
}

/// The starter room inventory, its modeline pointing at `schema`.
pub fn inventory_text(schema: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schema}
#
# A room inventory: rooms that several playbooks share through `include`.
# Replace the example rooms with yours (`aws ivschat list-rooms` lists them).
description: Example rooms.
rooms:
  - arn: arn:aws:ivschat:eu-west-1:123456789012:room/AbCdEf123456
    name: eu-lobby
    tags: [eu]
    vars: {{ locale: de }}
  - arn: arn:aws:ivschat:eu-central-1:123456789012:room/Prod0Lobby02
    name: de-lobby
    tags: [eu]
    vars: {{ locale: de }}
"#
    )
}

/// The nearest folder at or above `dir` whose `schema/` holds this tool's
/// playbook and inventory schemas.
pub(super) fn find_schema_dir(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|d| {
        let schema = d.join(SCHEMA_DIR);
        let playbook =
            std::fs::read_to_string(schema.join(SchemaKind::Playbook.file_name())).ok()?;
        let ours = playbook.contains(SCHEMA_MARK)
            && schema.join(SchemaKind::Inventory.file_name()).is_file();
        ours.then_some(schema)
    })
}

/// `path` made absolute: `.` and `..` resolved as written, then symlinks
/// resolved in the part that exists (the rest, not created yet, appended).
pub(super) fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let mut lexical = PathBuf::new();
    for c in std::env::current_dir()?.join(path).components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize()?;
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

/// `to` relative to the folder `from`, with `/` separators (both absolute).
pub(super) fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/r/playbooks"), Path::new("/r/schema/p.json")),
            "../schema/p.json"
        );
        assert_eq!(
            relative(
                Path::new("/r/playbooks/rooms"),
                Path::new("/r/schema/p.json")
            ),
            "../../schema/p.json"
        );
        assert_eq!(
            relative(Path::new("/r"), Path::new("/r/schema/p.json")),
            "schema/p.json"
        );
    }

    #[test]
    fn absolute_resolves_missing_parts() {
        let tmp = std::env::temp_dir().canonicalize().unwrap();
        let p = absolute(&tmp.join("surely/not/../here")).unwrap();
        assert_eq!(p, tmp.join("surely/here"));
    }
}
