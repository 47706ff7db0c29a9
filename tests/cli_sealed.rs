//! SealedSecret validation, key verification and reseal, through the real binary.
//!
//! The corpus (see `sealed_support`) is real kubeseal output sealed with real
//! controller keys, and fixtures written by `tests/independent/make_vectors.py` with
//! Python's `cryptography` package: every shape of SealedSecret seal-guard must read
//! was sealed by an implementation that is not ours. Each case here runs
//! `seal-guard` in a temporary folder and asserts exact rule ids, severities, lines
//! and columns, exact `verified` entries with SSH fingerprints computed in Python,
//! and, after `reseal`, what Python opens. No output may hold a plaintext.
//!
//! 4096-bit RSA is slow in a debug build; only the real vectors (which are 4096-bit)
//! and one certificate-size case use it.

mod sealed_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealed_support::variants::*;
use sealed_support::*;

// ---------------------------------------------------------------------------------
// The corpus itself.

#[test]
fn the_committed_fixtures_open_in_python_as_expected_json_says() {
    let sandbox = Sandbox::new();
    plant_corpus(&sandbox);
    let corpus = corpus();
    assert!(corpus.iter().filter(|i| i.is_generated()).count() >= 15);
    assert_eq!(corpus.iter().filter(|i| !i.is_generated()).count(), 10);
    // One Python run: every value under its label and under a wrong one, every key
    // tried on each; the key that opens it must be the one expected.json names.
    let mut keys: Vec<&Path> = corpus.iter().map(|i| i.key_file.as_path()).collect();
    keys.sort();
    keys.dedup();
    let values: Vec<(String, String)> = corpus
        .iter()
        .flat_map(|item| {
            let value = value_in(&sandbox.read(&item.file), item);
            [
                (item.label.clone(), value.clone()),
                (format!("{}x", item.label), value),
            ]
        })
        .collect();
    let answer = python_open(&keys, &values);
    for (item, results) in corpus.iter().zip(answer.results.chunks(2)) {
        let what = format!("{} {}", item.file, item.item);
        let key = keys.iter().position(|k| *k == item.key_file).unwrap();
        let right = &results[0];
        assert_eq!(
            right.key.as_ref(),
            Some(&answer.fingerprints[key]),
            "{what}: not opened by its key ({:?})",
            right.why
        );
        assert!(
            right.sha256.as_deref() == Some(item.plaintext_sha256().as_str()),
            "{what}: opens to something else than expected.json says"
        );
        assert_eq!(results[1].key, None, "{what}: opens under a wrong label");
        assert_eq!(results[1].why.as_deref(), Some("rsa"), "{what}");
        if let Some(stated) = &item.stated_fingerprint {
            assert_eq!(
                &answer.fingerprints[key], stated,
                "{what}: the vector's key"
            );
        }
    }

    // The legacy blob holds the whole Secret as JSON, its values base64-encoded.
    let legacy: Vec<GeneratedItem> = generated()
        .files
        .into_iter()
        .flat_map(|f| f.objects)
        .flat_map(|o| o.items)
        .filter(|i| i.item == "data")
        .collect();
    assert_eq!(legacy.len(), 1);
    let secret: serde_json::Value = serde_json::from_str(&legacy[0].plaintext).unwrap();
    assert_eq!(secret["kind"], "Secret");
    let data = legacy[0].secret_data.as_ref().unwrap();
    assert_eq!(secret["data"].as_object().unwrap().len(), data.len());
    for (key, value) in data {
        let encoded = secret["data"][key].as_str().unwrap();
        assert!(
            STANDARD.decode(encoded).unwrap() == value.as_bytes(),
            "{key}"
        );
    }
}

#[test]
fn the_generator_reproduces_the_fixtures_in_shape() {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(python())
        .arg(repo().join("tests/independent/make_vectors.py"))
        .arg("--out")
        .arg(out.path())
        .status()
        .expect("python3 runs");
    assert!(status.success(), "make_vectors.py failed");

    let listing = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(listing(out.path()), listing(&generated_dir()));
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).unwrap();

    // Same text around the values; every value new (fresh keys, fresh OAEP seeds).
    // Files without values (expected.json, the README, the template-only object)
    // are reproduced byte for byte.
    let corpus = corpus();
    let mut compared = 0;
    for name in listing(&generated_dir()) {
        let items = items_of(&corpus, &format!("gen/{name}"));
        let (old, new) = (read(&generated_dir(), &name), read(out.path(), &name));
        if items.is_empty() {
            assert_eq!(old, new, "{name}");
        } else {
            assert_eq!(masked(&old, &items), masked(&new, &items), "{name}");
            for item in items {
                assert_ne!(value_in(&old, item), value_in(&new, item), "{name}");
            }
        }
        compared += 1;
    }
    assert_eq!(compared, 12);
}

// ---------------------------------------------------------------------------------
// Clean checks and verification.

#[test]
fn the_real_and_generated_vectors_check_clean() {
    let sandbox = Sandbox::new();
    plant_corpus(&sandbox);
    let run = sandbox.run(&["check", "--format", "json"]);
    // The vectors' controller key Secrets are plaintext Secrets, and nothing else
    // is a finding.
    run.assert_code(1);
    let found: Vec<(String, String)> = run
        .findings()
        .into_iter()
        .map(|f| (f.path, f.rule))
        .collect();
    let keys: Vec<(String, String)> = vector_dirs()
        .iter()
        .map(|(dir, expected)| {
            let file = expected["keys"][0].as_str().unwrap();
            (format!("vectors/{dir}/{file}"), "plaintext-secret".into())
        })
        .collect();
    assert_eq!(found, keys);
    assert_no_spill(&run, &plaintexts());

    let run = sandbox.run(&["check", "--format", "json", "gen"]);
    run.assert_code(0);
    assert_eq!(run.findings(), []);
    assert_eq!(run.json()["summary"]["files"], 10);
}

#[test]
fn every_generated_item_is_verified_with_its_keys_fingerprint() {
    let sandbox = Sandbox::new();
    plant_generated(&sandbox, "gen");
    let corpus: Vec<Item> = corpus().into_iter().filter(Item::is_generated).collect();
    let (k2048, k3072) = (key("rsa-2048.key"), key("rsa-3072.key"));
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert_eq!(run.findings(), []);

    let fingerprints: BTreeMap<&Path, String> = [k2048.as_path(), k3072.as_path()]
        .into_iter()
        .zip(python_fingerprints(&[&k2048, &k3072]))
        .collect();
    assert_ne!(fingerprints[k2048.as_path()], fingerprints[k3072.as_path()]);
    let mut expected: Vec<Verified> = corpus
        .iter()
        .map(|item| {
            let text = sandbox.read(&item.file);
            expected_verified(item, &text, &fingerprints[item.key_file.as_path()])
        })
        .collect();
    expected.sort();
    assert_eq!(run.verified(), expected);
    assert_eq!(run.json()["summary"]["verified"], expected.len());
}

#[test]
fn every_real_vector_item_is_verified_with_the_controllers_fingerprint() {
    let sandbox = Sandbox::new();
    plant_corpus(&sandbox);
    let corpus = corpus();
    let dirs = vector_dirs();
    let keys: Vec<_> = dirs.iter().map(|(dir, _)| vector_key(dir)).collect();
    let computed = python_fingerprints(&keys.iter().map(|k| k.as_path()).collect::<Vec<_>>());
    for ((dir, expected), (key, computed)) in dirs.into_iter().zip(keys.iter().zip(computed)) {
        let stated = expected["key_ssh_sha256"].as_str().unwrap();
        assert_eq!(computed, stated, "{dir}: Python agrees with the vector");
        let run = sandbox.run(&[
            "check",
            "--format",
            "json",
            "--private-key",
            key.to_str().unwrap(),
            &format!("vectors/{dir}"),
        ]);
        run.assert_code(1);
        let key_secret = format!("vectors/{dir}/{}", expected["keys"][0].as_str().unwrap());
        let rules: Vec<(String, String)> = run
            .findings()
            .into_iter()
            .map(|f| (f.path, f.rule))
            .collect();
        assert_eq!(
            rules,
            [(key_secret, "plaintext-secret".to_owned())],
            "{dir}"
        );

        let prefix = format!("vectors/{dir}/");
        let mut want: Vec<Verified> = corpus
            .iter()
            .filter(|i| i.file.starts_with(&prefix))
            .map(|item| expected_verified(item, &sandbox.read(&item.file), stated))
            .collect();
        want.sort();
        assert!(!want.is_empty());
        assert_eq!(run.verified(), want, "{dir}");
        assert_no_spill(&run, &plaintexts());
    }
}

