//! The rules: pure functions from a parsed document (and settings) to findings.
//!
//! Every rule has a stable kebab-case id, a default severity and a one-line
//! description; `seal-guard rules` lists them. Ids are part of the output contract:
//! CI configurations, SARIF consumers and allowances refer to them, so an id is
//! never renamed.

use serde::Serialize;

use crate::finding::Severity;

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
mod tests {
    use super::*;

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
