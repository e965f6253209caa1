//! `memorydb_user`: a MemoryDB user with password authentication. The
//! password goes from `GetSecretValue` straight into `CreateUser`, never
//! into props, state or logs; it is never read back. The id is the user
//! name; outputs add `name` and `arn`. The access string changes in place.
//! A user in `deleting` counts as gone.

use super::memorydb::{password, tag_list, tags_of};
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_memorydb::types::{AuthenticationMode, InputAuthenticationType, User};
use gantry_core::kinds::MemorydbUser;
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["UserNotFoundFault"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(u: &User) -> Applied {
    let name = u.name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("name", name.clone()),
            ("arn", u.arn().unwrap_or_default().to_string()),
        ]),
        id: name,
    }
}

impl Provider {
    async fn describe(&self, name: &str) -> Result<Option<User>, ProviderError> {
        match self
            .ctx
            .memorydb()
            .describe_users()
            .user_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .users
                .unwrap_or_default()
                .into_iter()
                .find(|u| u.status() != Some("deleting"))),
            Err(e) => none_if_gone(Self::err(e)),
        }
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = MemorydbUser;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "memorydb:user", |a| arn::after(a, "memorydb", "user/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, MemorydbUser>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let pw = password(&self.ctx, &p.password_secret_arn).await?;
        // No idempotency token: the name is unique, and `find` adopts it.
        let out = self
            .ctx
            .memorydb()
            .create_user()
            .user_name(&p.name)
            .access_string(&p.access_string)
            .authentication_mode(
                AuthenticationMode::builder()
                    .r#type(InputAuthenticationType::Password)
                    .passwords(pw)
                    .build(),
            )
            .set_tags(Some(tag_list(req.tag_set(None))))
            .send()
            .await
            .map_err(Self::err)?;
        let u = out
            .user
            .ok_or_else(|| ProviderError::msg("CreateUser returned no user"))?;
        Ok(applied(&u))
    }

    async fn read(&self, items: &[Item<'_, MemorydbUser>]) -> Result<Vec<Seen<MemorydbUser>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _rec| async move {
            let Some(u) = self.describe(&id).await? else {
                return Ok(None);
            };
            let props = MemorydbUser {
                name: u.name().unwrap_or_default().to_string(),
                access_string: u.access_string().unwrap_or_default().to_string(),
                password_secret_arn: String::new(),
            };
            Ok(Some(Seen { id: id.clone(), props, unread: vec!["password_secret_arn"], outputs: applied(&u).outputs }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, MemorydbUser>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        let out = self
            .ctx
            .memorydb()
            .update_user()
            .user_name(req.id)
            .access_string(&new.access_string)
            .send()
            .await
            .map_err(Self::err)?;
        let u = out
            .user
            .ok_or_else(|| ProviderError::msg("UpdateUser returned no user"))?;
        Ok(applied(&u))
    }

    async fn delete(&self, req: Delete<'_, MemorydbUser>) -> Result<(), ProviderError> {
        // Refused while an ACL being modified or deleted still lists it.
        let r = retry_codes(&["InvalidUserStateFault"], DEPENDENCY_WAIT, || async {
            self.ctx
                .memorydb()
                .delete_user()
                .user_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err)
        })
        .await;
        ignore_not_found(r)?;
        wait_for(
            &format!("MemoryDB user {} to be deleted", req.id),
            STATE_WAIT,
            || async { Ok(self.describe(req.id).await?.is_none().then_some(())) },
        )
        .await
    }

    async fn find(&self, req: Find<'_, MemorydbUser>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let Some(u) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = tags_of(&self.ctx, u.arn().unwrap_or_default()).await?;
        let ours = req.ours(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ours.then(|| applied(&u)))
    }
}
