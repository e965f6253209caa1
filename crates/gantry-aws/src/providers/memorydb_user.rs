//! `memorydb_user`: a MemoryDB user with password authentication. The
//! password goes from `GetSecretValue` straight into `CreateUser`, never
//! into props, state or logs; it is never read back. The id is the user
//! name; outputs add `name` and `arn`. The access string changes in place.
//! A user in `deleting` counts as gone.

use super::memorydb::{password, tag_list, tags_of};
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_memorydb::types::{AuthenticationMode, InputAuthenticationType, User};
use futures::future::try_join_all;
use gantry_core::kinds::{self, MemorydbUser};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["UserNotFoundFault"];

pub struct MemorydbUserProvider {
    pub(crate) ctx: AwsContext,
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

impl MemorydbUserProvider {
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
            Err(e) => {
                let e = aws_error(e, NOT_FOUND);
                if e.not_found {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

#[async_trait]
impl Provider for MemorydbUserProvider {
    fn kind(&self) -> &'static str {
        kinds::MEMORYDB_USER
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: MemorydbUser = parse(kinds::MEMORYDB_USER, req.props)?;
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
            .set_tags(Some(tag_list(tag_set(req.tags, req.address, None))))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let u = out
            .user
            .ok_or_else(|| ProviderError::msg("CreateUser returned no user"))?;
        Ok(applied(&u))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        try_join_all(reqs.iter().map(|r| async move {
            let Some(u) = self.describe(r.id).await? else {
                return Ok(None);
            };
            let props = MemorydbUser {
                name: u.name().unwrap_or_default().to_string(),
                access_string: u.access_string().unwrap_or_default().to_string(),
                password_secret_arn: String::new(),
            };
            Ok(Some(Observed {
                // The password's source cannot be read back.
                props: to_props_without(&props, &["password_secret_arn"]),
                outputs: applied(&u).outputs,
            }))
        }))
        .await
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: MemorydbUser = parse(kinds::MEMORYDB_USER, req.new)?;
        let out = self
            .ctx
            .memorydb()
            .update_user()
            .user_name(req.id)
            .access_string(&new.access_string)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        let u = out
            .user
            .ok_or_else(|| ProviderError::msg("UpdateUser returned no user"))?;
        Ok(applied(&u))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        // Refused while an ACL being modified or deleted still lists it.
        let r = retry_codes(&["InvalidUserStateFault"], DEPENDENCY_WAIT, || async {
            self.ctx
                .memorydb()
                .delete_user()
                .user_name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(e, NOT_FOUND))
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

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: MemorydbUser = parse(kinds::MEMORYDB_USER, req.props)?;
        let Some(u) = self.describe(&p.name).await? else {
            return Ok(None);
        };
        let tags = tags_of(&self.ctx, u.arn().unwrap_or_default()).await?;
        let ours = tags_match(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            req.tags,
            req.address,
        );
        Ok(ours.then(|| applied(&u)))
    }
}
