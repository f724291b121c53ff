//! The logging configurations of every region: where a room's messages
//! would be logged (an S3 bucket, a CloudWatch Logs group or a Firehose
//! stream). The emulator keeps them as resources, which rooms can name;
//! it writes no logs anywhere.
//!
//! Like rooms, a configuration lives in the region of its ARN and is looked
//! up in the region of the request.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde_json::{Value, json};

use super::rooms::{format_time, random_id};

/// One logging configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingConfiguration {
    /// `arn:aws:ivschat:REGION:ACCOUNT:logging-configuration/ID`.
    pub arn: String,
    /// 12 letters and digits.
    pub id: String,
    /// Region part of the ARN.
    pub region: String,
    /// Account part of the ARN.
    pub account: String,
    /// Name (may be empty).
    pub name: String,
    /// The `destinationConfiguration` union, as validated JSON.
    pub destination: Value,
    /// Creation time.
    pub create_time: DateTime<Utc>,
    /// Last update.
    pub update_time: DateTime<Utc>,
    /// Tags.
    pub tags: IndexMap<String, String>,
    /// Order of last update, for listing (newest first) and its tokens.
    pub update_seq: u64,
}

impl LoggingConfiguration {
    /// The JSON of the Create/Get/Update responses and of a list summary
    /// (the state is always `ACTIVE`: nothing is provisioned).
    pub fn to_json(&self) -> Value {
        json!({
            "arn": self.arn,
            "id": self.id,
            "createTime": format_time(self.create_time),
            "updateTime": format_time(self.update_time),
            "name": self.name,
            "destinationConfiguration": self.destination,
            "state": "ACTIVE",
            "tags": self.tags,
        })
    }
}

/// Logging configurations by region, then ARN.
#[derive(Debug, Default)]
pub struct LoggingStore {
    regions: RwLock<HashMap<String, HashMap<String, LoggingConfiguration>>>,
    seq: AtomicU64,
}

impl LoggingStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Creates a configuration of `account` in `region` unless the account
    /// already holds `max` there; `None` when it does.
    pub fn create(
        &self,
        region: &str,
        account: &str,
        max: usize,
        make: impl FnOnce(String, String) -> LoggingConfiguration,
    ) -> Option<LoggingConfiguration> {
        let seq = self.next_seq();
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        let configs = regions.entry(region.to_string()).or_default();
        if configs.values().filter(|c| c.account == account).count() >= max {
            return None;
        }
        let (id, arn) = loop {
            let id = random_id(12);
            let arn = format!("arn:aws:ivschat:{region}:{account}:logging-configuration/{id}");
            if !configs.contains_key(&arn) {
                break (id, arn);
            }
        };
        let mut config = make(id, arn);
        config.update_seq = seq;
        configs.insert(config.arn.clone(), config.clone());
        Some(config)
    }

    /// Whether `arn` exists in `region`.
    pub fn exists(&self, region: &str, arn: &str) -> bool {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        regions.get(region).is_some_and(|r| r.contains_key(arn))
    }

    /// A copy of the configuration.
    pub fn get(&self, region: &str, arn: &str) -> Option<LoggingConfiguration> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        regions.get(region)?.get(arn).cloned()
    }

    /// Changes a configuration and marks it updated at `now`.
    pub fn update(
        &self,
        region: &str,
        arn: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut LoggingConfiguration),
    ) -> Option<LoggingConfiguration> {
        let seq = self.next_seq();
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        let config = regions.get_mut(region)?.get_mut(arn)?;
        change(config);
        config.update_time = now;
        config.update_seq = seq;
        Some(config.clone())
    }

    /// Removes a configuration.
    pub fn remove(&self, region: &str, arn: &str) -> Option<LoggingConfiguration> {
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        regions.get_mut(region)?.remove(arn)
    }

    /// The configurations of `account` in `region`, last updated first.
    pub fn list(&self, region: &str, account: &str) -> Vec<LoggingConfiguration> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<LoggingConfiguration> = regions
            .get(region)
            .map(|r| {
                r.values()
                    .filter(|c| c.account == account)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by_key(|c| std::cmp::Reverse(c.update_seq));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(now: DateTime<Utc>) -> impl FnOnce(String, String) -> LoggingConfiguration {
        move |id, arn| LoggingConfiguration {
            arn,
            id,
            region: "us-west-2".into(),
            account: "1".into(),
            name: String::new(),
            destination: json!({"s3": {"bucketName": "b"}}),
            create_time: now,
            update_time: now,
            tags: IndexMap::new(),
            update_seq: 0,
        }
    }

    #[test]
    fn created_up_to_the_quota_and_listed_newest_first() {
        let store = LoggingStore::new();
        let now = Utc::now();
        let a = store.create("us-west-2", "1", 2, make(now)).unwrap();
        let b = store.create("us-west-2", "1", 2, make(now)).unwrap();
        assert!(store.create("us-west-2", "1", 2, make(now)).is_none());
        assert!(
            a.arn
                .starts_with("arn:aws:ivschat:us-west-2:1:logging-configuration/")
        );
        let ids = |v: Vec<LoggingConfiguration>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.list("us-west-2", "1")),
            [b.id.clone(), a.id.clone()]
        );
        store.update("us-west-2", &a.arn, now, |c| c.name = "n".into());
        assert_eq!(
            ids(store.list("us-west-2", "1")),
            [a.id.clone(), b.id.clone()]
        );
        assert!(!store.exists("eu-west-1", &a.arn));
        assert!(store.remove("us-west-2", &a.arn).is_some());
        assert_eq!(
            store.get("us-west-2", &b.arn).unwrap().to_json()["state"],
            "ACTIVE"
        );
    }
}
