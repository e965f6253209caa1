//! What `gantry logs` reads: a service's log events from CloudWatch Logs in
//! time order, a follower that keeps reading them as they arrive, and Logs
//! Insights queries over the stack's log groups.
//!
//! ECS's `awslogs` driver names a stream `PREFIX/CONTAINER/TASK-ID`, and
//! Gantry's task definitions use the container's name as the prefix, so a
//! stream names its task and container ([`Event::task`],
//! [`Event::container`]) and one container's streams share the prefix
//! `NAME/NAME/`.
//!
//! CloudWatch Logs indexes events a little after they are written and
//! accepts timestamps in the past, so an event can become visible with a
//! timestamp older than the newest one already seen. The [`Follower`]
//! therefore reads again from [`LATE_WINDOW`] before its newest event and
//! drops what it has already returned (by event id), instead of only
//! asking for what is newer: late events within that window still appear.

use crate::context::AwsContext;
use crate::error::aws_error;
use futures::future::try_join_all;
use gantry_core::ProviderError;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// How far behind its newest event a [`Follower`] reads again, for events
/// indexed late.
pub const LATE_WINDOW: Duration = Duration::from_secs(30);

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// Milliseconds since the epoch (the event's own time).
    pub timestamp: i64,
    /// The log group.
    pub group: String,
    /// The log stream (`PREFIX/CONTAINER/TASK-ID` for ECS tasks).
    pub stream: String,
    pub message: String,
    /// CloudWatch Logs' id of the event.
    #[serde(skip)]
    pub id: String,
}

impl Event {
    /// The container that wrote it (from an ECS stream name).
    pub fn container(&self) -> Option<&str> {
        ecs_stream(&self.stream).map(|(c, _)| c)
    }

    /// The id of the task that wrote it (from an ECS stream name).
    pub fn task(&self) -> Option<&str> {
        ecs_stream(&self.stream).map(|(_, t)| t)
    }
}

/// The container and task id of an `awslogs` stream name.
fn ecs_stream(stream: &str) -> Option<(&str, &str)> {
    let mut parts = stream.splitn(3, '/');
    let (_prefix, container, task) = (parts.next()?, parts.next()?, parts.next()?);
    (!container.is_empty() && !task.is_empty()).then_some((container, task))
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Log group names (read concurrently, merged by time).
    pub groups: Vec<String>,
    /// Only streams starting with this (one container: `NAME/NAME/`).
    pub stream_prefix: Option<String>,
    /// A CloudWatch Logs filter pattern (`ERROR`, `"request completed"`,
    /// `{ $.level = "error" }`).
    pub pattern: Option<String>,
}

impl Filter {
    /// The stream prefix of one container's streams.
    pub fn container_prefix(container: &str) -> String {
        format!("{container}/{container}/")
    }
}

/// Every event of `filter` from `start` up to `end` (milliseconds since the
/// epoch; `None`: now), in time order (events of one millisecond in the
/// order CloudWatch Logs returns them). A log group that does not exist
/// has no events.
pub async fn events(
    ctx: &AwsContext,
    filter: &Filter,
    start: i64,
    end: Option<i64>,
) -> Result<Vec<Event>, ProviderError> {
    let per_group = try_join_all(
        filter
            .groups
            .iter()
            .map(|g| group_events(ctx, g, filter, start, end)),
    )
    .await?;
    let mut out: Vec<Event> = per_group.into_iter().flatten().collect();
    // A stable sort keeps each group's own order within a millisecond.
    out.sort_by_key(|e| e.timestamp);
    Ok(out)
}

