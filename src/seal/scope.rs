//! Sealing scopes: where a sealed value may be unsealed, and the OAEP label that
//! enforces it.
//!
//! For: reading the scope from an object's annotations, writing it back, and turning
//! (scope, namespace, name) into the label bytes that `hybrid` binds into every value.
//!
//! Not for: deciding which namespace an object without `metadata.namespace` will land in.
//! That depends on how it is applied (kubectl context, kustomize, Argo CD), so callers
//! pass it in; this module never falls back to `default`, because a label built from a
//! guessed namespace seals a value the controller will refuse to open.

use std::fmt;
use std::str::FromStr;

/// The annotation that makes a Secret or SealedSecret namespace-wide.
pub const NAMESPACE_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/namespace-wide";
/// The annotation that makes a Secret or SealedSecret cluster-wide.
pub const CLUSTER_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/cluster-wide";

/// How tightly a sealed value is bound to the object that holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Bound to one name in one namespace; kubeseal's default.
    #[default]
    Strict,
    /// Bound to a namespace; the object may be renamed.
    NamespaceWide,
    /// Bound to nothing: any SealedSecret anywhere in the cluster may carry it.
    ClusterWide,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    /// The name kubeseal's `--scope` flag takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }

    /// The scope an object's annotations select, as the controller reads them: only the
    /// exact value `"true"` counts, and cluster-wide wins when both are set.
    pub fn from_annotations<I, K, V>(annotations: I) -> Scope
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut scope = Scope::Strict;
        for (key, value) in annotations {
            if value.as_ref() != "true" {
                continue;
            }
            match key.as_ref() {
                CLUSTER_WIDE_ANNOTATION => return Scope::ClusterWide,
                NAMESPACE_WIDE_ANNOTATION => scope = Scope::NamespaceWide,
                _ => {}
            }
        }
        scope
    }

    /// The annotation that selects this scope (set to `"true"`); strict has none.
    pub fn annotation(self) -> Option<&'static str> {
        match self {
            Scope::Strict => None,
            Scope::NamespaceWide => Some(NAMESPACE_WIDE_ANNOTATION),
            Scope::ClusterWide => Some(CLUSTER_WIDE_ANNOTATION),
        }
    }

    /// The OAEP label for a value sealed in this scope: `"<namespace>/<name>"`,
    /// `"<namespace>"` or empty. An empty namespace or name counts as missing, as it
    /// does for the controller.
    pub fn label(self, namespace: Option<&str>, name: Option<&str>) -> Result<String, LabelError> {
        fn present(part: Option<&str>) -> Option<&str> {
            part.filter(|s| !s.is_empty())
        }
        match self {
            Scope::ClusterWide => Ok(String::new()),
            Scope::NamespaceWide => present(namespace)
                .map(str::to_owned)
                .ok_or(LabelError::MissingNamespace { scope: self }),
            Scope::Strict => {
                let namespace =
                    present(namespace).ok_or(LabelError::MissingNamespace { scope: self })?;
                let name = present(name).ok_or(LabelError::MissingName)?;
                Ok(format!("{namespace}/{name}"))
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = ParseScopeError;

    fn from_str(s: &str) -> Result<Scope, ParseScopeError> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| ParseScopeError {
                input: s.to_owned(),
            })
    }
}

/// A scope name that is not one of `strict`, `namespace-wide`, `cluster-wide`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {input:?}: expected strict, namespace-wide or cluster-wide")]
pub struct ParseScopeError {
    input: String,
}

