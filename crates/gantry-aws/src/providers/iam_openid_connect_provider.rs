//! `iam_openid_connect_provider`: IAM's record of an OIDC identity provider
//! (GitHub Actions' token issuer), the federated principal of the CI
//! roles. Its id is its ARN; outputs `id` and `arn`.
//!
//! IAM holds one provider per issuer URL in an account, so a second stack
//! (or environment) wanting GitHub's would collide with the first. Gantry
//! never takes over a provider it did not make: a create that finds one
//! already there adopts it only when its `gantry:*` tags name this address
//! (a create whose reply was lost), and otherwise fails with
//! `EntityAlreadyExists`, naming the provider, its owner when Gantry made
//! it, and `ci.github.oidc_provider: existing`. With `existing` the
//! provider is looked up by URL and used as it is: never tagged, changed
//! or deleted (delete only forgets it), and an update fails if it lacks an
//! audience the roles need rather than adding it.
//!
//! Thumbprints: none is sent unless the spec names some. IAM's API makes
//! the list optional (IAM then fetches the issuer's top intermediate CA
//! thumbprint itself) and, for GitHub, no longer validates with it, using
//! its library of trusted root CAs; what IAM stored is then not diffed.

use crate::context::AwsContext;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use gantry_core::kinds::{self, IamOpenidConnectProvider};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["NoSuchEntity"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// What IAM says of one provider.
struct Found {
    arn: String,
    url: String,
    client_ids: Vec<String>,
    thumbprints: Vec<String>,
    tags: Vec<(String, String)>,
}

fn applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([("id", arn.to_string()), ("arn", arn.to_string())]),
    }
}

/// The issuer as IAM keys it: the URL without its scheme.
fn host_path(url: &str) -> &str {
    url.trim_start_matches("https://").trim_end_matches('/')
}

impl Provider {
    async fn get(&self, arn: &str) -> Result<Found, ProviderError> {
        let out = self
            .ctx
            .iam()
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(Found {
            arn: arn.to_string(),
            url: format!("https://{}", host_path(out.url().unwrap_or_default())),
            client_ids: out.client_id_list().to_vec(),
            thumbprints: out.thumbprint_list().to_vec(),
            tags: out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        })
    }

    async fn arns(&self) -> Result<Vec<String>, ProviderError> {
        let out = self
            .ctx
            .iam()
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn().map(str::to_string))
            .collect())
    }

    /// The account's provider for `url`, if any (ARNs end with the issuer).
    async fn by_url(&self, url: &str) -> Result<Option<Found>, ProviderError> {
        let suffix = format!(":oidc-provider/{}", host_path(url));
        match self.arns().await?.into_iter().find(|a| a.ends_with(&suffix)) {
            Some(arn) => found(self.get(&arn).await),
            None => Ok(None),
        }
    }

    /// The existing provider, checked to accept the audiences the roles need.
    async fn lookup(&self, p: &IamOpenidConnectProvider) -> Result<Found, ProviderError> {
        let f = self.by_url(&p.url).await?.ok_or_else(|| {
            ProviderError::new(
                "OidcProviderMissing",
                format!(
                    "this account has no IAM OIDC provider for {}; with `ci.github.oidc_provider: existing` Gantry uses one but never creates it: set `oidc_provider: create` (the default) to have this stack create it",
                    p.url
                ),
            )
        })?;
        check_audiences(&f, p)?;
        Ok(f)
    }
}

fn check_audiences(f: &Found, p: &IamOpenidConnectProvider) -> Result<(), ProviderError> {
    let missing: Vec<&str> = p
        .client_ids
        .iter()
        .filter(|c| !f.client_ids.contains(c))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ProviderError::new(
        "OidcAudienceMissing",
        format!(
            "the account's OIDC provider {} does not accept the audience {} that GitHub's tokens for AWS carry; Gantry does not change a provider it does not own: add it with `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {} --client-id {}`",
            f.arn,
            missing.join(", "),
            f.arn,
            missing[0]
        ),
    ))
}

fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

