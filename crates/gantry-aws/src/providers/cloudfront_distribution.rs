//! `cloudfront_distribution`: a CloudFront distribution, created with its
//! tags (`CreateDistributionWithTags`) and the journal's token as caller
//! reference, so a retried create cannot make a second one. The id is
//! CloudFront's; outputs add `arn`, `domain_name` and `hosted_zone_id` (the
//! fixed zone of every distribution, for alias records).
//!
//! Updates read the config and ETag, keep the caller reference and send the
//! whole new config. Create and update wait (bounded) until the change is
//! `Deployed`. Delete first disables the distribution, waits for that to
//! deploy, then deletes with a fresh ETag, as CloudFront requires.
//!
//! Reads leave out what a response omits: an S3 origin whose config comes
//! back without an `OriginAccessControlId` element keeps its recorded one
//! (the emulator never returns that element; AWS always does, as an empty
//! element when there is none, which reads as a removed OAC).

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse,
    CustomErrorResponses, CustomOriginConfig, DefaultCacheBehavior, DistributionConfig,
    DistributionConfigWithTags, HttpVersion, Method, MinimumProtocolVersion, Origin,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, S3OriginConfig, SslProtocol,
    SslSupportMethod, Tag, Tags, ViewerCertificate, ViewerProtocolPolicy,
};
use gantry_core::kinds::{
    CloudfrontBehavior, CloudfrontDistribution, CloudfrontErrorResponse, CloudfrontOrigin,
};
use crate::shape::*;
use gantry_core::*;
use std::time::Duration;

const NOT_FOUND: &[&str] = &["NoSuchDistribution"];
/// The hosted zone id of every CloudFront distribution (alias targets).
pub const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// How long a configuration change may take to reach every edge location.
const DEPLOY_WAIT: Duration = Duration::from_secs(2400);

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("InvalidProperties", e.to_string())
}

fn applied(id: &str, arn: &str, domain_name: &str) -> Applied {
    Applied {
        id: id.to_string(),
        outputs: outputs([
            ("id", id.to_string()),
            ("arn", arn.to_string()),
            ("domain_name", domain_name.to_string()),
            ("hosted_zone_id", HOSTED_ZONE_ID.to_string()),
        ]),
    }
}

fn methods(names: &[String]) -> Result<AllowedMethods, ProviderError> {
    let items: Vec<Method> = names.iter().map(|m| Method::from(m.as_str())).collect();
    let cached = CachedMethods::builder()
        .quantity(2)
        .items(Method::Get)
        .items(Method::Head)
        .build()
        .map_err(err)?;
    AllowedMethods::builder()
        .quantity(items.len() as i32)
        .set_items(Some(items))
        .cached_methods(cached)
        .build()
        .map_err(err)
}

fn origin(o: &CloudfrontOrigin) -> Result<Origin, ProviderError> {
    let b = Origin::builder().id(&o.id).domain_name(&o.domain_name);
    let b = match &o.origin_protocol_policy {
        Some(policy) => b.origin_access_control_id("").custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::from(policy.as_str()))
                .origin_ssl_protocols(
                    OriginSslProtocols::builder()
                        .quantity(1)
                        .items(SslProtocol::TlSv12)
                        .build()
                        .map_err(err)?,
                )
                .origin_read_timeout(60)
                .origin_keepalive_timeout(5)
                .build()
                .map_err(err)?,
        ),
        None => b
            .origin_access_control_id(o.origin_access_control_id.clone().unwrap_or_default())
            // With an OAC the legacy origin access identity stays empty.
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build()),
    };
    b.build().map_err(err)
}

