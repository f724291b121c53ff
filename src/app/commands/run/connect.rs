//! Where `run` sends and how it gets there: the target (flags, or a
//! resumed journal's), the line that says so (and the question, against
//! AWS at a terminal), and the clients for every region of the plan.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::super::target::{self, Asked};
use super::args::RunArgs;
use crate::app::exit::{Exit, Failure};
use crate::app::io::Io;
use crate::chat::EdgeUrls;
use crate::emulator::EmulatorHandle;
use crate::execute::{ChatApi, ClientOptions, SdkChatApi};
use crate::journal::{RunHeader, Target};
use crate::plan::ScannedPlan;

/// Where this run sends: the flags', or a resumed journal's.
pub(super) fn choose_target(
    a: &RunArgs,
    recorded: Option<&RunHeader>,
    plan: &ScannedPlan,
) -> Result<Target, String> {
    let mut accounts: Vec<String> = plan
        .overview
        .summary
        .regions
        .iter()
        .map(|r| r.account.clone())
        .collect();
    accounts.sort();
    accounts.dedup();
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
    let line = format!(
        "target: {}; regions {}; {} sends to {} rooms at up to {}/s per account and region",
        target.describe(),
        regions.join(", "),
        s.sends,
        s.rooms,
        plan.overview.settings.rate
    );
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
    let options = if *target == Target::Local {
        let handle = crate::emulator::spawn(crate::emulator::EmulatorConfig {
            auto_create_rooms: true,
            ..Default::default()
        })
        .await
        .context("cannot start the embedded emulator")?;
        writeln!(io.err, "local emulator at {}", handle.endpoint_url())?;
        let options = local_options(&handle);
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
    if let Err(e) = sdk.check_credentials().await {
        return io
            .refuse(format_args!(
                "no AWS credentials could be loaded, so nothing was sent: {e}\n\
                 Configure credentials (environment, --profile, SSO, instance role), or rehearse with --local."
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

/// Client options for the embedded emulator: its endpoint and its key.
pub(in crate::app::commands) fn local_options(handle: &EmulatorHandle) -> ClientOptions {
    let cred = &crate::emulator::EmulatorConfig::default().credentials[0];
    ClientOptions {
        endpoint_url: Some(handle.endpoint_url()),
        static_credentials: Some(aws_credential_types::Credentials::new(
            cred.access_key_id.clone(),
            cred.secret_access_key.clone(),
            None,
            None,
            "ivschat-playbook-local",
        )),
        connect_timeout: Duration::from_secs(3),
        ..Default::default()
    }
}
