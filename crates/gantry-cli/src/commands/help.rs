//! `gantry help [COMMAND...]` and `gantry help spec [KEY]`: clap's help of
//! gantry or of a command (as `--help` prints it), or the reference of a
//! spec key (`gantry_cli::spec_help`).

use gantry_cli::exit;

pub fn run(topic: &[String]) -> miette::Result<u8> {
    if topic.first().map(String::as_str) == Some("spec") {
        let key = topic[1..].join(".");
        print!("{}", gantry_cli::spec_help::lookup(&key)?);
        return Ok(exit::OK);
    }
    let mut cmd = gantry_cli::cli::command();
    let mut at = &mut cmd;
    for (i, name) in topic.iter().enumerate() {
        let known: Vec<String> = at
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        match at.find_subcommand_mut(name) {
            Some(s) => at = s,
            None if i > 0 && name == "help" => break,
            None => {
                let within = if i == 0 {
                    "gantry".to_string()
                } else {
                    format!("gantry {}", topic[..i].join(" "))
                };
                return Err(miette::miette!(
                    help = format!(
                        "its commands: {}; `gantry help spec KEY` describes a spec key",
                        known.join(", ")
                    ),
                    "`{within}` has no command `{name}`"
                ));
            }
        }
    }
    // Exactly what `gantry COMMAND --help` prints: let the parser print it.
    let mut args = vec!["gantry".to_string()];
    args.extend(topic.iter().cloned());
    args.push("--help".to_string());
    match gantry_cli::cli::command().try_get_matches_from(args) {
        Err(e) => e
            .print()
            .map_err(|e| miette::miette!("printing the help: {e}"))?,
        Ok(_) => unreachable!("--help always ends parsing"),
    }
    Ok(exit::OK)
}
