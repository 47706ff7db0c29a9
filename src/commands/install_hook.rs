//! `seal-guard install-hook`: put the pre-commit hook in place.

use std::process::ExitCode;

use crate::cli::{GlobalArgs, InstallHookArgs};
use crate::hook::{self, Outcome};
use crate::report;
use crate::source::git::Repo;

pub fn run(args: &InstallHookArgs, _global: &GlobalArgs) -> miette::Result<ExitCode> {
    let cwd = std::env::current_dir()
        .map_err(|e| miette::miette!("cannot read the current folder: {e}"))?;
    let repo = Repo::discover(&cwd)?;
    let line = match hook::install_hook(&repo, args.force)? {
        Outcome::Installed { hook } => {
            format!("installed the pre-commit hook at {}", hook.display())
        }
        Outcome::AlreadyInstalled { hook } => format!(
            "the pre-commit hook at {} is already seal-guard's",
            hook.display()
        ),
        Outcome::Replaced { hook, backup } => format!(
            "installed the pre-commit hook at {}; the previous hook is kept at {}",
            hook.display(),
            backup.display()
        ),
    };
    report::notice(&line);
    Ok(ExitCode::SUCCESS)
}
