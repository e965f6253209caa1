//! Cost for the CLI: what a plan changes in the monthly bill (the recorded
//! resources priced against the desired ones), every environment side by
//! side for `gantry cost`, and the NAT-versus-endpoints trade-off in
//! figures. The pricing itself is `gantry_cost`'s.

use gantry_core::{Address, DesiredGraph};
use gantry_cost::{usd, usd_delta, Estimate, Estimator, PriceError, Priced, Prices, Usage};
use gantry_model::{Egress, Model};
use gantry_state::State;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The price table: built in, or with a file's items over it.
pub fn prices(file: Option<&std::path::Path>) -> miette::Result<Prices> {
    let Some(path) = file else {
        return Ok(Prices::built_in());
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| miette::miette!("{}: {e}", path.display()))?;
    Prices::with_overrides(&text, &path.display().to_string()).map_err(|e| miette::miette!("{e}"))
}

/// The model's assumed use (`usage:` over the defaults) prices what
/// depends on use.
fn estimator<'a>(model: &'a Model, prices: &'a Prices) -> Estimator<'a> {
    Estimator {
        prices,
        usage: &model.usage,
        region: &model.region,
        // What runs once deployed, not the 0 a build: service waits at.
        task_counts: model
            .services
            .iter()
            .map(|s| (s.name.clone(), i64::from(s.desired_count)))
            .collect(),
    }
}

/// The desired graph's charges.
pub fn of_graph(
    model: &Model,
    graph: &DesiredGraph,
    prices: &Prices,
) -> Result<Estimate, PriceError> {
    estimator(model, prices).graph(graph)
}

/// The recorded resources' charges.
pub fn of_state(model: &Model, state: &State, prices: &Prices) -> Result<Estimate, PriceError> {
    let all: Vec<Priced> = state
        .resources
        .iter()
        .map(|(a, r)| Priced {
            address: a,
            kind: &r.kind,
            props: &r.props,
        })
        .collect();
    estimator(model, prices).resources(&all)
}

/// What a plan does to the monthly bill.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanCost {
    pub region: String,
    /// The recorded resources' monthly total, and the desired ones'.
    pub before_usd: f64,
    pub after_usd: f64,
    pub change_usd: f64,
    /// Of the desired total, what the usage profile assumes.
    pub after_assumed_usd: f64,
    /// Per resource the plan changes: before and after.
    pub resources: BTreeMap<Address, (f64, f64)>,
    /// Items priced at us-east-1 rates for want of the region's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approximate: Vec<String>,
    /// Charges without a price in the table, left out of the totals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<String>,
}

/// The cost of the plan's changes.
pub fn plan_cost(
    model: &Model,
    graph: &DesiredGraph,
    state: &State,
    plan: &gantry_plan::Plan,
    prices: &Prices,
) -> Result<PlanCost, PriceError> {
    let before = of_state(model, state, prices)?;
    let after = of_graph(model, graph, prices)?;
    let (b, a) = (before.by_address(), after.by_address());
    let changed: BTreeSet<&Address> = plan
        .actions
        .iter()
        .filter(|x| x.action != gantry_plan::Action::NoOp)
        .map(|x| &x.address)
        .collect();
    let resources = changed
        .into_iter()
        .map(|addr| {
            let get = |m: &BTreeMap<Address, f64>| m.get(addr).copied().unwrap_or(0.0);
            (addr.clone(), (get(&b), get(&a)))
        })
        .filter(|(_, (x, y))| (x - y).abs() >= 0.005)
        .collect();
    Ok(PlanCost {
        region: model.region.clone(),
        before_usd: before.total(),
        after_usd: after.total(),
        change_usd: after.total() - before.total(),
        after_assumed_usd: after.assumed(),
        resources,
        approximate: after
            .approximate_items()
            .into_iter()
            .map(str::to_string)
            .collect(),
        unpriced: after
            .unpriced
            .iter()
            .map(|(a, item)| format!("{a} ({item})"))
            .collect(),
    })
}

