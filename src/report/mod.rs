//! Printing findings. This is the only module that writes to stdout.
//!
//! Every format prints the same sorted findings; none prints a secret value,
//! because findings never hold one and snippets are cut from masked text.

mod escape;
mod github;
mod human;
mod json;
mod sarif;

use std::collections::HashMap;
use std::io::{self, Write};

use crate::finding::{Finding, Severity};
use crate::manifest::mask::Masked;
use crate::rules::sealed_undecryptable::Verified;

pub use escape::{escape_for_terminal, mask_control_chars};

/// The output formats of `check` and `fix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Diagnostics with source snippets, for people.
    Human,
    /// One JSON object, for programs.
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub and others).
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

/// Everything a run has to say.
#[derive(Debug, Default)]
pub struct Report {
    /// Sorted by path, then position.
    pub findings: Vec<Finding>,
    /// How many findings allowances covered.
    pub allowed: usize,
    /// How many files were judged.
    pub files: usize,
    /// Masked file texts by path, for snippets (human format only).
    pub snippet_sources: HashMap<String, Masked>,
    /// Sealed values that a private key opened, sorted like findings.
    pub verified: Vec<Verified>,
}

impl Report {
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether the run found anything that fails it.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Output options beyond the format.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: usize,
}

/// Writes the report to stdout in `format`.
///
/// A reader that stops reading (`seal-guard check | head -1`) is not a failure:
/// the report is cut short, and the exit code still says what was found.
pub fn print(report: &Report, format: OutputFormat, style: Style) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = write(&mut out, report, format, style).and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn write(
    out: &mut dyn Write,
    report: &Report,
    format: OutputFormat,
    style: Style,
) -> io::Result<()> {
    match format {
        OutputFormat::Human => human::write(out, report, style),
        OutputFormat::Json => json::write(out, report),
        OutputFormat::Sarif => sarif::write(out, report),
        OutputFormat::Github => github::write(out, report),
    }
}

/// Writes a line to stdout (for commands whose output is not a report, such as
/// `rules` or `seal`).
pub fn stdout_line(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")
}

/// Writes a notice for the person running the tool to stderr (what `fix` did),
/// escaped for the terminal.
pub fn notice(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", escape_for_terminal(line));
}

/// Writes bytes to stdout as they are.
pub fn stdout_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}
