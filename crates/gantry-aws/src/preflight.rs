//! The checks a run makes once before its first AWS call (`gantry up`,
//! `plan`, `destroy`) and `gantry doctor` reports one by one: the endpoint
//! answers, credentials resolve (and from which source of the standard
//! chain), and STS says whose they are. A missing credential or a closed
//! endpoint is then one error with its fix, not one per resource.
//!
//! The cost is one `sts:GetCallerIdentity` (through the stack's STS client,
//! so with its retries, and remembered: providers that need the account id
//! do not ask again), one credential resolution and, with an endpoint
//! override, one TCP connection, each bounded by a timeout.

use crate::AwsContext;
use aws_config::SdkConfig;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use std::time::Duration;

/// How long the endpoint has to accept a TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the credential chain has to answer (the instance metadata
/// service, tried last, takes a few seconds to give up off EC2).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(15);
/// How long GetCallerIdentity may take, retries included.
pub const IDENTITY_TIMEOUT: Duration = Duration::from_secs(60);

/// What the chain tries, in order (aws-config's default chain), for
/// messages when none answers.
pub const CHAIN: &str = "environment variables (AWS_ACCESS_KEY_ID), the profile's keys, SSO, credential_process or role in ~/.aws/config and ~/.aws/credentials, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the container role (ECS, EKS) and the instance role (EC2 metadata)";

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("the endpoint {url} ({source_name}) does not answer: {reason}")]
    Endpoint {
        url: String,
        source_name: String,
        reason: String,
    },
    #[error("the endpoint {url} ({source_name}) is not a URL with a host: {reason}")]
    BadEndpoint {
        url: String,
        source_name: String,
        reason: String,
    },
    #[error("no AWS credentials: {reason}")]
    NoCredentials { reason: String },
    #[error("sts:GetCallerIdentity failed: {reason}")]
    Identity { reason: String },
}

/// An endpoint other than AWS's own, and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    /// `AWS_ENDPOINT_URL`, or `the profile's endpoint_url`.
    pub source_name: String,
}

/// The endpoint override of `config`, if any.
pub fn endpoint_override(config: &SdkConfig) -> Option<Endpoint> {
    let url = config.endpoint_url()?.to_string();
    let from_env = std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.trim() == url);
    Some(Endpoint {
        url,
        source_name: if from_env {
            "AWS_ENDPOINT_URL".to_string()
        } else {
            "the profile's endpoint_url".to_string()
        },
    })
}

/// `host:port` of an `http(s)://host[:port][/...]` URL.
fn host_port(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "no scheme (http:// or https://)".to_string())?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        other => return Err(format!("scheme `{other}` is neither http nor https")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        return Err("no host".to_string());
    }
    // `[::1]:4566`
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("unclosed `[`")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("bad port `{p}`"))?,
            None => default,
        };
        return Ok((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            p.parse().map_err(|_| format!("bad port `{p}`"))?,
        )),
        None => Ok((authority.to_string(), default)),
    }
}

