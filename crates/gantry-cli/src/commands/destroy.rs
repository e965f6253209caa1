//! `gantry destroy`: delete every recorded resource, dependents first.

use super::apply::{apply_plan, confirm_or_refuse};
use gantry_cli::cli::{DestroyArgs, Global};
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use gantry_cli::progress::Progress;
use gantry_core::DesiredGraph;

pub async fn run(g: &Global, a: &DestroyArgs, color: bool) -> miette::Result<u8> {
    let mut ws = Workspace::load(g)?;
    // Credentials, endpoint and identity are checked once, before the
    // plan: one error with its fix rather than one per resource.
    let (ctx, session) = ops::start(&mut ws, "destroy").await?;
    let engine = ops::engine(&ctx, ws.tags(), None);
    super::apply::warn_takeover(&session);
    let recovery = Progress::new(0, color);
    let plan = ops::plan_destroy(&engine, &session, &recovery).await;
    recovery.finish();
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            let e = session.explain(e);
            session.close()?;
            return Err(e.into());
        }
    };
    print!("{}", gantry_plan::render_text(&plan, color));
    if !plan.has_changes() {
        session.close()?;
        forget_preview(&ws)?;
        return Ok(exit::OK);
    }
    let loss = plan.data_loss();
    let mut question = format!(
        "Destroy every resource of {}? There is no undo.",
        ws.label()
    );
    if !loss.is_empty() {
        let stores = super::apply::data_store_lines(&loss);
        eprintln!("\nThese data stores and everything in them will be deleted:\n{stores}\n");
        question = format!(
            "Destroy {} and the data in its {} data store(s) listed above? There is no undo.",
            ws.label(),
            loss.len()
        );
    }
    if !confirm_or_refuse(a.yes, &question)? {
        session.close()?;
        eprintln!("Destroy cancelled.");
        return Ok(exit::ERROR);
    }
    let before = session.store.state();
    let code = apply_plan(
        &engine,
        &DesiredGraph::new(),
        &plan,
        &session,
        color,
        "Destroy",
    )
    .await?;
    gantry_cli::deploy::record_applied(&ws, &session, &before).await?;
    session.close()?;
    if code == exit::OK {
        forget_preview(&ws)?;
    }
    Ok(code)
}

/// A preview destroyed whole is no longer one.
fn forget_preview(ws: &Workspace) -> miette::Result<()> {
    if ws.preview_from.is_some() {
        ws.backend
            .remove_preview()
            .map_err(gantry_cli::ops::OpsError::from)?;
    }
    Ok(())
}
