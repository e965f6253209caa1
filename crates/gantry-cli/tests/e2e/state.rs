//! `gantry state` against the emulator, checked through the AWS API: `rm`
//! forgets a resource and leaves it in AWS, and `up` adopts it back; a log
//! group made by hand through the Logs API is imported at the address the
//! spec wants and the next plan has nothing to do; `list`, `show` and
//! `pull` read what is recorded. `gantry drift` names a retention changed
//! through the Logs API, `plan` marks it, and `up` puts it back.

use crate::support::{self, Project};
use gantry_aws::AwsContext;

async fn log_groups(ctx: &AwsContext, name: &str) -> Vec<(String, Option<i32>)> {
    ctx.logs()
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap()
        .log_groups()
        .iter()
        .filter(|g| g.log_group_name() == Some(name))
        .map(|g| {
            (
                g.log_group_name().unwrap().to_string(),
                g.retention_in_days(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn state_rm_import_list_show_and_pull() {
    let spec = std::fs::read_to_string(format!("{}/examples/minimal.yaml", support::ROOT))
        .unwrap()
        .replace("name: minimal", "name: statecmd");
    let p = Project::new(&spec).keyed("statecmd");
    support::emulator_env();
    let ctx = AwsContext::load(Some("us-east-1".into())).await.unwrap();
    p.gantry(&["up", "--yes"]).assert_code(0);
    let name = p.recorded_id("log_group.web");

    let list = p.gantry(&["state", "list"]);
    list.assert_code(0);
    assert!(
        list.stdout()
            .lines()
            .any(|l| l.starts_with("log_group.web") && l.ends_with(&name)),
        "{}",
        list.stdout()
    );
    let show = p.gantry(&["state", "show", "log_group.web"]).json();
    assert_eq!(show["id"], name.as_str());
    assert_eq!(show["props"]["retention_in_days"], 30);
    let pull = p.gantry(&["state", "pull"]).json();
    assert_eq!(pull["resources"]["log_group.web"]["id"], name.as_str());

    // rm forgets, AWS keeps it, and up adopts it back (it is tagged).
    let rm = p.gantry(&["state", "rm", "log_group.web"]);
    rm.assert_code(0);
    assert!(
        rm.stdout().contains("it is still in AWS"),
        "{}",
        rm.stdout()
    );
    assert_eq!(log_groups(&ctx, &name).await.len(), 1);
    assert!(!p
        .gantry(&["state", "list"])
        .stdout()
        .contains("log_group.web"));
    let plan = p.gantry(&["plan"]);
    assert!(plan.stdout().contains("log_group.web"), "{}", plan.stdout());
    p.gantry(&["up", "--yes"]).assert_code(0);
    assert_eq!(p.recorded_id("log_group.web"), name);
    assert_eq!(log_groups(&ctx, &name).await.len(), 1, "no second copy");
    p.gantry(&["state", "rm", "log_group.nope"]).assert_code(1);

    // A log group made by hand, imported where the spec wants it.
    p.gantry(&["state", "rm", "log_group.web"]).assert_code(0);
    ctx.logs()
        .delete_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap();
    ctx.logs()
        .create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap();
    ctx.logs()
        .put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    p.gantry(&["state", "import", "log_group.web", "/no/such/group"])
        .assert_code(1);
    let import = p.gantry(&["state", "import", "log_group.web", &name]);
    import.assert_code(0);
    assert_eq!(p.recorded_id("log_group.web"), name);
    let plan = p.gantry(&["plan"]);
    plan.assert_code(0);
    assert!(plan.stdout().contains("No changes."), "{}", plan.stdout());

    // Drift: a change made through the Logs API, named field by field;
    // plan marks it, up puts the spec's value back.
    p.gantry(&["drift", "--detailed-exitcode"]).assert_code(0);
    ctx.logs()
        .put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let drift = p.gantry(&["drift", "--detailed-exitcode"]);
    drift.assert_code(2);
    assert!(
        drift.stdout().contains(&format!(
            "log_group.web ({name}):\n  ~ retention_in_days = 30 -> 7"
        )),
        "{}",
        drift.stdout()
    );
    let json = p.gantry(&["drift", "--json"]).json();
    assert_eq!(json[0]["fields"][0]["now"], 7);
    let plan = p.gantry(&["plan"]);
    assert!(
        plan.stdout()
            .contains("~ retention_in_days = 7 -> 30 # changed outside Gantry"),
        "{}",
        plan.stdout()
    );
    p.gantry(&["up", "--yes"]).assert_code(0);
    assert_eq!(log_groups(&ctx, &name).await, [(name.clone(), Some(30))]);
    p.gantry(&["drift", "--detailed-exitcode"]).assert_code(0);
    p.gantry(&["destroy", "--yes"]).assert_code(0);
    assert!(log_groups(&ctx, &name).await.is_empty());
}
