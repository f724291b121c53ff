//! Listing rooms from the service for the commands that need it (`rooms`,
//! `lock`, `run` with selectors): the connection flags, one client per
//! region, the limiters, and a progress line on a terminal.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use clap::Args;
use indexmap::IndexMap;

use crate::clients::{ClientOptions, Clients};
use crate::discover::{self, FoundRoom, Query, Seen};
use crate::execute::limiter::Limiters;
use crate::service::arn::{IVS_CHAT_REGIONS, is_ivs_chat_region};

/// Where to list rooms, and as whom.
#[derive(Debug, Args, Clone, Default)]
pub struct ServiceArgs {
    /// AWS profile from the shared config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// List from this endpoint instead of AWS (AWS_ENDPOINT_URL_IVSCHAT and
    /// AWS_ENDPOINT_URL are honoured too), such as an emulator.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The regions to list: those given (each once, in order), or every region
/// IVS Chat is offered in. A region it is not offered in is refused.
pub fn regions(given: &[String]) -> Result<Vec<String>, String> {
    if given.is_empty() {
        return Ok(IVS_CHAT_REGIONS.iter().map(|r| r.to_string()).collect());
    }
    let mut out: Vec<String> = Vec::new();
    for r in given {
        if !is_ivs_chat_region(r) {
            return Err(format!(
                "IVS Chat is not offered in `{r}`; its regions are {}",
                IVS_CHAT_REGIONS.join(", ")
            ));
        }
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// Clients for `regions`, their credentials checked. `Err` says why there
/// are none.
pub async fn connect(service: &ServiceArgs, regions: &[String]) -> Result<Clients, String> {
    let options = ClientOptions {
        profile: service.profile.clone(),
        region: None,
        fallback_region: regions.first().cloned(),
        endpoint_url: service.endpoint_url.clone(),
        static_credentials: None,
        connect_timeout: Duration::from_secs(3),
    };
    let clients = Clients::connect(regions, &options).await;
    clients
        .check_credentials()
        .await
        .map_err(|e| format!("no AWS credentials could be loaded, so no room was listed: {e}"))?;
    Ok(clients)
}

/// The account key of the limiters for the default credentials: the
/// profile's name, or `default`.
pub fn limiter_key(service: &ServiceArgs) -> String {
    service
        .profile
        .clone()
        .unwrap_or_else(|| "default".to_string())
}

/// Lists `query` through `clients`, with a progress line on stderr when it
/// is a terminal.
pub async fn list(
    clients: &Clients,
    limiters: &Limiters,
    service: &ServiceArgs,
    query: &Query,
) -> Result<Vec<FoundRoom>, discover::ListError> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(Duration::from_millis(200));
        b.set_message("listing rooms");
        b
    });
    let per_region: Mutex<IndexMap<String, Seen>> = Mutex::new(IndexMap::new());
    let seen = |region: &str, s: Seen| {
        let Some(b) = &bar else { return };
        let mut m = per_region.lock().expect("progress lock");
        m.insert(region.to_string(), s);
        let (pages, listed, kept) = m.values().fold((0, 0, 0), |(p, l, k), s| {
            (p + s.pages, l + s.listed, k + s.kept)
        });
        b.set_message(format!(
            "listing rooms: {pages} pages, {listed} rooms listed, {kept} kept, {} of {} regions started",
            m.len(),
            query.regions.len()
        ));
    };
    let result = discover::discover(clients, limiters, &limiter_key(service), query, &seen).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}
