//! `seal-guard seal`: offline kubeseal, run as a binary.
//!
//! The independent decryptor is first proven against real kubeseal output (real
//! controller keys in `../shared/vectors`); it then opens everything `seal` prints.

mod fix_support;

use std::path::Path;

use fix_support::*;
use serde_json::{Value, json};

fn vector_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap()
}

/// Follows a path such as `secrets[1].value` into a document.
fn at_path<'v>(doc: &'v Value, path: &str) -> &'v Value {
    let mut value = doc;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (
                key,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (part, None),
        };
        value = &value[key];
        if let Some(i) = index {
            value = &value[i];
        }
    }
    value
}

#[test]
fn the_independent_decryptor_opens_real_kubeseal_output() {
    let mut openings = Vec::new();
    for name in ["gitops-helm-workshop", "helm-operator-get-started"] {
        let dir = vectors().join(name);
        let expected = vector_json(&dir);
        let key = dir.join(expected["keys"][0].as_str().unwrap());
        for manifest in expected["manifests"].as_array().unwrap() {
            let file = manifest["file"].as_str().unwrap();
            let docs = parse_documents(file, &std::fs::read(dir.join(file)).unwrap());
            let sealed = &docs[0];
            let namespace = manifest["namespace"].as_str().unwrap();
            let object = manifest["name"].as_str().unwrap();
            let (label, wrong) = labels(Scope::Strict, namespace, object);
            assert_eq!(label, manifest["label"]);
            for (item, plaintext) in manifest["data"].as_object().unwrap() {
                openings.push(Opening {
                    what: format!("{name}/{file} item {item}"),
                    private_key: key.clone(),
                    sealed: sealed["spec"]["encryptedData"][item]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    label: label.clone(),
                    wrong_labels: wrong.clone(),
                    plaintext: plaintext.as_str().unwrap().as_bytes().to_vec(),
                });
            }
        }
    }
    let dir = vectors().join("kseal-raw-strict");
    let expected = vector_json(&dir);
    let key = dir.join(expected["keys"][0].as_str().unwrap());
    let (label, wrong) = labels(
        Scope::Strict,
        expected["namespace"].as_str().unwrap(),
        expected["name"].as_str().unwrap(),
    );
    assert_eq!(label, expected["label"]);
    for value in expected["values"].as_array().unwrap() {
        let file = value["file"].as_str().unwrap();
        let path = value["path"].as_str().unwrap();
        let docs = parse_documents(file, &std::fs::read(dir.join(file)).unwrap());
        openings.push(Opening {
            what: format!("kseal-raw-strict/{file} {path}"),
            private_key: key.clone(),
            sealed: at_path(&docs[0], path).as_str().unwrap().to_owned(),
            label: label.clone(),
            wrong_labels: wrong.clone(),
            plaintext: value["plaintext"].as_str().unwrap().as_bytes().to_vec(),
        });
    }
    assert_eq!(openings.len(), 10, "every vector value is checked");
    assert_opens(&openings);
}

/// Three Secrets, one per scope, with values of every shape.
fn three_scopes(tag: &str) -> (String, Vec<Value>) {
    let mut docs = Vec::new();
    for scope in Scope::ALL {
        let annotations: Vec<(&str, &str)> = scope
            .annotation()
            .map(|a| (a, "true"))
            .into_iter()
            .collect();
        docs.push(secret_yaml(
            &format!("s-{}", scope.name()),
            Some("seal-ns"),
            &annotations,
            &format!(
                "data:\n  bin: AAEC/f7/\n  both: ZGF0YS1zaWRl\nstringData:\n  both: wins-{tag}\n  \
                 text: \"seal-value-{tag} \u{2603}\"\n"
            ),
        ));
    }
    let text = format!("# Secrets to seal\n{}", docs.join("---\n"));
    let objects = parse_documents("input.yaml", text.as_bytes());
    (text, objects)
}

/// The same Secrets as concatenated JSON objects, as `kubectl get -o json` of
/// several objects (or kubeseal's own JSON output) looks.
fn as_json_stream(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_json::to_string_pretty(o).unwrap() + "\n")
        .collect()
}

