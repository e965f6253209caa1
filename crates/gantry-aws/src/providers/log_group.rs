//! `log_group`: a CloudWatch Logs group with retention, encrypted with a KMS
//! key when `kms_key_id` is set (given at create; later changes go through
//! `AssociateKmsKey` / `DisassociateKmsKey`, which the emulator does not
//! implement). Its id is the name; the `arn` output has no trailing `:*`
//! (the form IAM policies and ListTagsForResource want).

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::LogGroup as AwsLogGroup;
use gantry_core::kinds::LogGroup;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn arn_of(g: &AwsLogGroup) -> String {
    let arn = g.arn().unwrap_or_default();
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

fn applied(g: &AwsLogGroup) -> Applied {
    let name = g.log_group_name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("arn", arn_of(g)),
            ("name", name.clone()),
        ]),
        id: name,
    }
}

/// The longest common prefix of `names`, cut back to a `/`: one
/// `DescribeLogGroups` by that prefix lists every group of a stack
/// (`/gantry/STACK/ENV/...`).
fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut n = first.len();
    for x in &names[1..] {
        n = n.min(
            first
                .bytes()
                .zip(x.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    if names.len() == 1 {
        return first.clone();
    }
    let p = &first[..n];
    p[..p.rfind('/').map(|i| i + 1).unwrap_or(0)].to_string()
}

impl Provider {
    /// Every group whose name starts with `prefix` (paginated, 50 a page).
    async fn describe_prefix(&self, prefix: &str) -> Result<Vec<AwsLogGroup>, ProviderError> {
        let mut q = self.ctx.logs().describe_log_groups();
        if !prefix.is_empty() {
            q = q.log_group_name_prefix(prefix);
        }
        q.into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(Self::err)
    }

    /// DescribeLogGroups matches by prefix; keep the exact name only. (Its
    /// batch form, `logGroupIdentifiers`, is not supported by the emulator.)
    async fn describe(&self, name: &str) -> Result<Option<AwsLogGroup>, ProviderError> {
        let out = self
            .ctx
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .log_groups
            .unwrap_or_default()
            .into_iter()
            .find(|g| g.log_group_name() == Some(name)))
    }

    async fn set_retention(&self, name: &str, days: i32) -> Result<(), ProviderError> {
        if days > 0 {
            self.ctx
                .logs()
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .map_err(Self::err)?;
        } else {
            self.ctx
                .logs()
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = LogGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "logs:log-group", |a| arn::after(a, "logs", "log-group:").map(|n| n.trim_end_matches(":*").to_string()));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, LogGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        self.ctx
            .logs()
            .create_log_group()
            .log_group_name(&p.name)
            .set_kms_key_id(p.kms_key_id.clone())
            .set_tags(Some(tags.into_iter().collect()))
            .send()
            .await
            .map_err(Self::err)?;
        if p.retention_in_days > 0 {
            self.set_retention(&p.name, p.retention_in_days).await?;
        }
        let g = self.describe(&p.name).await?.ok_or_else(|| {
            ProviderError::not_found(format!("log group {} vanished after create", p.name))
        })?;
        Ok(applied(&g))
    }

    async fn read(&self, items: &[Item<'_, LogGroup>]) -> Result<Vec<Seen<LogGroup>>, ProviderError> {
        let names = ids(items);
        let mut out = Vec::new();
        for g in self.describe_prefix(&common_prefix(&names)).await? {
            let Some(name) = g.log_group_name().filter(|n| names.iter().any(|x| x == n)) else {
                continue;
            };
            let rec = recorded_of(items, name);
            let props = LogGroup {
                name: name.to_string(),
                retention_in_days: g.retention_in_days().unwrap_or(0),
                kms_key_id: g
                    .kms_key_id()
                    .map(|k| kms_like(k, rec.and_then(|x| x.kms_key_id.as_deref()))),
            };
            out.push(Seen::new(name, props, applied(&g).outputs));
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, LogGroup>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.retention_in_days != new.retention_in_days {
            self.set_retention(req.id, new.retention_in_days).await?;
        }
        if old.kms_key_id != new.kms_key_id {
            // Events already written stay readable: Logs keeps the keys it
            // used, as long as they are enabled.
            let logs = self.ctx.logs();
            match &new.kms_key_id {
                Some(k) => logs
                    .associate_kms_key()
                    .log_group_name(req.id)
                    .kms_key_id(k)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)?,
                None => logs
                    .disassociate_kms_key()
                    .log_group_name(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)?,
            }
        }
        let g = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("log group {} is gone", req.id)))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: Delete<'_, LogGroup>) -> Result<(), ProviderError> {
        self
            .ctx
            .logs()
            .delete_log_group()
            .log_group_name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, LogGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(g) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let out = self
            .ctx
            .logs()
            .list_tags_for_resource()
            .resource_arn(arn_of(&g))
            .send()
            .await
            .map_err(Self::err)?;
        let tags = out.tags.unwrap_or_default();
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&g)))
    }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn one_prefix_covers_a_stack() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&names(&["/gantry/s/dev/web", "/gantry/s/dev/worker"])),
            "/gantry/s/dev/"
        );
        assert_eq!(
            common_prefix(&names(&["/gantry/s/dev/web", "/gantry/s/dev/api-gateway/access"])),
            "/gantry/s/dev/"
        );
        assert_eq!(common_prefix(&names(&["/gantry/s/dev/web"])), "/gantry/s/dev/web");
        assert_eq!(common_prefix(&names(&["/a/x", "/b/y"])), "/");
        assert_eq!(common_prefix(&names(&["a", "b"])), "");
    }
}