// ---------------------------------------------------------------------------------
// Corrupted variants, one rule at a time.

#[test]
fn sealed_malformed_reports_each_broken_object_and_item_once() {
    let mut expect = Expect::default();
    for b in bases() {
        let end = b.end();
        let dir = "malformed";

        // The target object's apiVersion (in a list, the item's own).
        let at = b.text[..end].rfind("bitnami.com/v1alpha1").unwrap();
        let text = splice(&b.text, at, "bitnami.com/v1alpha1".len(), "bitnami.com/v1");
        expect
            .file(b.variant(dir, "api-version"), text)
            .at(at, "sealed-malformed", "error");

        // Neither encryptedData nor the legacy data: the one it has is renamed.
        let legacy = b.item.as_ref().is_some_and(|i| i.item == "data");
        let text = if legacy {
            let key = key_at(&b.text, end);
            splice(&b.text, key, "data".len(), "datum")
        } else {
            let at = b.text[..end].rfind("encryptedData").unwrap();
            splice(&b.text, at, "encryptedData".len(), "encryptedDatum")
        };
        expect
            .file(b.variant(dir, "neither"), text)
            .at(b.kind_at(), "sealed-malformed", "error");

        // Both: the other one is added above the one it has.
        let (at, line) = if legacy {
            (line_start(&b.text, end), "encryptedData: {}\n".to_owned())
        } else {
            let at = line_start(&b.text, b.text[..end].rfind("encryptedData").unwrap());
            let line = if b.json {
                format!("\"data\": \"{}\",\n", shaped_blob())
            } else {
                format!("data: {}\n", shaped_blob())
            };
            (at, line)
        };
        let inserted = format!("{}{line}", indent(&b.text, at));
        let text = splice(&b.text, at, 0, &inserted);
        // Both at once: the finding points at the legacy `data` key.
        let data_at = if legacy { at + inserted.len() } else { at };
        expect
            .file(b.variant(dir, "both"), text)
            .at(data_at, "sealed-malformed", "error");

        // A number where the first sealed value was (its quotes too, if any).
        let Some(item) = &b.item else { continue };
        let value = b.value();
        let quoted = b.text[..end].ends_with(['"', '\'']);
        let (at, len) = if quoted {
            (end - 1, value.len() + 2)
        } else {
            (end, value.len())
        };
        let text = splice(&b.text, at, len, "12345");
        expect
            .file(b.variant(dir, "not-a-string"), text)
            .at(at, "sealed-malformed", "error");

        // An item key with a character Secret keys cannot have.
        if !legacy {
            let key = key_at(&b.text, end);
            let quote = usize::from(b.text[key..].starts_with(['"', '\'']));
            assert!(b.text[key + quote..].starts_with(item.key_name()));
            let text = splice(&b.text, key + quote, 0, "bad/");
            expect
                .file(b.variant(dir, "bad-item-key"), text)
                .at(key, "sealed-malformed", "error");
        }
    }
    let sandbox = Sandbox::new();
    expect.plant(&sandbox);
    let run = sandbox.run(&["check", "--format", "json", "malformed"]);
    run.assert_code(1);
    run.assert_findings(&expect.sorted());
    assert!(expect.files.len() >= 60, "{} variants", expect.files.len());

    let message = |file: &str, what: &str| {
        let path = base_named(&bases(), file).variant("malformed", what);
        let finding = run.findings().into_iter().find(|f| f.path == path).unwrap();
        run.message(&path, finding.line, "sealed-malformed")
    };
    let m = message("gen/json-secret.json", "api-version");
    assert!(m.contains("\"bitnami.com/v1\""), "{m}");
    let m = message("gen/legacy-v1.yaml", "both");
    assert!(
        m.contains("both spec.encryptedData and the legacy spec.data"),
        "{m}"
    );
    let m = message("gen/list.yaml", "neither");
    assert!(m.contains("workers/queue-a has neither"), "{m}");
    let m = message("gen/raw-assembled.yaml", "not-a-string");
    assert!(
        m.contains("encryptedData.admin-user is not a string"),
        "{m}"
    );
    let m = message("gen/cluster-wide.yaml", "bad-item-key");
    assert!(
        m.contains("\"bad/.dockerconfigjson\" is not a valid Secret key"),
        "{m}"
    );
}

#[test]
fn sealed_bad_value_reports_each_value_that_cannot_be_a_blob() {
    let mut expect = Expect::default();
    let mut variants = 0;
    for b in bases() {
        let Some(at) = b.value_at else { continue };
        let value = b.value().to_owned();
        assert!(
            value.contains(['+', '/']),
            "{}: a value with + or /",
            b.file
        );
        let mut blob = STANDARD.decode(&value).unwrap();
        blob[..2].copy_from_slice(&64u16.to_be_bytes());
        // Not every value has padding to strip: take the first that has.
        let corpus = corpus();
        let padded = items_of(&corpus, &b.file)
            .into_iter()
            .map(|i| value_in(&b.text, i))
            .filter(|v| v.ends_with('='))
            .map(|v| (b.text.find(&v).unwrap(), v))
            .min()
            .unwrap_or_else(|| panic!("{}: no padded value", b.file));
        let changes = [
            (
                "url-safe",
                at,
                &value,
                value.replace('+', "-").replace('/', "_"),
            ),
            (
                "unpadded",
                padded.0,
                &padded.1,
                padded.1.trim_end_matches('=').to_owned(),
            ),
            ("truncated", at, &value, value[..101].to_owned()),
            ("prefix-out-of-range", at, &value, STANDARD.encode(&blob)),
            ("too-short", at, &value, "AQA=".to_owned()),
        ];
        for (what, at, value, changed) in changes {
            let text = splice(&b.text, at, value.len(), &changed);
            expect
                .file(b.variant("bad", what), text)
                .at(at, "sealed-bad-value", "error");
            variants += 1;
        }
    }
    assert!(variants >= 60, "{variants} variants");
    let sandbox = Sandbox::new();
    expect.plant(&sandbox);
    let run = sandbox.run(&["check", "--format", "json", "bad"]);
    run.assert_code(1);
    run.assert_findings(&expect.sorted());

    // With keys, such a value is still one finding, not also an undecryptable one
    // (the real vectors' other items are: their keys are not given).
    let (k2048, k3072) = (key("rsa-2048.key"), key("rsa-3072.key"));
    let keyed = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
        "bad",
    ]);
    let bad_items: BTreeSet<(String, u64)> = expect
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.line))
        .collect();
    let (undecryptable, others): (Vec<Found>, Vec<Found>) = keyed
        .findings()
        .into_iter()
        .partition(|f| f.rule == "sealed-undecryptable");
    assert_eq!(others, expect.sorted());
    for f in &undecryptable {
        assert!(
            !bad_items.contains(&(f.path.clone(), f.line)),
            "{}:{}: a second finding for a bad value",
            f.path,
            f.line
        );
        assert!(
            f.path.contains("basic-auth") || f.path.contains("kseal"),
            "{}",
            f.path
        );
    }

    let bases = bases();
    let b = base_named(&bases, "gen/json-secret.json");
    assert!(
        b.value().ends_with('='),
        "the first value is the padded one"
    );
    let (line, _) = key_position_at(&b.text, b.value_at.unwrap());
    for (what, says) in [
        ("url-safe", "URL-safe character"),
        ("unpadded", "padding is missing"),
        ("truncated", "looks truncated"),
        (
            "prefix-out-of-range",
            "announces 64 bytes of RSA ciphertext",
        ),
        ("too-short", "too short for a sealed value"),
    ] {
        let m = run.message(&b.variant("bad", what), line, "sealed-bad-value");
        assert!(m.contains(says), "{what}: {m}");
    }
}

