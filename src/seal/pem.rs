//! Finding PEM blocks in arbitrary bytes, the way Go's `encoding/pem` does.
//!
//! For: locating `-----BEGIN <label>-----` … `-----END <label>-----` blocks anywhere in a
//! file (text before, between and after them is ignored) and decoding their bodies. The
//! certificate and key loaders decide which labels they want.
//!
//! Not for: parsing what a block holds (that is `cert` and `keys`), or producing PEM.
//!
//! Why not a strict RFC 7468 parser: kubeseal and the controller read certificates and
//! keys with Go's lenient decoder, which accepts any line length, CRLF line ends and
//! stray whitespace in the body. A file the real tools read must load here too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// One complete PEM block.
#[derive(Clone, Copy)]
pub(crate) struct Block<'a> {
    /// The text between `BEGIN ` and the closing dashes, e.g. `CERTIFICATE`.
    pub(crate) label: &'a str,
    /// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, …) precede the body. client-go skips
    /// certificates with headers, and a key with them is encrypted.
    pub(crate) has_headers: bool,
    /// The base64 body, headers removed, line breaks still in.
    body: &'a [u8],
}

// Deliberately not derived: a block may hold a private key.
impl std::fmt::Debug for Block<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("label", &self.label)
            .field("has_headers", &self.has_headers)
            .finish_non_exhaustive()
    }
}

/// The body of a block is not base64. Carries no part of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadBase64;

impl Block<'_> {
    /// The DER bytes of the block. Zeroized on drop because the block may be a key.
    pub(crate) fn decode(&self) -> Result<Zeroizing<Vec<u8>>, BadBase64> {
        // Go removes spaces and tabs, and its base64 decoder skips CR and LF.
        let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
            self.body
                .iter()
                .copied()
                .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .collect(),
        );
        STANDARD
            .decode(&*compact)
            .map(Zeroizing::new)
            .map_err(|_| BadBase64)
    }
}

/// Every complete PEM block in `input`, in order. A `BEGIN` line without its matching
/// `END` line is skipped, as Go does.
pub(crate) fn blocks(input: &[u8]) -> impl Iterator<Item = Block<'_>> {
    let mut rest = input;
    std::iter::from_fn(move || {
        loop {
            let (label, after_begin) = next_begin(rest)?;
            match find_end(after_begin, label) {
                Some((body, after_end)) => {
                    rest = after_end;
                    let (has_headers, body) = split_headers(body);
                    return Some(Block {
                        label,
                        has_headers,
                        body,
                    });
                }
                None => rest = after_begin,
            }
        }
    })
}

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

/// The label of the next `BEGIN` line that starts a line, and the bytes after that line.
fn next_begin(input: &[u8]) -> Option<(&str, &[u8])> {
    let mut lines = Lines(input);
    while let Some((line, rest)) = lines.next_line() {
        let Some(label) = line.strip_prefix(BEGIN) else {
            continue;
        };
        let Some(label) = trim_end(label).strip_suffix(DASHES) else {
            continue;
        };
        if let Ok(label) = std::str::from_utf8(label) {
            return Some((label, rest));
        }
    }
    None
}

/// The bytes up to the `END <label>` line, and the bytes after it.
fn find_end<'a>(input: &'a [u8], label: &str) -> Option<(&'a [u8], &'a [u8])> {
    let mut lines = Lines(input);
    let mut body_len = 0;
    while let Some((line, rest)) = lines.next_line() {
        let closing = line
            .strip_prefix(END)
            .and_then(|l| trim_end(l).strip_suffix(DASHES));
        if closing == Some(label.as_bytes()) {
            return Some((&input[..body_len], rest));
        }
        body_len = input.len() - rest.len();
    }
    None
}

/// Separates RFC 1421 headers (`Key: value` lines up to a blank line) from the body.
fn split_headers(body: &[u8]) -> (bool, &[u8]) {
    let mut lines = Lines(body);
    let Some((first, _)) = lines.next_line() else {
        return (false, body);
    };
    // A base64 line never holds a colon.
    if !first.contains(&b':') {
        return (false, body);
    }
    let mut lines = Lines(body);
    while let Some((line, rest)) = lines.next_line() {
        if trim_end(line).is_empty() {
            return (true, rest);
        }
    }
    (true, &[])
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Lines without their `\n`, each with the bytes that follow it.
struct Lines<'a>(&'a [u8]);

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        if self.0.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.0) {
            Some(i) => (&self.0[..i], &self.0[i + 1..]),
            None => (self.0, &[][..]),
        };
        self.0 = rest;
        Some((line, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(input: &[u8]) -> Vec<&str> {
        blocks(input).map(|b| b.label).collect()
    }

    #[test]
    fn finds_blocks_between_other_text() {
        let input = b"intro\n-----BEGIN A-----\nAQID\n-----END A-----\nmiddle\n\
                      -----BEGIN B-----\r\nBAUG\r\n-----END B-----\r\n";
        assert_eq!(labels(input), ["A", "B"]);
        let decoded: Vec<Vec<u8>> = blocks(input)
            .map(|b| b.decode().unwrap().to_vec())
            .collect();
        assert_eq!(decoded, [vec![1, 2, 3], vec![4, 5, 6]]);
    }

    #[test]
    fn accepts_long_lines_and_inner_whitespace_like_go() {
        let input = b"-----BEGIN X-----\nAQID BAUG\tBwgJ\n-----END X-----";
        let block = blocks(input).next().unwrap();
        assert_eq!(*block.decode().unwrap(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn skips_a_begin_without_its_end() {
        let input =
            b"-----BEGIN A-----\nAQID\n-----END B-----\n-----BEGIN C-----\nAQID\n-----END C-----\n";
        assert_eq!(labels(input), ["C"]);
    }

    #[test]
    fn ignores_begin_that_does_not_start_a_line() {
        let input = b"  -----BEGIN A-----\nAQID\n-----END A-----\n";
        assert!(labels(input).is_empty());
    }

    #[test]
    fn separates_headers_from_the_body() {
        let input = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                      DEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n";
        let block = blocks(input).next().unwrap();
        assert!(block.has_headers);
        assert_eq!(*block.decode().unwrap(), [1, 2, 3]);
    }

    #[test]
    fn reports_a_body_that_is_not_base64() {
        let input = b"-----BEGIN A-----\n!!!!\n-----END A-----\n";
        assert_eq!(blocks(input).next().unwrap().decode(), Err(BadBase64));
    }

    #[test]
    fn debug_does_not_show_the_body() {
        let input = b"-----BEGIN A-----\nc2VjcmV0\n-----END A-----\n";
        let shown = format!("{:?}", blocks(input).next().unwrap());
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}