fn openings_for(name: &str, secrets: &[Value], stdout: &[u8], expect: &Expect) -> Vec<Opening> {
    let sealed = parse_documents(name, stdout);
    assert_eq!(
        sealed.len(),
        secrets.len(),
        "{name}: one SealedSecret per Secret"
    );
    secrets
        .iter()
        .zip(&sealed)
        .enumerate()
        .flat_map(|(i, (secret, sealed))| {
            sealed_from(&format!("{name} document {i}"), secret, sealed, expect)
        })
        .collect()
}

#[test]
fn yaml_and_json_output_open_for_every_scope_and_key_size() {
    let tree = Tree::new();
    let mut openings = Vec::new();
    for bits in [2048, 3072, 4096] {
        let tag = format!("k{bits}");
        let (yaml, secrets) = three_scopes(&tag);
        tree.write("in.yaml", &yaml);
        let cert = cert(bits);
        let cert = cert.to_str().unwrap();
        let leaks = [
            format!("seal-value-{tag}").into_bytes(),
            format!("wins-{tag}").into_bytes(),
        ];
        let leaks: Vec<&[u8]> = leaks.iter().map(Vec::as_slice).collect();

        // A YAML file: YAML out, `---` before each document, keys sorted.
        let out = tree.run(&["seal", "--cert", cert, "in.yaml"]);
        out.code(0).assert_no_leak(&leaks);
        let stdout = out.stdout();
        assert!(stdout.starts_with("---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"));
        assert_eq!(stdout.matches("---\n").count(), 3);
        assert!(stdout.ends_with('\n') && !stdout.ends_with("\n\n"));
        openings.extend(openings_for(
            "out.yaml",
            &secrets,
            &out.stdout,
            &Expect::key(bits),
        ));

        // JSON on stdin: JSON out, one object after the other, kind first.
        let json = as_json_stream(&secrets);
        let out = tree.run_with_stdin(&["seal", "--cert", cert], json.as_bytes());
        out.code(0).assert_no_leak(&leaks);
        let stdout = out.stdout();
        assert!(stdout.starts_with("{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\""));
        assert_eq!(stdout.matches("\n}\n").count(), 3);
        openings.extend(openings_for(
            "out.json",
            &secrets,
            &out.stdout,
            &Expect::key(bits),
        ));
    }

    // --format crosses over either way.
    let (yaml, secrets) = three_scopes("cross");
    tree.write("in.yaml", &yaml);
    tree.write("in.json", as_json_stream(&secrets));
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let out = tree.run(&["seal", "--cert", cert, "--format", "json", "in.yaml"]);
    out.code(0);
    assert!(out.stdout().starts_with("{\n  \"kind\""));
    openings.extend(openings_for(
        "yaml-to.json",
        &secrets,
        &out.stdout,
        &Expect::key(2048),
    ));
    let out = tree.run(&["seal", "--cert", cert, "--format", "yaml", "in.json"]);
    out.code(0);
    assert!(out.stdout().starts_with("---\napiVersion"));
    openings.extend(openings_for(
        "json-to.yaml",
        &secrets,
        &out.stdout,
        &Expect::key(2048),
    ));

    // 3 key sizes x 2 runs x 3 Secrets x 3 items, and 2 x 3 x 3 more.
    assert_eq!(openings.len(), 72);
    assert_opens(&openings);
}