#[test]
fn sealed_key_mismatch_follows_the_certificate_configured_for_each_path() {
    let sandbox = Sandbox::new();
    sandbox.copy(&key("rsa-4096.crt"), "certs/rsa-4096.crt");
    sandbox.copy(&key("rsa-2048.crt"), "certs/rsa-2048.crt");
    sandbox.write(
        ".seal-guard.yaml",
        "cert: certs/rsa-4096.crt\noverrides:\n  - paths: [\"over/**\"]\n    cert: certs/rsa-2048.crt\n",
    );
    let corpus = corpus();
    let mut expected = Vec::new();
    for b in bases() {
        for (dir, bits) in [("top", 4096), ("over", 2048)] {
            let path = b.variant(dir, "copy");
            sandbox.write(&path, &b.text);
            for item in items_of(&corpus, &b.file) {
                if item.key_bits != bits {
                    let value = value_in(&b.text, item);
                    let (line, column) = key_position_of(&b.text, &value);
                    expected.push(Found {
                        path: path.clone(),
                        line,
                        column,
                        rule: "sealed-key-mismatch".into(),
                        severity: "error".into(),
                    });
                }
            }
        }
    }
    expected.sort();
    let run = sandbox.run(&["check", "--format", "json"]);
    run.assert_code(1);
    run.assert_findings(&expected);
    // Both directions, and the 3072-bit item of the mixed object in both folders.
    let count = |dir: &str| expected.iter().filter(|f| f.path.starts_with(dir)).count();
    assert_eq!(count("top/"), 15, "every generated item");
    assert_eq!(count("over/"), 11, "every real item, and the 3072-bit one");

    let bases = bases();
    let b = base_named(&bases, "gen/mixed-keys.yaml");
    let (line, _) = key_position_of(&b.text, "secret-key:");
    let m = run.message(&b.variant("top", "copy"), line, "sealed-key-mismatch");
    assert!(
        m.contains("encryptedData.secret-key was sealed for a 3072-bit key, but the certificate for this path has 4096 bits"),
        "{m}"
    );
}

#[test]
fn sealed_scope_mismatch_reports_disagreeing_metadata() {
    let mut expect = Expect::default();
    let bases = bases();
    let dir = "scope";
    let rule = "sealed-scope-mismatch";

    // The template states another scope than the top level (explicitly or, for
    // strict, by having no annotation). Each case written out: where the
    // template's annotations are differs by shape.
    let ns_wide = "sealedsecrets.bitnami.com/namespace-wide: \"true\"";
    let cluster = "sealedsecrets.bitnami.com/cluster-wide: \"true\"";
    for (file, from, to) in [
        ("gen/namespace-wide.yaml", ns_wide, cluster),
        ("gen/cluster-wide.yaml", cluster, ns_wide),
        ("gen/list.yaml", ns_wide, cluster),
    ] {
        let b = base_named(&bases, file);
        let at = b.text.rfind(from).unwrap();
        let annotations = b.text[..at].rfind("annotations:").unwrap();
        expect
            .file(
                b.variant(dir, "template-scope"),
                splice(&b.text, at, from.len(), to),
            )
            .at(annotations, rule, "error");
    }
    let b = base_named(&bases, "gen/rich-template.yaml");
    let annotations = b.text.find("      annotations:\n").unwrap();
    let at = line_end(&b.text, annotations);
    let text = splice(&b.text, at, 0, &format!("        {cluster}\n"));
    expect
        .file(b.variant(dir, "template-scope"), text)
        .at(annotations, rule, "error");
    let b = base_named(&bases, "gen/json-secret.json");
    let metadata = b.text.rfind("\"metadata\": {\n").unwrap();
    let at = line_end(&b.text, metadata);
    let line = format!(
        "        \"annotations\": {{\"{}}},\n",
        ns_wide.replacen(':', "\":", 1)
    );
    expect
        .file(
            b.variant(dir, "template-scope"),
            splice(&b.text, at, 0, &line),
        )
        .at(at, rule, "error");
    let b = base_named(&bases, "vectors/gitops-helm-workshop/basic-auth.yaml");
    let at = line_end(&b.text, b.text.rfind("    metadata:\n").unwrap());
    let lines = format!("      annotations:\n        {ns_wide}\n");
    expect
        .file(
            b.variant(dir, "template-scope"),
            splice(&b.text, at, 0, &lines),
        )
        .at(at, rule, "error");

    for b in &bases {
        // No namespace at the top level, none from a kustomization.
        if let Some(ns) = &b.namespace {
            let at = b.occurrences("namespace", ns)[0];
            let start = line_start(&b.text, at);
            let text = splice(&b.text, start, line_end(&b.text, at) - start, "");
            expect
                .file(b.variant(dir, "no-namespace"), text)
                .at(b.kind_at(), rule, "error");
        }
        // The template names another object or namespace.
        for (field, value) in [("name", Some(&b.name)), ("namespace", b.namespace.as_ref())] {
            let Some(value) = value else { continue };
            let found = b.occurrences(field, value);
            let Some(&at) = found.get(1) else { continue };
            let value_at = at + b.pair(field, value).find(value.as_str()).unwrap();
            let text = splice(&b.text, value_at, value.len(), &format!("{value}-copy"));
            expect
                .file(b.variant(dir, &format!("template-{field}")), text)
                .at(at, rule, "error");
        }
    }
    let sandbox = Sandbox::new();
    expect.plant(&sandbox);
    let run = sandbox.run(&["check", "--format", "json", dir]);
    run.assert_code(1);
    run.assert_findings(&expect.sorted());
    let count = |what: &str| {
        expect
            .files
            .iter()
            .filter(|(p, _)| p.contains(what))
            .count()
    };
    assert_eq!(count("--template-scope."), 6);
    assert_eq!(
        count("--no-namespace."),
        12,
        "every base but the cluster-wide one"
    );
    assert_eq!(
        count("--template-name."),
        11,
        "every base with a template name"
    );
    assert_eq!(count("--template-namespace."), 10);

    let message = |file: &str, what: &str, at: &str| {
        let b = base_named(&bases, file);
        let path = b.variant(dir, what);
        let text = &expect.files.iter().find(|(p, _)| *p == path).unwrap().1;
        run.message(&path, key_position_of(text, at).0, rule)
    };
    let m = message("gen/rich-template.yaml", "template-scope", "annotations:");
    assert!(
        m.contains("is strict at the top level but cluster-wide in its template"),
        "{m}"
    );
    let m = message("gen/raw-assembled.yaml", "no-namespace", "kind:");
    assert!(
        m.contains("grafana-admin is namespace-wide but has no namespace"),
        "{m}"
    );
    let m = message("gen/json-secret.json", "template-name", "oauth-client-copy");
    assert!(
        m.contains(
            "the template's name is \"oauth-client-copy\", the object's is \"oauth-client\""
        ),
        "{m}"
    );
}

