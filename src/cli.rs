//! The command line, as clap sees it: raw input, converted once into settings by
//! the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing of error severity was found (or fixed everything)
  1  findings of error severity remain (fix --staged: a file was changed or refused)
  2  seal-guard could not do its job (bad flag, unreadable config, I/O error,
     or it failed on a file: an internal-error finding)";

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
    /// Seal every plaintext Secret in place, as SealedSecrets the controller decrypts.
    #[command(after_help = EXIT_CODES)]
    Fix(FixArgs),
    /// Seal Secrets from a file or stdin and print SealedSecrets (offline kubeseal).
    Seal(SealArgs),
    /// Re-encrypt every SealedSecret to a new certificate with the old private
    /// keys (key rotation), offline and in place.
    #[command(after_help = EXIT_CODES)]
    Reseal(ResealArgs),
    /// List the rules with their ids and one-line descriptions.
    Rules,
    /// Install the git pre-commit hook that runs `seal-guard check --staged`.
    InstallHook(InstallHookArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Replace a different existing hook, keeping it beside the new one as a backup.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ResealArgs {
    /// Files and folders to reseal (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A private key that opens the current values (repeatable); see `check --private-key`.
    #[arg(long, value_name = "FILE")]
    pub private_key: Vec<PathBuf>,
    #[command(flatten)]
    pub cert: CertArgs,
    /// Report what would be resealed, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format for problems found.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Also reseal files that .gitignore, .ignore and git's excludes hide.
    #[arg(long)]
    pub no_ignore: bool,
}

/// Where the sealing certificate comes from on the command line.
#[derive(Debug, Args)]
pub struct CertArgs {
    /// The controller's certificate (`kubeseal --fetch-cert`), or a PEM public key.
    /// Overrides `cert` and per-path certificates in the config.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Seal with a certificate past its expiry date (the controller still opens
    /// such values while it keeps the key).
    #[arg(long)]
    pub allow_expired_cert: bool,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files and folders to fix (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// List what would be sealed, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Seal the staged files into the working tree and stage the result; files
    /// that are partially staged are refused. Exits 1 whenever it changed or
    /// refused a file, so a pre-commit hook stops for a review.
    #[arg(long, conflicts_with = "no_ignore")]
    pub staged: bool,
    #[command(flatten)]
    pub cert: CertArgs,
    /// Output format for what is left to report afterwards.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Also fix files that .gitignore, .ignore and git's excludes hide.
    #[arg(long)]
    pub no_ignore: bool,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// A file of Secrets, YAML or JSON, any number of documents (default: stdin).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Seal one value read from stdin and print its base64, nothing else.
    #[arg(long)]
    pub raw: bool,
    /// Namespace: for --raw, the label's; otherwise the namespace of Secrets that
    /// name none (a Secret naming another one is an error).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Name: for --raw, the label's; otherwise replaces the Secrets' names.
    #[arg(long)]
    pub name: Option<String>,
    /// Scope to seal for (default: from the Secret's annotations, else the
    /// config's, else strict).
    #[arg(long, value_parser = parse_scope)]
    pub scope: Option<crate::seal::scope::Scope>,
    #[command(flatten)]
    pub cert: CertArgs,
    /// Output format (default: that of the input).
    #[arg(long, value_enum)]
    pub format: Option<SealFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SealFormat {
    Yaml,
    Json,
}

fn parse_scope(text: &str) -> Result<crate::seal::scope::Scope, String> {
    text.parse()
        .map_err(|e: crate::seal::scope::ParseScopeError| e.to_string())
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
    /// Judge the staged content (the index), not the working tree: what the
    /// commit being made will hold. For the pre-commit hook.
    #[arg(long, conflicts_with_all = ["since", "no_ignore"])]
    pub staged: bool,
    /// Judge only the files changed between the merge base of REV and HEAD, with
    /// their content at HEAD. For CI on a pull request.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Report every plaintext Secret ever committed (after REV's merge base with
    /// --since), once per blob, with the commit that added it.
    #[arg(long, conflicts_with = "staged")]
    pub history: bool,
    /// A controller private key (PEM, the controller's key Secret, or the
    /// `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`
    /// backup), to prove every sealed value decrypts. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub private_key: Vec<PathBuf>,
}
