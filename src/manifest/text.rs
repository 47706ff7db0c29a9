//! Positions in a file's text: byte offsets to 1-based lines and columns.

/// Maps byte offsets to lines and columns. Lines end at `\n`; a `\r` before it
/// belongs to the line's end, so CRLF files count lines as LF files do.
pub struct LineIndex {
    starts: Vec<usize>,
    /// How many characters come before every multiple of [`STRIDE`] bytes. A
    /// column is counted from the nearest of these, not from its line's start:
    /// on a line of megabytes (a flow-style List of thousands of Secrets) every
    /// finding would otherwise count the line again.
    chars_before: Vec<usize>,
}

/// Bytes between two entries of [`LineIndex::chars_before`].
const STRIDE: usize = 4096;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        let mut chars_before = Vec::with_capacity(bytes.len() / STRIDE + 2);
        let mut total = 0;
        for stride in bytes.chunks(STRIDE) {
            chars_before.push(total);
            total += char_starts(stride);
        }
        chars_before.push(total);
        LineIndex {
            starts,
            chars_before,
        }
    }

    /// 1-based line and 1-based column counted in characters. `text` is the
    /// text the index was made from.
    pub fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self.chars_to(text, offset) - self.chars_to(text, start);
        (to_u32(line + 1), to_u32(column + 1))
    }

    /// How many characters start before byte `offset`.
    fn chars_to(&self, text: &str, offset: usize) -> usize {
        let stride = offset / STRIDE;
        match self.chars_before.get(stride) {
            Some(before) => before + char_starts(&text.as_bytes()[stride * STRIDE..offset]),
            // Not the indexed text (a caller's mistake): count from the start.
            None => char_starts(&text.as_bytes()[..offset]),
        }
    }

    /// The 1-based line number of the line holding `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// The characters that start in `bytes`: every byte but UTF-8 continuation
/// bytes. Any byte range can be counted, whether or not it cuts a character.
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "ab\r\nçd: x\n\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), (1, 1));
        assert_eq!(index.position(text, 4), (2, 1));
        // 'ç' is two bytes and one character.
        assert_eq!(index.position(text, 6), (2, 2));
        assert_eq!(index.position(text, 11), (3, 1));
        assert_eq!(index.position(text, 12), (4, 1));
        assert_eq!(index.position(text, 99), (4, 2));
    }

    #[test]
    fn columns_on_a_line_longer_than_the_stride_count_characters() {
        // One line of 3-byte, 2-byte and 1-byte characters across many strides.
        let text = "x\n".to_owned() + &"€é-".repeat(3 * STRIDE) + "\nlast";
        let index = LineIndex::new(&text);
        for (offset, _) in text.char_indices().step_by(997) {
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let line = text[..offset].matches('\n').count() + 1;
            let column = text[start..offset].chars().count() + 1;
            assert_eq!(
                index.position(&text, offset),
                (to_u32(line), to_u32(column))
            );
        }
        assert_eq!(index.position(&text, text.len()), (3, 5));
    }
}
