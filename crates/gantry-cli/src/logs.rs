//! `gantry logs` below the command: which log groups a service's lines are
//! in (from the state), what `--since` means, and how a line and a query's
//! rows are written. The reading itself is `gantry_aws::logs`.

use crate::ops::{OpsError, Workspace};
use gantry_aws::logs::{Event, Filter, QueryResult};
use gantry_core::{kinds, Address};
use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where one service's lines are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub service: String,
    pub group: String,
}

/// What `gantry logs` was asked for that the spec or state cannot answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LogsError {
    #[error("the spec has no service `{name}`")]
    #[diagnostic(code(gantry::logs), help("its services: {known}"))]
    UnknownService { name: String, known: String },
    #[error("the service `{name}` has no container `{container}`")]
    #[diagnostic(code(gantry::logs), help("its containers: {known}"))]
    UnknownContainer {
        name: String,
        container: String,
        known: String,
    },
    #[error("{what} has no log group yet in {stack}")]
    #[diagnostic(
        code(gantry::logs),
        help("run `gantry up` first: log groups are created with the stack")
    )]
    NotCreated { what: String, stack: String },
    #[error("`--since {0}` is neither a duration (`10m`, `1h30m`, `2d`) nor a time (RFC 3339, `2026-12-01T09:00:00Z`)")]
    #[diagnostic(code(gantry::usage))]
    Since(String),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ops(#[from] OpsError),
}

/// The log groups of `service` (or of every service), from the state.
pub fn sources(ws: &Workspace, service: Option<&str>) -> Result<Vec<Source>, LogsError> {
    let services: Vec<&str> = ws.model.services.iter().map(|s| s.name.as_str()).collect();
    let wanted: Vec<&str> = match service {
        Some(name) if !services.contains(&name) => {
            return Err(LogsError::UnknownService {
                name: name.to_string(),
                known: services.join(", "),
            })
        }
        Some(name) => vec![name],
        None => services,
    };
    let state = ws.read_state().map_err(OpsError::from)?;
    let out: Vec<Source> = wanted
        .iter()
        .filter_map(|s| {
            state
                .get(&Address::of(kinds::LOG_GROUP, s))
                .map(|r| Source {
                    service: s.to_string(),
                    group: r.id.clone(),
                })
        })
        .collect();
    if out.is_empty() {
        return Err(LogsError::NotCreated {
            what: service.map_or("no service".to_string(), |s| format!("`{s}`")),
            stack: ws.label(),
        });
    }
    Ok(out)
}

/// Every log group the stack records (services, flow logs, ...), for
/// queries over the whole stack.
pub fn stack_groups(ws: &Workspace) -> Result<Vec<String>, LogsError> {
    let state = ws.read_state().map_err(OpsError::from)?;
    let groups: Vec<String> = state
        .resources
        .iter()
        .filter(|(a, _)| a.kind() == kinds::LOG_GROUP)
        .map(|(_, r)| r.id.clone())
        .collect();
    if groups.is_empty() {
        return Err(LogsError::NotCreated {
            what: "the stack".into(),
            stack: ws.label(),
        });
    }
    Ok(groups)
}

/// The filter for `sources`, one container's streams with `container`
/// (checked against the spec).
pub fn filter(
    ws: &Workspace,
    sources: &[Source],
    container: Option<&str>,
    pattern: Option<&str>,
) -> Result<Filter, LogsError> {
    if let Some(c) = container {
        for s in sources {
            let svc = ws.model.services.iter().find(|x| x.name == s.service);
            let names: Vec<&str> = svc
                .map(|x| x.containers.iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default();
            if !names.contains(&c) {
                return Err(LogsError::UnknownContainer {
                    name: s.service.clone(),
                    container: c.to_string(),
                    known: names.join(", "),
                });
            }
        }
    }
    Ok(Filter {
        groups: sources.iter().map(|s| s.group.clone()).collect(),
        stream_prefix: container.map(Filter::container_prefix),
        pattern: pattern.map(str::to_string),
    })
}

/// `--since` as milliseconds since the epoch: a duration before `now`, or
/// an RFC 3339 time.
pub fn since(arg: &str, now: SystemTime) -> Result<i64, LogsError> {
    if let Ok(d) = humantime::parse_duration(arg) {
        let at = now.checked_sub(d).unwrap_or(UNIX_EPOCH);
        return Ok(millis(at));
    }
    OffsetDateTime::parse(arg, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| LogsError::Since(arg.to_string()))
}

/// Milliseconds since the epoch.
pub fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as i64
}

