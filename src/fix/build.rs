//! Building a SealedSecret from a Secret, the way kubeseal builds it.
//!
//! Top-level metadata carries only the name, the namespace and the scope
//! annotation. The template carries the Secret's metadata minus what must not
//! travel: the last-applied annotations (they hold the original Secret in the
//! clear), owner references, and fields the API server sets. `data` values are
//! sealed as their decoded bytes and `stringData` values as UTF-8, `stringData`
//! winning when a key is in both. Every value is sealed separately under the
//! scope's label.
//!
//! The object is returned as a `serde_json::Value` whose key order is the order
//! kubeseal writes: alphabetical for YAML, Go struct order for JSON.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::manifest::node::{Node, Value as NodeValue};
use crate::manifest::object::{LAST_APPLIED, Object};
use crate::rules::plaintext_secret::is_placeholder;
use crate::seal::cert::SealingKey;
use crate::seal::hybrid;
use crate::seal::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION, Scope};

pub const API_VERSION: &str = "bitnami.com/v1alpha1";
pub const KIND: &str = "SealedSecret";

/// Metadata fields of a Kubernetes object, in the order Go serialises them.
/// Fields outside this list are not part of `ObjectMeta` and are dropped, as
/// Kubernetes drops them when it decodes the Secret.
const OBJECT_META: [&str; 15] = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Fields the API server sets, which a template must not carry.
const SERVER_SET: [&str; 7] = [
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Which writer's key order to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// sigs.k8s.io/yaml: every mapping's keys sorted.
    Yaml,
    /// Go's encoding/json: struct fields in declaration order, map keys sorted.
    Json,
}

/// Where the scope and namespace come from when the Secret does not say.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    /// Scope when the Secret carries no scope annotation; `None` is strict.
    pub scope: Option<Scope>,
    /// `scope` was asked for explicitly (`seal --scope`): then a scope other than
    /// strict also replaces the Secret's own scope annotation, as kubeseal's
    /// `--scope` does. Strict never undoes an annotation, in kubeseal either.
    pub scope_given: bool,
    /// Namespace when the Secret names none (from its kustomization or config).
    pub namespace: Option<String>,
    /// Replaces the Secret's name (`seal --name`).
    pub name: Option<String>,
}

/// A Secret that cannot be sealed as it stands. Messages name keys, never values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the Secret has no metadata.name")]
    NoName,
    #[error(
        "the Secret has no namespace, and {scope} scope needs one: set metadata.namespace, list the \
         file in a kustomization with `namespace:`, or set `namespace` in .seal-guard.yaml"
    )]
    NoNamespace { scope: Scope },
    #[error("data.{key} is not valid base64")]
    BadBase64 { key: String },
    #[error("data.{key} is not a text value")]
    NotText { key: String },
    #[error(
        "{keys} hold template placeholders next to real values; seal the real values by hand \
         (`seal-guard seal --raw`) and keep the placeholders in the template"
    )]
    MixedPlaceholders { keys: String },
    #[error("the Secret has no data or stringData entries to seal")]
    NoData,
    #[error("sealing failed: {0}")]
    Seal(String),
}

/// A SealedSecret ready to write.
#[derive(Debug)]
pub struct Built {
    pub value: Value,
    pub name: String,
    pub namespace: Option<String>,
    pub scope: Scope,
    pub items: usize,
}

/// Seals `secret` for `key`.
pub fn build(
    secret: &Object<'_>,
    defaults: &Defaults,
    key: &SealingKey,
    order: Order,
) -> Result<Built, BuildError> {
    let name = defaults
        .name
        .clone()
        .or_else(|| secret.name().map(str::to_owned))
        .filter(|n| !n.is_empty())
        .ok_or(BuildError::NoName)?;
    let annotated = Scope::from_annotations(annotations(secret));
    // An annotation on the Secret decides over a configured default, which
    // applies only when there is none; an explicit `--scope` decides over both.
    // A scope that does not come from the annotations is written onto the
    // Secret, as kubeseal's `--scope` does.
    let (scope, add_annotation) = match defaults.scope {
        Some(scope)
            if scope != Scope::Strict && (annotated == Scope::Strict || defaults.scope_given) =>
        {
            (scope, true)
        }
        _ => (annotated, false),
    };
    let namespace = secret
        .namespace()
        .map(str::to_owned)
        .or_else(|| defaults.namespace.clone());
    let label = scope
        .label(namespace.as_deref(), Some(&name))
        .map_err(|_| BuildError::NoNamespace { scope })?;

    let values = plaintext_values(secret.node)?;
    if values.is_empty() {
        return Err(BuildError::NoData);
    }
    let mut encrypted = BTreeMap::new();
    for (item, plaintext) in &values {
        let sealed = hybrid::seal_base64(key, label.as_bytes(), plaintext)
            .map_err(|e| BuildError::Seal(e.to_string()))?;
        encrypted.insert(item.clone(), Value::String(sealed));
    }

    let mut template_meta = template_metadata(secret, &name, namespace.as_deref(), order);
    if add_annotation && let Some(annotation) = scope.annotation() {
        let annotations = template_meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = annotations {
            map.remove(NAMESPACE_WIDE_ANNOTATION);
            map.remove(CLUSTER_WIDE_ANNOTATION);
            map.insert(annotation.to_owned(), Value::String("true".to_owned()));
            // Go writes map keys sorted, in JSON as in YAML.
            map.sort_keys();
        }
    }
    let mut template = Map::new();
    template.insert("metadata".into(), Value::Object(template_meta));
    if let Some(kind) = secret
        .node
        .get("type")
        .and_then(Node::as_str)
        .filter(|t| !t.is_empty())
    {
        template.insert("type".into(), Value::String(kind.to_owned()));
    }
    if let Some(immutable) = secret
        .node
        .get("immutable")
        .and_then(|n| to_json(n).as_bool())
    {
        template.insert("immutable".into(), Value::Bool(immutable));
    }

    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(name.clone()));
    if let Some(ns) = &namespace {
        meta.insert("namespace".into(), Value::String(ns.clone()));
    }
    if let Some(annotation) = scope.annotation() {
        let mut annotations = Map::new();
        annotations.insert(annotation.to_owned(), Value::String("true".to_owned()));
        meta.insert("annotations".into(), Value::Object(annotations));
    }

    let mut spec = Map::new();
    spec.insert("template".into(), Value::Object(template));
    spec.insert(
        "encryptedData".into(),
        Value::Object(encrypted.into_iter().collect()),
    );

    let mut object = Map::new();
    object.insert("kind".into(), Value::String(KIND.to_owned()));
    object.insert("apiVersion".into(), Value::String(API_VERSION.to_owned()));
    object.insert("metadata".into(), Value::Object(meta));
    object.insert("spec".into(), Value::Object(spec));
    let mut value = Value::Object(object);
    if order == Order::Yaml {
        sort_keys(&mut value);
    }
    Ok(Built {
        value,
        name,
        namespace,
        scope,
        items: values.len(),
    })
}