/// The plan's cost section.
pub fn render_plan_cost(c: &PlanCost, label: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nEstimated cost of {label}: {}/mo ({} with this plan), of which {} assumes use (see `gantry cost`).",
        usd(c.after_usd),
        usd_delta(c.change_usd),
        usd(c.after_assumed_usd)
    );
    let w = c
        .resources
        .keys()
        .map(|a| a.to_string().len())
        .max()
        .unwrap_or(0);
    for (a, (before, after)) in &c.resources {
        let line = match (*before > 0.0, *after > 0.0) {
            (false, _) => format!("{}/mo", usd_delta(*after)),
            (true, false) => format!("{}/mo", usd_delta(-*before)),
            (true, true) => format!(
                "{}/mo ({} -> {})",
                usd_delta(after - before),
                usd(*before),
                usd(*after)
            ),
        };
        let _ = writeln!(out, "  {:w$}  {line}", a.to_string());
    }
    if !c.unpriced.is_empty() {
        let _ = writeln!(
            out,
            "  Not in the total, for want of a price (add it with --prices): {}.",
            c.unpriced.join(", ")
        );
    }
    if !c.approximate.is_empty() {
        let _ = writeln!(
            out,
            "  {} has no price of its own in the table for {}: priced at us-east-1 rates.",
            c.region,
            c.approximate.join(", ")
        );
    }
    out
}

/// One environment's estimate, for `gantry cost`.
pub struct EnvCost {
    pub env: String,
    pub estimate: Estimate,
    /// The use it assumes (the environment's `usage:`).
    pub usage: Usage,
}

/// The estimate of each environment `envs` of `spec`, and the first one's
/// model.
pub fn environments(
    spec: &gantry_spec::Spec,
    envs: &[String],
    prices: &Prices,
) -> miette::Result<(Vec<EnvCost>, Option<Model>)> {
    let mut out = Vec::new();
    let mut first = None;
    for env in envs {
        let model = Model::build(spec, env)?;
        let graph = gantry_architect::architect(&model)
            .map_err(|e| miette::miette!("the architecture could not be generated: {e}"))?;
        let estimate = of_graph(&model, &graph, prices).map_err(|e| miette::miette!("{e}"))?;
        out.push(EnvCost {
            env: env.clone(),
            estimate,
            usage: model.usage.clone(),
        });
        first.get_or_insert(model);
    }
    Ok((out, first))
}

/// The use the estimates assume: one line when every environment assumes
/// the same, else one per environment.
pub fn render_usage(envs: &[EnvCost]) -> String {
    let line = |u: &Usage| {
        format!(
            "{} GB through each NAT gateway, {} GB through each endpoint, {} load balancer capacity units, {} GB of logs per log group, {} GB per bucket, {} GB of images per repository, {}M requests per API and web ACL",
            u.nat_gb, u.endpoint_gb, u.lb_lcu, u.log_gb, u.bucket_gb, u.image_gb, u.api_millions
        )
    };
    let mut out = String::new();
    match envs {
        [first, rest @ ..] if rest.iter().all(|e| e.usage == first.usage) => {
            let _ = writeln!(out, "Assumed use, a month: {}.", line(&first.usage));
        }
        _ => {
            out.push_str("Assumed use, a month:\n");
            for e in envs {
                let _ = writeln!(out, "  {}: {}.", e.env, line(&e.usage));
            }
        }
    }
    out.push_str("Set the figures under `usage:` in the spec (per environment under `environments.ENV.usage`); `gantry help spec usage` lists them.\n");
    out
}

