//! What `tests/cli_sealed.rs` shares: sandboxes that run the real binary, the sealed
//! corpus (generated fixtures and real kubeseal output) with what every item must
//! open to, the independent Python opener, and the spill check.
//!
//! Layout of a planted corpus inside a sandbox:
//!
//! - `gen/<file>`: `fixtures/sealed/*` as committed (written by
//!   `tests/independent/make_vectors.py`), `expected.json` excluded;
//! - `vectors/<dir>/<file>`: the real vectors of `../shared/vectors`, plus
//!   `vectors/kseal-raw-strict/sealed-raw.yaml`, a SealedSecret assembled (as people
//!   assemble `--raw` output) from the six bare kubeseal values of that vector.
//!
//! Plaintexts are compared, never shown: messages name files and items only.

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod variants;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_seal-guard");

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn keys_dir() -> PathBuf {
    repo().join("fixtures/keys")
}

/// A throw-away key or certificate of `fixtures/keys`.
pub fn key(name: &str) -> PathBuf {
    keys_dir().join(name)
}

pub fn generated_dir() -> PathBuf {
    repo().join("fixtures/sealed")
}

/// The real controller keys and kubeseal output, kept beside the repository.
pub fn vectors_dir() -> PathBuf {
    let dir = repo().join("../shared/vectors");
    assert!(
        dir.join("README.md").is_file(),
        "the real Sealed Secrets vectors are missing: expected them in {} \
         (see FORMAT.md beside them)",
        dir.display()
    );
    dir
}

// ---------------------------------------------------------------------------------
// Running the binary.

/// What one run of the binary produced.
pub struct Run {
    pub what: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A finding as the JSON report gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub rule: String,
    pub severity: String,
}

/// A `verified` entry of the JSON report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Verified {
    pub path: String,
    pub line: u64,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub item: String,
    pub key: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: stdout is not JSON ({e}); stderr: {}",
                self.what, self.stderr
            )
        })
    }

    /// Every finding, sorted.
    pub fn findings(&self) -> Vec<Found> {
        let json = self.json();
        let mut found: Vec<Found> = json["findings"]
            .as_array()
            .expect("findings is an array")
            .iter()
            .map(|f| Found {
                path: text(&f["path"]),
                line: f["line"].as_u64().expect("line"),
                column: f["column"].as_u64().expect("column"),
                rule: text(&f["rule"]),
                severity: text(&f["severity"]),
            })
            .collect();
        found.sort();
        found
    }

    /// The message of the one finding at `path`, `line` of `rule`.
    pub fn message(&self, path: &str, line: u64, rule: &str) -> String {
        let json = self.json();
        let all = json["findings"].as_array().expect("findings is an array");
        let matching: Vec<&Value> = all
            .iter()
            .filter(|f| f["path"] == path && f["line"] == line && f["rule"] == rule)
            .collect();
        assert_eq!(matching.len(), 1, "{}: {rule} at {path}:{line}", self.what);
        text(&matching[0]["message"])
    }

    /// Every verified value, sorted.
    pub fn verified(&self) -> Vec<Verified> {
        let json = self.json();
        let mut verified: Vec<Verified> = json["verified"]
            .as_array()
            .expect("verified is an array")
            .iter()
            .map(|v| Verified {
                path: text(&v["path"]),
                line: v["line"].as_u64().expect("line"),
                name: v["name"].as_str().map(str::to_owned),
                namespace: v["namespace"].as_str().map(str::to_owned),
                item: text(&v["item"]),
                key: text(&v["key"]),
            })
            .collect();
        verified.sort();
        verified
    }

    /// Asserts that the findings are exactly `expected`, listing the differences.
    pub fn assert_findings(&self, expected: &[Found]) {
        let found = self.findings();
        let missing: Vec<&Found> = expected.iter().filter(|f| !found.contains(f)).collect();
        let unexpected: Vec<&Found> = found.iter().filter(|f| !expected.contains(f)).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty() && found.len() == expected.len(),
            "{}: findings differ\nmissing: {missing:#?}\nunexpected: {unexpected:#?}",
            self.what
        );
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "{}: exit code; stderr:\n{}",
            self.what, self.stderr
        );
        self
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"))
        .to_owned()
}

