//! `seal-guard fix`: seal plaintext Secrets in place.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use miette::{IntoDiagnostic, miette};
use rayon::prelude::*;

use super::check::{self, Scanner};
use super::progress::Progress;
use super::{EXIT_FAILURE, EXIT_FINDINGS, Workspace, load_sealing_key, style};
use crate::cli::{CertArgs, FixArgs, GlobalArgs};
use crate::config::Config;
use crate::finding::Finding;
use crate::fix::{self, FileSettings, Plan, kustomize, write};
use crate::report::{self, OutputFormat, escape_for_terminal};
use crate::rules::Rule;
use crate::seal::cert::SealingKey;
use crate::seal::scope::Scope;

pub fn run(args: &FixArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let scanner = Scanner::new(&workspace, args.format == OutputFormat::Human, &[])?;
    if !args.dry_run {
        for leftover in write::remove_leftovers(&workspace.roots) {
            log::info!("removed {}, left by an interrupted run", leftover.display());
        }
    }
    if args.staged {
        return run_staged(args, global, &workspace, &scanner);
    }
    let before = scanner.walk(args.no_ignore);
    let targets: BTreeSet<&str> = before
        .findings
        .iter()
        .filter(|f| f.rule == Rule::PlaintextSecret)
        .map(|f| f.path.as_str())
        .collect();

    let certs = load_certs(&workspace, &args.cert, &targets)?;
    let links = NamedLinks::of(&args.paths);
    let progress = Progress::new("sealing", targets.len(), global.quiet);
    let results: Vec<(String, Plan, Option<std::io::Error>)> = targets
        .par_iter()
        .map(|path| {
            let disk = workspace.base.join(path);
            let outcome = if links.only_reach(&disk) {
                (path.to_string(), refuse_link(path), None)
            } else {
                read_and_fix(
                    &workspace,
                    &certs,
                    args.cert.cert.as_deref(),
                    path,
                    &disk,
                    args.dry_run,
                )
            };
            progress.tick();
            outcome
        })
        .collect();
    progress.finish();

    let mut problems: Vec<Finding> = Vec::new();
    let mut write_failed = false;
    for (path, plan, error) in &results {
        for sealed in &plan.sealed {
            let verb = if args.dry_run { "would seal" } else { "sealed" };
            let namespace = sealed.namespace.as_deref().unwrap_or("(none)");
            let line = format!(
                "{verb} {}:{} document {}: Secret {} ({} value{}, scope {}, namespace {namespace})",
                path,
                sealed.line,
                sealed.document,
                sealed.name,
                sealed.items,
                if sealed.items == 1 { "" } else { "s" },
                sealed.scope,
            );
            if args.dry_run {
                report::stdout_line(&escape_for_terminal(&line)).into_diagnostic()?;
            } else if !global.quiet {
                report::notice(&line);
            }
        }
        if let Some(error) = error {
            log::error!("cannot write {path}: {error}");
            write_failed = true;
        }
        problems.extend(plan.problems.iter().cloned());
    }

    let mut after = if args.dry_run {
        before
    } else {
        scanner.walk(args.no_ignore)
    };
    after.findings.extend(problems);
    after.sort();
    report::print(&after, args.format, style(global)).into_diagnostic()?;
    if write_failed {
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    Ok(check::exit_code(&after))
}

/// The paths named on the command line, resolved, split by whether they were
/// named through a symbolic link. `Workspace::open` resolves every root, so
/// without this a link named on the command line would be written through.
struct NamedLinks {
    through_links: Vec<PathBuf>,
    direct: Vec<PathBuf>,
}

impl NamedLinks {
    fn of(paths: &[PathBuf]) -> NamedLinks {
        let mut links = NamedLinks {
            through_links: Vec::new(),
            direct: Vec::new(),
        };
        for path in paths {
            let Ok(resolved) = std::fs::canonicalize(path) else {
                continue;
            };
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link {
                links.through_links.push(resolved);
            } else {
                links.direct.push(resolved);
            }
        }
        links
    }

    /// Whether `disk` was reached only through a named link.
    fn only_reach(&self, disk: &Path) -> bool {
        self.through_links.iter().any(|l| disk.starts_with(l))
            && !self.direct.iter().any(|d| disk.starts_with(d))
    }
}

fn refuse_link(path: &str) -> Plan {
    let mut plan = Plan::default();
    plan.problems.push(Finding::new(
        Rule::FileSkipped,
        path,
        1,
        1,
        "not fixed: named through a symbolic link, and seal-guard does not write through links",
    ));
    plan
}

/// Plans one file and, unless this is a dry run, writes it.
fn read_and_fix(
    workspace: &Workspace,
    certs: &HashMap<PathBuf, SealingKey>,
    cli_cert: Option<&Path>,
    path: &str,
    disk: &Path,
    dry_run: bool,
) -> (String, Plan, Option<std::io::Error>) {
    match std::fs::read(disk) {
        Ok(bytes) => fix_file(workspace, certs, cli_cert, path, disk, bytes, dry_run),
        Err(e) => (path.to_owned(), Plan::default(), Some(e)),
    }
}

/// Plans one file from its bytes and, unless this is a dry run, writes it.
fn fix_file(
    workspace: &Workspace,
    certs: &HashMap<PathBuf, SealingKey>,
    cli_cert: Option<&Path>,
    path: &str,
    disk: &Path,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (String, Plan, Option<std::io::Error>) {
    let config = &workspace.config;
    let config_path = workspace.config_path(path);
    let settings = || -> Result<FileSettings<'_>, String> {
        let cert = cert_for(workspace, cli_cert, &config_path)
            .ok_or("no sealing certificate is configured")?;
        let key = certs
            .get(&cert)
            .ok_or("the sealing certificate did not load")?;
        let overrides = config.override_for(&config_path);
        let stop = workspace.repo_root.as_deref().unwrap_or(&workspace.base);
        let namespace = kustomize::namespace_for(disk, stop)
            .or_else(|| overrides.and_then(|o| o.namespace.clone()))
            .or_else(|| config.namespace.clone());
        Ok(FileSettings {
            key,
            scope: scope_for(config, &config_path),
            namespace,
        })
    };
    let mut plan = fix::plan(path, &bytes, config, settings);
    fix::forget(bytes);
    let mut error = None;
    if let (Some(new_bytes), false) = (&plan.new_bytes, dry_run)
        && let Err(e) = write::replace(disk, new_bytes)
    {
        plan.sealed.clear();
        error = Some(e);
    }
    (path.to_owned(), plan, error)
}

/// `fix --staged`: seal the staged files that hold plaintext Secrets, in the
/// working tree, and stage the result. Only files whose working-tree copy equals
/// the staged one are touched: rewriting a partially staged file would stage its
/// unstaged part too. Exits 1 whenever a file was changed or refused, so that
/// the commit stops and the person reviews the result.
fn run_staged(
    args: &FixArgs,
    global: &GlobalArgs,
    workspace: &Workspace,
    scanner: &Scanner<'_>,
) -> miette::Result<ExitCode> {
    let repo = check::open_repo(workspace)?;
    let staged = workspace.under_roots(repo.staged()?);
    let before = scanner.files(staged.clone());
    let targets: BTreeSet<&str> = before
        .findings
        .iter()
        .filter(|f| f.rule == Rule::PlaintextSecret)
        .map(|f| f.path.as_str())
        .collect();
    let certs = load_certs(workspace, &args.cert, &targets)?;
    let mut problems = Vec::new();
    let mut written = Vec::new();
    let mut refused = false;
    for file in staged
        .into_iter()
        .filter(|f| targets.contains(f.path.as_str()))
    {
        let Some(disk) = file.disk_path.clone() else {
            continue;
        };
        if !repo.worktree_matches(&file)? {
            let mut finding = Finding::new(
                Rule::UnsealableSecret,
                &file.path,
                1,
                1,
                "the file is partially staged (the working tree differs from the index), so it was not sealed",
            );
            finding.help = Some(
                "stage the whole file (`git add`) or stash the unstaged part, then run `seal-guard fix --staged` again"
                    .to_owned(),
            );
            problems.push(finding);
            refused = true;
            continue;
        }
        let (path, plan, error) = fix_file(
            workspace,
            &certs,
            args.cert.cert.as_deref(),
            &file.path,
            &disk,
            file.bytes,
            args.dry_run,
        );
        if let Some(error) = error {
            return Err(miette::miette!("cannot write {path}: {error}"));
        }
        for sealed in &plan.sealed {
            report::notice(&format!(
                "{} {path}:{}: Secret {} ({} scope)",
                if args.dry_run {
                    "would seal"
                } else {
                    "sealed and staged"
                },
                sealed.line,
                sealed.name,
                sealed.scope
            ));
        }
        if plan.new_bytes.is_some() && !args.dry_run {
            written.push(disk);
        }
        refused |= !plan.problems.is_empty();
        problems.extend(plan.problems);
    }
    if !written.is_empty() {
        repo.stage(&written)?;
    }
    let mut after = if args.dry_run {
        before
    } else {
        scanner.files(workspace.under_roots(repo.staged()?))
    };
    after.findings.extend(problems);
    after.sort();
    report::print(&after, args.format, style(global)).into_diagnostic()?;
    if !written.is_empty() || refused {
        return Ok(ExitCode::from(EXIT_FINDINGS));
    }
    Ok(check::exit_code(&after))
}

/// The certificate for a path: the command line's, else the first matching
/// override's, else the config's.
fn cert_for(workspace: &Workspace, cli: Option<&Path>, config_path: &str) -> Option<PathBuf> {
    let config = &workspace.config;
    cli.map(Path::to_path_buf)
        .or_else(|| {
            config
                .override_for(config_path)
                .and_then(|o| o.cert.clone())
        })
        .or_else(|| config.cert.clone())
}

fn scope_for(config: &Config, config_path: &str) -> Option<Scope> {
    config
        .override_for(config_path)
        .and_then(|o| o.scope.as_deref())
        .or(config.scope.as_deref())
        .and_then(|s| s.parse().ok())
}

/// Loads every certificate the files to fix need, once each. A certificate that
/// cannot be used stops the run (exit 2) before anything is written.
fn load_certs(
    workspace: &Workspace,
    cli: &CertArgs,
    targets: &BTreeSet<&str>,
) -> miette::Result<HashMap<PathBuf, SealingKey>> {
    let mut certs = HashMap::new();
    for path in targets {
        let config_path = workspace.config_path(path);
        let Some(cert) = cert_for(workspace, cli.cert.as_deref(), &config_path) else {
            return Err(miette!(
                help = "pass --cert FILE, or set `cert` in .seal-guard.yaml (the output of `kubeseal --fetch-cert`)",
                "no sealing certificate for {path}"
            ));
        };
        if certs.contains_key(&cert) {
            continue;
        }
        let key = load_sealing_key(&cert, cli.allow_expired_cert)?;
        certs.insert(cert, key);
    }
    Ok(certs)
}
