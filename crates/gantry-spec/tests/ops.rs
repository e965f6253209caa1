//! Diagnostics of `alerts`, `dashboard` and a service's `scaling`: message,
//! hint and `line:col` are asserted exactly; overlays merge key by key.

use gantry_spec::parse_str;
mod common;
use common::*;

const BASE: &str = "name: shop
region: eu-west-1
alerts:
  email: [ops@example.com, oncall@example.com]
  thresholds: {cpu: 85, response_time: 1.5}
services:
  web:
    desired_count: 2
    containers:
      app:
        image: nginx:1.27
        port: 8080
        routes: [/*]
    scaling:
      min: 1
      max: 4
      cpu: 60
      requests_per_target: 1000
      schedule:
        - {name: night, cron: \"cron(0 20 ? * MON-FRI *)\", timezone: Europe/Paris, min: 0, max: 0}
        - {cron: \"cron(0 7 ? * MON-FRI *)\", timezone: Europe/Paris, min: 1, max: 4}
environments:
  dev:
    alerts: {enabled: false}
  prod:
    alerts:
      email: [pager@example.com]
      thresholds: {cpu: 70}
    services:
      web:
        scaling: {min: 2, max: 8, schedule: []}
";

/// Asserts exactly one problem at `line:col` whose message contains `msg`.
#[track_caller]
#[test]
fn base_is_valid_and_overlays_merge() {
    let spec = parse_str("gantry.yaml", BASE).unwrap();
    let dev = spec.for_env("dev").unwrap();
    let a = dev.alerts.as_ref().unwrap();
    assert_eq!(a.enabled.as_ref().map(|e| e.value), Some(false));
    let prod = spec.for_env("prod").unwrap();
    let a = prod.alerts.as_ref().unwrap();
    // `email` replaces the list; thresholds merge key by key.
    let emails: Vec<&str> = a.email.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(emails, ["pager@example.com"]);
    assert_eq!(a.thresholds.cpu.as_ref().unwrap().value, 70.0);
    assert_eq!(a.thresholds.response_time.as_ref().unwrap().value, 1.5);
    // Scaling keys replace the base's one by one; `schedule: []` empties it.
    let sc = &prod
        .services
        .values()
        .next()
        .unwrap()
        .scaling
        .as_ref()
        .unwrap()
        .value;
    assert_eq!(
        (
            sc.min.as_ref().unwrap().value,
            sc.max.as_ref().unwrap().value
        ),
        (2, 8)
    );
    assert_eq!(sc.cpu.as_ref().unwrap().value, 60);
    assert!(sc.schedule.is_empty());
}

#[test]
fn alerts_need_valid_distinct_addresses() {
    let p = one(
        &BASE.replace("email: [ops@example.com, oncall@example.com]", "email: []"),
        4,
        3,
        "no `email`",
    );
    assert!(hint(&p).contains("enabled: false"), "{p}");
    one(
        &BASE.replace("oncall@example.com", "oncall@example"),
        4,
        28,
        "invalid email address `oncall@example`",
    );
    let p = one(
        &BASE.replace("oncall@example.com", "OPS@example.com"),
        4,
        28,
        "duplicate email address",
    );
    assert!(hint(&p).contains("line 4"), "{p}");
    // Turned off, alerts need no address.
    parse_str(
        "gantry.yaml",
        &BASE.replace(
            "  email: [ops@example.com, oncall@example.com]",
            "  enabled: false",
        ),
    )
    .unwrap();
}

#[test]
fn thresholds_are_checked() {
    one(
        &BASE.replace("cpu: 85", "cpu: 120"),
        5,
        21,
        "threshold `cpu` 120 is not a percentage",
    );
    one(
        &BASE.replace("response_time: 1.5", "response_time: 90"),
        5,
        40,
        "`response_time` 90 is out of range",
    );
    one(
        &BASE.replace("cpu: 85", "http_5xx: 0"),
        5,
        26,
        "threshold `http_5xx` 0 is out of range",
    );
    // An overlay's bad value is reported at the overlay's line.
    one(
        &BASE.replace("thresholds: {cpu: 70}", "thresholds: {cpu: 0}"),
        28,
        25,
        "threshold `cpu` 0",
    );
}

#[test]
fn scaling_bounds() {
    let p = one(&BASE.replace("      max: 4\n", ""), 15, 7, "has no `max`");
    assert!(hint(&p).contains("max: 4"), "{p}");
    one(
        &BASE.replace("      min: 1\n", "      min: 5\n"),
        15,
        12,
        "scaling min 5 is above max 4",
    );
    one(
        &BASE.replace("max: 4\n      cpu", "max: 1001\n      cpu"),
        16,
        12,
        "scaling max 1001 is out of range",
    );
    // 5 is outside the base's range (and dev's), inside prod's.
    let p = one(
        &BASE.replace("desired_count: 2", "desired_count: 5"),
        8,
        20,
        "outside its scaling range 1 to 4",
    );
    assert!(hint(&p).contains("line 15"), "{p}");
    one(
        &BASE.replace("cpu: 60", "cpu: 0"),
        17,
        12,
        "scaling cpu target 0 is not a percentage",
    );
    let p = one(
        &BASE
            .replace("      cpu: 60\n", "")
            .replace("      requests_per_target: 1000\n", "")
            .replace(
                "      schedule:\n        - {name: night, cron: \"cron(0 20 ? * MON-FRI *)\", timezone: Europe/Paris, min: 0, max: 0}\n        - {cron: \"cron(0 7 ? * MON-FRI *)\", timezone: Europe/Paris, min: 1, max: 4}\n",
                "",
            ),
        15,
        7,
        "has nothing to scale on",
    );
    assert!(hint(&p).contains("schedule"), "{p}");
}

#[test]
fn requests_per_target_needs_one_target_group() {
    let unrouted = BASE.replace("        routes: [/*]\n", "");
    let p = one(&unrouted, 17, 28, "which no load balancer routes to");
    assert!(hint(&p).contains("cpu"), "{p}");
    let two = BASE.replace(
        "        routes: [/*]\n",
        "        routes: [/*]\n      admin:\n        image: nginx:1.27\n        port: 9090\n        routes: [/admin/*]\n",
    );
    let p = one(&two, 22, 28, "which has 2 target groups");
    assert!(hint(&p).contains("one target group"), "{p}");
}

#[test]
fn schedules_are_checked() {
    let p = one(
        &BASE.replace("cron(0 20 ? * MON-FRI *)", "cron(0 20 * * MON-FRI *)"),
        20,
        31,
        "invalid cron",
    );
    assert!(
        p.message
            .contains("exactly one of day-of-month and day-of-week"),
        "{p}"
    );
    one(
        &BASE.replace("cron(0 20 ? * MON-FRI *)", "0 20 * * 1-5"),
        20,
        31,
        "it must be written `cron(...)`",
    );
    one(
        &BASE.replace("timezone: Europe/Paris, min: 0", "timezone: Paris, min: 0"),
        20,
        69,
        "invalid time zone `Paris`",
    );
    one(
        &BASE.replace(", min: 0, max: 0}", "}"),
        20,
        31,
        "sets neither `min` nor `max`",
    );
    one(
        &BASE.replace("min: 0, max: 0}", "min: 3, max: 1}"),
        20,
        88,
        "scheduled min 3 is above max 1",
    );
    // The second entry's default name is `schedule-2`; naming the first so
    // makes two.
    let p = one(
        &BASE.replace("name: night", "name: schedule-2"),
        21,
        18,
        "duplicate schedule name `schedule-2`",
    );
    assert!(hint(&p).contains("line 20"), "{p}");
}
