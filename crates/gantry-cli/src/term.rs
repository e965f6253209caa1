//! Terminal facts: whether to use colour, and whether we may prompt.

use std::io::IsTerminal;

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org)
/// or `--no-color` was given.
pub fn use_color(no_color_flag: bool) -> bool {
    if no_color_flag {
        return false;
    }
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    std::io::stdout().is_terminal()
}

/// True when both stdin and stderr are terminals, so a question can be
/// asked and answered.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no question on stderr; only an explicit `yes` confirms, as
/// Terraform does, since this guards changes to live infrastructure.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    use std::io::Write;
    let mut err = std::io::stderr();
    write!(
        err,
        "{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    )?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// Asks `question` on stderr and returns the line answered.
pub fn ask(question: &str) -> std::io::Result<String> {
    use std::io::Write;
    let mut err = std::io::stderr();
    write!(err, "{question}")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line)
}
