//! `seal-guard reseal`: re-encrypt every SealedSecret to a new certificate,
//! offline and in place (key rotation), under the labels they already have.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, miette};
use rayon::prelude::*;

use super::progress::Progress;
use super::{EXIT_FAILURE, EXIT_FINDINGS, Workspace, check, style};
use crate::cli::{GlobalArgs, ResealArgs};
use crate::fix::{kustomize, reseal, write};
use crate::report::{self, Report};
use crate::rules::Rule;
use crate::seal::cert::{LoadOptions, SealingKey};

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

    // Every file holding a SealedSecret: a scan with the keys lists them all,
    // openable or not.
    let scanned = check::Scanner::new(&workspace, false, &args.private_key)?.walk(args.no_ignore);
    let mut files: Vec<&str> = scanned
        .verified
        .iter()
        .map(|v| v.path.as_str())
        .chain(
            scanned
                .findings
                .iter()
                .filter(|f| f.rule == Rule::SealedUndecryptable)
                .map(|f| f.path.as_str()),
        )
        .collect();
    files.sort_unstable();
    files.dedup();

    let stop = workspace
        .repo_root
        .clone()
        .unwrap_or_else(|| workspace.base.clone());
    let progress = Progress::new("resealing", files.len(), global.quiet);
    let outcomes: Vec<(String, reseal::Plan, Option<std::io::Error>)> = files
        .par_iter()
        .map(|path| {
            let disk = workspace.base.join(path);
            let outcome = match std::fs::read(&disk) {
                Err(e) => (path.to_string(), reseal::Plan::default(), Some(e)),
                Ok(bytes) => {
                    let namespace = kustomize::namespace_for(&disk, &stop);
                    let plan = reseal::plan(path, &bytes, &keys, &key, namespace.as_deref());
                    let error = match (&plan.new_bytes, args.dry_run) {
                        (Some(new_bytes), false) => write::replace(&disk, new_bytes).err(),
                        _ => None,
                    };
                    (path.to_string(), plan, error)
                }
            };
            progress.tick();
            outcome
        })
        .collect();
    progress.finish();

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
            report::notice(&format!("{verb} {} values in {path}", plan.values));
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
