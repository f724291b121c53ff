//! The five logging-configuration operations: their request shapes, the
//! model's constraints on them, and what they do to the
//! [`LoggingStore`](super::logging::LoggingStore).
//!
//! `destinationConfiguration` is a union: exactly one of `s3`
//! (`bucketName` 3..63, `[a-z0-9-.]+`), `cloudWatchLogs` (`logGroupName`
//! 1..512, `[\.\-_/#A-Za-z0-9]+`) or `firehose` (`deliveryStreamName` 1..64,
//! `[a-zA-Z0-9_.-]+`). An account holds at most
//! [`ResourceQuotas::logging_configurations`](super::call::ResourceQuotas)
//! per region (`ServiceQuotaExceededException` past it), and a
//! configuration that a room still names cannot be deleted
//! (`ConflictException`).

use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::call::{Context, Input, Reply};
use super::errors::ApiError;
use super::logging::LoggingConfiguration;
use super::model::{Checker, IdentifierInput, ROOM_NAME_PATTERN, parse_body};
use super::operation::Operation;

static NAME_RE: LazyLock<Regex> = LazyLock::new(|| anchored(ROOM_NAME_PATTERN));
static BUCKET_RE: LazyLock<Regex> = LazyLock::new(|| anchored(BUCKET_PATTERN));
static LOG_GROUP_RE: LazyLock<Regex> = LazyLock::new(|| anchored(LOG_GROUP_PATTERN));
static STREAM_RE: LazyLock<Regex> = LazyLock::new(|| anchored(STREAM_PATTERN));

const BUCKET_PATTERN: &str = "[a-z0-9-.]+";
const LOG_GROUP_PATTERN: &str = r"[\.\-_/#A-Za-z0-9]+";
const STREAM_PATTERN: &str = "[a-zA-Z0-9_.-]+";

fn anchored(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("model pattern compiles")
}

/// `S3DestinationConfiguration`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Destination {
    /// Required.
    pub bucket_name: Option<String>,
}

/// `CloudWatchLogsDestinationConfiguration`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchLogsDestination {
    /// Required.
    pub log_group_name: Option<String>,
}

/// `FirehoseDestinationConfiguration`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirehoseDestination {
    /// Required.
    pub delivery_stream_name: Option<String>,
}

/// `DestinationConfiguration` (a union).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// S3 bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Destination>,
    /// CloudWatch Logs group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logs: Option<CloudWatchLogsDestination>,
    /// Firehose stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firehose: Option<FirehoseDestination>,
}

/// `CreateLoggingConfigurationRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    /// 0..128, `[a-zA-Z0-9-_]*`.
    pub name: Option<String>,
    /// Required.
    pub destination_configuration: Option<Destination>,
    /// Up to 50 tags.
    pub tags: Option<IndexMap<String, String>>,
}

/// `UpdateLoggingConfigurationRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    /// Required.
    pub identifier: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New destination.
    pub destination_configuration: Option<Destination>,
}

/// `ListLoggingConfigurationsRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    /// Token from a previous page.
    pub next_token: Option<String>,
    /// 1..50, default 50.
    pub max_results: Option<i64>,
}

fn check_name(c: &mut Checker, value: &Option<String>) {
    if let Some(v) = value
        && c.length("name", v, 0, Some(128))
    {
        c.pattern("name", v, &NAME_RE, ROOM_NAME_PATTERN);
    }
}

fn check_member(
    c: &mut Checker,
    name: &str,
    value: &Option<String>,
    (min, max): (usize, usize),
    (re, shown): (&Regex, &str),
) {
    if let Some(v) = c.required(name, value)
        && c.length(name, v, min, Some(max))
    {
        c.pattern(name, v, re, shown);
    }
}

/// Checks the union; its JSON as stored when valid.
fn check_destination(c: &mut Checker, d: &Destination) -> Option<Value> {
    const NAME: &str = "destinationConfiguration";
    let set = [
        d.s3.is_some(),
        d.cloud_watch_logs.is_some(),
        d.firehose.is_some(),
    ];
    if set.iter().filter(|s| **s).count() != 1 {
        c.fail(
            NAME,
            "Member must have exactly one of s3, cloudWatchLogs, firehose",
        );
        return None;
    }
    if let Some(s3) = &d.s3 {
        let name = format!("{NAME}.s3.bucketName");
        check_member(
            c,
            &name,
            &s3.bucket_name,
            (3, 63),
            (&BUCKET_RE, BUCKET_PATTERN),
        );
    }
    if let Some(cw) = &d.cloud_watch_logs {
        let name = format!("{NAME}.cloudWatchLogs.logGroupName");
        check_member(
            c,
            &name,
            &cw.log_group_name,
            (1, 512),
            (&LOG_GROUP_RE, LOG_GROUP_PATTERN),
        );
    }
    if let Some(f) = &d.firehose {
        let name = format!("{NAME}.firehose.deliveryStreamName");
        check_member(
            c,
            &name,
            &f.delivery_stream_name,
            (1, 64),
            (&STREAM_RE, STREAM_PATTERN),
        );
    }
    serde_json::to_value(d).ok()
}

/// Checks an `identifier` and returns it with the id after the slash.
fn check_identifier(c: &mut Checker, value: &Option<String>) -> Option<(String, String)> {
    let v = c.required("identifier", value)?;
    c.logging_id("identifier", v);
    Some((
        v.clone(),
        v.rsplit('/').next().unwrap_or_default().to_string(),
    ))
}

