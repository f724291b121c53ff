//! Which listed rooms a query keeps: every tag `KEY=VALUE` it asks for
//! (AND), and a name that matches its glob.
//!
//! `ListRooms` has no tag filter and filters names only exactly, so the
//! rest is done here, on each `RoomSummary` as pages arrive. A name with no
//! glob characters is exact and is also passed to the service's own `name`
//! filter, which makes fewer pages.

use indexmap::IndexMap;

/// A tag a room must have, `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagPair {
    /// Tag key.
    pub key: String,
    /// Tag value (may be empty).
    pub value: String,
}

impl TagPair {
    /// Reads `KEY=VALUE` (the value may be empty, the key may not).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(TagPair {
                key: k.to_string(),
                value: v.to_string(),
            }),
            _ => Err(format!("`{s}` is not a tag KEY=VALUE")),
        }
    }
}

impl std::fmt::Display for TagPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// What a listing keeps.
#[derive(Debug, Clone, Default)]
pub struct RoomFilter {
    /// Tags every kept room has, with these values.
    pub tags: Vec<TagPair>,
    /// A glob (`*`, `?`, `[...]`) the room name matches in full.
    name: Option<glob::Pattern>,
    /// The name as written.
    name_text: Option<String>,
}

impl RoomFilter {
    /// A filter for `tags` (all must match) and an optional name glob.
    pub fn new(tags: Vec<TagPair>, name: Option<&str>) -> Result<Self, String> {
        let pattern = name
            .map(|n| {
                glob::Pattern::new(n).map_err(|e| format!("the name pattern `{n}` is invalid: {e}"))
            })
            .transpose()?;
        Ok(RoomFilter {
            tags,
            name: pattern,
            name_text: name.map(str::to_string),
        })
    }

    /// The name, when it is exact (no glob characters): the service can
    /// filter by it.
    pub fn exact_name(&self) -> Option<&str> {
        self.name_text
            .as_deref()
            .filter(|n| !n.contains(['*', '?', '[', ']']))
    }

    /// Whether a room with this name and these tags is kept.
    pub fn keeps(&self, name: &str, tags: &IndexMap<String, String>) -> bool {
        self.tags
            .iter()
            .all(|t| tags.get(&t.key).is_some_and(|v| *v == t.value))
            && self.name.as_ref().is_none_or(|p| p.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tags_all_match_and_names_glob() {
        let f = RoomFilter::new(
            vec![
                TagPair::parse("env=prod").unwrap(),
                TagPair::parse("team=chat").unwrap(),
            ],
            Some("lobby-*"),
        )
        .unwrap();
        let both = tags(&[("env", "prod"), ("team", "chat"), ("x", "y")]);
        assert!(f.keeps("lobby-1", &both));
        assert!(!f.keeps("stage-1", &both));
        assert!(!f.keeps("lobby-1", &tags(&[("env", "prod")])));
        assert!(!f.keeps("lobby-1", &tags(&[("env", "dev"), ("team", "chat")])));
        assert_eq!(f.exact_name(), None);
        let exact = RoomFilter::new(Vec::new(), Some("lobby")).unwrap();
        assert_eq!(exact.exact_name(), Some("lobby"));
        assert!(exact.keeps("lobby", &tags(&[])));
        assert!(!exact.keeps("lobby2", &tags(&[])));
        assert!(RoomFilter::new(Vec::new(), Some("[")).is_err());
    }

    #[test]
    fn tag_pairs() {
        assert_eq!(TagPair::parse("a=").unwrap().value, "");
        assert_eq!(TagPair::parse("a=b=c").unwrap().value, "b=c");
        assert!(TagPair::parse("=b").is_err());
        assert!(TagPair::parse("ab").is_err());
        assert_eq!(TagPair::parse("k=v").unwrap().to_string(), "k=v");
    }
}
