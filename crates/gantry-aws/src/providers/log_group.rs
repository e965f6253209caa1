//! `log_group`: a CloudWatch Logs group with retention, encrypted with a KMS
//! key when `kms_key_id` is set (given at create; later changes go through
//! `AssociateKmsKey` / `DisassociateKmsKey`, which the emulator does not
//! implement). Its id is the name; the `arn` output has no trailing `:*`
//! (the form IAM policies and ListTagsForResource want).

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::LogGroup as AwsLogGroup;
use futures::future::try_join_all;
use gantry_core::kinds::{self, LogGroup};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

pub struct LogGroupProvider {
    pub(crate) ctx: AwsContext,
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

impl LogGroupProvider {
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
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
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        } else {
            self.ctx
                .logs()
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for LogGroupProvider {
    fn kind(&self) -> &'static str {
        kinds::LOG_GROUP
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: LogGroup = parse(kinds::LOG_GROUP, req.props)?;
        let tags = tag_set(req.tags, req.address, Some(&p.name));
        self.ctx
            .logs()
            .create_log_group()
            .log_group_name(&p.name)
            .set_kms_key_id(p.kms_key_id.clone())
            .set_tags(Some(tags.into_iter().collect()))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        if p.retention_in_days > 0 {
            self.set_retention(&p.name, p.retention_in_days).await?;
        }
        let g = self.describe(&p.name).await?.ok_or_else(|| {
            ProviderError::not_found(format!("log group {} vanished after create", p.name))
        })?;
        Ok(applied(&g))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let found = try_join_all(reqs.iter().map(|r| self.describe(r.id))).await?;
        Ok(found
            .into_iter()
            .zip(reqs)
            .map(|(g, r)| {
                let g = g?;
                let rec: Option<LogGroup> = recorded(r.props);
                let props = LogGroup {
                    name: g.log_group_name().unwrap_or_default().to_string(),
                    retention_in_days: g.retention_in_days().unwrap_or(0),
                    kms_key_id: g
                        .kms_key_id()
                        .map(|k| kms_like(k, rec.as_ref().and_then(|x| x.kms_key_id.as_deref()))),
                };
                Some(Observed {
                    props: to_props(&props),
                    outputs: applied(&g).outputs,
                })
            })
            .collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let old: LogGroup = parse(kinds::LOG_GROUP, req.old)?;
        let new: LogGroup = parse(kinds::LOG_GROUP, req.new)?;
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
                    .map_err(|e| aws_error(e, NOT_FOUND))?,
                None => logs
                    .disassociate_kms_key()
                    .log_group_name(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(e, NOT_FOUND))?,
            }
        }
        let g = self
            .describe(req.id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("log group {} is gone", req.id)))?;
        Ok(applied(&g))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .logs()
            .delete_log_group()
            .log_group_name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: LogGroup = parse(kinds::LOG_GROUP, req.props)?;
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let tags = out.tags.unwrap_or_default();
        let ours = tags_match(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            req.tags,
            req.address,
        );
        Ok(ours.then(|| applied(&g)))
    }
}
