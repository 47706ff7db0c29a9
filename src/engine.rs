//! Judging one file: decode, parse, run the rules, apply allowances.
//!
//! This is the only place that joins the manifest reader, the rules and the
//! configuration; sources call [`judge`] per file, on any thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::config::Config;
use crate::finding::{Finding, ObjectRef};
use crate::manifest::mask::{self, Masked};
use crate::manifest::object::Object;
use crate::manifest::text::LineIndex;
use crate::manifest::{self, Format};
use crate::rules::sealed_undecryptable::{self, Verified};
use crate::rules::{self, Context, Facts, Rule};
use crate::seal::keys::KeyRing;
use crate::source::SourceFile;

/// The annotation that allows a deliberately plaintext object; its value is
/// the reason, and must not be empty.
pub const ALLOW_ANNOTATION: &str = "seal-guard/allow";

/// What judging one file produced.
#[derive(Debug, Default)]
pub struct Judged {
    pub findings: Vec<Finding>,
    /// Findings an allowance covered, with the allowance's reason.
    pub allowed: Vec<(Finding, String)>,
    /// Sealed values that a private key opened.
    pub verified: Vec<Verified>,
    /// The file's text with secret values masked, for snippets; only made when
    /// asked for and when there is something to show.
    pub snippet_source: Option<Masked>,
}

/// What judging needs besides the file: settings that hold for the whole run.
pub struct Judge<'a> {
    pub config: &'a Config,
    /// Make masked snippet sources for files with findings.
    pub snippets: bool,
    /// Modulus size in bytes of the sealing certificate that applies to a path.
    pub cert_modulus_bytes: &'a (dyn Fn(&SourceFile) -> Option<usize> + Sync),
    /// The namespace a kustomization gives a file, if any.
    pub kustomize_namespace: &'a (dyn Fn(&SourceFile) -> Option<String> + Sync),
    /// The controller's private keys, to prove that sealed values decrypt.
    pub keys: Option<&'a KeyRing>,
}

impl Judge<'_> {
    /// Settings for judging without certificates or kustomizations.
    pub fn plain(config: &Config, snippets: bool) -> Judge<'_> {
        Judge {
            config,
            snippets,
            cert_modulus_bytes: &|_| None,
            kustomize_namespace: &|_| None,
            keys: None,
        }
    }
}

/// Judges one file, turning a panic into an `internal-error` finding so that
/// one bad file never costs the whole run.
pub fn judge(file: &SourceFile, judge: &Judge<'_>) -> Judged {
    match catch_unwind(AssertUnwindSafe(|| judge_unguarded(file, judge))) {
        Ok(judged) => judged,
        Err(_) => {
            // The panic payload is not shown: it could quote the file's text.
            let mut finding = Finding::new(
                Rule::InternalError,
                &file.path,
                1,
                1,
                "seal-guard failed while judging this file; this is a bug in seal-guard",
            );
            finding.help =
                Some("please report it, with the file's structure but not its values".to_owned());
            Judged {
                findings: vec![finding],
                ..Judged::default()
            }
        }
    }
}

fn judge_unguarded(file: &SourceFile, judge: &Judge<'_>) -> Judged {
    let config = judge.config;
    let mut judged = Judged::default();
    let Some(format) = Format::of_path(&file.path) else {
        return judged;
    };
    if !manifest::is_candidate(&file.bytes) {
        return judged;
    }
    let parsed = match manifest::parse(&file.bytes, format) {
        Ok(parsed) => parsed,
        Err(e) => {
            let lossy = String::from_utf8_lossy(&file.bytes[..e.offset.min(file.bytes.len())]);
            let (line, column) = LineIndex::new(&lossy).position(&lossy, lossy.len());
            let mut finding = Finding::new(Rule::ParseError, &file.path, line, column, e.message);
            finding.help = Some("save the file as UTF-8".to_owned());
            judged.findings.push(finding);
            return judged;
        }
    };
    let text: &str = &parsed.text;
    let lines = LineIndex::new(text);
    let kustomize_namespace = || (judge.kustomize_namespace)(file);
    let facts = Facts {
        cert_modulus_bytes: (judge.cert_modulus_bytes)(file),
        kustomize_namespace: &kustomize_namespace,
    };
    let cx = Context {
        path: &file.path,
        text,
        lines: &lines,
        facts: &facts,
    };
    for broken in &parsed.broken {
        let (line, column) = lines.position(text, broken.error.offset);
        let mut finding = Finding::new(
            Rule::ParseError,
            &file.path,
            line,
            column,
            format!(
                "not valid {}: {}",
                format_name(format),
                broken.error.message
            ),
        );
        finding.help = Some("fix the syntax so that this document can be checked".to_owned());
        judged.findings.push(finding);
    }
    for doc in &parsed.documents {
        for object in Object::root(&doc.root).with_items() {
            let mut found = Vec::new();
            rules::judge_object(&object, &cx, &mut found);
            if let Some(keys) = judge.keys {
                sealed_undecryptable::check(&object, &cx, keys, &mut found, &mut judged.verified);
            }
            let annotation = annotation_allowance(&object);
            for finding in found {
                match annotation {
                    Some(reason) => judged.allowed.push((finding, reason.to_owned())),
                    None => judged.findings.push(finding),
                }
            }
        }
    }
    let (allowed, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut judged.findings)
        .into_iter()
        .map(|f| {
            let reason = allowance(config, &f).map(str::to_owned);
            (f, reason)
        })
        .partition(|(_, reason)| reason.is_some());
    judged.findings = kept.into_iter().map(|(f, _)| f).collect();
    judged
        .allowed
        .extend(allowed.into_iter().map(|(f, r)| (f, r.unwrap_or_default())));
    if judge.snippets && !judged.findings.is_empty() {
        judged.snippet_source = Some(mask::masked_text(&parsed));
    }
    judged
}

/// The reason of the first config allowance that covers a finding.
fn allowance<'c>(config: &'c Config, finding: &Finding) -> Option<&'c str> {
    is_allowed(config, &finding.path, finding.rule, finding.object.as_ref())
}

/// The reason of the first config allowance that covers `rule` for `object` in
/// the file at `path`.
pub fn is_allowed<'c>(
    config: &'c Config,
    path: &str,
    rule: Rule,
    object: Option<&ObjectRef>,
) -> Option<&'c str> {
    let field = |want: &Option<String>, have: Option<&String>| {
        want.as_ref().is_none_or(|w| have == Some(w))
    };
    config
        .allow
        .iter()
        .find(|a| {
            a.path.as_ref().is_none_or(|p| p.is_match(path))
                && (a.rules.is_empty() || a.rules.iter().any(|r| r == rule.id()))
                && (a.kind.is_none() && a.name.is_none() && a.namespace.is_none()
                    || object.is_some_and(|o| {
                        field(&a.kind, Some(&o.kind))
                            && field(&a.name, o.name.as_ref())
                            && field(&a.namespace, o.namespace.as_ref())
                    }))
        })
        .map(|a| a.reason.as_str())
}

/// The reason in an object's own allowance annotation, if it has one.
pub fn annotation_allowance<'n>(object: &Object<'n>) -> Option<&'n str> {
    object
        .annotation(ALLOW_ANNOTATION)
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Yaml => "YAML",
        Format::Json => "JSON",
    }
}
