//! A YAML node tree that remembers where every node sits in the file.
//!
//! Manifests are read at the event level of serde-saphyr's own parser
//! (`serde_saphyr::granit_parser`) rather than through `serde::Deserialize`:
//! `serde_saphyr::Spanned` knows where a node starts but not where a collection
//! ends, and in-place sealing must replace one object (a document, or one item of a
//! `kind: List`) and nothing else. Building the tree here also lets us bound what an
//! untrusted file can cost: the parser limits nesting, and node counts cap what a
//! document and a whole file may build, copies for anchors and aliases included,
//! so a "billion laughs" file fails fast.
//!
//! Scalars keep their resolved text and their style; the tree never tries to type
//! them (Kubernetes fields we read are strings), so `n`, `yes` or `0x1F` stay text.

use std::fmt;
use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, ScanError, Span};

/// The most nodes one document may expand to (aliases included) before parsing
/// stops. Real manifests have a few hundred nodes; the cap is there for alias
/// bombs, whose expansion grows exponentially with their size.
pub const MAX_NODES_PER_DOCUMENT: usize = 1_000_000;

/// The most nodes all documents of one file may build beyond one node per byte
/// of the file (more than any file without aliases holds). Without it, a file of
/// thousands of alias bombs, each just under the per-document cap, takes hours.
pub const MAX_EXPANSION_PER_FILE: usize = 4 * MAX_NODES_PER_DOCUMENT;

/// How many more nodes the documents of one file may build, shared by every
/// [`parse_documents_within`] call on that file.
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

impl Budget {
    /// The budget of a file of `len` bytes.
    pub fn for_file(len: usize) -> Self {
        Budget {
            left: len.saturating_add(MAX_EXPANSION_PER_FILE),
        }
    }

    /// Whether the file used up its budget: nothing more of it will parse.
    pub fn is_spent(&self) -> bool {
        self.left == 0
    }
}

#[derive(Clone)]
pub struct Node {
    /// Bytes of the file covered by this node: from its first character to the end
    /// of its last content (no trailing blank lines or comments).
    pub span: Range<usize>,
    /// For a copy made by an alias (`*name`), where the anchored original
    /// stands; `span` is then the alias token.
    pub defined: Option<Range<usize>>,
    pub value: Value,
}

#[derive(Clone)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone)]
pub struct Scalar {
    /// The text after YAML escape processing. May be a secret value: never print it.
    pub text: String,
    pub style: ScalarStyle,
    /// A `!tag` written on the node, if any (`!!binary`, `!!str`, ...), as resolved
    /// by the parser.
    pub tag: Option<String>,
}

impl Scalar {
    /// Whether this is YAML's null: `~`, `null` or nothing, written plain.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

// Scalars may be secret values: Debug shows their shape, never their text.
impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scalar({:?}, {} bytes)", self.style, self.text.len())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Scalar(s) => write!(f, "{s:?}@{:?}", self.span),
            Value::Seq(items) => f.debug_list().entries(items).finish(),
            Value::Map(entries) => f
                .debug_map()
                .entries(entries.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, or `None` for collections and null.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| !s.is_null())
            .map(|s| s.text.as_str())
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The value under `key` in a mapping. When a key appears twice the last one
    /// wins, as it does when Kubernetes decodes the object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value node under `key` in a mapping.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
            .map(|(k, v)| (k, v))
    }

    /// Walks `path` through nested mappings.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Calls `f` on every scalar of the subtree.
    pub fn for_each_scalar(&self, f: &mut impl FnMut(&Node)) {
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Scalar(_) => f(node),
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Map(entries) => {
                    stack.extend(entries.iter().flat_map(|(k, v)| [k, v]));
                }
            }
        }
    }
}

// Dropping a tree is iterative so that no input can exhaust the stack, whatever
// the nesting the parser let through.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        let take = |value: &mut Value, stack: &mut Vec<Node>| match value {
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.append(items),
            Value::Map(entries) => {
                for (k, v) in entries.drain(..) {
                    stack.push(k);
                    stack.push(v);
                }
            }
        };
        take(&mut self.value, &mut stack);
        while let Some(mut node) = stack.pop() {
            take(&mut node.value, &mut stack);
        }
    }
}

/// Why a piece of text did not become a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Absolute byte offset in the file where the problem was found.
    pub offset: usize,
    /// What is wrong, in the parser's words. Never holds a scalar's text.
    pub message: String,
}

/// A parsed document: its root node, or `None` for an empty document.
pub struct ParsedDocument {
    pub root: Option<Node>,
}

/// Parses every YAML document in `text`, which starts at byte `base` of its file.
pub fn parse_documents(text: &str, base: usize) -> Result<Vec<ParsedDocument>, ParseError> {
    parse_documents_within(text, base, &mut Budget::for_file(text.len()))
}