#[async_trait]
impl AwsKind for Provider {
    type Props = IamOpenidConnectProvider;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Own;

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, IamOpenidConnectProvider>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        if p.existing {
            return Ok(applied(&self.lookup(p).await?.arn));
        }
        let r = self
            .ctx
            .iam()
            .create_open_id_connect_provider()
            .url(&p.url)
            .set_client_id_list(Some(p.client_ids.clone()))
            .set_thumbprint_list((!p.thumbprints.is_empty()).then(|| p.thumbprints.clone()))
            .set_tags(Some(tag_list(&req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err);
        match r {
            Ok(out) => Ok(applied(out.open_id_connect_provider_arn().unwrap_or_default())),
            Err(e) if e.code.as_deref() == Some("EntityAlreadyExists") => {
                let Some(f) = self.by_url(&p.url).await? else {
                    return Err(e);
                };
                let tags = || f.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if tags_match(tags(), req.tags, req.address) {
                    return Ok(applied(&f.arn));
                }
                let owner = match (
                    f.tags.iter().find(|(k, _)| k == StackTags::STACK),
                    f.tags.iter().find(|(k, _)| k == StackTags::ENV),
                ) {
                    (Some((_, s)), Some((_, e))) => format!("Gantry stack {s}, environment {e}"),
                    _ => "outside Gantry".to_string(),
                };
                Err(ProviderError::new(
                    "EntityAlreadyExists",
                    format!(
                        "this account already has an IAM OIDC provider for {} ({}), made by {owner}, and IAM allows one per issuer; set `ci.github.oidc_provider: existing` (for this environment, in its overlay) to use it as it is: Gantry then never changes or deletes it",
                        p.url, f.arn
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, IamOpenidConnectProvider>]) -> Result<Vec<Seen<IamOpenidConnectProvider>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let f = self.get(&id).await?;
            let existing = rec.as_ref().is_some_and(|r| r.existing);
            let recorded_ids = rec.as_ref().map(|r| r.client_ids.clone()).unwrap_or_default();
            // A provider Gantry does not own may serve other audiences too:
            // only that it has the roles' own matters.
            let client_ids = if existing && recorded_ids.iter().all(|c| f.client_ids.contains(c)) {
                recorded_ids
            } else {
                order_like(f.client_ids.clone(), &recorded_ids)
            };
            let props = IamOpenidConnectProvider {
                url: f.url.clone(),
                client_ids,
                thumbprints: f.thumbprints.clone(),
                existing,
            };
            let mut seen = Seen::new(id.clone(), props, applied(&f.arn).outputs).without("existing");
            if existing || rec.as_ref().is_none_or(|r| r.thumbprints.is_empty()) {
                // What IAM fetched for itself (or keeps for a provider not
                // ours) is not the spec's to diff.
                seen = seen.without("thumbprints");
            }
            Ok(Some(seen))
        })
        .await
    }

    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        let mut out = Vec::new();
        for arn in self.arns().await? {
            let Some(f) = found(self.get(&arn).await)? else {
                continue;
            };
            if let Some(address) = listed_address(f.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), tags) {
                out.push(Listed {
                    kind: kinds::IAM_OPENID_CONNECT_PROVIDER.to_string(),
                    id: arn,
                    address,
                });
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, IamOpenidConnectProvider>) -> Result<Applied, ProviderError> {
        let (old, new) = (&req.old, &req.new);
        let f = self.get(req.id).await?;
        if new.existing {
            check_audiences(&f, new)?;
            return Ok(applied(req.id));
        }
        let iam = self.ctx.iam();
        for c in new.client_ids.iter().filter(|c| !f.client_ids.contains(c)) {
            iam.add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(req.id)
                .client_id(c)
                .send()
                .await
                .map_err(Self::err)?;
        }
        for c in f.client_ids.iter().filter(|c| !new.client_ids.contains(c)) {
            iam.remove_client_id_from_open_id_connect_provider()
                .open_id_connect_provider_arn(req.id)
                .client_id(c)
                .send()
                .await
                .map_err(Self::err)?;
        }
        // An empty list leaves IAM's own thumbprint in place.
        if !new.thumbprints.is_empty() && new.thumbprints != old.thumbprints {
            iam.update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(req.id)
                .set_thumbprint_list(Some(new.thumbprints.clone()))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, IamOpenidConnectProvider>) -> Result<(), ProviderError> {
        if req.recorded.as_ref().is_some_and(|r| r.existing) {
            // Not ours: forgetting it is all a destroy does.
            return Ok(());
        }
        self.ctx
            .iam()
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, IamOpenidConnectProvider>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(f) = self.by_url(&p.url).await? else {
            return Ok(None);
        };
        let ours = p.existing || req.ours(f.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&f.arn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_keys() {
        assert_eq!(
            host_path("https://token.actions.githubusercontent.com"),
            "token.actions.githubusercontent.com"
        );
        assert_eq!(host_path("https://example.com/x/"), "example.com/x");
    }

    #[test]
    fn missing_audience_names_the_fix() {
        let f = Found {
            arn: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com".into(),
            url: "https://token.actions.githubusercontent.com".into(),
            client_ids: vec!["other".into()],
            thumbprints: vec![],
            tags: vec![],
        };
        let p = IamOpenidConnectProvider {
            url: f.url.clone(),
            client_ids: vec!["sts.amazonaws.com".into()],
            thumbprints: vec![],
            existing: true,
        };
        let e = check_audiences(&f, &p).unwrap_err();
        assert_eq!(e.code.as_deref(), Some("OidcAudienceMissing"));
        assert!(e.message.contains("--client-id sts.amazonaws.com"), "{}", e.message);
    }
}
