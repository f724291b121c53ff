//! Room ARNs and the IVS Chat regions: the one place that knows their grammar.
//!
//! The service model constrains `roomIdentifier` to
//! `arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+`, 1..128 characters.
//! The SDK does not read the region from the ARN, so the region parsed here
//! decides which regional client a send goes through.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// The pattern from the service model, anchored (the model's is unanchored
/// but the service matches the whole identifier).
pub const ROOM_ARN_PATTERN: &str = r"^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+$";

/// Maximum length of a room identifier, from the service model.
pub const ROOM_ARN_MAX_LEN: usize = 128;

/// Regions where Amazon IVS Chat is offered.
pub const IVS_CHAT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "eu-central-1",
    "eu-west-1",
];

static ROOM_ARN_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ROOM_ARN_PATTERN).expect("room ARN pattern compiles"));

/// A parsed room ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomArn {
    /// The full ARN as written.
    pub arn: String,
    /// Region part, e.g. `us-west-2`.
    pub region: String,
    /// Account id part.
    pub account: String,
    /// Resource id after `room/`.
    pub id: String,
}

/// Why a string is not a room ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// Empty string.
    #[error("room ARN is empty")]
    Empty,
    /// Longer than the service allows.
    #[error("room ARN is {0} characters long; the service allows at most {ROOM_ARN_MAX_LEN}")]
    TooLong(usize),
    /// Does not match the grammar.
    #[error("`{0}` is not a room ARN of the form arn:aws:ivschat:REGION:ACCOUNT:room/ID{why}", why = what_is_wrong(.0))]
    Pattern(String),
}

/// Which part of something that is not a room ARN is wrong, as a clause
/// (`: it is an IVS channel ARN …`), or nothing when no part stands out.
fn what_is_wrong(s: &str) -> String {
    let id_ok =
        |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !s.starts_with("arn:") {
        return if id_ok(s) {
            ": it looks like a bare room id; give the whole ARN (`aws ivschat list-rooms` shows it)"
                .into()
        } else {
            String::new()
        };
    }
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return ": it has fewer than six `:`-separated parts".into();
    };
    if *partition != "aws" {
        return format!(": the partition is `{partition}`, not `aws`");
    }
    if *service == "ivs" && resource.starts_with("channel/") {
        return ": it is an IVS channel ARN, not an IVS Chat room (the service is `ivschat`)"
            .into();
    }
    if *service != "ivschat" {
        return format!(": the service is `{service}`, not `ivschat`");
    }
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return format!(": the region `{region}` is not a region name such as us-west-2");
    }
    if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) {
        return format!(": the account `{account}` is not an account number");
    }
    let Some(id) = resource.strip_prefix("room/") else {
        return format!(": the resource is `{resource}`, not `room/ID`");
    };
    if id.is_empty() {
        return ": the room id after `room/` is missing".into();
    }
    if id.ends_with('/') {
        return ": it ends with `/` after the room id".into();
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return format!(": the room id `{id}` has `{c}`; ids are letters, digits and `-`");
    }
    String::new()
}

impl RoomArn {
    /// Parses and checks an ARN against the service's pattern and length.
    pub fn parse(s: &str) -> Result<Self, ArnError> {
        if s.is_empty() {
            return Err(ArnError::Empty);
        }
        let len = s.chars().count();
        if len > ROOM_ARN_MAX_LEN {
            return Err(ArnError::TooLong(len));
        }
        if !ROOM_ARN_RE.is_match(s) {
            return Err(ArnError::Pattern(s.to_string()));
        }
        let mut parts = s.splitn(6, ':');
        let _arn = parts.next();
        let _aws = parts.next();
        let _svc = parts.next();
        let region = parts.next().unwrap_or_default().to_string();
        let account = parts.next().unwrap_or_default().to_string();
        let resource = parts.next().unwrap_or_default();
        let id = resource.trim_start_matches("room/").to_string();
        Ok(RoomArn {
            arn: s.to_string(),
            region,
            account,
            id,
        })
    }

    /// Whether the region is one where IVS Chat is offered.
    pub fn is_known_region(&self) -> bool {
        is_ivs_chat_region(&self.region)
    }
}

/// Whether `region` is one of [`IVS_CHAT_REGIONS`].
pub fn is_ivs_chat_region(region: &str) -> bool {
    IVS_CHAT_REGIONS.contains(&region)
}

impl fmt::Display for RoomArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_errors_name_the_wrong_part() {
        let why = |s: &str| RoomArn::parse(s).unwrap_err().to_string();
        assert!(why("arn:aws:ivs:us-west-2:123456789012:channel/abcd").contains("IVS channel ARN"));
        assert!(why("g1H2I3j4k5L6").contains("bare room id"));
        assert!(why("arn:aws:ivschat:us-west-2:123456789012:room/ab_cd").contains("has `_`"));
        assert!(why("arn:aws:ivschat:us-west-2:123456789012:room/abcd/").contains("ends with `/`"));
        assert!(why("arn:aws:ivschat:us-west-2:12345678901x:room/abcd").contains("account"));
        assert!(why("arn:aws:ivschat:us-west-2:123456789012:channel/abcd").contains("resource"));
    }

    #[test]
    fn parses_parts() {
        let a = RoomArn::parse("arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6").unwrap();
        assert_eq!(a.region, "us-west-2");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.id, "g1H2I3j4k5L6");
        assert!(a.is_known_region());
    }

    #[test]
    fn rejects_bad() {
        assert_eq!(RoomArn::parse(""), Err(ArnError::Empty));
        assert!(matches!(
            RoomArn::parse("arn:aws:ivs:us-west-2:1:room/x"),
            Err(ArnError::Pattern(_))
        ));
        assert!(matches!(
            RoomArn::parse("arn:aws:ivschat:us-west-2:1:room/a_b"),
            Err(ArnError::Pattern(_))
        ));
        let long = format!("arn:aws:ivschat:us-west-2:1:room/{}", "a".repeat(120));
        assert!(matches!(RoomArn::parse(&long), Err(ArnError::TooLong(_))));
        let other = RoomArn::parse("arn:aws:ivschat:xx-moon-1:1:room/a").unwrap();
        assert!(!other.is_known_region());
    }
}