fn default_behavior(b: &CloudfrontBehavior) -> Result<DefaultCacheBehavior, ProviderError> {
    DefaultCacheBehavior::builder()
        .target_origin_id(&b.target_origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(methods(&b.allowed_methods)?)
        .compress(true)
        .cache_policy_id(&b.cache_policy_id)
        .set_origin_request_policy_id(b.origin_request_policy_id.clone())
        .build()
        .map_err(err)
}

fn behavior(b: &CloudfrontBehavior) -> Result<CacheBehavior, ProviderError> {
    CacheBehavior::builder()
        .path_pattern(&b.path_pattern)
        .target_origin_id(&b.target_origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(methods(&b.allowed_methods)?)
        .compress(true)
        .cache_policy_id(&b.cache_policy_id)
        .set_origin_request_policy_id(b.origin_request_policy_id.clone())
        .build()
        .map_err(err)
}

/// The API's config for `p`.
fn config(
    p: &CloudfrontDistribution,
    caller_reference: &str,
) -> Result<DistributionConfig, ProviderError> {
    let origins: Vec<Origin> = p.origins.iter().map(origin).collect::<Result<_, _>>()?;
    let behaviors: Vec<CacheBehavior> = p
        .ordered_behaviors
        .iter()
        .map(behavior)
        .collect::<Result<_, _>>()?;
    let errors: Vec<CustomErrorResponse> = p
        .custom_error_responses
        .iter()
        .map(|e| {
            CustomErrorResponse::builder()
                .error_code(e.error_code)
                .response_code(e.response_code.to_string())
                .response_page_path(&e.response_page_path)
                .error_caching_min_ttl(e.min_ttl)
                .build()
                .map_err(err)
        })
        .collect::<Result<_, _>>()?;
    let viewer = match &p.certificate_arn {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    };
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(&p.comment)
        .enabled(p.enabled)
        .aliases(
            Aliases::builder()
                .quantity(p.aliases.len() as i32)
                .set_items(Some(p.aliases.clone()))
                .build()
                .map_err(err)?,
        )
        .default_root_object(&p.default_root_object)
        .origins(
            Origins::builder()
                .quantity(origins.len() as i32)
                .set_items(Some(origins))
                .build()
                .map_err(err)?,
        )
        .default_cache_behavior(default_behavior(&p.default_behavior)?)
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(behaviors.len() as i32)
                .set_items(Some(behaviors))
                .build()
                .map_err(err)?,
        )
        .custom_error_responses(
            CustomErrorResponses::builder()
                .quantity(errors.len() as i32)
                .set_items(Some(errors))
                .build()
                .map_err(err)?,
        )
        .price_class(PriceClass::from(p.price_class.as_str()))
        .set_web_acl_id(p.web_acl_arn.clone())
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .viewer_certificate(viewer)
        .build()
        .map_err(err)
}

fn sorted_methods(items: &[Method]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|m| m.as_str().to_string()).collect();
    v.sort();
    v
}

fn empty_none(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// Maps the API's config back to the kind's props; `rec` fills what the
/// response left out (see the module docs).
fn observe(c: &DistributionConfig, rec: Option<&CloudfrontDistribution>) -> CloudfrontDistribution {
    let recorded_oac = |id: &str| {
        rec.and_then(|r| r.origins.iter().find(|o| o.id == id))
            .and_then(|o| o.origin_access_control_id.clone())
    };
    let origins = c
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let custom = o.custom_origin_config();
            CloudfrontOrigin {
                id: o.id().to_string(),
                domain_name: o.domain_name().to_string(),
                origin_access_control_id: match (custom, o.origin_access_control_id()) {
                    (Some(_), _) => None,
                    (None, None) => recorded_oac(o.id()),
                    (None, Some(id)) => empty_none(Some(id)),
                },
                origin_protocol_policy: custom
                    .map(|c| c.origin_protocol_policy().as_str().to_string()),
            }
        })
        .collect();
    let behavior = |path: &str,
                    target: &str,
                    allowed: Option<&AllowedMethods>,
                    cache: Option<&str>,
                    request: Option<&str>| CloudfrontBehavior {
        path_pattern: path.to_string(),
        target_origin_id: target.to_string(),
        cache_policy_id: cache.unwrap_or_default().to_string(),
        origin_request_policy_id: empty_none(request),
        allowed_methods: allowed
            .map(|a| sorted_methods(a.items()))
            .unwrap_or_default(),
    };
    let default_behavior = c
        .default_cache_behavior()
        .map(|d| {
            behavior(
                "",
                d.target_origin_id(),
                d.allowed_methods(),
                d.cache_policy_id(),
                d.origin_request_policy_id(),
            )
        })
        .unwrap_or_else(|| behavior("", "", None, None, None));
    let ordered_behaviors = c
        .cache_behaviors()
        .map(|b| b.items())
        .unwrap_or_default()
        .iter()
        .map(|b| {
            behavior(
                b.path_pattern(),
                b.target_origin_id(),
                b.allowed_methods(),
                b.cache_policy_id(),
                b.origin_request_policy_id(),
            )
        })
        .collect();
    let custom_error_responses = c
        .custom_error_responses()
        .map(|e| e.items())
        .unwrap_or_default()
        .iter()
        .map(|e| CloudfrontErrorResponse {
            error_code: e.error_code(),
            response_code: e.response_code().and_then(|r| r.parse().ok()).unwrap_or(0),
            response_page_path: e.response_page_path().unwrap_or_default().to_string(),
            min_ttl: e.error_caching_min_ttl().unwrap_or(0),
        })
        .collect();
    let aliases = c.aliases().map(|a| a.items().to_vec()).unwrap_or_default();
    let viewer = c.viewer_certificate();
    CloudfrontDistribution {
        comment: c.comment().to_string(),
        enabled: c.enabled(),
        aliases: order_like(
            aliases,
            rec.map(|r| r.aliases.as_slice()).unwrap_or_default(),
        ),
        certificate_arn: empty_none(viewer.and_then(|v| v.acm_certificate_arn())),
        default_root_object: c.default_root_object().unwrap_or_default().to_string(),
        price_class: c
            .price_class()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        web_acl_arn: empty_none(c.web_acl_id()),
        origins,
        default_behavior,
        ordered_behaviors,
        custom_error_responses,
    }
}

