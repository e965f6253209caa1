//! `scheduler_schedule`: an EventBridge Scheduler schedule in the stack's
//! schedule group, running a job's ECS task on Fargate in the private
//! subnets (no public IP), with retries and a dead-letter queue. The id is
//! `GROUP/NAME`; outputs `id`, `arn`, `name`.
//!
//! Schedules take no tags: they live inside their group, which is tagged
//! and listed, and go when it goes. CreateSchedule fails with a conflict
//! when the name is taken in the group; since names are deterministic and
//! the group is the stack's, that schedule is this address's (a reply lost
//! after the create) and is brought to these settings. UpdateSchedule
//! replaces a schedule whole.

use crate::context::AwsContext;
use crate::error::has_code;
use crate::shape::*;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_scheduler::types::{
    FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use gantry_core::kinds::{EcsTaskTarget, SchedulerSchedule};
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

super::ecs_target::ecs_target!(aws_sdk_scheduler);

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn built<T>(r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new("InvalidProperties", format!("scheduler_schedule: {e}")))
}

fn split(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(g, n)| !g.is_empty() && !n.is_empty())
        .ok_or_else(|| ProviderError::new("InvalidId", format!("scheduler_schedule: `{id}` is not GROUP/NAME")))
}

fn applied(group: &str, name: &str, arn: &str) -> Applied {
    Applied {
        id: format!("{group}/{name}"),
        outputs: outputs([
            ("id", format!("{group}/{name}")),
            ("arn", arn.to_string()),
            ("name", name.to_string()),
        ]),
    }
}

/// The Scheduler target running `t`.
fn target(t: &EcsTaskTarget) -> Result<Target, ProviderError> {
    let ecs = ecs_parameters(t)?;
    let (dead_letter, retry) = delivery(t);
    built(
        Target::builder()
            .arn(&t.cluster_arn)
            .role_arn(&t.role_arn)
            .ecs_parameters(ecs)
            .dead_letter_config(dead_letter)
            .retry_policy(retry)
            .build(),
    )
}

/// What Scheduler holds as the target, in the kind's terms.
fn target_of(t: &Target) -> EcsTaskTarget {
    let mut out = EcsTaskTarget {
        cluster_arn: t.arn().to_string(),
        role_arn: t.role_arn().to_string(),
        ..Default::default()
    };
    read_ecs(t.ecs_parameters(), &mut out);
    read_delivery(t.dead_letter_config(), t.retry_policy(), &mut out);
    out
}

fn window() -> Result<FlexibleTimeWindow, ProviderError> {
    built(FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build())
}

impl Provider {
    /// Creates, or with `update` replaces, the schedule; its ARN.
    async fn put(&self, p: &SchedulerSchedule, update: bool) -> Result<String, ProviderError> {
        let s = self.ctx.scheduler();
        let target = target(&p.target)?;
        let arn = if update {
            s.update_schedule()
                .name(&p.name)
                .group_name(&p.group_name)
                .description(&p.description)
                .schedule_expression(&p.schedule_expression)
                .schedule_expression_timezone(&p.timezone)
                .flexible_time_window(window()?)
                .state(ScheduleState::Enabled)
                .target(target)
                .send()
                .await
                .map_err(Self::err)?
                .schedule_arn
        } else {
            s.create_schedule()
                .name(&p.name)
                .group_name(&p.group_name)
                .description(&p.description)
                .schedule_expression(&p.schedule_expression)
                .schedule_expression_timezone(&p.timezone)
                .flexible_time_window(window()?)
                .state(ScheduleState::Enabled)
                .target(target)
                .send()
                .await
                .map_err(Self::err)?
                .schedule_arn
        };
        Ok(arn)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SchedulerSchedule;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(gantry_core::kinds::SCHEDULER_SCHEDULE_GROUP);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SchedulerSchedule>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let arn = match self.put(p, false).await {
            Ok(arn) => arn,
            // Deterministic name in the stack's own group: ours.
            Err(e) if has_code(&e, &["ConflictException"]) => self.put(p, true).await?,
            Err(e) => return Err(e),
        };
        Ok(applied(&p.group_name, &p.name, &arn))
    }

    async fn read(&self, items: &[Item<'_, SchedulerSchedule>]) -> Result<Vec<Seen<SchedulerSchedule>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, _| async move {
            let (group, name) = split(&id)?;
            let o = self
                .ctx
                .scheduler()
                .get_schedule()
                .name(name)
                .group_name(group)
                .send()
                .await
                .map_err(Self::err)?;
            let arn = o.arn().unwrap_or_default().to_string();
            let props = SchedulerSchedule {
                name: name.to_string(),
                group_name: group.to_string(),
                description: o.description().unwrap_or_default().to_string(),
                schedule_expression: o.schedule_expression().unwrap_or_default().to_string(),
                timezone: o.schedule_expression_timezone().unwrap_or("UTC").to_string(),
                // Scheduler requires a target: every schedule has one.
                target: target_of(required(o.target(), "GetSchedule", "Target")?),
            };
            Ok(Some(Seen::new(id.clone(), props, applied(group, name, &arn).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, SchedulerSchedule>) -> Result<Applied, ProviderError> {
        let arn = self.put(&req.new, true).await?;
        Ok(applied(&req.new.group_name, &req.new.name, &arn))
    }

    async fn delete(&self, req: Delete<'_, SchedulerSchedule>) -> Result<(), ProviderError> {
        let (group, name) = split(req.id)?;
        self.ctx
            .scheduler()
            .delete_schedule()
            .name(name)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, SchedulerSchedule>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let got = found(
            self.ctx
                .scheduler()
                .get_schedule()
                .name(&p.name)
                .group_name(&p.group_name)
                .send()
                .await
                .map_err(Self::err),
        )?;
        Ok(got.map(|o| applied(&p.group_name, &p.name, o.arn().unwrap_or_default())))
    }
}
