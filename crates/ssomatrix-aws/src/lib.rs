//! ssomatrix-aws: the core's ports implemented with the AWS SDK for Rust
//! (`sso-admin`, `identitystore`, `organizations`, and `sts` for who the
//! caller is).
//!
//! The adapter is a thin translation: one SDK call per port method, the
//! largest page each API allows, and every error mapped onto
//! [`ssomatrix_core::ports::PortError`]. Pagination policy, concurrency, rate
//! limiting, retries and polling live in the engine, which is tested against
//! the simulator; so this crate holds no loops and no sleeps.
//!
//! Architecture invariant: this is the only crate that names AWS SDK types.

mod error;
mod identity;
mod org;
mod sso;
mod sts;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use ssomatrix_core::ports::Service;

pub use error::AdapterError;

/// Where the AWS configuration comes from; `None` means the default chain
/// decides (environment, shared config and credentials files, SSO, IMDS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// A profile of `~/.aws/config` (`--profile`); overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// The region of the IAM Identity Center instance (`--region`).
    pub region: Option<String>,
}

/// The service clients behind the port traits
/// ([`SsoAdmin`](ssomatrix_core::ports::SsoAdmin),
/// [`IdentityStore`](ssomatrix_core::ports::IdentityStore),
/// [`Organizations`](ssomatrix_core::ports::Organizations),
/// [`Sts`](ssomatrix_core::ports::Sts)). Cloning is cheap: the SDK clients
/// share their connection pools.
#[derive(Debug, Clone)]
pub struct AwsPorts {
    sso: aws_sdk_ssoadmin::Client,
    ids: aws_sdk_identitystore::Client,
    org: aws_sdk_organizations::Client,
    sts: aws_sdk_sts::Client,
    endpoints: std::sync::Arc<Vec<Endpoint>>,
}

/// Where one service's requests go and why: for a message about an
/// endpoint that cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The service whose requests go there.
    pub service: Service,
    /// The URL, or `None` when the SDK resolves AWS's own from the region.
    pub url: Option<String>,
    /// Where the URL came from: an environment variable, the profile, or
    /// the region.
    pub origin: String,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.url {
            Some(url) => write!(f, "{url} (from {})", self.origin),
            None => f.write_str(&self.origin),
        }
    }
}

/// The endpoint each service's requests go to, as the SDK chooses it: one
/// set in code, else `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`,
/// then the profile's `endpoint_url`, then AWS's default endpoint of the
/// region (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` skips the variables and the
/// profile).
fn endpoints(config: &SdkConfig) -> Vec<Endpoint> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let ignore =
        env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let region = config
        .region()
        .map_or_else(|| "(no region set)".to_owned(), |r| r.to_string());
    [
        (Service::SsoAdmin, "AWS_ENDPOINT_URL_SSO_ADMIN"),
        (Service::IdentityStore, "AWS_ENDPOINT_URL_IDENTITYSTORE"),
        (Service::Organizations, "AWS_ENDPOINT_URL_ORGANIZATIONS"),
        (Service::Sts, "AWS_ENDPOINT_URL_STS"),
    ]
    .into_iter()
    .map(|(service, own)| {
        let configured = if config.get_origin("endpoint_url").is_client_config() {
            // Set in code (the tests): the SDK uses it whatever else says.
            config
                .endpoint_url()
                .map(|url| (url.to_owned(), "the SDK configuration".to_owned()))
        } else if ignore {
            None
        } else if let Some(url) = env(own) {
            Some((url, own.to_owned()))
        } else if let Some(url) = env("AWS_ENDPOINT_URL") {
            Some((url, "AWS_ENDPOINT_URL".to_owned()))
        } else {
            config.endpoint_url().map(|url| {
                (
                    url.to_owned(),
                    "`endpoint_url` of the AWS profile or configuration".to_owned(),
                )
            })
        };
        match configured {
            Some((url, origin)) => Endpoint {
                service,
                url: Some(url),
                origin,
            },
            None => Endpoint {
                service,
                url: None,
                origin: format!("AWS's default endpoint of region {region}"),
            },
        }
    })
    .collect()
}

/// How long one HTTP attempt may take. The engine wraps its own timeouts
/// around whole steps; this one turns a connection that hangs into a
/// `Transient` error the engine can retry instead of a stuck apply.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The SDK's own retries are switched off (one attempt per call). The engine
/// retries with backoff under its TPS budget and needs to see every
/// throttling answer to slow down; SDK retries underneath would multiply the
/// attempts, hide throttling from the engine and spend the shared 20 TPS of
/// sso-admin on calls the engine did not budget.
fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(1)
}

fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

impl AwsPorts {
    /// Loads the configuration through the default chain, like the AWS CLI:
    /// credentials from the environment, the shared files (SSO profiles
    /// included) or IMDS; the region from `opts`, `AWS_REGION` or the profile.
    ///
    /// Endpoints can be overridden with `AWS_ENDPOINT_URL` or the
    /// service-specific `AWS_ENDPOINT_URL_SSO_ADMIN`,
    /// `AWS_ENDPOINT_URL_IDENTITYSTORE`, `AWS_ENDPOINT_URL_ORGANIZATIONS` and
    /// `AWS_ENDPOINT_URL_STS`
    /// (or `endpoint_url` in the profile); aws-config resolves them per
    /// service. Nothing fails here: missing credentials or region surface as
    /// a `PortError` on the first call, naming the operation.
    pub async fn load(opts: &AwsOptions) -> AwsPorts {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &opts.region {
            loader = loader.region(Region::new(region.clone()));
        }
        AwsPorts::from_sdk_config(&loader.load().await)
    }

    /// Builds the clients from a configuration made elsewhere (tests point
    /// one at a local endpoint with static credentials). The retry and
    /// timeout settings of [`AwsPorts::load`] are applied on top.
    pub fn from_sdk_config(config: &SdkConfig) -> AwsPorts {
        let config = config
            .to_builder()
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .build();
        AwsPorts {
            sso: aws_sdk_ssoadmin::Client::new(&config),
            ids: aws_sdk_identitystore::Client::new(&config),
            org: aws_sdk_organizations::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            endpoints: std::sync::Arc::new(endpoints(&config)),
        }
    }

    /// Wraps clients built by hand (the error-mapping tests use mocked ones).
    /// The STS client has no region or credentials: `GetCallerIdentity`
    /// fails with a configuration error unless [`AwsPorts::with_sts`] sets
    /// one.
    pub fn from_clients(
        sso: aws_sdk_ssoadmin::Client,
        ids: aws_sdk_identitystore::Client,
        org: aws_sdk_organizations::Client,
    ) -> AwsPorts {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .build(),
        );
        AwsPorts {
            sso,
            ids,
            org,
            sts,
            endpoints: std::sync::Arc::new(Vec::new()),
        }
    }

    /// These ports with another STS client (a mocked one in tests).
    pub fn with_sts(self, sts: aws_sdk_sts::Client) -> AwsPorts {
        AwsPorts { sts, ..self }
    }

    /// Where the requests of a service (or of an operation's service) go,
    /// and why there.
    pub fn endpoint_of(&self, service: impl Into<Service>) -> Option<&Endpoint> {
        let service = service.into();
        self.endpoints.iter().find(|e| e.service == service)
    }
}