/// An event's time as RFC 3339 in UTC, to the millisecond.
pub fn timestamp(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The service whose group holds `e`.
fn service_of<'a>(sources: &'a [Source], e: &Event) -> &'a str {
    sources
        .iter()
        .find(|s| s.group == e.group)
        .map_or("", |s| s.service.as_str())
}

/// One line of text: time, then `[service container task]`, then the
/// message (the task id shortened to 8 characters, as the ECS console
/// shows it).
pub fn line(sources: &[Source], e: &Event) -> String {
    let task = e.task().map_or("-", |t| &t[..t.len().min(8)]);
    let container = e.container().unwrap_or(&e.stream);
    format!(
        "{} [{} {container} {task}] {}",
        timestamp(e.timestamp),
        service_of(sources, e),
        e.message
    )
}

/// One line of JSON (`--json`).
pub fn json_line(sources: &[Source], e: &Event) -> String {
    serde_json::json!({
        "timestamp": timestamp(e.timestamp),
        "service": service_of(sources, e),
        "container": e.container(),
        "task": e.task(),
        "group": e.group,
        "stream": e.stream,
        "message": e.message,
    })
    .to_string()
}

/// A query's rows as a table, with a last line of counts.
pub fn table(r: &QueryResult) -> String {
    let mut out = String::new();
    let widths: Vec<usize> = r
        .fields
        .iter()
        .map(|f| {
            r.rows
                .iter()
                .map(|row| row.get(f).map_or(0, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
                .max(f.len())
        })
        .collect();
    let row_text = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:w$}  ");
            }
        }
        l.trim_end().to_string()
    };
    if !r.fields.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            row_text(r.fields.iter().map(String::as_str).collect())
        );
        let _ = writeln!(
            out,
            "{}",
            row_text(
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect()
            )
        );
    }
    for row in &r.rows {
        let cells: Vec<&str> = r
            .fields
            .iter()
            .map(|f| row.get(f).map_or("", String::as_str))
            .collect();
        let _ = writeln!(out, "{}", row_text(cells));
    }
    let _ = writeln!(
        out,
        "{} row{} ({} records scanned, {} matched)",
        r.rows.len(),
        if r.rows.len() == 1 { "" } else { "s" },
        r.scanned,
        r.matched
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn since_takes_durations_and_times() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(since("10m", now).unwrap(), (10_000 - 600) * 1000);
        assert_eq!(since("1h 30m", now).unwrap(), (10_000 - 5400) * 1000);
        assert_eq!(since("1970-01-01T00:00:05Z", now).unwrap(), 5000);
        assert!(matches!(since("yesterday", now), Err(LogsError::Since(_))));
    }

    #[test]
    fn a_line_names_service_container_and_task() {
        let sources = vec![Source {
            service: "web".into(),
            group: "/gantry/s/dev/web".into(),
        }];
        let e = Event {
            timestamp: 1_764_640_923_456,
            group: "/gantry/s/dev/web".into(),
            stream: "app/app/0f3c2a1b9d8e4f5a".into(),
            message: "GET / 200".into(),
            id: "1".into(),
        };
        assert_eq!(
            line(&sources, &e),
            "2025-12-02T02:02:03.456Z [web app 0f3c2a1b] GET / 200"
        );
        let j: serde_json::Value = serde_json::from_str(&json_line(&sources, &e)).unwrap();
        assert_eq!(j["task"], "0f3c2a1b9d8e4f5a");
        assert_eq!(j["container"], "app");
    }

    #[test]
    fn a_query_prints_as_a_table() {
        let row = |t: &str, m: &str| {
            BTreeMap::from([
                ("@timestamp".to_string(), t.to_string()),
                ("@message".to_string(), m.to_string()),
            ])
        };
        let r = QueryResult {
            fields: vec!["@timestamp".into(), "@message".into()],
            rows: vec![
                row("2026-12-02 01:00:00.000", "ERROR boom"),
                row("2026-12-02 00:59:00.000", "ERROR x"),
            ],
            scanned: 10.0,
            matched: 2.0,
        };
        insta::assert_snapshot!(table(&r), @r"
        @timestamp               @message
        -----------------------  ----------
        2026-12-02 01:00:00.000  ERROR boom
        2026-12-02 00:59:00.000  ERROR x
        2 rows (10 records scanned, 2 matched)
        ");
    }
}
