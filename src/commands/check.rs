//! `seal-guard check`: judge files and report.
//!
//! Files come from one of four sources: a walk of the working tree (the
//! default), the index (`--staged`, for the pre-commit hook), the files a branch
//! changed (`--since`, for pull requests) or every blob in the history
//! (`--history`). Whatever the source, every file is judged the same way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use miette::{IntoDiagnostic, miette};
use rayon::prelude::*;

use super::progress::Progress;
use super::{EXIT_FAILURE, EXIT_FINDINGS, Workspace, load_sealing_key, style};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::config::Config;
use crate::engine::{self, Judge, Judged};
use crate::finding::Finding;
use crate::fix::kustomize;
use crate::manifest::{self, Format};
use crate::report::{self, OutputFormat, Report};
use crate::rules::Rule;
use crate::seal::keys::KeyRing;
use crate::source::git::{BlobFilter, Repo};
use crate::source::walk::Found;
use crate::source::{Origin, SourceFile};

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let scanner = Scanner::new(
        &workspace,
        args.format == OutputFormat::Human,
        &args.private_key,
    )?;
    let report = if args.history {
        let repo = open_repo(&workspace)?;
        scanner.history(&repo, args.since.as_deref(), global.quiet)?
    } else if args.staged {
        let repo = open_repo(&workspace)?;
        scanner.files(workspace.under_roots(repo.staged()?))
    } else if let Some(rev) = &args.since {
        let repo = open_repo(&workspace)?;
        scanner.files(workspace.under_roots(repo.changed_since(rev)?))
    } else {
        scanner.walk(args.no_ignore)
    };
    report::print(&report, args.format, style(global)).into_diagnostic()?;
    Ok(exit_code(&report))
}

/// The repository around the workspace, for the git modes (exit 2 outside one).
pub fn open_repo(workspace: &Workspace) -> miette::Result<Repo> {
    Ok(Repo::discover(&workspace.roots[0])?)
}

/// 2 when seal-guard failed on a file (the run went on, but a file was not
/// judged, so the result cannot be trusted), 1 for findings of error severity,
/// else 0.
pub fn exit_code(report: &Report) -> ExitCode {
    ExitCode::from(exit_status(report))
}

fn exit_status(report: &Report) -> u8 {
    if report
        .findings
        .iter()
        .any(|f| f.rule == Rule::InternalError)
    {
        EXIT_FAILURE
    } else if report.has_errors() {
        EXIT_FINDINGS
    } else {
        0
    }
}

/// Judges files for a workspace: what holds for the whole run, loaded once.
pub struct Scanner<'w> {
    workspace: &'w Workspace,
    snippets: bool,
    keys: Option<KeyRing>,
    /// Modulus size of every configured certificate, by path.
    moduli: HashMap<PathBuf, usize>,
}

impl<'w> Scanner<'w> {
    /// Loads the configured certificates and the private keys. Fails (exit 2)
    /// when one cannot be read.
    pub fn new(
        workspace: &'w Workspace,
        snippets: bool,
        private_keys: &[PathBuf],
    ) -> miette::Result<Self> {
        Ok(Scanner {
            workspace,
            snippets,
            keys: load_keys(workspace, private_keys)?,
            moduli: certificate_sizes(&workspace.config)?,
        })
    }

