//! Seed inputs, kept in Rust source rather than as YAML files so that
//! seal-guard checking its own repository does not report them. Each exercises
//! a path of the reader: document markers, flow and block style, anchors and
//! merge keys, lists of Secrets, kustomize generators, templates, encodings.

use std::path::Path;

use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::hybrid;

const MANIFESTS: &[&str] = &[
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ndata:\n  password: aHVudGVyMg==\n",
    "apiVersion: v1\nkind: Secret\nstringData:\n  token: |\n    line one\n    line two\n",
    "# head\n---\napiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n---\napiVersion: v1\nkind: Secret\ndata: {k: dg==}\n...\n--- {kind: Secret, apiVersion: v1, data: {a: b}}\n",
    "%YAML 1.2\n---\nbase: &b {apiVersion: v1, kind: Secret}\nobj:\n  <<: *b\n  data: {k: v}\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  data: {a: b}\n- kind: SecretList\n  apiVersion: v1\n  items:\n  - data: {c: d}\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n- name: app\n  literals:\n  - password=hunter2\n  files: [secret.txt]\n",
    "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"a\":\"b\"}}'\nspec:\n  encryptedData:\n    a: AgBy3i4OJSWK+PiTySYZZA==\n  template:\n    data:\n      url: postgres://u:pw@h\n",
    "apiVersion: v1\nkind: Secret\ndata:\n  a: \"{{ .Values.a | b64enc }}\"\n  b: ${B}\n",
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: Secret\ndata:\n  a: {{ .Values.a }}\n{{- end }}\n",
    "apiVersion: v1\r\nkind: Secret\r\ndata:\r\n  \"quoted key\": 'c2VjcmV0'\r\n",
    "apiVersion: v1\nkind: \"Sec\\x72et\"\ndata: {\"k\\u0041\": !!binary aGk=}\nmetadata: {annotations: {seal-guard/allow: \"test data\"}}\n",
    "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {\"a\": \"Yg==\"}}\n{\"kind\": \"ConfigMap\"}\n",
    "[{\"kind\": \"Secret\"}, {\"items\": [1, 2.5, null, true]}]",
    "? complex\n: key\nkind: Secret\napiVersion: v1\ndata:\n  ? a\n  : b\n",
    "apiVersion: v1\nkind: Secret\ndata:\n  a: >-\n    folded\n    text\n\n  b: 'it''s'\n  c: \"esc\\t\\n\"\n",
];

const CONFIGS: &[&str] = &[
    "",
    "cert: certs/prod.pem\nscope: strict\nnamespace: apps\ninclude: [\"clusters/**\"]\nexclude: [\"**/testdata/**\"]\nmax_file_size: 5MiB\nprivate_keys: [backup/keys.yaml]\n",
    "allow:\n  - path: \"e2e/**\"\n    kind: Secret\n    namespace: e2e\n    name: dummy\n    rules: [plaintext-secret]\n    reason: public test credentials\n",
    "overrides:\n  - paths: [\"clusters/staging/**\", \"*.tmpl.yaml\"]\n    cert: certs/staging.pem\n    scope: namespace-wide\n    namespace: staging\n",
    "max_file_size: 1048576\nexclude:\n  - \"{a,b}/**\"\n  - \"[!x]*.yaml\"\n",
    "scope: cluster-wide\nallow: [{reason: r}]\noverrides: [{paths: [\"**\"]}]\n",
];

/// The seeds of one target, by its binary name: inputs written here, files of
/// the repository's `fixtures/keys`, and the shared test vectors when
/// `../../shared/vectors` exists beside the checkout (paths are relative to
/// `fuzz/`, where the targets run).
pub fn for_target(name: &str) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let files = |dir: &str| {
        let mut found = Vec::new();
        super::collect(Path::new(dir), &mut found);
        found
    };
    match name {
        "manifest" => {
            seeds.extend(MANIFESTS.iter().map(|t| t.as_bytes().to_vec()));
            // The same Secret as UTF-16 (both byte orders) and behind a BOM.
            let text = MANIFESTS[0];
            let mut le = vec![0xFF, 0xFE];
            let mut be = vec![0xFE, 0xFF];
            for unit in text.encode_utf16() {
                le.extend_from_slice(&unit.to_le_bytes());
                be.extend_from_slice(&unit.to_be_bytes());
            }
            seeds.push(le);
            seeds.push(be);
            seeds.push([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat());
            seeds.extend(files(VECTORS));
        }
        "config" => seeds.extend(CONFIGS.iter().map(|t| t.as_bytes().to_vec())),
        "sealed_value" => {
            // Values kubeseal made (4096-bit keys) and values sealed here for
            // the 2048-bit fixture key the target opens with.
            for file in files(VECTORS) {
                seeds.extend(base64_runs(&file, 300));
            }
            let cert = std::fs::read(format!("{FIXTURES}/rsa-2048.crt")).unwrap_or_default();
            let options = LoadOptions {
                allow_expired: true,
            };
            if let Ok(key) = SealingKey::from_pem(&cert, options) {
                for plaintext in ["", "hunter2", "a longer value, with\nlines\n"] {
                    let label = b"apps/db-credentials";
                    if let Ok(value) = hybrid::seal_base64(&key, label, plaintext.as_bytes()) {
                        seeds.push(value.into_bytes());
                    }
                }
            }
        }
        "key_material" => {
            seeds.extend(files(FIXTURES));
            seeds.extend(files(VECTORS));
        }
        _ => {}
    }
    seeds
}

const FIXTURES: &str = "../fixtures/keys";
const VECTORS: &str = "../../shared/vectors";

/// Runs of at least `min` base64 characters: sealed values in a file.
fn base64_runs(bytes: &[u8], min: usize) -> Vec<Vec<u8>> {
    bytes
        .split(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        .filter(|run| run.len() >= min)
        .map(<[u8]>::to_vec)
        .collect()
}
