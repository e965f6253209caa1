//! `apigw_api_mapping`: maps a stage of an API onto a custom domain name
//! (an empty key maps the domain's root). The id is the mapping id (within
//! `domain_name`). Mappings carry no tags, but a key is unique within its
//! domain name, so an interrupted create is adopted by listing the domain's
//! mappings for the key. API, stage and key change in place
//! (UpdateApiMapping).

use super::apigw::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use futures::future::try_join_all;
use gantry_core::kinds::{self, ApigwApiMapping};
use gantry_core::*;

pub struct ApigwApiMappingProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(id: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([("id", id.to_string())]),
    }
}

#[async_trait]
impl Provider for ApigwApiMappingProvider {
    fn kind(&self) -> &'static str {
        kinds::APIGW_API_MAPPING
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwApiMapping = parse(kinds::APIGW_API_MAPPING, req.props)?;
        let out = self
            .ctx
            .apigw()
            .create_api_mapping()
            .domain_name(&p.domain_name)
            .api_id(&p.api_id)
            .stage(&p.stage)
            .api_mapping_key(&p.api_mapping_key)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let id = out
            .api_mapping_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateApiMapping returned no id"))?;
        Ok(applied(id))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let rec: ApigwApiMapping = parse(kinds::APIGW_API_MAPPING, r.props)?;
            let got = self
                .ctx
                .apigw()
                .get_api_mapping()
                .domain_name(&rec.domain_name)
                .api_mapping_id(r.id)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(m) = found(got)? else {
                return Ok(None);
            };
            let props = ApigwApiMapping {
                api_id: m.api_id().unwrap_or_default().to_string(),
                domain_name: rec.domain_name.clone(),
                stage: m.stage().unwrap_or_default().to_string(),
                api_mapping_key: m.api_mapping_key().unwrap_or_default().to_string(),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(r.id).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: ApigwApiMapping = parse(kinds::APIGW_API_MAPPING, req.new)?;
        self.ctx
            .apigw()
            .update_api_mapping()
            .domain_name(&p.domain_name)
            .api_mapping_id(req.id)
            .api_id(&p.api_id)
            .stage(&p.stage)
            .api_mapping_key(&p.api_mapping_key)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let p: ApigwApiMapping = parse(kinds::APIGW_API_MAPPING, req.props)?;
        let r = self
            .ctx
            .apigw()
            .delete_api_mapping()
            .domain_name(&p.domain_name)
            .api_mapping_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: ApigwApiMapping = parse(kinds::APIGW_API_MAPPING, req.props)?;
        let mut token = None;
        loop {
            let got = self
                .ctx
                .apigw()
                .get_api_mappings()
                .domain_name(&p.domain_name)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_error(e, NOT_FOUND));
            let Some(page) = found(got)? else {
                return Ok(None);
            };
            if let Some(m) = page
                .items()
                .iter()
                .find(|m| m.api_mapping_key().unwrap_or_default() == p.api_mapping_key)
            {
                return Ok(m.api_mapping_id().map(applied));
            }
            token = page.next_token;
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}
