//! Operating a running stack against the emulator. `gantry logs`: events
//! written through the Logs API come back in time order with their service,
//! container and task; one container, a filter pattern and JSON lines;
//! `--follow` prints an event written after it started; `--query` runs seed
//! 003's error query. `gantry exec`: `exec: true` turns ECS Exec on (checked
//! through ECS and IAM), and the command says what is missing.

use crate::support::{self, Project};
use gantry_aws::aws_sdk_cloudwatchlogs::types::InputLogEvent;
use gantry_aws::AwsContext;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn put(ctx: &AwsContext, group: &str, stream: &str, events: &[(i64, &str)]) {
    let _ = ctx
        .logs()
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    let mut req = ctx
        .logs()
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream);
    for (t, m) in events {
        req = req.log_events(
            InputLogEvent::builder()
                .timestamp(*t)
                .message(*m)
                .build()
                .unwrap(),
        );
    }
    req.send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_in_order_filtered_followed_and_queried_and_exec() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: logs")
        .replace(
            "    desired_count: 2\n",
            "    desired_count: 2\n    exec: true\n",
        );
    assert!(spec.contains("exec: true"));
    let p = Project::new(&spec);
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    let group = p.recorded_id("log_group.web");
    assert_eq!(group, "/gantry/logs/dev/web");

    // Two tasks' containers, written out of order across streams.
    let t = now_ms() - 60_000;
    put(
        &ctx,
        &group,
        "app/app/aaaaaaaa1111",
        &[(t, "GET / 200"), (t + 3000, "ERROR upstream timeout")],
    )
    .await;
    put(
        &ctx,
        &group,
        "app/app/bbbbbbbb2222",
        &[(t + 1000, "GET /health 200")],
    )
    .await;
    put(
        &ctx,
        &group,
        "agent/agent/aaaaaaaa1111",
        &[(t + 2000, "serving on 8000")],
    )
    .await;

    let out = p.gantry(&["logs", "web", "--since", "5m"]);
    out.assert_code(0);
    let lines: Vec<String> = out.stdout().lines().map(str::to_string).collect();
    let tail: Vec<&str> = lines.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        tail,
        [
            "[web app aaaaaaaa] GET / 200",
            "[web app bbbbbbbb] GET /health 200",
            "[web agent aaaaaaaa] serving on 8000",
            "[web app aaaaaaaa] ERROR upstream timeout",
        ],
        "{}",
        out.stdout()
    );
    assert!(
        lines[0].ends_with("Z [web app aaaaaaaa] GET / 200"),
        "{}",
        lines[0]
    );

    // One container; a filter pattern; JSON lines.
    let app = p.gantry(&["logs", "web", "--container", "agent", "--since", "5m"]);
    assert_eq!(app.stdout().lines().count(), 1, "{}", app.stdout());
    assert!(app.stdout().contains("serving on 8000"));
    let errors = p.gantry(&["logs", "web", "--filter", "ERROR", "--since", "5m"]);
    assert_eq!(errors.stdout().lines().count(), 1, "{}", errors.stdout());
    let json = p.gantry(&["logs", "web", "--since", "5m", "--json"]);
    let first: serde_json::Value =
        serde_json::from_str(json.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(first["task"], "aaaaaaaa1111");
    assert_eq!(first["container"], "app");
    assert_eq!(first["message"], "GET / 200");
    // An old event is outside the default window.
    put(
        &ctx,
        &group,
        "app/app/cccccccc3333",
        &[(t - 3_600_000, "from an hour ago")],
    )
    .await;
    assert!(!p
        .gantry(&["logs", "web"])
        .stdout()
        .contains("from an hour ago"));
    assert!(p
        .gantry(&["logs", "web", "--since", "2h"])
        .stdout()
        .contains("from an hour ago"));

    // Unknown names are errors that say what exists.
    let bad = p.gantry(&["logs", "nope"]);
    assert_eq!(bad.code(), 1);
    assert!(
        bad.stderr().contains("no service `nope`") && bad.stderr().contains("web"),
        "{}",
        bad.stderr()
    );
    let bad = p.gantry(&["logs", "web", "--container", "db"]);
    assert!(
        bad.stderr().contains("app, agent") || bad.stderr().contains("agent, app"),
        "{}",
        bad.stderr()
    );

    // --follow prints what is written after it started.
    let mut child = p
        .command(&["logs", "web", "--since", "5m", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines() {
            if tx.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| {
        let start = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(_) => assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "never saw {needle:?}"
                ),
            }
        }
    };
    wait_for("ERROR upstream timeout");
    put(
        &ctx,
        &group,
        "app/app/dddddddd4444",
        &[(now_ms(), "written while following")],
    )
    .await;
    let l = wait_for("written while following");
    assert!(l.contains("[web app dddddddd]"), "{l}");
    // Ctrl-C ends it normally.
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert_eq!(child.wait().unwrap().code(), Some(0));

    // Seed 003's error query, over the stack's log groups.
    let q = p.gantry(&[
        "logs",
        "--since",
        "5m",
        "--query",
        "fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc",
    ]);
    q.assert_code(0);
    let text = q.stdout();
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].starts_with("@timestamp") && rows[0].ends_with("@message"),
        "{text}"
    );
    assert_eq!(rows.len(), 4, "header, rule, one row, counts: {text}");
    assert!(rows[2].ends_with("ERROR upstream timeout"), "{text}");
    assert!(rows[3].starts_with("1 row ("), "{text}");
    let qj = p
        .gantry(&[
            "logs",
            "web",
            "--since",
            "5m",
            "--json",
            "--query",
            "fields @message | limit 2",
        ])
        .json();
    assert_eq!(qj["rows"].as_array().unwrap().len(), 2, "{qj}");
    // The seed's latency query (`parse`, `stats ... by bin(5m)`) is not
    // checked: the emulator does not aggregate (scripts/moto_logs.py).

    // ECS Exec is on for the service, with its channels on the task role.
    let svc = ctx
        .ecs()
        .describe_services()
        .cluster("logs-dev")
        .services("web")
        .send()
        .await
        .unwrap();
    assert!(svc.services()[0].enable_execute_command());
    let exec = ctx
        .iam()
        .get_role_policy()
        .role_name("logs-dev-web-task")
        .policy_name("exec")
        .send()
        .await
        .unwrap();
    assert!(
        exec.policy_document()
            .contains("ssmmessages%3ACreateControlChannel")
            || exec
                .policy_document()
                .contains("ssmmessages:CreateControlChannel")
    );
    // Without the Session Manager plugin, exec says so before calling AWS.
    let empty = tempfile::tempdir().unwrap();
    let no_plugin = p
        .command(&["exec", "web"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&no_plugin.stderr);
    assert_eq!(no_plugin.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("session-manager-plugin") && stderr.contains("not on PATH"),
        "{stderr}"
    );
    // With one, it looks for a running task: the emulator runs none.
    let fake = empty.path().join("session-manager-plugin");
    std::fs::write(&fake, "#!/bin/sh\nexit 0\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        empty.path().display(),
        std::env::var("PATH").unwrap()
    );
    let no_task = p
        .command(&["exec", "web"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&no_task.stderr);
    assert_eq!(no_task.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("service `web` has no running task"),
        "{stderr}"
    );
    // A service without `exec: true` is refused with the fix.
    let off = p.gantry(&["exec", "nope"]);
    assert!(
        off.stderr().contains("no service `nope`"),
        "{}",
        off.stderr()
    );

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "logs", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// `gantry status` lists the stack's alarms in ALARM, read through
/// CloudWatch: one put into ALARM by hand shows with its reason; the others
/// (INSUFFICIENT_DATA) do not.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_alarms_in_alarm() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: alarmed")
        .replacen(
            "\nnetwork:\n",
            "\nalerts:\n  email: [ops@example.com]\n\nnetwork:\n",
            1,
        );
    let p = Project::new(&spec).keyed("alarmed");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    let quiet = p.gantry(&["status", "--json"]).json();
    assert_eq!(quiet["alarms"], serde_json::json!([]), "{quiet}");
    let name = p
        .gantry(&["state", "show", "cloudwatch_metric_alarm.svc-web-cpu"])
        .json()["props"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    ctx.cloudwatch()
        .set_alarm_state()
        .alarm_name(&name)
        .state_value(gantry_aws::aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (80.0).")
        .send()
        .await
        .unwrap();
    let json = p.gantry(&["status", "--json"]).json();
    let alarms = json["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{json}");
    assert_eq!(alarms[0]["name"], name.as_str());
    let text = p.gantry(&["status"]);
    assert!(
        text.stdout().contains("Alarms in ALARM (1):")
            && text.stdout().contains("Threshold Crossed: 3 datapoints"),
        "{}",
        text.stdout()
    );
    p.gantry(&["destroy", "--yes"]).assert_code(0);
}
