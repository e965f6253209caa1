//! `gantry new [DIR]`: write a first, commented `gantry.yaml` from one of
//! the examples (`gantry_cli::scaffold`), add `.gantry/` to `.gitignore`,
//! and say what to run next. Never overwrites a spec.

use gantry_cli::cli::NewArgs;
use gantry_cli::exit;
use gantry_cli::scaffold::{self, Choices, Example, NewError, EXAMPLES};
use gantry_cli::term;
use std::path::Path;

pub fn run(a: &NewArgs) -> miette::Result<u8> {
    let spec_path = a.dir.join("gantry.yaml");
    let exists = || NewError::Exists(spec_path.display().to_string());
    if spec_path.exists() {
        return Err(exists().into());
    }
    let example = match &a.from {
        Some(id) => scaffold::example(id).expect("clap checked the value"),
        None => ask()?,
    };
    let name = match &a.name {
        Some(n) => n.clone(),
        None => default_name(&a.dir),
    };
    let text = scaffold::render(
        example,
        &Choices {
            name: name.clone(),
            region: a.region.clone(),
        },
    )?;
    std::fs::create_dir_all(&a.dir)
        .map_err(|e| miette::miette!("creating {}: {e}", a.dir.display()))?;
    // `create_new`: a spec that appeared since the check is not overwritten.
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&spec_path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists().into()),
        Err(e) => return Err(miette::miette!("writing {}: {e}", spec_path.display())),
    };
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| miette::miette!("writing {}: {e}", spec_path.display()))?;
    let ignore = a.dir.join(".gitignore");
    let existing = std::fs::read_to_string(&ignore).ok();
    let ignored = match scaffold::gitignore(existing.as_deref()) {
        Some(t) => {
            std::fs::write(&ignore, t)
                .map_err(|e| miette::miette!("writing {}: {e}", ignore.display()))?;
            format!("; `.gantry/` (local state) added to {}", ignore.display())
        }
        None => String::new(),
    };
    println!(
        "Wrote {} from the `{}` example: stack `{name}`{ignored}.",
        spec_path.display(),
        example.id
    );
    println!("\nNext:");
    if a.dir != Path::new(".") {
        println!("  cd {}", a.dir.display());
    }
    println!("  gantry doctor   # credentials, region, endpoint, state: ready?");
    println!("  gantry plan     # what `up` would create, with its monthly cost");
    println!("  gantry up       # create it");
    if text.contains("\n        build:") {
        println!("Then `gantry deploy --build` builds and ships the `build:` images.");
    }
    Ok(exit::OK)
}

/// The directory's name as a stack name (the current directory's for `.`).
fn default_name(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = abs
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    scaffold::name_from(&base)
}

/// Which example fits, asked on a terminal; elsewhere, an error listing
/// the choices (a script must say `--from`).
fn ask() -> miette::Result<&'static Example> {
    let list: String = EXAMPLES
        .iter()
        .enumerate()
        .map(|(i, e)| format!("  {}. {:15} {}\n", i + 1, e.id, e.shape))
        .collect();
    if !term::interactive() {
        return Err(miette::miette!(
            help = format!("pass --from with one of:\n{list}"),
            "which example to start from? (not asking: standard input is not a terminal)"
        ));
    }
    let answer = term::ask(&format!(
        "Which shape fits your app?\n{list}\nNumber or name [1]: "
    ))
    .map_err(|e| miette::miette!("reading the answer: {e}"))?;
    let answer = answer.trim();
    if answer.is_empty() {
        return Ok(&EXAMPLES[0]);
    }
    answer
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| EXAMPLES.get(i))
        .or_else(|| scaffold::example(answer))
        .ok_or_else(|| {
            miette::miette!(
                help = format!(
                    "answer 1 to {}, or a name: {}",
                    EXAMPLES.len(),
                    scaffold::ids()
                ),
                "`{answer}` is none of the choices"
            )
        })
}
