//! `gantry cost`: the monthly estimate of one environment, or of every
//! environment side by side, from the spec alone (no AWS call), with the
//! egress trade-off in figures.

use gantry_cli::cli::{CostArgs, Global};
use gantry_cli::cost;
use gantry_cli::exit;

pub fn run(g: &Global, a: &CostArgs) -> miette::Result<u8> {
    if a.all && g.env.is_some() {
        return Err(miette::miette!(
            help = "drop -e to see every environment, or --all to see one",
            "--all and -e ask for different things"
        ));
    }
    let prices = cost::prices(g.prices.as_deref())?;
    let spec = gantry_spec::load_file(&g.file)?;
    let envs = if a.all {
        spec.environment_names()
    } else {
        vec![g
            .env
            .clone()
            .unwrap_or_else(|| gantry_model::default_env().to_string())]
    };
    let (out, first_model) = cost::environments(&spec, &envs, &prices)?;
    let tradeoff = first_model
        .as_ref()
        .and_then(|m| cost::egress_tradeoff(m, &prices));
    if a.json {
        let envs: serde_json::Map<String, serde_json::Value> = out
            .iter()
            .map(|e| {
                (
                    e.env.clone(),
                    serde_json::json!({
                        "region": e.estimate.region,
                        "fixed_usd": e.estimate.fixed(),
                        "assumed_usd": e.estimate.assumed(),
                        "total_usd": e.estimate.total(),
                        "lines": e.estimate.lines,
                        "usage": e.usage,
                    }),
                )
            })
            .collect();
        let doc = serde_json::json!({
            "environments": envs,
            "egress_tradeoff": tradeoff,
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("JSON"));
        return Ok(exit::OK);
    }
    let region = first_model.as_ref().map_or("", |m| m.region.as_str());
    println!(
        "Estimated monthly cost in {region} (USD, on demand, 730 hours; free tiers and Savings Plans not applied):\n"
    );
    print!("{}", cost::render_table(&out, a.detail));
    let approximate: Vec<&str> = out
        .iter()
        .flat_map(|e| e.estimate.approximate_items())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !approximate.is_empty() {
        println!(
            "\nPriced at us-east-1 rates for want of {region}'s in the table: {}.",
            approximate.join(", ")
        );
    }
    print!("\n{}", cost::render_usage(&out));
    if let Some(t) = tradeoff {
        print!("\n{}", cost::render_tradeoff(&t));
    }
    Ok(exit::OK)
}