/// A temporary folder, outside any git repository, that runs are made in; and an
/// empty home folder, so that no configuration of the machine takes part.
pub struct Sandbox {
    root: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            root: tempfile::tempdir().expect("temporary folder"),
            home: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn copy(&self, from: &Path, rel: &str) {
        let bytes = std::fs::read(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        self.write(rel, bytes);
    }

    /// Every file under the root, relative path to bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(self.root())
                        .expect("under the root")
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.insert(rel, std::fs::read(&path).expect("readable"));
                }
            }
        }
        out
    }

    /// Runs `seal-guard ARGS` in the root with a cleared environment.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(["--color", "never"])
            .args(args)
            .current_dir(self.root())
            .env_clear()
            .env("HOME", self.home.path())
            .env("COLUMNS", "100")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        Run {
            what: format!("seal-guard {}", args.join(" ")),
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

// ---------------------------------------------------------------------------------
// The corpus.

/// One sealed value of the corpus and what it must open to.
#[derive(Clone, Debug)]
pub struct Item {
    /// The file, relative to the sandbox root.
    pub file: String,
    pub name: String,
    pub namespace: Option<String>,
    pub scope: String,
    pub label: String,
    /// `encryptedData.<key>`, or `data` for a legacy blob.
    pub item: String,
    /// The private key that opens it (a PEM file or a controller key Secret).
    pub key_file: PathBuf,
    pub key_bits: usize,
    /// The key's SSH fingerprint when the vector states it.
    pub stated_fingerprint: Option<String>,
    plaintext: Vec<u8>,
}

impl Item {
    pub fn plaintext_sha256(&self) -> String {
        sha256_hex(&self.plaintext)
    }

    pub fn is_generated(&self) -> bool {
        self.file.starts_with("gen/")
    }

    /// The key token as written: `password`, or `"password"` in JSON.
    pub fn key_name(&self) -> &str {
        self.item
            .strip_prefix("encryptedData.")
            .unwrap_or(&self.item)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Deserialize)]
pub struct Generated {
    pub files: Vec<GeneratedFile>,
}

#[derive(Deserialize)]
pub struct GeneratedFile {
    pub file: String,
    pub objects: Vec<GeneratedObject>,
}

#[derive(Deserialize)]
pub struct GeneratedObject {
    pub name: String,
    pub namespace: Option<String>,
    pub scope: String,
    pub label: String,
    pub items: Vec<GeneratedItem>,
}

#[derive(Deserialize)]
pub struct GeneratedItem {
    pub item: String,
    pub key: String,
    pub plaintext: String,
    /// For a legacy blob: the Secret's values, inside the plaintext.
    pub secret_data: Option<BTreeMap<String, String>>,
}

pub fn generated() -> Generated {
    let path = generated_dir().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).expect("expected.json parses")
}

/// The name of the assembled SealedSecret of the kseal vector.
pub const KSEAL_FILE: &str = "vectors/kseal-raw-strict/sealed-raw.yaml";

/// The vector folders, with their `expected.json`.
pub fn vector_dirs() -> Vec<(String, Value)> {
    let mut dirs: Vec<(String, Value)> = std::fs::read_dir(vectors_dir())
        .expect("readable vectors")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p.join("expected.json")).expect("readable");
            (
                name,
                serde_json::from_str(&text).expect("expected.json parses"),
            )
        })
        .collect();
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(dirs.len(), 3, "three vector folders");
    dirs
}

/// The key Secret of a vector folder.
pub fn vector_key(dir: &str) -> PathBuf {
    let expected = &vector_dirs().into_iter().find(|(d, _)| d == dir).unwrap().1;
    vectors_dir()
        .join(dir)
        .join(expected["keys"][0].as_str().unwrap())
}

