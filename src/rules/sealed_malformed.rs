//! `sealed-malformed`: a SealedSecret the controller will not accept as it stands.
//!
//! Why: the controller silently drops `encryptedData` values that are not
//! strings, refuses an object with both `encryptedData` and the legacy
//! `spec.data`, and an item key that is not a valid Secret key produces a Secret
//! the API server rejects. Each of these is found today only when the
//! controller fails in the cluster.
//!
//! What: the `apiVersion` is not `bitnami.com/v1alpha1`; `spec` has neither
//! `encryptedData` nor the legacy `data`, or both; an item's value is not a
//! string; an item's key is not a valid Secret key (`[-._a-zA-Z0-9]+`). One
//! finding per offending item, at that item's line.

use super::sealed::{API_VERSION, is_sealed, is_string, items};
use crate::finding::Finding;
use crate::manifest::node::Value;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !is_sealed(object) {
        return;
    }
    let name = display_name(object);
    let mut report = |at: usize, message: String, help: &str| {
        let mut finding = cx.finding(Rule::SealedMalformed, at, message);
        finding.help = Some(help.to_owned());
        finding.object = Some(object_ref(object));
        out.push(finding);
    };
    if object.api_version() != Some(API_VERSION) {
        let at = object
            .node
            .get_entry("apiVersion")
            .map_or(object.anchor(), |(k, _)| k.span.start);
        report(
            at,
            format!(
                "SealedSecret {name} has apiVersion {:?}, not {API_VERSION}",
                object.api_version().unwrap_or("")
            ),
            "set `apiVersion: bitnami.com/v1alpha1`",
        );
    }
    let spec = object.node.get("spec");
    let encrypted = spec.and_then(|s| s.get_entry("encryptedData"));
    let legacy = spec
        .and_then(|s| s.get_entry("data"))
        .filter(|(_, v)| !v.as_scalar().is_some_and(|s| s.is_null()));
    match (encrypted, legacy) {
        (None, None) => report(
            object.anchor(),
            format!("SealedSecret {name} has neither spec.encryptedData nor spec.data"),
            "seal the Secret again (`seal-guard fix` or kubeseal); an empty `encryptedData: {}` is valid",
        ),
        (Some(_), Some((key, _))) => report(
            key.span.start,
            format!("SealedSecret {name} has both spec.encryptedData and the legacy spec.data"),
            "the controller refuses both at once; keep encryptedData",
        ),
        _ => {}
    }
    if let Some((key, value)) = encrypted
        && !matches!(value.value, Value::Map(_))
        && !value.as_scalar().is_some_and(|s| s.is_null())
    {
        report(
            key.span.start,
            format!("SealedSecret {name}: spec.encryptedData is not a mapping"),
            "make it a mapping of item names to sealed values",
        );
    }
    for item in items(object) {
        if !is_string(item.value) {
            report(
                item.key.span.start,
                format!(
                    "SealedSecret {name}: {} is not a string; the controller drops it",
                    item.name
                ),
                "quote the sealed value or seal it again",
            );
        }
        if let Some(key) = item.name.strip_prefix("encryptedData.")
            && !is_secret_key(key)
        {
            report(
                item.key.span.start,
                format!("SealedSecret {name}: item key {key:?} is not a valid Secret key"),
                "Secret keys use only letters, digits, '-', '_' and '.'",
            );
        }
    }
}

/// A valid Secret data key: `[-._a-zA-Z0-9]+`.
pub fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use crate::rules::Rule;
    use crate::rules::tests::judge_yaml;

    fn malformed(text: &str) -> Vec<(u32, String)> {
        judge_yaml("s.yaml", text)
            .into_iter()
            .filter(|f| f.rule == Rule::SealedMalformed)
            .map(|f| (f.line, f.message))
            .collect()
    }

    #[test]
    fn a_well_formed_object_is_clean() {
        let text = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\nspec:\n  encryptedData: {}\n  template:\n    data: {x: '{{ .y }}'}\n";
        assert!(malformed(text).is_empty());
    }

    #[test]
    fn wrong_api_version_missing_and_double_data() {
        let found = malformed("apiVersion: bitnami.com/v1\nkind: SealedSecret\nspec: {}\n");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 1);
        let found = malformed(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData: {a: AgA=}\n  data: AgA=\n",
        );
        assert!(
            found
                .iter()
                .any(|(line, m)| *line == 5 && m.contains("both")),
            "{found:?}"
        );
    }

    #[test]
    fn items_that_are_not_strings_or_bad_keys_are_found_at_their_line() {
        let text = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    ok: AgA=\n    num: 12\n    'bad key': AgA=\n    list: [a]\n";
        let found = malformed(text);
        let lines: Vec<u32> = found.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [6, 7, 8], "{found:?}");
    }
}
