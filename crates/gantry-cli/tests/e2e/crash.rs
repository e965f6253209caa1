//! Kill -9 in the middle of `up` against the local AWS emulator, then `up`
//! again: the stack converges with exactly one of everything (resources
//! created just before the kill are found by their tags and adopted), and
//! `destroy` leaves nothing. And a run frozen past its lease (SIGSTOP, as a
//! laptop that sleeps) whose lock another run takes over: once resumed, it
//! writes nothing more and exits with `exit::LOCK_LOST`.

use crate::support;

use gantry_aws::AwsContext;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Project;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_up_then_up_converges_without_duplicates() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: crashy");
    let p = Project::new(&spec);
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();

    // Kill the run at several points in turn; each rerun resumes the last.
    for delay_ms in [300u64, 700, 1200] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
        cmd.arg("-f")
            .arg(p.spec_path())
            .args(["up", "--yes"])
            .env("NO_COLOR", "1");
        for (k, v) in support::emulator_env() {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no cleanup, no lock release.
        let _ = child.wait();
    }

    // The killed run's lock belongs to a dead pid on this host: taken over.
    let up = p.gantry(&["up", "--yes"]);
    up.assert_code(0);
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);

    // Exactly one AWS object per address, and every address in state exists.
    let items = gantry_aws::inventory::stack_resources(&ctx, "crashy", "dev")
        .await
        .unwrap();
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for i in &items {
        *per_address.entry(i.address.clone()).or_default() += 1;
    }
    let dupes: Vec<_> = per_address.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "duplicated after crashes: {dupes:?}");
    let status = p.gantry(&["status", "--json"]).json();
    let recorded = status["resources"].as_array().unwrap().len();
    assert!(recorded >= 26, "state records {recorded} resources");

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "crashy", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Every file in the state directory with its bytes.
fn state_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
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

