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
    all_pages(|token| async move {
        let r = ctx.apigw().get_apis().set_next_token(token).send().await;
        let r = r.map_err(|e| aws_error(e, &[]))?;
        Ok((r.items.unwrap_or_default(), r.next_token))
    })
    .await
}

/// Every VPC link in the region (GetVpcLinks, all pages).
pub(crate) async fn list_vpc_links(
    ctx: &AwsContext,
) -> Result<Vec<aws_sdk_apigatewayv2::types::VpcLink>, ProviderError> {
    all_pages(|token| async move {
        let r = ctx
            .apigw()
            .get_vpc_links()
            .set_next_token(token)
            .send()
            .await;
        let r = r.map_err(|e| aws_error(e, &[]))?;
        Ok((r.items.unwrap_or_default(), r.next_token))
    })
    .await
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

/// Reads the objects that live inside a parent (routes and integrations
/// of an API) a listing per parent: `list` lists one parent's objects,
/// `id_of` names each, and `seen` reads one asked for.
pub(crate) async fn read_inside<'a, T, C, F, Fut>(
    items: &'a [crate::shape::Item<'a, T>],
    parent: impl Fn(&T) -> String,
    list: F,
    id_of: impl Fn(&C) -> Option<&str>,
    seen: impl Fn(&str, &C, &crate::shape::Item<'a, T>) -> crate::shape::Seen<T>,
) -> Result<Vec<crate::shape::Seen<T>>, ProviderError>
where
    T: gantry_core::Kind,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<C>, ProviderError>>,
{
    let mut out = Vec::new();
    for (parent_id, wanted) in by_parent(items, parent)? {
        for c in list(parent_id.clone()).await? {
            if let Some(item) = wanted.iter().find(|i| id_of(&c) == Some(i.id)) {
                out.push(seen(&parent_id, &c, item));
            }
        }
    }
    Ok(out)
}
