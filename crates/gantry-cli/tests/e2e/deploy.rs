//! Shipping images to a running stack against the emulator, checked
//! through the ECS API: `deploy --image` registers a revision that differs
//! in its images only and `plan` / `up` keep it; `rollback` returns to the
//! revision before; a rollout the emulator fails (circuit breaker with
//! rollback) exits 5 with the stopped task's reason; one that never ends
//! exits 6 at the timeout saying what it waited for, and `rollback` stops
//! it; `deployments` lists every release; `destroy` forgets them. All of
//! it with calls throttled and replies to changes lost, as on AWS.
//! `deploy --build` builds a `FROM scratch` image with podman, logs in with
//! ECR's token and pushes it to a local registry the emulator's repository
//! URI names; the service, created at desired count 0, comes up with it.

use crate::support::{self, Project};
use gantry_aws::aws_sdk_ecs::types::ContainerDefinition;
use gantry_aws::AwsContext;
use serde_json::{json, Value};
use std::process::Command;

const V1: &str = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
const V2: &str = "public.ecr.aws/nginx/nginx-unprivileged:1.28-alpine";

/// POSTs `body` to one of the emulator's control endpoints.
fn control(path: &str, body: Value) {
    support::emulator_env();
    let base = std::env::var("GANTRY_EMULATOR_URL").expect("the emulator's own URL");
    let out = Command::new("curl")
        .args(["-fsS", "-X", "POST", "-H", "content-type: application/json"])
        .args(["-d", &body.to_string(), &format!("{base}{path}")])
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "{path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How the service's next deployments end in the emulator.
fn rollout(p: &Project, outcome: &str, failed_tasks: Value) {
    control(
        "/moto-api/gantry/ecs-rollout",
        json!({
            "cluster": p.recorded_id("ecs_cluster.main"),
            "service": p.recorded_id("ecs_service.web"),
            "outcome": outcome,
            "seconds": 1.0,
            "failed_tasks": failed_tasks,
        }),
    );
}

/// The service's task definition ARN and desired count, as ECS has them.
async fn service(ctx: &AwsContext, p: &Project) -> (String, i32) {
    let out = ctx
        .ecs()
        .describe_services()
        .cluster(p.recorded_id("ecs_cluster.main"))
        .services(p.recorded_id("ecs_service.web"))
        .send()
        .await
        .unwrap();
    let s = &out.services()[0];
    (s.task_definition().unwrap().to_string(), s.desired_count())
}

async fn containers(ctx: &AwsContext, arn: &str) -> Vec<ContainerDefinition> {
    let out = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .unwrap();
    let td = out.task_definition().unwrap();
    assert_eq!(
        td.status().map(|s| s.as_str()),
        Some("ACTIVE"),
        "{arn} is registered"
    );
    td.container_definitions().to_vec()
}

fn image_of(cs: &[ContainerDefinition], name: &str) -> String {
    cs.iter()
        .find(|c| c.name() == Some(name))
        .and_then(|c| c.image())
        .unwrap()
        .to_string()
}

/// `family:revision` of a task definition ARN.
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

fn releases(p: &Project) -> Vec<Value> {
    p.gantry(&["deployments", "web", "--json"])
        .assert_code(0)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn assert_no_changes(p: &Project) {
    let plan = p.gantry(&["plan"]);
    plan.assert_code(0);
    assert!(plan.stdout().contains("No changes."), "{}", plan.stdout());
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_rollback_and_what_a_rollout_ends_as() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: ship");
    let p = Project::new(&spec).keyed("ship");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    let (rev1, desired) = service(&ctx, &p).await;
    assert_eq!(desired, 1);
    let before = containers(&ctx, &rev1).await;
    assert_eq!(image_of(&before, "app"), V1);
    let history = releases(&p);
    assert_eq!(history.len(), 1, "up records the release it put in place");
    // From here on AWS throttles and loses replies to changes, as it does.
    support::faults::profile(p.key(), 9, 0.15, 0.15);
    assert_eq!(history[0]["revision"], rev1.as_str());

    // A new image: a revision differing in it only, which plan and up keep.
    let out = p.gantry(&["deploy", "--image", &format!("app={V2}")]);
    out.assert_code(0);
    assert!(
        out.stdout().contains("web: rollout completed in"),
        "{}",
        out.stdout()
    );
    let (rev2, _) = service(&ctx, &p).await;
    assert_ne!(rev2, rev1);
    let after = containers(&ctx, &rev2).await;
    let mut expected = before.clone();
    for c in &mut expected {
        if c.name() == Some("app") {
            c.image = Some(V2.into());
        }
    }
    assert_eq!(after, expected, "only the app's image changed");
    containers(&ctx, &rev1).await; // still registered, to go back to
    assert_no_changes(&p);
    p.gantry(&["up", "--yes"]).assert_code(0);
    assert_eq!(
        service(&ctx, &p).await.0,
        rev2,
        "up kept the deployed image"
    );

    // Rollback: the revision before, the same one, not a copy.
    let out = p.gantry(&["rollback", "web"]);
    out.assert_code(0);
    assert_eq!(service(&ctx, &p).await.0, rev1);
    assert_no_changes(&p);

    // The circuit breaker rolls a failing rollout back: exit 5, and why.
    rollout(
        &p,
        "fail",
        json!([{
            "stopped_reason": "Essential container in task exited",
            "containers": {"app": {"exit_code": 3, "reason": "nginx: [emerg] unknown directive"}},
        }]),
    );
    let out = p.gantry(&[
        "deploy",
        "--image",
        "app=public.ecr.aws/nginx/nginx-unprivileged:broken",
    ]);
    out.assert_code(5);
    for what in [
        "Essential container in task exited",
        "app exited 3 (nginx: [emerg] unknown directive)",
        "rollout FAILED",
    ] {
        assert!(out.stdout().contains(what), "{what}:\n{}", out.stdout());
    }
    assert_eq!(service(&ctx, &p).await.0, rev1, "ECS went back to what ran");
    assert_no_changes(&p);
    // status shows what runs (release 3's revision) and the crashed task.
    let status = p.gantry(&["status"]);
    for what in [
        format!(
            "web: 1/1 running, 0 pending; deployment COMPLETED; {}, release 3",
            short(&rev1)
        ),
        format!("images: agent=public.ecr.aws/docker/library/python:3.12-alpine, app={V1}"),
        "stopped [EssentialContainerExited]: Essential container in task exited; app exited 3"
            .to_string(),
    ] {
        assert!(
            status.stdout().contains(&what),
            "{what}:\n{}",
            status.stdout()
        );
    }
    // --watch reads again every interval, a JSON document a line.
    let mut watch = p
        .command(&["status", "--watch", "--json", "--interval", "1s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(watch.stdout.take().unwrap()));
    for _ in 0..2 {
        let doc: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        assert_eq!(doc["services"][0]["release"], 3, "{doc}");
    }
    watch.kill().unwrap();
    watch.wait().unwrap();

    // A rollout that never ends: exit 6 at the timeout, saying what it
    // waited for; `rollback` then stops it and ECS returns to rev1.
    rollout(&p, "stuck", json!([]));
    let out = p.gantry(&[
        "deploy",
        "--image",
        "app=public.ecr.aws/nginx/nginx-unprivileged:slow",
        "--timeout",
        "4s",
    ]);
    out.assert_code(6);
    assert!(
        out.stdout().contains("gave up waiting after")
            && out.stdout().contains("still waiting for"),
        "{}",
        out.stdout()
    );
    assert_ne!(service(&ctx, &p).await.0, rev1);
    rollout(&p, "complete", json!([]));
    let out = p.gantry(&["rollback", "web"]);
    out.assert_code(0);
    assert!(out.stdout().contains("rolled back in"), "{}", out.stdout());
    assert_eq!(service(&ctx, &p).await.0, rev1);
    assert_no_changes(&p);

    let history = releases(&p);
    let outcomes: Vec<(&str, Option<u64>)> = history
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), r["rollback_of"].as_u64()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("not_followed", None), // up
            ("completed", None),    // V2
            ("completed", Some(1)), // rollback
            ("rolled_back", None),  // broken
            ("rolled_back", None),  // slow, stopped by rollback
        ]
    );
    let current: Vec<u64> = history
        .iter()
        .filter(|r| r["current"] == true)
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    assert_eq!(current, [3]);
    let text = p.gantry(&["deployments", "web"]);
    assert!(
        text.stdout().contains(&format!("app={V2}")),
        "{}",
        text.stdout()
    );

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let after = p.gantry(&["deployments", "web"]);
    assert!(
        after.stdout().contains("No releases of web yet"),
        "{}",
        after.stdout()
    );
    let family = rev1
        .rsplit_once('/')
        .and_then(|(_, f)| f.rsplit_once(':'))
        .unwrap()
        .0;
    let active = ctx
        .ecs()
        .list_task_definitions()
        .family_prefix(family)
        .status(gantry_aws::aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    assert_eq!(
        active.task_definition_arns(),
        &[] as &[String],
        "destroy deregistered every revision"
    );
}

/// Starts the local registry (`scripts/registry.sh`), returning its exports.
fn registry() -> Vec<(String, String)> {
    let dir = format!(
        "{}/target/registry-e2e-{}",
        support::ROOT,
        std::process::id()
    );
    let out = Command::new("bash")
        .args([&format!("{}/scripts/registry.sh", support::ROOT), "start"])
        .env("GANTRY_REGISTRY_DIR", &dir)
        .env("GANTRY_REGISTRY_OWNER_PID", std::process::id().to_string())
        .output()
        .expect("run scripts/registry.sh");
    assert!(
        out.status.success(),
        "the registry did not start (scripts/test.sh installs podman and docker-registry): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_build_pushes_an_image_and_brings_the_service_up() {
    let spec = "name: built
region: us-east-1
network: { cidr: 10.0.0.0/16, azs: 2, egress: nat }
services:
  web:
    desired_count: 2
    containers:
      app:
        build: ./app
        port: 8080
        routes: [\"/*\"]
jobs:
  nightly:
    schedule: cron(0 3 * * ? *)
    containers:
      main:
        build: ./app
";
    let mut p = Project::new(spec).keyed("built");
    for (k, v) in registry() {
        p = p.with_env(&k, &v);
    }
    let registry = p
        .env
        .iter()
        .find(|(k, _)| k == "GANTRY_TEST_REGISTRY")
        .map(|(_, v)| v.clone())
        .expect("GANTRY_TEST_REGISTRY");
    // The stack's repositories answer with this registry as their URI.
    control(
        "/moto-api/gantry/ecr-registry",
        json!({"prefix": "built/", "registry": registry}),
    );
    let dir = p.dir.path();
    std::fs::create_dir(dir.join("app")).unwrap();
    std::fs::write(dir.join("app/hello.txt"), "hello\n").unwrap();
    std::fs::write(
        dir.join("app/Containerfile"),
        "FROM scratch\nCOPY hello.txt /hello.txt\n",
    )
    .unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "app"]);
    let commit = git(dir, &["rev-parse", "--short=12", "HEAD"]);
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();

    let up = p.gantry(&["up", "--yes"]);
    up.assert_code(0);
    assert!(
        up.stdout()
            .contains("desired_count 0 until the first `gantry deploy --build`"),
        "the plan says why the service waits: {}",
        up.stdout()
    );
    assert_eq!(
        service(&ctx, &p).await.1,
        0,
        "nothing to run before a deploy"
    );
    let none = p.gantry(&["deployments", "web"]);
    assert!(
        none.stdout().contains("No releases of web yet"),
        "{}",
        none.stdout()
    );

    // CI reads the repository from `gantry output`; ECR says the same.
    let url = p.gantry(&["output", "ecr_repository.web-app.repository_url"]);
    url.assert_code(0);
    let described = ctx
        .ecr()
        .describe_repositories()
        .repository_names(p.recorded_id("ecr_repository.web-app"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        url.stdout().trim(),
        described.repositories()[0].repository_uri().unwrap()
    );
    p.gantry(&["output", "ecr_repository.web"]).assert_code(1);

    // The job's schedule names its task definition's family: ECS runs the
    // newest revision, so a deploy changes nothing but the revision. Its
    // runs fail until then, and the plan said so.
    assert!(
        up.stdout().contains("its runs fail (to the dead-letter queue) until the first `gantry deploy --build` pushes an image for main"),
        "{}",
        up.stdout()
    );
    let schedule = ctx
        .scheduler()
        .get_schedule()
        .group_name("built-dev")
        .name("nightly")
        .send()
        .await
        .unwrap();
    let family_arn = schedule
        .target()
        .unwrap()
        .ecs_parameters()
        .unwrap()
        .task_definition_arn()
        .to_string();
    assert!(
        family_arn.ends_with(":task-definition/built-dev-nightly"),
        "{family_arn}"
    );

    let out = p.gantry(&["deploy", "--build"]);
    out.assert_code(0);
    // The job's new revision is the family's newest, with the pushed image.
    let job_repo = p.recorded_id("ecr_repository.nightly-main");
    let newest = ctx
        .ecs()
        .describe_task_definition()
        .task_definition(&family_arn)
        .send()
        .await
        .unwrap();
    let newest = newest.task_definition().unwrap();
    assert_eq!(
        image_of(newest.container_definitions(), "main"),
        format!("{registry}/{job_repo}:{commit}")
    );
    assert_eq!(
        newest.task_definition_arn(),
        Some(p.recorded_id("ecs_task_definition.nightly").as_str())
    );
    assert!(
        out.stdout()
            .contains("nightly: registered; the job's next run uses it"),
        "{}",
        out.stdout()
    );
    let history = p.gantry(&["deployments", "nightly"]);
    assert!(
        history.stdout().contains("registered"),
        "{}",
        history.stdout()
    );
    let back = p.gantry(&["rollback", "nightly"]);
    back.assert_code(1);
    assert!(
        back.stderr()
            .contains("job `nightly` has no rollout to roll back"),
        "{}",
        back.stderr()
    );
    let repo = p.recorded_id("ecr_repository.web-app");
    let image = format!("{registry}/{repo}:{commit}");
    assert!(
        out.stdout().contains(&format!("pushed {image}")),
        "{}",
        out.stdout()
    );
    let (rev, desired) = service(&ctx, &p).await;
    assert_eq!(desired, 2, "the first deploy brings it to its count");
    assert_eq!(image_of(&containers(&ctx, &rev).await, "app"), image);
    // The registry has the tag (through its HTTP API, not podman's cache).
    let tags = Command::new("curl")
        .args(["-fsS", &format!("http://{registry}/v2/{repo}/tags/list")])
        .output()
        .unwrap();
    let tags: Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["tags"], json!([commit]), "{tags}");
    assert_no_changes(&p);

    // A changed tree is tagged as such.
    std::fs::write(dir.join("app/hello.txt"), "hello again\n").unwrap();
    let out = p.gantry(&["deploy", "--build"]);
    out.assert_code(0);
    let (rev, _) = service(&ctx, &p).await;
    let image = image_of(&containers(&ctx, &rev).await, "app");
    assert!(
        image.starts_with(&format!("{registry}/{repo}:{commit}-dirty-")),
        "{image}"
    );
    p.gantry(&["destroy", "--yes"]).assert_code(0);
}
