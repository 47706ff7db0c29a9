//! Helpers for the `fix`, `seal` and crash-safety tests: temporary trees, running the
//! real binary, reading its results back, and opening sealed values with an
//! independent decryptor.
//!
//! What a SealedSecret should contain is worked out here from the original Secret
//! (its annotations, namespace, `data` and `stringData`), written from the Sealed
//! Secrets documentation rather than from seal-guard's code. Sealed values are opened
//! by `open_sealed.py`, which uses Python's `cryptography` package and shares no code
//! with the Rust side; it is itself checked against real kubeseal output in
//! `tests/cli_seal.rs`.
//!
//! Not for: snapshots or general CLI plumbing (that is `tests/common/`).

#![allow(
    dead_code,
    reason = "each test crate that includes this module uses a different subset of it"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_seal-guard");

pub const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
pub const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";
pub const TEMP_PREFIX: &str = ".seal-guard-";

/// A path inside the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A throw-away key or certificate from `fixtures/keys/`.
pub fn key_file(name: &str) -> PathBuf {
    repo("fixtures/keys").join(name)
}

/// A fixture of these tests, from `fixtures/fix/`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = repo("fixtures/fix").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The real controller keys and kubeseal output beside the repository.
pub fn vectors() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors"))
}

/// The private key that opens values sealed with `fixtures/keys/rsa-<bits>.crt`.
pub fn private_key(bits: u32) -> PathBuf {
    key_file(&format!("rsa-{bits}.key"))
}

pub fn cert(bits: u32) -> PathBuf {
    key_file(&format!("rsa-{bits}.crt"))
}

// ---------------------------------------------------------------------------
// Temporary trees and the binary

/// A temporary folder that the binary runs in.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::Builder::new()
                .prefix("seal-guard-test-")
                .tempdir()
                .expect("a temporary folder"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes a file, creating its folders.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn read_string(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap_or_else(|_| panic!("{rel} is not UTF-8"))
    }

    /// Every regular file under the root, by `/`-separated relative path.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        collect_files(self.root(), self.root(), &mut out);
        out
    }

    /// Every regular file under the root, by `/`-separated relative path, unread.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_paths(self.root(), self.root(), &mut out);
        out.sort();
        out
    }

    /// Files whose name starts with seal-guard's temporary prefix.
    pub fn temp_files(&self) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|p| p.rsplit('/').next().unwrap_or(p).starts_with(TEMP_PREFIX))
            .collect()
    }

    /// `seal-guard ARGS...`, run in the root.
    pub fn run(&self, args: &[&str]) -> Out {
        run_in(self.root(), args, None)
    }

    /// `seal-guard ARGS...` with `stdin`, run in the root.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Out {
        run_in(self.root(), args, Some(stdin))
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut paths = Vec::new();
    collect_paths(root, dir, &mut paths);
    for rel in paths {
        let bytes = std::fs::read(root.join(&rel)).unwrap();
        out.insert(rel, bytes);
    }
}

/// Regular files only: links and folders are not followed into.
fn collect_paths(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let path = entry.path();
        if kind.is_dir() {
            collect_paths(root, &path, out);
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy();
            out.push(rel.replace('\\', "/"));
        }
    }
}

