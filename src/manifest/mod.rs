//! Turning a file's bytes into documents that keep their byte ranges.
//!
//! Most files in a repository cannot hold a Secret, so the work is ordered by
//! cost: the extension decides whether a file is a manifest at all, a byte search
//! for the words a finding needs rejects most of the rest, and only the documents
//! (not files) that contain those words are parsed.

pub mod mask;
pub mod node;
pub mod object;
pub mod split;
pub mod text;

use std::borrow::Cow;
use std::ops::Range;

use memchr::memmem;

use node::{Node, ParseError};

/// How a file's documents are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format of a path by its extension, or `None` for files that are not
    /// manifests.
    pub fn of_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1;
        if ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml") {
            Some(Format::Yaml)
        } else if ext.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// Words without which a document can hold nothing any rule reports. A Secret,
/// a SecretList, a SealedSecret all say `Secret`; a kustomization's generator
/// says `secretGenerator`. A double-quoted escape (`\x53ecret`) could spell them
/// otherwise, so text with escapes is parsed too.
const NEEDLES: [&str; 2] = ["Secret", "secretGenerator"];

fn mentions_needle(text: &[u8]) -> bool {
    NEEDLES
        .iter()
        .any(|n| memmem::find(text, n.as_bytes()).is_some())
        || has_escape(text)
}

/// Whether the text has a `\x`, `\u` or `\U` escape, which in a double-quoted
/// YAML or JSON string could spell any word.
fn has_escape(text: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', text).any(|i| matches!(text.get(i + 1), Some(b'x' | b'u' | b'U')))
}

/// The parsed manifest at `path`, when its name says it is one, its bytes may
/// hold something a rule looks at, and it decodes. For rewriting files, which
/// has nothing to do with files that are not manifests or do not decode.
pub fn parse_if_manifest<'b>(path: &str, bytes: &'b [u8]) -> Option<ManifestFile<'b>> {
    let format = Format::of_path(path)?;
    if !is_candidate(bytes) {
        return None;
    }
    parse(bytes, format).ok()
}

/// Whether a YAML document plainly declares a kind that no rule looks at, so it
/// need not be parsed. Most documents that mention `Secret` are not Secrets (a
/// Deployment's `secretKeyRef`, a ConfigMap's prose); this lets the scanner skip
/// them without parsing.
///
/// The answer is only "yes" when it cannot be wrong: the document is a block
/// mapping whose every top-level line starts with a plain key, exactly one of
/// them is `kind:`, and its value is a plain word that is neither a Secret kind,
/// a list nor a kustomization. Anything unusual (flow style, quoted or complex
/// keys, merge keys, anchors, tags, escapes, a second `kind`) means "parse it".
fn declares_other_kind(text: &str) -> bool {
    if has_escape(text.as_bytes()) {
        return false;
    }
    let mut kind = None;
    for line in text.lines() {
        let first = line.as_bytes().first().copied();
        match first {
            // Blank, indented (inside some value), or a comment.
            None | Some(b' ' | b'\t' | b'#' | b'\r') => continue,
            Some(b'-' | b'.') if line.starts_with("---") || line.starts_with("...") => {
                if line.len() > 3
                    && !line[3..].trim().is_empty()
                    && !line[3..].trim_start().starts_with('#')
                {
                    return false;
                }
                continue;
            }
            Some(b'%') => continue,
            Some(c) if c.is_ascii_alphanumeric() || c == b'_' => {}
            Some(_) => return false,
        }
        let Some((key, value)) = line.split_once(':') else {
            return false;
        };
        if key
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')))
        {
            return false;
        }
        if key == "kind" {
            if kind.is_some() {
                return false;
            }
            kind = Some(value);
        }
    }
    let Some(value) = kind else { return false };
    let value = value.split(" #").next().unwrap_or(value).trim();
    !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
        && !value.contains("Secret")
        && !value.ends_with("List")
        && !matches!(value, "Kustomization" | "Component")
}

/// Whether a file with these bytes may hold anything a rule reports. Cheap: a
/// byte search, no decoding.
pub fn is_candidate(bytes: &[u8]) -> bool {
    mentions_needle(bytes) || is_utf16(bytes)
}

fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// A document of a file: where it is, and its tree if it was parsed.
pub struct Document {
    /// The chunk of the file holding the document (see [`split::yaml_chunks`]).
    pub chunk: Range<usize>,
    pub root: Node,
}

/// A document that did not parse.
pub struct Broken {
    pub chunk: Range<usize>,
    pub error: ParseError,
}

/// A manifest file, decoded and parsed as far as the rules need.
pub struct ManifestFile<'b> {
    pub format: Format,
    /// The file's text. Offsets in documents and errors index into it.
    pub text: Cow<'b, str>,
    /// Bytes at the start of the file that are not text (a UTF-8 byte order mark).
    pub bom: usize,
    /// Whether the text was decoded from UTF-16, so offsets do not map to bytes on
    /// disk and the file cannot be rewritten in place.
    pub transcoded: bool,
    pub documents: Vec<Document>,
    pub broken: Vec<Broken>,
}

