//! A copy of a file's text that is safe to show in a snippet.
//!
//! Snippets give context around a finding, and context can reach any line of the
//! file. So the copy hides every value that may be secret, in every document:
//! `data` and `stringData` entries, a SealedSecret template's `data`, last-applied
//! annotations (they hold the whole original object), kustomize literals, and
//! every document that did not parse (nothing is known about what it holds).
//! Masking replaces bytes one for one, so offsets and lines stay valid.

use std::ops::Range;

use super::ManifestFile;
use super::node::Node;
use super::object::Object;

const LAST_APPLIED: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];

/// The file's text with every possibly secret value replaced by `*`.
pub fn masked_text(file: &ManifestFile<'_>) -> String {
    let mut ranges = Vec::new();
    for doc in &file.documents {
        for object in Object::root(&doc.root).with_items() {
            secret_ranges(&object, &mut ranges);
        }
    }
    ranges.extend(file.broken.iter().map(|b| b.chunk.clone()));
    let mut bytes = file.text.as_bytes().to_vec();
    for range in ranges {
        let end = range.end.min(bytes.len());
        for b in &mut bytes[range.start.min(end)..end] {
            if !matches!(b, b'\n' | b'\r') {
                *b = b'*';
            }
        }
    }
    // Only whole characters were replaced, by ASCII, so the text is still UTF-8;
    // the lossy conversion is a guard, never a path taken.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The byte ranges of values in an object that may be secret.
fn secret_ranges(object: &Object<'_>, out: &mut Vec<Range<usize>>) {
    let node = object.node;
    let mut values = |n: Option<&Node>| {
        if let Some(map) = n.and_then(Node::as_map) {
            for (_, value) in map {
                value.for_each_scalar(&mut |s| out.push(s.span.clone()));
            }
        }
    };
    values(node.get("data"));
    values(node.get("stringData"));
    values(node.at(&["spec", "template", "data"]));
    if let Some(annotations) = object.metadata().and_then(|m| m.get("annotations")) {
        for key in LAST_APPLIED {
            if let Some(value) = annotations.get(key) {
                value.for_each_scalar(&mut |s| out.push(s.span.clone()));
            }
        }
    }
    if let Some(generators) = node.get("secretGenerator").and_then(Node::as_seq) {
        for generator in generators {
            if let Some(literals) = generator.get("literals") {
                literals.for_each_scalar(&mut |s| out.push(s.span.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::manifest::{Format, parse};

    #[test]
    fn hides_values_and_keeps_structure() {
        let text = "apiVersion: v1\nkind: Secret\ndata:\n  password: aHVudGVyMg==\nstringData:\n  token: |\n    abc\n    déf\n";
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        let masked = super::masked_text(&file);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), text.lines().count());
        assert!(masked.contains("  password: ************\n"));
        assert!(!masked.contains("abc") && !masked.contains("d\u{e9}f"));
        assert!(masked.contains("kind: Secret"));
    }

    #[test]
    fn hides_broken_documents_whole() {
        let text = "apiVersion: v1\nkind: Secret\ndata: {a: [\n---\nkind: ConfigMap\n";
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        assert_eq!(file.broken.len(), 1);
        let masked = super::masked_text(&file);
        assert!(!masked.contains("Secret"));
        assert!(masked.ends_with("---\nkind: ConfigMap\n"));
    }

    #[test]
    fn hides_template_data_and_last_applied() {
        let text = "kind: SealedSecret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"a\":\"c2VjcmV0\"}}'\nspec:\n  template:\n    data:\n      url: postgres://u:pw@h\n";
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        let masked = super::masked_text(&file);
        assert!(
            !masked.contains("c2VjcmV0") && !masked.contains("pw@h"),
            "{masked}"
        );
    }
}