/// The seal-guard command, without color and with a wide terminal so that messages
/// are not wrapped in the middle of what a test looks for. The variables git sets
/// for hooks are removed (tests may run from a pre-commit hook, and seal-guard
/// honours them): a temporary tree is never taken for the project's repository.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .env_remove("RUST_LOG");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Out {
    let mut cmd = command(dir, args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the seal-guard binary runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Out {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code().expect("seal-guard exits, no signal"),
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

/// What one run of the binary printed, and its exit code.
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Out {
    pub fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Asserts the exit code; on failure shows what the tool printed (seal-guard never
    /// prints secret values, which `assert_no_leak` checks separately).
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Out {
        assert_eq!(
            self.code,
            expected,
            "seal-guard {:?} exited {} (expected {expected})\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr()
        );
        self
    }

    /// Asserts that neither stream holds any of `secrets`, as bytes or as base64.
    #[track_caller]
    pub fn assert_no_leak(&self, secrets: &[&[u8]]) -> &Out {
        for (i, secret) in secrets.iter().enumerate() {
            assert!(
                secret.len() >= 6,
                "leak probe {i} is too short to be distinctive"
            );
            let encoded = STANDARD.encode(secret);
            for (stream, bytes) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                assert!(
                    !contains(bytes, secret) && !contains(bytes, encoded.as_bytes()),
                    "seal-guard {:?}: {stream} shows plaintext value #{i} (value not repeated here)",
                    self.args
                );
            }
        }
        self
    }
}

/// Asserts two file contents are equal without printing them (they hold
/// plaintext): the message gives the lengths and the first differing offset.
#[track_caller]
pub fn assert_same_bytes(what: &str, actual: &[u8], expected: &[u8]) {
    if actual != expected {
        let at = actual
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(actual.len().min(expected.len()));
        panic!(
            "{what}: bytes differ ({} bytes, expected {}; first difference at offset {at})",
            actual.len(),
            expected.len()
        );
    }
}

/// Asserts a file changed, without printing it.
#[track_caller]
pub fn assert_changed(what: &str, actual: &[u8], before: &[u8]) {
    assert!(actual != before, "{what}: unchanged");
}

/// Asserts two snapshots of a tree hold the same files with the same bytes.
#[track_caller]
pub fn assert_same_tree(
    what: &str,
    actual: &BTreeMap<String, Vec<u8>>,
    expected: &BTreeMap<String, Vec<u8>>,
) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: files added or removed"
    );
    for (path, bytes) in actual {
        assert_same_bytes(&format!("{what}: {path}"), bytes, &expected[path]);
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------
// Reading manifests back

/// Every document of a YAML or JSON text (a JSON file may hold several objects one
/// after the other, as kubeseal prints them). Empty documents are left out.
pub fn parse_documents(name: &str, bytes: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|_| panic!("{name} is not UTF-8"));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if name.ends_with(".json") {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .map(|v| {
                v.unwrap_or_else(|e| {
                    panic!(
                        "{name} is not valid JSON at line {} column {}",
                        e.line(),
                        e.column()
                    )
                })
            })
            .collect()
    } else {
        let docs: Vec<Value> = serde_saphyr::from_multiple(text).unwrap_or_else(|e| {
            // The error's own text can quote the document: give its place only.
            let at = e.location().map(|l| (l.line(), l.column()));
            panic!("{name} is not valid YAML (line, column: {at:?})")
        });
        docs.into_iter().filter(|d| !d.is_null()).collect()
    }
}

/// The Kubernetes objects of a file: each document, and the items of a `kind: List`
/// (or `*List`) in their place.
pub fn objects(docs: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in docs {
        let is_list = doc["kind"].as_str().is_some_and(|k| k.ends_with("List"));
        match doc.get("items").and_then(Value::as_array) {
            Some(items) if is_list => out.extend(items.iter().cloned()),
            _ => out.push(doc.clone()),
        }
    }
    out
}

pub fn is_plaintext_secret(object: &Value) -> bool {
    object["apiVersion"] == "v1"
        && object["kind"] == "Secret"
        && ["data", "stringData"]
            .iter()
            .any(|f| object[f].as_object().is_some_and(|m| !m.is_empty()))
}

pub fn is_sealed_secret(object: &Value) -> bool {
    object["apiVersion"] == "bitnami.com/v1alpha1" && object["kind"] == "SealedSecret"
}

/// The plaintext of every item of a Secret, as the API server would store it:
/// `data` decoded from base64 (line breaks ignored), `stringData` as UTF-8 bytes,
/// `stringData` winning on a duplicate key. Null values are empty.
pub fn plaintexts(secret: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Some(data) = secret["data"].as_object() {
        for (key, value) in data {
            let text: String = value
                .as_str()
                .unwrap_or("")
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            let bytes = STANDARD
                .decode(text)
                .unwrap_or_else(|_| panic!("fixture data.{key} is not base64"));
            out.insert(key.clone(), bytes);
        }
    }
    if let Some(data) = secret["stringData"].as_object() {
        for (key, value) in data {
            out.insert(
                key.clone(),
                value.as_str().unwrap_or("").as_bytes().to_vec(),
            );
        }
    }
    out
}

/// Sealing scopes, as the controller names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Strict,
    NamespaceWide,
    ClusterWide,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }

    pub fn annotation(self) -> Option<&'static str> {
        match self {
            Scope::Strict => None,
            Scope::NamespaceWide => Some(NAMESPACE_WIDE),
            Scope::ClusterWide => Some(CLUSTER_WIDE),
        }
    }

    /// The scope an object's annotations select: only `"true"` counts, and
    /// cluster-wide wins over namespace-wide.
    pub fn of(object: &Value) -> Option<Scope> {
        let annotations = &object["metadata"]["annotations"];
        if annotations[CLUSTER_WIDE] == "true" {
            Some(Scope::ClusterWide)
        } else if annotations[NAMESPACE_WIDE] == "true" {
            Some(Scope::NamespaceWide)
        } else {
            None
        }
    }

    /// The OAEP label the controller uses to open a value of this scope.
    pub fn label(self, namespace: &str, name: &str) -> String {
        match self {
            Scope::Strict => format!("{namespace}/{name}"),
            Scope::NamespaceWide => namespace.to_owned(),
            Scope::ClusterWide => String::new(),
        }
    }
}