/// Why a file could not be read as text at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub message: String,
}

/// Decodes and parses `bytes` as a manifest file, skipping documents that cannot
/// matter. Documents that fail to parse are returned as [`Broken`], except those
/// written in Helm/Go template syntax, which are templates rather than manifests
/// and are dropped.
pub fn parse(bytes: &[u8], format: Format) -> Result<ManifestFile<'_>, DecodeError> {
    let (text, bom, transcoded) = decode(bytes)?;
    let mut file = ManifestFile {
        format,
        text,
        bom,
        transcoded,
        documents: Vec::new(),
        broken: Vec::new(),
    };
    let text: &str = &file.text;
    let chunks = match format {
        Format::Yaml => split::yaml_chunks(text),
        Format::Json => {
            let (values, error) = split::json_values(text);
            if let Some(e) = error
                && !is_template(text)
            {
                let start = values.last().map_or(0, |v| v.end);
                let error = ParseError {
                    offset: e.offset,
                    message: e.message,
                };
                file.broken.push(Broken {
                    chunk: start..text.len(),
                    error,
                });
            }
            values
        }
    };
    let mut documents = Vec::new();
    let mut broken = Vec::new();
    let mut budget = node::Budget::for_file(text.len());
    for chunk in chunks {
        let chunk_text = &text[chunk.clone()];
        if !mentions_needle(chunk_text.as_bytes()) || declares_other_kind(chunk_text) {
            continue;
        }
        match node::parse_documents_within(chunk_text, chunk.start, &mut budget) {
            Ok(parsed) => {
                documents.extend(
                    parsed
                        .into_iter()
                        .filter_map(|d| d.root)
                        .map(|root| Document {
                            chunk: chunk.clone(),
                            root,
                        }),
                )
            }
            // The file cost all it may: the rest of it is one broken piece, so
            // that it is reported once and masked whole.
            Err(error) if budget.is_spent() => {
                broken.push(Broken {
                    chunk: chunk.start..text.len(),
                    error,
                });
                break;
            }
            Err(_) if is_template(chunk_text) => {}
            Err(error) => broken.push(Broken { chunk, error }),
        }
    }
    file.documents = documents;
    file.broken.extend(broken);
    Ok(file)
}

/// Whether text that failed to parse is a Helm/Go template rather than a broken
/// manifest.
fn is_template(text: &str) -> bool {
    text.contains("{{")
}

fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, usize, bool), DecodeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, 3).map(|t| (Cow::Borrowed(t), 3, false));
    }
    if is_utf16(bytes) {
        let big_endian = bytes[0] == 0xFE;
        let units = bytes[2..].chunks(2).map(|pair| match pair {
            [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
            [a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        return Ok((Cow::Owned(text), 0, true));
    }
    utf8(bytes, 0).map(|t| (Cow::Borrowed(t), 0, false))
}

fn utf8(bytes: &[u8], base: usize) -> Result<&str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|e| DecodeError {
        offset: base + e.valid_up_to(),
        message: "the file is not valid UTF-8".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_other_kinds_are_skipped() {
        assert!(declares_other_kind(
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  note: \"kind: Secret\"\n"
        ));
        assert!(declares_other_kind(
            "---\napiVersion: apps/v1\nkind: Deployment # app\nspec:\n  x: secretKeyRef\n"
        ));
    }

    #[test]
    fn a_file_of_many_alias_bombs_stops_at_its_budget() {
        // Each document stays under the per-document cap (about 247,000 nodes
        // with its anchors' copies), but 500 of them would build 123 million.
        let mut doc = String::from("---\nkind: Secret\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
        for level in 1..5 {
            let prev = format!("*a{}", level - 1);
            doc.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                vec![prev; 10].join(",")
            ));
        }
        let text = doc.repeat(500);
        let file = parse(text.as_bytes(), Format::Yaml).unwrap();
        assert_eq!(file.broken.len(), 1);
        let broken = &file.broken[0];
        assert_eq!(broken.chunk.end, text.len());
        assert!(broken.error.message.contains("rest of the file"));
        assert!(file.documents.len() < 30, "{}", file.documents.len());
    }

    #[test]
    fn anything_unusual_is_parsed() {
        for text in [
            "apiVersion: v1\nkind: Secret\n",
            "kind: SealedSecret\n",
            "kind: List\nitems: []\n",
            "kind: SecretList\n",
            "kind: ConfigMap\nkind: Secret\n",
            "\"kind\": Secret\nkind: ConfigMap\n",
            "kind: ConfigMap\n<<: {kind: Secret}\n",
            "{kind: Secret}\n",
            "  kind: Secret\n",
            "kind: \"Con\\x66igMap\"\n",
            "kind: Kustomization\nsecretGenerator: []\n",
            "kind: !!str ConfigMap\n",
            "kind: &k ConfigMap\n",
            "? kind\n: Secret\nkind: ConfigMap\n",
            "--- {kind: Secret}\nkind: ConfigMap\n",
            "data: {}\n",
        ] {
            assert!(!declares_other_kind(text), "{text}");
        }
    }
}
