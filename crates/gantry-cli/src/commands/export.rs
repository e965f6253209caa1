//! `gantry export cloudformation`: the desired graph of an environment (or
//! of every environment) as CloudFormation templates, from the spec and
//! the images recorded releases keep; no AWS call. The mapping lives in
//! `gantry-export`; this writes the files and prints what the templates
//! could not say by themselves.

use gantry_cli::cli::{CloudformationArgs, ExportCommand, Global};
use gantry_cli::exit;
use gantry_cli::ops::Workspace;
use gantry_export::{Context, NoteKind};

pub fn run(g: &Global, c: &ExportCommand) -> miette::Result<u8> {
    match c {
        ExportCommand::Cloudformation(a) => cloudformation(g, a),
    }
}

fn cloudformation(g: &Global, a: &CloudformationArgs) -> miette::Result<u8> {
    if a.all && g.env.is_some() {
        return Err(miette::miette!(
            help = "drop -e to export every environment, or --all to export one",
            "--all and -e ask for different things"
        ));
    }
    let envs = if a.all {
        gantry_spec::load_file(&g.file)?.environment_names()
    } else {
        vec![g
            .env
            .clone()
            .unwrap_or_else(|| gantry_model::default_env().to_string())]
    };
    std::fs::create_dir_all(&a.output)
        .map_err(|e| miette::miette!("{}: {e}", a.output.display()))?;
    for env in envs {
        let global = Global {
            file: g.file.clone(),
            env: Some(env),
            state_dir: g.state_dir.clone(),
            state: g.state.clone(),
            no_color: g.no_color,
            prices: g.prices.clone(),
        };
        let ws = Workspace::load(&global)?;
        let ctx = Context {
            stack: ws.model.stack.clone(),
            env: ws.model.env.clone(),
            region: ws.model.region.clone(),
        };
        let out = gantry_export::cloudformation(&ws.graph, &ctx)
            .map_err(|e| miette::miette!("cannot export {}: {e}", ws.label()))?;
        let path = a
            .output
            .join(format!("{}-{}.template.json", ctx.stack, ctx.env));
        let text = serde_json::to_string_pretty(&out.template).expect("JSON") + "\n";
        std::fs::write(&path, text).map_err(|e| miette::miette!("{}: {e}", path.display()))?;
        println!(
            "Wrote {}: {} resources from {} addresses, {} parameters, {} scanner checks skipped with reasons.",
            path.display(),
            out.resource_count(),
            ws.graph.len(),
            out.parameter_count(),
            out.skips().len()
        );
        // How to deploy it; parameters are left for the deployer to fill in.
        let mut deploy = format!(
            "aws cloudformation deploy --region {} --stack-name {}-{} --template-file {}",
            ctx.region,
            ctx.stack,
            ctx.env,
            path.display()
        );
        let caps = out.capabilities();
        if !caps.is_empty() {
            deploy.push_str(&format!(" --capabilities {}", caps.join(" ")));
        }
        let params = out.parameters();
        if !params.is_empty() {
            let values: Vec<String> = params.iter().map(|p| format!("{p}=...")).collect();
            deploy.push_str(&format!(" --parameter-overrides {}", values.join(" ")));
        }
        println!("  deploy with: {deploy}");
        for kind in [
            NoteKind::Parameter,
            NoteKind::Folded,
            NoteKind::NotCarried,
            NoteKind::Deploy,
        ] {
            for n in out.notes.iter().filter(|n| n.kind == kind) {
                println!("  {} ({}): {}", n.address, kind.label(), n.message);
            }
        }
    }
    Ok(exit::OK)
}