#[test]
fn a_kustomization_gives_the_namespace_the_object_lacks() {
    let sandbox = Sandbox::new();
    let mut variants = Vec::new();
    for b in bases() {
        let Some(ns) = &b.namespace else { continue };
        let at = b.occurrences("namespace", ns)[0];
        let start = line_start(&b.text, at);
        let text = splice(&b.text, start, line_end(&b.text, at) - start, "");
        let dir = b
            .variant("kustomized", "dir")
            .replace(".yaml", "")
            .replace(".json", "");
        let file = if b.json { "sealed.json" } else { "sealed.yaml" };
        sandbox.write(&format!("{dir}/{file}"), &text);
        sandbox.write(
            &format!("{dir}/kustomization.yaml"),
            format!("namespace: {ns}\nresources:\n  - {file}\n"),
        );
        variants.push((b, format!("{dir}/{file}"), text));
    }
    assert_eq!(variants.len(), 12);
    let run = sandbox.run(&["check", "--format", "json", "kustomized"]);
    run.assert_code(0);
    run.assert_findings(&[]);

    // With the keys, the values open under the kustomization's namespace.
    let (k2048, k3072) = (key("rsa-2048.key"), key("rsa-3072.key"));
    let fingerprints = python_fingerprints(&[&k2048, &k3072]);
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
        "kustomized",
    ]);
    let corpus = corpus();
    let mut expected = Vec::new();
    for (b, path, text) in &variants {
        for item in items_of(&corpus, &b.file) {
            if !item.is_generated() {
                continue;
            }
            let fingerprint = &fingerprints[usize::from(item.key_bits == 3072)];
            let mut verified = expected_verified(item, text, fingerprint);
            verified.path = path.clone();
            expected.push(verified);
        }
    }
    expected.sort();
    assert_eq!(
        expected.len(),
        14,
        "every generated item but the cluster-wide one"
    );
    // Findings: the real vectors are out of these keys' reach, nothing else.
    let unopened: BTreeSet<String> = run
        .findings()
        .into_iter()
        .inspect(|f| assert_eq!(f.rule, "sealed-undecryptable"))
        .map(|f| f.path)
        .collect();
    let real: BTreeSet<String> = variants
        .iter()
        .filter(|(b, _, _)| !b.file.starts_with("gen/"))
        .map(|(_, path, _)| path.clone())
        .collect();
    assert_eq!(unopened, real);
    assert_eq!(run.verified(), expected);
}

/// Plaintext that corrupted variants put where a SealedSecret must never hold any.
const LEAKS: [&str; 7] = [
    "leak-last-applied-Qm3v",
    "leak-ksonnet-applied-8Rt",
    "leak-json-applied-Wx5p",
    "leak-real-applied-Hd2k",
    "leak-literal-mode-Fp9",
    "leak-literal-host-Zc4",
    "leak-json-literal-Yb7",
];

/// The plaintext-leak variants: (file, text, where the finding points, severity).
/// The finding points at the key that starts at that byte.
fn leak_variants() -> Vec<(String, String, usize, &'static str)> {
    let bases = bases();
    let mut out = Vec::new();
    let dir = "leak";
    let mut add = |b: &Base, what: &str, text: String, at: usize, severity| {
        let key = key_at(&text, at);
        out.push((b.variant(dir, what), text, key, severity));
    };

    let b = base_named(&bases, "gen/namespace-wide.yaml");
    let at = line_end(&b.text, b.text.rfind("annotations:\n").unwrap());
    let lines = format!(
        "        kubectl.kubernetes.io/last-applied-configuration: |\n          \
         {{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{{\"password\":\"{}\"}}}}\n",
        LEAKS[0]
    );
    add(
        b,
        "last-applied",
        splice(&b.text, at, 0, &lines),
        at,
        "error",
    );

    let b = base_named(&bases, "gen/rich-template.yaml");
    let at = line_end(&b.text, b.text.find("      annotations:\n").unwrap());
    let line = format!(
        "        kubecfg.ksonnet.io/last-applied-configuration: '{{\"data\":{{\"token\":\"{}\"}}}}'\n",
        LEAKS[1]
    );
    add(
        b,
        "last-applied",
        splice(&b.text, at, 0, &line),
        at,
        "error",
    );
    let at = line_end(&b.text, b.text.find("    data:\n").unwrap());
    let line = format!("      mode: {}\n", LEAKS[4]);
    add(b, "literal", splice(&b.text, at, 0, &line), at, "warning");

    let b = base_named(&bases, "gen/json-secret.json");
    let at = line_end(&b.text, b.text.rfind("\"metadata\": {\n").unwrap());
    let line = format!(
        "        \"annotations\": {{\"kubectl.kubernetes.io/last-applied-configuration\": \
         \"{{\\\"stringData\\\":{{\\\"client-secret\\\":\\\"{}\\\"}}}}\"}},\n",
        LEAKS[2]
    );
    // The finding points at the annotation's key, after `"annotations": {`.
    let text = splice(&b.text, at, 0, &line);
    let key = text[at..].find("\"kubectl").unwrap() + at;
    out.push((b.variant(dir, "last-applied"), text, key, "error"));
    let at = line_end(&b.text, b.text.find("\"template\": {\n").unwrap());
    let lines = format!(
        "      \"data\": {{\n        \"mode\": \"{}\"\n      }},\n",
        LEAKS[6]
    );
    let text = splice(&b.text, at, 0, &lines);
    let key = key_at(&text, line_end(&text, at));
    out.push((b.variant(dir, "literal"), text, key, "warning"));

    let b = base_named(&bases, "vectors/gitops-helm-workshop/basic-auth.yaml");
    let at = line_end(&b.text, b.text.rfind("    metadata:\n").unwrap());
    let lines = format!(
        "      annotations:\n        kubectl.kubernetes.io/last-applied-configuration: \
         '{{\"stringData\":{{\"user\":\"{}\"}}}}'\n",
        LEAKS[3]
    );
    let text = splice(&b.text, at, 0, &lines);
    let key = key_at(&text, line_end(&text, at));
    out.push((b.variant(dir, "last-applied"), text, key, "error"));

    let b = base_named(&bases, "gen/template-only.yaml");
    let template = "'{{ printf \"%s.%s.svc\" \"beta\" \"web\" }}'";
    let at = b.text.find(template).unwrap();
    let text = splice(&b.text, at, template.len(), LEAKS[5]);
    out.push((
        b.variant(dir, "literal"),
        text.clone(),
        key_at(&text, at),
        "warning",
    ));
    out
}

#[test]
fn sealed_plaintext_leak_errs_on_last_applied_and_warns_on_literal_data() {
    let mut expect = Expect::default();
    for (path, text, at, severity) in leak_variants() {
        expect
            .file(path, text)
            .at_exactly(at, "sealed-plaintext-leak", severity);
    }
    let sandbox = Sandbox::new();
    expect.plant(&sandbox);
    let run = sandbox.run(&["check", "--format", "json", "leak"]);
    run.assert_code(1);
    run.assert_findings(&expect.sorted());
    let severities: Vec<&str> = expect
        .findings
        .iter()
        .map(|f| f.severity.as_str())
        .collect();
    assert_eq!(severities.iter().filter(|s| **s == "error").count(), 4);
    assert_eq!(severities.iter().filter(|s| **s == "warning").count(), 3);
    let secrets: Vec<String> = LEAKS.iter().map(|s| s.to_string()).collect();
    assert_no_spill(&run, &secrets);
    for f in &expect.findings {
        let m = run.message(&f.path, f.line, "sealed-plaintext-leak");
        let says = if f.severity == "error" {
            "annotation holds the original Secret in the clear"
        } else {
            "is a literal value, stored in the clear"
        };
        assert!(m.contains(says), "{}: {m}", f.path);
    }

    // A warning alone does not fail the run.
    let sandbox = Sandbox::new();
    let (path, text, _, _) = leak_variants()
        .into_iter()
        .find(|(p, ..)| p.ends_with("rich-template--literal.yaml"))
        .unwrap();
    sandbox.write(&path, &text);
    let run = sandbox.run(&["check", "--format", "json"]);
    run.assert_code(0);
    let found = run.findings();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].rule.as_str(), found[0].severity.as_str()),
        ("sealed-plaintext-leak", "warning")
    );
    assert_eq!(run.json()["summary"]["warnings"], 1);
}

