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

/// The items of every page of a listing that pages with `NextToken`.
pub(crate) async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token).await?;
        out.extend(items);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// Groups items by the parent their recorded props name (an API, a domain
/// name): the kinds that live inside one are read a listing per parent.
pub(crate) fn by_parent<'a, T>(
    items: &'a [crate::shape::Item<'a, T>],
    parent: impl Fn(&T) -> String,
) -> Result<BTreeMap<String, Vec<&'a crate::shape::Item<'a, T>>>, ProviderError>
where
    T: gantry_core::Kind,
{
    let mut out: BTreeMap<String, Vec<&crate::shape::Item<'a, T>>> = BTreeMap::new();
    for i in items {
        let rec = crate::shape::needs_record::<T>(i.recorded.clone())?;
        out.entry(parent(&rec)).or_default().push(i);
    }
    Ok(out)
}
