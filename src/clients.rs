//! The service clients: one `aws-sdk-ivschat` client per account and
//! region, with the SDK's own retries off. The default configuration
//! (profile, endpoint, credentials) signs for every account without
//! credentials of its own; an account mapped to a profile (or, against the
//! embedded emulator, to fixed keys) gets clients of its own. Sending uses
//! them, and so can anything else that talks to the service (listing rooms,
//! creating chat tokens).

use std::collections::{BTreeMap, HashMap};
use std::error::Error as StdError;
use std::time::Duration;

use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::timeout::TimeoutConfig;
use aws_sdk_ivschat::config::{BehaviorVersion, Region};

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// A named profile from the shared AWS config files.
    pub profile: Option<String>,
    /// Region for the SDK's own configuration (rooms always use the region
    /// in their ARN).
    pub region: Option<String>,
    /// Region for the SDK's own configuration when neither `region`, the
    /// environment nor the profile names one, instead of asking the
    /// instance metadata service (slow, and noisy off EC2).
    pub fallback_region: Option<String>,
    /// Endpoint override; otherwise `AWS_ENDPOINT_URL_IVSCHAT`,
    /// `AWS_ENDPOINT_URL` and the config files are honoured by aws-config.
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the default chain (for the embedded
    /// emulator).
    pub static_credentials: Option<aws_credential_types::Credentials>,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Credentials of their own for some accounts (12-digit ids); the rooms
    /// of any other account use the default configuration above.
    pub accounts: BTreeMap<String, AccountSource>,
}

/// Where an account's credentials come from.
#[derive(Debug, Clone)]
pub enum AccountSource {
    /// A profile of the shared config files, through aws-config (static
    /// keys, SSO, a role to assume).
    Profile(String),
    /// Fixed keys (for the embedded emulator).
    Static(aws_credential_types::Credentials),
}

/// The clients of one set of credentials, one per region.
struct Signer {
    clients: HashMap<String, aws_sdk_ivschat::Client>,
    /// The profile they come from, if any.
    profile: Option<String>,
    /// What the clients sign with, from the configuration chain.
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

/// `aws-sdk-ivschat` clients, one per account and region.
pub struct Clients {
    /// The default configuration's clients.
    default: Signer,
    /// The clients of accounts with credentials of their own.
    accounts: BTreeMap<String, Signer>,
    /// Where each region's requests go, for messages.
    endpoints: HashMap<String, String>,
}

impl Clients {
    /// Builds a client for each region from the standard configuration chain
    /// (environment, profiles, SSO, instance metadata), and one for each
    /// region and account of [`ClientOptions::accounts`], SDK retries off.
    pub async fn connect(regions: &[String], options: &ClientOptions) -> Self {
        let default = Signer::connect(
            regions,
            options,
            options.profile.as_deref(),
            options.static_credentials.as_ref(),
            false,
        )
        .await;
        let mut accounts = BTreeMap::new();
        for (account, source) in &options.accounts {
            let signer = match source {
                AccountSource::Profile(p) => {
                    Signer::connect(regions, options, Some(p), None, true).await
                }
                AccountSource::Static(c) => {
                    Signer::connect(regions, options, None, Some(c), false).await
                }
            };
            accounts.insert(account.clone(), signer);
        }
        let endpoints = regions
            .iter()
            .map(|region| {
                let endpoint = match &options.endpoint_url {
                    Some(url) => url.clone(),
                    None => format!("https://ivschat.{region}.amazonaws.com"),
                };
                (region.clone(), endpoint)
            })
            .collect();
        Clients {
            default,
            accounts,
            endpoints,
        }
    }
}

impl Signer {
    /// The clients of one set of credentials: `profile`, or fixed keys, or
    /// (neither) the default chain. With `profile_only`, the credentials
    /// come from the profile alone: the default chain would prefer keys in
    /// the environment, which are the default account's, not this one's.
    async fn connect(
        regions: &[String],
        options: &ClientOptions,
        profile: Option<&str>,
        static_credentials: Option<&aws_credential_types::Credentials>,
        profile_only: bool,
    ) -> Self {
        let base = match static_credentials {
            // Nothing from the machine's AWS configuration is read.
            Some(creds) => aws_config::SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(creds.clone()),
                )
                .build(),
            None => {
                // Retries are ours: given explicitly, the SDK's retry settings
                // are not read from the environment, where AWS CLI values
                // such as AWS_RETRY_MODE=legacy would make aws-config panic.
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(RetryConfig::disabled());
                if let Some(p) = profile {
                    loader = loader.profile_name(p);
                    if profile_only {
                        loader = loader.credentials_provider(
                            aws_config::profile::ProfileFileCredentialsProvider::builder()
                                .profile_name(p)
                                .build(),
                        );
                    }
                }
                if let Some(r) = &options.region {
                    loader = loader.region(Region::new(r.clone()));
                } else if let Some(fallback) = &options.fallback_region {
                    let mut profile_region =
                        aws_config::profile::ProfileFileRegionProvider::builder();
                    if let Some(p) = profile {
                        profile_region = profile_region.profile_name(p);
                    }
                    loader = loader.region(
                        aws_config::meta::region::RegionProviderChain::first_try(
                            aws_config::environment::EnvironmentVariableRegionProvider::new(),
                        )
                        .or_else(profile_region.build())
                        .or_else(Region::new(fallback.clone())),
                    );
                }
                loader.load().await
            }
        };
        let mut clients = HashMap::new();
        for region in regions {
            let mut b = aws_sdk_ivschat::config::Builder::from(&base)
                .region(Region::new(region.clone()))
                .retry_config(RetryConfig::disabled())
                .timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(options.connect_timeout)
                        .build(),
                );
            if let Some(url) = &options.endpoint_url {
                b = b.endpoint_url(url);
            }
            if static_credentials.is_some() {
                b = b.behavior_version(BehaviorVersion::latest());
            }
            clients.insert(
                region.clone(),
                aws_sdk_ivschat::Client::from_conf(b.build()),
            );
        }
        Signer {
            clients,
            profile: profile.map(str::to_string),
            credentials: base.credentials_provider(),
        }
    }
}

