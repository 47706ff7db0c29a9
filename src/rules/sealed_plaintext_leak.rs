//! `sealed-plaintext-leak`: a SealedSecret whose template carries plaintext.
//!
//! Why: the template is not encrypted. A last-applied-configuration annotation
//! in it holds the whole original Secret, values included (an error); a literal
//! `template.data` value (one that is not a Go template over the sealed items)
//! is a value in the clear (a warning: it may be a deliberate public setting).

use super::sealed::is_sealed;
use crate::finding::{Finding, Severity};
use crate::manifest::node::Node;
use crate::manifest::object::{LAST_APPLIED, Object};
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !is_sealed(object) {
        return;
    }
    let name = display_name(object);
    let template = object.node.at(&["spec", "template"]);
    if let Some(annotations) = template.and_then(|t| t.at(&["metadata", "annotations"])) {
        for key in LAST_APPLIED {
            if let Some((k, _)) = annotations.get_entry(key) {
                let mut finding = cx.finding(
                    Rule::SealedPlaintextLeak,
                    k.span.start,
                    format!("SealedSecret {name}: the template's {key} annotation holds the original Secret in the clear"),
                );
                finding.help =
                    Some("remove the annotation and rotate the values it exposed".to_owned());
                finding.object = Some(object_ref(object));
                out.push(finding);
            }
        }
    }
    if let Some(entries) = template.and_then(|t| t.get("data")).and_then(Node::as_map) {
        for (key, value) in entries {
            let Some(text) = value.as_str() else { continue };
            if text.contains("{{") {
                continue;
            }
            let key_name = key.as_str().unwrap_or("?");
            let mut finding = cx.finding(
                Rule::SealedPlaintextLeak,
                key.span.start,
                format!("SealedSecret {name}: template.data.{key_name} is a literal value, stored in the clear"),
            );
            finding.severity = Severity::Warning;
            finding.help = Some(
                "seal the value as an encryptedData item, or template it over sealed items"
                    .to_owned(),
            );
            finding.object = Some(object_ref(object));
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::Rule;
    use crate::rules::tests::judge_yaml;

    #[test]
    fn last_applied_is_an_error_literal_template_data_a_warning() {
        let text = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\nspec:\n  encryptedData: {}\n  template:\n    metadata:\n      annotations:\n        kubectl.kubernetes.io/last-applied-configuration: '{}'\n    data:\n      url: 'postgres://{{ .user }}@db'\n      mode: production\n";
        let found: Vec<_> = judge_yaml("s.yaml", text)
            .into_iter()
            .filter(|f| f.rule == Rule::SealedPlaintextLeak)
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].line, found[0].severity), (9, Severity::Error));
        assert_eq!((found[1].line, found[1].severity), (12, Severity::Warning));
        assert!(!found[1].message.contains("production"));
    }
}
