//! Validation of what operates the app: `alerts` (addresses, thresholds),
//! and each service's `scaling` (bounds, target values, schedules), plus the
//! defaults the model shares with it.
//!
//! Cron expressions and time zones are checked for their shape only
//! (Application Auto Scaling's cron has six fields, one of the two day
//! fields `?`; a zone is an IANA `Area/Location` name): Gantry carries no
//! time zone database, and AWS refuses a zone it does not know at apply.

use crate::diag::Problems;
use crate::edge::{default_lb, DEFAULT_LB};
use crate::span::{Pos, Sp};
use crate::types::{Alerts, Scaling, ScheduleEntry, Service, Spec};
use crate::validate::check_name_pub;

/// Most tasks a scalable target may have (ECS's service quota).
pub const MAX_TASKS: u32 = 1000;
/// Most requests per target a policy may aim at.
pub const MAX_REQUESTS_PER_TARGET: u32 = 1_000_000;

/// The areas of IANA time zone names (plus `UTC` and `GMT` alone).
const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// Checks of one (possibly overlay-merged) view of the spec.
pub(crate) fn check_view(spec: &Spec, p: &mut Problems) {
    if let Some(a) = &spec.alerts {
        check_alerts(a, p);
    }
    for (name, svc) in &spec.services {
        if let Some(sc) = &svc.scaling {
            check_scaling(spec, name, svc, sc, p);
        }
    }
}

/// Whether `s` looks like an email address SNS accepts: one `@`, a local
/// part and a dotted domain, no spaces, at most 254 characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !local.contains(['@', '<', '>', '(', ')', ',', ';', ':', '"', '[', ']', '\\'])
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

fn check_alerts(a: &Sp<Alerts>, p: &mut Problems) {
    if a.enabled.as_ref().is_some_and(|e| !e.value) {
        return;
    }
    if a.email.is_empty() {
        p.push(
            a.pos,
            "`alerts` has no `email` address",
            "list the addresses to notify, like `email: [ops@example.com]`, or set `enabled: false`"
                .to_string(),
        );
    }
    for (i, e) in a.email.iter().enumerate() {
        if !is_email(e) {
            p.push(
                e.pos,
                format!("invalid email address `{}`", e.value),
                "write an address like `ops@example.com`".to_string(),
            );
        } else if let Some(first) = a.email[..i]
            .iter()
            .find(|x| x.value.eq_ignore_ascii_case(&e.value))
        {
            p.push(
                e.pos,
                format!("duplicate email address `{}`", e.value),
                format!("it is already listed at line {}", first.pos.line),
            );
        }
    }
    let t = &a.thresholds;
    for (key, v) in [
        ("cpu", &t.cpu),
        ("memory", &t.memory),
        ("db_cpu", &t.db_cpu),
        ("redis_memory", &t.redis_memory),
        ("redis_cpu", &t.redis_cpu),
        ("site_5xx_rate", &t.site_5xx_rate),
    ] {
        if let Some(v) = v {
            if !(v.value > 0.0 && v.value <= 100.0) {
                p.push(
                    v.pos,
                    format!("threshold `{key}` {} is not a percentage", v.value),
                    "use a percentage above 0 and at most 100".to_string(),
                );
            }
        }
    }
    if let Some(v) = &t.response_time {
        if !(v.value > 0.0 && v.value <= 60.0) {
            p.push(
                v.pos,
                format!("threshold `response_time` {} is out of range", v.value),
                "give seconds above 0 and at most 60 (the load balancer's longest useful wait)"
                    .to_string(),
            );
        }
    }
    for (key, v, max) in [
        ("http_5xx", &t.http_5xx, 1_000_000),
        ("unhealthy_targets", &t.unhealthy_targets, MAX_TASKS),
        ("db_free_storage_gib", &t.db_free_storage_gib, 65_536),
        ("db_connections", &t.db_connections, 262_143),
        ("api_5xx", &t.api_5xx, 1_000_000),
    ] {
        if let Some(v) = v {
            if !(1..=max).contains(&v.value) {
                p.push(
                    v.pos,
                    format!("threshold `{key}` {} is out of range", v.value),
                    format!("use 1 to {max}"),
                );
            }
        }
    }
}

