//! The `seal` module against real kubeseal output sealed with real controller keys
//! (`../shared/vectors`, see its README): every value opens under its strict label with
//! the key from the vector's key Secret and under no other label, the fingerprints are
//! those the controller would log, and the published certificates load despite their
//! encipherOnly KeyUsage.
//!
//! Plaintexts are compared, never printed: a failure names the file and the item.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::hybrid::{self, Layout, OpenError};
use seal_guard::seal::keys::KeyRing;
use seal_guard::seal::scope::Scope;
use serde::Deserialize;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors");

/// `expected.json`, the fields both kinds of vector share or use.
#[derive(Deserialize)]
struct Expected {
    kind: String,
    keys: Vec<String>,
    key_bits: usize,
    key_ssh_sha256: String,
    certificate: Option<String>,
    #[serde(default)]
    certificate_from_key_secret: bool,
    cert_not_after: Option<String>,
    // "raw-values": one label for every value.
    namespace: Option<String>,
    name: Option<String>,
    scope: Option<String>,
    label: Option<String>,
    #[serde(default)]
    values: Vec<RawValue>,
    // "sealed-secret-manifests".
    #[serde(default)]
    manifests: Vec<Manifest>,
}

#[derive(Deserialize)]
struct RawValue {
    file: String,
    path: String,
    plaintext: String,
}

#[derive(Deserialize)]
struct Manifest {
    file: String,
    namespace: String,
    name: String,
    scope: String,
    label: String,
    data: BTreeMap<String, String>,
}

/// One sealed value of a vector, with what it must open to.
struct Case {
    what: String,
    value: String,
    namespace: String,
    name: String,
    label: String,
    plaintext: String,
}

struct Vector {
    dir: PathBuf,
    expected: Expected,
}

fn vectors() -> Vec<Vector> {
    let root = Path::new(VECTORS);
    let entries = std::fs::read_dir(root).unwrap_or_else(|e| {
        panic!(
            "cannot read the shared test vectors at {}: {e}; CI checks shared/ out beside \
             the clone as ../shared",
            root.display()
        )
    });
    let mut vectors: Vec<Vector> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("expected.json").is_file())
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
            let expected = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.join("expected.json").display()));
            Vector { dir, expected }
        })
        .collect();
    vectors.sort_by(|a, b| a.dir.cmp(&b.dir));
    assert_eq!(
        vectors.len(),
        3,
        "expected three vector directories in {VECTORS}"
    );
    vectors
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Follows a path like `secrets[1].value` into a YAML document.
fn lookup<'a>(mut value: &'a Value, path: &str) -> &'a Value {
    for step in path.split('.') {
        let (field, index) = match step.split_once('[') {
            Some((field, rest)) => (
                field,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (step, None),
        };
        value = &value[field];
        if let Some(index) = index {
            value = &value[index];
        }
    }
    value
}

