//! Every secret value the fixtures hold, found without seal-guard's own reader.
//!
//! The never-spill test searches every output for these values, so this module
//! must find them independently of the code under test: documents are read with
//! serde-saphyr's and serde_json's plain serde front ends (aliases and merge keys
//! resolved by the library), and documents that do not parse are searched line by
//! line. What counts as a value: every scalar under a `data` or `stringData`
//! mapping (of anything but a ConfigMap, whose data is not secret), the decoded
//! text of base64 `data` values, and the value half of every `literals` entry of a
//! kustomize `secretGenerator`. Values that are only template placeholders hold
//! nothing yet and are left out.
//!
//! Values shorter than [`MIN_LEN`] would match output by chance, so a fixture that
//! holds one is refused: the fixtures use long, distinctive values.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

/// The shortest value worth searching for.
pub const MIN_LEN: usize = 6;

/// A secret value and the fixture file that holds it. `Debug` hides the value,
/// so a failing assertion cannot print it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Secret {
    pub value: String,
    pub file: PathBuf,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Secret({} bytes from {})",
            self.value.len(),
            self.file.display()
        )
    }
}

/// Every secret value in every manifest-named file under `dir`.
pub fn collect_dir(dir: &Path) -> Vec<Secret> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable fixture folder") {
            let path = entry.expect("readable fixture entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.to_string_lossy().to_ascii_lowercase();
            let json = name.ends_with(".json");
            if !(json || name.ends_with(".yaml") || name.ends_with(".yml")) {
                continue;
            }
            let bytes = std::fs::read(&path).expect("readable fixture");
            for value in values_in(&super::decode_text(&bytes), json) {
                assert!(
                    value.chars().count() >= MIN_LEN,
                    "{} holds a secret value shorter than {MIN_LEN} characters; \
                     use a longer one so that the leak search means something",
                    path.display()
                );
                out.push(Secret {
                    value,
                    file: path.clone(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The secret values in one file's text.
pub fn values_in(text: &str, json: bool) -> Vec<String> {
    let mut out = Vec::new();
    if json {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let parsed: Result<Vec<Value>, _> = stream.collect();
        match parsed {
            Ok(values) => values.iter().for_each(|v| walk(v, &mut out)),
            Err(_) => scan_lines(text, &mut out),
        }
    } else {
        for chunk in yaml_chunks(text) {
            match serde_saphyr::from_multiple::<Value>(chunk) {
                Ok(docs) => docs.iter().for_each(|v| walk(v, &mut out)),
                Err(_) => scan_lines(chunk, &mut out),
            }
        }
    }
    out.retain(|v| !is_placeholder(v));
    out.sort();
    out.dedup();
    out
}

/// Cuts YAML text before every `---` marker line, so that one broken document
/// does not hide the values of the others.
fn yaml_chunks(text: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let marker = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']));
        if marker && offset > start {
            chunks.push(&text[start..offset]);
            start = offset;
        }
        offset += line.len();
    }
    chunks.push(&text[start..]);
    chunks
}

fn walk(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
        Value::Object(map) => {
            let config_map = map.get("kind").and_then(Value::as_str) == Some("ConfigMap");
            for (key, child) in map {
                match key.as_str() {
                    "data" | "stringData" if !config_map && child.is_object() => {
                        scalars(child, key == "data", out);
                    }
                    "secretGenerator" => literals(child, out),
                    _ => walk(child, out),
                }
            }
        }
        _ => {}
    }
}

/// Every scalar under `value`; `base64` also adds what they decode to.
fn scalars(value: &Value, base64: bool, out: &mut Vec<String>) {
    match value {
        Value::String(s) => push(s, base64, out),
        Value::Array(items) => items.iter().for_each(|v| scalars(v, base64, out)),
        Value::Object(map) => map.values().for_each(|v| scalars(v, base64, out)),
        Value::Number(n) => push(&n.to_string(), false, out),
        Value::Bool(_) | Value::Null => {}
    }
}

fn literals(generators: &Value, out: &mut Vec<String>) {
    for generator in generators.as_array().into_iter().flatten() {
        let list = generator.get("literals").and_then(Value::as_array);
        for literal in list.into_iter().flatten().filter_map(Value::as_str) {
            if let Some((_, value)) = literal.split_once('=') {
                push(value, false, out);
            }
        }
    }
}

fn push(value: &str, base64: bool, out: &mut Vec<String>) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    out.push(value.to_owned());
    if base64 {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some(text) = decoded.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            out.push(text.to_owned());
        }
    }
}

/// [`push`] for text found by [`scan_lines`], which skips what is structure
/// rather than a value: an unclosed collection, a block scalar's indicator, an
/// anchor or an alias.
fn push_scanned(value: &str, base64: bool, out: &mut Vec<String>) {
    if !value.starts_with(['[', '{', '|', '>', '&', '*']) {
        push(value, base64, out);
    }
}

/// The values of a document that does not parse, found line by line: pairs
/// inside a `data:` or `stringData:` block (YAML, or JSON written one pair per
/// line) or flow mapping, and `key=value` list items under `literals:`.
fn scan_lines(text: &str, out: &mut Vec<String>) {
    // The indentation of the key whose block we are in, and whether it is `data`.
    let mut block: Option<(usize, bool, bool)> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if let Some((key_indent, base64, literal_list)) = block {
            if content.is_empty() || indent > key_indent {
                if literal_list {
                    let item = content.trim_start_matches('-').trim();
                    if let Some((_, value)) = unquote(item).split_once('=') {
                        push_scanned(value, false, out);
                    }
                } else if let Some((_, value)) = content.split_once(':') {
                    push_scanned(unquote(value), base64, out);
                }
                continue;
            }
            block = None;
        }
        for (key, base64) in [("stringData", false), ("data", true), ("literals", false)] {
            let Some(rest) = after_key(content, key) else {
                continue;
            };
            let rest = rest.trim();
            if let Some(flow) = rest.strip_prefix('{').or_else(|| rest.strip_prefix('[')) {
                for pair in flow.split(',') {
                    if key == "literals" {
                        if let Some((_, value)) = unquote(pair).split_once('=') {
                            push_scanned(unquote(value), false, out);
                        }
                    } else if let Some((_, value)) = pair.split_once(':') {
                        push_scanned(unquote(value), base64, out);
                    }
                }
            }
            if rest.is_empty() || rest == "{" || rest == "[" {
                block = Some((indent, base64, key == "literals"));
            }
        }
    }
}