/// Runs one of the five operations.
pub fn execute(ctx: &Context<'_>, op: Operation, input: Input<'_>) -> Result<Reply, ApiError> {
    match op {
        Operation::CreateLoggingConfiguration => create(ctx, parse_body(input.body)?),
        Operation::GetLoggingConfiguration => get(ctx, parse_body(input.body)?),
        Operation::ListLoggingConfigurations => list(ctx, parse_body(input.body)?),
        Operation::UpdateLoggingConfiguration => update(ctx, parse_body(input.body)?),
        _ => delete(ctx, parse_body(input.body)?),
    }
}

fn create(ctx: &Context<'_>, input: CreateInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    check_name(&mut c, &input.name);
    let destination = c
        .required("destinationConfiguration", &input.destination_configuration)
        .and_then(|d| check_destination(&mut c, d));
    if let Some(tags) = &input.tags {
        c.tags("tags", tags);
    }
    c.finish()?;
    let destination = destination.ok_or(ApiError::InternalServer)?;
    let caller = ctx.caller;
    let max = ctx.quotas.logging_configurations;
    let config = ctx
        .logging
        .create(&caller.region, &caller.account, max, |id, arn| {
            LoggingConfiguration {
                arn,
                id,
                region: caller.region.clone(),
                account: caller.account.clone(),
                name: input.name.unwrap_or_default(),
                destination,
                create_time: ctx.now,
                update_time: ctx.now,
                tags: input.tags.unwrap_or_default(),
                update_seq: 0,
            }
        })
        .ok_or_else(|| ApiError::ServiceQuotaExceeded {
            resource_id: caller.account.clone(),
            message: format!(
                "The account may hold at most {max} logging configurations in {}",
                caller.region
            ),
            limit: u32::try_from(max).unwrap_or(u32::MAX),
        })?;
    Ok(Reply::ok(config.to_json()))
}

fn found(ctx: &Context<'_>, arn: &str, id: &str) -> Result<LoggingConfiguration, ApiError> {
    ctx.logging
        .get(&ctx.caller.region, arn)
        .ok_or_else(|| ApiError::logging_not_found(arn, id))
}

fn get(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let ident = check_identifier(&mut c, &input.identifier);
    c.finish()?;
    let (arn, id) = ident.ok_or(ApiError::InternalServer)?;
    Ok(Reply::ok(found(ctx, &arn, &id)?.to_json()))
}

fn update(ctx: &Context<'_>, input: UpdateInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let ident = check_identifier(&mut c, &input.identifier);
    check_name(&mut c, &input.name);
    let destination = input
        .destination_configuration
        .as_ref()
        .and_then(|d| check_destination(&mut c, d));
    c.finish()?;
    let (arn, id) = ident.ok_or(ApiError::InternalServer)?;
    let config = ctx
        .logging
        .update(&ctx.caller.region, &arn, ctx.now, |config| {
            if let Some(n) = input.name {
                config.name = n;
            }
            if let Some(d) = destination {
                config.destination = d;
            }
        })
        .ok_or_else(|| ApiError::logging_not_found(&arn, &id))?;
    Ok(Reply::ok(config.to_json()))
}

fn delete(ctx: &Context<'_>, input: IdentifierInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    let ident = check_identifier(&mut c, &input.identifier);
    c.finish()?;
    let (arn, id) = ident.ok_or(ApiError::InternalServer)?;
    found(ctx, &arn, &id)?;
    let region = &ctx.caller.region;
    let users = ctx.rooms.list(region, &ctx.caller.account, |r| {
        r.logging_configuration_identifiers.contains(&arn)
    });
    if let Some(room) = users.first() {
        return Err(ApiError::Conflict {
            resource_id: id,
            message: format!(
                "Logging configuration {arn} is used by room {} ({} room(s) in all); remove it from them first",
                room.arn,
                users.len()
            ),
        });
    }
    ctx.logging.remove(region, &arn);
    Ok(Reply::no_content())
}

fn list(ctx: &Context<'_>, input: ListInput) -> Result<Reply, ApiError> {
    let mut c = Checker::new();
    if let Some(t) = &input.next_token {
        c.length("nextToken", t, 0, Some(1024));
    }
    if let Some(m) = input.max_results {
        c.range("maxResults", m, 1, 50);
    }
    c.finish()?;
    let after = match input.next_token.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            t.strip_prefix("v1.")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    ApiError::other_validation("nextToken", "The pagination token is invalid")
                })?,
        ),
    };
    let page = usize::try_from(input.max_results.unwrap_or(50)).unwrap_or(50);
    let all: Vec<LoggingConfiguration> = ctx
        .logging
        .list(&ctx.caller.region, &ctx.caller.account)
        .into_iter()
        .filter(|c| after.is_none_or(|seq| c.update_seq < seq))
        .collect();
    let items: Vec<Value> = all
        .iter()
        .take(page)
        .map(LoggingConfiguration::to_json)
        .collect();
    let mut body = json!({ "loggingConfigurations": items });
    if all.len() > page {
        body["nextToken"] = format!("v1.{:016x}", all[page - 1].update_seq).into();
    }
    Ok(Reply::ok(body))
}
