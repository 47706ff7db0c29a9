//! `seal-guard check`: judge files and report.

use std::process::ExitCode;
use std::sync::Mutex;

use std::collections::HashMap;
use std::path::PathBuf;

use miette::{IntoDiagnostic, miette};

use super::{EXIT_FINDINGS, Workspace, style};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::config::Config;
use crate::engine::{self, Judge, Judged};
use crate::finding::Finding;
use crate::fix::kustomize;
use crate::report::{self, OutputFormat, Report};
use crate::rules::Rule;
use crate::seal::cert::{LoadOptions, SealingKey};
use crate::seal::keys::KeyRing;
use crate::source::SourceFile;
use crate::source::walk::{self, Found, WalkOptions};

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let snippets = args.format == OutputFormat::Human;
    let report = scan(&workspace, args.no_ignore, snippets, &args.private_key)?;
    report::print(&report, args.format, style(global)).into_diagnostic()?;
    Ok(exit_code(&report))
}

pub fn exit_code(report: &Report) -> ExitCode {
    if report.has_errors() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Walks the workspace's roots, judging every file on the walker's threads.
/// Fails (exit 2) only when a configured certificate cannot be read.
pub fn scan(
    workspace: &Workspace,
    no_ignore: bool,
    snippets: bool,
    private_keys: &[PathBuf],
) -> miette::Result<Report> {
    let keys = load_keys(workspace, private_keys)?;
    let options = WalkOptions {
        no_ignore,
        max_file_size: workspace.config.max_file_size,
        threads: 0,
    };
    let moduli = certificate_sizes(&workspace.config)?;
    let cert_modulus_bytes = |file: &SourceFile| {
        let path = workspace.config_path(&file.path);
        let config = &workspace.config;
        let cert = config
            .override_for(&path)
            .and_then(|o| o.cert.as_ref())
            .or(config.cert.as_ref())?;
        moduli.get(cert).copied()
    };
    let stop = workspace.repo_root.as_deref().unwrap_or(&workspace.base);
    let kustomize_namespace = |file: &SourceFile| {
        file.disk_path
            .as_deref()
            .and_then(|p| kustomize::namespace_for(p, stop))
    };
    let judge = Judge {
        config: &workspace.config,
        snippets,
        cert_modulus_bytes: &cert_modulus_bytes,
        kustomize_namespace: &kustomize_namespace,
        keys: keys.as_ref(),
    };
    let collected = Mutex::new(Report::default());
    let select = |shown: &str| workspace.config.selects(&workspace.config_path(shown));
    let visit = |found: Found| {
        let (path, judged) = match found {
            Found::File(file) => {
                let judged = engine::judge(&file, &judge);
                (file.path, judged)
            }
            Found::Skipped(skipped) => {
                log::info!("skipped {}: {}", skipped.path, skipped.reason);
                let finding = Finding::new(
                    Rule::FileSkipped,
                    &skipped.path,
                    1,
                    1,
                    format!("not checked: {}", skipped.reason),
                );
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
    walk::walk(
        &workspace.roots,
        &workspace.base,
        workspace.repo_root.as_deref(),
        &options,
        &select,
        &visit,
    );
    let mut report = collected.into_inner().expect("no panics hold this lock");
    report.sort();
    Ok(report)
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
        let pem = std::fs::read(path)
            .map_err(|e| miette!("cannot read the certificate {}: {e}", path.display()))?;
        let key = SealingKey::from_pem(
            &pem,
            LoadOptions {
                allow_expired: true,
            },
        )
        .map_err(|e| miette!("{}: {e}", path.display()))?;
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