/// Every sealed item of the corpus.
pub fn corpus() -> Vec<Item> {
    let mut items = Vec::new();
    for file in generated().files {
        for object in file.objects {
            for item in object.items {
                items.push(Item {
                    file: format!("gen/{}", file.file),
                    name: object.name.clone(),
                    namespace: object.namespace.clone(),
                    scope: object.scope.clone(),
                    label: object.label.clone(),
                    item: item.item,
                    key_file: key(&format!("{}.key", item.key)),
                    key_bits: item.key.trim_start_matches("rsa-").parse().unwrap(),
                    stated_fingerprint: None,
                    plaintext: item.plaintext.into_bytes(),
                });
            }
        }
    }
    for (dir, expected) in vector_dirs() {
        let key_file = vectors_dir()
            .join(&dir)
            .join(expected["keys"][0].as_str().unwrap());
        let key_bits = expected["key_bits"].as_u64().unwrap() as usize;
        let fingerprint = expected["key_ssh_sha256"].as_str().unwrap().to_owned();
        let mut push = |file: String, ns: &str, name: &str, label: &str, item, plain: &str| {
            items.push(Item {
                file,
                name: name.to_owned(),
                namespace: Some(ns.to_owned()),
                scope: "strict".to_owned(),
                label: label.to_owned(),
                item,
                key_file: key_file.clone(),
                key_bits,
                stated_fingerprint: Some(fingerprint.clone()),
                plaintext: plain.as_bytes().to_vec(),
            });
        };
        for manifest in expected["manifests"].as_array().into_iter().flatten() {
            for (item, plaintext) in manifest["data"].as_object().unwrap() {
                push(
                    format!("vectors/{dir}/{}", manifest["file"].as_str().unwrap()),
                    manifest["namespace"].as_str().unwrap(),
                    manifest["name"].as_str().unwrap(),
                    manifest["label"].as_str().unwrap(),
                    format!("encryptedData.{item}"),
                    plaintext.as_str().unwrap(),
                );
            }
        }
        for (value, item_key) in kseal_items(&expected) {
            push(
                KSEAL_FILE.to_owned(),
                expected["namespace"].as_str().unwrap(),
                expected["name"].as_str().unwrap(),
                expected["label"].as_str().unwrap(),
                format!("encryptedData.{item_key}"),
                value["plaintext"].as_str().unwrap(),
            );
        }
    }
    items
}

/// The bare values of a raw-values vector, with the item key each gets in the
/// assembled SealedSecret (`dev-secrets-0-value`, `prd-secretMessage`, ...).
fn kseal_items(expected: &Value) -> Vec<(Value, String)> {
    expected["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let file = v["file"].as_str().unwrap();
            let stem = file.split('-').next().unwrap();
            let path = v["path"].as_str().unwrap();
            let key: String = path
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            (v.clone(), format!("{stem}-{key}"))
        })
        .collect()
}

/// Follows `secrets[1].value` through a parsed YAML document.
fn follow<'v>(root: &'v Value, path: &str) -> &'v Value {
    let mut node = root;
    for part in path.split('.') {
        let (field, index) = match part.split_once('[') {
            Some((field, rest)) => (
                field,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (part, None),
        };
        node = &node[field];
        if let Some(index) = index {
            node = &node[index];
        }
    }
    node
}

/// The assembled SealedSecret of the kseal vector: real `kubeseal --raw` values put
/// into an object by hand, with the label the vector names.
pub fn kseal_sealed_secret() -> String {
    let (_, expected) = vector_dirs()
        .into_iter()
        .find(|(d, _)| d == "kseal-raw-strict")
        .unwrap();
    let mut items = String::new();
    for (value, item_key) in kseal_items(&expected) {
        let file = vectors_dir()
            .join("kseal-raw-strict")
            .join(value["file"].as_str().unwrap());
        let parsed: Value = serde_saphyr::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let sealed = follow(&parsed, value["path"].as_str().unwrap())
            .as_str()
            .expect("a sealed string");
        items.push_str(&format!("    {item_key}: {sealed}\n"));
    }
    let (ns, name) = (
        expected["namespace"].as_str().unwrap(),
        expected["name"].as_str().unwrap(),
    );
    format!(
        "# kubeseal --raw output of the kseal vector, assembled by hand.\n\
         apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  \
         namespace: {ns}\nspec:\n  encryptedData:\n{items}  template:\n    metadata:\n      \
         name: {name}\n      namespace: {ns}\n"
    )
}

