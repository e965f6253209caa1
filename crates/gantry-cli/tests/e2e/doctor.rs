//! `gantry doctor` against the emulator, and the pre-flight `plan`, `up`
//! and `destroy` make: it rides out throttling with the SDK's retries and
//! asks STS once per run.

use crate::support::{faults, Project};

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_against_the_emulator_and_a_run_asks_sts_once() {
    const KEY: &str = "AKIADOCTOR";
    let p = Project::from_example("minimal.yaml").keyed(KEY);
    let run = p.gantry(&["doctor"]);
    run.assert_code(0);
    let said = run.stdout();
    for line in [
        "✓ spec ",
        "✓ region ",
        "✓ endpoint ",
        "✓ credentials       from environment variables (AWS_ACCESS_KEY_ID), key AKIA…CTOR",
        "✓ identity          account ",
        "✓ state ",
        "✓ lock              not held",
        "Ready: every required check passed",
    ] {
        assert!(said.contains(line), "no `{line}` in:\n{said}");
    }
    // Nothing failed but, perhaps, the optional tools.
    for l in said.lines().filter(|l| l.starts_with('✗')) {
        assert!(
            l.contains("container engine") || l.contains("exec plugin"),
            "{said}"
        );
    }

    // Half of the calls throttled: the pre-flight's GetCallerIdentity is
    // retried like any call, and one reached the emulator.
    faults::reset(KEY);
    faults::profile(KEY, 11, 0.5, 0.0);
    p.gantry(&["plan"]).assert_code(0);
    let stats = faults::stats(KEY);
    let sts_calls = stats["calls"]["sts:GetCallerIdentity"]
        .as_u64()
        .unwrap_or(0);
    let sts_throttled = stats["faults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["call"] == "sts:GetCallerIdentity")
        .count() as u64;
    assert_eq!(sts_calls - sts_throttled, 1, "{stats}");
    faults::reset(KEY);
}
