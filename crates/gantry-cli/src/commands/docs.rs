//! `gantry docs`: the architecture document of an environment, from the
//! spec and (when the stack exists) its recorded state, read without the
//! lock; no AWS call.

use gantry_cli::cli::{DocsArgs, Global};
use gantry_cli::exit;
use gantry_cli::ops::Workspace;

pub fn run(g: &Global, a: &DocsArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let state = ws.read_state().ok().filter(|s| !s.resources.is_empty());
    // The cost section: every environment side by side, when it prices.
    let cost = gantry_spec::load_file(&g.file).ok().and_then(|spec| {
        let prices = gantry_cli::cost::prices(g.prices.as_deref()).ok()?;
        let envs = spec.environment_names();
        let (table, _) = gantry_cli::cost::environments(&spec, &envs, &prices).ok()?;
        Some(gantry_cli::cost::render_table(&table, false))
    });
    let doc = gantry_cli::docs::document(&ws.model, &ws.graph, state.as_ref(), cost.as_deref());
    match &a.output {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| miette::miette!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, &doc).map_err(|e| miette::miette!("{}: {e}", path.display()))?;
            eprintln!("Wrote {} ({} lines).", path.display(), doc.lines().count());
        }
        None => print!("{doc}"),
    }
    Ok(exit::OK)
}
