//! The service clients: one `aws-sdk-ivschat` client per region, all from
//! one configuration (profile, endpoint, credentials), with the SDK's own
//! retries off. Sending uses them, and so can anything else that talks to
//! the service (listing rooms, creating chat tokens).

use std::collections::HashMap;
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
}

/// `aws-sdk-ivschat` clients, one per region.
pub struct Clients {
    clients: HashMap<String, aws_sdk_ivschat::Client>,
    /// Where each region's requests go, for messages.
    endpoints: HashMap<String, String>,
    /// The profile asked for, if any.
    profile: Option<String>,
    /// What the clients sign with, from the configuration chain.
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl Clients {
    /// Builds a client for each region from the standard configuration chain
    /// (environment, profiles, SSO, instance metadata), with SDK retries off.
    pub async fn connect(regions: &[String], options: &ClientOptions) -> Self {
        let base = match &options.static_credentials {
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
                if let Some(p) = &options.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(r) = &options.region {
                    loader = loader.region(Region::new(r.clone()));
                } else if let Some(fallback) = &options.fallback_region {
                    let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
                    if let Some(p) = &options.profile {
                        profile = profile.profile_name(p);
                    }
                    loader = loader.region(
                        aws_config::meta::region::RegionProviderChain::first_try(
                            aws_config::environment::EnvironmentVariableRegionProvider::new(),
                        )
                        .or_else(profile.build())
                        .or_else(Region::new(fallback.clone())),
                    );
                }
                loader.load().await
            }
        };
        let mut clients = HashMap::new();
        let mut endpoints = HashMap::new();
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
            if options.static_credentials.is_some() {
                b = b.behavior_version(BehaviorVersion::latest());
            }
            clients.insert(
                region.clone(),
                aws_sdk_ivschat::Client::from_conf(b.build()),
            );
            let endpoint = match &options.endpoint_url {
                Some(url) => url.clone(),
                None => format!("https://ivschat.{region}.amazonaws.com"),
            };
            endpoints.insert(region.clone(), endpoint);
        }
        Clients {
            clients,
            endpoints,
            profile: options.profile.clone(),
            credentials: base.credentials_provider(),
        }
    }

    /// Where requests for `region` go (the endpoint override, or the
    /// service's regional endpoint).
    pub fn endpoint(&self, region: &str) -> Option<&str> {
        self.endpoints.get(region).map(String::as_str)
    }

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

    /// The client for `region`, if one was built.
    pub fn get(&self, region: &str) -> Option<&aws_sdk_ivschat::Client> {
        self.clients.get(region)
    }

    /// Resolves the credentials the clients sign with, so that missing
    /// credentials are told apart before a request is made (the SDK reports
    /// them as a failed dispatch, like a lost connection).
    pub async fn check_credentials(&self) -> Result<(), String> {
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
