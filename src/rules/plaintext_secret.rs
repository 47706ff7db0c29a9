//! `plaintext-secret`: a core `v1` Secret whose `data` or `stringData` holds at
//! least one real value.
//!
//! Why: base64 is an encoding, not encryption. A Secret manifest in git is its
//! values in the clear, for everyone who can read the repository, forever.
//!
//! What counts: a document (or an item of a `kind: List`, or any item of a
//! `SecretList`) with `apiVersion: v1` and `kind: Secret`, with at least one entry
//! under `data` or `stringData` whose value is not only a template placeholder
//! (`{{ .Values.x }}`, `${VAR}`): a Secret rendered later by Helm or envsubst holds
//! no value yet. One real value among placeholders is reported.
//!
//! Fix: `seal-guard fix` replaces the Secret with a SealedSecret in place.

use crate::finding::{Finding, ObjectRef};
use crate::manifest::node::{Node, Value};
use crate::manifest::object::Object;
use crate::rules::{Context, Rule};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !object.is_core("Secret") {
        return;
    }
    let keys = plaintext_keys(object.node);
    if keys.is_empty() {
        return;
    }
    let name = display_name(object);
    let noun = if keys.len() == 1 { "value" } else { "values" };
    let mut finding = cx.finding(
        Rule::PlaintextSecret,
        object.anchor(),
        format!(
            "Secret {name} holds {} plaintext {noun} ({})",
            keys.len(),
            keys.join(", ")
        ),
    );
    finding.help = Some(
        "seal it with `seal-guard fix`, or allow it with a reason in .seal-guard.yaml \
         or the annotation `seal-guard/allow`"
            .to_owned(),
    );
    finding.fixable = true;
    finding.object = Some(object_ref(object));
    out.push(finding);
}

/// Keys of `data` and `stringData` entries that hold a real value, in file order.
/// Key names are not secret; values are never returned.
pub fn plaintext_keys(secret: &Node) -> Vec<String> {
    let mut keys = Vec::new();
    for field in ["data", "stringData"] {
        let Some(entries) = secret.get(field).and_then(Node::as_map) else {
            continue;
        };
        for (key, value) in entries {
            let real = match &value.value {
                Value::Scalar(s) => !is_placeholder(&s.text),
                // Not a valid Secret value; nothing here Kubernetes would store.
                Value::Seq(_) | Value::Map(_) => false,
            };
            if real {
                let key = key
                    .as_scalar()
                    .map_or_else(|| "?".to_owned(), |s| s.text.clone());
                keys.push(format!("{field}.{key}"));
            }
        }
    }
    keys
}

/// Whether a value is only template placeholders: `{{ ... }}` (Helm, Go
/// templates) or `${...}` (envsubst, Flux post-build substitution), with nothing
/// but blanks between them.
pub fn is_placeholder(value: &str) -> bool {
    let mut rest = value.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let close = if rest.starts_with("{{") {
            rest.find("}}").map(|i| i + 2)
        } else if rest.starts_with("${") {
            rest.find('}').map(|i| i + 1)
        } else {
            None
        };
        let Some(close) = close else { return false };
        rest = rest[close..].trim_start();
    }
    true
}

/// `namespace/name`, or what is known of it, for messages.
pub fn display_name(object: &Object<'_>) -> String {
    match (object.namespace(), object.name()) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.to_owned(),
        (_, None) => "(unnamed)".to_owned(),
    }
}

pub fn object_ref(object: &Object<'_>) -> ObjectRef {
    ObjectRef {
        kind: object.kind().unwrap_or_default().to_owned(),
        name: object.name().map(str::to_owned),
        namespace: object.namespace().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::judge_yaml;

    #[test]
    fn placeholders() {
        assert!(is_placeholder("{{ .Values.password | b64enc }}"));
        assert!(is_placeholder(" ${DB_PASSWORD} "));
        assert!(is_placeholder("{{ .a }}${B}"));
        assert!(!is_placeholder("prefix-${B}"));
        assert!(!is_placeholder("{{ unterminated"));
        assert!(!is_placeholder(""));
        assert!(!is_placeholder("aHVudGVyMg=="));
    }

    #[test]
    fn flags_a_secret_with_data_at_its_kind_line() {
        let found = judge_yaml(
            "x.yaml",
            "apiVersion: v1\nmetadata:\n  name: db\n  namespace: prod\ndata:\n  password: aHVudGVyMg==\nkind: Secret\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, Rule::PlaintextSecret);
        assert_eq!((found[0].line, found[0].column), (7, 1));
        assert!(found[0].message.contains("prod/db"));
        assert!(found[0].message.contains("data.password"));
        assert!(!found[0].message.contains("aHVudGVyMg"));
    }

    #[test]
    fn ignores_secrets_without_values_and_other_api_versions() {
        for text in [
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n",
            "apiVersion: v1\nkind: Secret\ndata: {}\nstringData: {}\n",
            "apiVersion: v2\nkind: Secret\ndata: {a: b}\n",
            "apiVersion: v1\nkind: Secret\nstringData: {a: '{{ .Values.a }}', b: '${B}'}\n",
            "apiVersion: v1\nkind: ConfigMap\ndata: {note: 'kind: Secret'}\n",
            "# apiVersion: v1\n# kind: Secret\n# data: {a: b}\n",
        ] {
            assert!(judge_yaml("x.yaml", text).is_empty(), "{text}");
        }
    }

    #[test]
    fn one_real_value_among_placeholders_is_flagged() {
        let found = judge_yaml(
            "x.yaml",
            "apiVersion: v1\nkind: Secret\nstringData:\n  a: '{{ .Values.a }}'\n  b: real\n",
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("stringData.b"));
        assert!(!found[0].message.contains("stringData.a"));
    }

    #[test]
    fn list_items_at_any_position_and_secret_list_items_without_kind() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data: {a: b}\n- apiVersion: v1\n  kind: Secret\n  data: {a: Yg==}\n";
        let found = judge_yaml("l.yaml", list);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 8);
        let secret_list = "apiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: x}\n  stringData: {a: b}\n";
        let found = judge_yaml("l.yaml", secret_list);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 4);
    }

    #[test]
    fn flow_style_quoted_keys_anchors_and_merge_keys() {
        let text = "{\"apiVersion\": \"v1\", 'kind': \"Secret\", data: {k: dg==}}\n";
        assert_eq!(judge_yaml("f.yaml", text).len(), 1);
        let aliased =
            "base: &d {a: Yg==}\n---\napiVersion: v1\nkind: Secret\ndata:\n  <<: {a: Yg==}\n";
        assert_eq!(judge_yaml("m.yaml", aliased).len(), 1);
    }
}
