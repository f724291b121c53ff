//! `send-event`: the AWS CLI's `aws ivschat send-event`, with the same
//! options, input files, output and exit codes, so a script can switch by
//! changing the program name; and on top, the playbook checks before
//! anything is sent and retries with backoff when throttled.
//!
//! The stages: gather the input ([`input`]: options, `file://` values,
//! shorthand or JSON attributes, `--cli-input-json|yaml`), check it with the
//! playbook rules ([`crate::service::request::check`]), send it through the same
//! client as `run` ([`crate::execute::SdkChatApi`], the region taken from the
//! ARN) under the same retry policy, and print the answer ([`output`]).
//!
//! Exit codes are AWS CLI v2's: 0 sent, 252 invalid command line or input,
//! 253 no credentials, 254 the service answered with an error, 255 anything
//! else (no connection, no answer). AWS CLI v1 uses 255 for all failures
//! except command-line parsing errors (2).

pub mod args;
pub mod input;
pub mod output;
pub mod shorthand;

use std::time::Duration;

use serde_json::json;

use crate::app::exit::{AwsCliExit, CmdResult, Exit};
use crate::app::io::Io;
use crate::diag::{DiagFormat, Sources};
use crate::execute::retry::RetryPolicy;
use crate::execute::{AttemptError, ChatApi, ClientOptions, SdkChatApi, SendRequest};
use crate::service::arn::RoomArn;
pub use args::{SendEventArgs, Skeleton};
use input::{Gathered, InputError};
use output::{Format, Query};

const USAGE: Exit = Exit::AwsCli(AwsCliExit::Usage);
const CONFIG: Exit = Exit::AwsCli(AwsCliExit::Config);
const SERVICE: Exit = Exit::AwsCli(AwsCliExit::Service);
const OTHER: Exit = Exit::AwsCli(AwsCliExit::Other);

/// Runs `send-event`. Like the AWS CLI, a failure of our own (not the
/// service's, not the input's) exits 255.
pub async fn exec(a: &SendEventArgs, io: &mut Io<'_>) -> CmdResult {
    match run(a, io).await {
        Ok(exit) => Ok(exit),
        Err(e) => io.end(OTHER, format_args!("\n{e:#}")),
    }
}

async fn run(a: &SendEventArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let format = match Format::resolve(
        a.output.as_deref(),
        std::env::var("AWS_DEFAULT_OUTPUT").ok().as_deref(),
    ) {
        Ok(f) => f,
        Err(e) => return usage(io, &e),
    };
    let query = match a.query.as_deref().map(Query::compile).transpose() {
        Ok(q) => q,
        Err(e) => return param(io, &e),
    };
    if print_input_skeleton(a.generate_cli_skeleton, io)? {
        return Ok(Exit::Ok);
    }
    let (gathered, arn) = match checked_input(a, io)? {
        Ok(checked) => checked,
        Err(exit) => return Ok(exit),
    };

    if a.generate_cli_skeleton == Some(Skeleton::Output) {
        return print_response(&output::output_skeleton(), query.as_ref(), format, io);
    }

    let api = match connect(a, &arn, io).await? {
        Ok(api) => api,
        Err(exit) => return Ok(exit),
    };
    let request = SendRequest {
        account: arn.account.clone(),
        region: arn.region.clone(),
        room_arn: gathered.room_identifier,
        event_name: gathered.event_name,
        attributes: gathered.attributes,
    };
    let policy = RetryPolicy::new(
        // Neither --max-attempts nor AWS_MAX_ATTEMPTS: as many as `run`.
        a.max_attempts.unwrap_or(crate::plan::DEFAULT_MAX_ATTEMPTS),
    );
    match send(&api, request, policy, seconds(a.cli_read_timeout)).await {
        Ok(id) => print_response(&json!({ "id": id }), query.as_ref(), format, io),
        Err((err, attempts)) => print_failure(&err, attempts, io),
    }
}

/// Prints the input skeleton `--generate-cli-skeleton` asks for, if it
/// asks for one; returns whether it did.
fn print_input_skeleton(skeleton: Option<Skeleton>, io: &mut Io<'_>) -> anyhow::Result<bool> {
    match skeleton {
        Some(Skeleton::Input) => {
            output::write_json(&output::input_skeleton(), io.out)?;
            Ok(true)
        }
        Some(Skeleton::YamlInput) => {
            io.out.write_all(output::YAML_INPUT_SKELETON.as_bytes())?;
            Ok(true)
        }
        Some(Skeleton::Output) | None => Ok(false),
    }
}

