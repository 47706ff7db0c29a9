//! What the SealedSecret rules share: recognising a SealedSecret and walking its
//! sealed items.

use crate::manifest::node::Node;
use crate::manifest::object::Object;
use crate::seal::scope::Scope;

pub const API_VERSION: &str = "bitnami.com/v1alpha1";

/// Whether an object is (or claims to be) a SealedSecret.
pub fn is_sealed(object: &Object<'_>) -> bool {
    object.kind() == Some("SealedSecret")
}

/// One sealed value: an `encryptedData` item, or the legacy single `spec.data` blob.
pub struct Item<'n> {
    /// `encryptedData.<key>`, or `data` for the legacy blob.
    pub name: String,
    /// Where findings about the item point: its key.
    pub key: &'n Node,
    pub value: &'n Node,
}

/// The sealed items of a SealedSecret, in file order.
pub fn items<'n>(object: &Object<'n>) -> Vec<Item<'n>> {
    let mut out = Vec::new();
    let Some(spec) = object.node.get("spec") else {
        return out;
    };
    if let Some(entries) = spec.get("encryptedData").and_then(Node::as_map) {
        for (key, value) in entries {
            let name = key.as_scalar().map_or_else(String::new, |s| s.text.clone());
            out.push(Item {
                name: format!("encryptedData.{name}"),
                key,
                value,
            });
        }
    }
    if let Some((key, value)) = spec.get_entry("data")
        && !value.as_scalar().is_some_and(|s| s.is_null())
    {
        out.push(Item {
            name: "data".to_owned(),
            key,
            value,
        });
    }
    out
}

/// Whether an item's value reaches the controller as a string. A plain scalar that
/// Kubernetes' YAML decoder reads as null, a boolean or a number is not one, and
/// neither is a collection: the controller drops such items.
pub fn is_string(value: &Node) -> bool {
    value.as_scalar().is_some_and(|s| {
        s.style != serde_saphyr::granit_parser::ScalarStyle::Plain || !looks_typed(&s.text)
    })
}

/// Whether a plain scalar would be read as something other than a string.
fn looks_typed(text: &str) -> bool {
    matches!(
        text,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || text.parse::<f64>().is_ok()
}

/// The scope stated by a metadata node's annotations, if it states one.
pub fn stated_scope(metadata: Option<&Node>) -> Option<Scope> {
    let annotations = metadata?.get("annotations")?.as_map()?;
    let pairs: Vec<(&str, &str)> = annotations
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
        .collect();
    let states = pairs.iter().any(|(k, v)| {
        *v == "true"
            && matches!(
                *k,
                crate::seal::scope::NAMESPACE_WIDE_ANNOTATION
                    | crate::seal::scope::CLUSTER_WIDE_ANNOTATION
            )
    });
    states.then(|| Scope::from_annotations(pairs))
}

/// The scope the controller will use: from the top-level annotations only.
pub fn scope(object: &Object<'_>) -> Scope {
    stated_scope(object.metadata()).unwrap_or(Scope::Strict)
}
