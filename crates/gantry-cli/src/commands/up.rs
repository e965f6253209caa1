//! `gantry up`: plan, confirm, then apply with live progress.

use super::apply::{apply_plan, confirm_or_refuse};
use gantry_cli::cli::{Global, UpArgs};
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use gantry_cli::progress::Progress;

pub async fn run(g: &Global, a: &UpArgs, color: bool) -> miette::Result<u8> {
    let mut ws = Workspace::load_as(g, a.from.as_deref())?;
    super::print_warnings(&ws, color);
    if a.from.is_some() {
        // Recorded before anything is applied, so a preview that fails
        // half-way is still listed and collected.
        let rec = gantry_cli::preview::record(&ws, a.ttl, time::OffsetDateTime::now_utc())?;
        ws.expires_at = Some(rec.expires_at);
        eprintln!(
            "Preview {} of {} expires at {}.",
            ws.label(),
            rec.from,
            ops::rfc3339(rec.expires_at)
        );
    }
    // Credentials, endpoint and identity are checked once, before the
    // plan: one error with its fix rather than one per resource.
    let (ctx, session) = ops::start(&mut ws, "up").await?;
    let engine = ops::engine(&ctx, ws.tags(), a.parallelism);
    super::apply::warn_takeover(&session);
    let refresh_progress = Progress::new(0, color);
    let plan = ops::plan(&engine, &ws, &session, &refresh_progress, true).await;
    refresh_progress.finish();
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            let e = session.explain(e);
            session.close()?;
            return Err(e.into());
        }
    };
    print!("{}", gantry_plan::render_text(&plan, color));
    if let Some(c) = super::plan_cost(g, &ws, &session.store.state(), &plan) {
        print!("{}", gantry_cli::cost::render_plan_cost(&c, &ws.label()));
    }
    if !plan.has_changes() {
        print!("{}", addresses(&session));
        session.close()?;
        return Ok(exit::OK);
    }
    let loss = plan.data_loss();
    if !loss.is_empty() && !a.allow_data_loss {
        session.close()?;
        return Err(super::apply::data_loss_refusal(&loss));
    }
    if !confirm_or_refuse(a.yes, &format!("Apply these changes to {}?", ws.label()))? {
        session.close()?;
        eprintln!("Apply cancelled.");
        return Ok(exit::ERROR);
    }
    let before = session.store.state();
    let code = apply_plan(&engine, &ws.graph, &plan, &session, color, "Apply").await?;
    gantry_cli::deploy::record_applied(&ws, &session, &before).await?;
    print!("{}", addresses(&session));
    session.close()?;
    Ok(code)
}

/// The app's addresses as the state now records them.
fn addresses(session: &ops::Session) -> String {
    gantry_cli::render::status::endpoints(&gantry_cli::endpoints::endpoints(&session.store.state()))
}