impl Clients {
    /// Where requests for `region` go (the endpoint override, or the
    /// service's regional endpoint).
    pub fn endpoint(&self, region: &str) -> Option<&str> {
        self.endpoints.get(region).map(String::as_str)
    }

    /// The default configuration's client for `region`, if one was built.
    pub fn get(&self, region: &str) -> Option<&aws_sdk_ivschat::Client> {
        self.default.clients.get(region)
    }

    /// The client for a room of `account` in `region`: the account's own,
    /// else the default configuration's.
    pub fn get_for(&self, account: &str, region: &str) -> Option<&aws_sdk_ivschat::Client> {
        match self.accounts.get(account) {
            Some(signer) => signer.clients.get(region),
            None => self.get(region),
        }
    }

    /// The accounts with credentials of their own, sorted.
    pub fn own_accounts(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// Whether `account` has credentials of its own (else its rooms use the
    /// default configuration).
    pub fn has_own_credentials(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    /// Resolves the default credentials, so that missing credentials are
    /// told apart before a request is made (the SDK reports them as a
    /// failed dispatch, like a lost connection).
    pub async fn check_credentials(&self) -> Result<(), String> {
        self.default.check().await
    }

    /// Resolves the credentials that sign for each of `accounts`: each
    /// mapped account's own, and the default ones once if any account has
    /// none. `Err` names the account whose credentials failed.
    pub async fn check_credentials_for(&self, accounts: &[String]) -> Result<(), String> {
        let mut default_needed = false;
        for account in accounts {
            match self.accounts.get(account) {
                Some(signer) => signer
                    .check()
                    .await
                    .map_err(|e| format!("for account {account}: {e}"))?,
                None => default_needed = true,
            }
        }
        if default_needed || accounts.is_empty() {
            self.default.check().await?;
        }
        Ok(())
    }
}

impl Signer {
    /// When a profile was asked for that the shared files do not define,
    /// says so (the chain's own error only says no provider had credentials).
    async fn missing_profile(&self) -> Option<String> {
        let name = self.profile.as_deref()?;
        let set = aws_config::profile::parser::load(
            &aws_types::os_shim_internal::Fs::real(),
            &aws_types::os_shim_internal::Env::real(),
            &aws_runtime::env_config::file::EnvConfigFiles::default(),
            None,
        )
        .await
        .ok()?;
        if set.get_profile(name).is_some() {
            return None;
        }
        let mut known: Vec<&str> = set.profiles().collect();
        known.sort_unstable();
        Some(format!(
            "the profile `{name}` is not defined in the shared AWS config or credentials files ({})",
            if known.is_empty() {
                "they define no profile".to_string()
            } else {
                format!("they define {}", known.join(", "))
            }
        ))
    }

    /// Resolves the credentials the clients sign with.
    async fn check(&self) -> Result<(), String> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| "no credentials provider is configured".to_string())?;
        let creds = match provider.provide_credentials().await {
            Ok(c) => c,
            Err(e) => {
                return Err(match self.missing_profile().await {
                    Some(why) => why,
                    None => error_chain(&e),
                });
            }
        };
        // Whatever the chain found (a profile, SSO, an instance role) is
        // kept out of every log line from now on.
        crate::redact::register(creds.secret_access_key());
        if let Some(token) = creds.session_token() {
            crate::redact::register(token);
        }
        Ok(())
    }
}

/// An error and its causes, as one line of their messages: "dispatch
/// failure: io error: Connection refused (os error 111)". The SDK's own
/// `DisplayErrorContext` appends a debug dump of every layer, which is no
/// message for a person or a report. A cause whose message its parent
/// already says is left out.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let m = cause.to_string();
        if !m.is_empty() && !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        next = cause.source();
    }
    out
}