/// Opens (and closes) one TCP connection to the endpoint override, if
/// there is one: `Ok(None)` means AWS's own endpoints are used.
pub async fn check_endpoint(config: &SdkConfig) -> Result<Option<Endpoint>, PreflightError> {
    let Some(ep) = endpoint_override(config) else {
        return Ok(None);
    };
    let (host, port) = host_port(&ep.url).map_err(|reason| PreflightError::BadEndpoint {
        url: ep.url.clone(),
        source_name: ep.source_name.clone(),
        reason,
    })?;
    let failed = |reason: String| PreflightError::Endpoint {
        url: ep.url.clone(),
        source_name: ep.source_name.clone(),
        reason,
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(Some(ep)),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed(format!(
            "no connection within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Where the credentials came from, as a user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSource {
    pub description: String,
    /// The access key id's first characters and the rest masked
    /// (`AKIA…WXYZ`), so two keys can be told apart.
    pub key: String,
}

fn profile_name() -> String {
    std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

/// The source the credential features name, most specific first (a
/// profile that assumes a role through SSO is "SSO").
fn source_of(features: &[AwsCredentialFeature]) -> String {
    use AwsCredentialFeature as F;
    let has = |f: F| features.contains(&f);
    let profile = profile_name();
    if has(F::CredentialsProfileSso) || has(F::CredentialsSso) {
        format!("SSO (profile `{profile}`)")
    } else if has(F::CredentialsEnvVarsStsWebIdToken)
        || has(F::CredentialsProfileStsWebIdToken)
        || has(F::CredentialsStsAssumeRoleWebId)
    {
        "web identity (a role assumed with AWS_WEB_IDENTITY_TOKEN_FILE)".to_string()
    } else if has(F::CredentialsProfileProcess) || has(F::CredentialsProcess) {
        format!("credential_process (profile `{profile}`)")
    } else if has(F::CredentialsProfileSourceProfile) || has(F::CredentialsStsAssumeRole) {
        format!("a role assumed by profile `{profile}`")
    } else if has(F::CredentialsProfileLogin) || has(F::CredentialsLogin) {
        format!("aws login (profile `{profile}`)")
    } else if has(F::CredentialsProfile) {
        format!("profile `{profile}` (~/.aws/credentials)")
    } else if has(F::CredentialsEnvVars) {
        "environment variables (AWS_ACCESS_KEY_ID)".to_string()
    } else if has(F::CredentialsHttp) {
        "the container role (ECS or EKS credentials endpoint)".to_string()
    } else if has(F::CredentialsImds) {
        "the instance role (EC2 instance metadata)".to_string()
    } else {
        "the configured credentials provider".to_string()
    }
}

fn masked(key: &str) -> String {
    if key.len() <= 8 {
        return "…".repeat(key.len().min(1)) + &key[key.len().saturating_sub(2)..];
    }
    format!("{}…{}", &key[..4], &key[key.len() - 4..])
}

/// Resolves credentials through `config`'s chain once, and says from where.
pub async fn check_credentials(config: &SdkConfig) -> Result<CredentialSource, PreflightError> {
    let provider = config
        .credentials_provider()
        .ok_or_else(|| PreflightError::NoCredentials {
            reason: "no credentials provider is configured".to_string(),
        })?;
    let creds =
        match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(PreflightError::NoCredentials {
                    reason: DisplayErrorContext(&e).to_string(),
                })
            }
            Err(_) => {
                return Err(PreflightError::NoCredentials {
                    reason: format!(
                        "the chain did not answer within {}s",
                        CREDENTIALS_TIMEOUT.as_secs()
                    ),
                })
            }
        };
    let features = creds
        .get_property::<Vec<AwsCredentialFeature>>()
        .cloned()
        .unwrap_or_default();
    Ok(CredentialSource {
        description: source_of(&features),
        key: masked(creds.access_key_id()),
    })
}

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// `sts:GetCallerIdentity` through the stack's STS client (its retries and
/// send gate), remembered for [`AwsContext::account_id`].
pub async fn check_identity(ctx: &AwsContext) -> Result<Identity, PreflightError> {
    match tokio::time::timeout(IDENTITY_TIMEOUT, ctx.caller_identity()).await {
        Ok(Ok(id)) => Ok(id),
        Ok(Err(e)) => Err(PreflightError::Identity {
            reason: e.to_string(),
        }),
        Err(_) => Err(PreflightError::Identity {
            reason: format!("no answer within {}s", IDENTITY_TIMEOUT.as_secs()),
        }),
    }
}

/// What a run learns from its pre-flight.
#[derive(Debug, Clone)]
pub struct Checked {
    pub endpoint: Option<Endpoint>,
    pub credentials: CredentialSource,
    pub identity: Identity,
}

/// Endpoint, credentials, identity, in that order; the first failure ends it.
pub async fn check(ctx: &AwsContext) -> Result<Checked, PreflightError> {
    let endpoint = check_endpoint(ctx.sdk_config()).await?;
    let credentials = check_credentials(ctx.sdk_config()).await?;
    let identity = check_identity(ctx).await?;
    Ok(Checked {
        endpoint,
        credentials,
        identity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_of_endpoint_urls() {
        assert_eq!(
            host_port("http://127.0.0.1:4566").unwrap(),
            ("127.0.0.1".into(), 4566)
        );
        assert_eq!(
            host_port("https://localhost.localstack.cloud/").unwrap(),
            ("localhost.localstack.cloud".into(), 443)
        );
        assert_eq!(
            host_port("http://[::1]:9000/x").unwrap(),
            ("::1".into(), 9000)
        );
        assert!(host_port("127.0.0.1:4566").is_err());
        assert!(host_port("ftp://x").is_err());
    }

    #[test]
    fn the_most_specific_source_is_named() {
        use AwsCredentialFeature as F;
        assert!(source_of(&[F::CredentialsEnvVars]).starts_with("environment variables"));
        assert!(source_of(&[F::CredentialsProfile, F::CredentialsProfileSso]).starts_with("SSO"));
        assert!(source_of(&[F::CredentialsImds]).starts_with("the instance role"));
        assert!(source_of(&[F::CredentialsHttp]).starts_with("the container role"));
        assert_eq!(masked("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
    }

    #[tokio::test]
    async fn a_closed_endpoint_fails_fast_and_no_override_passes() {
        // A port nothing listens on: bind one, note it, close it.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = SdkConfig::builder()
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .build();
        let err = check_endpoint(&config).await.unwrap_err();
        assert!(matches!(err, PreflightError::Endpoint { .. }), "{err}");
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let config = SdkConfig::builder()
            .endpoint_url(format!("http://{}", open.local_addr().unwrap()))
            .build();
        assert!(check_endpoint(&config).await.unwrap().is_some());
        assert_eq!(
            check_endpoint(&SdkConfig::builder().build()).await.unwrap(),
            None
        );
    }
}