#[test]
fn output_shape_matches_kubeseal() {
    let tree = Tree::new();
    tree.write("full.yaml", fixture("shape/full-metadata.yaml"));
    let secret = &parse_documents("full.yaml", &fixture("shape/full-metadata.yaml"))[0];
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let out = tree.run(&["seal", "--cert", cert, "--format", "json", "full.yaml"]);
    out.code(0)
        .assert_no_leak(&[b"shape-pass-3141", b"shape-user-2718"]);
    let sealed = &parse_documents("out.json", &out.stdout)[0];
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(sealed), ["kind", "apiVersion", "metadata", "spec"]);
    assert_eq!(keys(&sealed["spec"]), ["template", "encryptedData"]);
    assert_eq!(
        keys(&sealed["spec"]["template"]),
        ["metadata", "type", "immutable"]
    );
    assert_eq!(
        sealed["spec"]["template"]["metadata"],
        json!({
            "name": "full",
            "namespace": "shop",
            "generateName": "full-",
            "labels": {"app.kubernetes.io/name": "shop", "tier": "backend"},
            "annotations": {"description": "keep me", "owner": "team-shop"},
            "finalizers": ["example.com/keep"],
        })
    );
    let mut openings = sealed_from("full.json", secret, sealed, &Expect::key(2048));

    let out = tree.run(&["seal", "--cert", cert, "full.yaml"]);
    out.code(0)
        .assert_no_leak(&[b"shape-pass-3141", b"shape-user-2718"]);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    assert_eq!(keys(sealed), ["apiVersion", "kind", "metadata", "spec"]);
    assert_eq!(keys(&sealed["spec"]), ["encryptedData", "template"]);
    assert_eq!(
        keys(&sealed["spec"]["template"]),
        ["immutable", "metadata", "type"]
    );
    assert_eq!(
        keys(&sealed["spec"]["template"]["metadata"]),
        [
            "annotations",
            "finalizers",
            "generateName",
            "labels",
            "name",
            "namespace"
        ]
    );
    openings.extend(sealed_from("full.yaml", secret, sealed, &Expect::key(2048)));
    assert_opens(&openings);
}

fn assert_raw_base64(what: &str, stdout: &[u8]) -> String {
    assert!(!stdout.is_empty(), "{what}: nothing printed");
    assert!(
        !stdout.ends_with(b"\n"),
        "{what}: --raw prints no trailing newline"
    );
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            && text.len().is_multiple_of(4),
        "{what}: --raw prints standard padded base64 and nothing else"
    );
    text.to_owned()
}

#[test]
fn raw_prints_bare_base64_that_opens_under_its_label_only() {
    let tree = Tree::new();
    let mut openings = Vec::new();
    // Binary bytes and a trailing newline are part of the value.
    let value: Vec<u8> = b"raw-secret-value\x00\xff\n".to_vec();
    for bits in [2048, 3072, 4096] {
        let cert = cert(bits);
        let cert = cert.to_str().unwrap();
        for scope in Scope::ALL {
            let mut args = vec![
                "seal",
                "--raw",
                "--cert",
                cert,
                "--namespace",
                "raw-ns",
                "--name",
                "raw-name",
            ];
            if scope != Scope::Strict || bits == 2048 {
                // Strict is the default; say it explicitly for one key size only.
                args.extend(["--scope", scope.name()]);
            }
            let out = tree.run_with_stdin(&args, &value);
            out.code(0).assert_no_leak(&[b"raw-secret-value"]);
            let what = format!("--raw {bits} {}", scope.name());
            let sealed = assert_raw_base64(&what, &out.stdout);
            let (label, wrong_labels) = labels(scope, "raw-ns", "raw-name");
            openings.push(Opening {
                what,
                private_key: private_key(bits),
                sealed,
                label,
                wrong_labels,
                plaintext: value.clone(),
            });
        }
    }
    // Cluster-wide needs neither namespace nor name; an empty value is legal.
    let cert2048 = cert(2048);
    let out = tree.run_with_stdin(
        &[
            "seal",
            "--raw",
            "--scope",
            "cluster-wide",
            "--cert",
            cert2048.to_str().unwrap(),
        ],
        b"",
    );
    out.code(0);
    openings.push(Opening {
        what: "--raw cluster-wide, empty".to_owned(),
        private_key: private_key(2048),
        sealed: assert_raw_base64("--raw empty", &out.stdout),
        label: String::new(),
        wrong_labels: vec!["default".to_owned()],
        plaintext: Vec::new(),
    });
    assert_opens(&openings);
}

#[test]
fn raw_refuses_a_label_it_cannot_build() {
    let tree = Tree::new();
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["--namespace", "ns"],
        &["--name", "n"],
        &["--scope", "namespace-wide", "--name", "n"],
        &["--scope", "strict", "--namespace", "ns"],
    ];
    for extra in cases {
        let mut args = vec!["seal", "--raw", "--cert", cert];
        args.extend(*extra);
        let out = tree.run_with_stdin(&args, b"raw-refused-value");
        out.code(2).assert_no_leak(&[b"raw-refused-value"]);
        assert!(out.stdout.is_empty(), "{extra:?}: nothing on stdout");
    }
}

