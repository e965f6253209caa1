//! `gantry schema`: the spec's JSON Schema, for editor completion.

use gantry_cli::exit;

pub fn run() -> miette::Result<u8> {
    let schema = gantry_spec::json_schema();
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).expect("schema serializes")
    );
    Ok(exit::OK)
}
