//! Re-encrypting SealedSecrets to a new certificate (key rotation), offline.
//!
//! Every sealed value is opened with the old private keys under the label the
//! controller uses and sealed again, under the same label, for the new
//! certificate. Only the value scalars' text changes (a quoted value keeps its
//! quotes, so a JSON string stays a string): names, scope, template and every
//! other byte of the file stay. The result is parsed again and must hold exactly
//! the planned values. If any value of a file cannot be opened, the file is left
//! as it was. Plaintext exists only in memory, in buffers that are zeroized when
//! dropped.

use std::ops::Range;

use serde_saphyr::granit_parser::ScalarStyle;

use crate::finding::Finding;
use crate::manifest::node::Node;
use crate::manifest::object::Object;
use crate::manifest::text::LineIndex;
use crate::manifest::{self, Format};
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::sealed::{is_sealed, items, scope};
use crate::rules::{Context, Rule};
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
    let Some(parsed) = manifest::parse_if_manifest(path, bytes) else {
        return plan;
    };
    let format = parsed.format;
    let text: &str = &parsed.text;
    let lines = LineIndex::new(text);
    let cx = Context::without_facts(path, text, &lines);
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    // Every string value of every sealed item, as the file must hold it afterwards.
    let mut planned: Vec<String> = Vec::new();
    for doc in &parsed.documents {
        for object in Object::root(&doc.root)
            .with_items()
            .into_iter()
            .filter(is_sealed)
        {
            // Offsets into UTF-16 text decoded to UTF-8 are not offsets into the
            // file. Saying so beats leaving the old values in place unannounced.
            if parsed.transcoded {
                let mut refusal = problem(
                    &cx,
                    &object,
                    object.anchor(),
                    "the file is UTF-16; save it as UTF-8 to reseal it in place".to_owned(),
                );
                refusal.help = Some("convert the file to UTF-8, then reseal again".to_owned());
                plan.problems.push(refusal);
                continue;
            }
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
                    Ok(sealed) => {
                        planned.push(sealed.clone());
                        edits.push((text_range(item.value), sealed));
                    }
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
    if sealed_values(&out, format, parsed.broken.len()).as_ref() != Some(&planned) {
        let mut finding = Finding::new(
            Rule::InternalError,
            path,
            1,
            1,
            "the resealed file did not read back as planned; the file was left as it was",
        );
        finding.help = Some("this is a bug in seal-guard; please report it".to_owned());
        plan.problems.push(finding);
        plan.values = 0;
        return plan;
    }
    plan.new_bytes = Some(out);
    plan
}

/// The bytes of a value scalar that hold its text: inside the quotes of a quoted
/// scalar, the whole scalar otherwise. A base64 value needs no escaping in either
/// quoting style, so it can replace the text alone.
fn text_range(value: &Node) -> Range<usize> {
    let span = value.span.clone();
    let quoted = value.as_scalar().is_some_and(|s| {
        matches!(
            s.style,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
        )
    });
    if quoted && span.len() >= 2 {
        span.start + 1..span.end - 1
    } else {
        span
    }
}

/// The string value of every sealed item in `bytes`, in file order, without line
/// breaks (the controller's base64 decoder skips them, and a value in a block
/// scalar keeps the block's final one); `None` when the file parses less well than
/// it did (`broken` documents that did not parse).
fn sealed_values(bytes: &[u8], format: Format, broken: usize) -> Option<Vec<String>> {
    let parsed = manifest::parse(bytes, format).ok()?;
    if parsed.broken.len() > broken {
        return None;
    }
    let mut values = Vec::new();
    for doc in &parsed.documents {
        for object in Object::root(&doc.root)
            .with_items()
            .into_iter()
            .filter(is_sealed)
        {
            values.extend(
                items(&object)
                    .into_iter()
                    .filter_map(|item| item.value.as_str())
                    .map(|value| value.replace(['\r', '\n'], "")),
            );
        }
    }
    Some(values)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::cert::LoadOptions;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn keys() -> (KeyRing, SealingKey) {
        let mut ring = KeyRing::new();
        ring.load_bytes("rsa-2048.key", &fixture("rsa-2048.key"))
            .unwrap();
        let cert = SealingKey::from_pem(&fixture("rsa-2048.crt"), LoadOptions::default());
        (ring, cert.unwrap())
    }

    /// `text` with every `{V}` replaced by a fresh value sealed for `b/a`.
    fn sealed(text: &str, key: &SealingKey) -> String {
        let mut out = text.to_owned();
        while out.contains("{V}") {
            let value = hybrid::seal_base64(key, b"b/a", b"x").unwrap();
            out = out.replacen("{V}", &value, 1);
        }
        out
    }

    #[test]
    fn a_value_wrapped_in_a_block_scalar_is_resealed() {
        let (ring, key) = keys();
        let value = hybrid::seal_base64(&key, b"b/a", b"x").unwrap();
        let yaml = format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: a, namespace: b}}\n\
             spec:\n  encryptedData:\n    k: |\n      {}\n      {}\n",
            &value[..64],
            &value[64..]
        );
        let done = plan("s.yaml", yaml.as_bytes(), &ring, &key, None);
        assert!(done.problems.is_empty(), "{:?}", done.problems);
        assert_eq!(done.values, 1);
        let new = String::from_utf8(done.new_bytes.unwrap()).unwrap();
        assert!(!new.contains(&value[..64]));
        assert!(new.starts_with(&yaml[..yaml.find("k: ").unwrap()]));
    }

    #[test]
    fn a_utf16_file_is_refused_not_skipped() {
        let (ring, key) = keys();
        let yaml = sealed(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\n\
             spec:\n  encryptedData:\n    k: {V}\n",
            &key,
        );
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(yaml.encode_utf16().flat_map(u16::to_le_bytes));
        let done = plan("s.yaml", &utf16, &ring, &key, None);
        assert!(done.new_bytes.is_none());
        assert_eq!(done.values, 0);
        assert_eq!(done.problems.len(), 1);
        assert_eq!(done.problems[0].line, 2);
        assert!(done.problems[0].message.contains("UTF-16"));
    }

    /// `text` with every sealed value replaced by `V`, quotes kept.
    fn shape(text: &str) -> String {
        text.split_inclusive(['"', '\'', ' ', '\n'])
            .map(|piece| {
                let end = piece.trim_end_matches(['"', '\'', ' ', '\n']);
                if end.len() > 100 {
                    piece.replacen(end, "V", 1)
                } else {
                    piece.to_owned()
                }
            })
            .collect()
    }

    #[test]
    fn quoted_values_keep_their_quotes_and_json_stays_json() {
        let (ring, key) = keys();
        let json = sealed(
            "{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \
             \"metadata\": {\"name\": \"a\", \"namespace\": \"b\"},\n  \
             \"spec\": {\"encryptedData\": {\"k\": \"{V}\", \"l\": \"{V}\"}}\n}\n",
            &key,
        );
        let done = plan("s.json", json.as_bytes(), &ring, &key, None);
        assert!(done.problems.is_empty(), "{:?}", done.problems);
        assert_eq!(done.values, 2);
        let new = String::from_utf8(done.new_bytes.unwrap()).unwrap();
        serde_json::from_str::<serde_json::Value>(&new).expect("still JSON");
        assert_eq!(shape(&new), shape(&json));
        assert_ne!(new, json);

        let yaml = sealed(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\n\
             spec:\n  encryptedData:\n    k: \"{V}\"\n    l: '{V}'\n    m: {V}\n",
            &key,
        );
        let done = plan("s.yaml", yaml.as_bytes(), &ring, &key, None);
        assert_eq!(done.values, 3);
        let new = String::from_utf8(done.new_bytes.unwrap()).unwrap();
        assert_eq!(shape(&new), shape(&yaml));
        assert!(new.contains("    k: \"") && new.contains("    l: '"));
    }
}
