//! `wafv2_web_acl_association`: a web ACL attached to a load balancer. The
//! id (and only output) is the resource ARN; read asks
//! `GetWebACLForResource` (a resource with no ACL, or gone, means the
//! association is gone). Create retries `WAFUnavailableEntityException`
//! while WAF does not know a just-created load balancer yet; update
//! re-associates (a resource has at most one ACL, so this replaces it);
//! delete disassociates. Associations carry no tags: find adopts one only
//! when the resource is attached to the recorded ACL.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, Wafv2WebAclAssociation};
use crate::shape::*;
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(resource_arn: &str) -> Applied {
    Applied {
        id: resource_arn.to_string(),
        outputs: outputs([("id", resource_arn.to_string())]),
    }
}

impl Provider {
    /// The ARN of the ACL attached to `resource_arn`, if any.
    async fn acl_of(&self, resource_arn: &str) -> Result<Option<String>, ProviderError> {
        match self
            .ctx
            .wafv2()
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(Self::err)
        {
            Ok(o) => Ok(o.web_acl().map(|a| a.arn().to_string())),
            Err(e) if e.is_not_found() => Ok(None),
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
                    .map_err(Self::err)
            },
        )
        .await
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = Wafv2WebAclAssociation;
    const NOT_FOUND: &'static [&'static str] = super::wafv2::NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::LB);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, Wafv2WebAclAssociation>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.associate(p).await?;
        Ok(applied(&p.resource_arn))
    }

    async fn read(&self, items: &[Item<'_, Wafv2WebAclAssociation>]) -> Result<Vec<Seen<Wafv2WebAclAssociation>>, ProviderError> {
        // One GetWebACLForResource per resource, concurrently.
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some(acl) = self.acl_of(&id).await? else {
                return Ok(None);
            };
            let props = Wafv2WebAclAssociation {
                web_acl_arn: acl,
                resource_arn: id.clone(),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(&id).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, Wafv2WebAclAssociation>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        self.associate(new).await?;
        Ok(applied(&new.resource_arn))
    }

    async fn delete(&self, req: Delete<'_, Wafv2WebAclAssociation>) -> Result<(), ProviderError> {
        if self.acl_of(req.id).await?.is_none() {
            return Ok(());
        }
        self
            .ctx
            .wafv2()
            .disassociate_web_acl()
            .resource_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, Wafv2WebAclAssociation>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self
            .acl_of(&p.resource_arn)
            .await?
            .filter(|a| *a == p.web_acl_arn)
            .map(|_| applied(&p.resource_arn)))
    }
}