impl Provider {
    /// The config, its ETag, and `(arn, domain name, status)`; `None` when gone.
    async fn get(
        &self,
        id: &str,
    ) -> Result<Option<(DistributionConfig, String, (String, String, String))>, ProviderError> {
        let got = self
            .ctx
            .cloudfront()
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.and_then(|o| {
            let etag = o.e_tag.clone().unwrap_or_default();
            o.distribution.and_then(|d| {
                let facts = (
                    d.arn().to_string(),
                    d.domain_name().to_string(),
                    d.status().to_string(),
                );
                d.distribution_config.map(|c| (c, etag, facts))
            })
        }))
    }

    /// Waits until the last change reached every edge location.
    async fn wait_deployed(&self, id: &str) -> Result<(), ProviderError> {
        wait_for(
            &format!("distribution {id} to deploy"),
            DEPLOY_WAIT,
            || async {
                Ok(match self.get(id).await? {
                    Some((_, _, (_, _, status))) if status == "Deployed" => Some(()),
                    Some(_) => None,
                    None => Some(()),
                })
            },
        )
        .await
    }

    async fn put(&self, id: &str, p: &CloudfrontDistribution) -> Result<Applied, ProviderError> {
        let (old, etag, _) = self
            .get(id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("distribution {id} is gone")))?;
        let out = self
            .ctx
            .cloudfront()
            .update_distribution()
            .id(id)
            .if_match(etag)
            .distribution_config(config(p, old.caller_reference())?)
            .send()
            .await
            .map_err(Self::err)?;
        let d = out
            .distribution()
            .ok_or_else(|| ProviderError::msg("UpdateDistribution returned no distribution"))?;
        let a = applied(d.id(), d.arn(), d.domain_name());
        self.wait_deployed(id).await?;
        Ok(a)
    }

    /// Every distribution with the stack's tags: `Applied` and its tags
    /// (one paginated listing, one tag lookup per distribution). The summary
    /// carries the outputs, so nothing more needs reading.
    async fn stack_tagged(
        &self,
        stack: &str,
        env: &str,
    ) -> Result<Vec<(Applied, Vec<(String, String)>)>, ProviderError> {
        let mut out = Vec::new();
        for (id, arn, domain) in self.list().await? {
            let tags = tags_of(&self.ctx, &arn).await?;
            let get = |k: &str| tags.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
            if get(StackTags::STACK) == Some(stack) && get(StackTags::ENV) == Some(env) {
                out.push((applied(&id, &arn, &domain), tags));
            }
        }
        Ok(out)
    }

    /// Every distribution's `(id, arn, domain name)` (paginated).
    async fn list(&self) -> Result<Vec<(String, String, String)>, ProviderError> {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .ctx
                .cloudfront()
                .list_distributions()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(Self::err)?;
            let Some(list) = out.distribution_list else {
                return Ok(found);
            };
            found.extend(list.items().iter().map(|d| {
                (
                    d.id().to_string(),
                    d.arn().to_string(),
                    d.domain_name().to_string(),
                )
            }));
            match list
                .next_marker
                .filter(|m| !m.is_empty() && list.is_truncated)
            {
                Some(m) => marker = Some(m),
                None => return Ok(found),
            }
        }
    }
}