/// [`parse_documents`] for one piece of a file, drawing on the file's `budget`.
pub fn parse_documents_within(
    text: &str,
    base: usize,
    budget: &mut Budget,
) -> Result<Vec<ParsedDocument>, ParseError> {
    let mut builder = Builder::new(text, base, budget);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| builder.scan_error(&e))?;
        if builder.push(event, span)? {
            break;
        }
    }
    Ok(builder.documents)
}

/// A collection under construction.
enum Open {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

struct Builder<'t, 'b> {
    text: &'t str,
    base: usize,
    budget: &'b mut Budget,
    stack: Vec<Open>,
    /// Anchored nodes of the current document, by the parser's anchor id.
    anchors: Vec<Option<Node>>,
    nodes: usize,
    documents: Vec<ParsedDocument>,
    root: Option<Node>,
}

impl<'t, 'b> Builder<'t, 'b> {
    fn new(text: &'t str, base: usize, budget: &'b mut Budget) -> Self {
        Builder {
            text,
            base,
            budget,
            stack: Vec::new(),
            anchors: Vec::new(),
            nodes: 0,
            documents: Vec::new(),
            root: None,
        }
    }

    fn scan_error(&self, e: &ScanError) -> ParseError {
        let marker = e.marker();
        let offset = marker
            .byte_offset()
            .unwrap_or_else(|| char_to_byte(self.text, marker.index()));
        ParseError {
            offset: self.base + offset,
            message: e.info(),
        }
    }

    fn range(&self, span: &Span) -> Range<usize> {
        let range = span.byte_range().unwrap_or_else(|| {
            char_to_byte(self.text, span.start.index())..char_to_byte(self.text, span.end.index())
        });
        self.base + range.start..self.base + range.end
    }

    fn count(&mut self, n: usize, at: usize) -> Result<(), ParseError> {
        if n > self.budget.left {
            self.budget.left = 0;
            return Err(ParseError {
                offset: at,
                message: format!(
                    "the file's documents expand to more than {MAX_EXPANSION_PER_FILE} nodes \
                     beyond the file's size, counting the copies anchors and aliases make; \
                     the rest of the file was not read"
                ),
            });
        }
        self.budget.left -= n;
        self.nodes += n;
        if self.nodes > MAX_NODES_PER_DOCUMENT {
            return Err(ParseError {
                offset: at,
                message: format!(
                    "the document expands to more than {MAX_NODES_PER_DOCUMENT} nodes, \
                     counting the copies its anchors and aliases make"
                ),
            });
        }
        Ok(())
    }