/// Copies the generated fixtures to `gen/` and the vectors to `vectors/`.
pub fn plant_corpus(sandbox: &Sandbox) {
    plant_generated(sandbox, "gen");
    for (dir, _) in vector_dirs() {
        for entry in std::fs::read_dir(vectors_dir().join(&dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name != "LICENSE" && name != "expected.json" {
                sandbox.copy(&path, &format!("vectors/{dir}/{name}"));
            }
        }
    }
    sandbox.write(KSEAL_FILE, kseal_sealed_secret());
}

/// Copies the generated fixtures (not `expected.json`) to `to/`.
pub fn plant_generated(sandbox: &Sandbox, to: &str) {
    for file in generated().files {
        sandbox.copy(
            &generated_dir().join(&file.file),
            &format!("{to}/{}", file.file),
        );
    }
}

/// The sealed value of `item` in `text`, read with a YAML parser (JSON is YAML).
pub fn value_in(text: &str, item: &Item) -> String {
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(text).expect("the file parses");
    let objects = docs.iter().flat_map(|doc| match doc["items"].as_array() {
        Some(items) if doc["kind"].as_str().is_some_and(|k| k.ends_with("List")) => {
            items.iter().collect::<Vec<_>>()
        }
        _ => vec![doc],
    });
    let mut objects = objects;
    let object = objects
        .rfind(|o| o["metadata"]["name"] == item.name.as_str())
        .unwrap_or_else(|| panic!("{}: no object {}", item.file, item.name));
    let value = match item.item.strip_prefix("encryptedData.") {
        Some(key) => &object["spec"]["encryptedData"][key],
        None => &object["spec"]["data"],
    };
    value
        .as_str()
        .unwrap_or_else(|| panic!("{}: {} is not a string", item.file, item.item))
        .to_owned()
}

/// The 1-based line and column of the key of the line that holds `needle`: where
/// findings about an item point.
pub fn key_position_of(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    key_position_at(text, at)
}

/// The 1-based line and column of the key on the line holding byte `at`: the line's
/// first character that is not a blank or a sequence dash.
pub fn key_position_at(text: &str, at: usize) -> (u64, u64) {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count() as u64 + 1;
    let rest = &text[line_start..];
    let trimmed = rest.trim_start_matches(' ');
    let trimmed = trimmed
        .strip_prefix("- ")
        .map_or(trimmed, |t| t.trim_start_matches(' '));
    let column = text[line_start..line_start + rest.len() - trimmed.len()]
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

// ---------------------------------------------------------------------------------
// Reading the corpus back.

/// The sealed values of a file, as `(start, end)` byte ranges of their text.
pub fn value_ranges(text: &str, items: &[&Item]) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = items
        .iter()
        .map(|item| {
            let value = value_in(text, item);
            let at = text.find(&value).expect("the value is in the text");
            (at, at + value.len())
        })
        .collect();
    ranges.sort_unstable();
    ranges
}

/// `text` with every sealed value of `items` replaced by `<sealed>`.
pub fn masked(text: &str, items: &[&Item]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in value_ranges(text, items) {
        out.push_str(&text[at..start]);
        out.push_str("<sealed>");
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

pub fn items_of<'c>(corpus: &'c [Item], file: &str) -> Vec<&'c Item> {
    corpus.iter().filter(|i| i.file == file).collect()
}

pub fn files_of(corpus: &[Item]) -> BTreeSet<String> {
    corpus.iter().map(|i| i.file.clone()).collect()
}

/// The `verified` entry seal-guard must list for `item`, found in `text`.
pub fn expected_verified(item: &Item, text: &str, fingerprint: &str) -> Verified {
    let value = value_in(text, item);
    Verified {
        path: item.file.clone(),
        line: key_position_of(text, &value).0,
        name: Some(item.name.clone()),
        namespace: item.namespace.clone(),
        item: item.item.clone(),
        key: fingerprint.to_owned(),
    }
}

// ---------------------------------------------------------------------------------
// The independent opener.

/// `python3` with `cryptography`, checked once; a missing one fails the test.
pub fn python() -> &'static str {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let output = Command::new("python3")
            .args(["-c", "import cryptography.hazmat.primitives.ciphers.aead"])
            .output();
        match output {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
            Err(e) => Err(e.to_string()),
        }
    });
    if let Err(why) = checked {
        panic!(
            "these tests need python3 with the `cryptography` package, as an \
             implementation of the format that is not ours \
             (pip install cryptography, or apt-get install python3-cryptography): {why}"
        );
    }
    "python3"
}

