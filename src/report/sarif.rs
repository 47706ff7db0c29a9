//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other tools read it.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::Report;
use crate::finding::{Finding, Severity};
use crate::rules::Rule;

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id(),
                "name": rule.id(),
                "shortDescription": { "text": rule.description() },
                "fullDescription": { "text": rule.description() },
                "help": { "text": format!("{} Run `seal-guard rules` for the list of rules.", rule.description()) },
                "defaultConfiguration": { "level": level(rule.default_severity()) },
                "properties": { "tags": ["security", "kubernetes", "secrets"] },
            })
        })
        .collect();
    let results: Vec<Value> = report.findings.iter().map(result).collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "seal-guard",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The scanned root or repository root." } } },
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(f: &Finding) -> Value {
    let rule_index = Rule::ALL
        .iter()
        .position(|r| *r == f.rule)
        .unwrap_or_default();
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str(". Help: ");
        text.push_str(help);
    }
    // Stable across edits that move the object: the rule, the file and the
    // object's identity, never a line number or a value.
    let identity = f.object.as_ref().map_or_else(String::new, |o| {
        format!(
            "{}/{}/{}",
            o.kind,
            o.namespace.as_deref().unwrap_or(""),
            o.name.as_deref().unwrap_or("")
        )
    });
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&f.path), "uriBaseId": "%SRCROOT%" },
                "region": { "startLine": f.line, "startColumn": f.column },
            }
        }],
        "partialFingerprints": { "sealGuardObject/v1": format!("{}:{}:{}", f.rule.id(), f.path, identity) },
    })
}

/// A relative path as a URI reference: reserved and non-ASCII bytes are
/// percent-encoded, `/` separators kept.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_encode_reserved_bytes() {
        assert_eq!(super::uri("a b/ç#.yaml"), "a%20b/%C3%A7%23.yaml");
    }
}
