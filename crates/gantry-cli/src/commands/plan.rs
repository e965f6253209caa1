//! `gantry plan`: refresh from AWS and show what `up` would change.

use gantry_cli::cli::{Global, PlanArgs};
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use gantry_cli::progress::Progress;

pub async fn run(g: &Global, a: &PlanArgs, color: bool) -> miette::Result<u8> {
    let mut ws = Workspace::load(g)?;
    super::print_warnings(&ws, color);
    // Credentials, endpoint and identity are checked once, before the
    // plan: one error with its fix rather than one per resource.
    let (ctx, session) = ops::start(&mut ws, "plan").await?;
    let engine = ops::engine(&ctx, ws.tags(), None);
    let reporter = Progress::new(0, color && !a.json);
    let plan = ops::plan(&engine, &ws, &session, &reporter, false).await;
    reporter.finish();
    let plan = plan.map_err(|e| session.explain(e));
    let state = session.store.state();
    session.close()?;
    let plan = plan?;
    let cost = super::plan_cost(g, &ws, &state, &plan);
    if a.json {
        let mut doc = serde_json::to_value(&plan).expect("plan serializes");
        if let (Some(o), Some(c)) = (doc.as_object_mut(), &cost) {
            o.insert(
                "cost".into(),
                serde_json::to_value(c).expect("cost serializes"),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("plan serializes")
        );
    } else {
        print!("{}", gantry_plan::render_text(&plan, color));
        if let Some(c) = &cost {
            print!("{}", gantry_cli::cost::render_plan_cost(c, &ws.label()));
        }
    }
    Ok(if a.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