/// What the Python opener said about one value.
#[derive(Clone, Debug, Deserialize)]
pub struct Opened {
    /// The fingerprint of the first key that opened it.
    pub key: Option<String>,
    pub sha256: Option<String>,
    pub why: Option<String>,
}

/// The Python opener's answer: the keys' fingerprints, and one result per value.
pub struct Answer {
    pub fingerprints: Vec<String>,
    pub results: Vec<Opened>,
}

/// Opens each `(label, value)` with the keys in `keys`, in Python.
pub fn python_open(keys: &[&Path], values: &[(String, String)]) -> Answer {
    let request = serde_json::json!({
        "keys": keys.iter().map(|k| k.to_string_lossy()).collect::<Vec<_>>(),
        "values": values.iter().map(|(label, value)| serde_json::json!({
            "label": label, "value": value,
        })).collect::<Vec<_>>(),
    });
    let script = repo().join("tests/sealed_support/open.py");
    let mut child = Command::new(python())
        .arg(&script)
        .arg("open")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "open.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("open.py answers JSON");
    let results: Vec<Opened> = serde_json::from_value(answer["results"].clone()).unwrap();
    assert_eq!(results.len(), values.len());
    Answer {
        fingerprints: serde_json::from_value(answer["fingerprints"].clone()).unwrap(),
        results,
    }
}

/// The SSH fingerprints of private key files, as Python computes them.
pub fn python_fingerprints(key_files: &[&Path]) -> Vec<String> {
    python_open(key_files, &[]).fingerprints
}

/// A fresh throw-away 2048-bit key, PKCS#1 PEM, made by Python, and a self-signed
/// certificate for it beside it (`<out>.crt`).
pub fn python_keygen(out: &Path) {
    let status = Command::new(python())
        .arg(repo().join("tests/sealed_support/open.py"))
        .arg("keygen")
        .arg(out)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "open.py keygen failed");
}

// ---------------------------------------------------------------------------------
// Spills.

/// Every plaintext of the corpus long enough to be told apart from ordinary output
/// (the vectors' `admin` is also a word in item and object names), as written and
/// as base64, as they would appear in a Secret's `data`.
pub fn plaintexts() -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |s: &str| {
        if s.len() >= 8 {
            out.push(s.to_owned());
            out.push(STANDARD.encode(s));
        }
    };
    for file in generated().files {
        for object in file.objects {
            for item in object.items {
                add(&item.plaintext);
                for value in item.secret_data.iter().flat_map(|d| d.values()) {
                    add(value);
                }
            }
        }
    }
    for item in corpus().iter().filter(|i| !i.is_generated()) {
        add(std::str::from_utf8(&item.plaintext).unwrap());
    }
    out.sort();
    out.dedup();
    out
}

/// Fails when a run's output holds any of `secrets`; names the run, never the secret.
pub fn assert_no_spill(run: &Run, secrets: &[String]) {
    for (index, secret) in secrets.iter().enumerate() {
        assert!(
            !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
            "{}: the output shows secret number {index} of {}",
            run.what,
            secrets.len()
        );
    }
}

/// The original text of a corpus file (`gen/...`, `vectors/...`).
pub fn corpus_text(file: &str) -> String {
    if file == KSEAL_FILE {
        return kseal_sealed_secret();
    }
    let path = match file.strip_prefix("gen/") {
        Some(name) => generated_dir().join(name),
        None => vectors_dir().join(file.strip_prefix("vectors/").expect("a corpus file")),
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
