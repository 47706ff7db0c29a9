//! `sealed-bad-value`: a sealed value that cannot be an encrypted blob.
//!
//! Why: the controller decodes each value with Go's standard padded base64 and
//! reads a two-byte length prefix before the RSA part; a value that fails either
//! (URL-safe alphabet, missing padding, a truncated paste, a value copied from
//! somewhere else) can never decrypt.
//!
//! What: the value is not strict, padded, standard base64; the length prefix
//! announces an RSA part outside 128 to 2048 bytes (1024- to 16384-bit keys); or
//! the blob is shorter than the prefix, the RSA part and the 16-byte tag.

use super::sealed::{is_sealed, is_string, items};
use crate::finding::Finding;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};
use crate::seal::hybrid::{Layout, decode_base64};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !is_sealed(object) {
        return;
    }
    for item in items(object) {
        // A value that is not a string is sealed-malformed's finding; one item,
        // one finding.
        if !is_string(item.value) {
            continue;
        }
        let Some(text) = item.value.as_str() else {
            continue;
        };
        let problem = decode_base64(text).and_then(|blob| Layout::parse(&blob).map(|_| ()));
        if let Err(problem) = problem {
            let mut finding = cx.finding(
                Rule::SealedBadValue,
                item.key.span.start,
                format!(
                    "SealedSecret {}: {} is {problem}",
                    display_name(object),
                    item.name
                ),
            );
            finding.help =
                Some("seal the value again; a sealed value cannot be edited by hand".to_owned());
            finding.object = Some(object_ref(object));
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::Rule;
    use crate::rules::tests::judge_yaml;

    fn bad(value: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: a, namespace: b}}\nspec:\n  encryptedData:\n    k: \"{value}\"\n"
        );
        judge_yaml("s.yaml", &text)
            .into_iter()
            .filter(|f| f.rule == Rule::SealedBadValue)
            .map(|f| f.message)
            .collect()
    }

    fn blob(prefix: u16, rest: usize) -> String {
        use base64::Engine as _;
        let mut bytes = prefix.to_be_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(7u8, rest));
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn well_formed_blob_is_clean() {
        assert!(bad(&blob(256, 256 + 16 + 5)).is_empty());
    }

    #[test]
    fn encoding_errors() {
        let good = blob(256, 256 + 20);
        assert_eq!(
            bad(&good.replace('+', "-").replace('/', "_")).len(),
            usize::from(good.contains(['+', '/']))
        );
        assert_eq!(
            bad(good.trim_end_matches('=')).len(),
            usize::from(good.ends_with('='))
        );
        assert_eq!(bad("not base64!").len(), 1);
    }

    #[test]
    fn a_value_that_is_not_a_string_is_left_to_sealed_malformed() {
        for value in ["12345", "1234", "true", "~"] {
            let text = format!(
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: a, namespace: b}}\nspec:\n  encryptedData:\n    k: {value}\n"
            );
            let rules: Vec<Rule> = judge_yaml("s.yaml", &text)
                .into_iter()
                .map(|f| f.rule)
                .collect();
            assert_eq!(rules, [Rule::SealedMalformed], "{value}");
        }
        // Quoted, the same text is a string, and a bad value.
        assert_eq!(bad("12345").len(), 1);
    }

    #[test]
    fn layout_errors() {
        assert_eq!(bad(&blob(64, 64 + 16)).len(), 1, "prefix under 128");
        assert_eq!(bad(&blob(4096, 100)).len(), 1, "prefix over 2048");
        assert_eq!(bad(&blob(512, 512 + 15)).len(), 1, "shorter than the tag");
    }
}
