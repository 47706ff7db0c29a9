//! Never spill: random Secrets, in every shape the rules look at, go through
//! every output format, every command that reads them and `-vvv` logging, and no
//! value, nor its base64 form, may appear in stdout or stderr. After `fix`, no
//! file but the sealed results may have changed, and none may hold a value.
//!
//! The values are drawn from a small deterministic generator (a seed per round,
//! printed on failure), so a failing round can be replayed exactly.

#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use base64::Engine as _;

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys/rsa-2048.crt");
const ROUNDS: u64 = 6;

/// xorshift64*: enough randomness to vary shapes and values, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> usize {
        usize::try_from(self.next() % n).unwrap()
    }

    /// A value no output could contain by chance: a marker and random letters.
    fn value(&mut self) -> String {
        let letters: String = (0..14)
            .map(|_| char::from(b'a' + u8::try_from(self.next() % 26).unwrap()))
            .collect();
        format!("spill{letters}")
    }
}

/// One file holding random Secrets in a random shape; returns its text and the
/// values it holds.
fn random_file(rng: &mut Rng, index: usize) -> (String, String, Vec<String>) {
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    let a = rng.value();
    let b = rng.value();
    let name = format!("s{index}");
    let (file, text) = match rng.below(8) {
        0 => (
            format!("f{index}.yaml"),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: ns}}\ndata:\n  a: {}\nstringData:\n  b: {b}\n",
                b64(&a)
            ),
        ),
        1 => (
            format!("f{index}.yaml"),
            format!(
                "# a comment\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: {name}, namespace: ns}}\n  stringData: {{a: \"{a}\", b: '{b}'}}\n"
            ),
        ),
        2 => (
            format!("f{index}.json"),
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {{\"name\": \"{name}\", \"namespace\": \"ns\"}}, \"data\": {{\"a\": \"{}\"}}, \"stringData\": {{\"b\": \"{b}\"}}}}\n",
                b64(&a)
            ),
        ),
        3 => (
            format!("f{index}.yaml"),
            format!(
                "kind: ConfigMap\nmetadata: {{name: before}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: ns}}\nstringData:\n  a: &w {a}\n  b: *w\n  c: {b}\n"
            ),
        ),
        4 => (
            format!("kustomization-{index}/kustomization.yaml"),
            format!("secretGenerator:\n- name: {name}\n  literals:\n  - A={a}\n  - B={b}\n"),
        ),
        5 => (
            format!("f{index}.yaml"),
            format!(
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  encryptedData: {{}}\n  template:\n    metadata:\n      annotations:\n        kubectl.kubernetes.io/last-applied-configuration: '{{\"stringData\":{{\"a\":\"{a}\"}}}}'\n    data:\n      b: {b}\n"
            ),
        ),
        6 => (
            format!("f{index}.yaml"),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: ns}}\nstringData:\n  a: {a}\n  b: [{b}\n"
            ),
        ),
        _ => (
            format!("f{index}.yaml"),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: ns\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{{\"data\":{{\"a\":\"{}\"}}}}'\ndata:\n  a: {}\n  b: {}\n",
                b64(&a),
                b64(&a),
                b64(&b)
            ),
        ),
    };
    (file, text, vec![a, b])
}

fn run(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_seal-guard"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (text, output.status.code())
}

fn forms(value: &str) -> [String; 2] {
    [
        value.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(value),
    ]
}

#[test]
fn no_value_of_a_random_secret_reaches_any_output_or_file() {
    let base_seed = std::env::var("SEAL_GUARD_SPILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EA1_6A4D);
    for round in 0..ROUNDS {
        let seed = base_seed + round;
        let mut rng = Rng(seed | 1);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".seal-guard.yaml"),
            format!("cert: {CERT}\n"),
        )
        .unwrap();
        let mut values = Vec::new();
        let mut files = Vec::new();
        for index in 0..12 {
            let (file, text, file_values) = random_file(&mut rng, index);
            let path = dir.path().join(&file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            files.push((file, text));
            values.extend(file_values);
        }
        let mut outputs = Vec::new();
        for format in ["human", "json", "sarif", "github"] {
            for verbosity in ["-q", "-vvv"] {
                outputs.push(run(dir.path(), &[verbosity, "check", "--format", format]));
                outputs.push(run(
                    dir.path(),
                    &[verbosity, "fix", "--dry-run", "--format", format],
                ));
            }
        }
        outputs.push(run(dir.path(), &["-vvv", "fix", "--format", "json"]));
        outputs.push(run(dir.path(), &["-vvv", "check", "--history"]));
        for (text, code) in &outputs {
            assert!(matches!(code, Some(0..=2)), "seed {seed}: exit {code:?}");
            for value in &values {
                for form in forms(value) {
                    assert!(
                        !text.contains(&form),
                        "seed {seed}: a secret value (or its base64) reached the output"
                    );
                }
            }
        }
        // After fix: a file either kept its bytes (it could not or need not be
        // sealed) or holds no value any more; no other file appeared.
        for (file, before) in &files {
            let after = std::fs::read_to_string(dir.path().join(file)).unwrap();
            if &after != before {
                for value in &values {
                    for form in forms(value) {
                        assert!(
                            !after.contains(&form),
                            "seed {seed}: {file} was rewritten but still holds a value"
                        );
                    }
                }
            }
        }
        let mut names: Vec<String> = Vec::new();
        for entry in walk(dir.path()) {
            names.push(
                entry
                    .strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        let mut expected: Vec<String> = files.iter().map(|(f, _)| f.clone()).collect();
        expected.push(".seal-guard.yaml".to_owned());
        names.sort();
        expected.sort();
        assert_eq!(names, expected, "seed {seed}: files appeared or went away");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
