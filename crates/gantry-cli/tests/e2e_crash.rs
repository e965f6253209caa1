//! Kill -9 in the middle of `up` against the local AWS emulator, then `up`
//! again: the stack converges with exactly one of everything (resources
//! created just before the kill are found by their tags and adopted), and
//! `destroy` leaves nothing.

mod support;

use gantry_aws::AwsContext;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;
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
