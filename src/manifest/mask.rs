//! A copy of a file's text that is safe to show in a snippet.
//!
//! Snippets give context around a finding, and context can reach any line of the
//! file. So the copy hides every value that may be secret, in every document:
//! `data` and `stringData` entries, a SealedSecret template's `data`, last-applied
//! annotations (they hold the whole original object), kustomize literals, and
//! every document that did not parse (nothing is known about what it holds).
//! A masked value shows as `********` (a sealed value, which is not secret but
//! long and meaningless to a reader, as `<sealed>`), on each line it covered, so
//! the snippet keeps its lines. Masking shortens the text; [`Masked::offset`]
//! maps an offset in the file to the same place in the masked copy.

use std::ops::Range;

use super::ManifestFile;
use super::node::{Node, Value};
use super::object::{LAST_APPLIED, Object};

/// A masked copy of a file's text.
#[derive(Clone, Debug, Default)]
pub struct Masked {
    pub text: String,
    /// `(offset in the file, bytes removed before it)` at the end of every
    /// shortened stretch, in file order.
    removed: Vec<(usize, usize)>,
}

impl Masked {
    /// Where byte `offset` of the file is in the masked text. Offsets inside a
    /// masked value map to its end.
    pub fn offset(&self, offset: usize) -> usize {
        let i = self.removed.partition_point(|(at, _)| *at <= offset);
        let before = if i == 0 { 0 } else { self.removed[i - 1].1 };
        offset.saturating_sub(before).min(self.text.len())
    }
}

/// The file's text with every possibly secret value masked.
pub fn masked_text(file: &ManifestFile<'_>) -> Masked {
    let mut ranges: Vec<(Range<usize>, &[u8])> = Vec::new();
    for doc in &file.documents {
        let mut last_applied = Vec::new();
        last_applied_ranges(&doc.root, &mut last_applied);
        ranges.extend(last_applied.into_iter().map(|r| (r, &b"********"[..])));
        for object in Object::root(&doc.root).with_items() {
            let mut secret = Vec::new();
            secret_ranges(&object, &mut secret);
            ranges.extend(secret.into_iter().map(|r| (r, &b"********"[..])));
            let mut sealed = Vec::new();
            sealed_ranges(&object, &mut sealed);
            ranges.extend(sealed.into_iter().map(|r| (r, &b"<sealed>"[..])));
        }
    }
    ranges.extend(
        file.broken
            .iter()
            .map(|b| (b.chunk.clone(), &b"********"[..])),
    );
    ranges.sort_by_key(|(r, _)| r.start);

    let text = file.text.as_bytes();
    let mut out = Vec::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut total = 0;
    let mut at = 0;
    for (range, marker) in ranges {
        // Ranges can nest (an alias repeats a value); the outer one wins.
        let start = range.start.max(at).min(text.len());
        let end = range.end.min(text.len());
        if start >= end {
            continue;
        }
        out.extend_from_slice(&text[at..start]);
        let mut line_start = start;
        while line_start < end {
            let line_end = text[line_start..end]
                .iter()
                .position(|b| matches!(b, b'\n' | b'\r'))
                .map_or(end, |i| line_start + i);
            let kept = marker.len().min(line_end - line_start);
            out.extend_from_slice(&marker[..kept]);
            total += line_end - line_start - kept;
            removed.push((line_end, total));
            let next = text[line_end..end]
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
            out.extend_from_slice(&text[line_end..line_end + next]);
            line_start = line_end + next;
        }
        at = end;
    }
    out.extend_from_slice(&text[at..]);
    // Only whole characters were cut out and only ASCII was written, so the
    // text is still UTF-8; the lossy conversion is a guard, never a path taken.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Masked { text, removed }
}

/// The byte ranges of sealed values (`encryptedData` items, legacy `spec.data`).
fn sealed_ranges(object: &Object<'_>, out: &mut Vec<Range<usize>>) {
    if object.kind() != Some("SealedSecret") {
        return;
    }
    if let Some(map) = object
        .node
        .at(&["spec", "encryptedData"])
        .and_then(Node::as_map)
    {
        out.extend(
            map.iter()
                .filter_map(|(_, v)| v.as_scalar().map(|_| v.span.clone())),
        );
    }
    if let Some(data) = object
        .node
        .at(&["spec", "data"])
        .filter(|d| d.as_scalar().is_some())
    {
        out.push(data.span.clone());
    }
}

/// The byte ranges of values in an object that may be secret.
/// Where every scalar of `node` is written: for a value reached through an
/// alias, both the alias and the anchored original, which holds the text.
fn scalar_ranges(node: &Node, out: &mut Vec<Range<usize>>) {
    node.for_each_scalar(&mut |s| {
        out.push(s.span.clone());
        out.extend(s.defined.clone());
    });
}

/// The values of last-applied annotations anywhere in a document: in an
/// object's metadata, a SealedSecret template's, a list item's.
fn last_applied_ranges(root: &Node, out: &mut Vec<Range<usize>>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => {
                for (key, value) in entries {
                    if key.as_str().is_some_and(|k| LAST_APPLIED.contains(&k)) {
                        scalar_ranges(value, out);
                    } else {
                        stack.push(value);
                    }
                }
            }
        }
    }
}

fn secret_ranges(object: &Object<'_>, out: &mut Vec<Range<usize>>) {
    let node = object.node;
    let mut values = |n: Option<&Node>| {
        if let Some(map) = n.and_then(Node::as_map) {
            for (_, value) in map {
                scalar_ranges(value, out);
            }
        }
    };
    values(node.get("data"));
    values(node.get("stringData"));
    values(node.at(&["spec", "template", "data"]));
    if let Some(generators) = node.get("secretGenerator").and_then(Node::as_seq) {
        for generator in generators {
            if let Some(literals) = generator.get("literals") {
                scalar_ranges(literals, out);
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
        assert_eq!(masked.text.lines().count(), text.lines().count());
        assert!(masked.text.contains("  password: ********\n"));
        let key = text.find("stringData").unwrap();
        assert_eq!(
            &masked.text[masked.offset(key)..masked.offset(key) + 10],
            "stringData"
        );
        let masked = masked.text;
        assert!(!masked.contains("abc") && !masked.contains("d\u{e9}f"));
        assert!(masked.contains("kind: Secret"));
    }

    #[test]
    fn hides_broken_documents_whole() {
        let text = "apiVersion: v1\nkind: Secret\ndata: {a: [\n---\nkind: ConfigMap\n";
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        assert_eq!(file.broken.len(), 1);
        let masked = super::masked_text(&file).text;
        assert!(!masked.contains("Secret"));
        assert!(masked.ends_with("---\nkind: ConfigMap\n"));
    }

    #[test]
    fn hides_template_data_and_last_applied() {
        let text = "kind: SealedSecret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"a\":\"c2VjcmV0\"}}'\nspec:\n  template:\n    metadata:\n      annotations:\n        kubecfg.ksonnet.io/last-applied-configuration: '{\"b\":\"dG9w\"}'\n    data:\n      url: postgres://u:pw@h\n";
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        let masked = super::masked_text(&file).text;
        assert!(
            !masked.contains("c2VjcmV0") && !masked.contains("pw@h") && !masked.contains("dG9w"),
            "{masked}"
        );
    }
}