#[tokio::test(flavor = "multi_thread")]
async fn a_run_frozen_past_its_lease_is_fenced_off() {
    const LEASE_SECS: u64 = 3;
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: frozen");
    let p = Project::new(&spec);
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    let state_dir = p.dir.path().join(".gantry/frozen-dev");
    let journal = state_dir.join("journal.jsonl");

    // The first run, with a short lease, frozen once its apply is under way.
    let out_path = p.dir.path().join("first.out");
    let err_path = p.dir.path().join("first.err");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gantry"));
    cmd.arg("-f")
        .arg(p.spec_path())
        .args(["up", "--yes"])
        .env("NO_COLOR", "1")
        .env("GANTRY_LOCK_LEASE_SECS", LEASE_SECS.to_string());
    for (k, v) in support::emulator_env() {
        cmd.env(k, v);
    }
    let mut first = cmd
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let records = std::fs::read_to_string(&journal)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0);
        if records >= 6 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it could be frozen: {}",
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "apply never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(first.id(), "STOP");
    let frozen_lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_dir.join("lock.json")).unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(LEASE_SECS * 1000 + 1500));

    // A second run takes the stale lock over and finishes the job.
    let second = p.gantry(&["up", "--yes"]);
    second.assert_code(0);
    assert!(
        second.stderr().contains("took over a stale lock") && second.stderr().contains("expired"),
        "{}",
        second.stderr()
    );
    let after_second = state_files(&state_dir);
    assert!(!after_second.contains_key("lock.json"), "released");
    let snapshot: serde_json::Value = serde_json::from_slice(&after_second["state.json"]).unwrap();
    assert!(
        snapshot["generation"].as_u64() > frozen_lock["generation"].as_u64(),
        "{snapshot} vs {frozen_lock}"
    );

    // The first run wakes up: it stops, writes nothing, and says why.
    signal(first.id(), "CONT");
    let woke = Instant::now();
    let status = loop {
        if let Some(s) = first.try_wait().unwrap() {
            break s;
        }
        if woke.elapsed() > Duration::from_secs(180) {
            let _ = first.kill();
            panic!(
                "the resumed run did not stop: {}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    eprintln!("--- the resumed run's stderr\n{stderr}");
    assert_eq!(
        status.code(),
        Some(gantry_cli::exit::LOCK_LOST as i32),
        "{stderr}"
    );
    // The diagnostic without its layout: miette wraps it (anywhere, ids
    // included) behind `x ` and `| `, so compare with whitespace removed.
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let message = squash(
        &stderr
            .lines()
            .map(|l| l.trim().trim_start_matches(['x', '|']))
            .collect::<String>(),
    );
    let second_gen = snapshot["generation"].as_u64().unwrap();
    for needle in [
        "this run lost the state lock".to_string(),
        format!("taken over by {}", frozen_lock["who"].as_str().unwrap()),
        "running `up`".to_string(),
        format!("generation {second_gen}"),
    ] {
        assert!(
            message.contains(&squash(&needle)),
            "the error names the run that took over ({needle}): {stderr}"
        );
    }
    // Its state is exactly what the second run left (the lock's own
    // bookkeeping aside: a clean-up takes the lock once it is free).
    let state_only = |files: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files
            .into_iter()
            .filter(|(name, _)| name == "state.json" || name == "journal.jsonl")
            .collect()
    };
    assert_eq!(
        state_only(state_files(&state_dir)),
        state_only(after_second.clone()),
        "the resumed run wrote to the state"
    );

    // Nothing was lost: no changes, one object per address, and destroy
    // leaves nothing.
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
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
    // Every live object is the one the state records for its address: the
    // frozen run's calls already built inside the SDK met its send gate
    // (the lock's fence) on resuming and never reached AWS, so it made no
    // second copy of anything; `status` sees nothing untracked either.
    let items = gantry_aws::inventory::stack_resources(&ctx, "frozen", "dev")
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
            "{a}: live objects vs the recorded one (the fenced run's message: {stderr})"
        );
    }
    assert_eq!(status["untracked"], serde_json::json!([]));
    let _ = message;

    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let left = gantry_aws::inventory::stack_resources(&ctx, "frozen", "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// One stack applied and destroyed with faults injected by the proxy on its
/// own access key: `throttle` of all calls answered with the service's
/// throttling error, `lose` of mutating calls forwarded and their reply
/// replaced by a 500.
async fn under_faults(
    example: &str,
    stack: &str,
    seed: u64,
    throttle: f64,
    lose: f64,
) -> serde_json::Value {
    let spec = std::fs::read_to_string(format!("{}/examples/{example}", support::ROOT)).unwrap();
    let name = spec
        .lines()
        .find_map(|l| l.strip_prefix("name: "))
        .expect("the example has a name")
        .to_string();
    let spec = spec.replacen(&format!("name: {name}"), &format!("name: {stack}"), 1);
    let key = format!("AKIA{}", stack.to_uppercase().replace('-', ""));
    let p = Project::new(&spec).keyed(&key);
    support::emulator_env();
    support::faults::reset(&key);
    support::faults::profile(&key, seed, throttle, lose);
    // Checks go through a key without faults.
    let ctx = AwsContext::load(None).await.unwrap();

    // One run converges: the SDK rides out throttling, the engine looks up
    // creates whose reply was lost before it sends them again.
    p.gantry(&["up", "--yes"]).assert_code(0);
    let after_up = support::faults::stats(&key);
    eprintln!("{stack}: faults during up: {after_up}");
    if throttle > 0.0 {
        assert!(
            after_up["throttled"].as_u64().unwrap() > 0,
            "nothing was throttled"
        );
    }
    if lose > 0.0 {
        assert!(after_up["lost"].as_u64().unwrap() > 0, "no reply was lost");
    }
    // No address is claimed by two live objects.
    let items = gantry_aws::inventory::stack_resources(&ctx, stack, "dev")
        .await
        .unwrap();
    let mut per_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in &items {
        per_address
            .entry(i.address.clone())
            .or_default()
            .push(i.id.clone());
    }
    let dupes: Vec<_> = per_address
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    assert!(dupes.is_empty(), "{stack}: duplicated: {dupes:?}");
    // The objects a lost reply used to duplicate, counted straight from EC2
    // and ECS (live ones only: the emulator keeps deleted objects' tags).
    let vpcs = ctx
        .ec2()
        .describe_vpcs()
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("tag:gantry:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "{stack}: VPCs");
    let igws = ctx
        .ec2()
        .describe_internet_gateways()
        .filters(
            gantry_aws::aws_sdk_ec2::types::Filter::builder()
                .name("tag:gantry:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        igws.internet_gateways().len(),
        1,
        "{stack}: internet gateways"
    );
    // One active revision per task definition the state records
    // (`familyPrefix` takes a whole family name).
    let families: Vec<String> = p.gantry(&["status", "--json"]).json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "ecs_task_definition")
        .map(|r| {
            let arn = r["id"].as_str().unwrap();
            let f = arn.rsplit_once(":task-definition/").unwrap().1;
            f.rsplit_once(':').unwrap().0.to_string()
        })
        .collect();
    assert!(!families.is_empty());
    for family in &families {
        let tds = ctx
            .ecs()
            .list_task_definitions()
            .family_prefix(family)
            .status(gantry_aws::aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .unwrap();
        assert_eq!(
            tds.task_definition_arns().len(),
            1,
            "{stack}: active revisions of {family}"
        );
    }

    // Plans stay honest while the faults go on, and destroy leaves nothing.
    p.gantry(&["plan", "--detailed-exitcode"]).assert_code(0);
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    let faults = support::faults::stats(&key);
    support::faults::reset(&key);
    let left = gantry_aws::inventory::stack_resources(&ctx, stack, "dev")
        .await
        .unwrap();
    assert!(left.is_empty(), "{stack}: left behind: {left:?}");
    faults
}

/// Runs [`under_faults`] once per seed and checks the faults happened.
async fn over_seeds(example: &str, prefix: &str, throttle: f64, lose: f64) {
    let (mut throttled, mut lost) = (0, 0);
    for seed in SEEDS {
        let stats = under_faults(example, &format!("{prefix}{seed}"), seed, throttle, lose).await;
        throttled += stats["throttled"].as_u64().unwrap();
        lost += stats["lost"].as_u64().unwrap();
    }
    eprintln!(
        "{prefix}: {throttled} calls throttled, {lost} replies lost over {} seeds",
        SEEDS.len()
    );
    if throttle > 0.0 {
        assert!(throttled > 0, "nothing was throttled");
    }
    if lose > 0.0 {
        assert!(lost > 0, "no reply was lost");
    }
}

/// Seeds of the fault sequences: each makes other calls fail.
const SEEDS: [u64; 3] = [1, 2, 3];

#[tokio::test(flavor = "multi_thread")]
async fn minimal_converges_at_20_percent_throttling() {
    over_seeds("minimal.yaml", "thr-min", 0.2, 0.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_rds_converges_at_20_percent_throttling() {
    over_seeds("fastapi-rds.yaml", "thr-rds", 0.2, 0.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn minimal_makes_no_second_copy_at_5_percent_lost_replies() {
    over_seeds("minimal.yaml", "lost-min", 0.0, 0.05).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_rds_makes_no_second_copy_at_5_percent_lost_replies() {
    over_seeds("fastapi-rds.yaml", "lost-rds", 0.0, 0.05).await;
}
