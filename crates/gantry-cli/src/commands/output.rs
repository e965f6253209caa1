//! `gantry output`: values other tools need, from the recorded state (read
//! without the lock: it only looks).

use gantry_cli::cli::{Global, OutputArgs};
use gantry_cli::exit;
use gantry_cli::ops::{OpsError, Workspace};
use gantry_cli::outputs::{outputs, plain, select};

pub fn run(g: &Global, a: &OutputArgs) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let state = ws.read_state().map_err(OpsError::from)?;
    let all = outputs(&state);
    if all.is_empty() {
        return Err(miette::miette!(
            help = "`gantry up` creates it",
            "{} has no resources recorded, so no outputs",
            ws.label()
        ));
    }
    let chosen = match &a.name {
        None => all.iter().collect(),
        Some(name) => {
            let chosen = select(&all, name);
            if chosen.is_empty() {
                let stem = name.split('.').take(2).collect::<Vec<_>>().join(".");
                let near: Vec<&str> = all
                    .keys()
                    .filter(|k| k.starts_with(&stem))
                    .map(String::as_str)
                    .take(10)
                    .collect();
                return Err(miette::miette!(
                    help = if near.is_empty() {
                        "`gantry output` lists every output".to_string()
                    } else {
                        format!("outputs there: {}", near.join(", "))
                    },
                    "no output named `{name}`"
                ));
            }
            chosen
        }
    };
    if a.json {
        let map: serde_json::Map<String, serde_json::Value> = chosen
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&map).expect("JSON serializes")
        );
    } else if let ([(k, v)], Some(name)) = (chosen.as_slice(), &a.name) {
        if *k == name {
            // One value asked for by name: bare, for `$(gantry output ...)`.
            println!("{}", plain(v));
        } else {
            println!("{k}  {}", plain(v));
        }
    } else {
        let w = chosen.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in chosen {
            println!("{k:w$}  {}", plain(v));
        }
    }
    Ok(exit::OK)
}