async fn group_events(
    ctx: &AwsContext,
    group: &str,
    filter: &Filter,
    start: i64,
    end: Option<i64>,
) -> Result<Vec<Event>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let r = ctx
            .logs()
            .filter_log_events()
            .log_group_name(group)
            .start_time(start)
            .set_end_time(end)
            .set_log_stream_name_prefix(filter.stream_prefix.clone())
            .set_filter_pattern(filter.pattern.clone())
            .set_next_token(token.take())
            .send()
            .await;
        let page = match r {
            Ok(p) => p,
            Err(e) => {
                let e = aws_error(e, &["ResourceNotFoundException"]);
                if e.kind == gantry_core::ErrorKind::NotFound {
                    return Ok(out);
                }
                return Err(e);
            }
        };
        for e in page.events() {
            out.push(Event {
                timestamp: e.timestamp().unwrap_or_default(),
                group: group.to_string(),
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().trim_end().to_string(),
                id: e.event_id().unwrap_or_default().to_string(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort_by_key(|e| e.timestamp);
    Ok(out)
}

/// Reads a filter's events as they arrive: each [`Follower::poll`] returns
/// the events not returned before, in time order.
pub struct Follower {
    filter: Filter,
    /// Where the next read starts (the newest event seen, less
    /// [`LATE_WINDOW`]).
    from: i64,
    /// The ids returned whose timestamps are still inside the window.
    seen: BTreeMap<i64, HashSet<String>>,
}

impl Follower {
    /// A follower of `filter`'s events from `start` (milliseconds).
    pub fn new(filter: Filter, start: i64) -> Self {
        Follower {
            filter,
            from: start,
            seen: BTreeMap::new(),
        }
    }

    /// The events that became visible since the last poll.
    pub async fn poll(&mut self, ctx: &AwsContext) -> Result<Vec<Event>, ProviderError> {
        let got = events(ctx, &self.filter, self.from, None).await?;
        Ok(self.admit(got))
    }

    /// Of a read from `self.from`, the events not returned before; moves
    /// the next read's start to the newest event less [`LATE_WINDOW`].
    fn admit(&mut self, got: Vec<Event>) -> Vec<Event> {
        let fresh: Vec<Event> = got
            .into_iter()
            .filter(|e| {
                !self
                    .seen
                    .get(&e.timestamp)
                    .is_some_and(|ids| ids.contains(&e.id))
            })
            .collect();
        for e in &fresh {
            self.seen
                .entry(e.timestamp)
                .or_default()
                .insert(e.id.clone());
        }
        if let Some(newest) = self.seen.keys().next_back().copied() {
            let window = LATE_WINDOW.as_millis() as i64;
            self.from = self.from.max(newest - window);
            // Ids older than the window are never read again.
            self.seen = self.seen.split_off(&self.from);
        }
        fresh
    }
}

/// A finished Logs Insights query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueryResult {
    /// The fields in the order of the first row that has them (`@ptr`
    /// left out).
    pub fields: Vec<String>,
    /// Each row's values by field.
    pub rows: Vec<BTreeMap<String, String>>,
    /// Records Logs Insights scanned and matched.
    pub scanned: f64,
    pub matched: f64,
}

/// How long a query may run before it is stopped.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs a Logs Insights `query` over `groups` for `start..end` (seconds
/// since the epoch) and waits for its result, polling with backoff; a
/// query still running after `timeout` is stopped and reported as an error.
pub async fn query(
    ctx: &AwsContext,
    groups: &[String],
    query: &str,
    start: i64,
    end: i64,
    timeout: Duration,
) -> Result<QueryResult, ProviderError> {
    let started = ctx
        .logs()
        .start_query()
        .set_log_group_names(Some(groups.to_vec()))
        .query_string(query)
        .start_time(start)
        .end_time(end)
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let id = started
        .query_id()
        .ok_or_else(|| ProviderError::new("MissingId", "StartQuery returned no query id"))?
        .to_string();
    let begun = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let r = ctx
            .logs()
            .get_query_results()
            .query_id(&id)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        use aws_sdk_cloudwatchlogs::types::QueryStatus;
        match r.status() {
            Some(QueryStatus::Complete) => return Ok(query_result(&r)),
            Some(s @ (QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::Timeout)) => {
                return Err(ProviderError::new(
                    "QueryFailed",
                    format!("the Logs Insights query {id} ended {}", s.as_str()),
                ));
            }
            _ => {}
        }
        if begun.elapsed() >= timeout {
            let _ = ctx.logs().stop_query().query_id(&id).send().await;
            return Err(ProviderError::new(
                "QueryTimeout",
                format!(
                    "the Logs Insights query {id} was still running after {}s: stopped",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

fn query_result(
    r: &aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput,
) -> QueryResult {
    let mut fields: Vec<String> = Vec::new();
    let rows = r
        .results()
        .iter()
        .map(|row| {
            let mut values = BTreeMap::new();
            for f in row {
                let (Some(name), value) = (f.field(), f.value()) else {
                    continue;
                };
                if name == "@ptr" {
                    continue;
                }
                if !fields.iter().any(|x| x == name) {
                    fields.push(name.to_string());
                }
                values.insert(name.to_string(), value.unwrap_or_default().to_string());
            }
            values
        })
        .collect();
    let stats = r.statistics();
    QueryResult {
        fields,
        rows,
        scanned: stats.map_or(0.0, |s| s.records_scanned()),
        matched: stats.map_or(0.0, |s| s.records_matched()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_streams_name_their_container_and_task() {
        let e = Event {
            timestamp: 0,
            group: "/gantry/s/dev/web".into(),
            stream: "web/web/0f3c2a1b9d8e4f5a".into(),
            message: "hi".into(),
            id: "1".into(),
        };
        assert_eq!(e.container(), Some("web"));
        assert_eq!(e.task(), Some("0f3c2a1b9d8e4f5a"));
        let other = Event {
            stream: "flow-log-eni-123".into(),
            ..e
        };
        assert_eq!(other.container(), None);
        assert_eq!(Filter::container_prefix("app"), "app/app/");
    }

    fn ev(timestamp: i64, id: &str) -> Event {
        Event {
            timestamp,
            group: "g".into(),
            stream: "app/app/t".into(),
            message: id.into(),
            id: id.into(),
        }
    }

    #[test]
    fn a_follower_returns_each_event_once_and_late_ones_too() {
        let mut f = Follower::new(Filter::default(), 0);
        let ids = |v: Vec<Event>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(
            ids(f.admit(vec![ev(100_000, "a"), ev(100_000, "b")])),
            ["a", "b"]
        );
        // The next read starts a window before the newest event.
        assert_eq!(f.from, 100_000 - 30_000);
        // It sees them again, and one indexed late with an older time.
        let again = vec![
            ev(95_000, "late"),
            ev(100_000, "a"),
            ev(100_000, "b"),
            ev(101_000, "c"),
        ];
        assert_eq!(ids(f.admit(again)), ["late", "c"]);
        assert_eq!(f.from, 101_000 - 30_000);
        // Ids that fell out of the window are forgotten.
        f.admit(vec![ev(200_000, "d")]);
        assert!(f.seen.keys().all(|t| *t >= 170_000), "{:?}", f.seen);
    }
}
