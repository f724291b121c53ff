//! What an emulator instance is started with: account, credentials, rooms to
//! preload, quota and fault settings, and where the delivery record goes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::faults::FaultConfig;

/// The account rooms are created in unless a credential says otherwise.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The documentation example access key id, accepted by default.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The documentation example secret, accepted by default.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// One access key the emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Access key id (`AKIA…`).
    pub access_key_id: String,
    /// Secret; never logged.
    pub secret_access_key: String,
    /// If set, requests must carry this `x-amz-security-token`.
    pub session_token: Option<String>,
    /// Account this key belongs to; `None` means [`EmulatorConfig::account`].
    pub account: Option<String>,
    /// The operations (model names) this key may call; `None`: all. Any
    /// other is answered `AccessDeniedException`, as IAM would.
    pub allowed_operations: Option<Vec<String>>,
}

impl Credential {
    /// A key pair in the default account.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            account: None,
            allowed_operations: None,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A room to create at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RoomSeed {
    /// Just the ARN.
    Arn(String),
    /// The ARN with optional properties.
    Room(RoomSeedSpec),
}

/// A preloaded room with properties.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoomSeedSpec {
    /// `arn:aws:ivschat:REGION:ACCOUNT:room/ID`.
    pub arn: String,
    /// Room name.
    #[serde(default)]
    pub name: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    /// Room setting, as in `CreateRoom`.
    #[serde(default)]
    pub maximum_message_rate_per_second: Option<i64>,
    /// Room setting, as in `CreateRoom`.
    #[serde(default)]
    pub maximum_message_length: Option<i64>,
    /// When the room was created and last updated (RFC 3339); default: at
    /// start. `ListRooms` lists newest first by it.
    #[serde(default)]
    pub update_time: Option<chrono::DateTime<chrono::Utc>>,
}

impl RoomSeed {
    /// The ARN of the room.
    pub fn arn(&self) -> &str {
        match self {
            Self::Arn(a) => a,
            Self::Room(r) => &r.arn,
        }
    }
}

/// Reads a rooms file: a YAML or JSON list whose items are ARNs or objects
/// with `arn` and optional `name`, `tags`, `maximumMessageRatePerSecond`,
/// `maximumMessageLength`, `updateTime`.
pub fn load_rooms_file(path: &Path) -> anyhow::Result<Vec<RoomSeed>> {
    let text = read_rooms_text(path)
        .map_err(|e| anyhow::anyhow!("cannot read rooms file {}: {e}", path.display()))?;
    parse_rooms(&text).map_err(|e| anyhow::anyhow!("rooms file {}: {e}", path.display()))
}

/// The largest rooms file read: far above any seed list.
const MAX_ROOMS_FILE_BYTES: u64 = 64 << 20;

/// A rooms file's text: a regular file (a pipe or device is refused without
/// blocking on it), at most [`MAX_ROOMS_FILE_BYTES`] as read.
fn read_rooms_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(invalid("it is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_ROOMS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_ROOMS_FILE_BYTES {
        return Err(invalid(format!(
            "it is larger than {MAX_ROOMS_FILE_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|e| invalid(e.to_string()))
}

/// Parses the text of a rooms file (YAML, of which JSON is a subset).
pub fn parse_rooms(text: &str) -> anyhow::Result<Vec<RoomSeed>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let rooms: Vec<RoomSeed> = serde_yaml::from_str(text)?;
    Ok(rooms)
}

/// Everything an emulator instance is started with.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Account of rooms made by `CreateRoom` for keys without their own.
    pub account: String,
    /// Accepted access keys.
    pub credentials: Vec<Credential>,
    /// Rooms that exist from the start.
    pub rooms: Vec<RoomSeed>,
    /// Create an unknown room on first use when its ARN is in the request's
    /// region (any account and id).
    pub auto_create_rooms: bool,
    /// Enforce the service quotas (per account and region token buckets).
    pub quotas: bool,
    /// Fault injection from the start; changeable at run time.
    pub faults: FaultConfig,
    /// Append every delivered event to this file as a JSON line.
    pub events_log: Option<PathBuf>,
    /// Keep at most this many delivered events in memory (`None`: all).
    pub keep_events: Option<usize>,
    /// Keep at most this many fault decisions in memory.
    pub keep_fault_log: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
    /// How far a request's `x-amz-date` may be from the emulator's clock.
    pub max_clock_skew: Duration,
    /// Frames queued per chat connection; a connection whose queue is full
    /// is dropped as a slow consumer.
    pub chat_queue: usize,
    /// Unused chat tokens kept at most (soonest to expire forgotten first).
    pub max_chat_tokens: usize,
    /// How long one minute of `sessionDurationInMinutes` (and of the
    /// token's lifetime) lasts: 60 s, shorter in tests that watch a session
    /// expire.
    pub chat_minute: Duration,
    /// Rooms an account may hold per region (`ServiceQuotaExceededException`
    /// past it); the service's default quota is 50,000.
    pub max_rooms: usize,
    /// Logging configurations an account may hold per region; the service's
    /// default quota is 10.
    pub max_logging_configurations: usize,
}

/// Default cap on request bodies. The largest valid request (`CreateRoom`
/// with 50 tags of 128+256 characters, all JSON-escaped) is under 128 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            account: DEFAULT_ACCOUNT.into(),
            credentials: vec![Credential::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
            )],
            rooms: Vec::new(),
            auto_create_rooms: false,
            quotas: true,
            faults: FaultConfig::default(),
            events_log: None,
            keep_events: None,
            keep_fault_log: 10_000,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: Duration::from_secs(30),
            max_clock_skew: Duration::from_secs(15 * 60),
            chat_queue: super::chat::hub::DEFAULT_QUEUE,
            max_chat_tokens: super::chat::tokens::DEFAULT_MAX_TOKENS,
            chat_minute: Duration::from_secs(60),
            max_rooms: 50_000,
            max_logging_configurations: 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_file_accepts_arns_and_objects() {
        let rooms = parse_rooms(
            "- arn:aws:ivschat:us-east-1:123456789012:room/abcdefABCDEF\n\
             - arn: arn:aws:ivschat:eu-west-1:123456789012:room/xyz\n  name: lobby\n  tags: {team: a}\n",
        )
        .unwrap();
        assert_eq!(rooms.len(), 2);
        assert_eq!(
            rooms[1].arn(),
            "arn:aws:ivschat:eu-west-1:123456789012:room/xyz"
        );
        let json = parse_rooms(r#"["arn:aws:ivschat:us-east-1:1:room/a"]"#).unwrap();
        assert_eq!(json.len(), 1);
        assert!(parse_rooms("").unwrap().is_empty());
        assert!(parse_rooms("- {arn: x, color: red}").is_err());
        assert!(parse_rooms("{not: a list}").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credential::new("AKID", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
