//! `wafv2_web_acl_association`: a web ACL attached to a load balancer. The
//! id (and only output) is the resource ARN; read asks
//! `GetWebACLForResource` (a resource with no ACL, or gone, means the
//! association is gone). Create retries `WAFUnavailableEntityException`
//! while WAF does not know a just-created load balancer yet; update
//! re-associates (a resource has at most one ACL, so this replaces it);
//! delete disassociates. Associations carry no tags: find adopts one only
//! when the resource is attached to the recorded ACL.

use super::wafv2::NOT_FOUND;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use futures::future::try_join_all;
use gantry_core::kinds::{self, Wafv2WebAclAssociation};
use gantry_core::*;

pub struct Wafv2WebAclAssociationProvider {
    pub(crate) ctx: AwsContext,
}

fn applied(resource_arn: &str) -> Applied {
    Applied {
        id: resource_arn.to_string(),
        outputs: outputs([("id", resource_arn.to_string())]),
    }
}

impl Wafv2WebAclAssociationProvider {
    /// The ARN of the ACL attached to `resource_arn`, if any.
    async fn acl_of(&self, resource_arn: &str) -> Result<Option<String>, ProviderError> {
        match self
            .ctx
            .wafv2()
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))
        {
            Ok(o) => Ok(o.web_acl().map(|a| a.arn().to_string())),
            Err(e) if e.not_found => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn associate(&self, p: &Wafv2WebAclAssociation) -> Result<(), ProviderError> {
        retry_codes(
            &["WAFUnavailableEntityException"],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .wafv2()
                    .associate_web_acl()
                    .web_acl_arn(&p.web_acl_arn)
                    .resource_arn(&p.resource_arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error(e, &[]))
            },
        )
        .await
    }
}

#[async_trait]
impl Provider for Wafv2WebAclAssociationProvider {
    fn kind(&self) -> &'static str {
        kinds::WAFV2_WEB_ACL_ASSOCIATION
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: Wafv2WebAclAssociation = parse(kinds::WAFV2_WEB_ACL_ASSOCIATION, req.props)?;
        self.associate(&p).await?;
        Ok(applied(&p.resource_arn))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        // One GetWebACLForResource per resource, concurrently.
        try_join_all(reqs.iter().map(|r| async move {
            let Some(acl) = self.acl_of(r.id).await? else {
                return Ok(None);
            };
            let props = Wafv2WebAclAssociation {
                web_acl_arn: acl,
                resource_arn: r.id.to_string(),
            };
            Ok(Some(Observed {
                props: to_props(&props),
                outputs: applied(r.id).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: Wafv2WebAclAssociation = parse(kinds::WAFV2_WEB_ACL_ASSOCIATION, req.new)?;
        self.associate(&new).await?;
        Ok(applied(&new.resource_arn))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        if self.acl_of(req.id).await?.is_none() {
            return Ok(());
        }
        let r = self
            .ctx
            .wafv2()
            .disassociate_web_acl()
            .resource_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: Wafv2WebAclAssociation = parse(kinds::WAFV2_WEB_ACL_ASSOCIATION, req.props)?;
        Ok(self
            .acl_of(&p.resource_arn)
            .await?
            .filter(|a| *a == p.web_acl_arn)
            .map(|_| applied(&p.resource_arn)))
    }
}
