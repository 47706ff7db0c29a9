//! Cutting a file into the documents it holds, before any parsing.
//!
//! YAML documents are separated by marker lines, and YAML 1.2 forbids a line that
//! starts with `---` or `...` (followed by a blank or the line end) anywhere inside
//! content, block scalars and quoted scalars included. So a line scan finds every
//! boundary without parsing, which lets the scanner parse only the documents that
//! can matter and report a broken document without losing its neighbours.
//!
//! JSON files may hold several concatenated values; serde_json's stream reader
//! finds where each one ends.

use std::ops::Range;

use serde::de::IgnoredAny;

/// Splits YAML text into chunks, each holding at most one document (a chunk may
/// also hold an empty document that precedes it). Chunks cover the text without
/// gaps, so every byte belongs to exactly one chunk.
pub fn yaml_chunks(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut chunk_start = 0;
    // Whether the current chunk has anything besides blank lines, comments,
    // directives and markers: a `---` that follows only such lines starts the
    // chunk's own document rather than a new one.
    let mut has_content = false;
    let mut line_start = 0;
    while line_start < bytes.len() {
        let line_end =
            memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |i| line_start + i + 1);
        let line = &bytes[line_start..line_end];
        if is_marker(line, b"---") {
            if has_content {
                chunks.push(chunk_start..line_start);
                chunk_start = line_start;
            }
            // Content may follow the marker on its own line (`--- {a: 1}`).
            has_content = !rest_is_blank(&line[3..]);
        } else if line[0] == b'%' && has_content {
            // A directive after content can only open the next document (it
            // follows a `...` end marker): it starts that document's chunk.
            chunks.push(chunk_start..line_start);
            chunk_start = line_start;
            has_content = false;
        } else if !has_content && !is_marker(line, b"...") {
            let trimmed = trim_start(line);
            has_content = !(trimmed.is_empty() || trimmed[0] == b'#' || line[0] == b'%');
        }
        line_start = line_end;
    }
    if chunk_start < bytes.len() || chunks.is_empty() {
        chunks.push(chunk_start..bytes.len());
    }
    chunks
}

fn is_marker(line: &[u8], marker: &[u8]) -> bool {
    line.starts_with(marker)
        && line
            .get(3)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn rest_is_blank(rest: &[u8]) -> bool {
    let rest = trim_start(rest);
    rest.is_empty() || rest[0] == b'#'
}

fn trim_start(line: &[u8]) -> &[u8] {
    let n = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &line[n..]
}

/// A JSON syntax error: where, and the parser's words (which quote no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: String,
}

/// The byte range of every top-level JSON value in `text`, up to the first
/// syntax error, and that error if there is one: values before a broken one are
/// still there to judge.
pub fn json_values(text: &str) -> (Vec<Range<usize>>, Option<JsonError>) {
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
    let mut end = 0;
    while let Some(next) = stream.next() {
        if let Err(e) = next {
            let offset = offset_of(text, e.line(), e.column());
            let message = e.to_string();
            // serde_json appends " at line L column C"; the finding carries those.
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            return (values, Some(JsonError { offset, message }));
        }
        let start = end + text[end..].len() - text[end..].trim_start().len();
        end = stream.byte_offset();
        values.push(start..end);
    }
    (values, None)
}

/// Byte offset of a 1-based line and column (in bytes, as serde_json counts).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    (line_start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        yaml_chunks(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn splits_at_document_markers_and_keeps_every_byte() {
        let text = "# head\n---\na: 1\n---\nb: 2\n...\n--- {c: 3}\n";
        assert_eq!(
            pieces(text),
            ["# head\n---\na: 1\n", "---\nb: 2\n...\n", "--- {c: 3}\n"]
        );
        let total: usize = pieces(text).iter().map(|p| p.len()).sum();
        assert_eq!(total, text.len());
    }

    #[test]
    fn directives_and_comments_stay_with_their_document() {
        let text = "%YAML 1.2\n---\na: 1\n# about b\n---\nb: 2\n";
        assert_eq!(
            pieces(text),
            ["%YAML 1.2\n---\na: 1\n# about b\n", "---\nb: 2\n"]
        );
    }

    #[test]
    fn dashes_that_are_not_markers_do_not_split() {
        let text = "a: |\n  ----\n  --- indented\nb: ---x\n----\n";
        assert_eq!(pieces(text), [text]);
    }

    #[test]
    fn crlf_markers_split() {
        let text = "a: 1\r\n---\r\nb: 2\r\n";
        assert_eq!(pieces(text), ["a: 1\r\n", "---\r\nb: 2\r\n"]);
    }

    #[test]
    fn a_directive_after_an_end_marker_opens_the_next_chunk() {
        let text = "a: 1\n...\n%YAML 1.2\n---\nb: 2\n";
        assert_eq!(pieces(text), ["a: 1\n...\n", "%YAML 1.2\n---\nb: 2\n"]);
    }

    #[test]
    fn empty_text_is_one_empty_chunk() {
        assert_eq!(yaml_chunks(""), vec![0..0]);
    }

    #[test]
    fn concatenated_json_values() {
        let text = "{\"a\": 1}\n  {\"b\": [2]}{}\n";
        let (values, error) = json_values(text);
        assert_eq!(error, None);
        let got: Vec<&str> = values.into_iter().map(|r| &text[r]).collect();
        assert_eq!(got, ["{\"a\": 1}", "{\"b\": [2]}", "{}"]);
    }

    #[test]
    fn json_error_has_a_position_and_no_content() {
        let text = "{\"a\": 1}\n{\"password\": hunter2}";
        let (values, err) = json_values(text);
        assert_eq!(values, vec![0..8]);
        let err = err.unwrap();
        assert_eq!(&text[err.offset..err.offset + 1], "h");
        assert!(!err.message.contains("hunter2"), "{}", err.message);
    }
}
