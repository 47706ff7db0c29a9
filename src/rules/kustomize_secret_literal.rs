//! `kustomize-secret-literal`: a kustomization's `secretGenerator` with
//! `literals:` entries.
//!
//! Why: `kustomize build` turns each literal into a Secret value, so the literal
//! is a Secret committed in the clear, only written differently. Literals whose
//! value is only a template placeholder are not reported.
//!
//! Fix: none automatic. Move the value into a SealedSecret (or a generator fed
//! from a file that is not committed).

use crate::finding::{Finding, ObjectRef};
use crate::manifest::node::Node;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::is_placeholder;
use crate::rules::{Context, Rule};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if object.in_list {
        return;
    }
    let is_kustomize = match object.api_version() {
        None => true,
        Some(v) => v.starts_with("kustomize.config.k8s.io/"),
    };
    if !is_kustomize {
        return;
    }
    let Some(generators) = object.node.get("secretGenerator").and_then(Node::as_seq) else {
        return;
    };
    for generator in generators {
        let Some(literals) = generator.get("literals").and_then(Node::as_seq) else {
            continue;
        };
        let keys: Vec<&str> = literals
            .iter()
            .filter_map(Node::as_str)
            .filter_map(|literal| {
                let (key, value) = literal.split_once('=')?;
                (!is_placeholder(value)).then_some(key.trim())
            })
            .collect();
        if keys.is_empty() {
            continue;
        }
        let name = generator.get("name").and_then(Node::as_str);
        let mut finding = cx.finding(
            Rule::KustomizeSecretLiteral,
            literals[0].span.start,
            format!(
                "secretGenerator {} has {} plaintext literal{} ({})",
                name.unwrap_or("(unnamed)"),
                keys.len(),
                if keys.len() == 1 { "" } else { "s" },
                keys.join(", "),
            ),
        );
        finding.help = Some(
            "move these values into a SealedSecret; literals in a kustomization are committed \
             in the clear"
                .to_owned(),
        );
        finding.object = Some(ObjectRef {
            kind: "Secret".to_owned(),
            name: name.map(str::to_owned),
            namespace: generator
                .get("namespace")
                .and_then(Node::as_str)
                .or_else(|| object.node.get("namespace").and_then(Node::as_str))
                .map(str::to_owned),
        });
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::Rule;
    use crate::rules::tests::judge_yaml;

    #[test]
    fn flags_literals_and_names_only_keys() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\nsecretGenerator:\n- name: db\n  literals:\n  - password=hunter2\n  - user=${USER}\n";
        let found = judge_yaml("kustomization.yaml", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, Rule::KustomizeSecretLiteral);
        assert_eq!(found[0].line, 7);
        assert!(found[0].message.contains("password"));
        assert!(!found[0].message.contains("hunter2"));
        assert!(!found[0].message.contains("user"));
    }

    #[test]
    fn generators_from_files_are_not_literals() {
        let text = "secretGenerator:\n- name: db\n  envs: [db.env]\n";
        assert!(judge_yaml("kustomization.yaml", text).is_empty());
    }
}
