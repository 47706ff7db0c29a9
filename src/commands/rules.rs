//! `seal-guard rules`: every rule id with its one-line description.

use std::process::ExitCode;

use miette::IntoDiagnostic;

use crate::report::stdout_line;
use crate::rules::Rule;

pub fn run() -> miette::Result<ExitCode> {
    let width = Rule::ALL.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for rule in Rule::ALL {
        let line = format!(
            "{:width$}  {:7}  {}",
            rule.id(),
            rule.default_severity().as_str(),
            rule.description()
        );
        stdout_line(&line).into_diagnostic()?;
    }
    Ok(ExitCode::SUCCESS)
}