/// The labels of all three scopes for an object: the one that must open its values
/// and the two that must not.
pub fn labels(scope: Scope, namespace: &str, name: &str) -> (String, Vec<String>) {
    let right = scope.label(namespace, name);
    let mut wrong: Vec<String> = Scope::ALL
        .iter()
        .map(|s| s.label(namespace, name))
        .filter(|l| *l != right)
        .collect();
    // A neighbouring namespace and name must not open the value either.
    wrong.push(format!("{namespace}x/{name}"));
    wrong.push(format!("{namespace}/{name}x"));
    wrong.retain(|l| *l != right);
    wrong.sort();
    wrong.dedup();
    (right, wrong)
}

// ---------------------------------------------------------------------------
// Opening values independently

/// One sealed value and what must (and must not) open it.
#[derive(Clone, Debug)]
pub struct Opening {
    /// Names the value in failure messages: file, object, item. Never the value.
    pub what: String,
    pub private_key: PathBuf,
    pub sealed: String,
    pub label: String,
    pub wrong_labels: Vec<String>,
    pub plaintext: Vec<u8>,
}

/// Opens every value with `open_sealed.py` and asserts that each opens under its
/// label to its plaintext, and under none of its wrong labels. One Python process
/// for the whole batch.
#[track_caller]
pub fn assert_opens(openings: &[Opening]) {
    assert!(
        !openings.is_empty(),
        "nothing to open: the test checks nothing"
    );
    let mut keys: BTreeMap<PathBuf, String> = BTreeMap::new();
    for opening in openings {
        let next = format!("k{}", keys.len());
        keys.entry(opening.private_key.clone()).or_insert(next);
    }
    let jobs: Vec<Value> = openings
        .iter()
        .map(|o| {
            let mut labels = vec![o.label.clone()];
            labels.extend(o.wrong_labels.iter().cloned());
            json!({"key": keys[&o.private_key], "value": o.sealed, "labels": labels})
        })
        .collect();
    let request = json!({
        "keys": keys.iter().map(|(path, id)| (id.clone(), json!(path))).collect::<Map<_, _>>(),
        "jobs": jobs,
    });
    let results = run_opener(&request);
    assert_eq!(results.len(), openings.len(), "one result per value");
    for (opening, row) in openings.iter().zip(&results) {
        let row = row.as_array().expect("a row per value");
        match row[0].get("ok").and_then(Value::as_str) {
            Some(b64) => {
                let opened = STANDARD.decode(b64).expect("the opener prints base64");
                assert!(
                    opened == opening.plaintext,
                    "{}: opens under its label {:?} but to a different plaintext \
                     ({} bytes, expected {})",
                    opening.what,
                    opening.label,
                    opened.len(),
                    opening.plaintext.len()
                );
            }
            None => panic!(
                "{}: does not open under label {:?} with {}: {}",
                opening.what,
                opening.label,
                opening.private_key.display(),
                row[0]["error"]
            ),
        }
        for (label, result) in opening.wrong_labels.iter().zip(&row[1..]) {
            assert!(
                result.get("ok").is_none(),
                "{}: also opens under the wrong label {label:?}",
                opening.what
            );
        }
    }
}