fn cases(vector: &Vector) -> Vec<Case> {
    let expected = &vector.expected;
    match expected.kind.as_str() {
        "raw-values" => {
            assert_eq!(expected.scope.as_deref(), Some("strict"));
            let namespace = expected.namespace.clone().unwrap();
            let name = expected.name.clone().unwrap();
            expected
                .values
                .iter()
                .map(|raw| {
                    let doc = read_yaml(&vector.dir.join(&raw.file));
                    let value = lookup(&doc, &raw.path)
                        .as_str()
                        .unwrap_or_else(|| panic!("{}: {} is not a string", raw.file, raw.path));
                    Case {
                        what: format!("{}: {}", raw.file, raw.path),
                        value: value.to_owned(),
                        namespace: namespace.clone(),
                        name: name.clone(),
                        label: expected.label.clone().unwrap(),
                        plaintext: raw.plaintext.clone(),
                    }
                })
                .collect()
        }
        "sealed-secret-manifests" => expected
            .manifests
            .iter()
            .flat_map(|manifest| {
                assert_eq!(manifest.scope, "strict");
                let doc = read_yaml(&vector.dir.join(&manifest.file));
                // The label comes from the object's own metadata, as in the controller.
                assert_eq!(doc["metadata"]["namespace"], manifest.namespace.as_str());
                assert_eq!(doc["metadata"]["name"], manifest.name.as_str());
                manifest
                    .data
                    .iter()
                    .map(|(item, plaintext)| Case {
                        what: format!("{}: spec.encryptedData.{item}", manifest.file),
                        value: doc["spec"]["encryptedData"][item]
                            .as_str()
                            .unwrap_or_else(|| panic!("{}: no item {item}", manifest.file))
                            .to_owned(),
                        namespace: manifest.namespace.clone(),
                        name: manifest.name.clone(),
                        label: manifest.label.clone(),
                        plaintext: plaintext.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        other => panic!("{}: unknown vector kind {other}", vector.dir.display()),
    }
}

fn key_ring(vector: &Vector) -> KeyRing {
    let mut ring = KeyRing::new();
    for file in &vector.expected.keys {
        let added = ring.load_file(&vector.dir.join(file)).unwrap();
        assert_eq!(added, 1, "{}: one key per key Secret", file);
    }
    ring
}

#[test]
fn every_vector_value_opens_under_its_strict_label_only() {
    let mut opened = 0;
    for vector in vectors() {
        let ring = key_ring(&vector);
        let key = &ring.keys()[0];
        for case in cases(&vector) {
            let what = &case.what;
            // The label the scope module builds is the one the vector was sealed with.
            let label = Scope::Strict
                .label(Some(&case.namespace), Some(&case.name))
                .unwrap();
            assert_eq!(label, case.label, "{what}");

            let blob = hybrid::decode_base64(&case.value).unwrap_or_else(|e| panic!("{what}: {e}"));
            let layout = Layout::parse(&blob).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(layout.rsa_len(), vector.expected.key_bits / 8, "{what}");
            assert_eq!(layout.plaintext_len(), case.plaintext.len(), "{what}");

            let plaintext = hybrid::open(key, label.as_bytes(), &blob)
                .unwrap_or_else(|e| panic!("{what}: does not open: {e}"));
            assert!(
                *plaintext == *case.plaintext.as_bytes(),
                "{what}: opened to a different value"
            );

            let by_ring = ring
                .open(label.as_bytes(), &blob)
                .expect("the ring opens it too");
            assert_eq!(by_ring.key.fingerprint(), key.fingerprint(), "{what}");

            let wrong_labels = [
                Scope::NamespaceWide
                    .label(Some(&case.namespace), None)
                    .unwrap(),
                Scope::ClusterWide.label(None, None).unwrap(),
                format!("{}/{}-other", case.namespace, case.name),
                format!("other/{}", case.name),
                // The documented but wrong "concatenation" without a slash.
                format!("{}{}", case.namespace, case.name),
            ];
            for wrong in wrong_labels {
                assert_eq!(
                    hybrid::open(key, wrong.as_bytes(), &blob),
                    Err(OpenError::Rsa),
                    "{what} opened under label {wrong:?}"
                );
            }
            // The ring tries its keys with the same `open`; one wrong label shows that it
            // reports none rather than an error (each RSA-4096 attempt costs, on CI too).
            assert!(
                ring.open(case.namespace.as_bytes(), &blob).is_none(),
                "{what}"
            );
            opened += 1;
        }
    }
    assert_eq!(opened, 10, "the vectors hold 10 sealed values");
}

#[test]
fn key_fingerprints_and_sizes_match_the_vectors() {
    for vector in vectors() {
        let ring = key_ring(&vector);
        let key = &ring.keys()[0];
        let dir = vector.dir.display();
        assert_eq!(
            key.fingerprint().as_str(),
            vector.expected.key_ssh_sha256,
            "{dir}"
        );
        assert_eq!(key.modulus_bits(), vector.expected.key_bits, "{dir}");
        assert_eq!(key.modulus_bytes(), vector.expected.key_bits / 8, "{dir}");
    }
}

/// The certificate of a vector: `pub-cert.pem`, or `data."tls.crt"` of the key Secret.
fn certificate_pem(vector: &Vector) -> Vec<u8> {
    if let Some(file) = &vector.expected.certificate {
        return std::fs::read(vector.dir.join(file)).unwrap();
    }
    assert!(vector.expected.certificate_from_key_secret);
    let secret = read_yaml(&vector.dir.join(&vector.expected.keys[0]));
    let encoded = secret["data"]["tls.crt"]
        .as_str()
        .expect("tls.crt in the key Secret");
    STANDARD.decode(encoded).unwrap()
}

#[test]
fn controller_certificates_load_and_name_their_key() {
    for vector in vectors() {
        let dir = vector.dir.display();
        let sealing = SealingKey::from_pem(&certificate_pem(&vector), LoadOptions::default())
            .unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(
            sealing.fingerprint().as_str(),
            vector.expected.key_ssh_sha256,
            "{dir}"
        );
        assert_eq!(sealing.modulus_bits(), vector.expected.key_bits, "{dir}");
        if let Some(not_after) = &vector.expected.cert_not_after {
            assert_eq!(
                sealing.not_after().unwrap().to_string(),
                *not_after,
                "{dir}"
            );
        }
    }
}

#[test]
fn values_sealed_with_a_controller_certificate_open_with_its_key() {
    for vector in vectors() {
        let dir = vector.dir.display();
        let sealing =
            SealingKey::from_pem(&certificate_pem(&vector), LoadOptions::default()).unwrap();
        let ring = key_ring(&vector);
        for scope in Scope::ALL {
            let label = scope.label(Some("seal-guard"), Some("round-trip")).unwrap();
            let value = hybrid::seal_base64(&sealing, label.as_bytes(), b"fresh value").unwrap();
            assert!(
                value.starts_with("Ag"),
                "{dir}: a 4096-bit value starts with Ag"
            );
            let blob = hybrid::decode_base64(&value).unwrap();
            let opened = ring
                .open(label.as_bytes(), &blob)
                .expect("opens with the vector key");
            assert!(*opened.plaintext == *b"fresh value", "{dir} {scope}");
        }
    }
}
