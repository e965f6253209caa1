//! `ssm_parameter`: a plain `String` parameter in SSM Parameter Store (secret
//! values belong in `secret`). The id is the full name; outputs add `arn` and
//! `name`. Updates overwrite the value in place.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ssm::types::{
    Parameter, ParameterStringFilter, ParameterType, ResourceTypeForTagging, Tag,
};
use futures::future::try_join_all;
use gantry_core::kinds::{self, SsmParameter};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["ParameterNotFound", "InvalidResourceId"];

pub struct SsmParameterProvider {
    pub(crate) ctx: AwsContext,
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

impl SsmParameterProvider {
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
                .map_err(|e| aws_error(e, NOT_FOUND))?;
            Ok::<_, ProviderError>(out.parameters.unwrap_or_default())
        }))
        .await?;
        Ok(pages
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p.name.clone()?, p)))
            .collect())
    }

    /// Descriptions (only DescribeParameters returns them), by name.
    async fn descriptions(
        &self,
        names: &[String],
    ) -> Result<HashMap<String, String>, ProviderError> {
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
                    page.map_err(|e| aws_error(e, NOT_FOUND))?
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
            .filter_map(|m| Some((m.name?, m.description.unwrap_or_default())))
            .collect())
    }

    async fn put(&self, p: &SsmParameter, tags: Option<Vec<Tag>>) -> Result<(), ProviderError> {
        let overwrite = tags.is_none();
        self.ctx
            .ssm()
            .put_parameter()
            .name(&p.name)
            .value(&p.value)
            .description(&p.description)
            .r#type(ParameterType::String)
            .set_overwrite(overwrite.then_some(true))
            .set_tags(tags)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(())
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
impl Provider for SsmParameterProvider {
    fn kind(&self) -> &'static str {
        kinds::SSM_PARAMETER
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: SsmParameter = parse(kinds::SSM_PARAMETER, req.props)?;
        let tags: Vec<Tag> = tag_set(req.tags, req.address, None)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        self.put(&p, Some(tags)).await?;
        Ok(applied(&p.name, &self.arn_of(&p.name).await?))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let names: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let (params, descs) = futures::try_join!(self.get(&names), self.descriptions(&names))?;
        Ok(reqs
            .iter()
            .map(|r| {
                let p = params.get(r.id)?;
                let mut unread = Vec::new();
                let props = SsmParameter {
                    name: r.id.to_string(),
                    description: descs.get(r.id).cloned().unwrap_or_else(|| {
                        unread.push("description");
                        String::new()
                    }),
                    value: p.value().unwrap_or_default().to_string(),
                };
                Some(Observed {
                    props: to_props_without(&props, &unread),
                    outputs: applied(r.id, p.arn().unwrap_or_default()).outputs,
                })
            })
            .collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: SsmParameter = parse(kinds::SSM_PARAMETER, req.new)?;
        self.put(&new, None).await?;
        Ok(applied(req.id, &self.arn_of(req.id).await?))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .ssm()
            .delete_parameter()
            .name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: SsmParameter = parse(kinds::SSM_PARAMETER, req.props)?;
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
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let ours = tags_match(
            tags.tag_list().iter().map(|t| (t.key(), t.value())),
            req.tags,
            req.address,
        );
        Ok(ours.then(|| applied(&p.name, param.arn().unwrap_or_default())))
    }
}
