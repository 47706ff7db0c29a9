//! `seal-guard check`: judge files and report.

use std::process::ExitCode;
use std::sync::Mutex;

use miette::IntoDiagnostic;

use super::{EXIT_FINDINGS, Workspace, style};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::engine::{self, Judged};
use crate::finding::Finding;
use crate::report::{self, OutputFormat, Report};
use crate::rules::Rule;
use crate::source::walk::{self, Found, WalkOptions};

pub fn run(args: &CheckArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let snippets = args.format == OutputFormat::Human;
    let report = scan(&workspace, args.no_ignore, snippets);
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
pub fn scan(workspace: &Workspace, no_ignore: bool, snippets: bool) -> Report {
    let options = WalkOptions {
        no_ignore,
        max_file_size: workspace.config.max_file_size,
        threads: 0,
    };
    let collected = Mutex::new(Report::default());
    let select = |shown: &str| workspace.config.selects(&workspace.config_path(shown));
    let visit = |found: Found| {
        let (path, judged) = match found {
            Found::File(file) => {
                let judged = engine::judge(&file, &workspace.config, snippets);
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
    report
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
    if let Some(source) = judged.snippet_source {
        report.snippet_sources.insert(path, source);
    }
}
