//! Preview environments for the CLI: recording one as `up --from` makes
//! it, and the rows of `gantry preview list` (age, expiry, monthly cost
//! from the price table). The model side (what a preview is built as) is
//! `gantry_model::preview`; the record is `gantry_state::preview`.

use crate::ops::{OpsError, Workspace};
use gantry_state::PreviewRecord;
use serde::Serialize;
use std::time::Duration;
use time::OffsetDateTime;

/// Writes (or extends) the workspace's preview record: created when first
/// made, expiring `ttl` after `now`.
pub fn record(
    ws: &Workspace,
    ttl: Duration,
    now: OffsetDateTime,
) -> Result<PreviewRecord, OpsError> {
    let from = ws
        .preview_from
        .clone()
        .expect("a preview workspace knows what it is built from");
    let created_at = ws.backend.read_preview()?.map_or(now, |r| r.created_at);
    let rec = PreviewRecord {
        env: ws.model.env.clone(),
        from,
        created_at,
        expires_at: now + ttl,
    };
    ws.backend.write_preview(&rec)?;
    Ok(rec)
}

/// One line of `gantry preview list`.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub env: String,
    pub from: String,
    pub created_at: String,
    pub expires_at: String,
    /// Seconds since it was made.
    pub age_secs: i64,
    pub expired: bool,
    /// The monthly estimate of its desired resources (`None` when the
    /// price table could not price it).
    pub monthly_usd: Option<f64>,
}

/// `3d4h`, `5m`, `12s`: the largest two units.
pub fn short_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// The rows as a table.
pub fn render(rows: &[Row], now: OffsetDateTime) -> String {
    use std::fmt::Write as _;
    if rows.is_empty() {
        return "No preview environments.\n".to_string();
    }
    let mut out = format!(
        "{:<16} {:<10} {:>8}  {:<22} {:>12}\n",
        "preview", "from", "age", "expires", "monthly"
    );
    let mut total = 0.0;
    for r in rows {
        let left = time::OffsetDateTime::parse(
            &r.expires_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|t| (t - now).whole_seconds())
        .unwrap_or(0);
        let expires = if r.expired {
            format!("expired {} ago", short_duration(-left))
        } else {
            format!("in {}", short_duration(left))
        };
        total += r.monthly_usd.unwrap_or(0.0);
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:>8}  {:<22} {:>12}",
            r.env,
            r.from,
            short_duration(r.age_secs),
            expires,
            r.monthly_usd
                .map_or("?".to_string(), |v| format!("{}/mo", gantry_cost::usd(v)))
        );
    }
    let _ = writeln!(
        out,
        "{} preview(s), {} a month together.",
        rows.len(),
        gantry_cost::usd(total)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(12), "12s");
        assert_eq!(short_duration(300), "5m");
        assert_eq!(short_duration(3 * 3600 + 60), "3h01m");
        assert_eq!(short_duration(7 * 86_400 + 3 * 3600), "7d3h");
    }
}