/// Gathers the input and checks it with the playbook rules, printing what
/// the checks find. `Err` is the exit when there is nothing to send.
fn checked_input(
    a: &SendEventArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<Result<(Gathered, RoomArn), Exit>> {
    let cwd = std::env::current_dir()?;
    let gathered = match input::gather(a, &cwd) {
        Ok(g) => g,
        Err(InputError::Usage(m)) => return usage(io, &m).map(Err),
        Err(InputError::Param(m)) => return param(io, &m).map(Err),
        Err(InputError::Yaml(sources, diags)) => {
            io.err.write_all(
                sources
                    .render(&diags, DiagFormat::Human, io.color)
                    .as_bytes(),
            )?;
            return Ok(Err(USAGE));
        }
    };
    let (arn, diags) = crate::service::request::check(
        &gathered.room_identifier,
        &gathered.event_name,
        &gathered.attributes,
    );
    io.err.write_all(
        Sources::default()
            .render(&diags, DiagFormat::Human, io.color)
            .as_bytes(),
    )?;
    let Some(arn) = arn else {
        writeln!(io.err, "nothing sent")?;
        return Ok(Err(USAGE));
    };
    Ok(Ok((gathered, arn)))
}

/// The client for the room's region, once credentials are found. `Err` is
/// the exit when they are not.
async fn connect(
    a: &SendEventArgs,
    arn: &RoomArn,
    io: &mut Io<'_>,
) -> anyhow::Result<Result<SdkChatApi, Exit>> {
    let options = ClientOptions {
        profile: a.profile.clone(),
        region: a.region.clone(),
        // With no region configured, the room's: it is the one used anyway.
        fallback_region: Some(arn.region.clone()),
        endpoint_url: a.endpoint_url.clone(),
        static_credentials: None,
        accounts: Default::default(),
        connect_timeout: seconds(a.cli_connect_timeout),
    };
    if let Some(r) = &a.region
        && *r != arn.region
    {
        tracing::info!(
            "sending through {}, the room's region (--region {r} configures the SDK only)",
            arn.region
        );
    }
    let api = SdkChatApi::new(std::slice::from_ref(&arn.region), &options).await;
    if let Err(e) = api.check_credentials().await {
        write!(
            io.err,
            "\nUnable to locate credentials. You can configure credentials by running \"aws configure\". ({e})\n"
        )?;
        return Ok(Err(CONFIG));
    }
    Ok(Ok(api))
}

/// Prints the final error as the AWS CLI does; returns its exit code.
fn print_failure(err: &AttemptError, attempts: u32, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let code = exit_code(err);
    if code == SERVICE {
        let retries = err.is_retryable().then(|| attempts - 1);
        io.err
            .write_all(output::service_error(err.code(), err.message(), retries).as_bytes())?;
    } else {
        write!(io.err, "\n{}\n", err.message())?;
    }
    Ok(code)
}

/// One send with retries: throttling, 5xx and connections that could not be
/// made are tried again after a jittered, growing wait, like `run` does.
/// Returns the message id, or the last error and the attempts made.
async fn send(
    api: &dyn ChatApi,
    request: SendRequest,
    policy: RetryPolicy,
    read_timeout: Duration,
) -> Result<String, (AttemptError, u32)> {
    let mut delays = policy.delays();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let err = match tokio::time::timeout(read_timeout, api.send_event(&request)).await {
            Ok(Ok(delivered)) => return Ok(delivered.message_id),
            Ok(Err(e)) => e,
            Err(_) => AttemptError::Unknown {
                message: format!(
                    "Read timeout on endpoint URL: no answer within {} s; the event may have been delivered",
                    read_timeout.as_secs()
                ),
            },
        };
        if !err.is_retryable() {
            return Err((err, attempts));
        }
        match delays.next() {
            Some(delay) => {
                tracing::info!(attempt = attempts, code = err.code(), ?delay, "retrying");
                tokio::time::sleep(delay).await;
            }
            None => return Err((err, attempts)),
        }
    }
}

/// The exit code for a final error: 254 when the service answered.
fn exit_code(err: &AttemptError) -> Exit {
    match err {
        AttemptError::Throttled { .. }
        | AttemptError::Server { .. }
        | AttemptError::Rejected { .. } => SERVICE,
        AttemptError::NotSent { .. }
        | AttemptError::Unknown { .. }
        | AttemptError::Local { .. } => OTHER,
    }
}

fn seconds(s: u64) -> Duration {
    if s == 0 {
        // No limit: a day is as good as none for one request.
        Duration::from_secs(86_400)
    } else {
        Duration::from_secs(s)
    }
}

fn print_response(
    response: &serde_json::Value,
    query: Option<&Query>,
    format: Format,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    match output::print(response, query, format, io.out) {
        Ok(()) => Ok(Exit::Ok),
        Err(e) => {
            write!(io.err, "\n{e}\n")?;
            Ok(OTHER)
        }
    }
}

fn usage(io: &mut Io<'_>, message: &str) -> anyhow::Result<Exit> {
    write!(
        io.err,
        "error: {message}\n\nFor more information, try '--help'.\n"
    )?;
    Ok(USAGE)
}

fn param(io: &mut Io<'_>, message: &str) -> anyhow::Result<Exit> {
    write!(io.err, "\n{message}\n")?;
    Ok(USAGE)
}
