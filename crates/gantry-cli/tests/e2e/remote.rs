//! Remote state on S3 against the emulator: `gantry init` makes the bucket
//! with its posture (checked through the S3 API); of two runs from two
//! directories one holds the lock and the other exits 3 naming it; a run
//! frozen past its lease while another takes over writes nothing more and
//! exits 4; kill -9 during `up` then `up` converges without duplicates;
//! `state migrate` moves a stack local -> S3 -> local, serial and releases
//! kept.

use crate::support;

use gantry_aws::aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption};
use gantry_aws::AwsContext;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::Project;

/// The minimal example as stack `stack`, its state in `bucket` (prefix
/// `team`) when one is given.
fn spec(stack: &str, bucket: Option<&str>) -> String {
    let text = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", &format!("name: {stack}"));
    match bucket {
        Some(b) => format!("{text}\nstate:\n  backend: s3\n  bucket: {b}\n  prefix: team\n"),
        None => text,
    }
}

async fn context() -> AwsContext {
    support::emulator_env();
    AwsContext::load(Some("us-east-1".into())).await.unwrap()
}

/// Every object under the stack's state prefix, with its bytes.
async fn objects(ctx: &AwsContext, bucket: &str, stack: &str) -> BTreeMap<String, Vec<u8>> {
    let prefix = format!("team/{stack}-dev/");
    let listed = ctx
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .send()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for o in listed.contents() {
        let key = o.key().unwrap().to_string();
        let body = ctx
            .s3()
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .to_vec();
        out.insert(key[prefix.len()..].to_string(), body);
    }
    out
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// `gantry ARGS` in `p`, spawned with its output to files in the project.
fn spawn(p: &Project, args: &[&str], name: &str, env: &[(&str, &str)]) -> Child {
    let mut cmd = p.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(std::fs::File::create(p.dir.path().join(format!("{name}.out"))).unwrap())
        .stderr(std::fs::File::create(p.dir.path().join(format!("{name}.err"))).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

fn output(p: &Project, name: &str) -> String {
    std::fs::read_to_string(p.dir.path().join(format!("{name}.err"))).unwrap_or_default()
}

fn wait(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// One live object per address, and every one of them the one recorded.
async fn assert_one_each(ctx: &AwsContext, p: &Project, stack: &str) {
    let status = p.gantry(&["status", "--json"]).json();
    let recorded: BTreeMap<String, String> = status["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(recorded.len() >= 26, "state records {}", recorded.len());
    let items = gantry_aws::inventory::stack_resources(ctx, stack, "dev")
        .await
        .unwrap();
    let mut per_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in &items {
        per_address
            .entry(i.address.clone())
            .or_default()
            .push(i.id.clone());
    }
    for (a, ids) in &per_address {
        assert_eq!(
            ids,
            &vec![recorded.get(a).cloned().unwrap_or_default()],
            "{a}: live objects vs the recorded one"
        );
    }
    assert_eq!(status["untracked"], serde_json::json!([]));
}

async fn destroy_all(ctx: &AwsContext, p: &Project, stack: &str) {
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(ctx, stack, "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn init_creates_the_state_bucket_with_its_posture() {
    const BUCKET: &str = "e2e-state-init";
    let ctx = context().await;
    let p = Project::new(&spec("rinit", Some(BUCKET)));
    let first = p.gantry(&["init"]);
    first.assert_code(0);
    assert!(first.stdout().contains("Created the state bucket"));

    let s3 = ctx.s3();
    let v = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let enc = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm(),
        &ServerSideEncryption::AwsKms
    );
    let pab = s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let c = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let policy: serde_json::Value = serde_json::from_str(
        s3.get_bucket_policy()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let deny = &policy["Statement"][0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(
        deny["Resource"][1],
        format!("arn:aws:s3:::{BUCKET}/*"),
        "{policy}"
    );
    let lc = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let days: Vec<i32> = lc
        .rules()
        .iter()
        .filter_map(|r| r.noncurrent_version_expiration()?.noncurrent_days())
        .collect();
    assert_eq!(days, vec![gantry_aws::state_s3::NONCURRENT_DAYS]);

    // Again: the bucket is there and left alone, its posture whole.
    let again = p.gantry(&["init"]);
    again.assert_code(0);
    assert!(again.stdout().contains("exists"), "{}", again.stdout());
    assert!(!again.stderr().contains("warning"), "{}", again.stderr());

    // A bucket made by hand without the posture is named as such.
    s3.create_bucket()
        .bucket("e2e-state-bare")
        .send()
        .await
        .unwrap();
    let bare = p.gantry(&["--state", "s3://e2e-state-bare/x", "init"]);
    bare.assert_code(0);
    for missing in ["versioning is off", "not SSE-KMS", "TLS"] {
        assert!(bare.stderr().contains(missing), "{}", bare.stderr());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_runs_from_two_directories_one_holds_the_lock() {
    const BUCKET: &str = "e2e-state-lock";
    const STACK: &str = "rlock";
    let ctx = context().await;
    let a = Project::new(&spec(STACK, Some(BUCKET)));
    let b = Project::new(&spec(STACK, Some(BUCKET)));
    a.gantry(&["init"]).assert_code(0);

    // The lock goes to whichever run writes it first: start the second
    // once the first holds it (the emulator's conditional writes are not
    // atomic under a race, S3's are), and while it applies.
    let mut first = spawn(&a, &["up", "--yes"], "first", &[]);
    let start = Instant::now();
    loop {
        let lock = objects(&ctx, BUCKET, STACK).await.remove("lock.json");
        if lock.is_some_and(|l| json(&l).get("released").is_none()) {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "{}",
            output(&a, "first")
        );
        assert!(start.elapsed() < Duration::from_secs(60), "no lock taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = b.gantry(&["up", "--yes"]);
    let first_code = wait(&mut first, Duration::from_secs(180));
    assert_eq!(first_code, 0, "{}", output(&a, "first"));
    second.assert_code(gantry_cli::exit::LOCKED as i32);
    let msg = second.stderr();
    assert!(
        msg.contains("locked by")
            && msg.contains(&format!("pid {}", first.id()))
            && msg.contains("running `up`"),
        "the refusal names the holder: {msg}"
    );

    // The refused run changed nothing: one object per address.
    b.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    assert_one_each(&ctx, &b, STACK).await;
    destroy_all(&ctx, &b, STACK).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_frozen_past_its_lease_is_fenced_off_by_s3() {
    const BUCKET: &str = "e2e-state-frozen";
    const STACK: &str = "rfrozen";
    const LEASE_SECS: u64 = 3;
    let ctx = context().await;
    let p = Project::new(&spec(STACK, Some(BUCKET)));
    p.gantry(&["init"]).assert_code(0);

    let lease = LEASE_SECS.to_string();
    let mut first = spawn(
        &p,
        &["up", "--yes"],
        "first",
        &[("GANTRY_LOCK_LEASE_SECS", &lease)],
    );
    // Frozen once its apply is under way (journal segments in S3).
    let start = Instant::now();
    loop {
        let segments = objects(&ctx, BUCKET, STACK)
            .await
            .keys()
            .filter(|k| k.starts_with("journal/"))
            .count();
        if segments >= 4 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "{}",
            output(&p, "first")
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "apply never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(first.id(), "STOP");
    let frozen_lock = json(&objects(&ctx, BUCKET, STACK).await["lock.json"]);
    std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 1500));

    // Another run takes the lapsed lock over and finishes the job.
    let second = p.gantry(&["up", "--yes"]);
    second.assert_code(0);
    assert!(
        second.stderr().contains("took over a stale lock") && second.stderr().contains("expired"),
        "{}",
        second.stderr()
    );
    let after_second = objects(&ctx, BUCKET, STACK).await;
    let snapshot = json(&after_second["state.json"]);
    let second_gen = snapshot["generation"].as_u64().unwrap();
    assert!(second_gen > frozen_lock["generation"].as_u64().unwrap());
    assert_eq!(json(&after_second["lock.json"])["released"], true);

    // The first run wakes up: its lease is past, its renewal's condition
    // fails, it stops, writes nothing, and says why.
    signal(first.id(), "CONT");
    let code = wait(&mut first, Duration::from_secs(180));
    let stderr = output(&p, "first");
    eprintln!("--- the resumed run's stderr\n{stderr}");
    assert_eq!(code, gantry_cli::exit::LOCK_LOST as i32, "{stderr}");
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let message = squash(
        &stderr
            .lines()
            .map(|l| l.trim().trim_start_matches(['x', '|']))
            .collect::<String>(),
    );
    for needle in [
        "this run lost the state lock".to_string(),
        format!("by {}", frozen_lock["who"].as_str().unwrap()),
        "running `up`".to_string(),
        format!("generation {second_gen}"),
    ] {
        assert!(
            message.contains(&squash(&needle)),
            "the error names the run that took over ({needle}): {stderr}"
        );
    }
    // The snapshot and the journal are exactly what the second run left
    // (the lock aside: a clean-up takes it once it is free).
    let state_only = |o: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        o.into_iter().filter(|(k, _)| k != "lock.json").collect()
    };
    assert_eq!(
        state_only(objects(&ctx, BUCKET, STACK).await),
        state_only(after_second),
        "the resumed run wrote to the state"
    );

    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    assert_one_each(&ctx, &p, STACK).await;
    destroy_all(&ctx, &p, STACK).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_up_then_up_converges_on_s3() {
    const BUCKET: &str = "e2e-state-crash";
    const STACK: &str = "rcrash";
    let ctx = context().await;
    let p = Project::new(&spec(STACK, Some(BUCKET)));
    p.gantry(&["init"]).assert_code(0);

    // Killed at several points in turn; each rerun resumes the last.
    for (i, delay_ms) in [300u64, 700, 1200].into_iter().enumerate() {
        let mut child = spawn(&p, &["up", "--yes"], &format!("killed{i}"), &[]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no cleanup, no lock release.
        let _ = child.wait();
    }
    let left = objects(&ctx, BUCKET, STACK).await;
    eprintln!("after the kills: {:?}", left.keys().collect::<Vec<_>>());

    // The killed run's lock names a dead pid on this host: taken over.
    p.gantry(&["up", "--yes"]).assert_code(0);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let after = objects(&ctx, BUCKET, STACK).await;
    assert!(
        !after.keys().any(|k| k.starts_with("journal/")),
        "compacted: {:?}",
        after.keys().collect::<Vec<_>>()
    );
    assert!(json(&after["state.json"]).get("pending").is_none());
    assert_one_each(&ctx, &p, STACK).await;
    destroy_all(&ctx, &p, STACK).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_migrates_local_to_s3_and_back() {
    const BUCKET: &str = "e2e-state-migrate";
    const STACK: &str = "rmigrate";
    let ctx = context().await;
    let p = Project::new(&spec(STACK, None));
    let s3 = format!("s3://{BUCKET}/team");
    p.gantry(&["up", "--yes"]).assert_code(0);
    // A plan compacts what `up` recorded after its apply (the release) into
    // the snapshot, so the serial `status` shows is the state's whole.
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let local = p.gantry(&["status", "--json"]).json();
    let releases = p.gantry(&["deployments", "web", "--json"]).json();
    assert!(!releases.as_array().unwrap().is_empty(), "{releases}");

    // Into S3 (the bucket made by init first).
    p.gantry(&["--state", &s3, "init"]).assert_code(0);
    let moved = p.gantry(&["state", "migrate", "--to", &s3]);
    moved.assert_code(0);
    assert!(
        moved
            .stdout()
            .contains(&format!("serial {}", local["serial"])),
        "{}",
        moved.stdout()
    );
    let there = p.gantry(&["--state", &s3, "status", "--json"]).json();
    assert_eq!(there["serial"], local["serial"]);
    assert_eq!(there["resources"], local["resources"]);
    assert_eq!(
        p.gantry(&["--state", &s3, "deployments", "web", "--json"])
            .json(),
        releases
    );
    let snapshot = json(&objects(&ctx, BUCKET, STACK).await["state.json"]);
    assert_eq!(snapshot["lineage"], local_lineage(&p));
    p.gantry(&["--state", &s3, "plan", "--detailed-exitcode"])
        .assert_code(0);
    // Moving onto itself is refused.
    p.gantry(&["--state", &s3, "state", "migrate", "--to", &s3])
        .assert_code(1);

    // And back.
    p.gantry(&["--state", &s3, "state", "migrate", "--to", "local"])
        .assert_code(0);
    let back = p.gantry(&["status", "--json"]).json();
    assert_eq!(back["serial"], local["serial"]);
    assert_eq!(back["resources"], local["resources"]);
    assert_eq!(p.gantry(&["deployments", "web", "--json"]).json(), releases);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    assert_one_each(&ctx, &p, STACK).await;
    destroy_all(&ctx, &p, STACK).await;
}

fn local_lineage(p: &Project) -> serde_json::Value {
    let path = p
        .dir
        .path()
        .join(format!(".gantry/{}-dev/state.json", "rmigrate"));
    json(&std::fs::read(path).unwrap())["lineage"].clone()
}

/// The S3 calls in `stats` (the fault proxy's counts), by operation.
fn s3_calls(stats: &serde_json::Value) -> BTreeMap<String, u64> {
    stats["calls"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("s3:")?.to_string(), v.as_u64()?)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_state_costs_a_few_calls_per_run() {
    const BUCKET: &str = "e2e-state-calls";
    const STACK: &str = "rcalls";
    const KEY: &str = "AKIARSTATECALLS";
    let ctx = context().await;
    let p = Project::new(&spec(STACK, Some(BUCKET))).keyed(KEY);
    p.gantry(&["init"]).assert_code(0);

    support::faults::reset(KEY);
    p.gantry(&["up", "--yes"]).assert_code(0);
    let up = s3_calls(&support::faults::stats(KEY));
    support::faults::reset(KEY);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    let plan = s3_calls(&support::faults::stats(KEY));
    let resources = p.gantry(&["status", "--json"]).json()["resources"]
        .as_array()
        .unwrap()
        .len() as u64;
    eprintln!("S3 calls for the state: up of {resources} resources {up:?}; no-op plan {plan:?}");
    // Intent and result per create at most, batched by group commit, plus
    // lock, open, close and release.
    let puts = up["PutObject"];
    assert!(
        puts <= 2 * resources + 6,
        "{puts} PUTs for {resources} creates"
    );
    assert!(puts < 2 * resources, "group commit shares PUTs: {puts}");
    assert!(plan.values().sum::<u64>() <= 10, "{plan:?}");
    destroy_all(&ctx, &p, STACK).await;
}