/// Runs the Python opener on one request; fails the test (never skips it) when
/// Python or its `cryptography` package is missing.
pub fn run_opener(request: &Value) -> Vec<Value> {
    let script = repo("tests/fix_support/open_sealed.py");
    let python = std::env::var("SEAL_GUARD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "the independent decryption check needs `{python}` with the `cryptography` \
                 package (python3 -m pip install 'cryptography>=42'), and `{python}` could not \
                 be started: {e}"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the independent decryptor {} failed ({}); it needs Python's `cryptography` package \
         (python3 -m pip install 'cryptography>=42'):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let response: Value = serde_json::from_slice(&output.stdout).expect("the opener prints JSON");
    response["results"].as_array().cloned().expect("results")
}

// ---------------------------------------------------------------------------
// Judging a sealed file against its original

/// Where a Secret's scope and namespace come from when it does not say.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// The private key that must open every value.
    pub private_key: PathBuf,
    /// Scope for Secrets without a scope annotation (`None`: strict).
    pub default_scope: Option<Scope>,
    /// Namespace for Secrets without one.
    pub default_namespace: Option<String>,
}

impl Expect {
    pub fn key(bits: u32) -> Expect {
        Expect {
            private_key: private_key(bits),
            ..Expect::default()
        }
    }

    pub fn scope(mut self, scope: Scope) -> Expect {
        self.default_scope = Some(scope);
        self
    }

    pub fn namespace(mut self, namespace: &str) -> Expect {
        self.default_namespace = Some(namespace.to_owned());
        self
    }
}

/// Checks that `after` is `before` with every plaintext Secret replaced by a
/// SealedSecret in its place (same position, same name), every other object equal,
/// and returns the values to open. Also checks the SealedSecret's top-level
/// metadata: name, namespace and the scope annotation, nothing else.
#[track_caller]
pub fn sealed_in_place(name: &str, before: &[u8], after: &[u8], expect: &Expect) -> Vec<Opening> {
    let old = objects(&parse_documents(name, before));
    let new = objects(&parse_documents(name, after));
    assert_eq!(
        old.len(),
        new.len(),
        "{name}: the number of objects changed"
    );
    let mut openings = Vec::new();
    let mut sealed = 0;
    for (i, (old, new)) in old.iter().zip(&new).enumerate() {
        if !is_plaintext_secret(old) {
            assert_eq!(old, new, "{name}: object {i} (not a Secret) changed");
            continue;
        }
        sealed += 1;
        openings.extend(sealed_from(&format!("{name} object {i}"), old, new, expect));
    }
    assert!(sealed > 0, "{name}: the fixture holds no plaintext Secret");
    openings
}

