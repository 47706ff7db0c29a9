//! `seal-guard completions` and `seal-guard man`: shell completions and a man
//! page, generated from the command-line definition so they never drift from it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use miette::IntoDiagnostic;

use crate::cli::{Cli, CompletionsArgs};

pub fn completions(args: &CompletionsArgs) -> miette::Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "seal-guard", &mut out);
    crate::report::stdout_bytes(&out).into_diagnostic()?;
    Ok(ExitCode::SUCCESS)
}

pub fn man() -> miette::Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .into_diagnostic()?;
    out.flush().into_diagnostic()?;
    crate::report::stdout_bytes(&out).into_diagnostic()?;
    Ok(ExitCode::SUCCESS)
}
