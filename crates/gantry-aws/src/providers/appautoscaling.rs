//! Helpers shared by the Application Auto Scaling providers: the ECS
//! service dimension, `RESOURCE_ID|NAME` ids, tags, and the retries its
//! eventual consistency needs.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::shape::bounded;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use gantry_core::ProviderError;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

/// Codes meaning the target, policy or scheduled action is gone.
pub(crate) const NOT_FOUND: &[&str] = &["ObjectNotFoundException"];

/// How long a write is retried while AWS has not caught up with a service
/// or role it names (Terraform waits as long).
const PROPAGATION: Duration = Duration::from_secs(120);

pub(crate) fn ecs() -> ServiceNamespace {
    ServiceNamespace::Ecs
}

pub(crate) fn desired_count() -> ScalableDimension {
    ScalableDimension::EcsServiceDesiredCount
}

/// The resource id of an ECS service's desired count.
pub(crate) fn service_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// `(cluster, service)` of an ECS resource id.
pub(crate) fn service_of(resource_id: &str) -> Option<(&str, &str)> {
    let rest = resource_id.strip_prefix("service/")?;
    let (cluster, service) = rest.split_once('/')?;
    (!cluster.is_empty() && !service.is_empty() && !service.contains('/'))
        .then_some((cluster, service))
}

/// The id of a policy or scheduled action: `RESOURCE_ID|NAME`.
pub(crate) fn inside_id(resource_id: &str, name: &str) -> String {
    format!("{resource_id}|{name}")
}

/// `(resource id, name)` of a policy or scheduled action id.
pub(crate) fn split_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('|')
}

/// [`split_id`], or an error naming `what` the id was meant to be.
pub(crate) fn split_or_invalid<'a>(
    id: &'a str,
    what: &str,
) -> Result<(&'a str, &'a str), ProviderError> {
    split_id(id).ok_or_else(|| {
        ProviderError::new(
            "InvalidProperties",
            format!("{what} id {id} is not RESOURCE_ID|NAME"),
        )
    })
}

/// The policies or scheduled actions with these ids (`RESOURCE_ID|NAME`):
/// `describe` is called once per target and `batch` names (the APIs filter
/// by one target), the targets concurrently within the service's limit.
pub(crate) async fn read_inside<'i, T, F, Fut>(
    ctx: &AwsContext,
    ids: impl IntoIterator<Item = &'i str>,
    batch: usize,
    describe: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(String, Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut by_target: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (r, n) in ids.into_iter().filter_map(split_id) {
        by_target
            .entry(r.to_string())
            .or_default()
            .push(n.to_string());
    }
    let describe = &describe;
    let found = bounded(
        ctx,
        "application-autoscaling",
        by_target,
        |(r, names)| async move {
            let mut all = Vec::new();
            for chunk in names.chunks(batch) {
                all.extend(describe(r.clone(), chunk.to_vec()).await?);
            }
            Ok(all)
        },
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The resource label of `ALBRequestCountPerTarget`:
/// `app/LB/ID/targetgroup/TG/ID` from the load balancer and target group ARNs.
pub(crate) fn resource_label(lb_arn: &str, tg_arn: &str) -> Option<String> {
    let lb = lb_arn.split_once(":loadbalancer/")?.1;
    let tg = tg_arn.split_once(":targetgroup/")?.1;
    Some(format!("{lb}/targetgroup/{tg}"))
}

/// The tags of a scalable target.
pub(crate) async fn tags_of(
    ctx: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let out = ctx
        .appautoscaling()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(e, &["ResourceNotFoundException", "ObjectNotFoundException"]))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// Runs a write again while AWS answers that what it names is not there
/// yet: a service just created, the service-linked role Application Auto
/// Scaling makes on first use, permissions still propagating.
pub(crate) async fn retry_propagation<T, F, Fut>(mut f: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_secs(1);
    loop {
        match f().await {
            Err(e) if propagating(&e) && start.elapsed() + delay < PROPAGATION => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            other => return other,
        }
    }
}

fn propagating(e: &ProviderError) -> bool {
    match e.code.as_deref() {
        Some("FailedResourceAccessException") => true,
        Some("ValidationException") => {
            e.message.contains("doesn't exist") || e.message.contains("Unable to assume IAM role")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_labels() {
        let r = service_resource_id("app-dev", "web");
        assert_eq!(r, "service/app-dev/web");
        assert_eq!(service_of(&r), Some(("app-dev", "web")));
        assert_eq!(service_of("table/x"), None);
        let id = inside_id(&r, "app-dev-web-cpu");
        assert_eq!(
            split_id(&id),
            Some(("service/app-dev/web", "app-dev-web-cpu"))
        );
        assert_eq!(
            resource_label(
                "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/app-dev/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/app-dev-web-app/943f017f100becff"
            )
            .as_deref(),
            Some("app/app-dev/50dc6c495c0c9188/targetgroup/app-dev-web-app/943f017f100becff")
        );
    }

    #[test]
    fn only_propagation_is_retried() {
        let e = |c: &str, m: &str| ProviderError::new(c, m);
        assert!(propagating(&e(
            "ValidationException",
            "ECS service doesn't exist: service/a/b"
        )));
        assert!(propagating(&e("FailedResourceAccessException", "x")));
        assert!(!propagating(&e(
            "ValidationException",
            "Maximum capacity cannot be less than minimum"
        )));
    }
}