#[test]
fn raw_takes_scope_and_namespace_from_the_config() {
    let tree = Tree::new();
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let mut openings = Vec::new();
    for (config, label) in [
        ("scope: cluster-wide\n", ""),
        ("scope: namespace-wide\nnamespace: cfg-ns\n", "cfg-ns"),
    ] {
        tree.write(".seal-guard.yaml", config);
        let out = tree.run_with_stdin(&["seal", "--raw", "--cert", cert], b"raw-config-value");
        out.code(0);
        openings.push(Opening {
            what: format!("--raw with {config:?}"),
            private_key: private_key(2048),
            sealed: assert_raw_base64(config, &out.stdout),
            label: label.to_owned(),
            wrong_labels: vec![
                "cfg-ns/x".to_owned(),
                if label.is_empty() { "cfg-ns" } else { "" }.to_owned(),
            ],
            plaintext: b"raw-config-value".to_vec(),
        });
    }
    assert_opens(&openings);
}

#[test]
fn an_explicit_scope_replaces_the_secret_annotation_as_kubeseal_does() {
    let tree = Tree::new();
    let secret_text = secret_yaml(
        "annotated",
        Some("ns"),
        &[(NAMESPACE_WIDE, "true")],
        "stringData:\n  v: scope-flag-value\n",
    );
    tree.write("in.yaml", &secret_text);
    let secret = parse_documents("in.yaml", secret_text.as_bytes()).remove(0);
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let mut openings = Vec::new();

    // --scope cluster-wide: the Secret's namespace-wide annotation is replaced.
    let out = tree.run(&["seal", "--cert", cert, "--scope", "cluster-wide", "in.yaml"]);
    out.code(0);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    assert_eq!(
        sealed["metadata"]["annotations"],
        json!({ CLUSTER_WIDE: "true" })
    );
    assert_eq!(
        sealed["spec"]["template"]["metadata"]["annotations"],
        json!({ CLUSTER_WIDE: "true" })
    );
    let mut rescoped = secret.clone();
    rescoped["metadata"]["annotations"] = json!({ CLUSTER_WIDE: "true" });
    openings.extend(sealed_from(
        "--scope cluster-wide",
        &rescoped,
        sealed,
        &Expect::key(2048),
    ));

    // --scope strict cannot undo an annotation (kubeseal's rule).
    let out = tree.run(&["seal", "--cert", cert, "--scope", "strict", "in.yaml"]);
    out.code(0);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    openings.extend(sealed_from(
        "--scope strict",
        &secret,
        sealed,
        &Expect::key(2048),
    ));
    assert_opens(&openings);
}

#[test]
fn namespace_and_name_flags() {
    let tree = Tree::new();
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let no_ns = secret_yaml("plain", None, &[], "stringData:\n  v: flag-value-1\n");
    let own_ns = secret_yaml(
        "plain",
        Some("own"),
        &[],
        "stringData:\n  v: flag-value-2\n",
    );
    let wide = secret_yaml(
        "plain",
        Some("own"),
        &[(CLUSTER_WIDE, "true")],
        "stringData:\n  v: flag-value-3\n",
    );
    tree.write("no-ns.yaml", &no_ns);
    tree.write("own-ns.yaml", &own_ns);
    tree.write("wide.yaml", &wide);
    let parse = |text: &str| parse_documents("in.yaml", text.as_bytes()).remove(0);
    let mut openings = Vec::new();

    // --namespace fills in a missing namespace.
    let out = tree.run(&["seal", "--cert", cert, "-n", "given", "no-ns.yaml"]);
    out.code(0);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    openings.extend(sealed_from(
        "-n given",
        &parse(&no_ns),
        sealed,
        &Expect::key(2048).namespace("given"),
    ));

    // ... and must agree with one the Secret names, unless cluster-wide.
    let out = tree.run(&["seal", "--cert", cert, "-n", "other", "own-ns.yaml"]);
    out.code(2);
    assert!(
        out.stderr().contains("namespace mismatch"),
        "{}",
        out.stderr()
    );
    assert!(out.stdout.is_empty());
    let out = tree.run(&["seal", "--cert", cert, "-n", "other", "wide.yaml"]);
    out.code(0);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    openings.extend(sealed_from(
        "cluster-wide -n other",
        &parse(&wide),
        sealed,
        &Expect::key(2048),
    ));

    // --name renames, and the strict label follows the new name.
    let out = tree.run(&["seal", "--cert", cert, "--name", "renamed", "own-ns.yaml"]);
    out.code(0);
    let sealed = &parse_documents("out.yaml", &out.stdout)[0];
    let mut renamed = parse(&own_ns);
    renamed["metadata"]["name"] = json!("renamed");
    openings.extend(sealed_from(
        "--name renamed",
        &renamed,
        sealed,
        &Expect::key(2048),
    ));
    assert_eq!(openings.last().unwrap().label, "own/renamed");

    // No namespace at all for a strict Secret: refused, nothing printed.
    let out = tree.run(&["seal", "--cert", cert, "no-ns.yaml"]);
    out.code(2).assert_no_leak(&[b"flag-value-1"]);
    assert!(out.stdout.is_empty());
    assert_opens(&openings);
}