/// The service's target groups: its routed containers times the load
/// balancers they are routed from.
pub fn target_groups(spec: &Spec, svc: &Service) -> Vec<(String, String)> {
    let default = default_lb(spec).unwrap_or(DEFAULT_LB);
    let mut out: Vec<(String, String)> = Vec::new();
    for (cname, c) in &svc.containers {
        for r in &c.routes {
            let key = (cname.value.clone(), r.lb().unwrap_or(default).to_string());
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}

fn check_scaling(
    spec: &Spec,
    sname: &Sp<String>,
    svc: &Service,
    sc: &Sp<Scaling>,
    p: &mut Problems,
) {
    let min = sc.min.as_ref().map_or(1, |m| m.value);
    let Some(max) = &sc.max else {
        p.push(
            sc.pos,
            format!("`scaling` of service `{}` has no `max`", sname.value),
            "add the most tasks the scaler may run, like `max: 4`".to_string(),
        );
        return;
    };
    if let Some(m) = &sc.min {
        if m.value > MAX_TASKS {
            p.push(
                m.pos,
                format!("scaling min {} is too large", m.value),
                format!("use 0 to {MAX_TASKS}"),
            );
        }
    }
    if !(1..=MAX_TASKS).contains(&max.value) {
        p.push(
            max.pos,
            format!("scaling max {} is out of range", max.value),
            format!("use 1 to {MAX_TASKS}"),
        );
    }
    if min > max.value {
        p.push(
            sc.min.as_ref().map_or(max.pos, |m| m.pos),
            format!("scaling min {min} is above max {}", max.value),
            "min must be at most max".to_string(),
        );
    }
    // An inverted range is reported once, above, not again through the count.
    if let Some(d) = svc.desired_count.as_ref().filter(|_| min <= max.value) {
        if d.value < min || d.value > max.value {
            p.push(
                d.pos,
                format!(
                    "desired_count {} of service `{}` is outside its scaling range {min} to {}",
                    d.value, sname.value, max.value
                ),
                format!(
                    "with scaling (line {}), desired_count is the first count and must be between min and max",
                    sc.pos.line
                ),
            );
        }
    }
    for (key, v) in [("cpu", &sc.cpu), ("memory", &sc.memory)] {
        if let Some(v) = v {
            if !(1..=100).contains(&v.value) {
                p.push(
                    v.pos,
                    format!("scaling {key} target {} is not a percentage", v.value),
                    "use 1 to 100 (the average the scaler keeps the service at)".to_string(),
                );
            }
        }
    }
    if let Some(r) = &sc.requests_per_target {
        if !(1..=MAX_REQUESTS_PER_TARGET).contains(&r.value) {
            p.push(
                r.pos,
                format!("requests_per_target {} is out of range", r.value),
                format!("use 1 to {MAX_REQUESTS_PER_TARGET}"),
            );
        }
        match target_groups(spec, svc).len() {
            0 => p.push(
                r.pos,
                format!(
                    "requests_per_target on service `{}`, which no load balancer routes to",
                    sname.value
                ),
                "give a container `routes:`, or scale on `cpu` or `memory`".to_string(),
            ),
            1 => {}
            n => p.push(
                r.pos,
                format!(
                    "requests_per_target on service `{}`, which has {n} target groups",
                    sname.value
                ),
                "the scaler counts the requests of one target group: route one container from one load balancer, or scale on `cpu` or `memory`".to_string(),
            ),
        }
    }
    if sc.cpu.is_none()
        && sc.memory.is_none()
        && sc.requests_per_target.is_none()
        && sc.schedule.is_empty()
    {
        p.push(
            sc.pos,
            format!(
                "`scaling` of service `{}` has nothing to scale on",
                sname.value
            ),
            "add `cpu`, `memory` or `requests_per_target` targets, or a `schedule`".to_string(),
        );
    }
    let mut names: Vec<(String, Pos)> = Vec::new();
    for (i, e) in sc.schedule.iter().enumerate() {
        check_schedule(e, p);
        let name = schedule_name(e, i);
        if let Some(n) = &e.name {
            check_name_pub(p, "schedule name", n, 32);
        }
        let pos = e.name.as_ref().map_or(e.cron.pos, |n| n.pos);
        if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
            p.push(
                pos,
                format!(
                    "duplicate schedule name `{name}` in service `{}`",
                    sname.value
                ),
                format!(
                    "the schedule at line {} has it; give each a `name`",
                    first.line
                ),
            );
        }
        names.push((name, pos));
    }
}

/// A schedule entry's name: its own, else `schedule-N` (N from 1).
pub fn schedule_name(e: &ScheduleEntry, index: usize) -> String {
    e.name
        .as_ref()
        .map_or_else(|| format!("schedule-{}", index + 1), |n| n.value.clone())
}

fn check_schedule(e: &ScheduleEntry, p: &mut Problems) {
    if let Err(why) = check_cron(&e.cron) {
        p.push(
            e.cron.pos,
            format!("invalid cron `{}`: {why}", e.cron.value),
            "write `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)` with `?` for one of the day fields, like `cron(0 20 ? * MON-FRI *)`".to_string(),
        );
    }
    if let Some(tz) = &e.timezone {
        if !is_timezone(tz) {
            p.push(
                tz.pos,
                format!("invalid time zone `{}`", tz.value),
                "use an IANA time zone name like `Europe/Paris`, `America/New_York` or `UTC`"
                    .to_string(),
            );
        }
    }
    if e.min.is_none() && e.max.is_none() {
        p.push(
            e.cron.pos,
            "a schedule that sets neither `min` nor `max`",
            "give the min and/or max task count from that time on, like `min: 0, max: 0`"
                .to_string(),
        );
    }
    for v in [&e.min, &e.max].into_iter().flatten() {
        if v.value > MAX_TASKS {
            p.push(
                v.pos,
                format!("scheduled task count {} is too large", v.value),
                format!("use 0 to {MAX_TASKS}"),
            );
        }
    }
    if let (Some(lo), Some(hi)) = (&e.min, &e.max) {
        if lo.value > hi.value {
            p.push(
                lo.pos,
                format!("scheduled min {} is above max {}", lo.value, hi.value),
                "min must be at most max".to_string(),
            );
        }
    }
}

/// Whether `tz` has the shape of an IANA time zone name.
pub fn is_timezone(tz: &str) -> bool {
    if tz == "UTC" || tz == "GMT" {
        return true;
    }
    let mut parts = tz.split('/');
    let area = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    TZ_AREAS.contains(&area)
        && (1..=2).contains(&rest.len())
        && rest.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        })
}

