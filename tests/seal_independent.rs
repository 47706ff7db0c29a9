//! Values sealed by seal-guard open with an implementation that is not ours: Python's
//! `cryptography` package, driven by `tests/independent/decrypt.py`. For 2048-, 3072-
//! and 4096-bit keys and every scope, each value must open under its own label (to the
//! same bytes) and fail under every other label and with another key.
//!
//! Without `python3` and `cryptography` this test fails: a compatibility proof that is
//! silently skipped proves nothing. CI installs them with `pip install cryptography`.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::hybrid;
use seal_guard::seal::scope::Scope;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

const KEY_SIZES: [usize; 3] = [2048, 3072, 4096];
const NAMESPACE: &str = "team-a";
const NAME: &str = "db-credentials";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys")).join(name)
}

/// Every label a value in these tests could be tried under: the three scopes of the
/// object, and the labels of a neighbouring namespace and name.
fn candidate_labels() -> Vec<String> {
    let mut labels: Vec<String> = Scope::ALL
        .iter()
        .map(|scope| scope.label(Some(NAMESPACE), Some(NAME)).unwrap())
        .collect();
    labels.extend([
        format!("team-b/{NAME}"),
        format!("{NAMESPACE}/other"),
        "team-b".to_owned(),
        // Namespace and name run together, as the upstream docs misdescribe the label.
        format!("{NAMESPACE}{NAME}"),
    ]);
    labels
}

/// What the Rust side expects of one case.
struct Expectation {
    opens: bool,
    /// Length and SHA-256 of the plaintext, when it should open.
    digest: Option<(usize, String)>,
    description: String,
}

#[derive(Deserialize)]
struct Answer {
    results: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    id: String,
    opened: bool,
    length: Option<usize>,
    sha256: Option<String>,
    stage: Option<String>,
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

fn plaintexts() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("one byte", vec![0x00]),
        ("utf-8 text", "pässwörd\n".as_bytes().to_vec()),
        ("random 1000 bytes", random_bytes(1000)),
    ]
}

/// Fails the test, loudly, when the independent decryptor cannot run.
fn require_python_cryptography() {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography; print(cryptography.__version__)"])
        .output();
    match probe {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "python3 cannot import `cryptography`, which this compatibility test needs; \
             install it with `python3 -m pip install cryptography`.\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "cannot run python3 ({error}); this compatibility test needs python3 with the \
             `cryptography` package"
        ),
    }
}

#[test]
fn python_cryptography_opens_what_we_seal_under_the_right_label_only() {
    require_python_cryptography();

    let labels = candidate_labels();
    let mut keys = serde_json::Map::new();
    let mut cases = Vec::new();
    let mut expectations: HashMap<String, Expectation> = HashMap::new();

    for (key_index, bits) in KEY_SIZES.into_iter().enumerate() {
        let cert = std::fs::read(fixture(&format!("rsa-{bits}.crt"))).unwrap();
        let sealing = SealingKey::from_pem(&cert, LoadOptions::default()).unwrap();
        assert_eq!(sealing.modulus_bits(), bits);
        let key_id = format!("rsa-{bits}");
        let private_key = fixture(&format!("rsa-{bits}.key"));
        keys.insert(key_id.clone(), json!(private_key.to_str().unwrap()));
        // Another key of the suite, to check that a value opens with its own key only.
        let other_key_id = format!("rsa-{}", KEY_SIZES[(key_index + 1) % KEY_SIZES.len()]);

        for scope in Scope::ALL {
            let label = scope.label(Some(NAMESPACE), Some(NAME)).unwrap();
            for (plaintext_name, plaintext) in plaintexts() {
                let value = hybrid::seal_base64(&sealing, label.as_bytes(), &plaintext).unwrap();
                let sealed = format!("{bits}-bit {scope} {plaintext_name}");
                let digest = (plaintext.len(), hex(&Sha256::digest(&plaintext)));

                let mut attempt = |key: &str, try_label: &str, opens: bool| {
                    let id = format!("case-{}", cases.len());
                    cases.push(json!({
                        "id": id,
                        "key": key,
                        "label": STANDARD.encode(try_label),
                        "value": value,
                    }));
                    let description = format!("{sealed}, key {key}, label {try_label:?}");
                    let digest = opens.then(|| digest.clone());
                    expectations.insert(
                        id,
                        Expectation {
                            opens,
                            digest,
                            description,
                        },
                    );
                };
                for try_label in &labels {
                    attempt(&key_id, try_label, *try_label == label);
                }
                attempt(&other_key_id, &label, false);
            }
        }
    }

    let request = json!({ "keys": keys, "cases": cases });
    let answer = run_decryptor(&request);
    assert_eq!(
        answer.results.len(),
        expectations.len(),
        "one result per case"
    );

    let mut opened = 0;
    for outcome in &answer.results {
        let expected = &expectations[&outcome.id];
        let what = &expected.description;
        assert_eq!(
            outcome.opened, expected.opens,
            "{what}: stage {:?}",
            outcome.stage
        );
        if let Some((length, sha256)) = &expected.digest {
            assert_eq!(outcome.length, Some(*length), "{what}");
            assert!(
                outcome.sha256.as_ref() == Some(sha256),
                "{what}: opened to different bytes"
            );
            opened += 1;
        } else {
            // A wrong label or key must fail in RSA-OAEP, never get as far as AES-GCM.
            let stage = outcome.stage.as_deref();
            assert_eq!(stage, Some("rsa"), "{what}");
        }
    }
    let values = KEY_SIZES.len() * Scope::ALL.len() * plaintexts().len();
    assert_eq!(opened, values, "every sealed value opened exactly once");
}

fn run_decryptor(request: &serde_json::Value) -> Answer {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/independent/decrypt.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (checked above)");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "decrypt.py failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("decrypt.py answers in JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
