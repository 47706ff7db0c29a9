//! The command line, as clap sees it: raw input, converted once into settings by
//! the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing of error severity was found (or fixed everything)
  1  findings of error severity remain (or fix changed or refused files)
  2  seal-guard could not do its job (bad flag, unreadable config, I/O error)";

/// Keeps plaintext Kubernetes Secrets out of git: finds them, seals them into
/// SealedSecrets the Bitnami controller decrypts, and validates SealedSecrets offline.
#[derive(Debug, Parser)]
#[command(name = "seal-guard", version, about, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More logging on stderr (-v, -vv, -vvv). Logs never hold secret values.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to color output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The config file (default: .seal-guard.yaml at the scanned root or the
    /// repository root).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report plaintext Secrets and broken SealedSecrets.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// List the rules with their ids and one-line descriptions.
    Rules,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and folders to check (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format (default: human).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Also check files that .gitignore, .ignore and git's excludes hide.
    #[arg(long)]
    pub no_ignore: bool,
}
