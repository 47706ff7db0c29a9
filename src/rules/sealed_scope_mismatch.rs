//! `sealed-scope-mismatch`: the SealedSecret's own metadata disagrees with itself,
//! so the controller will try a label the value was not sealed under.
//!
//! Why: the controller derives the label from the top-level metadata only (name,
//! namespace, scope annotations), while people read the template. When the two
//! disagree, or the scope needs a namespace the object will not have, the
//! controller fails with "no key could decrypt secret".
//!
//! What: the top level and the template both state a scope, and they differ; the
//! scope needs a namespace that neither the object nor a kustomization listing
//! its file gives; the template's name or namespace differs from the top level's.

use super::sealed::{is_sealed, scope, stated_scope};
use crate::finding::Finding;
use crate::manifest::node::Node;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};
use crate::seal::scope::Scope;

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !is_sealed(object) {
        return;
    }
    let name = display_name(object);
    let template_meta = object.node.at(&["spec", "template", "metadata"]);
    let mut report = |at: usize, message: String, help: String| {
        let mut finding = cx.finding(Rule::SealedScopeMismatch, at, message);
        finding.help = Some(help);
        finding.object = Some(object_ref(object));
        out.push(finding);
    };
    let anchor_of = |node: Option<&Node>, key: &str| {
        node.and_then(|n| n.get_entry(key))
            .map(|(k, _)| k.span.start)
    };

    // A template that states no scope is no disagreement (objects assembled by
    // hand from `--raw` output carry the annotation at the top only). A top level
    // that states none is strict, and a template claiming a wider scope is exactly
    // what a rotation trusting the template (sealed-secrets before v0.36.0) widened.
    let top = stated_scope(object.metadata()).unwrap_or(Scope::Strict);
    if let Some(template) = stated_scope(template_meta)
        && top != template
    {
        report(
            anchor_of(template_meta, "annotations").unwrap_or(object.anchor()),
            format!("SealedSecret {name} is {top} at the top level but {template} in its template"),
            "the controller uses the top-level scope; make the template's annotations match it, or seal again"
                .to_owned(),
        );
    }

    let scope = scope(object);
    if scope != Scope::ClusterWide
        && object.namespace().is_none()
        && (cx.facts.kustomize_namespace)().is_none()
    {
        report(
            object.anchor(),
            format!(
                "SealedSecret {name} is {scope} but has no namespace, and no kustomization gives it one"
            ),
            "set metadata.namespace to the namespace it was sealed for".to_owned(),
        );
    }

    for field in ["name", "namespace"] {
        let top_value = object
            .metadata()
            .and_then(|m| m.get(field))
            .and_then(Node::as_str);
        let template_value = template_meta
            .and_then(|m| m.get(field))
            .and_then(Node::as_str);
        if let (Some(top_value), Some(template_value)) = (top_value, template_value)
            && top_value != template_value
        {
            report(
                anchor_of(template_meta, field).unwrap_or(object.anchor()),
                format!(
                    "SealedSecret {name}: the template's {field} is {template_value:?}, the object's is {top_value:?}"
                ),
                format!(
                    "the value was sealed for one {field}; the controller uses the object's, so rename one of them or seal again"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::Rule;
    use crate::rules::tests::judge_yaml;

    fn found(text: &str) -> Vec<(u32, String)> {
        judge_yaml("s.yaml", text)
            .into_iter()
            .filter(|f| f.rule == Rule::SealedScopeMismatch)
            .map(|f| (f.line, f.message))
            .collect()
    }

    const HEAD: &str = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n";

    #[test]
    fn consistent_objects_are_clean() {
        assert!(found(&format!("{HEAD}metadata: {{name: a, namespace: b}}\nspec:\n  encryptedData: {{}}\n  template:\n    metadata: {{name: a, namespace: b}}\n")).is_empty());
        let cluster = format!(
            "{HEAD}metadata:\n  name: a\n  annotations: {{sealedsecrets.bitnami.com/cluster-wide: \"true\"}}\nspec: {{encryptedData: {{}}}}\n"
        );
        assert!(found(&cluster).is_empty());
    }

    #[test]
    fn scope_disagreement_missing_namespace_and_renames() {
        let text = format!(
            "{HEAD}metadata:\n  name: a\n  namespace: b\n  annotations: {{sealedsecrets.bitnami.com/namespace-wide: \"true\"}}\nspec:\n  encryptedData: {{}}\n  template:\n    metadata:\n      annotations: {{sealedsecrets.bitnami.com/cluster-wide: \"true\"}}\n"
        );
        let f = found(&text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 11);
        assert_eq!(
            found(&format!(
                "{HEAD}metadata: {{name: a}}\nspec: {{encryptedData: {{}}}}\n"
            ))
            .len(),
            1
        );
        let strict_top = format!(
            "{HEAD}metadata: {{name: a, namespace: b}}\nspec:\n  encryptedData: {{}}\n  template:\n    metadata:\n      annotations: {{sealedsecrets.bitnami.com/cluster-wide: \"true\"}}\n"
        );
        let f = found(&strict_top);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1
                .contains("is strict at the top level but cluster-wide in its template"),
            "{f:?}"
        );
        let top_only = format!(
            "{HEAD}metadata:\n  name: a\n  namespace: b\n  annotations: {{sealedsecrets.bitnami.com/namespace-wide: \"true\"}}\nspec:\n  encryptedData: {{}}\n  template:\n    type: Opaque\n"
        );
        assert!(found(&top_only).is_empty());
        let renamed = format!(
            "{HEAD}metadata: {{name: a, namespace: b}}\nspec:\n  template:\n    metadata:\n      name: c\n      namespace: d\n"
        );
        let f = found(&renamed);
        assert_eq!(
            f.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [7, 8],
            "{f:?}"
        );
    }
}