/// The tags of a CloudFront resource by ARN.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .cloudfront()
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    Ok(out
        .tags()
        .map(|t| {
            t.items()
                .iter()
                .map(|t| {
                    (
                        t.key().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}


#[async_trait]
impl AwsKind for Provider {
    type Props = CloudfrontDistribution;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Global, "cloudfront:distribution", |a| arn::after(a, "cloudfront", "distribution/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CloudfrontDistribution>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags: Vec<Tag> = req.tag_set(None)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(err))
            .collect::<Result<_, _>>()?;
        let with_tags = DistributionConfigWithTags::builder()
            .distribution_config(config(p, &client_token(req.token))?)
            .tags(Tags::builder().set_items(Some(tags)).build())
            .build();
        let out = self
            .ctx
            .cloudfront()
            .create_distribution_with_tags()
            .distribution_config_with_tags(with_tags)
            .send()
            .await
            .map_err(Self::err)?;
        let d = out
            .distribution()
            .ok_or_else(|| ProviderError::msg("CreateDistribution returned no distribution"))?;
        let a = applied(d.id(), d.arn(), d.domain_name());
        self.wait_deployed(d.id()).await?;
        Ok(a)
    }

    async fn read(&self, items: &[Item<'_, CloudfrontDistribution>]) -> Result<Vec<Seen<CloudfrontDistribution>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some((c, _, (arn, domain, _))) = self.get(&id).await? else {
                return Ok(None);
            };
            Ok(Some(Seen::new(id.clone(), observe(&c, rec.as_ref()), applied(&id, &arn, &domain).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, CloudfrontDistribution>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.put(req.id, p).await
    }

    async fn delete(&self, req: Delete<'_, CloudfrontDistribution>) -> Result<(), ProviderError> {
        let Some((c, _, _)) = self.get(req.id).await? else {
            return Ok(());
        };
        if c.enabled() {
            let mut p = observe(&c, req.recorded.as_ref());
            p.enabled = false;
            ignore_not_found(self.put(req.id, &p).await.map(|_| ()))?;
        } else {
            self.wait_deployed(req.id).await?;
        }
        retry_codes(
            &["DistributionNotDisabled", "PreconditionFailed"],
            DEPLOY_WAIT,
            || async {
                let Some((_, etag, _)) = self.get(req.id).await? else {
                    return Ok(());
                };
                let r = self
                    .ctx
                    .cloudfront()
                    .delete_distribution()
                    .id(req.id)
                    .if_match(etag)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err);
                ignore_not_found(r)
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, CloudfrontDistribution>) -> Result<Option<Applied>, ProviderError> {
        Ok(self
            .stack_tagged(&req.tags.stack, &req.tags.env)
            .await?
            .into_iter()
            .find(|(_, tags)| {
                req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            })
            .map(|(a, _)| a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist() -> CloudfrontDistribution {
        CloudfrontDistribution {
            comment: "site".into(),
            enabled: true,
            aliases: vec!["app.example.com".into()],
            certificate_arn: Some("arn:aws:acm:us-east-1:1:certificate/x".into()),
            default_root_object: "index.html".into(),
            price_class: "PriceClass_100".into(),
            web_acl_arn: None,
            origins: vec![
                CloudfrontOrigin {
                    id: "s3".into(),
                    domain_name: "b.s3.us-east-1.amazonaws.com".into(),
                    origin_access_control_id: Some("E2OAC".into()),
                    origin_protocol_policy: None,
                },
                CloudfrontOrigin {
                    id: "api".into(),
                    domain_name: "api.example.com".into(),
                    origin_access_control_id: None,
                    origin_protocol_policy: Some("https-only".into()),
                },
            ],
            default_behavior: CloudfrontBehavior {
                path_pattern: String::new(),
                target_origin_id: "s3".into(),
                cache_policy_id: "c".into(),
                origin_request_policy_id: None,
                allowed_methods: vec!["GET".into(), "HEAD".into()],
            },
            ordered_behaviors: vec![CloudfrontBehavior {
                path_pattern: "/api/*".into(),
                target_origin_id: "api".into(),
                cache_policy_id: "d".into(),
                origin_request_policy_id: Some("r".into()),
                allowed_methods: vec![
                    "DELETE".into(),
                    "GET".into(),
                    "HEAD".into(),
                    "OPTIONS".into(),
                    "PATCH".into(),
                    "POST".into(),
                    "PUT".into(),
                ],
            }],
            custom_error_responses: vec![CloudfrontErrorResponse {
                error_code: 404,
                response_code: 200,
                response_page_path: "/index.html".into(),
                min_ttl: 10,
            }],
        }
    }

    #[test]
    fn config_reads_back_as_the_same_props() {
        let p = dist();
        let c = config(&p, "ref").unwrap();
        assert_eq!(observe(&c, None), p);
    }

    #[test]
    fn a_missing_oac_element_keeps_the_recorded_id_but_an_empty_one_is_drift() {
        let p = dist();
        let mut c = config(&p, "ref").unwrap();
        let mut origins = c.origins.clone().unwrap();
        origins.items[0].origin_access_control_id = None;
        c.origins = Some(origins.clone());
        assert_eq!(observe(&c, Some(&p)), p);
        origins.items[0].origin_access_control_id = Some(String::new());
        c.origins = Some(origins);
        assert_eq!(
            observe(&c, Some(&p)).origins[0].origin_access_control_id,
            None
        );
    }
}
