//! `--format github`: GitHub Actions workflow commands, which the runner turns
//! into annotations on the changed lines of a pull request.

use std::io::{self, Write};

use super::Report;
use super::escape::escape_for_terminal;
use crate::finding::Severity;

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            property(&f.path),
            f.line,
            f.column,
            property(&format!("seal-guard {}", f.rule.id())),
            data(&message),
        )?;
    }
    Ok(())
}

/// Escapes a workflow command's message, which ends at the line's end.
fn data(text: &str) -> String {
    let encoded = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape_for_terminal(&encoded)
}

/// Escapes a workflow command property, which also ends at `,` and `:`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_end_the_command() {
        assert_eq!(property("a,b:c%\nd"), "a%2Cb%3Ac%25%0Ad");
        assert_eq!(data("x: y\r\n"), "x: y%0D%0A");
    }
}
