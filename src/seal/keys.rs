//! Loading the controller's private keys, to prove that sealed values open.
//!
//! For: reading every form `kubeseal --recovery-private-key` reads: a PEM private key
//! (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`), the controller's key Secret in
//! YAML or JSON (`data."tls.key"` holds the PEM, base64-encoded), several such documents
//! in one file, or the `kind: List` that a `kubectl get secret -l
//! sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` backup produces; and trying
//! every loaded key on a value ([`KeyRing::open`]), as the controller does.
//!
//! Not for: sealing (that needs only the certificate, see [`super::cert`]) or fetching
//! keys from a cluster.
//!
//! Errors name the file, the document and the Secret, and say what was wrong in words
//! of our own: messages of the YAML, JSON and DER parsers are never shown, because they
//! may quote the input, and the input is key material. Buffers that hold key material
//! are zeroized on drop; copies made inside the parsers are beyond our reach.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::pkcs8::PrivateKeyInfoRef;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use x509_cert::der::Decode as _;
use zeroize::{Zeroize, Zeroizing};

use super::cert::{RSA_ENCRYPTION, algorithm_name};
use super::fingerprint::Fingerprint;
use super::hybrid::{self, Layout};
use super::pem;

/// An RSA private key that may open sealed values.
pub struct DecryptionKey {
    key: rsa::PrivateKey,
    fingerprint: Fingerprint,
    origin: String,
}

impl DecryptionKey {
    fn new(key: rsa::PrivateKey, origin: String) -> DecryptionKey {
        let fingerprint = Fingerprint::of(&key);
        DecryptionKey {
            key,
            fingerprint,
            origin,
        }
    }

    /// The name the controller logs for this key.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The modulus size in bytes: the length prefix of every value this key can open.
    pub fn modulus_bytes(&self) -> usize {
        self.key.size()
    }

    pub fn modulus_bits(&self) -> usize {
        self.key.n().as_ref().bit_width() as usize
    }

    /// Where the key was read from: the file, and the document and Secret within it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub(crate) fn rsa(&self) -> &rsa::PrivateKey {
        &self.key
    }
}

// By hand: everything but the key itself.
impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("bits", &self.modulus_bits())
            .field("fingerprint", &self.fingerprint.as_str())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Every private key given, each once.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: Vec<DecryptionKey>,
}

/// A value that opened, and the key that opened it.
#[derive(Debug)]
pub struct Opened<'a> {
    pub key: &'a DecryptionKey,
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds the keys in the file at `path`; returns how many were new (a key that is
    /// already in the ring, from this file or another, is kept once).
    pub fn load_file(&mut self, path: &Path) -> Result<usize, KeyError> {
        let bytes = crate::source::read_small_file(path, crate::source::MAX_KEY_FILE_SIZE)
            .map(Zeroizing::new)
            .map_err(|source| KeyError::Read {
                path: path.to_owned(),
                source,
            })?;
        self.load_bytes(&path.display().to_string(), &bytes)
    }

    /// Adds the keys in `bytes`, read from the file called `name`.
    pub fn load_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<usize, KeyError> {
        let before = self.keys.len();
        for key in parse(name, bytes)? {
            if !self.keys.iter().any(|k| k.fingerprint == key.fingerprint) {
                self.keys.push(key);
            }
        }
        Ok(self.keys.len() - before)
    }

    pub fn keys(&self) -> &[DecryptionKey] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Tries every key, as the controller does (a blob does not say which key sealed it),
    /// and returns the first that opens `blob` under `label`. Keys of another size than
    /// the blob's length prefix are skipped without an RSA operation.
    pub fn open(&self, label: &[u8], blob: &[u8]) -> Option<Opened<'_>> {
        let rsa_len = Layout::parse(blob).ok()?.rsa_len();
        self.keys
            .iter()
            .filter(|key| key.modulus_bytes() == rsa_len)
            .find_map(|key| {
                let plaintext = hybrid::open(key, label, blob).ok()?;
                Some(Opened { key, plaintext })
            })
    }
}

/// A key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {problem}")]
    Invalid { origin: String, problem: KeyProblem },
}

impl KeyError {
    /// What was wrong, when the file could be read.
    pub fn problem(&self) -> Option<&KeyProblem> {
        match self {
            KeyError::Read { .. } => None,
            KeyError::Invalid { problem, .. } => Some(problem),
        }
    }
}