/// The text after `key:` when `key` (bare or quoted) starts a key in `line`.
fn after_key<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let mut from = 0;
    while let Some(at) = line[from..].find(key).map(|i| from + i) {
        let before = line[..at].chars().next_back();
        let starts_key = matches!(before, None | Some(' ' | '{' | ',' | '"' | '\''));
        let rest = line[at + key.len()..].trim_start_matches(['"', '\'']);
        if starts_key && rest.starts_with(':') {
            return Some(&rest[1..]);
        }
        from = at + key.len();
    }
    None
}

/// A scalar without quotes and the punctuation that ends a flow or JSON pair
/// (a `}` that closes a placeholder such as `${VAR}` stays).
fn unquote(text: &str) -> &str {
    let mut text = text.trim().trim_end_matches(',').trim_end();
    while let Some(inner) = text.strip_suffix(['}', ']']) {
        let unbalanced = |open, close| text.matches(open).count() < text.matches(close).count();
        if !(unbalanced('{', '}') || unbalanced('[', ']')) {
            break;
        }
        text = inner.trim_end();
    }
    text.trim_matches(['"', '\''])
}

/// Whether a value is only `{{ ... }}` and `${...}` placeholders and blanks.
fn is_placeholder(value: &str) -> bool {
    let mut rest = value.trim();
    while !rest.is_empty() {
        let end = if rest.starts_with("{{") {
            rest.find("}}").map(|i| i + 2)
        } else if rest.starts_with("${") {
            rest.find('}').map(|i| i + 1)
        } else {
            None
        };
        let Some(end) = end else { return false };
        rest = rest[end..].trim_start();
    }
    true
}