/// The renamed and re-scoped variants of `sealed_undecryptable_*`, with the
/// message every `sealed-undecryptable` finding must carry, keyed by position.
struct Undecryptable {
    expect: Expect,
    /// (file, line) -> part of the message.
    says: BTreeMap<(String, u64), String>,
    /// (file, item) of every value that must still open.
    opens: BTreeSet<(String, String)>,
}

fn undecryptable_variants() -> Undecryptable {
    let bases = bases();
    let corpus = corpus();
    let mut out = Undecryptable {
        expect: Expect::default(),
        says: BTreeMap::new(),
        opens: BTreeSet::new(),
    };
    let add = |out: &mut Undecryptable,
               b: &Base,
               what: &str,
               text: String,
               broken: &[&str],
               says: &str| {
        let path = b.variant("undecryptable", what);
        out.expect.file(path.clone(), text.clone());
        for item in items_of(&corpus, &b.file) {
            let at = text.find(&value_in(&b.text, item)).unwrap();
            if broken.contains(&item.name.as_str()) {
                out.expect.at(at, "sealed-undecryptable", "error");
                let line = key_position_at(&text, at).0;
                out.says.insert((path.clone(), line), String::from(says));
            } else {
                out.opens.insert((path.clone(), item.item.clone()));
            }
        }
    };

    // Renamed at the top level after sealing; the template keeps the old name.
    for file in [
        "gen/rich-template.yaml",
        "gen/older-kubeseal.yaml",
        "gen/json-secret.json",
        "gen/list.yaml",
        "gen/mixed-keys.yaml",
        "gen/namespace-wide.yaml",
        "gen/cluster-wide.yaml",
        "gen/raw-assembled.yaml",
        "gen/legacy-v1.yaml",
        "vectors/gitops-helm-workshop/basic-auth.yaml",
    ] {
        let b = base_named(&bases, file);
        let names = b.occurrences("name", &b.name);
        let at = names[0] + b.pair("name", &b.name).find(&b.name).unwrap();
        let text = splice(&b.text, at, b.name.len(), &format!("{}-renamed", b.name));
        let item = b.item.as_ref().unwrap();
        let (broken, says) = match (item.scope.as_str(), names.len()) {
            // Only a strict label holds the name.
            ("strict", 2) => (
                vec![b.name.as_str()],
                format!(
                    "it opens under the label {:?} (strict scope with the template's name and namespace)",
                    item.label
                ),
            ),
            ("strict", _) => (
                vec![b.name.as_str()],
                "no loaded private key opens it under any label seal-guard tried".to_owned(),
            ),
            _ => (vec![], String::new()),
        };
        add(&mut out, b, "renamed", text, &broken, &says);
        if names.len() == 2 {
            let template_name = names[1] + "-renamed".len();
            out.expect
                .at(template_name, "sealed-scope-mismatch", "error");
        }
    }

    // Sealed namespace-wide (or cluster-wide), then the annotations were lost.
    for file in [
        "gen/namespace-wide.yaml",
        "gen/raw-assembled.yaml",
        "gen/list.yaml",
        "gen/cluster-wide.yaml",
    ] {
        let b = base_named(&bases, file);
        let text: String = b
            .text
            .split_inclusive('\n')
            .filter(|l| !l.contains("annotations:") && !l.contains("-wide: \"true\""))
            .collect();
        let wide = items_of(&corpus, &b.file)
            .into_iter()
            .find(|i| i.scope != "strict")
            .unwrap();
        let says = format!(
            "it opens under the label {:?} ({} scope with the object's name and namespace)",
            wide.label, wide.scope
        );
        add(
            &mut out,
            b,
            "scope-lost",
            text.clone(),
            &[wide.name.as_str()],
            &says,
        );
        if wide.namespace.is_none() {
            let kind = text.find("kind: SealedSecret").unwrap();
            out.expect.at(kind, "sealed-scope-mismatch", "error");
        }
    }
    out
}

#[test]
fn sealed_undecryptable_names_the_label_that_opens_a_value() {
    let variants = undecryptable_variants();
    let sandbox = Sandbox::new();
    variants.expect.plant(&sandbox);
    let keys = [
        key("rsa-2048.key"),
        key("rsa-3072.key"),
        vector_key("gitops-helm-workshop"),
    ];
    let mut args = vec!["check", "--format", "json"];
    for k in &keys {
        args.extend(["--private-key", k.to_str().unwrap()]);
    }
    let run = sandbox.run(&args);
    run.assert_code(1);
    run.assert_findings(&variants.expect.sorted());
    assert_eq!(variants.says.len(), 17);
    for ((path, line), says) in &variants.says {
        let m = run.message(path, *line, "sealed-undecryptable");
        assert!(m.contains(says.as_str()), "{path}:{line}: {m}");
    }
    let opened: BTreeSet<(String, String)> = run
        .verified()
        .into_iter()
        .map(|v| (v.path, v.item))
        .collect();
    assert_eq!(opened, variants.opens);
    assert_eq!(opened.len(), 7);
    assert_no_spill(&run, &plaintexts());
}

#[test]
fn sealed_undecryptable_with_a_wrong_key_says_no_key_opens_it() {
    let sandbox = Sandbox::new();
    let wrong = sandbox.path("wrong.key");
    python_keygen(&wrong);
    let corpus = corpus();
    let mut expect = Expect::default();
    for b in bases().iter().filter(|b| b.file.starts_with("gen/")) {
        let path = b.variant("wrong", "copy");
        expect.file(path, b.text.clone());
        for item in items_of(&corpus, &b.file) {
            let at = b.text.find(&value_in(&b.text, item)).unwrap();
            expect.at(at, "sealed-undecryptable", "error");
        }
    }
    expect.plant(&sandbox);
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        "wrong.key",
        "wrong",
    ]);
    run.assert_code(1);
    run.assert_findings(&expect.sorted());
    assert_eq!(run.verified(), []);
    for f in &expect.findings {
        let m = run.message(&f.path, f.line, "sealed-undecryptable");
        assert!(
            m.contains("no loaded private key opens it under any label seal-guard tried"),
            "{}: {m}",
            f.path
        );
    }
}

// ---------------------------------------------------------------------------------
// Loading the controller's private keys.

/// The generated objects sealed with the 2048-bit key only, under `dir/`.
fn plant_2048_only(sandbox: &Sandbox, dir: &str) -> Vec<Item> {
    let files = [
        "namespace-wide.yaml",
        "cluster-wide.yaml",
        "legacy-v1.yaml",
        "json-secret.json",
    ];
    let corpus: Vec<Item> = corpus()
        .into_iter()
        .filter(|i| files.iter().any(|f| i.file == format!("gen/{f}")))
        .collect();
    for file in files {
        sandbox.copy(&generated_dir().join(file), &format!("{dir}/{file}"));
    }
    assert!(corpus.iter().all(|i| i.key_bits == 2048));
    corpus
}