#[test]
fn unusable_certificates_and_inputs_are_refused() {
    let tree = Tree::new();
    let text = secret_yaml(
        "s",
        Some("ns"),
        &[],
        "stringData:\n  v: seal-refusal-value\n",
    );
    tree.write("in.yaml", &text);
    let cases: &[(&[&str], &str)] = &[
        (&["--cert", "KEYS/expired-2021.crt"], "2021-01-01"),
        (&["--cert", "KEYS/ec-p256.crt"], "RSA"),
        (&["--cert", "KEYS/rsa-1024.crt"], "1024"),
        (&[], "no sealing certificate"),
    ];
    let keys = key_file("");
    let keys = keys.to_str().unwrap().trim_end_matches('/');
    for (extra, says) in cases {
        let extra: Vec<String> = extra.iter().map(|a| a.replace("KEYS", keys)).collect();
        let mut args = vec!["seal"];
        args.extend(extra.iter().map(String::as_str));
        args.push("in.yaml");
        let out = tree.run(&args);
        out.code(2).assert_no_leak(&[b"seal-refusal-value"]);
        assert!(out.stdout.is_empty());
        assert!(out.stderr().contains(says), "{extra:?}: {}", out.stderr());
    }
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    for (input, says) in [
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            "ConfigMap",
        ),
        ("# nothing here\n", "no Secret"),
    ] {
        let out = tree.run_with_stdin(&["seal", "--cert", cert], input.as_bytes());
        out.code(2);
        assert!(out.stderr().contains(says), "{}", out.stderr());
    }

    // What does seal: an expired certificate allowed explicitly, bare public keys,
    // and the certificate named in the config.
    let secret = parse_documents("in.yaml", text.as_bytes()).remove(0);
    let mut openings = Vec::new();
    let expired = key_file("expired-2021.crt");
    let runs: Vec<Vec<String>> = vec![
        vec![
            "--allow-expired-cert".into(),
            "--cert".into(),
            expired.to_str().unwrap().into(),
        ],
        vec![
            "--cert".into(),
            key_file("rsa-2048.pub.pem").to_str().unwrap().into(),
        ],
        vec![
            "--cert".into(),
            key_file("rsa-2048.rsapub.pem").to_str().unwrap().into(),
        ],
        vec![],
    ];
    tree.write("certs/config.crt", std::fs::read(cert).unwrap());
    tree.write(".seal-guard.yaml", "cert: certs/config.crt\n");
    for extra in &runs {
        let mut args = vec!["seal"];
        args.extend(extra.iter().map(String::as_str));
        args.push("in.yaml");
        let out = tree.run(&args);
        out.code(0).assert_no_leak(&[b"seal-refusal-value"]);
        let sealed = &parse_documents("out.yaml", &out.stdout)[0];
        openings.extend(sealed_from(
            &format!("{extra:?}"),
            &secret,
            sealed,
            &Expect::key(2048),
        ));
    }
    assert_opens(&openings);
}
