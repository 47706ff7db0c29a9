//! `seal-guard seal`: kubeseal for the offline cases. Reads Secrets (a file or
//! stdin, YAML or JSON, any number of documents) and prints SealedSecrets; with
//! `--raw`, seals one value from stdin and prints its base64.

use std::io::Read;
use std::process::ExitCode;

use miette::{IntoDiagnostic, miette};
use zeroize::Zeroizing;

use super::{Workspace, command_line_or_config_key};
use crate::cli::{GlobalArgs, SealArgs, SealFormat};
use crate::fix::build::{self, Defaults, Order};
use crate::fix::emit::{self, Shape};
use crate::manifest::node::parse_documents;
use crate::manifest::object::Object;
use crate::manifest::split;
use crate::report;
use crate::seal::hybrid;
use crate::seal::scope::Scope;

pub fn run(args: &SealArgs, global: &GlobalArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(&[], global)?;
    let key = command_line_or_config_key(&workspace, &args.cert)?;
    let scope = args.scope.or_else(|| {
        workspace
            .config
            .scope
            .as_deref()
            .and_then(|s| s.parse().ok())
    });

    let input = Zeroizing::new(read_input(args)?);
    if args.raw {
        let scope = scope.unwrap_or_default();
        let namespace = args
            .namespace
            .clone()
            .or_else(|| workspace.config.namespace.clone());
        let label = scope
            .label(namespace.as_deref(), args.name.as_deref())
            .map_err(|e| {
                miette!(
                    help = "--raw needs --namespace (and --name for strict scope)",
                    "{e}"
                )
            })?;
        let sealed =
            hybrid::seal_base64(&key, label.as_bytes(), &input).map_err(|e| miette!("{e}"))?;
        report::stdout_bytes(sealed.as_bytes()).into_diagnostic()?;
        return Ok(ExitCode::SUCCESS);
    }

    let text = std::str::from_utf8(&input).map_err(|_| miette!("the input is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let json_input = text.trim_start().starts_with('{');
    let format = args.format.unwrap_or(if json_input {
        SealFormat::Json
    } else {
        SealFormat::Yaml
    });
    let chunks = if json_input {
        match split::json_values(text) {
            (values, None) => values,
            (_, Some(e)) => return Err(miette!("the input is not valid JSON: {}", e.message)),
        }
    } else {
        split::yaml_chunks(text)
    };
    let mut out = String::new();
    let mut sealed = 0;
    for chunk in chunks {
        let documents = parse_documents(&text[chunk.clone()], chunk.start)
            .map_err(|e| miette!("the input does not parse: {}", e.message))?;
        for root in documents.into_iter().filter_map(|d| d.root) {
            let object = Object::root(&root);
            if object.kind().is_some_and(|k| k != "Secret") {
                return Err(miette!(
                    "a document is a {}, not a Secret",
                    object.kind().unwrap_or_default()
                ));
            }
            let defaults = Defaults {
                scope,
                scope_given: args.scope.is_some(),
                namespace: args
                    .namespace
                    .clone()
                    .or_else(|| workspace.config.namespace.clone()),
                name: args.name.clone(),
            };
            let (order, shape) = match format {
                SealFormat::Yaml => (Order::Yaml, Shape::YamlBlock),
                SealFormat::Json => (Order::Json, Shape::Json),
            };
            let built =
                build::build(&object, &defaults, &key, order).map_err(|e| miette!("{e}"))?;
            // Checked on the scope the Secret is sealed for, which `--scope` may
            // have changed: cluster-wide values open in any namespace.
            if let (Some(given), Some(own)) = (&args.namespace, object.namespace())
                && given != own
                && built.scope != Scope::ClusterWide
            {
                return Err(miette!(
                    "namespace mismatch: --namespace {given}, but the Secret says {own}"
                ));
            }
            let rendered =
                emit::render(&built.value, shape, 0, "\n").map_err(|e| miette!("{e}"))?;
            if format == SealFormat::Yaml {
                out.push_str("---\n");
            }
            out.push_str(&rendered);
            out.push('\n');
            sealed += 1;
        }
    }
    if sealed == 0 {
        return Err(miette!("the input holds no Secret"));
    }
    report::stdout_bytes(out.as_bytes()).into_diagnostic()?;
    Ok(ExitCode::SUCCESS)
}

fn read_input(args: &SealArgs) -> miette::Result<Vec<u8>> {
    match &args.file {
        Some(path) => {
            std::fs::read(path).map_err(|e| miette!("cannot read {}: {e}", path.display()))
        }
        None => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).into_diagnostic()?;
            Ok(bytes)
        }
    }
}
