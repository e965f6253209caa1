//! Helpers shared by the API Gateway v2 providers: the not-found code,
//! tag maps, and the paginated listings adoption and inventory use.

use crate::context::AwsContext;
use crate::error::aws_error;
use gantry_core::ProviderError;
use std::collections::{BTreeMap, HashMap};

/// API Gateway answers every missing API, link, route, integration, stage,
/// domain name or mapping with this code.
pub(crate) const NOT_FOUND: &[&str] = &["NotFoundException"];

/// The `tags` map API Gateway takes.
pub(crate) fn tag_map(t: BTreeMap<String, String>) -> HashMap<String, String> {
    t.into_iter().collect()
}

/// `(key, value)` pairs of an optional tag map, for `tags_match`.
pub(crate) fn pairs(t: Option<&HashMap<String, String>>) -> Vec<(&str, &str)> {
    t.map(|m| m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .unwrap_or_default()
}

/// Every HTTP and WebSocket API in the region (GetApis, all pages).
pub(crate) async fn list_apis(
    ctx: &AwsContext,
) -> Result<Vec<aws_sdk_apigatewayv2::types::Api>, ProviderError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = ctx
            .apigw()
            .get_apis()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        out.extend(r.items.unwrap_or_default());
        token = r.next_token;
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Every VPC link in the region (GetVpcLinks, all pages).
pub(crate) async fn list_vpc_links(
    ctx: &AwsContext,
) -> Result<Vec<aws_sdk_apigatewayv2::types::VpcLink>, ProviderError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = ctx
            .apigw()
            .get_vpc_links()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        out.extend(r.items.unwrap_or_default());
        token = r.next_token;
        if token.is_none() {
            return Ok(out);
        }
    }
}
