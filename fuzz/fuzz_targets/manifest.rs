//! One file's bytes, as YAML and as JSON: splitting, parsing, masking, the
//! rules (through `engine::judge`, as the walker calls it) and every output
//! format. Fails on any panic (judge turns one into an `internal-error`
//! finding, which fails too), on a value of `data` or `stringData` that the
//! masked copy still shows where the value was, and on output a terminal would
//! act on.

#![cfg_attr(fuzzing, no_main)]

use seal_guard::commands::check::merge;
use seal_guard::config::Config;
use seal_guard::engine::{self, Judge};
use seal_guard::manifest::node::Node;
use seal_guard::manifest::object::Object;
use seal_guard::manifest::{self, Format, mask};
use seal_guard::report::{self, OutputFormat, Report, Style};
use seal_guard::rules::Rule;
use seal_guard::source::{Origin, SourceFile};
use seal_guard_fuzz::assert_terminal_safe;

seal_guard_fuzz::target!(|data| {
    for (path, format) in [("in.yaml", Format::Yaml), ("in.json", Format::Json)] {
        check_masking(data, format);
        check_judged(data, path);
    }
});

/// Every byte range the reader hands out lies in the text, and the masked copy
/// shows no value of `data` or `stringData` where the value was.
fn check_masking(data: &[u8], format: Format) {
    let Ok(file) = manifest::parse(data, format) else {
        return;
    };
    let text: &str = &file.text;
    for broken in &file.broken {
        assert!(broken.chunk.end <= text.len() && broken.error.offset <= text.len());
    }
    let masked = mask::masked_text(&file);
    assert!(masked.text.len() <= text.len(), "masking only shortens");
    for doc in &file.documents {
        assert!(doc.chunk.end <= text.len());
        doc.root.for_each_scalar(&mut |s| {
            assert!(s.span.start <= s.span.end && s.span.end <= text.len());
        });
        for object in Object::root(&doc.root).with_items() {
            for field in ["data", "stringData"] {
                let Some(entries) = object.node.get(field).and_then(Node::as_map) else {
                    continue;
                };
                for (_, value) in entries {
                    value.for_each_scalar(&mut |s| {
                        let raw = &text[s.span.clone()];
                        // A value that reads like a mask marker would match it.
                        let marker_like =
                            raw.bytes().all(|b| b == b'*') || "<sealed>".starts_with(raw);
                        if raw.trim().is_empty() || marker_like {
                            return;
                        }
                        let at = masked.offset(s.span.start);
                        assert!(
                            !masked.text.as_bytes()[at..].starts_with(raw.as_bytes()),
                            "a {field} value at {:?} is not masked",
                            s.span
                        );
                    });
                }
            }
        }
    }
}

/// Judging never fails inside, and every format prints what it found.
fn check_judged(data: &[u8], path: &str) {
    let file = SourceFile {
        path: path.to_owned(),
        disk_path: None,
        bytes: data.to_vec(),
        origin: Origin::Disk,
    };
    let config = Config::empty();
    let judged = engine::judge(&file, &Judge::plain(&config, true));
    for finding in &judged.findings {
        assert_ne!(finding.rule, Rule::InternalError, "judge panicked");
        assert!(finding.line >= 1 && finding.column >= 1);
    }
    let mut report = Report {
        files: 1,
        ..Report::default()
    };
    merge(&mut report, path.to_owned(), judged);
    report.sort();
    let style = Style {
        color: false,
        width: 80,
    };
    for format in [
        OutputFormat::Human,
        OutputFormat::Github,
        OutputFormat::Json,
        OutputFormat::Sarif,
    ] {
        let mut out = Vec::new();
        report::write(&mut out, &report, format, style).expect("printing to memory");
        match format {
            OutputFormat::Human | OutputFormat::Github => {
                assert_terminal_safe(&format!("{format:?}"), &out);
            }
            OutputFormat::Json | OutputFormat::Sarif => {
                serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
            }
        }
    }
}
