//! The namespace a kustomization gives the files it lists.
//!
//! A Secret without `metadata.namespace` gets one when `kustomize build` renders
//! it: the `namespace:` of the kustomization that lists the file under
//! `resources:`, or of a kustomization further up that lists that folder. The
//! label a value is sealed under must use that namespace, or the controller
//! cannot open it.

use std::path::{Component, Path, PathBuf};

use crate::manifest::node::{Node, parse_documents};

const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How far up nested kustomizations are followed.
const MAX_DEPTH: usize = 16;

/// The namespace a kustomization between `path`'s folder and `stop` assigns to
/// `path` (a file or folder), if any.
pub fn namespace_for(path: &Path, stop: &Path) -> Option<String> {
    namespace_at(path, stop, 0)
}

fn namespace_at(target: &Path, stop: &Path, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut dir = target.parent()?;
    loop {
        if let Some(kustomization) = load(dir)
            && kustomization.lists(dir, target)
        {
            return kustomization
                .namespace
                .or_else(|| namespace_at(dir, stop, depth + 1));
        }
        if dir == stop || !dir.starts_with(stop) {
            return None;
        }
        dir = dir.parent()?;
    }
}

struct Kustomization {
    namespace: Option<String>,
    resources: Vec<String>,
}

impl Kustomization {
    fn lists(&self, dir: &Path, target: &Path) -> bool {
        self.resources
            .iter()
            .any(|r| normalize(&dir.join(r)) == normalize(target))
    }
}

fn load(dir: &Path) -> Option<Kustomization> {
    let path = FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(path).ok()?;
    let root = parse_documents(&text, 0)
        .ok()?
        .into_iter()
        .find_map(|d| d.root)?;
    let strings = |key: &str| -> Vec<String> {
        root.get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect()
    };
    let mut resources = strings("resources");
    // Older kustomizations list files under `bases`; both are rendered alike.
    resources.extend(strings("bases"));
    Some(Kustomization {
        namespace: root
            .get("namespace")
            .and_then(Node::as_str)
            .map(str::to_owned),
        resources,
    })
}

/// `..` and `.` resolved lexically (the files are not required to exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn direct_and_nested_kustomizations() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("apps/db");
        fs::create_dir_all(&base).unwrap();
        fs::write(base.join("secret.yaml"), "").unwrap();
        fs::write(base.join("other.yaml"), "").unwrap();
        fs::write(
            base.join("kustomization.yaml"),
            "resources:\n- ./secret.yaml\n",
        )
        .unwrap();
        fs::write(
            root.path().join("apps/kustomization.yaml"),
            "namespace: prod\nresources: [db]\n",
        )
        .unwrap();
        assert_eq!(
            namespace_for(&base.join("secret.yaml"), root.path()).as_deref(),
            Some("prod")
        );
        assert_eq!(namespace_for(&base.join("other.yaml"), root.path()), None);

        fs::write(
            base.join("kustomization.yaml"),
            "namespace: db\nresources: [secret.yaml]\n",
        )
        .unwrap();
        assert_eq!(
            namespace_for(&base.join("secret.yaml"), root.path()).as_deref(),
            Some("db")
        );
    }
}
