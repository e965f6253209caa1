//! `apigw_domain_name`: a regional custom domain name for HTTP APIs with an
//! ACM certificate of the stack's region and a TLS policy. The id is the
//! domain name; outputs add `domain_name`, `arn`, and the alias target
//! Route53 records point at: `regional_domain_name` (API Gateway's
//! `d-....execute-api.REGION.amazonaws.com`) and `regional_hosted_zone_id`.
//! Create waits (bounded) until API Gateway reports that target, since an
//! alias record cannot be written without it. Tags go in the create call;
//! names are unique per account and region, so a create that meets
//! `ConflictException` adopts the existing name when its tags say it is
//! ours. Certificate and TLS policy change in place (UpdateDomainName).

use super::apigw::*;
use crate::context::AwsContext;
use crate::error::has_code;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{
    DomainNameConfiguration, DomainNameStatus, EndpointType, SecurityPolicy,
};
use gantry_core::kinds::ApigwDomainName;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// What GetDomainName reports.
struct Domain {
    props: ApigwDomainName,
    arn: String,
    target: Option<(String, String)>,
    status: Option<DomainNameStatus>,
    tags: HashMap<String, String>,
}

fn config(p: &ApigwDomainName) -> DomainNameConfiguration {
    DomainNameConfiguration::builder()
        .certificate_arn(&p.certificate_arn)
        .endpoint_type(EndpointType::from(p.endpoint_type.as_str()))
        .security_policy(SecurityPolicy::from(p.security_policy.as_str()))
        .build()
}

fn applied(d: &Domain, target: &(String, String)) -> Applied {
    let name = d.props.domain_name.clone();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("domain_name", name.clone()),
            ("arn", d.arn.clone()),
            ("regional_domain_name", target.0.clone()),
            ("regional_hosted_zone_id", target.1.clone()),
        ]),
        id: name,
    }
}

impl Provider {
    async fn get(&self, name: &str) -> Result<Option<Domain>, ProviderError> {
        let got = self
            .ctx
            .apigw()
            .get_domain_name()
            .domain_name(name)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.map(|d| {
            let c = d.domain_name_configurations().first();
            Domain {
                props: ApigwDomainName {
                    domain_name: d.domain_name().unwrap_or(name).to_string(),
                    certificate_arn: c
                        .and_then(|c| c.certificate_arn())
                        .unwrap_or_default()
                        .to_string(),
                    endpoint_type: c
                        .and_then(|c| c.endpoint_type())
                        .map_or_else(String::new, |t| t.as_str().to_string()),
                    security_policy: c
                        .and_then(|c| c.security_policy())
                        .map_or_else(String::new, |t| t.as_str().to_string()),
                },
                arn: d.domain_name_arn().unwrap_or_default().to_string(),
                target: c.and_then(|c| {
                    Some((
                        c.api_gateway_domain_name()?.to_string(),
                        c.hosted_zone_id()?.to_string(),
                    ))
                }),
                status: c.and_then(|c| c.domain_name_status()).cloned(),
                tags: d.tags().cloned().unwrap_or_default(),
            }
        }))
    }

    /// Waits until the domain name has its regional target (and is not
    /// being updated); returns its outputs.
    async fn ready(&self, name: &str) -> Result<Applied, ProviderError> {
        wait_for(
            &format!("API domain name {name} to get its regional target"),
            STATE_WAIT,
            || async {
                let Some(d) = self.get(name).await? else {
                    return Err(ProviderError::not_found(format!(
                        "API domain name {name} vanished"
                    )));
                };
                if d.status == Some(DomainNameStatus::Updating) {
                    return Ok(None);
                }
                Ok(d.target.as_ref().map(|t| applied(&d, t)))
            },
        )
        .await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = ApigwDomainName;
    const NOT_FOUND: &'static [&'static str] = super::apigw::NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "apigateway", |a| arn::after(a, "apigateway", "/domainnames/").filter(|i| !i.contains('/')));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, ApigwDomainName>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let r = self
            .ctx
            .apigw()
            .create_domain_name()
            .domain_name(&p.domain_name)
            .domain_name_configurations(config(p))
            .set_tags(Some(tag_map(req.tag_set(None))))
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err);
        match r {
            Ok(()) => {}
            Err(e) if has_code(&e, &["ConflictException"]) => {
                let find = Find {
                    address: req.address,
                    props: req.props.clone(),
                    tags: req.tags,
                    token: req.token,
                };
                return self.find(find).await?.ok_or(e);
            }
            Err(e) => return Err(e),
        }
        self.ready(&p.domain_name).await
    }

    async fn read(&self, items: &[Item<'_, ApigwDomainName>]) -> Result<Vec<Seen<ApigwDomainName>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some(d) = self.get(&id).await? else {
                return Ok(None);
            };
            let outputs = match &d.target {
                Some(t) => applied(&d, t).outputs,
                None => Props::new(),
            };
            Ok(Some(Seen::new(id.clone(), d.props, outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, ApigwDomainName>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.ctx
            .apigw()
            .update_domain_name()
            .domain_name(req.id)
            .domain_name_configurations(config(p))
            .send()
            .await
            .map_err(Self::err)?;
        self.ready(req.id).await
    }

    async fn delete(&self, req: Delete<'_, ApigwDomainName>) -> Result<(), ProviderError> {
        self
            .ctx
            .apigw()
            .delete_domain_name()
            .domain_name(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, ApigwDomainName>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(d) = self.get(&p.domain_name).await? else {
            return Ok(None);
        };
        let ours = req.ours(d.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !ours {
            return Ok(None);
        }
        self.ready(&p.domain_name).await.map(Some)
    }
}
