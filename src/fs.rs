//! Reading the project's input files: one way to read a named file's text
//! (with the checks and diagnostics every role shares), to list the YAML
//! files of a folder, and to write paths as people read them.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Location};

/// Largest playbook or inventory file read, in bytes. Far above any real
/// playbook (10,000 rooms take about 1 MB) and small enough to hold.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a file is read as: it decides the diagnostic codes and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// A playbook given on the command line or found in a folder.
    Playbook,
    /// A room inventory a playbook includes.
    Include,
    /// An event-definition file a playbook's `catalog` names.
    Catalog,
}

impl FileRole {
    /// The word messages use for the file.
    pub fn word(self) -> &'static str {
        match self {
            FileRole::Playbook => "playbook",
            FileRole::Include => "include",
            FileRole::Catalog => "catalog",
        }
    }
}

/// Why a file's bytes could not be had.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed.
    Io(std::io::Error),
    /// It is not a regular file: a folder, device, pipe or socket. Reading
    /// one could block forever (a FIFO) or never end (`/dev/zero`).
    NotAFile(&'static str),
    /// More than the limit was there to read.
    TooLarge(u64),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge(limit) => write!(f, "it is larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

/// What kind of file a non-regular file is, in words.
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a pipe"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Opens a regular file for reading, refusing anything else without
/// blocking on it: the file is opened non-blocking (a FIFO with no writer
/// would otherwise hang the open) and its type checked on the open handle.
pub fn open_regular(path: &Path) -> Result<std::fs::File, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(meta.file_type())));
    }
    Ok(file)
}

/// A regular file's bytes, at most `limit` of them: the limit holds for the
/// bytes actually read, since files such as those of `/proc` report a
/// length of 0 whatever they hold.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = open_regular(path)?;
    // Sized from the file's length when it has one, so a large file is not
    // read into a buffer that doubles (and copies) its way up.
    let len = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(len as usize + 1);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The codes a role's read problems are reported with.
struct Codes {
    missing: &'static str,
    unreadable: &'static str,
    missing_hint: &'static str,
}

impl FileRole {
    fn codes(self) -> Codes {
        match self {
            FileRole::Include => Codes {
                missing: "playbook::include-not-found",
                unreadable: "playbook::include-unreadable",
                missing_hint: "check the path; include paths are relative to the playbook that names them",
            },
            FileRole::Catalog => Codes {
                missing: "catalog::file-not-found",
                unreadable: "catalog::unreadable",
                missing_hint: "check the path; catalog paths are relative to the playbook that names them",
            },
            FileRole::Playbook => Codes {
                missing: "playbook::file-not-found",
                unreadable: "playbook::unreadable",
                missing_hint: "check the path; include paths are relative to the playbook that names them",
            },
        }
    }
}

/// Reads a file's text, checking that it exists, is a regular file, is not
/// too large and is UTF-8 text. `at` is where the reference to it was
/// written, if anywhere. Nothing of a file that fails these checks is kept,
/// so nothing of it can be quoted.
pub fn read_text(
    path: &Path,
    at: Option<Location>,
    role: FileRole,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let place = |d: Diagnostic| {
        let d = d.at(at);
        if at.is_none() { d.in_file(path) } else { d }
    };
    let kind = role.word();
    let codes = role.codes();
    let bytes = match read_bounded(path, MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            let message = format!("{kind} file `{}` does not exist", path.display());
            diags.push(place(Diagnostic::error(codes.missing, message)).hint(codes.missing_hint));
            return None;
        }
        Err(ReadError::NotAFile("a folder")) => {
            let message = format!("{kind} `{}` is a folder, not a file", path.display());
            diags.push(place(Diagnostic::error(codes.unreadable, message)));
            return None;
        }
        Err(ReadError::TooLarge(_)) => {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            let message = if size > MAX_FILE_BYTES {
                format!(
                    "{kind} file `{}` is {size} bytes; the limit is {MAX_FILE_BYTES}",
                    path.display()
                )
            } else {
                format!(
                    "{kind} file `{}` holds more than {MAX_FILE_BYTES} bytes, the limit",
                    path.display()
                )
            };
            diags.push(
                place(Diagnostic::error("playbook::file-too-large", message))
                    .hint("split the rooms into several inventory files"),
            );
            return None;
        }
        Err(e) => {
            let message = format!("cannot read {kind} file `{}`: {e}", path.display());
            diags.push(place(Diagnostic::error(codes.unreadable, message)));
            return None;
        }
    };
    text_of(bytes, path, kind)
        .map_err(|d| diags.push(place(*d)))
        .ok()
}

/// The bytes as text: UTF-8, no NUL byte (binary data and files such as
/// `/proc/self/environ` are not playbooks), a byte-order mark dropped.
fn text_of(bytes: Vec<u8>, path: &Path, kind: &str) -> Result<String, Box<Diagnostic>> {
    let not_text = |detail: String| {
        Box::new(
            Diagnostic::error(
                "playbook::not-utf8",
                format!(
                    "{kind} file `{}` is not UTF-8 text ({detail})",
                    path.display()
                ),
            )
            .hint("save the file as UTF-8"),
        )
    };
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(not_text(format!("a NUL byte at offset {i}")));
    }
    match String::from_utf8(bytes) {
        // A byte-order mark (Windows editors write one) is not content.
        Ok(s) => Ok(match s.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => s,
        }),
        Err(e) => Err(not_text(format!(
            "invalid byte at offset {}",
            e.utf8_error().valid_up_to()
        ))),
    }
}

