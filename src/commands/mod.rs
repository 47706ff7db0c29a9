//! One module per subcommand: each turns its arguments and the config into
//! settings, runs the library, and returns the exit code.

pub mod check;
mod docs;
pub mod fix;
mod install_hook;
mod progress;
pub mod reseal;
pub mod rules;
pub mod seal;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr, miette};

use crate::cli::{CertArgs, Cli, ColorChoice, Command, GlobalArgs};
use crate::config::{self, Config};
use crate::report::Style;
use crate::seal::cert::{LoadOptions, SealingKey};

/// The documented exit codes.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    crate::logging::init(cli.global.verbose, cli.global.quiet);
    match &cli.command {
        Command::Check(args) => check::run(args, &cli.global),
        Command::Fix(args) => fix::run(args, &cli.global),
        Command::Seal(args) => seal::run(args, &cli.global),
        Command::Reseal(args) => reseal::run(args, &cli.global),
        Command::Rules => rules::run(),
        Command::InstallHook(args) => install_hook::run(args, &cli.global),
        Command::Completions(args) => docs::completions(args),
        Command::Man => docs::man(),
    }
}

/// Where a run stands: the roots it judges, the folder paths are shown relative
/// to, the repository around them, and the config that applies.
pub struct Workspace {
    pub roots: Vec<PathBuf>,
    pub base: PathBuf,
    pub repo_root: Option<PathBuf>,
    pub config: Config,
    /// Folder the config's globs are relative to.
    pub config_base: PathBuf,
}

impl Workspace {
    /// Resolves the roots (default: the current folder), finds the repository
    /// and loads the config.
    pub fn open(paths: &[PathBuf], global: &GlobalArgs) -> miette::Result<Workspace> {
        let cwd = std::env::current_dir()
            .into_diagnostic()
            .wrap_err("cannot read the current folder")?;
        let given: Vec<PathBuf> = if paths.is_empty() {
            vec![cwd.clone()]
        } else {
            paths.to_vec()
        };
        let mut roots = Vec::with_capacity(given.len());
        for path in &given {
            // Canonical roots make every walked path comparable with the
            // repository's own (canonical) paths.
            let root = std::fs::canonicalize(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot open {}", path.display()))?;
            roots.push(root);
        }
        let first_given = roots[0].clone();
        let roots = without_overlaps(roots);
        let first = &first_given;
        let start = if first.is_dir() {
            first.clone()
        } else {
            first.parent().unwrap_or(first).to_path_buf()
        };
        let repo_root = find_repo_root(&start);
        let base = repo_root
            .clone()
            .unwrap_or_else(|| std::fs::canonicalize(&cwd).unwrap_or(cwd));
        let start = start.as_path();

        let config_path = match &global.config {
            Some(path) => Some(path.clone()),
            None => [Some(start), repo_root.as_deref(), Some(base.as_path())]
                .into_iter()
                .flatten()
                .map(|dir| dir.join(config::FILE_NAME))
                .find(|p| p.is_file()),
        };
        let (config, config_base) = match config_path {
            Some(path) => {
                let config = Config::load(&path)?;
                let dir = std::fs::canonicalize(&path)
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| base.clone());
                log::info!("config: {}", path.display());
                (config, dir)
            }
            None => (Config::empty(), base.clone()),
        };
        Ok(Workspace {
            roots,
            base,
            repo_root,
            config,
            config_base,
        })
    }

    /// The files among `files` (from git, with paths relative to the repository
    /// root) that lie under one of the roots given on the command line.
    pub fn under_roots(
        &self,
        files: Vec<crate::source::SourceFile>,
    ) -> Vec<crate::source::SourceFile> {
        let Some(repo_root) = &self.repo_root else {
            return files;
        };
        files
            .into_iter()
            .filter(|f| {
                let path = repo_root.join(&f.path);
                self.roots.iter().any(|r| path.starts_with(r))
            })
            .collect()
    }

    /// Walks the roots, calling `visit` (from the walker's threads) for every
    /// manifest file the config selects.
    pub fn walk(&self, no_ignore: bool, visit: &(dyn Fn(crate::source::walk::Found) + Sync)) {
        let options = crate::source::walk::WalkOptions {
            no_ignore,
            max_file_size: self.config.max_file_size,
            threads: 0,
        };
        let select = |shown: &str| self.config.selects(&self.config_path(shown));
        crate::source::walk::walk(
            &self.roots,
            &self.base,
            self.repo_root.as_deref(),
            &options,
            &select,
            visit,
        );
    }

    /// A shown path (relative to `base`) made relative to the config's folder,
    /// for matching the config's globs.
    pub fn config_path<'p>(&self, shown: &'p str) -> std::borrow::Cow<'p, str> {
        if self.config_base == self.base {
            return shown.into();
        }
        let absolute = self.base.join(shown);
        match absolute.strip_prefix(&self.config_base) {
            Ok(rel) => crate::source::walk::display_path(rel, Path::new("")).into(),
            Err(_) => shown.into(),
        }
    }
}

/// The roots with duplicates and roots inside other roots removed, so that no
/// file is judged (and reported) twice: `check . apps` is `check .`.
fn without_overlaps(mut roots: Vec<PathBuf>) -> Vec<PathBuf> {
    roots.sort();
    let mut kept: Vec<PathBuf> = Vec::with_capacity(roots.len());
    for root in roots {
        if !kept.iter().any(|k| root.starts_with(k)) {
            kept.push(root);
        }
    }
    kept
}

/// The working-tree root of the git repository holding `dir`, if any.
fn find_repo_root(dir: &Path) -> Option<PathBuf> {
    crate::source::git::Repo::discover(dir)
        .ok()
        .map(|repo| repo.workdir().to_path_buf())
}

/// Loads a sealing certificate, stopping the run (exit 2) when it cannot be used.
pub fn load_sealing_key(path: &Path, allow_expired: bool) -> miette::Result<SealingKey> {
    let pem = crate::source::read_small_file(path, crate::source::MAX_KEY_FILE_SIZE)
        .map_err(|e| miette!("cannot read the certificate {}: {e}", path.display()))?;
    SealingKey::from_pem(&pem, LoadOptions { allow_expired })
        .map_err(|e| miette!("{}: {e}", path.display()))
}

/// The certificate named on the command line, else the config's `cert`, loaded
/// (for commands that seal everything with one certificate).
pub fn command_line_or_config_key(
    workspace: &Workspace,
    cli: &CertArgs,
) -> miette::Result<SealingKey> {
    let path = cli
        .cert
        .clone()
        .or_else(|| workspace.config.cert.clone())
        .ok_or_else(|| {
            miette!(
                help = "pass --cert FILE, or set `cert` in .seal-guard.yaml",
                "no sealing certificate"
            )
        })?;
    load_sealing_key(&path, cli.allow_expired_cert)
}

/// How to print for this run.
pub fn style(global: &GlobalArgs) -> Style {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    Style { color, width }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_roots_are_walked_once() {
        let roots = ["/r/apps/a.yaml", "/r", "/r/apps", "/r", "/s/b.yaml", "/rx"]
            .map(PathBuf::from)
            .to_vec();
        assert_eq!(
            without_overlaps(roots),
            ["/r", "/rx", "/s/b.yaml"].map(PathBuf::from)
        );
    }
}