    /// Feeds one event; returns true at the end of the stream.
    fn push(&mut self, event: Event<'_>, span: Span) -> Result<bool, ParseError> {
        let range = self.range(&span);
        match event {
            Event::StreamStart => {}
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(..) => {
                self.anchors.clear();
                self.nodes = 0;
                self.root = None;
            }
            Event::DocumentEnd => {
                self.documents.push(ParsedDocument {
                    root: self.root.take(),
                });
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, range.start)?;
                let tag = tag.map(|t| t.to_string());
                let range = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    // A block scalar's span runs on to the next token; its content
                    // ends at its last non-blank character.
                    self.trim_end(range)
                } else {
                    range
                };
                let node = Node {
                    span: range,
                    defined: None,
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                        tag,
                    }),
                };
                self.finish_node(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(Some(target)) = self.anchors.get(id) else {
                    return Err(ParseError {
                        offset: range.start,
                        message: "alias to an anchor that is not complete yet".to_owned(),
                    });
                };
                let size = subtree_size(target);
                self.count(size, range.start)?;
                let mut target = self.anchors[id].clone().expect("checked above");
                // The copy sits where the alias is written: findings point there, and
                // the enclosing collection's extent must include the alias token.
                target.defined = Some(std::mem::replace(&mut target.span, range));
                self.finish_node(target, 0)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.count(1, range.start)?;
                self.stack.push(Open::Seq {
                    start: range.start,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(_, anchor, _) => {
                self.count(1, range.start)?;
                self.stack.push(Open::Map {
                    start: range.start,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                let Some(Open::Seq {
                    start,
                    anchor,
                    items,
                }) = self.stack.pop()
                else {
                    unreachable!("the parser balances sequence events");
                };
                let end = self.content_end(start, &range, items.last().map(|n| n.span.end));
                let node = Node {
                    span: start..end,
                    defined: None,
                    value: Value::Seq(items),
                };
                self.finish_node(node, anchor)?;
            }
            Event::MappingEnd => {
                let Some(Open::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                else {
                    unreachable!("the parser balances mapping events");
                };
                let last = entries
                    .iter()
                    .map(|(k, v)| k.span.end.max(v.span.end))
                    .max();
                let entries = self.merge_keys(entries, start)?;
                let end = self.content_end(start, &range, last);
                let node = Node {
                    span: start..end,
                    defined: None,
                    value: Value::Map(entries),
                };
                self.finish_node(node, anchor)?;
            }
            // Comments and anchor metadata are not emitted with default options;
            // nothing else carries data we read.
            _ => {}
        }
        Ok(false)
    }

    fn trim_end(&self, range: Range<usize>) -> Range<usize> {
        let local = &self.text.as_bytes()[range.start - self.base..range.end - self.base];
        let kept = local
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        range.start..range.start + kept
    }

    /// Where a collection's content ends: after its closing bracket when it has
    /// one (flow style), else at the end of its last child.
    fn content_end(
        &self,
        start: usize,
        end_event: &Range<usize>,
        last_child: Option<usize>,
    ) -> usize {
        let text_at = |i: usize| self.text.as_bytes().get(i - self.base).copied();
        let flow = matches!(text_at(start), Some(b'[' | b'{'));
        if flow && end_event.end > end_event.start {
            return end_event.end;
        }
        last_child.unwrap_or(end_event.start.max(start))
    }

    /// Applies YAML merge keys (`<<: *base`, `<<: [*a, *b]`): entries of the merged
    /// mappings that the mapping does not set itself. Kubernetes' YAML decoder
    /// honours them, so a Secret's data may arrive through one.
    fn merge_keys(
        &mut self,
        entries: Vec<(Node, Node)>,
        at: usize,
    ) -> Result<Vec<(Node, Node)>, ParseError> {
        let is_merge = |k: &Node| {
            k.as_scalar()
                .is_some_and(|s| s.text == "<<" && s.style == ScalarStyle::Plain)
        };
        if !entries.iter().any(|(k, _)| is_merge(k)) {
            return Ok(entries);
        }
        let (merges, mut own): (Vec<_>, Vec<_>) =
            entries.into_iter().partition(|(k, _)| is_merge(k));
        for (_, source) in merges {
            let sources: Vec<&Node> = match &source.value {
                Value::Map(_) => vec![&source],
                Value::Seq(items) => items.iter().collect(),
                Value::Scalar(_) => Vec::new(),
            };
            for map in sources {
                for (k, v) in map.as_map().unwrap_or_default() {
                    let key = k.as_scalar().map(|s| s.text.as_str());
                    let present = own
                        .iter()
                        .any(|(ok, _)| ok.as_scalar().map(|s| s.text.as_str()) == key);
                    if !present {
                        self.count(subtree_size(k) + subtree_size(v), at)?;
                        own.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        Ok(own)
    }

    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        if anchor != 0 {
            // The anchor keeps a copy of its node for later aliases, which costs
            // what an alias costs: uncounted, a document nesting anchored
            // collections (`&a [&b [&c [...]]]`) copies every level's subtree and
            // takes gigabytes without a single alias.
            self.count(subtree_size(&node), node.span.start)?;
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

fn subtree_size(node: &Node) -> usize {
    let mut n = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        n += 1;
        match &node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
    n
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `&a0 [&a1 [ ... [x, x, ...] ... ]]`: every level anchored, no alias.
    fn nested_anchors(depth: usize, width: usize) -> String {
        let mut text = String::from("x: ");
        for level in 0..depth {
            text.push_str(&format!("&a{level} ["));
        }
        text.push_str(&vec!["x"; width].join(","));
        text.push_str(&"]".repeat(depth));
        text.push('\n');
        text
    }

    #[test]
    fn anchored_copies_count_towards_the_document_cap() {
        // 200 levels over 20,000 scalars would copy four million nodes.
        let text = nested_anchors(200, 20_000);
        let err = parse_documents(&text, 0).err().expect("over the cap");
        assert!(
            err.message.contains("anchors and aliases"),
            "{}",
            err.message
        );
    }

    #[test]
    fn documents_of_a_file_share_one_budget() {
        // Each document expands to 111,111 nodes, a ninth of the per-document cap.
        let mut doc = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
        for level in 1..5 {
            let prev = format!("*a{}", level - 1);
            doc.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                vec![prev; 10].join(",")
            ));
        }
        // A smaller budget than a file's, to keep the test fast.
        let mut budget = Budget { left: 1_000_000 };
        let mut spent_after = None;
        for n in 0..100 {
            if let Err(err) = parse_documents_within(&doc, 0, &mut budget) {
                assert!(err.message.contains("rest of the file"), "{}", err.message);
                spent_after = Some(n);
                break;
            }
        }
        assert!(budget.is_spent());
        // With its anchors' copies each document builds 246,896 nodes, so a
        // million runs out in the fifth.
        assert_eq!(spent_after, Some(4));
        assert!(parse_documents_within("a: b\n", 0, &mut budget).is_err());
    }

    #[test]
    fn a_few_anchors_and_aliases_still_parse() {
        let text = nested_anchors(3, 10) + "y: *a1\nz: {<<: {k: *a2}}\n";
        let docs = parse_documents(&text, 0).expect("well under the cap");
        let root = docs[0].root.as_ref().expect("a root");
        assert_eq!(
            root.get("y").and_then(Node::as_seq).map(<[Node]>::len),
            Some(1)
        );
        assert!(root.at(&["z", "k"]).and_then(Node::as_seq).is_some());
    }
}