/// What a folder listing does with symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPolicy {
    /// List links even when broken, so a dangling link is reported when it
    /// is read (playbook folders: a missing playbook is an error).
    Report,
    /// List only what resolves to a file (catalog folders).
    Skip,
}

/// The `.yaml` and `.yml` files directly inside `dir`, sorted by name: files
/// and, by `links`, symbolic links; never folders, pipes or devices, nor
/// lock files ([`is_lock_file`]).
pub fn yaml_files_in(dir: &Path, links: LinkPolicy) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            let link = links == LinkPolicy::Report
                && f.symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
            (f.is_file() || link)
                && matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                && !is_lock_file(f)
        })
        .collect();
    found.sort();
    Ok(found)
}

/// How the lock file of a playbook ends: `announce.yaml` is locked by
/// `announce.lock.yaml` beside it.
pub const LOCK_SUFFIX: &str = ".lock.yaml";

/// Whether `path` is a playbook's lock file (never a playbook, an
/// inventory or a catalog, so folders of those skip it).
pub fn is_lock_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(LOCK_SUFFIX) || n.ends_with(".lock.yml"))
}

/// The lock file of the playbook at `playbook`: its stem and
/// [`LOCK_SUFFIX`], in its folder.
pub fn lock_path(playbook: &Path) -> PathBuf {
    let stem = playbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "playbook".into());
    playbook.with_file_name(format!("{stem}{LOCK_SUFFIX}"))
}

/// Removes `.` and `a/..` components so paths in messages read naturally.
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    // `.` itself (or `a/..`) is the current folder, not an empty path.
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// What a playbook's references (includes, catalogs, the files of a folder
/// of playbooks) may reach. A playbook may come from a pull request: left
/// free, `include: [/proc/self/environ]` or `../../.aws/credentials` would
/// have the tool read, and quote, any file on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Anything: paths typed on the command line.
    Anywhere,
    /// Only files inside this folder (absolute, links resolved), reached
    /// through links or not.
    Within(PathBuf),
}

impl Reach {
    /// The project root of the playbook or folder at `path`: the nearest
    /// folder at or above it that holds `.git`, else its own folder.
    pub fn project_of(path: &Path) -> Reach {
        let start = if path.is_dir() {
            path.to_path_buf()
        } else {
            match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let Ok(start) = start.canonicalize() else {
            return Reach::Within(start);
        };
        let root = start
            .ancestors()
            .find(|d| d.join(".git").exists())
            .unwrap_or(&start)
            .to_path_buf();
        Reach::Within(root)
    }

    /// Files inside `dir` (`--root`).
    pub fn within(dir: &Path) -> std::io::Result<Reach> {
        Ok(Reach::Within(dir.canonicalize()?))
    }

    /// `Err(resolved)` when `path`, its links resolved, lies outside. A
    /// path that does not resolve is let through: reading it reports why.
    pub fn allows(&self, path: &Path) -> Result<(), PathBuf> {
        let Reach::Within(root) = self else {
            return Ok(());
        };
        match path.canonicalize() {
            Ok(real) if !real.starts_with(root) => Err(real),
            _ => Ok(()),
        }
    }

    /// The diagnostic for `path` (which resolves to `real`) being outside.
    pub fn outside(&self, path: &Path, real: &Path, at: Option<Location>) -> Diagnostic {
        let via = if real == path {
            String::new()
        } else {
            format!(" (it leads to `{}`)", real.display())
        };
        let d = Diagnostic::error(
            "playbook::outside-root",
            format!(
                "`{}`{via} is outside the playbook's project, so it is not read",
                path.display()
            ),
        )
        .at(at)
        .hint("a playbook reaches only files of its own project (the folder holding `.git`); `--root DIR` widens that");
        if at.is_none() { d.in_file(path) } else { d }
    }
}

/// How far a glob's walk may go: folders visited and files matched.
const GLOB_WALK_LIMIT: usize = 100_000;

/// The regular files below `base` whose path matches `pattern` (a glob of
/// the `glob` crate's syntax, `**` for any folders), sorted. The walk never
/// follows a link to a folder (so a link loop cannot make it run forever or
/// report a file twice), stays inside `reach`, and stops after
/// [`GLOB_WALK_LIMIT`] entries with an error.
pub fn glob_files(
    pattern: &glob::Pattern,
    options: glob::MatchOptions,
    base: &Path,
    reach: &Reach,
) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![base.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > GLOB_WALK_LIMIT {
                return Err(format!(
                    "it reaches more than {GLOB_WALK_LIMIT} files and folders; narrow it"
                ));
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if reach.allows(&path).is_ok() {
                    stack.push(path);
                }
            } else if pattern.matches_path_with(&path, options)
                && path.is_file()
                && reach.allows(&path).is_ok()
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The folder a glob's walk starts from: its longest leading part without
/// glob characters.
pub fn glob_base(pattern: &str) -> PathBuf {
    let mut base = PathBuf::new();
    for c in Path::new(pattern).components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        base.push(c);
    }
    if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    }
}