/// The label of a scope needs a part the object does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("{scope} scope needs a namespace, and none is set or given")]
    MissingNamespace { scope: Scope },
    #[error("strict scope needs a name, and the object has none")]
    MissingName,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
            assert_eq!(scope.to_string(), scope.as_str());
        }
    }

    #[test]
    fn parse_rejects_other_spellings() {
        for input in ["", "Strict", "namespace_wide", "cluster", " strict"] {
            let err = input.parse::<Scope>().unwrap_err();
            assert!(err.to_string().contains("expected strict"), "{err}");
        }
    }

    #[test]
    fn no_annotation_is_strict() {
        assert_eq!(
            Scope::from_annotations(BTreeMap::<String, String>::new()),
            Scope::Strict
        );
    }

    #[test]
    fn annotations_select_the_scope() {
        let ns = [(NAMESPACE_WIDE_ANNOTATION, "true")];
        assert_eq!(Scope::from_annotations(ns), Scope::NamespaceWide);
        let cluster = [(CLUSTER_WIDE_ANNOTATION, "true")];
        assert_eq!(Scope::from_annotations(cluster), Scope::ClusterWide);
    }

    #[test]
    fn cluster_wide_wins_in_either_order() {
        let both = [
            (NAMESPACE_WIDE_ANNOTATION, "true"),
            (CLUSTER_WIDE_ANNOTATION, "true"),
        ];
        assert_eq!(Scope::from_annotations(both), Scope::ClusterWide);
        let reversed = [
            (CLUSTER_WIDE_ANNOTATION, "true"),
            (NAMESPACE_WIDE_ANNOTATION, "true"),
        ];
        assert_eq!(Scope::from_annotations(reversed), Scope::ClusterWide);
    }

    #[test]
    fn only_the_exact_string_true_counts() {
        for value in ["True", "TRUE", "yes", "1", "true ", ""] {
            let annotations = [
                (CLUSTER_WIDE_ANNOTATION, value),
                (NAMESPACE_WIDE_ANNOTATION, value),
            ];
            assert_eq!(
                Scope::from_annotations(annotations),
                Scope::Strict,
                "{value:?}"
            );
        }
    }

    #[test]
    fn works_with_a_map_of_owned_strings() {
        let map = BTreeMap::from([(NAMESPACE_WIDE_ANNOTATION.to_owned(), "true".to_owned())]);
        assert_eq!(Scope::from_annotations(&map), Scope::NamespaceWide);
    }

    #[test]
    fn annotation_round_trips_through_from_annotations() {
        for scope in Scope::ALL {
            let written: Vec<(&str, &str)> = scope
                .annotation()
                .map(|k| (k, "true"))
                .into_iter()
                .collect();
            assert_eq!(Scope::from_annotations(written), scope);
        }
    }

    #[test]
    fn labels_match_the_controller() {
        let (ns, name) = (Some("prod"), Some("basic-auth"));
        assert_eq!(Scope::Strict.label(ns, name).unwrap(), "prod/basic-auth");
        assert_eq!(Scope::NamespaceWide.label(ns, name).unwrap(), "prod");
        assert_eq!(Scope::ClusterWide.label(ns, name).unwrap(), "");
        assert_eq!(Scope::ClusterWide.label(None, None).unwrap(), "");
    }

    #[test]
    fn strict_needs_a_namespace_and_a_name() {
        assert_eq!(
            Scope::Strict.label(None, Some("a")),
            Err(LabelError::MissingNamespace {
                scope: Scope::Strict
            })
        );
        assert_eq!(
            Scope::Strict.label(Some(""), Some("a")),
            Err(LabelError::MissingNamespace {
                scope: Scope::Strict
            })
        );
        assert_eq!(
            Scope::Strict.label(Some("ns"), None),
            Err(LabelError::MissingName)
        );
        assert_eq!(
            Scope::Strict.label(Some("ns"), Some("")),
            Err(LabelError::MissingName)
        );
    }

    #[test]
    fn namespace_wide_needs_a_namespace_not_a_name() {
        assert_eq!(Scope::NamespaceWide.label(Some("ns"), None).unwrap(), "ns");
        let err = Scope::NamespaceWide.label(None, Some("a")).unwrap_err();
        assert_eq!(
            err,
            LabelError::MissingNamespace {
                scope: Scope::NamespaceWide
            }
        );
        assert_eq!(
            err.to_string(),
            "namespace-wide scope needs a namespace, and none is set or given"
        );
    }
}
