//! `seal-guard reseal`: re-encrypt every SealedSecret to a new certificate,
//! offline and in place (key rotation), under the labels they already have.

use std::process::ExitCode;

use miette::{IntoDiagnostic, miette};
use std::sync::Mutex;

use super::{EXIT_FAILURE, EXIT_FINDINGS, Workspace, check, command_line_or_config_key, style};
use crate::cli::{GlobalArgs, ResealArgs};
use crate::fix::{kustomize, reseal, write};
use crate::report::{self, Report};
use crate::source::walk::Found;

pub fn run(args: &ResealArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let keys = check::load_keys(&workspace, &args.private_key)?.ok_or_else(|| {
        miette!(
            help = "pass --private-key FILE (repeatable)",
            "reseal needs the old private keys"
        )
    })?;
    let key = command_line_or_config_key(&workspace, &args.cert)?;
    if !args.dry_run {
        for leftover in write::remove_leftovers(&workspace.roots) {
            log::info!("removed {}, left by an interrupted run", leftover.display());
        }
    }

    // One pass: each file the walk finds is planned (a file without a
    // SealedSecret plans nothing) and written on the walker's thread.
    let stop = workspace
        .repo_root
        .clone()
        .unwrap_or_else(|| workspace.base.clone());
    let collected = Mutex::new(Vec::new());
    let visit = |found: Found| {
        let Found::File(file) = found else { return };
        let Some(disk) = file.disk_path.as_deref() else {
            return;
        };
        let namespace = kustomize::namespace_for(disk, &stop);
        let plan = reseal::plan(&file.path, &file.bytes, &keys, &key, namespace.as_deref());
        if plan.new_bytes.is_none() && plan.problems.is_empty() {
            return;
        }
        let error = match (&plan.new_bytes, args.dry_run) {
            (Some(new_bytes), false) => write::replace(disk, new_bytes).err(),
            _ => None,
        };
        collected
            .lock()
            .expect("no panics hold this lock")
            .push((file.path, plan, error));
    };
    workspace.walk(args.no_ignore, &visit);
    let mut outcomes: Vec<(String, reseal::Plan, Option<std::io::Error>)> =
        collected.into_inner().expect("no panics hold this lock");
    outcomes.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut report = Report::default();
    let mut failed = false;
    for (path, plan, error) in outcomes {
        report.files += 1;
        if let Some(error) = error {
            log::error!("cannot write {path}: {error}");
            failed = true;
        } else if plan.values > 0 && !global.quiet {
            let verb = if args.dry_run {
                "would reseal"
            } else {
                "resealed"
            };
            let noun = if plan.values == 1 { "value" } else { "values" };
            report::notice(&format!("{verb} {} {noun} in {path}", plan.values));
        }
        report.findings.extend(plan.problems);
    }
    report.sort();
    report::print(&report, args.format, style(global)).into_diagnostic()?;
    Ok(if failed {
        ExitCode::from(EXIT_FAILURE)
    } else if report.has_errors() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}
