//! `gantry import copilot DIR` / `gantry import compose FILE`: write a
//! spec converted by `gantry-import`, refuse to overwrite one unless
//! `--force`, and say on stderr what was converted and what needs
//! attention (the `# import:` comments).

use gantry_cli::cli::ImportCommand;
use gantry_cli::exit;
use gantry_import::{compose, copilot, Options};
use std::path::{Component, Path, PathBuf};

pub fn run(c: &ImportCommand) -> miette::Result<u8> {
    let (what, source, args) = match c {
        ImportCommand::Copilot { dir, out } => ("Copilot workspace", dir, out),
        ImportCommand::Compose { file, out } => ("compose file", file, out),
    };
    let output = &args.output;
    if output.exists() && !args.force {
        return Err(miette::miette!(
            help = "pass --force to overwrite it, or -o to write elsewhere",
            "{} already exists",
            output.display()
        ));
    }
    // Build contexts in the sources are relative to this directory; the
    // spec names them relative to where it is written.
    let source_dir = match c {
        ImportCommand::Copilot { dir, .. } if dir.file_name().is_some_and(|n| n == "copilot") => {
            dir.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        }
        ImportCommand::Copilot { dir, .. } => dir.clone(),
        ImportCommand::Compose { file, .. } => file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let out_dir = output
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let opts = Options {
        name: args.name.clone(),
        region: args.region.clone(),
        base: relative(&out_dir, &source_dir),
    };
    let import = match c {
        ImportCommand::Copilot { dir, .. } => copilot::import_dir(dir, &opts),
        ImportCommand::Compose { file, .. } => compose::import_file(file, &opts),
    }
    .map_err(|e| miette::miette!("{e}"))?;
    std::fs::write(output, &import.spec)
        .map_err(|e| miette::miette!("cannot write {}: {e}", output.display()))?;

    eprintln!(
        "wrote {} from the {what} {}",
        output.display(),
        source.display()
    );
    if !import.converted.is_empty() {
        eprintln!("\nconverted:");
        for line in &import.converted {
            eprintln!("  {line}");
        }
    }
    if !import.notes.is_empty() {
        eprintln!(
            "\nneeds attention ({}; each is a `# import:` comment in {}):",
            import.notes.len(),
            output.display()
        );
        for n in &import.notes {
            let at = if n.key.is_empty() {
                n.file.clone()
            } else {
                format!("{} {}", n.file, n.key)
            };
            eprintln!("  {at}: {}", n.message);
        }
    }
    // The importer's output always validates; a flag value (--region,
    // --name) may not.
    if let Err(e) = gantry_spec::parse_str(&output.display().to_string(), &import.spec) {
        eprintln!();
        return Err(miette::Report::new(e).wrap_err(format!(
            "{} was written but is not a valid spec",
            output.display()
        )));
    }
    eprintln!(
        "\nnext: review the comments, then `gantry -f {} validate` and `gantry -f {} plan`",
        output.display(),
        output.display()
    );
    Ok(exit::OK)
}

/// The path of `to` seen from `from` (both directories), `""` when they
/// are the same; made absolute first when both exist.
fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
    };
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
