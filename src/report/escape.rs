//! Making repository text safe for a terminal.
//!
//! File names and YAML come from whoever wrote the repository. Control
//! characters could move the cursor or rewrite earlier lines of a CI log, and
//! bidirectional overrides or zero-width characters could make a finding read as
//! something else (the "Trojan Source" trick). Such characters are shown escaped.

/// Whether a character must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `text` with unsafe characters written as `\u{..}` escapes, line breaks
/// included: one message or path must not be able to write lines of its own.
/// For messages and paths, where length does not matter.
pub fn escape_for_terminal(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `text` with each unsafe character replaced by as many `?` as it has bytes, so
/// byte offsets into it stay valid. For snippet sources. A lone `\r` that ends a
/// line is kept: it is half of a CRLF line end.
pub fn mask_control_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if is_unsafe(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_bidi_and_zero_width() {
        assert_eq!(escape_for_terminal("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            escape_for_terminal("x\u{202E}y\u{200B}"),
            "x\\u{202e}y\\u{200b}"
        );
        assert_eq!(escape_for_terminal("plain/path.yaml"), "plain/path.yaml");
        assert_eq!(escape_for_terminal("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn masking_keeps_byte_offsets_and_crlf() {
        let text = "a\u{202E}b\r\nc\u{7}";
        let masked = mask_control_chars(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "a???b\r\nc?");
    }
}
