//! Helpers shared by the Cognito providers: the not-found code, the
//! `POOL_ID/NAME` ids of what lives inside a pool (groups, clients), the
//! pool's issuer and the paginated listings adoption uses.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::shape::Item;
use gantry_core::ProviderError;
use std::collections::BTreeMap;

/// Cognito answers a missing pool, group, client or domain with this code.
pub(crate) const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// The most items a Cognito listing returns a page.
pub(crate) const PAGE: i32 = 60;

/// `POOL_ID/NAME` of an object inside a pool.
pub(crate) fn inside_id(pool: &str, name: &str) -> String {
    format!("{pool}/{name}")
}

/// `POOL_ID/NAME` back into its parts (pool ids hold no `/`).
pub(crate) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(p, n)| !p.is_empty() && !n.is_empty())
        .ok_or_else(|| ProviderError::new("InvalidId", format!("{id:?} is not POOL_ID/NAME")))
}

/// The items by the pool their id names, for a listing per pool.
pub(crate) fn by_pool<'a, T>(
    items: &'a [Item<'a, T>],
) -> Result<BTreeMap<String, Vec<&'a Item<'a, T>>>, ProviderError> {
    let mut out: BTreeMap<String, Vec<&Item<'a, T>>> = BTreeMap::new();
    for i in items {
        out.entry(split_id(i.id)?.0.to_string())
            .or_default()
            .push(i);
    }
    Ok(out)
}

/// The issuer of a pool's tokens, what JWT authorizers trust.
pub(crate) fn issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// Every user pool of the region (ListUserPools, all pages): id and name.
pub(crate) async fn list_pools(ctx: &AwsContext) -> Result<Vec<(String, String)>, ProviderError> {
    super::apigw::all_pages(|token| async move {
        let r = ctx
            .cognito()
            .list_user_pools()
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let pools = r
            .user_pools()
            .iter()
            .filter_map(|p| Some((p.id()?.to_string(), p.name()?.to_string())))
            .collect();
        Ok((pools, r.next_token))
    })
    .await
}
