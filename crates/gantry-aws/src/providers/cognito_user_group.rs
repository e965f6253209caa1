//! `cognito_user_group`: a group of a user pool. The id is `POOL_ID/NAME`;
//! outputs `id`, `name`. Groups carry no tags, but a name is unique within
//! its pool, so an interrupted create is adopted by name (GetGroup), and a
//! create answered `GroupExistsException` (a lost reply) adopts the group
//! and brings it to the wanted description and precedence. Reads list each
//! pool's groups once (ListGroups) for all of them.

use super::cognito::{by_pool, inside_id, split_id, NOT_FOUND, PAGE};
use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::GroupType;
use gantry_core::kinds::{self, CognitoUserGroup};
use gantry_core::*;

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(pool: &str, name: &str) -> Applied {
    let id = inside_id(pool, name);
    Applied {
        outputs: outputs([("id", id.clone()), ("name", name.to_string())]),
        id,
    }
}

impl Provider {
    /// Every group of a pool (ListGroups, all pages; a gone pool has none).
    async fn groups(&self, pool: &str) -> Result<Vec<GroupType>, ProviderError> {
        super::apigw::all_pages(|token| async move {
            let r = self
                .ctx
                .cognito()
                .list_groups()
                .user_pool_id(pool)
                .limit(PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(Self::err);
            Ok(found(r)?.map_or((Vec::new(), None), |r| (r.groups.unwrap_or_default(), r.next_token)))
        })
        .await
    }

    async fn put(&self, p: &CognitoUserGroup) -> Result<Applied, ProviderError> {
        self.ctx
            .cognito()
            .update_group()
            .user_pool_id(&p.user_pool_id)
            .group_name(&p.name)
            .description(&p.description)
            .precedence(p.precedence)
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(&p.user_pool_id, &p.name))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = CognitoUserGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::COGNITO_USER_POOL);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, CognitoUserGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let r = self
            .ctx
            .cognito()
            .create_group()
            .user_pool_id(&p.user_pool_id)
            .group_name(&p.name)
            .description(&p.description)
            .precedence(p.precedence)
            .send()
            .await
            .map_err(Self::err);
        match r {
            Ok(_) => Ok(applied(&p.user_pool_id, &p.name)),
            Err(e) if has_code(&e, &["GroupExistsException"]) => self.put(p).await,
            Err(e) => Err(e),
        }
    }

    async fn read(&self, items: &[Item<'_, CognitoUserGroup>]) -> Result<Vec<Seen<CognitoUserGroup>>, ProviderError> {
        let mut out = Vec::new();
        for (pool, wanted) in by_pool(items)? {
            for g in self.groups(&pool).await? {
                let name = g.group_name().unwrap_or_default();
                let Some(item) = wanted.iter().find(|i| split_id(i.id).is_ok_and(|(_, n)| n == name)) else {
                    continue;
                };
                let props = CognitoUserGroup {
                    user_pool_id: pool.clone(),
                    name: name.to_string(),
                    description: g.description().unwrap_or_default().to_string(),
                    precedence: g.precedence().unwrap_or_default(),
                };
                out.push(Seen::new(item.id, props, applied(&pool, name).outputs));
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, CognitoUserGroup>) -> Result<Applied, ProviderError> {
        self.put(&req.new).await
    }

    async fn delete(&self, req: Delete<'_, CognitoUserGroup>) -> Result<(), ProviderError> {
        let (pool, name) = split_id(req.id)?;
        self.ctx
            .cognito()
            .delete_group()
            .user_pool_id(pool)
            .group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, CognitoUserGroup>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let r = self
            .ctx
            .cognito()
            .get_group()
            .user_pool_id(&p.user_pool_id)
            .group_name(&p.name)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(r)?.map(|_| applied(&p.user_pool_id, &p.name)))
    }
}