/// What was wrong with a key file, a document in it, or a PEM block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error(
        "no RSA private key found{}; expected a PEM private key, a Secret with \
         data.\"tls.key\", or a List of such Secrets",
        describe_found(found)
    )]
    NoKey { found: Vec<String> },
    #[error("not valid YAML or JSON (line {line}, column {column})")]
    Syntax { line: u64, column: u64 },
    #[error("neither PEM nor UTF-8 text")]
    NotText,
    #[error("data.\"tls.key\" is not base64")]
    TlsKeyNotBase64,
    #[error("data.\"tls.key\" holds no PEM private key")]
    TlsKeyNotPem,
    #[error("the {label} PEM block is not base64")]
    PemNotBase64 { label: String },
    #[error("the private key is encrypted; decrypt it first (`openssl pkey -in KEY -out PLAIN`)")]
    Encrypted,
    #[error("the private key is not RSA ({algorithm}); Sealed Secrets keys are RSA")]
    NotRsa { algorithm: String },
    #[error(
        "OpenSSH private keys are not read; convert a copy with `ssh-keygen -p -m PEM -f COPY`"
    )]
    OpenSsh,
    #[error("the {label} PEM block is not a valid {format} RSA private key")]
    Malformed { label: String, format: &'static str },
}

fn describe_found(labels: &[String]) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!(" (found PEM {})", labels.join(", "))
    }
}

/// The keys in one file, in the order they appear.
pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Vec<DecryptionKey>, KeyError> {
    let invalid = |problem| KeyError::Invalid {
        origin: name.to_owned(),
        problem,
    };
    if pem::blocks(bytes).next().is_some() {
        let keys = parse_pem(bytes).map_err(invalid)?;
        return Ok(keys
            .into_iter()
            .map(|key| DecryptionKey::new(key, name.to_owned()))
            .collect());
    }
    let objects = parse_documents(bytes).map_err(invalid)?;
    let mut keys = Vec::new();
    let several = objects.len() > 1;
    for (index, object) in objects.iter().enumerate() {
        let origin = if several {
            format!("{name}, document {}", index + 1)
        } else {
            name.to_owned()
        };
        collect_keys(object, &origin, &mut keys)?;
    }
    if keys.is_empty() {
        return Err(invalid(KeyProblem::NoKey { found: Vec::new() }));
    }
    Ok(keys)
}

/// Every private key in a PEM text. Certificates and other blocks are passed over,
/// since a key file often carries the certificate too.
fn parse_pem(bytes: &[u8]) -> Result<Vec<rsa::PrivateKey>, KeyProblem> {
    let mut keys = Vec::new();
    let mut other_labels: Vec<String> = Vec::new();
    for block in pem::blocks(bytes) {
        let label = block.label;
        match label {
            "ENCRYPTED PRIVATE KEY" => return Err(KeyProblem::Encrypted),
            "RSA PRIVATE KEY" | "PRIVATE KEY" if block.has_headers => {
                return Err(KeyProblem::Encrypted);
            }
            "RSA PRIVATE KEY" => {
                let der = decode_block(&block)?;
                let key =
                    rsa::PrivateKey::from_pkcs1_der(&der).map_err(|_| KeyProblem::Malformed {
                        label: label.to_owned(),
                        format: "PKCS#1",
                    })?;
                keys.push(key);
            }
            "PRIVATE KEY" => {
                let der = decode_block(&block)?;
                let malformed = || KeyProblem::Malformed {
                    label: label.to_owned(),
                    format: "PKCS#8",
                };
                // The algorithm first, so an EC key is called an EC key, not malformed.
                let info = PrivateKeyInfoRef::from_der(&der).map_err(|_| malformed())?;
                if info.algorithm.oid != RSA_ENCRYPTION {
                    return Err(KeyProblem::NotRsa {
                        algorithm: algorithm_name(info.algorithm.oid),
                    });
                }
                keys.push(rsa::PrivateKey::from_pkcs8_der(&der).map_err(|_| malformed())?);
            }
            "EC PRIVATE KEY" => {
                return Err(KeyProblem::NotRsa {
                    algorithm: "EC".to_owned(),
                });
            }
            "DSA PRIVATE KEY" => {
                return Err(KeyProblem::NotRsa {
                    algorithm: "DSA".to_owned(),
                });
            }
            "OPENSSH PRIVATE KEY" => return Err(KeyProblem::OpenSsh),
            _ => {
                if !other_labels.iter().any(|l| l == label) {
                    other_labels.push(label.to_owned());
                }
            }
        }
    }
    if keys.is_empty() {
        return Err(KeyProblem::NoKey {
            found: other_labels,
        });
    }
    Ok(keys)
}

