//! `ssm_parameter`: a parameter in SSM Parameter Store, a plain `String` or a
//! `SecureString` encrypted with the stack's key. The id is the full name;
//! outputs add `arn` and `name`. Updates overwrite in place.
//!
//! A SecureString's value never passes through props, plans or state: it is
//! created holding a random placeholder (SSM requires a value), replaced out
//! of band by `gantry secret set`, and never read back: read reports the
//! type and `KeyId` (DescribeParameters) only. An update of its description
//! or key re-puts the current value, decrypted in memory for that call.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ssm::types::{
    Parameter, ParameterStringFilter, ParameterType, ResourceTypeForTagging, Tag,
};
use futures::future::try_join_all;
use gantry_core::kinds::SsmParameter;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["ParameterNotFound", "InvalidResourceId"];

pub(crate) struct Provider {
    ctx: AwsContext,
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
    /// GetParameters for up to 10 names per call; missing names are left out.
    async fn get(&self, names: &[String]) -> Result<HashMap<String, Parameter>, ProviderError> {
        let pages = try_join_all(chunks(names, 10).map(|c| async move {
            let out = self
                .ctx
                .ssm()
                .get_parameters()
                .set_names(Some(c))
                .send()
                .await
                .map_err(Self::err)?;
            Ok::<_, ProviderError>(out.parameters.unwrap_or_default())
        }))
        .await?;
        Ok(pages
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.name.clone()?, p)))
            .collect())
    }

    /// Descriptions and KMS key ids (only DescribeParameters returns them),
    /// by name.
    async fn descriptions(
        &self,
        names: &[String],
    ) -> Result<HashMap<String, (String, String)>, ProviderError> {
        let pages = try_join_all(chunks(names, 50).map(|c| async move {
            let filter = ParameterStringFilter::builder()
                .key("Name")
                .option("Equals")
                .set_values(Some(c))
                .build()
                .map_err(|e| ProviderError::msg(e.to_string()))?;
            let mut out = Vec::new();
            let mut pages = self
                .ctx
                .ssm()
                .describe_parameters()
                .parameter_filters(filter)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                out.extend(
                    page.map_err(Self::err)?
                        .parameters
                        .unwrap_or_default(),
                );
            }
            Ok::<_, ProviderError>(out)
        }))
        .await?;
        Ok(pages
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some((
                    m.name?,
                    (m.description.unwrap_or_default(), m.key_id.unwrap_or_default()),
                ))
            })
            .collect())
    }

    /// Puts `p` holding `value` (the plain value, or a SecureString's).
    async fn put(
        &self,
        p: &SsmParameter,
        value: &str,
        tags: Option<Vec<Tag>>,
    ) -> Result<(), ProviderError> {
        let overwrite = tags.is_none();
        let kind = if p.secure {
            ParameterType::SecureString
        } else {
            ParameterType::String
        };
        self.ctx
            .ssm()
            .put_parameter()
            .name(&p.name)
            .value(value)
            .description(&p.description)
            .r#type(kind)
            .set_key_id((p.secure && !p.key_id.is_empty()).then(|| p.key_id.clone()))
            .set_overwrite(overwrite.then_some(true))
            .set_tags(tags)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(())
    }

    /// A SecureString's current value, decrypted (kept in memory only).
    async fn secure_value(&self, name: &str) -> Result<String, ProviderError> {
        let out = self
            .ctx
            .ssm()
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out
            .parameter
            .and_then(|p| p.value)
            .unwrap_or_default())
    }

    async fn arn_of(&self, name: &str) -> Result<String, ProviderError> {
        let found = self.get(&[name.to_string()]).await?;
        found
            .get(name)
            .map(|p| p.arn().unwrap_or_default().to_string())
            .ok_or_else(|| ProviderError::not_found(format!("parameter {name} is gone")))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SsmParameter;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ssm:parameter", |a| arn::after(a, "ssm", "parameter/").map(|n| format!("/{n}")));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SsmParameter>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags: Vec<Tag> = req.tag_set(None)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        // Random, so nothing guessable is ever live before `secret set`.
        let value = if p.secure {
            format!("unset-{}", uuid::Uuid::new_v4().simple())
        } else {
            p.value.clone()
        };
        self.put(p, &value, Some(tags)).await?;
        Ok(applied(&p.name, &self.arn_of(&p.name).await?))
    }

    async fn read(&self, items: &[Item<'_, SsmParameter>]) -> Result<Vec<Seen<SsmParameter>>, ProviderError> {
        let names = ids(items);
        let (params, descs) = futures::try_join!(self.get(&names), self.descriptions(&names))?;
        Ok(items
            .iter()
            .filter_map(|r| {
                let p = params.get(r.id)?;
                let mut unread = Vec::new();
                let secure = p.r#type() == Some(&ParameterType::SecureString);
                let (description, key_id) = descs.get(r.id).cloned().unwrap_or_else(|| {
                    unread.push("description");
                    (String::new(), String::new())
                });
                let recorded_key = r.recorded.as_ref().map(|x| x.key_id.as_str());
                let props = SsmParameter {
                    name: r.id.to_string(),
                    description,
                    // Without decryption a SecureString reads as its
                    // ciphertext: never compared, never recorded.
                    value: if secure {
                        String::new()
                    } else {
                        p.value().unwrap_or_default().to_string()
                    },
                    secure,
                    key_id: if secure {
                        kms_like(&key_id, recorded_key)
                    } else {
                        String::new()
                    },
                };
                Some(Seen { id: r.id.to_string(), props, unread: unread.to_vec(), outputs: applied(r.id, p.arn().unwrap_or_default()).outputs })
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, SsmParameter>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let value = if new.secure {
            self.secure_value(req.id).await?
        } else {
            new.value.clone()
        };
        self.put(new, &value, None).await?;
        Ok(applied(req.id, &self.arn_of(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, SsmParameter>) -> Result<(), ProviderError> {
        self
            .ctx
            .ssm()
            .delete_parameter()
            .name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, SsmParameter>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let found = self.get(std::slice::from_ref(&p.name)).await?;
        let Some(param) = found.get(&p.name) else {
            return Ok(None);
        };
        let tags = self
            .ctx
            .ssm()
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(&p.name)
            .send()
            .await
            .map_err(Self::err)?;
        let ours = req.ours(tags.tag_list().iter().map(|t| (t.key(), t.value())));
        Ok(ours.then(|| applied(&p.name, param.arn().unwrap_or_default())))
    }
}