#[test]
fn private_keys_load_as_pem_key_secret_json_list_and_config() {
    let sandbox = Sandbox::new();
    let items = plant_2048_only(&sandbox, "pem");
    let fingerprint = &python_fingerprints(&[&key("rsa-2048.key")])[0];
    let mut want: Vec<(String, String, String)> = items
        .iter()
        .map(|i| {
            (
                i.file.replace("gen/", "pem/"),
                i.item.clone(),
                fingerprint.clone(),
            )
        })
        .collect();
    want.sort();
    let opened = |run: &Run| -> Vec<(String, String, String)> {
        run.verified()
            .into_iter()
            .map(|v| (v.path, v.item, v.key))
            .collect()
    };
    for (file, header) in [
        ("rsa-2048.key", "-----BEGIN RSA PRIVATE KEY-----"),
        ("rsa-2048.pkcs8.key", "-----BEGIN PRIVATE KEY-----"),
    ] {
        let path = key(file);
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(header));
        let run = sandbox.run(&[
            "check",
            "--format",
            "json",
            "--private-key",
            path.to_str().unwrap(),
            "pem",
        ]);
        run.assert_code(0);
        assert_eq!(opened(&run), want, "{file}");
    }

    // The same key from the config, relative to the config's folder.
    sandbox.copy(&key("rsa-2048.key"), "keys/controller.key");
    sandbox.write(".seal-guard.yaml", "private_keys: [keys/controller.key]\n");
    let run = sandbox.run(&["check", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(opened(&run), want, "private_keys in the config");

    // The controller's key Secrets: YAML as stored, JSON, and the List backup.
    let sandbox = Sandbox::new();
    plant_corpus(&sandbox);
    let dirs = vector_dirs();
    let corpus = corpus();
    let want_dir = |dir: &str| -> Vec<(String, String, String)> {
        let (_, expected) = dirs.iter().find(|(d, _)| d == dir).unwrap();
        let fingerprint = expected["key_ssh_sha256"].as_str().unwrap();
        let mut want: Vec<_> = corpus
            .iter()
            .filter(|i| i.file.starts_with(&format!("vectors/{dir}/")))
            .map(|i| (i.file.clone(), i.item.clone(), fingerprint.to_owned()))
            .collect();
        want.sort();
        want
    };
    let helm = "helm-operator-get-started";
    let secret: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(vector_key(helm)).unwrap()).unwrap();
    assert_eq!(secret["kind"], "Secret");
    sandbox.write(
        "keys/helm.json",
        serde_json::to_string_pretty(&secret).unwrap(),
    );
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        "keys/helm.json",
        &format!("vectors/{helm}/basic-auth.yaml"),
    ]);
    run.assert_code(0);
    assert_eq!(opened(&run), want_dir(helm), "a key Secret in JSON");

    // `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`.
    let mut backup = String::from("apiVersion: v1\nitems:\n");
    for (dir, _) in &dirs {
        let text = std::fs::read_to_string(vector_key(dir)).unwrap();
        for (n, line) in text.lines().enumerate() {
            backup.push_str(if n == 0 { "- " } else { "  " });
            backup.push_str(line);
            backup.push('\n');
        }
    }
    backup.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    sandbox.write("keys/backup.yaml", &backup);
    let gitops = "gitops-helm-workshop";
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        "keys/backup.yaml",
        &format!("vectors/{gitops}/basic-auth.yaml"),
        &format!("vectors/{helm}/basic-auth.yaml"),
    ]);
    run.assert_code(0);
    let mut want = want_dir(gitops);
    want.extend(want_dir(helm));
    want.sort();
    assert_eq!(opened(&run), want, "the List backup");
    let fingerprints: BTreeSet<&str> = want.iter().map(|(_, _, k)| k.as_str()).collect();
    assert_eq!(fingerprints.len(), 2, "two controller keys told apart");
}

/// Key material that must never reach the output: the PEM bodies, and the base64
/// of the whole PEM as a key Secret holds it, cut into overlapping pieces.
fn key_material_pieces() -> Vec<String> {
    let mut pieces = Vec::new();
    for file in [
        "rsa-2048.key",
        "ec-p256.key",
        "rsa-2048.encrypted.pkcs8.key",
    ] {
        let pem = std::fs::read_to_string(key(file)).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        for text in [body, STANDARD.encode(&pem)] {
            let chars: Vec<char> = text.chars().collect();
            pieces.extend(
                chars
                    .windows(20)
                    .step_by(5)
                    .map(|w| w.iter().collect::<String>()),
            );
        }
    }
    pieces
}