fn decode_block(block: &pem::Block<'_>) -> Result<Zeroizing<Vec<u8>>, KeyProblem> {
    block.decode().map_err(|_| KeyProblem::PemNotBase64 {
        label: block.label.to_owned(),
    })
}

/// The parts of a Kubernetes object a key file needs; everything else is ignored.
#[derive(Deserialize)]
struct Object {
    kind: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    data: Option<Data>,
    /// Set on `kind: List` (and `SecretList`): the backup format.
    items: Option<Vec<Object>>,
}

#[derive(Default, Deserialize)]
struct Metadata {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "tls.key")]
    tls_key: Option<String>,
}

impl Drop for Data {
    fn drop(&mut self) {
        self.tls_key.zeroize();
    }
}

fn parse_documents(bytes: &[u8]) -> Result<Vec<Object>, KeyProblem> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(KeyProblem::NotText);
    }
    let starts_with_brace = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if starts_with_brace {
        // Several JSON objects back to back are not YAML, but kubeseal accepts them.
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Object>()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| KeyProblem::Syntax {
                line: e.line() as u64,
                column: e.column() as u64,
            })
    } else {
        serde_saphyr::from_slice_multiple::<Object>(bytes).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            KeyProblem::Syntax { line, column }
        })
    }
}

/// Adds the key of `object`, or of every item of a List, to `keys`. Objects without
/// `data."tls.key"` are passed over, so a dump of every Secret in the controller's
/// namespace works as well as the labelled backup.
fn collect_keys(
    object: &Object,
    origin: &str,
    keys: &mut Vec<DecryptionKey>,
) -> Result<(), KeyError> {
    if let Some(items) = &object.items {
        for (index, item) in items.iter().enumerate() {
            collect_keys(item, &format!("{origin}, item {}", index + 1), keys)?;
        }
        return Ok(());
    }
    let Some(encoded) = object.data.as_ref().and_then(|d| d.tls_key.as_deref()) else {
        return Ok(());
    };
    let origin = format!("{origin} ({})", describe_object(object));
    let invalid = |problem| KeyError::Invalid {
        origin: origin.clone(),
        problem,
    };
    let pem = STANDARD
        .decode(encoded)
        .map(Zeroizing::new)
        .map_err(|_| invalid(KeyProblem::TlsKeyNotBase64))?;
    if pem::blocks(&pem).next().is_none() {
        return Err(invalid(KeyProblem::TlsKeyNotPem));
    }
    for key in parse_pem(&pem).map_err(invalid)? {
        keys.push(DecryptionKey::new(key, origin.clone()));
    }
    Ok(())
}