/// Every environment side by side: a row per resource (and per charge with
/// `detail`), a column per environment, then the totals.
pub fn render_table(envs: &[EnvCost], detail: bool) -> String {
    let mut out = String::new();
    let mut rows: BTreeMap<(String, String), Vec<Option<f64>>> = BTreeMap::new();
    for (i, e) in envs.iter().enumerate() {
        for l in &e.estimate.lines {
            let what = if detail {
                format!(
                    "{}{}",
                    l.what,
                    if l.assumed { " (assumed use)" } else { "" }
                )
            } else {
                String::new()
            };
            let row = rows
                .entry((l.address.to_string(), what))
                .or_insert_with(|| vec![None; envs.len()]);
            *row[i].get_or_insert(0.0) += l.monthly_usd;
        }
    }
    let label = |(a, w): &(String, String)| {
        if w.is_empty() {
            a.clone()
        } else {
            format!("{a}: {w}")
        }
    };
    let w = rows
        .keys()
        .map(|k| label(k).len())
        .max()
        .unwrap_or(8)
        .max(8);
    let cw = 12;
    let _ = write!(out, "{:w$}", "");
    for e in envs {
        let _ = write!(out, "  {:>cw$}", e.env);
    }
    out.push('\n');
    for (k, row) in &rows {
        let _ = write!(out, "{:w$}", label(k));
        for v in row {
            // `-`: the environment has no such resource.
            let v = v.map_or_else(|| "-".to_string(), usd);
            let _ = write!(out, "  {v:>cw$}");
        }
        out.push('\n');
    }
    let mut total = |name: &str, f: &dyn Fn(&Estimate) -> f64| {
        let _ = write!(out, "{name:w$}");
        for e in envs {
            // `+`: some charge has no price and is not counted.
            let more = if e.estimate.unpriced.is_empty() {
                ""
            } else {
                "+"
            };
            let _ = write!(out, "  {:>cw$}", format!("{}{more}", usd(f(&e.estimate))));
        }
        out.push('\n');
    };
    total("fixed", &|e| e.fixed());
    total("assumed use", &|e| e.assumed());
    total("total per month", &|e| e.total());
    let unpriced: BTreeSet<String> = envs
        .iter()
        .flat_map(|e| e.estimate.unpriced.iter())
        .map(|(a, item)| format!("{a} ({item})"))
        .collect();
    if !unpriced.is_empty() {
        let _ = writeln!(
            out,
            "\nNot in the totals, for want of a price in the table (add it with --prices): {}",
            unpriced.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    out
}

/// NAT gateways against interface endpoints, in figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tradeoff {
    /// The interface endpoints the stack would need, and their AZs.
    pub endpoints: usize,
    pub azs: usize,
    pub endpoints_usd: f64,
    /// One NAT gateway with its address.
    pub nat_usd: f64,
    pub nat_gb_usd: f64,
    pub endpoint_gb_usd: f64,
    /// Monthly GB above which endpoints cost less, when they cost more
    /// before traffic.
    pub break_even_gb: Option<f64>,
}

/// Prices the stack's egress both ways: one NAT gateway (and its address)
/// against the interface endpoints `egress: endpoints` would create.
/// `None` when there is no private egress to choose.
pub fn egress_tradeoff(model: &Model, prices: &Prices) -> Option<Tradeoff> {
    if model.network.egress == Egress::None || model.services.is_empty() {
        return None;
    }
    let with = |egress: Egress| {
        let mut m = model.clone();
        m.network.egress = egress;
        let g = gantry_architect::architect(&m).ok()?;
        let e = of_graph(&m, &g, prices).ok()?;
        Some(e)
    };
    let nat = with(Egress::Nat)?;
    let ep = with(Egress::Endpoints)?;
    let fixed = |e: &Estimate, items: &[&str]| -> f64 {
        e.lines
            .iter()
            .filter(|l| items.contains(&l.item.as_str()) && !l.assumed)
            .map(|l| l.monthly_usd)
            .sum()
    };
    let nat_usd = fixed(&nat, &["nat_gateway_hour"])
        + nat
            .lines
            .iter()
            .filter(|l| l.address.kind() == gantry_core::kinds::EIP)
            .map(|l| l.monthly_usd)
            .sum::<f64>();
    let endpoints_usd = fixed(&ep, &["vpc_endpoint_az_hour"]);
    let endpoints = ep
        .lines
        .iter()
        .filter(|l| l.item == "vpc_endpoint_az_hour")
        .count();
    let nat_gb_usd = prices.get("nat_gateway_gb", &model.region).ok()?.usd;
    let endpoint_gb_usd = prices.get("vpc_endpoint_gb", &model.region).ok()?.usd;
    let break_even_gb = (endpoints_usd > nat_usd && nat_gb_usd > endpoint_gb_usd)
        .then(|| (endpoints_usd - nat_usd) / (nat_gb_usd - endpoint_gb_usd));
    Some(Tradeoff {
        endpoints,
        azs: model.network.azs.len(),
        endpoints_usd,
        nat_usd,
        nat_gb_usd,
        endpoint_gb_usd,
        break_even_gb,
    })
}

pub fn render_tradeoff(t: &Tradeoff) -> String {
    let mut out = format!(
        "Egress: {} interface endpoints in {} AZs cost {}/mo before traffic; one NAT gateway with its address {}/mo. Data costs ${}/GB through an endpoint and ${}/GB through NAT",
        t.endpoints,
        t.azs,
        usd(t.endpoints_usd),
        usd(t.nat_usd),
        t.endpoint_gb_usd,
        t.nat_gb_usd,
    );
    match t.break_even_gb {
        Some(gb) => {
            let _ = write!(
                out,
                ": endpoints save money only above {:.0} GB a month.",
                gb.ceil()
            );
        }
        None => out.push_str(": endpoints cost less at any traffic."),
    }
    out.push('\n');
    out
}
