//! Where `run` sends and how it gets there: the target (flags, or a
//! resumed journal's), the line that says so (and the question, against
//! AWS at a terminal), and the clients for every region of the plan.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::super::listing;
use super::super::target::{self, Asked};
use super::args::RunArgs;
use crate::app::exit::{Exit, Failure};
use crate::app::io::Io;
use crate::chat::EdgeUrls;
use crate::clients::AccountSource;
use crate::emulator::{Credential, EmulatorHandle};
use crate::execute::{ChatApi, ClientOptions, SdkChatApi};
use crate::journal::{RunHeader, Target};
use crate::plan::ScannedPlan;

/// Where this run sends: the flags', or a resumed journal's.
pub(super) fn choose_target(
    a: &RunArgs,
    recorded: Option<&RunHeader>,
    plan: &ScannedPlan,
) -> Result<Target, String> {
    let accounts = plan_accounts(plan);
    let asked = Asked {
        local: a.local,
        endpoint_url: a.endpoint_url.as_deref(),
        profile: a.profile.as_deref(),
        retarget: a.retarget,
    };
    target::resolve(&asked, recorded.and_then(|h| h.target.as_ref()), &accounts)
}

/// Says where the sends go before any goes; against AWS at a terminal,
/// asks first. `Err(exit)`: not confirmed, nothing sent.
pub(super) fn say_where(
    a: &RunArgs,
    target: &Target,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<(), Exit>, Failure> {
    let s = &plan.overview.summary;
    let mut regions: Vec<&str> = s.regions.iter().map(|r| r.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let sources = match target {
        Target::Local => BTreeMap::new(),
        _ => account_sources(a, plan),
    };
    // With credentials per account, the accounts come at the end, each with
    // what signs for it.
    let whom = match target {
        Target::Aws { profile, .. } if !sources.is_empty() => format!(
            "AWS, default credentials {}",
            match profile {
                Some(p) => format!("profile {p}"),
                None => "the default credential chain".to_string(),
            }
        ),
        _ => target.describe(),
    };
    let mut line = format!(
        "target: {whom}; regions {}; {} sends to {} rooms at up to {}/s per account and region",
        regions.join(", "),
        s.sends,
        s.rooms,
        plan.overview.settings.rate
    );
    if !sources.is_empty() {
        line.push_str(&accounts_clause(&plan_accounts(plan), &sources));
    }
    writeln!(io.err, "{line}")?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if target::needs_confirmation(target, interactive, a.yes)
        && !target::confirm("Send these events?")?
    {
        return io
            .end(
                Exit::Invalid,
                "nothing sent: not confirmed (--yes skips the question)",
            )
            .map(Err);
    }
    Ok(Ok(()))
}

/// The accounts of the plan's rooms, each once, sorted.
fn plan_accounts(plan: &ScannedPlan) -> Vec<String> {
    let mut accounts: Vec<String> = plan
        .overview
        .summary
        .regions
        .iter()
        .map(|r| r.account.clone())
        .collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// The credentials of each account: the playbooks' `accounts`, overridden
/// by `--account-profile`.
fn account_sources(a: &RunArgs, plan: &ScannedPlan) -> BTreeMap<String, AccountSource> {
    listing::account_sources(&plan.account_profiles(), &a.account_profiles)
}

/// What signs for each account of the plan, for the banner: `; accounts
/// 111111111111 (profile a), 333333333333 (default credentials)`.
pub(super) fn accounts_clause(
    accounts: &[String],
    sources: &BTreeMap<String, AccountSource>,
) -> String {
    let each: Vec<String> = accounts
        .iter()
        .map(|acct| match sources.get(acct) {
            Some(AccountSource::Profile(p)) => format!("{acct} (profile {p})"),
            Some(AccountSource::Static(_)) => format!("{acct} (fixed keys)"),
            None => format!("{acct} (no credentials mapped: the default chain)"),
        })
        .collect();
    format!("; accounts {}", each.join(", "))
}

/// What a run sends through.
pub(super) struct Connected {
    /// The service, for sending.
    pub(super) api: Arc<dyn ChatApi>,
    /// The same clients, for chat tokens (`--verify`).
    pub(super) clients: Arc<crate::clients::Clients>,
    /// Where chat connections go (`--verify`).
    pub(super) edge: EdgeUrls,
    /// The embedded emulator, with `--local`.
    pub(super) emulator: Option<EmulatorHandle>,
}

/// Clients for every region of the plan: the embedded emulator, or AWS
/// through the standard chain, with credentials checked before anything is
/// journaled or sent. `Err(exit)` is a refusal already written.
pub(super) async fn connect(
    a: &RunArgs,
    target: &Target,
    plan: &ScannedPlan,
    io: &mut Io<'_>,
) -> Result<Result<Connected, Exit>, Failure> {
    let mut regions: Vec<String> = plan
        .overview
        .summary
        .regions
        .iter()
        .map(|r| r.region.clone())
        .collect();
    regions.dedup();
    let mut emulator = None;
    let accounts = plan_accounts(plan);
    let options = if *target == Target::Local {
        let mut config = crate::emulator::EmulatorConfig {
            auto_create_rooms: true,
            ..Default::default()
        };
        let keys = local_keys(&accounts, &config.account);
        config
            .credentials
            .extend(keys.iter().map(|(_, c)| c.clone()));
        let handle = crate::emulator::spawn(config)
            .await
            .context("cannot start the embedded emulator")?;
        writeln!(io.err, "local emulator at {}", handle.endpoint_url())?;
        let options = local_options(&handle, &keys);
        emulator = Some(handle);
        options
    } else {
        let (profile, endpoint_url) = match target {
            Target::Endpoint { url } => (a.profile.clone(), Some(url.clone())),
            Target::Aws { profile, .. } => (profile.clone(), None),
            Target::Local => (None, None),
        };
        ClientOptions {
            profile,
            region: a.region.clone(),
            fallback_region: None,
            endpoint_url,
            static_credentials: None,
            connect_timeout: Duration::from_secs(3),
            accounts: account_sources(a, plan),
        }
    };
    let edge = match &emulator {
        Some(h) => EdgeUrls::Endpoint(h.chat_url()),
        None => match EdgeUrls::for_endpoint(options.endpoint_url.as_deref()) {
            Ok(e) => e,
            Err(e) if a.verify.is_some() => {
                return io.refuse(format_args!("--verify: {e}")).map(Err);
            }
            // Only --verify goes to the chat edge.
            Err(_) => EdgeUrls::Aws,
        },
    };
    let sdk = SdkChatApi::new(&regions, &options).await;
    if let Err(e) = sdk.check_credentials_for(&accounts).await {
        return io
            .refuse(format_args!(
                "no AWS credentials could be loaded, so nothing was sent: {e}\n\
                 Configure credentials (environment, --profile, --account-profile, SSO, instance role), or rehearse with --local."
            ))
            .map(Err);
    }
    Ok(Ok(Connected {
        clients: sdk.clients(),
        api: Arc::new(sdk),
        edge,
        emulator,
    }))
}

/// Keys of the embedded emulator for the plan's accounts other than its
/// default one, so that each account's rooms are reached by a key of that
/// account (the emulator finds no room of another account).
fn local_keys(accounts: &[String], default: &str) -> Vec<(String, Credential)> {
    accounts
        .iter()
        .filter(|acct| acct.as_str() != default)
        .enumerate()
        .map(|(i, acct)| {
            let mut c = Credential::new(
                format!("AKIDLOCALACCOUNT{i:04}"),
                crate::emulator::config::DEFAULT_SECRET_ACCESS_KEY,
            );
            c.account = Some(acct.clone());
            (acct.clone(), c)
        })
        .collect()
}

/// Fixed credentials for a client of the embedded emulator.
fn fixed(c: &Credential) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        None,
        None,
        "ivschat-playbook-local",
    )
}

/// Client options for the embedded emulator: its endpoint, its default key
/// and a key of each other account of the plan.
pub(in crate::app::commands) fn local_options(
    handle: &EmulatorHandle,
    keys: &[(String, Credential)],
) -> ClientOptions {
    let cred = &crate::emulator::EmulatorConfig::default().credentials[0];
    ClientOptions {
        accounts: keys
            .iter()
            .map(|(acct, c)| (acct.clone(), AccountSource::Static(fixed(c))))
            .collect(),
        endpoint_url: Some(handle.endpoint_url()),
        static_credentials: Some(fixed(cred)),
        connect_timeout: Duration::from_secs(3),
        ..Default::default()
    }
}