/// `Secret kube-system/sealed-secrets-keyab12c`, escaped: the names come from a file.
fn describe_object(object: &Object) -> String {
    let kind = object.kind.as_deref().unwrap_or("object");
    let name = object.metadata.name.as_deref().unwrap_or("(unnamed)");
    match &object.metadata.namespace {
        Some(namespace) => format!(
            "{} {}/{}",
            kind.escape_debug(),
            namespace.escape_debug(),
            name.escape_debug()
        ),
        None => format!("{} {}", kind.escape_debug(), name.escape_debug()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn problem(name: &str, bytes: &[u8]) -> KeyProblem {
        match parse(name, bytes) {
            Err(KeyError::Invalid { problem, .. }) => problem,
            Err(other) => panic!("unexpected error {other}"),
            Ok(keys) => panic!("loaded {} keys", keys.len()),
        }
    }

    /// A key Secret as the controller stores it, holding `pem`.
    fn key_secret_yaml(name: &str, pem: &[u8]) -> String {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: kube-system\n\
             type: kubernetes.io/tls\ndata:\n  tls.crt: \"\"\n  tls.key: {}\n",
            STANDARD.encode(pem)
        )
    }

    #[test]
    fn pkcs1_and_pkcs8_forms_load_as_the_same_key() {
        let pkcs1 = parse("a.key", &fixture("rsa-2048.key")).unwrap();
        let pkcs8 = parse("b.key", &fixture("rsa-2048.pkcs8.key")).unwrap();
        assert_eq!(pkcs1.len(), 1);
        assert_eq!(pkcs1[0].fingerprint(), pkcs8[0].fingerprint());
        assert_eq!(pkcs1[0].modulus_bits(), 2048);
        assert_eq!(pkcs8[0].modulus_bytes(), 256);
        assert_eq!(pkcs1[0].origin(), "a.key");
    }

    #[test]
    fn a_certificate_next_to_the_key_is_passed_over() {
        let mut bytes = fixture("rsa-2048.crt");
        bytes.extend(fixture("rsa-2048.key"));
        assert_eq!(parse("both.pem", &bytes).unwrap().len(), 1);
    }

    #[test]
    fn loads_a_key_secret_in_yaml_and_names_it() {
        let yaml = key_secret_yaml("sealed-secrets-keyab12c", &fixture("rsa-2048.key"));
        let keys = parse("backup.yaml", yaml.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].origin(),
            "backup.yaml (Secret kube-system/sealed-secrets-keyab12c)"
        );
    }

    #[test]
    fn loads_several_documents_and_a_list() {
        let a = key_secret_yaml("key-a", &fixture("rsa-2048.key"));
        let b = key_secret_yaml("key-b", &fixture("rsa-3072.key"));
        let docs = format!("---\n{a}---\n{b}");
        let keys = parse("two.yaml", docs.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[1].origin(),
            "two.yaml, document 2 (Secret kube-system/key-b)"
        );

        let indent = |doc: &str| doc.replace('\n', "\n  ");
        let list = format!(
            "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n- {}\n- {}\n",
            indent(&a),
            indent(&b)
        );
        let keys = parse("list.yaml", list.as_bytes()).unwrap();
        assert_eq!(
            keys.iter()
                .map(DecryptionKey::modulus_bits)
                .collect::<Vec<_>>(),
            [2048, 3072]
        );
        assert_eq!(
            keys[0].origin(),
            "list.yaml, item 1 (Secret kube-system/key-a)"
        );
    }

    #[test]
    fn loads_json_single_and_concatenated() {
        let secret = |name: &str, key: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "kube-system"},
                "data": {"tls.key": STANDARD.encode(fixture(key))}
            })
        };
        let one = secret("k", "rsa-2048.key").to_string();
        assert_eq!(parse("k.json", one.as_bytes()).unwrap().len(), 1);
        let list = serde_json::json!({
            "apiVersion": "v1", "kind": "List",
            "items": [secret("a", "rsa-2048.key"), secret("b", "rsa-3072.key")]
        });
        assert_eq!(
            parse("list.json", list.to_string().as_bytes())
                .unwrap()
                .len(),
            2
        );
        let two = format!(
            "{}\n{}",
            serde_json::to_string_pretty(&secret("a", "rsa-2048.key")).unwrap(),
            secret("b", "rsa-3072.key")
        );
        assert_eq!(parse("two.json", two.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn the_ring_keeps_each_key_once() {
        let mut ring = KeyRing::new();
        assert_eq!(ring.load_bytes("a", &fixture("rsa-2048.key")).unwrap(), 1);
        assert_eq!(
            ring.load_bytes("b", &fixture("rsa-2048.pkcs8.key"))
                .unwrap(),
            0
        );
        assert_eq!(ring.load_bytes("c", &fixture("rsa-3072.key")).unwrap(), 1);
        assert_eq!(ring.keys().len(), 2);
        assert_eq!(ring.keys()[0].origin(), "a");
    }

    #[test]
    fn the_ring_says_which_key_opened_a_value() {
        use crate::seal::cert::{LoadOptions, SealingKey};
        let mut ring = KeyRing::new();
        ring.load_bytes("2048", &fixture("rsa-2048.key")).unwrap();
        ring.load_bytes("3072", &fixture("rsa-3072.key")).unwrap();
        let sealing = SealingKey::from_pem(&fixture("rsa-3072.crt"), LoadOptions::default());
        let sealing = sealing.unwrap();
        let blob = hybrid::seal(&sealing, b"ns/a", b"value").unwrap();

        let opened = ring
            .open(b"ns/a", &blob)
            .expect("the 3072-bit key opens it");
        assert_eq!(opened.key.fingerprint(), sealing.fingerprint());
        assert_eq!(opened.key.origin(), "3072");
        assert!(*opened.plaintext == *b"value", "opened to another value");
        assert!(ring.open(b"ns/b", &blob).is_none());
        assert!(ring.open(b"ns/a", &blob[..100]).is_none());
        assert!(KeyRing::new().open(b"ns/a", &blob).is_none());
    }

    #[test]
    fn refuses_encrypted_keys() {
        for name in ["rsa-2048.encrypted.key", "rsa-2048.encrypted.pkcs8.key"] {
            assert_eq!(
                problem(name, &fixture(name)),
                KeyProblem::Encrypted,
                "{name}"
            );
        }
    }

    #[test]
    fn refuses_non_rsa_keys() {
        assert_eq!(
            problem("ec.key", &fixture("ec-p256.key")),
            KeyProblem::NotRsa {
                algorithm: "EC".into()
            }
        );
        let sec1 = b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(matches!(problem("ec.pem", sec1), KeyProblem::NotRsa { .. }));
        let openssh =
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(problem("id_rsa", openssh), KeyProblem::OpenSsh);
    }

    #[test]
    fn a_certificate_alone_is_no_key() {
        let err = parse("cert.pem", &fixture("rsa-2048.crt")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cert.pem: no RSA private key found (found PEM CERTIFICATE); expected a PEM \
             private key, a Secret with data.\"tls.key\", or a List of such Secrets"
        );
    }

    #[test]
    fn refuses_malformed_pem_keys() {
        let bad = b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            problem("bad.key", bad),
            KeyProblem::Malformed {
                label: "RSA PRIVATE KEY".into(),
                format: "PKCS#1"
            }
        );
        let bad = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            problem("bad.key", bad),
            KeyProblem::Malformed {
                format: "PKCS#8",
                ..
            }
        ));
        let bad = b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            problem("bad.key", bad),
            KeyProblem::PemNotBase64 { .. }
        ));
    }

    #[test]
    fn refuses_a_secret_whose_tls_key_is_broken() {
        let not_base64 = "kind: Secret\nmetadata: {name: k}\ndata: {tls.key: \"%%%\"}\n";
        let err = parse("k.yaml", not_base64.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "k.yaml (Secret k): data.\"tls.key\" is not base64"
        );

        let not_pem = format!(
            "kind: Secret\ndata: {{tls.key: {}}}\n",
            STANDARD.encode("hello")
        );
        assert_eq!(
            problem("k.yaml", not_pem.as_bytes()),
            KeyProblem::TlsKeyNotPem
        );

        let ec = key_secret_yaml("ec", &fixture("ec-p256.key"));
        let err = parse("k.yaml", ec.as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("k.yaml (Secret kube-system/ec): the private key is not RSA")
        );
    }

    #[test]
    fn documents_without_a_key_are_no_key() {
        let yaml = "kind: Secret\nmetadata: {name: other}\ndata: {password: c2VjcmV0}\n";
        assert_eq!(
            problem("s.yaml", yaml.as_bytes()),
            KeyProblem::NoKey { found: vec![] }
        );
    }

    #[test]
    fn syntax_errors_give_a_position_and_never_the_text() {
        let tls_key = STANDARD.encode(fixture("rsa-2048.key"));
        // The unterminated quote makes the parser fail while reading the key text.
        let yaml = format!("kind: Secret\ndata:\n  tls.key: \"{tls_key}\n  : [\n");
        let err = parse("broken.yaml", yaml.as_bytes()).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            matches!(err.problem(), Some(KeyProblem::Syntax { line, .. }) if *line > 0),
            "{shown}"
        );
        assert!(
            !shown.contains(&tls_key[..40]),
            "the error quotes key material"
        );

        let json = format!("{{\"data\": {{\"tls.key\": 5, \"x\": \"{tls_key}\"}}}}");
        let err = parse("broken.json", json.as_bytes()).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            matches!(err.problem(), Some(KeyProblem::Syntax { .. })),
            "{shown}"
        );
        assert!(!shown.contains(&tls_key[..40]));
    }

    #[test]
    fn binary_input_is_not_text() {
        assert_eq!(
            problem("key.der", &[0x30, 0x82, 0xff, 0xfe]),
            KeyProblem::NotText
        );
    }

    #[test]
    fn debug_shows_no_key_material() {
        let keys = parse("a.key", &fixture("rsa-2048.key")).unwrap();
        let shown = format!("{:?}", keys[0]);
        assert!(
            shown.contains("SHA256:") && shown.contains("2048"),
            "{shown}"
        );
        assert!(shown.len() < 200, "{shown}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = KeyRing::new()
            .load_file(Path::new("/nonexistent/keys.yaml"))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read /nonexistent/keys.yaml: "),
            "{err}"
        );
        assert!(err.problem().is_none());
    }
}
