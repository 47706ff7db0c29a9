//! A Kubernetes object seen through its node tree: kind, names, annotations, and
//! the objects a `kind: List` holds.

use super::node::Node;

/// Annotations that hold a copy of the whole object as it was last applied: for
/// a Secret, its values in the clear.
pub const LAST_APPLIED: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];

/// One Kubernetes object found in a document: the document's root, or an item of
/// a list (at any depth).
#[derive(Clone, Copy, Debug)]
pub struct Object<'n> {
    pub node: &'n Node,
    /// `apiVersion` and `kind` given by an enclosing list to items that omit
    /// them: the items of a `SecretList` are Secrets without saying so.
    implied_api_version: Option<&'n str>,
    implied_kind: Option<&'n str>,
    /// Whether the object is an item of a list rather than a whole document.
    pub in_list: bool,
}

impl<'n> Object<'n> {
    pub fn root(node: &'n Node) -> Self {
        Object {
            node,
            implied_api_version: None,
            implied_kind: None,
            in_list: false,
        }
    }

    pub fn api_version(&self) -> Option<&'n str> {
        self.node
            .get("apiVersion")
            .and_then(Node::as_str)
            .or(self.implied_api_version)
    }

    pub fn kind(&self) -> Option<&'n str> {
        self.node
            .get("kind")
            .and_then(Node::as_str)
            .or(self.implied_kind)
    }

    pub fn metadata(&self) -> Option<&'n Node> {
        self.node.get("metadata")
    }

    pub fn name(&self) -> Option<&'n str> {
        self.metadata()?.get("name")?.as_str()
    }

    pub fn namespace(&self) -> Option<&'n str> {
        self.metadata()?.get("namespace")?.as_str()
    }

    pub fn annotation(&self, key: &str) -> Option<&'n str> {
        self.metadata()?.get("annotations")?.get(key)?.as_str()
    }

    /// Where a finding about the whole object points: its `kind` key when it is
    /// written inside the object, else the object's first byte (the `kind` may
    /// come from a merge key or an alias written elsewhere).
    pub fn anchor(&self) -> usize {
        let span = &self.node.span;
        self.node
            .get_entry("kind")
            .map(|(k, _)| k.span.start)
            .filter(|start| span.contains(start))
            .unwrap_or(span.start)
    }

    /// Whether this is a core `v1` object of the given kind.
    pub fn is_core(&self, kind: &str) -> bool {
        self.kind() == Some(kind) && self.api_version() == Some("v1")
    }

    /// This object and, when it is a list, every object inside it.
    pub fn with_items(self) -> Vec<Object<'n>> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(object) = stack.pop() {
            out.push(object);
            // Lists nest rarely, but a hostile file could nest them deeply: items
            // are visited with an explicit stack, never by recursion.
            let Some(kind) = object.kind() else { continue };
            let Some(element_kind) = kind.strip_suffix("List") else {
                continue;
            };
            let Some(items) = object.node.get("items").and_then(Node::as_seq) else {
                continue;
            };
            let implied_kind = (!element_kind.is_empty()).then_some(element_kind);
            for item in items.iter().rev() {
                stack.push(Object {
                    node: item,
                    implied_api_version: object.api_version(),
                    implied_kind,
                    in_list: true,
                });
            }
        }
        out
    }
}
