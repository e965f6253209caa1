//! `scheduler_schedule_group`: the group the stack's schedules live in.
//! Schedules take no tags; the group does, so the inventory lists the
//! group and deleting it deletes the schedules in it. The id is the
//! group's name; outputs `id`, `arn`, `name`.
//!
//! CreateScheduleGroup takes the tags; a name already taken is adopted
//! when its tags say it is this address (a reply lost after the create).
//! Deleting is asynchronous (the group goes `DELETING`): the delete waits
//! until it is gone, so a new group of the same name can follow.

use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_scheduler::types::Tag;
use gantry_core::kinds::SchedulerScheduleGroup;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(name: &str, arn: &str) -> Applied {
    Applied {
        id: name.to_string(),
        outputs: outputs([
            ("id", name.to_string()),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

impl Provider {
    /// The group's ARN and state; `None` when it is gone (or going).
    async fn get(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let out = found(
            self.ctx
                .scheduler()
                .get_schedule_group()
                .name(name)
                .send()
                .await
                .map_err(Self::err),
        )?;
        Ok(out
            .filter(|o| o.state().is_none_or(|s| s.as_str() != "DELETING"))
            .and_then(|o| o.arn))
    }

    async fn ours(&self, arn: &str, find: &Find<'_, SchedulerScheduleGroup>) -> Result<bool, ProviderError> {
        let tags = self
            .ctx
            .scheduler()
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(Self::err)?
            .tags
            .unwrap_or_default();
        Ok(find.ours(tags.iter().map(|t| (t.key(), t.value()))))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SchedulerScheduleGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "scheduler:schedule-group", |a| {
        arn::after(a, "scheduler", "schedule-group/").filter(|n| !n.contains('/'))
    });

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SchedulerScheduleGroup>) -> Result<Applied, ProviderError> {
        let tags = req
            .tag_set(None)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProviderError::new("InvalidProperties", e.to_string()))?;
        let out = self
            .ctx
            .scheduler()
            .create_schedule_group()
            .name(&req.props.name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err);
        match out {
            Ok(o) => Ok(applied(&req.props.name, &o.schedule_group_arn)),
            Err(e) if has_code(&e, &["ConflictException"]) => {
                let find = Find {
                    address: req.address,
                    props: req.props.clone(),
                    tags: req.tags,
                    token: req.token,
                };
                self.find(find).await?.ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn read(
        &self,
        items: &[Item<'_, SchedulerScheduleGroup>],
    ) -> Result<Vec<Seen<SchedulerScheduleGroup>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |name, _| async move {
            Ok(self.get(&name).await?.map(|arn| {
                let props = SchedulerScheduleGroup { name: name.clone() };
                Seen::new(name.clone(), props, applied(&name, &arn).outputs)
            }))
        })
        .await
    }

    async fn update(&self, req: Update<'_, SchedulerScheduleGroup>) -> Result<Applied, ProviderError> {
        // The name is all there is, and it forces a new group.
        let arn = self.get(req.id).await?.unwrap_or_default();
        Ok(applied(req.id, &arn))
    }

    async fn delete(&self, req: Delete<'_, SchedulerScheduleGroup>) -> Result<(), ProviderError> {
        ignore_not_found(
            self.ctx
                .scheduler()
                .delete_schedule_group()
                .name(req.id)
                .send()
                .await
                .map(|_| ())
                .map_err(Self::err),
        )?;
        wait_for("the schedule group to be deleted", STATE_WAIT, || async {
            Ok(self.get(req.id).await?.is_none().then_some(()))
        })
        .await
    }

    async fn find(&self, req: Find<'_, SchedulerScheduleGroup>) -> Result<Option<Applied>, ProviderError> {
        let name = &req.props.name;
        match self.get(name).await? {
            Some(arn) if self.ours(&arn, &req).await? => Ok(Some(applied(name, &arn))),
            _ => Ok(None),
        }
    }
}
