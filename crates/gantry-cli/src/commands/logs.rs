//! `gantry logs [SERVICE]`: a service's lines in time order (`--follow` to
//! keep reading until Ctrl-C), or a Logs Insights `--query`. Reads only:
//! takes no lock.

use gantry_aws::logs::{self as aws_logs, Follower};
use gantry_cli::cli::{Global, LogsArgs};
use gantry_cli::exit;
use gantry_cli::logs::{self, Source};
use gantry_cli::ops::{self, Workspace};
use std::time::{Duration, SystemTime};

/// How long a follower waits between reads: from the first to the last as
/// reads keep finding nothing, back to the first once one finds lines.
const FOLLOW_WAIT: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(10));

pub async fn run(g: &Global, a: &LogsArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let now = SystemTime::now();
    let start = logs::since(&a.since, now)?;
    let ctx = ops::connect(&ws.model).await?;
    let err = |e: gantry_core::ProviderError| miette::miette!("{e}");
    if let Some(q) = &a.query {
        let groups = match &a.service {
            Some(_) => logs::sources(&ws, a.service.as_deref())?
                .into_iter()
                .map(|s| s.group)
                .collect(),
            None => logs::stack_groups(&ws)?,
        };
        let end = logs::millis(now) / 1000;
        let r = aws_logs::query(&ctx, &groups, q, start / 1000, end, aws_logs::QUERY_TIMEOUT)
            .await
            .map_err(err)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r).expect("serializes"));
        } else {
            print!("{}", logs::table(&r));
        }
        return Ok(exit::OK);
    }
    let sources = logs::sources(&ws, a.service.as_deref())?;
    let filter = logs::filter(&ws, &sources, a.container.as_deref(), a.filter.as_deref())?;
    let print = |events: &[aws_logs::Event], sources: &[Source]| {
        for e in events {
            if a.json {
                println!("{}", logs::json_line(sources, e));
            } else {
                println!("{}", logs::line(sources, e));
            }
        }
    };
    if !a.follow {
        let events = aws_logs::events(&ctx, &filter, start, None)
            .await
            .map_err(err)?;
        print(&events, &sources);
        return Ok(exit::OK);
    }
    let mut follower = Follower::new(filter, start);
    let mut wait = FOLLOW_WAIT.0;
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let fresh = tokio::select! {
            r = follower.poll(&ctx) => r.map_err(err)?,
            _ = &mut stop => return Ok(exit::OK),
        };
        print(&fresh, &sources);
        wait = if fresh.is_empty() {
            (wait * 2).min(FOLLOW_WAIT.1)
        } else {
            FOLLOW_WAIT.0
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut stop => return Ok(exit::OK),
        }
    }
}