#[test]
fn a_bad_key_file_stops_the_run_naming_the_file_without_key_material() {
    let sandbox = Sandbox::new();
    plant_2048_only(&sandbox, "pem");
    let pem = std::fs::read_to_string(key("rsa-2048.key")).unwrap();
    let tls_key = STANDARD.encode(&pem);
    let truncated: String = pem
        .lines()
        .take(12)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "-----END RSA PRIVATE KEY-----\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated.key",
            truncated,
            "not a valid PKCS#1 RSA private key",
        ),
        (
            "unclosed-quote.yaml",
            format!("apiVersion: v1\nkind: Secret\ndata:\n  tls.key: \"{tls_key}\n  : [\n"),
            "not valid YAML or JSON",
        ),
        (
            "not-base64.yaml",
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata: {{name: k, namespace: kube-system}}\n\
                 data:\n  tls.key: \"%{}\"\n",
                &tls_key[..200]
            ),
            "data.\"tls.key\" is not base64",
        ),
        (
            "wrong-type.json",
            format!(
                "{{\"kind\": \"Secret\", \"data\": {{\"tls.crt\": \"{tls_key}\", \"tls.key\": 5}}}}"
            ),
            "not valid YAML or JSON",
        ),
        (
            "encrypted.key",
            std::fs::read_to_string(key("rsa-2048.encrypted.pkcs8.key")).unwrap(),
            "the private key is encrypted",
        ),
        (
            "ec.key",
            std::fs::read_to_string(key("ec-p256.key")).unwrap(),
            "the private key is not RSA",
        ),
        (
            "certificate.crt",
            std::fs::read_to_string(key("rsa-2048.crt")).unwrap(),
            "no RSA private key found",
        ),
    ];
    let pieces = key_material_pieces();
    let check_run = |run: &Run, file: &str, says: &str| {
        run.assert_code(2);
        // miette wraps the message at the terminal width.
        let words = run
            .stderr
            .replace(['│', '×'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(words.contains(file), "{}: {}", run.what, run.stderr);
        assert!(words.contains(says), "{}: {}", run.what, run.stderr);
        assert_eq!(run.stdout, "", "{}: no report", run.what);
        for piece in &pieces {
            assert!(
                !run.stderr.contains(piece.as_str()),
                "{}: the output quotes key material",
                run.what
            );
        }
    };
    for (file, contents, says) in &cases {
        let path = format!("keys/{file}");
        sandbox.write(&path, contents);
        let run = sandbox.run(&["check", "--private-key", &path, "pem"]);
        check_run(&run, &path, says);
    }
    let run = sandbox.run(&["check", "--private-key", "keys/absent.key", "pem"]);
    check_run(&run, "keys/absent.key", "cannot read");

    // A good key does not excuse a bad one; reseal and the config refuse alike.
    let good = key("rsa-2048.key");
    let run = sandbox.run(&[
        "check",
        "--private-key",
        good.to_str().unwrap(),
        "--private-key",
        "keys/not-base64.yaml",
        "pem",
    ]);
    check_run(&run, "keys/not-base64.yaml", "not base64");
    let before = sandbox.snapshot();
    let cert = key("rsa-2048.crt");
    let run = sandbox.run(&[
        "reseal",
        "--private-key",
        "keys/truncated.key",
        "--cert",
        cert.to_str().unwrap(),
        "pem",
    ]);
    check_run(&run, "keys/truncated.key", "not a valid PKCS#1");
    assert!(sandbox.snapshot() == before, "reseal wrote nothing");
    sandbox.write(
        ".seal-guard.yaml",
        "private_keys: [keys/unclosed-quote.yaml]\n",
    );
    let run = sandbox.run(&["check"]);
    check_run(&run, "unclosed-quote.yaml", "not valid YAML or JSON");
}

// ---------------------------------------------------------------------------------
// Reseal.

/// Every SealedSecret file of the corpus, and the values each holds.
fn sealed_files(corpus: &[Item]) -> BTreeMap<String, Vec<&Item>> {
    let mut files: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for item in corpus {
        files.entry(item.file.clone()).or_default().push(item);
    }
    files
}

/// Asserts that every value of `items` now opens, in Python, with `new_key` under
/// its label to its plaintext, and no longer with the key that sealed it.
fn assert_resealed(sandbox: &Sandbox, items: &[&Item], new_key: &Path) {
    let values: Vec<(String, String)> = items
        .iter()
        .map(|i| (i.label.clone(), value_in(&sandbox.read(&i.file), i)))
        .collect();
    let new = python_open(&[new_key], &values);
    for (item, opened) in items.iter().zip(&new.results) {
        let what = format!("{} {}", item.file, item.item);
        assert_eq!(
            opened.key.as_ref(),
            Some(&new.fingerprints[0]),
            "{what}: {:?}",
            opened.why
        );
        assert!(
            opened.sha256.as_deref() == Some(item.plaintext_sha256().as_str()),
            "{what}: the plaintext changed"
        );
    }
    let mut old_keys: Vec<&Path> = items.iter().map(|i| i.key_file.as_path()).collect();
    old_keys.sort();
    old_keys.dedup();
    let old = python_open(&old_keys, &values);
    for (item, opened) in items.iter().zip(&old.results) {
        assert_eq!(
            opened.key, None,
            "{} {}: an old key opens it",
            item.file, item.item
        );
    }
}

#[test]
fn reseal_moves_every_value_to_the_new_key_and_changes_nothing_else() {
    let sandbox = Sandbox::new();
    plant_corpus(&sandbox);
    let new_key = sandbox.path("new/controller.key");
    std::fs::create_dir_all(new_key.parent().unwrap()).unwrap();
    python_keygen(&new_key);
    let corpus = corpus();
    let before = sandbox.snapshot();

    // One run per controller: the generated fixtures (two keys), each vector (its
    // key Secret). 4096-bit keys tried on values they do not open cost seconds in a
    // debug build; the List test proves that several keys in one ring are tried.
    let mut runs: BTreeMap<String, Vec<&Path>> = BTreeMap::new();
    for item in &corpus {
        let root = item.file.rsplit_once('/').unwrap().0.to_owned();
        let keys = runs.entry(root).or_default();
        if !keys.contains(&item.key_file.as_path()) {
            keys.push(&item.key_file);
        }
    }
    assert_eq!(runs.len(), 4);
    let files = sealed_files(&corpus);
    for (root, keys) in &runs {
        let mut args = vec!["reseal", "--cert", "new/controller.key.crt", root.as_str()];
        for k in keys {
            args.extend(["--private-key", k.to_str().unwrap()]);
        }
        let run = sandbox.run(&args);
        run.assert_code(0);
        assert_no_spill(&run, &plaintexts());
        for (file, items) in files.iter().filter(|(f, _)| f.starts_with(root.as_str())) {
            let noun = if items.len() == 1 { "value" } else { "values" };
            let line = format!("resealed {} {noun} in {file}", items.len());
            assert!(run.stderr.contains(&line), "{line}: {}", run.stderr);
        }
    }

    let after = sandbox.snapshot();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file added or removed"
    );
    for (path, old) in &before {
        let new = &after[path];
        match files.get(path) {
            None => assert!(old == new, "{path} changed"),
            Some(items) => {
                let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
                assert_eq!(
                    masked(&old, items),
                    masked(&new, items),
                    "{path}: only values change"
                );
                for item in items {
                    assert_ne!(value_in(&old, item), value_in(&new, item), "{path}");
                }
            }
        }
    }
    let all: Vec<&Item> = corpus.iter().collect();
    assert_resealed(&sandbox, &all, &new_key);

    // seal-guard agrees: the new key opens everything, under the same labels.
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        "new/controller.key",
    ]);
    let fingerprint = &python_fingerprints(&[&new_key])[0];
    assert!(run.findings().iter().all(|f| f.rule == "plaintext-secret"));
    let verified = run.verified();
    assert_eq!(verified.len(), corpus.len());
    assert!(verified.iter().all(|v| &v.key == fingerprint));
}

#[test]
fn reseal_leaves_a_file_alone_when_one_value_does_not_open() {
    let sandbox = Sandbox::new();
    plant_generated(&sandbox, "gen");
    let new_key = sandbox.path("controller.key");
    python_keygen(&new_key);
    let corpus = corpus();
    let item = |file: &str, name: &str| {
        corpus
            .iter()
            .find(|i| i.file == file && i.item == name)
            .unwrap()
    };
    // A value sealed for payments/api-token pasted into team-a's namespace-wide
    // object: the old key opens it, but not under this object's label.
    let target = item("gen/namespace-wide.yaml", "encryptedData.username");
    let foreign = item("gen/rich-template.yaml", "encryptedData.username");
    let text = sandbox.read(&target.file);
    let value = value_in(&text, target);
    let pasted = text.replace(&value, &value_in(&sandbox.read(&foreign.file), foreign));
    sandbox.write(&target.file, &pasted);
    // A strict object without a namespace has no label to open anything under.
    let lost = "gen/older-kubeseal.yaml";
    let no_namespace = sandbox.read(lost).replacen("  namespace: mail\n", "", 1);
    sandbox.write(lost, &no_namespace);
    let before = sandbox.snapshot();

    let k2048 = key("rsa-2048.key");
    let k3072 = key("rsa-3072.key");
    let run = sandbox.run(&[
        "reseal",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
        "--cert",
        "controller.key.crt",
    ]);
    run.assert_code(1);
    let (line, column) = key_position_of(&pasted, "username:");
    let expected = Found {
        path: target.file.clone(),
        line,
        column,
        rule: "sealed-undecryptable".into(),
        severity: "error".into(),
    };
    let (kind_line, kind_column) = key_position_of(&no_namespace, "kind:");
    let mut expected = vec![
        expected,
        Found {
            path: lost.into(),
            line: kind_line,
            column: kind_column,
            rule: "sealed-undecryptable".into(),
            severity: "error".into(),
        },
    ];
    expected.sort();
    run.assert_findings(&expected);
    let m = run.message(lost, kind_line, "sealed-undecryptable");
    assert!(
        m.contains("has no label: strict scope needs a namespace"),
        "{m}"
    );
    let m = run.message(&target.file, line, "sealed-undecryptable");
    assert!(
        m.contains(
            "encryptedData.username does not open with the given private keys under \"team-a\""
        ),
        "{m}"
    );
    assert_no_spill(&run, &plaintexts());

    let after = sandbox.snapshot();
    for file in [target.file.as_str(), lost] {
        assert!(after[file] == before[file], "{file} keeps every byte");
    }
    // Every other file was resealed.
    let others: Vec<&Item> = corpus
        .iter()
        .filter(|i| i.is_generated() && i.file != target.file && i.file != lost)
        .collect();
    for file in files_of(&corpus)
        .iter()
        .filter(|f| f.starts_with("gen/") && **f != target.file && *f != lost)
    {
        assert!(after[file] != before[file], "{file} was resealed");
    }
    assert_resealed(&sandbox, &others, &new_key);
}