/// Checks an Application Auto Scaling cron expression's shape.
pub fn check_cron(cron: &str) -> Result<(), String> {
    let inner = cron
        .strip_prefix("cron(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or("it must be written `cron(...)`")?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!("it has {} fields, not 6", fields.len()));
    }
    let allowed = |f: &str| {
        f.chars()
            .all(|c| c.is_ascii_alphanumeric() || "*?,-/#".contains(c))
    };
    if let Some(bad) = fields.iter().find(|f| !allowed(f)) {
        return Err(format!("`{bad}` is not a cron field"));
    }
    match (fields[2] == "?", fields[4] == "?") {
        (true, true) | (false, false) => {
            return Err("exactly one of day-of-month and day-of-week must be `?`".to_string())
        }
        _ => {}
    }
    for (i, (what, max)) in [(0, ("minute", 59)), (1, ("hour", 23))] {
        for part in fields[i].split([',', '-', '/']) {
            if let Ok(n) = part.parse::<u32>() {
                if n > max {
                    return Err(format!("{what} {n} is above {max}"));
                }
            } else if part != "*" {
                return Err(format!("`{}` is not a {what}", fields[i]));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("ops@example.com"));
        assert!(is_email("first.last+alerts@mail.example.co.uk"));
        for bad in [
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "o ps@example.com",
            "ops@exa_mple.com",
            "ops@example.c0m",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn crons_and_zones() {
        assert_eq!(check_cron("cron(0 20 ? * MON-FRI *)"), Ok(()));
        assert_eq!(check_cron("cron(30 7 ? * MON-FRI *)"), Ok(()));
        assert_eq!(check_cron("cron(0 0 1 * ? *)"), Ok(()));
        assert!(check_cron("0 20 * * 1-5").is_err());
        assert!(check_cron("cron(0 20 * * MON-FRI *)")
            .unwrap_err()
            .contains('?'));
        assert!(check_cron("cron(0 20 ? * MON-FRI)")
            .unwrap_err()
            .contains("5 fields"));
        assert!(check_cron("cron(0 25 ? * MON-FRI *)")
            .unwrap_err()
            .contains("hour 25"));
        assert!(is_timezone("Europe/Paris") && is_timezone("America/Argentina/Buenos_Aires"));
        assert!(is_timezone("UTC") && is_timezone("Etc/GMT+3"));
        assert!(!is_timezone("Paris") && !is_timezone("Europe/") && !is_timezone("Mars/Olympus"));
    }
}
