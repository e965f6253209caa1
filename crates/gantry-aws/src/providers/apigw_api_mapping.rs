//! `apigw_api_mapping`: maps a stage of an API onto a custom domain name
//! (an empty key maps the domain's root). The id is the mapping id (within
//! `domain_name`). Mappings carry no tags, but a key is unique within its
//! domain name, so an interrupted create is adopted by listing the domain's
//! mappings for the key. API, stage and key change in place
//! (UpdateApiMapping).

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, ApigwApiMapping};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}


#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwApiMapping;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::APIGW_DOMAIN_NAME);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwApiMapping>) -> Result<Applied, ProviderError> {
        let p = &req.props;
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
            .map_err(Self::err)?;
        let id = out
            .api_mapping_id()
            .ok_or_else(|| ProviderError::new("MissingId", "CreateApiMapping returned no id"))?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, ApigwApiMapping>]) -> Result<Vec<Seen<ApigwApiMapping>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let rec = needs_record::<ApigwApiMapping>(rec)?;
            let got = self
                .ctx
                .apigw()
                .get_api_mapping()
                .domain_name(&rec.domain_name)
                .api_mapping_id(&id)
                .send()
                .await
                .map_err(Self::err);
            let Some(m) = found(got)? else {
                return Ok(None);
            };
            let props = ApigwApiMapping {
                api_id: m.api_id().unwrap_or_default().to_string(),
                domain_name: rec.domain_name.clone(),
                stage: m.stage().unwrap_or_default().to_string(),
                api_mapping_key: m.api_mapping_key().unwrap_or_default().to_string(),
            };
            Ok(Some(Seen::new(id.clone(), props, applied_id(&id).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ApigwApiMapping>) -> Result<Applied, ProviderError> {
        let p = &req.new;
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
            .map_err(Self::err)?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, ApigwApiMapping>) -> Result<(), ProviderError> {
        let p = &needs_record::<ApigwApiMapping>(req.recorded.clone())?;
        self
            .ctx
            .apigw()
            .delete_api_mapping()
            .domain_name(&p.domain_name)
            .api_mapping_id(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwApiMapping>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
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
                .map_err(Self::err);
            let Some(page) = found(got)? else {
                return Ok(None);
            };
            if let Some(m) = page
                .items()
                .iter()
                .find(|m| m.api_mapping_key().unwrap_or_default() == p.api_mapping_key)
            {
                return Ok(m.api_mapping_id().map(applied_id));
            }
            token = page.next_token;
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}
