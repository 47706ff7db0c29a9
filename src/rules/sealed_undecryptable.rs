//! `sealed-undecryptable`: with the controller's private keys, a sealed value
//! that no key opens under the label the controller will use.
//!
//! Why: this is the failure a team otherwise meets in the cluster ("no key could
//! decrypt secret"), now caught before commit. The usual cause is a label
//! mistake (the object renamed or moved after sealing, or sealed for another
//! scope), so when another label opens the value, the finding says which.
//!
//! Each item that does open is recorded with the fingerprint of the key that
//! opened it, so that teams can see which keys are still in use and retire the
//! others.

use super::sealed::{is_sealed, items, scope};
use crate::finding::Finding;
use crate::manifest::node::Node;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};
use crate::seal::hybrid::{Layout, decode_base64};
use crate::seal::keys::KeyRing;
use crate::seal::scope::Scope;

/// An item that opened, and the key that opened it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub path: String,
    pub line: u32,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub item: String,
    /// OpenSSH `SHA256:` fingerprint of the key.
    pub key: String,
}

pub fn check(
    object: &Object<'_>,
    cx: &Context<'_>,
    keys: &KeyRing,
    out: &mut Vec<Finding>,
    verified: &mut Vec<Verified>,
) {
    if !is_sealed(object) || keys.is_empty() {
        return;
    }
    let scope = scope(object);
    let namespace = object
        .namespace()
        .map(str::to_owned)
        .or_else(|| (cx.facts.kustomize_namespace)());
    let label = scope.label(namespace.as_deref(), object.name()).ok();
    for item in items(object) {
        let Some(text) = item.value.as_str() else {
            continue;
        };
        // Values that are not even shaped like a sealed value are sealed-bad-value's
        // findings (or sealed-malformed's): one item, one finding.
        let Ok(blob) = decode_base64(text) else {
            continue;
        };
        if Layout::parse(&blob).is_err() {
            continue;
        }
        let (line, _) = cx.lines.position(cx.text, item.key.span.start);
        if let Some(opened) = label
            .as_deref()
            .and_then(|l| keys.open(l.as_bytes(), &blob))
        {
            verified.push(Verified {
                path: cx.path.to_owned(),
                line,
                name: object.name().map(str::to_owned),
                namespace: namespace.clone(),
                item: item.name.clone(),
                key: opened.key.fingerprint().as_str().to_owned(),
            });
            continue;
        }
        let diagnosis = other_labels(object, namespace.as_deref())
            .into_iter()
            .find(|(_, l)| {
                Some(l.as_str()) != label.as_deref() && keys.open(l.as_bytes(), &blob).is_some()
            })
            .map_or_else(
                || "no loaded private key opens it under any label seal-guard tried".to_owned(),
                |(how, l)| {
                    format!("it opens under the label {l:?} ({how}), so it was sealed for that")
                },
            );
        let expected = match &label {
            Some(l) => format!("under its label {l:?} ({scope})"),
            None => format!("({scope} scope needs a namespace the object does not have)"),
        };
        let mut finding = cx.finding(
            Rule::SealedUndecryptable,
            item.key.span.start,
            format!(
                "SealedSecret {}: {} does not decrypt {expected}; {diagnosis}",
                display_name(object),
                item.name
            ),
        );
        finding.help = Some(
            "seal it again for this name, namespace and scope, or restore the metadata it was sealed for".to_owned(),
        );
        finding.object = Some(object_ref(object));
        out.push(finding);
    }
}

/// Labels the value may have been sealed under instead: every scope with the
/// object's own names, and the names its template gives.
fn other_labels(object: &Object<'_>, namespace: Option<&str>) -> Vec<(String, String)> {
    let template = object.node.at(&["spec", "template", "metadata"]);
    let template_name = template.and_then(|t| t.get("name")).and_then(Node::as_str);
    let template_namespace = template
        .and_then(|t| t.get("namespace"))
        .and_then(Node::as_str);
    let mut candidates = Vec::new();
    let names = [
        (object.name(), namespace, "the object's name and namespace"),
        (
            template_name.or(object.name()),
            template_namespace.or(namespace),
            "the template's name and namespace",
        ),
    ];
    for (name, ns, whose) in names {
        for scope in Scope::ALL {
            if let Ok(label) = scope.label(ns, name) {
                candidates.push((format!("{scope} scope with {whose}"), label));
            }
        }
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::text::LineIndex;
    use crate::manifest::{self, Format};
    use crate::rules::{Facts, judge_object};

    /// Every finding on a YAML text, with the 2048-bit fixture key loaded.
    fn judge_with_key(text: &str) -> (Vec<Finding>, Vec<Verified>) {
        let path = format!("{}/fixtures/keys/rsa-2048.key", env!("CARGO_MANIFEST_DIR"));
        let mut keys = KeyRing::new();
        keys.load_file(std::path::Path::new(&path)).unwrap();
        let file = manifest::parse(text.as_bytes(), Format::Yaml).unwrap();
        let lines = LineIndex::new(&file.text);
        let facts = Facts::none();
        let cx = Context {
            path: "s.yaml",
            text: &file.text,
            lines: &lines,
            facts: &facts,
        };
        let (mut found, mut verified) = (Vec::new(), Vec::new());
        for doc in &file.documents {
            for object in Object::root(&doc.root).with_items() {
                judge_object(&object, &cx, &mut found);
                check(&object, &cx, &keys, &mut found, &mut verified);
            }
        }
        (found, verified)
    }

    #[test]
    fn a_value_that_cannot_be_a_blob_gets_one_finding() {
        use base64::Engine as _;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut prefix_64 = vec![0, 64];
        prefix_64.extend([7; 64 + 16]);
        let mut short = vec![1, 0];
        short.extend([7; 100]);
        for value in [
            encode(&prefix_64),
            encode(&short),
            "AQA=".to_owned(),
            "1234".to_owned(),
        ] {
            let text = format!(
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: a, namespace: b}}\nspec:\n  encryptedData:\n    k: {value}\n"
            );
            let (found, verified) = judge_with_key(&text);
            assert_eq!(found.len(), 1, "{value}: {found:?}");
            assert_ne!(found[0].rule, Rule::SealedUndecryptable, "{value}");
            assert!(verified.is_empty());
        }
        // A well-shaped value that no key opens is this rule's.
        let mut shaped = vec![1, 0];
        shaped.extend([7; 256 + 16 + 4]);
        let text = format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: a, namespace: b}}\nspec:\n  encryptedData:\n    k: {}\n",
            encode(&shaped)
        );
        let (found, _) = judge_with_key(&text);
        let rules: Vec<Rule> = found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [Rule::SealedUndecryptable]);
    }
}
