//! `iam_role`: an IAM role assumable by one AWS service, or by whom a
//! whole trust policy names (GitHub's OIDC provider for the CI roles),
//! with inline policies. Its id is the role name.
//!
//! A trust policy naming an OIDC provider created a moment ago can be
//! refused as an invalid principal until IAM propagates it: CreateRole and
//! UpdateAssumeRolePolicy retry `MalformedPolicyDocument` for two minutes
//! then (as Terraform's provider does), and only then.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_iam::types::{EntityType, Role, RoleDetail, Tag};
use std::sync::Arc;
use futures::future::try_join_all;
use gantry_core::kinds::{self, IamRole};
use crate::shape::*;
use gantry_core::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const NOT_FOUND: &[&str] = &["NoSuchEntity"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn trust_policy(service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// How long a trust policy naming a new principal may be refused.
const PRINCIPAL_WAIT: Duration = Duration::from_secs(120);

/// The trust policy a role's properties ask for.
fn trust_of(p: &IamRole) -> String {
    match &p.trust_policy {
        Some(doc) => doc.to_string(),
        None => trust_policy(&p.assume_role_service),
    }
}

/// The codes to retry while a trust policy's principal propagates.
fn principal_lag(p: &IamRole) -> &'static [&'static str] {
    if p.trust_policy.is_some() {
        &["MalformedPolicyDocument"]
    } else {
        &[]
    }
}

/// The service principal of the (first) trust statement.
fn trusted_service(doc: &Value) -> Option<String> {
    let stmt = match &doc["Statement"] {
        Value::Array(a) => a.first()?.clone(),
        other => other.clone(),
    };
    match &stmt["Principal"]["Service"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

fn applied(name: &str, arn: &str) -> Applied {
    Applied {
        id: name.to_string(),
        outputs: outputs([
            ("id", name.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

impl Provider {
    /// Every role of the account with its inline policies and tags:
    /// GetAccountAuthorizationDetails, a page per 1,000 roles, since IAM
    /// has no batch read by name. Refresh reads the roles and the inventory
    /// lists them at the same moment: one answer serves both for a moment
    /// ([`crate::memo`]), and any change made here drops it.
    async fn roles(&self) -> Result<Arc<Vec<RoleDetail>>, ProviderError> {
        self.ctx
            .memo()
            .get("iam:roles", || async {
                let pages: Vec<_> = self
                    .ctx
                    .iam()
                    .get_account_authorization_details()
                    .filter(EntityType::Role)
                    .max_items(1000)
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .map_err(Self::err)?;
                Ok(pages
                    .into_iter()
                    .flat_map(|page| page.role_detail_list.unwrap_or_default())
                    .collect::<Vec<RoleDetail>>())
            })
            .await
    }

    /// Forgets the shared snapshot (after a change to a role).
    async fn changed(&self) {
        self.ctx.memo().forget("iam:roles");
    }

    async fn get(&self, name: &str) -> Result<Option<Role>, ProviderError> {
        match self.ctx.iam().get_role().role_name(name).send().await {
            Ok(out) => Ok(out.role),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }

    async fn policy_names(&self, name: &str) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut pages = self
            .ctx
            .iam()
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            names.extend(page.map_err(Self::err)?.policy_names);
        }
        Ok(names)
    }

    async fn inline_policies(&self, name: &str) -> Result<BTreeMap<String, Value>, ProviderError> {
        let names = self.policy_names(name).await?;
        let docs = try_join_all(names.iter().map(|p| async move {
            let out = self
                .ctx
                .iam()
                .get_role_policy()
                .role_name(name)
                .policy_name(p)
                .send()
                .await
                .map_err(Self::err)?;
            Ok::<_, ProviderError>((p.clone(), decode_policy(&out.policy_document)))
        }))
        .await?;
        Ok(docs.into_iter().collect())
    }

    async fn put_policy(&self, role: &str, name: &str, doc: &Value) -> Result<(), ProviderError> {
        self.ctx
            .iam()
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(doc.to_string())
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    async fn delete_policy(&self, role: &str, name: &str) -> Result<(), ProviderError> {
        self
            .ctx
            .iam()
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    /// Makes the role's inline policies exactly `want`.
    async fn sync_policies(
        &self,
        role: &str,
        want: &BTreeMap<String, Value>,
    ) -> Result<(), ProviderError> {
        let have = self.inline_policies(role).await?;
        for (name, doc) in want {
            if have.get(name) != Some(doc) {
                self.put_policy(role, name, doc).await?;
            }
        }
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            self.delete_policy(role, name).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = IamRole;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Own;

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, IamRole>) -> Result<Applied, ProviderError> {
        self.changed().await;
        let p = &req.props;
        let tags: Vec<Tag> = req.tag_set(Some(&p.name))
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let trust = trust_of(p);
        let out = retry_codes(principal_lag(p), PRINCIPAL_WAIT, || async {
            self.ctx
                .iam()
                .create_role()
                .role_name(&p.name)
                .description(&p.description)
                .assume_role_policy_document(&trust)
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(Self::err)
        })
        .await?;
        let arn = out.role.map(|r| r.arn).unwrap_or_default();
        for (name, doc) in &p.inline_policies {
            self.put_policy(&p.name, name, doc).await?;
        }
        Ok(applied(&p.name, &arn))
    }

    async fn read(&self, items: &[Item<'_, IamRole>]) -> Result<Vec<Seen<IamRole>>, ProviderError> {
        let roles = self.roles().await?;
        let mut out = Vec::new();
        for item in items {
            let Some(role) = roles.iter().find(|r| r.role_name() == Some(item.id)) else {
                continue;
            };
            let trust = role
                .assume_role_policy_document()
                .map(decode_policy)
                .unwrap_or_default();
            let policies = role
                .role_policy_list()
                .iter()
                .filter_map(|p| Some((p.policy_name()?.to_string(), decode_policy(p.policy_document()?))))
                .collect();
            let name = item.id.to_string();
            let arn = required(role.arn(), "GetAccountAuthorizationDetails", "Arn")?;
            let props = IamRole {
                name: name.clone(),
                // GetAccountAuthorizationDetails, IAM's one batch read,
                // does not return descriptions: the recorded one stands.
                description: String::new(),
                assume_role_service: trusted_service(&trust).unwrap_or_default(),
                inline_policies: policies,
                // A role trusting one service is written as such; any
                // other trust is the whole document.
                trust_policy: trusted_service(&trust).is_none().then(|| trust.clone()),
            };
            let mut seen = Seen::new(name.clone(), props, applied(&name, arn).outputs)
                .without("description");
            if trusted_service(&trust).is_none() {
                seen = seen.without("assume_role_service");
            }
            out.push(seen);
        }
        Ok(out)
    }

    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        Ok(self
            .roles()
            .await?
            .iter()
            .filter_map(|r| {
                let address = listed_address(r.tags().iter().map(|t| (t.key(), t.value())), tags)?;
                Some(Listed {
                    kind: kinds::IAM_ROLE.to_string(),
                    id: r.role_name()?.to_string(),
                    address,
                })
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, IamRole>) -> Result<Applied, ProviderError> {
        self.changed().await;
        let old = &req.old;
        let new = &req.new;
        let iam = self.ctx.iam();
        if old.description != new.description {
            iam.update_role()
                .role_name(req.id)
                .description(&new.description)
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.assume_role_service != new.assume_role_service
            || old.trust_policy != new.trust_policy
        {
            let trust = trust_of(new);
            retry_codes(principal_lag(new), PRINCIPAL_WAIT, || async {
                iam.update_assume_role_policy()
                    .role_name(req.id)
                    .policy_document(&trust)
                    .send()
                    .await
                    .map_err(Self::err)
            })
            .await?;
        }
        self.sync_policies(req.id, &new.inline_policies).await?;
        let role = self
            .get(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("role {} is gone", req.id)))?;
        Ok(applied(req.id, &role.arn))
    }

    async fn delete(&self, req: Delete<'_, IamRole>) -> Result<(), ProviderError> {
        self.changed().await;
        let iam = self.ctx.iam();
        // DeleteRole refuses while policies or instance profiles hang on it.
        let names = match self.policy_names(req.id).await {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        for name in names {
            self.delete_policy(req.id, &name).await?;
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(req.id)
            .send()
            .await
            .map_err(Self::err);
        for p in ignore_missing(attached)?
            .map(|o| o.attached_policies.unwrap_or_default())
            .unwrap_or_default()
        {
            if let Some(arn) = p.policy_arn() {
                let r = iam
                    .detach_role_policy()
                    .role_name(req.id)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err);
                ignore_not_found(r)?;
            }
        }
        let profiles = iam
            .list_instance_profiles_for_role()
            .role_name(req.id)
            .send()
            .await
            .map_err(Self::err);
        for ip in ignore_missing(profiles)?
            .map(|o| o.instance_profiles)
            .unwrap_or_default()
        {
            let r = iam
                .remove_role_from_instance_profile()
                .role_name(req.id)
                .instance_profile_name(ip.instance_profile_name)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err);
            ignore_not_found(r)?;
        }
        iam
            .delete_role()
            .role_name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, IamRole>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(role) = self.get(&p.name).await? else {
            return Ok(None);
        };
        let out = self
            .ctx
            .iam()
            .list_role_tags()
            .role_name(&p.name)
            .send()
            .await
            .map_err(Self::err)?;
        let ours = req.ours(out.tags().iter().map(|t| (t.key(), t.value())));
        Ok(ours.then(|| applied(&role.role_name, &role.arn)))
    }
}

fn ignore_missing<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policy_round_trips() {
        let doc: Value = serde_json::from_str(&trust_policy("ecs-tasks.amazonaws.com")).unwrap();
        assert_eq!(
            trusted_service(&doc).as_deref(),
            Some("ecs-tasks.amazonaws.com")
        );
    }
}