/// Checks one SealedSecret against the Secret it replaces; returns its values.
#[track_caller]
pub fn sealed_from(what: &str, secret: &Value, sealed: &Value, expect: &Expect) -> Vec<Opening> {
    assert!(is_sealed_secret(sealed), "{what}: not a SealedSecret");
    let name = secret["metadata"]["name"]
        .as_str()
        .expect("the Secret's name");
    let scope = Scope::of(secret)
        .or(expect.default_scope)
        .unwrap_or(Scope::Strict);
    let namespace = secret["metadata"]["namespace"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| expect.default_namespace.clone());

    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(ns) = &namespace {
        meta.insert("namespace".into(), json!(ns));
    }
    if let Some(annotation) = scope.annotation() {
        meta.insert("annotations".into(), json!({ annotation: "true" }));
    }
    assert_eq!(
        sealed["metadata"],
        Value::Object(meta),
        "{what}: top-level metadata is not name, namespace and the scope annotation"
    );

    let expected = plaintexts(secret);
    let items = sealed["spec"]["encryptedData"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no spec.encryptedData"));
    assert_eq!(
        items.keys().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>(),
        "{what}: encryptedData items differ from the Secret's keys"
    );
    let (label, wrong_labels) = match &namespace {
        Some(ns) => labels(scope, ns, name),
        None => {
            assert_eq!(
                scope,
                Scope::ClusterWide,
                "{what}: sealed without a namespace"
            );
            (
                String::new(),
                vec![format!("default/{name}"), "default".to_owned()],
            )
        }
    };
    items
        .iter()
        .map(|(key, value)| Opening {
            what: format!("{what} ({name}) item {key}"),
            private_key: expect.private_key.clone(),
            sealed: value
                .as_str()
                .expect("sealed values are strings")
                .to_owned(),
            label: label.clone(),
            wrong_labels: wrong_labels.clone(),
            plaintext: expected[key].clone(),
        })
        .collect()
}

/// Asserts that `after` is `before` with only the given ranges replaced: each range
/// runs from the start of `start` to the end of `end` (searched for in order in
/// `before`). The bytes around and between the ranges must be byte-identical and in
/// the same order; the replacements must be non-empty and differ from the originals.
#[track_caller]
pub fn only_ranges_changed(name: &str, before: &[u8], after: &[u8], ranges: &[(&str, &str)]) {
    let mut keep: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    for (start, end) in ranges {
        let s = at
            + find(&before[at..], start.as_bytes())
                .unwrap_or_else(|| panic!("{name}: fixture lacks {start:?}"));
        let e = s
            + find(&before[s..], end.as_bytes())
                .unwrap_or_else(|| panic!("{name}: fixture lacks {end:?}"))
            + end.len();
        keep.push(&before[at..s]);
        at = e;
    }
    keep.push(&before[at..]);

    // The first kept piece is a prefix, the last a suffix, and the others appear in
    // order in between with something new before each.
    let first = keep[0];
    let last = keep[keep.len() - 1];
    assert!(
        after.starts_with(first),
        "{name}: the bytes before the first Secret changed"
    );
    assert!(
        after.len() >= first.len() + last.len() && after.ends_with(last),
        "{name}: the bytes after the last Secret changed"
    );
    let mut pos = first.len();
    let limit = after.len() - last.len();
    for (i, middle) in keep[1..keep.len() - 1].iter().enumerate() {
        let found = find(&after[pos..limit], middle)
            .unwrap_or_else(|| panic!("{name}: the bytes between Secret {i} and the next changed"));
        assert!(found > 0, "{name}: Secret {i} was replaced by nothing");
        pos += found + middle.len();
    }
    assert!(
        pos < limit,
        "{name}: the last Secret was replaced by nothing"
    );
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The findings of `seal-guard check --format json` in `dir`.
pub fn check_findings(dir: &Path) -> (i32, Vec<Value>) {
    let out = run_in(dir, &["check", "--format", "json"], None);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --format json printed no JSON ({e}): {}",
            out.stderr()
        )
    });
    (
        out.code,
        report["findings"].as_array().cloned().unwrap_or_default(),
    )
}

/// The findings of a JSON report printed by `fix --format json`.
pub fn report_findings(out: &Out) -> Vec<Value> {
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "--format json printed no JSON ({e}); stderr: {}",
            out.stderr()
        )
    });
    report["findings"].as_array().cloned().unwrap_or_default()
}

/// A Secret in block YAML.
pub fn secret_yaml(
    name: &str,
    namespace: Option<&str>,
    annotations: &[(&str, &str)],
    body: &str,
) -> String {
    let mut text = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n");
    if let Some(ns) = namespace {
        text.push_str(&format!("  namespace: {ns}\n"));
    }
    if !annotations.is_empty() {
        text.push_str("  annotations:\n");
        for (k, v) in annotations {
            text.push_str(&format!("    {k}: \"{v}\"\n"));
        }
    }
    text.push_str(body);
    text
}

/// File mode bits (Unix).
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
