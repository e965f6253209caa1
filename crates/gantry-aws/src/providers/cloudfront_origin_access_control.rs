//! `cloudfront_origin_access_control`: how CloudFront signs its requests to
//! a private S3 bucket (SigV4, always). The id is CloudFront's; the name is
//! unique per account, and since OACs carry no tags, find adopts the one
//! with the recorded name. Updates and deletes send the ETag read just
//! before, as CloudFront requires.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};
use gantry_core::kinds::CloudfrontOriginAccessControl;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["NoSuchOriginAccessControl"];

pub(crate) struct Provider {
    ctx: AwsContext,
}


fn config(p: &CloudfrontOriginAccessControl) -> Result<OriginAccessControlConfig, ProviderError> {
    OriginAccessControlConfig::builder()
        .name(&p.name)
        .description(&p.description)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .build()
        .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))
}

impl Provider {
    /// The config and ETag, or `None` when it is gone.
    async fn get(
        &self,
        id: &str,
    ) -> Result<Option<(OriginAccessControlConfig, String)>, ProviderError> {
        let got = self
            .ctx
            .cloudfront()
            .get_origin_access_control()
            .id(id)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.and_then(|o| {
            o.origin_access_control
                .and_then(|c| c.origin_access_control_config)
                .map(|c| (c, o.e_tag.unwrap_or_default()))
        }))
    }

    /// `(name, id)` of every OAC of the account (paginated).
    async fn all(&self) -> Result<Vec<(String, String)>, ProviderError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .ctx
                .cloudfront()
                .list_origin_access_controls()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(Self::err)?;
            let Some(list) = page.origin_access_control_list else {
                return Ok(out);
            };
            out.extend(
                list.items()
                    .iter()
                    .map(|s| (s.name().to_string(), s.id().to_string())),
            );
            match list
                .next_marker
                .filter(|m| !m.is_empty() && list.is_truncated)
            {
                Some(m) => marker = Some(m),
                None => return Ok(out),
            }
        }
    }

    /// The id of the OAC named `name`.
    async fn by_name(&self, name: &str) -> Result<Option<String>, ProviderError> {
        Ok(self
            .all()
            .await?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CloudfrontOriginAccessControl;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Own;

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CloudfrontOriginAccessControl>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .cloudfront()
            .create_origin_access_control()
            .origin_access_control_config(config(p)?)
            .send()
            .await;
        match out {
            Ok(o) => {
                let id = o
                    .origin_access_control()
                    .map(|c| c.id())
                    .unwrap_or_default();
                Ok(applied_id(id))
            }
            // A resumed create after a crash: the name is ours.
            Err(e) => {
                let e = Self::err(e);
                if e.code.as_deref() == Some("OriginAccessControlAlreadyExists") {
                    if let Some(id) = self.by_name(&p.name).await? {
                        return Ok(applied_id(&id));
                    }
                }
                Err(e)
            }
        }
    }

    async fn read(&self, items: &[Item<'_, CloudfrontOriginAccessControl>]) -> Result<Vec<Seen<CloudfrontOriginAccessControl>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some((c, _)) = self.get(&id).await? else {
                return Ok(None);
            };
            let p = CloudfrontOriginAccessControl {
                name: c.name().to_string(),
                description: c.description().unwrap_or_default().to_string(),
            };
            Ok(Some(Seen::new(id.clone(), p, applied_id(&id).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CloudfrontOriginAccessControl>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        let (_, etag) = self.get(req.id).await?.ok_or_else(|| {
            ProviderError::not_found(format!("origin access control {} is gone", req.id))
        })?;
        self.ctx
            .cloudfront()
            .update_origin_access_control()
            .id(req.id)
            .if_match(etag)
            .origin_access_control_config(config(p)?)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied_id(req.id))
    }

    async fn delete(&self, req: Delete<'_, CloudfrontOriginAccessControl>) -> Result<(), ProviderError> {
        // A distribution being deleted may still hold it for a while.
        retry_codes(&["OriginAccessControlInUse"], DEPENDENCY_WAIT, || async {
            let Some((_, etag)) = self.get(req.id).await? else {
                return Ok(());
            };
            let r = self
                .ctx
                .cloudfront()
                .delete_origin_access_control()
                .id(req.id)
                .if_match(etag)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err);
            ignore_not_found(r)
        })
        .await
    }

    /// OACs carry no tags: the stack's are those named `STACK-ENV-NAME`,
    /// at the address `cloudfront_origin_access_control.NAME`.
    async fn list(&self, tags: &StackTags) -> Result<Vec<Listed>, ProviderError> {
        let prefix = format!("{}-{}-", tags.stack, tags.env);
        Ok(self
            .all()
            .await?
            .into_iter()
            .filter_map(|(name, id)| {
                let short = name.strip_prefix(&prefix)?;
                Some(Listed {
                    kind: kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL.to_string(),
                    id,
                    address: Some(Address::of(kinds::CLOUDFRONT_ORIGIN_ACCESS_CONTROL, short)),
                })
            })
            .collect())
    }

    async fn find(&self, req: Find<'_, CloudfrontOriginAccessControl>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        Ok(self.by_name(&p.name).await?.map(|id| applied_id(&id)))
    }
}
