//! Re-encrypting SealedSecrets to a new certificate (key rotation), offline.
//!
//! Every sealed value is opened with the old private keys under the label the
//! controller uses and sealed again, under the same label, for the new
//! certificate. Only the value scalars change: names, scope, template and every
//! other byte of the file stay. If any value of a file cannot be opened, the file
//! is left as it was. Plaintext exists only in memory, in buffers that are
//! zeroized when dropped.

use std::ops::Range;

use crate::finding::Finding;
use crate::manifest::object::Object;
use crate::manifest::text::LineIndex;
use crate::manifest::{self, Format};
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::sealed::{is_sealed, items, scope};
use crate::rules::{Context, Facts, Rule};
use crate::seal::cert::SealingKey;
use crate::seal::hybrid;
use crate::seal::keys::KeyRing;

/// What resealing one file comes to.
#[derive(Debug, Default)]
pub struct Plan {
    pub new_bytes: Option<Vec<u8>>,
    /// How many values were sealed again.
    pub values: usize,
    pub problems: Vec<Finding>,
}

/// Plans resealing every SealedSecret in `bytes` for `key`. `namespace` is the
/// namespace a kustomization gives objects that name none.
pub fn plan(
    path: &str,
    bytes: &[u8],
    keys: &KeyRing,
    key: &SealingKey,
    namespace: Option<&str>,
) -> Plan {
    let mut plan = Plan::default();
    let Some(format) = Format::of_path(path) else {
        return plan;
    };
    if !manifest::is_candidate(bytes) {
        return plan;
    }
    let Ok(parsed) = manifest::parse(bytes, format) else {
        return plan;
    };
    if parsed.transcoded {
        return plan;
    }
    let text: &str = &parsed.text;
    let lines = LineIndex::new(text);
    let facts = Facts::none();
    let cx = Context {
        path,
        text,
        lines: &lines,
        facts: &facts,
    };
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for doc in &parsed.documents {
        for object in Object::root(&doc.root)
            .with_items()
            .into_iter()
            .filter(is_sealed)
        {
            let ns = object.namespace().or(namespace);
            let label = match scope(&object).label(ns, object.name()) {
                Ok(label) => label,
                Err(e) => {
                    plan.problems.push(problem(
                        &cx,
                        &object,
                        object.anchor(),
                        format!("has no label: {e}"),
                    ));
                    continue;
                }
            };
            for item in items(&object) {
                let Some(text) = item.value.as_str() else {
                    continue;
                };
                let opened = hybrid::decode_base64(text)
                    .ok()
                    .and_then(|blob| keys.open(label.as_bytes(), &blob));
                let Some(opened) = opened else {
                    plan.problems.push(problem(
                        &cx,
                        &object,
                        item.key.span.start,
                        format!(
                            "{} does not open with the given private keys under {label:?}",
                            item.name
                        ),
                    ));
                    continue;
                };
                match hybrid::seal_base64(key, label.as_bytes(), &opened.plaintext) {
                    Ok(sealed) => edits.push((item.value.span.clone(), sealed)),
                    Err(e) => plan.problems.push(problem(
                        &cx,
                        &object,
                        item.key.span.start,
                        e.to_string(),
                    )),
                }
            }
        }
    }
    if !plan.problems.is_empty() || edits.is_empty() {
        return plan;
    }
    plan.values = edits.len();
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (range, sealed) in &edits {
        out.extend_from_slice(&bytes[at..parsed.bom + range.start]);
        out.extend_from_slice(sealed.as_bytes());
        at = parsed.bom + range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    plan.new_bytes = Some(out);
    plan
}

fn problem(cx: &Context<'_>, object: &Object<'_>, at: usize, what: String) -> Finding {
    let mut finding = cx.finding(
        Rule::SealedUndecryptable,
        at,
        format!(
            "SealedSecret {} cannot be resealed: {what}",
            display_name(object)
        ),
    );
    finding.object = Some(object_ref(object));
    finding.help = Some("pass the private key that sealed it with --private-key".to_owned());
    finding
}