#[test]
fn reseal_dry_run_writes_nothing() {
    let sandbox = Sandbox::new();
    plant_generated(&sandbox, "gen");
    let corpus: Vec<Item> = corpus().into_iter().filter(Item::is_generated).collect();
    let before = sandbox.snapshot();
    let (k2048, k3072, cert) = (
        key("rsa-2048.key"),
        key("rsa-3072.key"),
        key("rsa-2048.crt"),
    );
    let run = sandbox.run(&[
        "reseal",
        "--dry-run",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert!(sandbox.snapshot() == before, "--dry-run wrote");
    for (file, items) in sealed_files(&corpus) {
        let noun = if items.len() == 1 { "value" } else { "values" };
        let line = format!("would reseal {} {noun} in {file}", items.len());
        assert!(run.stderr.contains(&line), "{line}: {}", run.stderr);
    }
    assert_no_spill(&run, &plaintexts());
}

// ---------------------------------------------------------------------------------
// Never spill.

/// Runs `check` with the 2048- and 3072-bit keys in every output format (the JSON
/// run with `-vv`: logs do not depend on the format), and asserts that no output
/// holds any of `secrets` while each reports every rule in `rules`.
fn assert_no_format_spills(sandbox: &Sandbox, secrets: &[String], rules: &[&str]) {
    let (k2048, k3072) = (key("rsa-2048.key"), key("rsa-3072.key"));
    let keys = [
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
    ];
    for format in ["human", "json", "sarif", "github"] {
        let mut args = vec!["check", "--format", format];
        args.extend(keys);
        if format == "json" {
            args.push("-vv");
        }
        let run = sandbox.run(&args);
        run.assert_code(1);
        for rule in rules {
            assert!(run.stdout.contains(rule), "{}: no {rule}", run.what);
        }
        if format == "json" {
            assert!(run.stderr.contains("private keys loaded"), "{}", run.stderr);
        }
        assert_no_spill(&run, secrets);
    }
}

#[test]
fn no_output_format_shows_a_plaintext() {
    let sandbox = Sandbox::new();
    plant_generated(&sandbox, "gen");
    for (path, text, _, _) in leak_variants() {
        // Last-applied annotations: see the next test.
        if !path.contains("last-applied") {
            sandbox.write(&path, text);
        }
    }
    // A few values that do not open, for the messages that explain why.
    for (path, text) in undecryptable_variants().expect.files {
        if ["rich-template--", "namespace-wide--scope", "legacy-v1--"]
            .iter()
            .any(|p| path.contains(p))
        {
            sandbox.write(&path, text);
        }
    }
    let bases = bases();
    let b = base_named(&bases, "gen/rich-template.yaml");
    // A plaintext where a sealed value belongs (base64 of "plaintext").
    sandbox.write(
        "bad/rich.yaml",
        splice(
            &b.text,
            b.value_at.unwrap(),
            b.value().len(),
            "cGxhaW50ZXh0",
        ),
    );
    let mut secrets = plaintexts();
    secrets.extend(LEAKS.iter().map(|s| s.to_string()));
    secrets.push("cGxhaW50ZXh0".to_owned());
    assert_no_format_spills(
        &sandbox,
        &secrets,
        &[
            "sealed-undecryptable",
            "sealed-plaintext-leak",
            "sealed-bad-value",
            "sealed-scope-mismatch",
        ],
    );
}

/// A last-applied annotation in a SealedSecret's template holds the original
/// Secret. sealed-plaintext-leak reports it, and the snippet of that very finding
/// must not show it.
#[test]
fn the_snippet_of_a_last_applied_leak_hides_the_annotation() {
    let sandbox = Sandbox::new();
    for (path, text, _, _) in leak_variants() {
        if path.contains("last-applied") {
            sandbox.write(&path, text);
        }
    }
    let secrets: Vec<String> = LEAKS.iter().map(|s| s.to_string()).collect();
    assert_no_format_spills(&sandbox, &secrets, &["sealed-plaintext-leak"]);
}

#[test]
fn reseal_keeps_line_ends_byte_order_marks_block_scalars_and_kustomized_names() {
    let sandbox = Sandbox::new();
    let corpus = corpus();
    let item = |file: &str| -> Vec<&Item> { items_of(&corpus, file) };
    let rich = corpus_text("gen/rich-template.yaml");
    sandbox.write("crlf.yaml", rich.replace('\n', "\r\n"));
    sandbox.write("bom.yaml", format!("\u{feff}{rich}"));
    // No namespace of its own: the kustomization's names the label.
    let older = corpus_text("gen/older-kubeseal.yaml").replacen("  namespace: mail\n", "", 1);
    sandbox.write("k/sealed.yaml", &older);
    sandbox.write(
        "k/kustomization.yaml",
        "namespace: mail\nresources:\n  - sealed.yaml\n",
    );
    // A value wrapped over two lines of a literal block scalar.
    let wide = corpus_text("gen/namespace-wide.yaml");
    let password = value_in(&wide, item("gen/namespace-wide.yaml")[0]);
    let wrapped = wide.replace(
        &format!("password: {password}"),
        &format!(
            "password: |\n      {}\n      {}",
            &password[..64],
            &password[64..]
        ),
    );
    assert_ne!(wrapped, wide);
    sandbox.write("wrapped.yaml", &wrapped);
    let before = sandbox.snapshot();

    let new_key = sandbox.path("new.key");
    python_keygen(&new_key);
    let (k2048, k3072) = (key("rsa-2048.key"), key("rsa-3072.key"));
    let run = sandbox.run(&[
        "reseal",
        "--private-key",
        k2048.to_str().unwrap(),
        "--private-key",
        k3072.to_str().unwrap(),
        "--cert",
        "new.key.crt",
    ]);
    run.assert_code(0);
    let after = sandbox.snapshot();
    let text =
        |map: &BTreeMap<String, Vec<u8>>, f: &str| String::from_utf8(map[f].clone()).unwrap();
    for (file, base) in [
        ("crlf.yaml", "gen/rich-template.yaml"),
        ("bom.yaml", "gen/rich-template.yaml"),
        ("k/sealed.yaml", "gen/older-kubeseal.yaml"),
    ] {
        let items = item(base);
        let (old, new) = (text(&before, file), text(&after, file));
        assert_eq!(masked(&old, &items), masked(&new, &items), "{file}");
        assert_ne!(old, new, "{file}");
    }
    assert!(text(&after, "crlf.yaml").matches("\r\n").count() == rich.lines().count());
    assert!(after["bom.yaml"].starts_with("\u{feff}".as_bytes()));
    let new_wrapped = text(&after, "wrapped.yaml");
    assert!(
        new_wrapped.contains("password: |\n      "),
        "the block stays"
    );
    assert!(!new_wrapped.contains(&password[..64]));

    // Everything opens with the new key under the labels it had.
    let mut moved: Vec<Item> = Vec::new();
    for (file, base) in [
        ("crlf.yaml", "gen/rich-template.yaml"),
        ("bom.yaml", "gen/rich-template.yaml"),
        ("k/sealed.yaml", "gen/older-kubeseal.yaml"),
        ("wrapped.yaml", "gen/namespace-wide.yaml"),
    ] {
        for i in item(base) {
            let mut i = i.clone();
            i.file = file.to_owned();
            moved.push(i);
        }
    }
    assert_resealed(&sandbox, &moved.iter().collect::<Vec<_>>(), &new_key);
}

#[test]
fn reseal_refuses_a_utf16_file_instead_of_skipping_it() {
    let sandbox = Sandbox::new();
    let text = corpus_text("gen/namespace-wide.yaml");
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    sandbox.write("utf16.yaml", &utf16);
    let k2048 = key("rsa-2048.key");
    // check reads it, and the values open...
    let run = sandbox.run(&[
        "check",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert_eq!(run.verified().len(), 2);
    // ...so reseal must not pass it over in silence.
    let cert = key("rsa-3072.crt");
    let run = sandbox.run(&[
        "reseal",
        "--format",
        "json",
        "--private-key",
        k2048.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
    ]);
    run.assert_code(1);
    let (line, column) = key_position_of(&text, "kind: SealedSecret");
    run.assert_findings(&[Found {
        path: "utf16.yaml".into(),
        line,
        column,
        rule: "sealed-undecryptable".into(),
        severity: "error".into(),
    }]);
    assert!(
        run.message("utf16.yaml", line, "sealed-undecryptable")
            .contains("UTF-16")
    );
    assert!(std::fs::read(sandbox.path("utf16.yaml")).unwrap() == utf16);
}