    /// Runs `work` with the judging settings for this run.
    fn with_judge<T>(&self, work: impl FnOnce(&Judge<'_>) -> T) -> T {
        let workspace = self.workspace;
        let cert_modulus_bytes = |file: &SourceFile| {
            let path = workspace.config_path(&file.path);
            let config = &workspace.config;
            let cert = config
                .override_for(&path)
                .and_then(|o| o.cert.as_ref())
                .or(config.cert.as_ref())?;
            self.moduli.get(cert).copied()
        };
        let stop = workspace.repo_root.as_deref().unwrap_or(&workspace.base);
        let kustomize_namespace = |file: &SourceFile| {
            file.disk_path
                .as_deref()
                .and_then(|p| kustomize::namespace_for(p, stop))
        };
        let judge = Judge {
            config: &workspace.config,
            snippets: self.snippets,
            cert_modulus_bytes: &cert_modulus_bytes,
            kustomize_namespace: &kustomize_namespace,
            keys: self.keys.as_ref(),
        };
        work(&judge)
    }

    fn selects(&self, shown: &str) -> bool {
        self.workspace
            .config
            .selects(&self.workspace.config_path(shown))
    }

    /// Walks the workspace's roots, judging every file on the walker's threads.
    pub fn walk(&self, no_ignore: bool) -> Report {
        let workspace = self.workspace;
        self.with_judge(|judge| {
            let collected = Mutex::new(Report::default());
            let visit = |found: Found| {
                let (path, judged) = match found {
                    Found::File(file) => {
                        let judged = engine::judge(&file, judge);
                        (file.path, judged)
                    }
                    Found::Skipped(skipped) => {
                        log::info!("skipped {}: {}", skipped.path, skipped.reason);
                        let message = format!("not checked: {}", skipped.reason);
                        let finding = Finding::new(Rule::FileSkipped, &skipped.path, 1, 1, message);
                        (
                            skipped.path,
                            Judged {
                                findings: vec![finding],
                                ..Judged::default()
                            },
                        )
                    }
                };
                let mut report = collected.lock().expect("no panics hold this lock");
                report.files += 1;
                merge(&mut report, path, judged);
            };
            workspace.walk(no_ignore, &visit);
            let mut report = collected.into_inner().expect("no panics hold this lock");
            report.sort();
            report
        })
    }

    /// Judges files read from git, in parallel. The config's include and exclude
    /// globs apply, and so does the size limit.
    pub fn files(&self, files: Vec<SourceFile>) -> Report {
        let max = self.workspace.config.max_file_size;
        let files: Vec<SourceFile> = files
            .into_iter()
            .filter(|f| Format::of_path(&f.path).is_some() && self.selects(&f.path))
            .collect();
        let judged: Vec<(String, Judged)> = self.with_judge(|judge| {
            files
                .par_iter()
                .map(|file| {
                    if file.bytes.len() as u64 > max {
                        let message = format!(
                            "{} bytes, over the {max}-byte limit (max_file_size)",
                            file.bytes.len()
                        );
                        let finding = Finding::new(
                            Rule::FileSkipped,
                            &file.path,
                            1,
                            1,
                            format!("not checked: {message}"),
                        );
                        return (
                            file.path.clone(),
                            Judged {
                                findings: vec![finding],
                                ..Judged::default()
                            },
                        );
                    }
                    (file.path.clone(), engine::judge(file, judge))
                })
                .collect()
        });
        let mut report = Report::default();
        for (path, judged) in judged {
            report.files += 1;
            merge(&mut report, path, judged);
        }
        report.sort();
        report
    }

    /// Every plaintext Secret ever committed, once per blob, as
    /// `secret-in-history` findings carrying the commit that added it.
    pub fn history(&self, repo: &Repo, since: Option<&str>, quiet: bool) -> miette::Result<Report> {
        let select = |path: &str| Format::of_path(path).is_some() && self.selects(path);
        let filter = BlobFilter {
            path: &select,
            content: &manifest::is_candidate,
        };
        let progress = Progress::new("reading history", 0, quiet);
        let blobs = repo.history(since, &filter)?;
        progress.finish();
        let progress = Progress::new("judging blobs", blobs.len(), quiet);
        let judged: Vec<Vec<Finding>> = self.with_judge(|judge| {
            blobs
                .par_iter()
                .map(|blob| {
                    let judged = engine::judge(&blob.file, judge);
                    progress.tick();
                    let Origin::Commit { id, time } = &blob.file.origin else {
                        return Vec::new();
                    };
                    judged
                        .findings
                        .into_iter()
                        .filter(|f| {
                            matches!(f.rule, Rule::PlaintextSecret | Rule::KustomizeSecretLiteral)
                        })
                        .map(|f| in_history(f, id, *time, blob.still_present, &blob.blob))
                        .collect()
                })
                .collect()
        });
        progress.finish();
        let mut report = Report {
            files: blobs.len(),
            ..Report::default()
        };
        report.findings = judged.into_iter().flatten().collect();
        report.sort();
        Ok(report)
    }
}

/// A finding in a committed blob, restated as history: sealing the file now does
/// not remove the value from the history, so the value must be rotated.
fn in_history(
    finding: Finding,
    commit: &str,
    time: i64,
    still_present: bool,
    blob: &str,
) -> Finding {
    let date =
        gix::date::Time::new(time, 0).format_or_unix(gix::date::time::format::ISO8601_STRICT);
    let short = &commit[..commit.len().min(12)];
    let now = if still_present {
        "still in HEAD"
    } else {
        "deleted since, but still in the history"
    };
    let mut moved = Finding::new(
        Rule::SecretInHistory,
        finding.path,
        finding.line,
        finding.column,
        format!("{}: committed in {short} ({date}), {now}", finding.message),
    );
    moved.help = Some(
        "rotate these values: anyone who can clone the repository can read them; sealing the file now \
         does not remove them from the history"
            .to_owned(),
    );
    moved.object = finding.object;
    moved.extra.insert("commit", commit.into());
    moved.extra.insert("date", date.into());
    moved.extra.insert("still_present", still_present.into());
    moved.extra.insert("blob", blob.into());
    moved
}

/// The private keys from the command line and the config, or `None` when
/// neither names any.
pub fn load_keys(workspace: &Workspace, cli: &[PathBuf]) -> miette::Result<Option<KeyRing>> {
    let paths: Vec<&PathBuf> = cli.iter().chain(&workspace.config.private_keys).collect();
    if paths.is_empty() {
        return Ok(None);
    }
    let mut ring = KeyRing::new();
    for path in paths {
        ring.load_file(path).map_err(|e| miette!("{e}"))?;
    }
    log::info!("{} private keys loaded", ring.keys().len());
    Ok(Some(ring))
}

/// The modulus size of every certificate the config names, for
/// `sealed-key-mismatch`. Expiry does not matter for checking what was sealed.
fn certificate_sizes(config: &Config) -> miette::Result<HashMap<PathBuf, usize>> {
    let paths = config
        .cert
        .iter()
        .chain(config.overrides.iter().filter_map(|o| o.cert.as_ref()));
    let mut sizes = HashMap::new();
    for path in paths {
        if sizes.contains_key(path) {
            continue;
        }
        // Expiry does not matter for checking what was sealed.
        let key = load_sealing_key(path, true)?;
        sizes.insert(path.clone(), key.modulus_bytes());
    }
    Ok(sizes)
}

/// Adds one file's results to the report.
pub fn merge(report: &mut Report, path: String, judged: Judged) {
    for (finding, reason) in &judged.allowed {
        log::info!(
            "{}:{}: {} allowed: {reason}",
            finding.path,
            finding.line,
            finding.rule.id()
        );
    }
    report.allowed += judged.allowed.len();
    report.findings.extend(judged.findings);
    report.verified.extend(judged.verified);
    if let Some(source) = judged.snippet_source {
        report.snippet_sources.insert(path, source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_of(rules: &[Rule]) -> Report {
        let findings = rules
            .iter()
            .map(|&r| Finding::new(r, "a.yaml", 1, 1, "m"))
            .collect();
        Report {
            findings,
            ..Report::default()
        }
    }

    #[test]
    fn a_file_the_tool_failed_on_makes_the_run_fail_with_2() {
        assert_eq!(exit_status(&report_of(&[])), 0);
        assert_eq!(exit_status(&report_of(&[Rule::FileSkipped])), 0);
        assert_eq!(
            exit_status(&report_of(&[Rule::PlaintextSecret])),
            EXIT_FINDINGS
        );
        assert_eq!(
            exit_status(&report_of(&[Rule::PlaintextSecret, Rule::InternalError])),
            EXIT_FAILURE
        );
    }
}
