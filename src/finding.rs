//! Findings: what the rules report about a file, as plain data.
//!
//! A finding is never an error of the tool: a broken manifest, a plaintext Secret or
//! an undecryptable SealedSecret are all findings. Only failures of the tool itself
//! (bad flags, unreadable config, I/O errors on a root) are `Err`s.
//!
//! A finding must never carry a secret value: messages name keys, objects and
//! positions, never what a key holds.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use crate::rules::Rule;

/// How serious a finding is. Only `Error` findings make `check` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The Kubernetes object a finding is about, when there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One thing a rule found in one file.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// Path relative to the scan root or repository root, `/`-separated.
    pub path: String,
    /// 1-based line and column (in characters) of the offending spot.
    pub line: u32,
    pub column: u32,
    /// Byte range in the file to underline in a snippet. `None` when the snippet
    /// could show something it must not (a line of a file that does not parse).
    pub span: Option<Range<usize>>,
    pub message: String,
    /// How to resolve it, one sentence.
    pub help: Option<String>,
    pub fixable: bool,
    pub object: Option<ObjectRef>,
    /// Rule-specific fields for machine-readable output (commit ids, key
    /// fingerprints, ...). Never a secret value.
    pub extra: BTreeMap<&'static str, serde_json::Value>,
}

impl Finding {
    /// A finding with the rule's default severity and nothing optional set.
    pub fn new(
        rule: Rule,
        path: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            severity: rule.default_severity(),
            path: path.into(),
            line,
            column,
            span: None,
            message: message.into(),
            help: None,
            fixable: false,
            object: None,
            extra: BTreeMap::new(),
        }
    }

    /// The order in which findings are reported: by path (bytes), then position.
    pub fn sort_key(&self) -> (&[u8], u32, u32, &'static str) {
        (self.path.as_bytes(), self.line, self.column, self.rule.id())
    }
}
