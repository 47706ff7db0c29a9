//! `--format human`: miette diagnostics with a snippet of the (masked) file.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::escape::{escape_for_terminal, mask_control_chars};
use super::{Report, Style};
use crate::finding::{Finding, Severity};

/// How many findings of one file are shown with a snippet.
const SNIPPETS_PER_FILE: usize = 50;

pub fn write(out: &mut dyn Write, report: &Report, style: Style) -> io::Result<()> {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_context_lines(1);
    // Each file's snippet text is made safe for the terminal once, not once per
    // finding: a file with thousands of findings would otherwise be copied and
    // scanned thousands of times.
    let safe_sources: std::collections::HashMap<&str, Arc<str>> = report
        .snippet_sources
        .iter()
        .map(|(path, masked)| (path.as_str(), Arc::from(mask_control_chars(&masked.text))))
        .collect();
    let mut shown_per_file: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    for finding in &report.findings {
        // Rendering a snippet scans its file from the start, so a file with
        // thousands of findings gets snippets for the first few only; the rest
        // are listed with their positions.
        let count = shown_per_file.entry(finding.path.as_str()).or_default();
        *count += 1;
        let source = finding
            .span
            .as_ref()
            .filter(|_| *count <= SNIPPETS_PER_FILE)
            .and_then(|_| report.snippet_sources.get(&finding.path));
        let shown = Shown {
            finding,
            message: escape_for_terminal(&finding.message),
            help: finding.help.as_deref().map(escape_for_terminal),
            // The label's span is in file offsets; the snippet is the masked copy.
            span: source.zip(finding.span.as_ref()).map(|(masked, span)| {
                let start = masked.offset(span.start);
                start..masked.offset(span.end).max(start)
            }),
            source: safe_sources
                .get(finding.path.as_str())
                .filter(|_| source.is_some())
                .map(|text| NamedSource::new(escape_for_terminal(&finding.path), Arc::clone(text))),
        };
        let mut rendered = String::new();
        handler
            .render_report(&mut rendered, &shown)
            .map_err(|_| io::Error::other("cannot render a diagnostic"))?;
        if shown.source.is_none() {
            // Without a snippet, the location goes on the first line.
            writeln!(
                out,
                "{}:{}:{}:",
                escape_for_terminal(&finding.path),
                finding.line,
                finding.column
            )?;
        }
        out.write_all(rendered.as_bytes())?;
    }
    writeln!(out, "{}", summary(report))
}

fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    for (severity, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Note, "note"),
    ] {
        let n = report.count(severity);
        if n > 0 {
            parts.push(plural(n, word));
        }
    }
    let files = plural(report.files, "file");
    let mut allowed = if report.allowed > 0 {
        format!(", {} allowed", report.allowed)
    } else {
        String::new()
    };
    if !report.verified.is_empty() {
        allowed.push_str(&format!(
            ", {} sealed values verified",
            report.verified.len()
        ));
    }
    if parts.is_empty() {
        format!("seal-guard: no findings in {files} checked{allowed}")
    } else {
        let fixable = report.findings.iter().filter(|f| f.fixable).count();
        let fix = if fixable > 0 {
            format!("; {fixable} fixable with `seal-guard fix`")
        } else {
            String::new()
        };
        format!(
            "seal-guard: {} in {files} checked{allowed}{fix}",
            parts.join(", ")
        )
    }
}

/// A finding as miette sees it.
struct Shown<'a> {
    finding: &'a Finding,
    message: String,
    help: Option<String>,
    span: Option<std::ops::Range<usize>>,
    source: Option<NamedSource<Arc<str>>>,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shown")
            .field("rule", &self.finding.rule)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule.id()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let span = self.span.clone()?;
        let label = LabeledSpan::new(
            Some(self.finding.rule.id().to_owned()),
            span.start,
            span.len(),
        );
        Some(Box::new(std::iter::once(label)))
    }
}
