//! `seal-guard reseal`: re-encrypt every SealedSecret to a new certificate,
//! offline and in place (key rotation), under the labels they already have.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, miette};
use std::sync::Mutex;

use super::{EXIT_FAILURE, EXIT_FINDINGS, Workspace, check, style};
use crate::cli::{GlobalArgs, ResealArgs};
use crate::fix::{kustomize, reseal, write};
use crate::report::{self, Report};
use crate::seal::cert::{LoadOptions, SealingKey};
use crate::source::walk::{self, Found, WalkOptions};

pub fn run(args: &ResealArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&args.paths, global)?;
    let keys = check::load_keys(&workspace, &args.private_key)?.ok_or_else(|| {
        miette!(
            help = "pass --private-key FILE (repeatable)",
            "reseal needs the old private keys"
        )
    })?;
    let cert: PathBuf = args
        .cert
        .cert
        .clone()
        .or_else(|| workspace.config.cert.clone())
        .ok_or_else(|| {
            miette!(
                help = "pass --cert FILE or set `cert` in .seal-guard.yaml",
                "no certificate to reseal for"
            )
        })?;
    let pem = std::fs::read(&cert)
        .map_err(|e| miette!("cannot read the certificate {}: {e}", cert.display()))?;
    let key = SealingKey::from_pem(
        &pem,
        LoadOptions {
            allow_expired: args.cert.allow_expired_cert,
        },
    )
    .map_err(|e| miette!("{}: {e}", cert.display()))?;

    // One pass: each file the walk finds is planned (a file without a
    // SealedSecret plans nothing) and written on the walker's thread.
    let stop = workspace
        .repo_root
        .clone()
        .unwrap_or_else(|| workspace.base.clone());
    let options = WalkOptions {
        no_ignore: args.no_ignore,
        max_file_size: workspace.config.max_file_size,
        threads: 0,
    };
    let select = |shown: &str| workspace.config.selects(&workspace.config_path(shown));
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
    let repo_root = workspace.repo_root.as_deref();
    walk::walk(
        &workspace.roots,
        &workspace.base,
        repo_root,
        &options,
        &select,
        &visit,
    );
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
