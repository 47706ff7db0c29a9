//! The rules: pure functions from a parsed document (and settings) to findings.
//!
//! Every rule has a stable kebab-case id, a default severity and a one-line
//! description; `seal-guard rules` lists them. Ids are part of the output contract:
//! CI configurations, SARIF consumers and allowances refer to them, so an id is
//! never renamed.

pub mod kustomize_secret_literal;
pub mod plaintext_secret;
pub mod sealed;
pub mod sealed_bad_value;
pub mod sealed_key_mismatch;
pub mod sealed_malformed;
pub mod sealed_plaintext_leak;
pub mod sealed_scope_mismatch;
pub mod sealed_undecryptable;

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::manifest::object::Object;
use crate::manifest::text::LineIndex;

/// What a rule may know about the file it judges.
pub struct Context<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub lines: &'a LineIndex,
    pub facts: &'a Facts<'a>,
}

/// What the engine learned about a file from outside it, for the rules that
/// need it. Rules never read files or git themselves.
pub struct Facts<'a> {
    /// Modulus size, in bytes, of the sealing certificate configured for the
    /// file's path, if there is one.
    pub cert_modulus_bytes: Option<usize>,
    /// The namespace a kustomization listing the file gives it; asked only when
    /// an object has no namespace of its own.
    pub kustomize_namespace: &'a (dyn Fn() -> Option<String> + Sync + 'a),
}

impl Facts<'static> {
    /// Nothing known: no certificate, no kustomization.
    pub fn none() -> Facts<'static> {
        Facts {
            cert_modulus_bytes: None,
            kustomize_namespace: &|| None,
        }
    }
}

impl<'a> Context<'a> {
    /// A context for code that only makes findings (fix, reseal): no facts
    /// from outside the file.
    pub fn without_facts(path: &'a str, text: &'a str, lines: &'a LineIndex) -> Self {
        Context {
            path,
            text,
            lines,
            facts: &NO_FACTS,
        }
    }
}

static NO_FACTS: Facts<'static> = Facts {
    cert_modulus_bytes: None,
    kustomize_namespace: &no_namespace,
};

fn no_namespace() -> Option<String> {
    None
}

impl Context<'_> {
    /// A finding of `rule` pointing at byte `offset` of the text; its snippet
    /// label covers the word there (a key, usually).
    pub fn finding(&self, rule: Rule, offset: usize, message: String) -> Finding {
        let (line, column) = self.lines.position(self.text, offset);
        let rest = &self.text.as_bytes()[offset.min(self.text.len())..];
        let len = rest
            .iter()
            .position(|b| matches!(b, b':' | b'\r' | b'\n' | b' ' | b'\t' | b',' | b'}' | b']'))
            .unwrap_or(rest.len())
            .max(1)
            .min(rest.len());
        let mut finding = Finding::new(rule, self.path, line, column, message);
        finding.span = Some(offset..offset + len);
        finding
    }
}

/// Runs every document-level rule on one object.
pub fn judge_object(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    plaintext_secret::check(object, cx, out);
    kustomize_secret_literal::check(object, cx, out);
    sealed_malformed::check(object, cx, out);
    sealed_bad_value::check(object, cx, out);
    sealed_key_mismatch::check(object, cx, out);
    sealed_scope_mismatch::check(object, cx, out);
    sealed_plaintext_leak::check(object, cx, out);
}

/// Every rule the tool knows, in the order `seal-guard rules` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    PlaintextSecret,
    KustomizeSecretLiteral,
    ParseError,
    FileSkipped,
    UnsealableSecret,
    SealedMalformed,
    SealedBadValue,
    SealedKeyMismatch,
    SealedScopeMismatch,
    SealedPlaintextLeak,
    SealedUndecryptable,
    SecretInHistory,
    InternalError,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::PlaintextSecret,
        Rule::KustomizeSecretLiteral,
        Rule::ParseError,
        Rule::FileSkipped,
        Rule::UnsealableSecret,
        Rule::SealedMalformed,
        Rule::SealedBadValue,
        Rule::SealedKeyMismatch,
        Rule::SealedScopeMismatch,
        Rule::SealedPlaintextLeak,
        Rule::SealedUndecryptable,
        Rule::SecretInHistory,
        Rule::InternalError,
    ];

    /// The stable id used in every output format and in allowances.
    pub fn id(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "plaintext-secret",
            Rule::KustomizeSecretLiteral => "kustomize-secret-literal",
            Rule::ParseError => "parse-error",
            Rule::FileSkipped => "file-skipped",
            Rule::UnsealableSecret => "unsealable-secret",
            Rule::SealedMalformed => "sealed-malformed",
            Rule::SealedBadValue => "sealed-bad-value",
            Rule::SealedKeyMismatch => "sealed-key-mismatch",
            Rule::SealedScopeMismatch => "sealed-scope-mismatch",
            Rule::SealedPlaintextLeak => "sealed-plaintext-leak",
            Rule::SealedUndecryptable => "sealed-undecryptable",
            Rule::SecretInHistory => "secret-in-history",
            Rule::InternalError => "internal-error",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// One line for `seal-guard rules`, SARIF's `shortDescription` and the README.
    pub fn description(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => {
                "A v1 Secret with data or stringData entries is committed in the clear."
            }
            Rule::KustomizeSecretLiteral => {
                "A kustomization's secretGenerator holds plaintext literals."
            }
            Rule::ParseError => "A file that looks like a manifest does not parse.",
            Rule::FileSkipped => {
                "A file was not judged (too large, not a regular file, unreadable)."
            }
            Rule::UnsealableSecret => {
                "A plaintext Secret cannot be sealed as it stands (no namespace, bad base64)."
            }
            Rule::SealedMalformed => {
                "A SealedSecret's structure is not what the controller accepts."
            }
            Rule::SealedBadValue => {
                "A sealed value is not valid padded base64 of a well-formed encrypted blob."
            }
            Rule::SealedKeyMismatch => {
                "A sealed value was made for a key of another size than the configured certificate."
            }
            Rule::SealedScopeMismatch => {
                "A SealedSecret's scope, name or namespace disagree, so the controller cannot open it."
            }
            Rule::SealedPlaintextLeak => "A SealedSecret's template carries plaintext.",
            Rule::SealedUndecryptable => "No private key opens a sealed value under its label.",
            Rule::SecretInHistory => "A plaintext Secret was committed in the past.",
            Rule::InternalError => "The tool failed while judging a file.",
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Rule::FileSkipped => Severity::Warning,
            // A literal `template.data` value is a warning, a last-applied annotation
            // an error: the rule sets the severity per finding.
            Rule::SealedPlaintextLeak => Severity::Error,
            _ => Severity::Error,
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::manifest::{self, Format};

    /// Every finding the document rules report on a YAML text.
    pub(crate) fn judge_yaml(path: &str, text: &str) -> Vec<Finding> {
        let file = manifest::parse(text.as_bytes(), Format::Yaml).expect("UTF-8");
        assert!(file.broken.is_empty(), "test input must parse");
        let lines = LineIndex::new(&file.text);
        let facts = Facts::none();
        let cx = Context {
            path,
            text: &file.text,
            lines: &lines,
            facts: &facts,
        };
        let mut out = Vec::new();
        for doc in &file.documents {
            for object in Object::root(&doc.root).with_items() {
                judge_object(&object, &cx, &mut out);
            }
        }
        out
    }

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
            assert_eq!(Rule::from_id(id), Some(rule));
            assert!(rule.description().ends_with('.'), "{id}");
        }
        assert_eq!(Rule::from_id("no-such-rule"), None);
    }
}