/// The plaintext of every entry, by item key: `data` decoded from base64,
/// `stringData` as UTF-8, `stringData` winning on a duplicate key. Buffers are
/// zeroized when dropped.
pub fn plaintext_values(secret: &Node) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>, BuildError> {
    let mut values = BTreeMap::new();
    let mut placeholders = Vec::new();
    let mut real = false;
    for (field, decode) in [("data", true), ("stringData", false)] {
        let Some(entries) = secret.get(field).and_then(Node::as_map) else {
            continue;
        };
        for (key_node, value) in entries {
            let key = key_node
                .as_scalar()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            let text = match &value.value {
                NodeValue::Scalar(s) if s.is_null() => "",
                NodeValue::Scalar(s) => s.text.as_str(),
                _ => {
                    return Err(BuildError::NotText {
                        key: format!("{field}.{key}"),
                    });
                }
            };
            if is_placeholder(text) {
                placeholders.push(format!("{field}.{key}"));
                continue;
            }
            real = true;
            let bytes = if decode {
                decode_data(text).ok_or_else(|| BuildError::BadBase64 { key: key.clone() })?
            } else {
                Zeroizing::new(text.as_bytes().to_vec())
            };
            values.insert(key, bytes);
        }
    }
    if real && !placeholders.is_empty() {
        return Err(BuildError::MixedPlaceholders {
            keys: placeholders.join(", "),
        });
    }
    Ok(values)
}

/// Decodes a `data` value as Kubernetes does: standard alphabet, padded, line
/// breaks ignored.
fn decode_data(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect());
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
        .map(Zeroizing::new)
}

pub(crate) fn annotations<'n>(object: &Object<'n>) -> Vec<(&'n str, &'n str)> {
    object
        .metadata()
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v.as_str().unwrap_or(""))))
        .collect()
}

/// The template's metadata: the Secret's, minus what must not travel.
fn template_metadata(
    secret: &Object<'_>,
    name: &str,
    namespace: Option<&str>,
    order: Order,
) -> Map<String, Value> {
    let mut fields: BTreeMap<&str, Value> = BTreeMap::new();
    if let Some(entries) = secret.metadata().and_then(Node::as_map) {
        for (key, value) in entries {
            let Some(key) = key.as_str() else { continue };
            let Some(known) = OBJECT_META.iter().find(|k| **k == key) else {
                continue;
            };
            if SERVER_SET.contains(known) || *known == "ownerReferences" {
                continue;
            }
            fields.insert(known, to_json(value));
        }
    }
    fields.insert("name", Value::String(name.to_owned()));
    if let Some(ns) = namespace {
        fields.insert("namespace", Value::String(ns.to_owned()));
    }
    if let Some(Value::Object(annotations)) = fields.get_mut("annotations") {
        for key in LAST_APPLIED {
            annotations.remove(key);
        }
        if annotations.is_empty() {
            fields.remove("annotations");
        }
    }
    let mut meta = Map::new();
    match order {
        Order::Json => {
            for key in OBJECT_META {
                if let Some(value) = fields.remove(key) {
                    meta.insert(key.to_owned(), value);
                }
            }
        }
        Order::Yaml => meta.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v))),
    }
    meta
}

/// A node as JSON, typing plain scalars by YAML's core schema (null, booleans,
/// numbers); everything else is a string. Map keys are sorted, as Go writes maps.
pub fn to_json(node: &Node) -> Value {
    match &node.value {
        NodeValue::Scalar(s) => {
            if s.style != serde_saphyr::granit_parser::ScalarStyle::Plain
                || s.tag
                    .as_deref()
                    .is_some_and(|t| t.ends_with(":str") || t.ends_with("!str"))
            {
                return Value::String(s.text.clone());
            }
            match s.text.as_str() {
                "" | "~" | "null" | "Null" | "NULL" => Value::Null,
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                text => text
                    .parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| {
                        let looks_numeric = text
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                        looks_numeric
                            .then(|| text.parse::<f64>().ok())
                            .flatten()
                            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                    })
                    .unwrap_or_else(|| Value::String(text.to_owned())),
            }
        }
        NodeValue::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeValue::Map(entries) => {
            let sorted: BTreeMap<String, Value> = entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_scalar().map(|s| s.text.clone()).unwrap_or_default(),
                        to_json(v),
                    )
                })
                .collect();
            Value::Object(sorted.into_iter().collect())
        }
    }
}

fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, v) in &mut entries {
                sort_keys(v);
            }
            map.extend(entries);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}
