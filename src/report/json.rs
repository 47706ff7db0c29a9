//! `--format json`: one object, `{"version": 1, "findings": [...], "summary": {...}}`.
//!
//! The shape is a contract with other tools: fields are added, never renamed.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::Report;
use crate::finding::{Finding, Severity};

pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let document = json!({
        "version": 1,
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "summary": {
            "files": report.files,
            "findings": report.findings.len(),
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "notes": report.count(Severity::Note),
            "fixable": report.findings.iter().filter(|f| f.fixable).count(),
            "allowed": report.allowed,
            "verified": report.verified.len(),
        },
        "verified": report.verified.iter().map(|v| json!({
            "path": v.path,
            "line": v.line,
            "kind": "SealedSecret",
            "name": v.name,
            "namespace": v.namespace,
            "item": v.item,
            "key": v.key,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn finding(f: &Finding) -> Value {
    let mut map = Map::new();
    map.insert("rule".into(), f.rule.id().into());
    map.insert("severity".into(), f.severity.as_str().into());
    map.insert("path".into(), f.path.clone().into());
    map.insert("line".into(), f.line.into());
    map.insert("column".into(), f.column.into());
    map.insert("message".into(), f.message.clone().into());
    if let Some(help) = &f.help {
        map.insert("help".into(), help.clone().into());
    }
    map.insert("fixable".into(), f.fixable.into());
    if let Some(object) = &f.object {
        map.insert("kind".into(), object.kind.clone().into());
        map.insert("name".into(), object.name.clone().into());
        map.insert("namespace".into(), object.namespace.clone().into());
    }
    for (key, value) in &f.extra {
        map.insert((*key).into(), value.clone());
    }
    Value::Object(map)
}
