//! `seal-guard fix`, run as a binary in temporary trees.
//!
//! Every sealed value is opened by the independent Python decryptor
//! (`fix_support/open_sealed.py`) with the matching private key: under the label of
//! its scope it must give back the original bytes, under the other scopes' labels it
//! must not open. Around the replaced objects, files must keep every byte.

mod fix_support;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use fix_support::*;
use serde_json::{Value, json};

/// A Secret body that exercises every way a value is written: binary bytes that are
/// not UTF-8, base64 wrapped over lines, an empty value, a key in both `data` and
/// `stringData` (where `stringData` wins), non-ASCII text and line breaks.
fn rich_body(tag: &str) -> String {
    let binary: Vec<u8> = (0..=255u8).rev().chain([0, 0xc3, 0x28]).collect();
    let wrapped = STANDARD.encode(format!("wrapped-{tag}-").repeat(6));
    let (head, tail) = wrapped.split_at(40);
    format!(
        "type: Opaque\n\
         data:\n\
         \x20 binary: {}\n\
         \x20 shared: {}\n\
         \x20 empty: \"\"\n\
         \x20 wrapped: |\n\
         \x20   {head}\n\
         \x20   {tail}\n\
         stringData:\n\
         \x20 shared: stringdata-wins-{tag}\n\
         \x20 unicode: \"p\u{e4}ssw\u{f6}rd \u{2713} {tag}\"\n\
         \x20 lines: \"first line {tag}\\nsecond line\\n\"\n",
        STANDARD.encode(&binary),
        STANDARD.encode(format!("data-loses-{tag}")),
    )
}

/// Plaintexts of `rich_body`, to check that no output shows them.
fn rich_probes(tag: &str) -> Vec<Vec<u8>> {
    vec![
        format!("data-loses-{tag}").into_bytes(),
        format!("stringdata-wins-{tag}").into_bytes(),
        format!("first line {tag}").into_bytes(),
        format!("wrapped-{tag}-wrapped").into_bytes(),
    ]
}

fn probes(values: &[Vec<u8>]) -> Vec<&[u8]> {
    values.iter().map(Vec::as_slice).collect()
}

#[test]
fn sealed_values_open_under_their_scope_label_only_for_every_key_size() {
    let mut openings = Vec::new();
    for bits in [2048, 3072, 4096] {
        let tree = Tree::new();
        let tag = format!("k{bits}");
        let files = [
            ("strict.yaml", vec![]),
            ("namespace-wide.yaml", vec![(NAMESPACE_WIDE, "true")]),
            ("cluster-wide.yaml", vec![(CLUSTER_WIDE, "true")]),
            // Both set: cluster-wide wins, as the controller reads them.
            (
                "both.yaml",
                vec![(NAMESPACE_WIDE, "true"), (CLUSTER_WIDE, "true")],
            ),
        ];
        let mut before = BTreeMap::new();
        for (file, annotations) in &files {
            let name = format!("creds-{}", file.trim_end_matches(".yaml"));
            let text = secret_yaml(&name, Some("team-a"), annotations, &rich_body(&tag));
            tree.write(file, &text);
            before.insert(*file, text);
        }
        let cert = cert(bits);
        let out = tree.run(&["fix", "--cert", cert.to_str().unwrap()]);
        out.code(0).assert_no_leak(&probes(&rich_probes(&tag)));
        for (file, text) in &before {
            let after = tree.read(file);
            openings.extend(sealed_in_place(
                &format!("{bits}/{file}"),
                text.as_bytes(),
                &after,
                &Expect::key(bits),
            ));
        }
        assert!(tree.temp_files().is_empty(), "temporary files left behind");
    }
    // 3 key sizes x 4 Secrets x 6 items.
    assert_eq!(openings.len(), 72);
    assert_opens(&openings);
}

#[test]
fn sealed_with_a_real_controller_certificate_opens_with_the_real_controller_key() {
    let dir = vectors().join("gitops-helm-workshop");
    let tree = Tree::new();
    let text = secret_yaml("basic-auth", Some("prod"), &[], &rich_body("vector"));
    tree.write("basic-auth.yaml", &text);
    let cert = dir.join("pub-cert.pem");
    // The certificate expires in 2029; the flag keeps this test meaningful after that.
    tree.run(&[
        "fix",
        "--allow-expired-cert",
        "--cert",
        cert.to_str().unwrap(),
    ])
    .code(0);
    let expect = Expect {
        private_key: dir.join("sealed-secrets-key.yaml"),
        ..Expect::default()
    };
    let openings = sealed_in_place(
        "basic-auth.yaml",
        text.as_bytes(),
        &tree.read("basic-auth.yaml"),
        &expect,
    );
    assert_opens(&openings);
}

/// Each fixture with where its Secrets start and end.
const PRESERVE: &[(&str, &[(&str, &str)])] = &[
    (
        "documents.yaml",
        &[("apiVersion: v1\nkind: Secret", "username: db-user-4411")],
    ),
    (
        "bom.yaml",
        &[("apiVersion: v1\nkind: Secret", "Ym9tLXBhc3MtODgxMg==")],
    ),
    (
        "crlf.yaml",
        &[("apiVersion: v1\r\nkind: Secret", "user: crlf-user-6635")],
    ),
    ("secret.json", &[("{", "\"api-extra-7782\"}\n}")]),
    (
        "list.yaml",
        &[("apiVersion: v1\n    kind: Secret", "user: list-user-3393")],
    ),
    ("flow.yaml", &[("{apiVersion: v1, kind: Secret", "5150}}")]),
    (
        "list.json",
        &[(
            "{\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Secret\"",
            "\"anNvbi1saXN0LTU1Mjg=\"}\n    }",
        )],
    ),
    (
        "two-secrets.yaml",
        &[
            ("apiVersion: v1\nkind: Secret", "Zmlyc3QtcGFzcy0xMjA5"),
            ("apiVersion: v1\nkind: Secret", "second-pass-2290"),
        ],
    ),
    (
        "no-final-newline.yaml",
        &[("apiVersion: v1\nkind: Secret", "dGFpbC1wYXNzLTkwNDY=")],
    ),
];

#[test]
fn only_the_secret_bytes_change() {
    let tree = Tree::new();
    for (file, _) in PRESERVE {
        tree.write(file, fixture(&format!("preserve/{file}")));
    }
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let mut openings = Vec::new();
    for (file, ranges) in PRESERVE {
        let before = fixture(&format!("preserve/{file}"));
        let after = tree.read(file);
        only_ranges_changed(file, &before, &after, ranges);
        openings.extend(sealed_in_place(file, &before, &after, &Expect::key(2048)));
    }

    let bom = tree.read("bom.yaml");
    assert!(
        bom.starts_with(b"\xef\xbb\xbf# A file"),
        "the byte order mark is kept"
    );
    let crlf = tree.read("crlf.yaml");
    let lf = crlf.iter().filter(|b| **b == b'\n').count();
    let crlf_count = crlf.windows(2).filter(|w| w == b"\r\n").count();
    assert!(lf > 20, "the SealedSecret spans lines");
    assert_eq!(lf, crlf_count, "crlf.yaml has a line end that is not CRLF");
    let flow = tree.read_string("flow.yaml");
    let flow_line = flow
        .lines()
        .find(|l| l.contains("SealedSecret"))
        .expect("the flow item is sealed");
    assert!(
        flow_line.starts_with("- {") && flow_line.ends_with('}'),
        "a flow item stays one flow item on its line"
    );
    let json = tree.read_string("secret.json");
    assert!(
        json.starts_with("{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\""),
        "a JSON Secret becomes a JSON SealedSecret in kubeseal's order"
    );
    let docs = tree.read_string("documents.yaml");
    assert_eq!(
        docs.matches("\n...\n").count(),
        2,
        "document end markers are kept"
    );

    assert_opens(&openings);
    let (code, findings) = check_findings(tree.root());
    assert_eq!((code, findings), (0, vec![]), "check is clean after fix");
}

/// A Secret with every kind of metadata becomes a SealedSecret shaped as kubeseal
/// builds it.
fn expected_template_metadata() -> Value {
    json!({
        "name": "full",
        "namespace": "shop",
        "generateName": "full-",
        "labels": {"app.kubernetes.io/name": "shop", "tier": "backend"},
        "annotations": {"description": "keep me", "owner": "team-shop"},
        "finalizers": ["example.com/keep"],
    })
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not a mapping: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Asserts that every mapping in `value` has its keys sorted, as sigs.k8s.io/yaml
/// writes them.
fn assert_sorted_everywhere(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "keys of {at} are not sorted");
            for (k, v) in map {
                assert_sorted_everywhere(v, &format!("{at}.{k}"));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_sorted_everywhere(v, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

#[test]
fn yaml_shape_is_the_one_kubeseal_writes() {
    let tree = Tree::new();
    let before = fixture("shape/full-metadata.yaml");
    tree.write("full.yaml", &before);
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()])
        .code(0)
        .assert_no_leak(&[b"shape-pass-3141", b"shape-user-2718"]);
    let after = tree.read("full.yaml");
    assert!(
        !contains(&after, b"shape-pass-3141"),
        "the last-applied annotations' plaintext must not survive into the template"
    );
    let openings = sealed_in_place("full.yaml", &before, &after, &Expect::key(2048));
    let sealed = &parse_documents("full.yaml", &after)[0];

    assert_eq!(keys(sealed), ["apiVersion", "kind", "metadata", "spec"]);
    assert_eq!(keys(&sealed["spec"]), ["encryptedData", "template"]);
    let template = &sealed["spec"]["template"];
    assert_eq!(keys(template), ["immutable", "metadata", "type"]);
    assert_eq!(template["metadata"], expected_template_metadata());
    assert_eq!(template["type"], "kubernetes.io/basic-auth");
    assert_eq!(template["immutable"], true);
    assert_sorted_everywhere(sealed, "the SealedSecret");
    assert_eq!(openings.len(), 2);
    assert_opens(&openings);
}

#[test]
fn json_shape_follows_kubeseal_struct_order() {
    let tree = Tree::new();
    let before = fixture("shape/full-metadata.json");
    tree.write("full.json", &before);
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let after = tree.read("full.json");
    assert!(!contains(&after, b"shape-pass-3141"));
    assert!(after.ends_with(b"}\n") && !after.ends_with(b"}\n\n"));
    let openings = sealed_in_place("full.json", &before, &after, &Expect::key(2048));
    let sealed = &parse_documents("full.json", &after)[0];

    // Go's encoding/json: struct fields in declaration order (TypeMeta's kind
    // before apiVersion; template before encryptedData), map keys sorted.
    assert_eq!(keys(sealed), ["kind", "apiVersion", "metadata", "spec"]);
    assert_eq!(keys(&sealed["metadata"]), ["name", "namespace"]);
    assert_eq!(keys(&sealed["spec"]), ["template", "encryptedData"]);
    let template = &sealed["spec"]["template"];
    assert_eq!(keys(template), ["metadata", "type", "immutable"]);
    assert_eq!(
        keys(&template["metadata"]),
        [
            "name",
            "generateName",
            "namespace",
            "labels",
            "annotations",
            "finalizers"
        ]
    );
    assert_eq!(template["metadata"], expected_template_metadata());
    assert_eq!(
        keys(&template["metadata"]["labels"]),
        ["app.kubernetes.io/name", "tier"]
    );
    assert_eq!(
        keys(&template["metadata"]["annotations"]),
        ["description", "owner"]
    );
    assert_eq!(
        keys(&sealed["spec"]["encryptedData"]),
        ["password", "username"]
    );
    // kubeseal's pretty JSON: two-space indentation.
    assert!(
        String::from_utf8(after)
            .unwrap()
            .contains("\n  \"spec\": {\n    \"template\"")
    );
    assert_opens(&openings);
}

type Annotations<'a> = &'a [(&'a str, &'a str)];

#[test]
fn scope_annotations_decide_and_only_true_counts() {
    let tree = Tree::new();
    let cases: &[(&str, Annotations, Scope)] = &[
        ("none", &[], Scope::Strict),
        ("ns", &[(NAMESPACE_WIDE, "true")], Scope::NamespaceWide),
        ("cluster", &[(CLUSTER_WIDE, "true")], Scope::ClusterWide),
        (
            "both",
            &[(CLUSTER_WIDE, "true"), (NAMESPACE_WIDE, "true")],
            Scope::ClusterWide,
        ),
        ("capital", &[(NAMESPACE_WIDE, "True")], Scope::Strict),
        (
            "not-true",
            &[(CLUSTER_WIDE, "yes"), (NAMESPACE_WIDE, "true")],
            Scope::NamespaceWide,
        ),
    ];
    let mut texts = Vec::new();
    for (name, annotations, _) in cases {
        let text = secret_yaml(
            name,
            Some("scopes"),
            annotations,
            &format!("stringData:\n  value: scope-value-{name}\n"),
        );
        tree.write(&format!("{name}.yaml"), &text);
        texts.push(text);
    }
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let mut openings = Vec::new();
    for ((name, _, scope), text) in cases.iter().zip(&texts) {
        let file = format!("{name}.yaml");
        let after = tree.read(&file);
        let sealed = &objects(&parse_documents(&file, &after))[0];
        assert_eq!(
            sealed["metadata"]["annotations"][scope.annotation().unwrap_or("none")],
            if *scope == Scope::Strict {
                Value::Null
            } else {
                json!("true")
            },
            "{file}: top-level scope annotation"
        );
        let found = sealed_in_place(&file, text.as_bytes(), &after, &Expect::key(2048));
        assert_eq!(found[0].label, scope.label("scopes", name), "{file}: label");
        openings.extend(found);
    }
    assert_opens(&openings);
}

#[test]
fn configured_scope_is_a_default_that_annotations_override() {
    let tree = Tree::new();
    tree.write(".seal-guard.yaml", "scope: namespace-wide\n");
    let plain = secret_yaml(
        "plain",
        Some("cfg"),
        &[],
        "stringData:\n  v: default-scope-1\n",
    );
    let cluster = secret_yaml(
        "cluster",
        Some("cfg"),
        &[(CLUSTER_WIDE, "true")],
        "stringData:\n  v: default-scope-2\n",
    );
    tree.write("plain.yaml", &plain);
    tree.write("cluster.yaml", &cluster);
    let cert = cert(3072);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let expect = Expect::key(3072).scope(Scope::NamespaceWide);
    let after = tree.read("plain.yaml");
    let mut openings = sealed_in_place("plain.yaml", plain.as_bytes(), &after, &expect);
    assert_eq!(openings[0].label, "cfg");
    // As `kubeseal --scope` does, the scope is written onto the Secret too, so the
    // template carries the annotation.
    let sealed = &parse_documents("plain.yaml", &after)[0];
    assert_eq!(
        sealed["spec"]["template"]["metadata"]["annotations"][NAMESPACE_WIDE],
        "true"
    );
    let after = tree.read("cluster.yaml");
    let found = sealed_in_place("cluster.yaml", cluster.as_bytes(), &after, &expect);
    assert_eq!(found[0].label, "");
    openings.extend(found);
    assert_opens(&openings);
}

#[test]
fn an_added_scope_annotation_keeps_json_map_keys_sorted() {
    // The configured scope is written into the template's annotations; Go writes
    // map keys sorted, so the new key must not simply be appended.
    let tree = Tree::new();
    tree.write(".seal-guard.yaml", "scope: namespace-wide\n");
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"a\", \
                \"namespace\": \"b\", \"annotations\": {\"zz-note\": \"x\", \"aa\": \"y\"}}, \
                \"stringData\": {\"k\": \"json-sorted-value\"}}\n";
    tree.write("s.json", text);
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let after = tree.read("s.json");
    let sealed = &parse_documents("s.json", &after)[0];
    assert_eq!(
        keys(&sealed["spec"]["template"]["metadata"]["annotations"]),
        ["aa", NAMESPACE_WIDE, "zz-note"]
    );
    let expect = Expect::key(2048).scope(Scope::NamespaceWide);
    assert_opens(&sealed_in_place("s.json", text.as_bytes(), &after, &expect));
}

/// Copies the test certificates into `certs/` of a tree: a.crt 2048, b.crt 3072,
/// c.crt 4096 bits.
fn copy_certs(tree: &Tree) {
    for (name, bits) in [("a", 2048), ("b", 3072), ("c", 4096)] {
        tree.write(
            &format!("certs/{name}.crt"),
            std::fs::read(cert(bits)).unwrap(),
        );
    }
}

const OVERRIDES: &str = "\
cert: certs/c.crt
namespace: from-config
overrides:
  - paths: [\"clusters/staging/**\"]
    cert: certs/a.crt
    namespace: staging-ns
  - paths: [\"clusters/prod/**\"]
    cert: certs/b.crt
    scope: namespace-wide
  - paths: [\"clusters/**\"]
    cert: certs/a.crt
    scope: cluster-wide
";

type Namespace<'a> = Option<&'a str>;

#[test]
fn overrides_choose_certificate_scope_and_namespace_first_match_wins() {
    let tree = Tree::new();
    copy_certs(&tree);
    tree.write(".seal-guard.yaml", OVERRIDES);
    // (file, Secret namespace, expected key bits, expected scope, expected namespace)
    let cases: &[(&str, Option<&str>, u32, Scope, Namespace)] = &[
        (
            "clusters/staging/app.yaml",
            None,
            2048,
            Scope::Strict,
            Some("staging-ns"),
        ),
        (
            "clusters/prod/app.yaml",
            Some("prod"),
            3072,
            Scope::NamespaceWide,
            Some("prod"),
        ),
        // Cluster-wide needs no namespace; the configured one is still written.
        (
            "clusters/dev/app.yaml",
            None,
            2048,
            Scope::ClusterWide,
            Some("from-config"),
        ),
        (
            "apps/app.yaml",
            None,
            4096,
            Scope::Strict,
            Some("from-config"),
        ),
    ];
    let mut texts = Vec::new();
    for (i, (file, namespace, ..)) in cases.iter().enumerate() {
        let text = secret_yaml(
            "app",
            *namespace,
            &[],
            &format!("stringData:\n  v: override-{i}-x\n"),
        );
        tree.write(file, &text);
        texts.push(text);
    }
    tree.run(&["fix"]).code(0);
    let mut openings = Vec::new();
    for ((file, _, bits, scope, namespace), text) in cases.iter().zip(&texts) {
        let mut expect = Expect::key(*bits).scope(*scope);
        expect.default_namespace = namespace.map(str::to_owned);
        openings.extend(sealed_in_place(
            file,
            text.as_bytes(),
            &tree.read(file),
            &expect,
        ));
    }
    assert_opens(&openings);

    // `--cert` on the command line beats every configured certificate.
    let tree = Tree::new();
    copy_certs(&tree);
    tree.write(".seal-guard.yaml", OVERRIDES);
    for ((file, ..), text) in cases.iter().zip(&texts) {
        tree.write(file, text);
    }
    let cli = cert(2048);
    let out = tree.run(&["fix", "--format", "json", "--cert", cli.to_str().unwrap()]);
    // The configured certificates still judge the result: where the configured key
    // has another size than the one on the command line, check says so (exit 1).
    out.code(1);
    let mut mismatched: Vec<String> = report_findings(&out)
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "sealed-key-mismatch", "{f}");
            f["path"].as_str().unwrap().to_owned()
        })
        .collect();
    mismatched.sort();
    assert_eq!(mismatched, ["apps/app.yaml", "clusters/prod/app.yaml"]);
    let mut openings = Vec::new();
    for ((file, _, _, scope, namespace), text) in cases.iter().zip(&texts) {
        let mut expect = Expect::key(2048).scope(*scope);
        expect.default_namespace = namespace.map(str::to_owned);
        openings.extend(sealed_in_place(
            file,
            text.as_bytes(),
            &tree.read(file),
            &expect,
        ));
    }
    assert_opens(&openings);
}

#[test]
fn namespace_comes_from_the_secret_then_kustomization_then_config() {
    let tree = Tree::new();
    tree.write(".seal-guard.yaml", "namespace: cfg-ns\n");
    tree.write(
        "direct/kustomization.yaml",
        "namespace: kust-ns\nresources:\n  - secret.yaml\n",
    );
    tree.write(
        "nested/kustomization.yaml",
        "namespace: parent-ns\nresources: [db]\n",
    );
    tree.write(
        "nested/db/kustomization.yaml",
        "resources:\n  - ./secret.yaml\n",
    );
    // (file, the Secret's own namespace, expected namespace)
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("direct/secret.yaml", None, "kust-ns"),
        ("direct/unlisted.yaml", None, "cfg-ns"),
        ("nested/db/secret.yaml", None, "parent-ns"),
        ("own/secret.yaml", Some("own-ns"), "own-ns"),
        ("elsewhere/secret.yaml", None, "cfg-ns"),
    ];
    let mut texts = Vec::new();
    for (i, (file, namespace, _)) in cases.iter().enumerate() {
        let text = secret_yaml(
            "ns-test",
            *namespace,
            &[],
            &format!("stringData:\n  v: ns-value-{i}-x\n"),
        );
        tree.write(file, &text);
        texts.push(text);
    }
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let mut openings = Vec::new();
    for ((file, _, namespace), text) in cases.iter().zip(&texts) {
        let after = tree.read(file);
        let found = sealed_in_place(
            file,
            text.as_bytes(),
            &after,
            &Expect::key(2048).namespace(namespace),
        );
        assert_eq!(found[0].label, format!("{namespace}/ns-test"), "{file}");
        openings.extend(found);
    }
    assert_opens(&openings);
}

#[test]
fn without_a_namespace_strict_and_namespace_wide_are_refused_cluster_wide_is_not() {
    let tree = Tree::new();
    let strict = secret_yaml("no-ns", None, &[], "stringData:\n  v: no-namespace-1\n");
    let ns_wide = secret_yaml(
        "no-ns-wide",
        None,
        &[(NAMESPACE_WIDE, "true")],
        "stringData:\n  v: no-namespace-2\n",
    );
    // One Secret that could be sealed next to one that cannot: the file keeps every byte.
    let mixed = format!(
        "{}---\n{}",
        secret_yaml(
            "fine",
            Some("ok"),
            &[],
            "stringData:\n  v: no-namespace-3\n"
        ),
        secret_yaml("orphan", None, &[], "stringData:\n  v: no-namespace-4\n"),
    );
    let cluster = secret_yaml(
        "anywhere",
        None,
        &[(CLUSTER_WIDE, "true")],
        "stringData:\n  v: no-namespace-5\n",
    );
    tree.write("strict.yaml", &strict);
    tree.write("ns-wide.yaml", &ns_wide);
    tree.write("mixed.yaml", &mixed);
    tree.write("cluster.yaml", &cluster);
    let cert = cert(2048);
    let out = tree.run(&["fix", "--format", "json", "--cert", cert.to_str().unwrap()]);
    out.code(1).assert_no_leak(&[
        b"no-namespace-1",
        b"no-namespace-2",
        b"no-namespace-3",
        b"no-namespace-4",
    ]);
    assert_same_bytes("strict.yaml", &tree.read("strict.yaml"), strict.as_bytes());
    assert_same_bytes(
        "ns-wide.yaml",
        &tree.read("ns-wide.yaml"),
        ns_wide.as_bytes(),
    );
    assert_same_bytes("mixed.yaml", &tree.read("mixed.yaml"), mixed.as_bytes());
    let mut refused: Vec<(String, String)> = report_findings(&out)
        .iter()
        .filter(|f| f["rule"] == "unsealable-secret")
        .map(|f| {
            assert!(
                f["message"].as_str().unwrap().contains("namespace"),
                "the finding says why: {}",
                f["message"]
            );
            (
                f["path"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            ("mixed.yaml".to_owned(), "orphan".to_owned()),
            ("ns-wide.yaml".to_owned(), "no-ns-wide".to_owned()),
            ("strict.yaml".to_owned(), "no-ns".to_owned()),
        ]
    );
    let openings = sealed_in_place(
        "cluster.yaml",
        cluster.as_bytes(),
        &tree.read("cluster.yaml"),
        &Expect::key(2048),
    );
    assert_opens(&openings);
}

#[test]
fn invalid_base64_is_refused_and_its_file_keeps_every_byte() {
    let tree = Tree::new();
    let bad = secret_yaml(
        "bad",
        Some("ns"),
        &[],
        "data:\n  password: \"not*base64!\"\n",
    );
    let mixed = format!(
        "{}---\n{}",
        secret_yaml(
            "good",
            Some("ns"),
            &[],
            "stringData:\n  v: bad-b64-neighbour\n"
        ),
        secret_yaml("bad2", Some("ns"), &[], "data:\n  token: YWJj-_\n"),
    );
    let fine = secret_yaml(
        "fine",
        Some("ns"),
        &[],
        "stringData:\n  v: bad-b64-other-file\n",
    );
    tree.write("bad.yaml", &bad);
    tree.write("mixed.yaml", &mixed);
    tree.write("fine.yaml", &fine);
    let cert = cert(2048);
    let out = tree.run(&["fix", "--format", "json", "--cert", cert.to_str().unwrap()]);
    out.code(1)
        .assert_no_leak(&[b"not*base64!", b"bad-b64-neighbour"]);
    assert_same_bytes("bad.yaml", &tree.read("bad.yaml"), bad.as_bytes());
    assert_same_bytes("mixed.yaml", &tree.read("mixed.yaml"), mixed.as_bytes());
    let messages: Vec<String> = report_findings(&out)
        .iter()
        .filter(|f| f["rule"] == "unsealable-secret")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("data.password") && m.contains("base64"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("data.token") && m.contains("base64"))
    );
    // Other files are sealed all the same.
    let openings = sealed_in_place(
        "fine.yaml",
        fine.as_bytes(),
        &tree.read("fine.yaml"),
        &Expect::key(2048),
    );
    assert_opens(&openings);
}

#[test]
fn files_that_cannot_be_rewritten_safely_keep_every_byte() {
    let tree = Tree::new();
    // An anchor inside the Secret that a neighbour refers to: replacing the Secret
    // would leave the alias dangling.
    let anchored = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    \
                    metadata:\n      name: anchored\n      namespace: &ns shop\n    \
                    stringData: {v: anchored-value}\n  - apiVersion: v1\n    kind: ConfigMap\n    \
                    metadata:\n      name: neighbour\n      namespace: *ns\n";
    tree.write("anchored.yaml", anchored);
    // UTF-16 cannot be rewritten in place byte for byte.
    let utf16: Vec<u8> = secret_yaml("wide", Some("ns"), &[], "stringData:\n  v: utf16-value\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let utf16 = [&[0xff, 0xfe][..], &utf16].concat();
    tree.write("utf16.yaml", &utf16);
    // An alias into a neighbour, resolved while sealing, is fine.
    let merged = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    \
                  metadata: &meta\n      name: cm\n      namespace: shop\n  - apiVersion: v1\n    \
                  kind: Secret\n    metadata:\n      <<: *meta\n      name: merged\n    \
                  stringData: {v: merged-value}\n";
    tree.write("merged.yaml", merged);
    let cert = cert(2048);
    let out = tree.run(&["fix", "--format", "json", "--cert", cert.to_str().unwrap()]);
    out.code(1)
        .assert_no_leak(&[b"anchored-value", b"utf16-value", b"merged-value"]);
    assert_same_bytes(
        "anchored.yaml",
        &tree.read("anchored.yaml"),
        anchored.as_bytes(),
    );
    assert_same_bytes("utf16.yaml", &tree.read("utf16.yaml"), &utf16);
    let findings = report_findings(&out);
    for file in ["anchored.yaml", "utf16.yaml"] {
        assert!(
            findings.iter().any(|f| f["path"] == file
                && f["rule"] != "plaintext-secret"
                && f["severity"] == "error"),
            "{file}: the refusal is reported: {findings:?}"
        );
    }
    let after = tree.read("merged.yaml");
    let sealed = &objects(&parse_documents("merged.yaml", &after))[1];
    assert_eq!(
        sealed["metadata"],
        json!({"name": "merged", "namespace": "shop"})
    );
    let secret = json!({
        "metadata": {"name": "merged", "namespace": "shop"},
        "stringData": {"v": "merged-value"},
    });
    assert_opens(&sealed_from(
        "merged.yaml",
        &secret,
        sealed,
        &Expect::key(2048),
    ));
}

#[test]
fn keys_and_names_that_older_yaml_reads_as_other_types_stay_strings() {
    // sigs.k8s.io/yaml (YAML 1.1) reads unquoted yes/no/on/off/y/n as booleans and
    // 123, 0x1F, 1_000, 1e3, .inf or null as numbers or null: written unquoted, the
    // controller would see other names. All of them are valid Secret keys.
    let tree = Tree::new();
    let odd = [
        "yes", "off", "n", "null", "123", "0x1F", "1_000", "1e3", ".inf",
    ];
    let mut text =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"on\"\n  namespace: \"no\"\n  \
                    labels: {\"yes\": \"y\", \"123\": \"null\"}\nstringData:\n  \
                    .dockerconfigjson: v-docker-0\n"
            .to_owned();
    for (i, key) in odd.iter().enumerate() {
        text.push_str(&format!("  \"{key}\": v-odd-{i}\n"));
    }
    tree.write("odd.yaml", &text);
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    let after = tree.read_string("odd.yaml");
    for key in odd {
        assert!(
            after.contains(&format!("\n    \"{key}\": "))
                || after.contains(&format!("\n    '{key}': ")),
            "encryptedData key {key:?} is not quoted"
        );
    }
    let sealed = &parse_documents("odd.yaml", after.as_bytes())[0];
    assert_eq!(sealed["metadata"], json!({"name": "on", "namespace": "no"}));
    assert_eq!(
        sealed["spec"]["template"]["metadata"]["labels"],
        json!({"123": "null", "yes": "y"})
    );
    let openings = sealed_in_place(
        "odd.yaml",
        text.as_bytes(),
        after.as_bytes(),
        &Expect::key(2048),
    );
    assert_eq!(openings.len(), 10);
    assert_opens(&openings);
}

/// A tree with one plaintext Secret, for runs that must stop before writing.
fn one_secret_tree() -> (Tree, String) {
    let tree = Tree::new();
    let text = secret_yaml(
        "one",
        Some("ns"),
        &[],
        "stringData:\n  v: cert-test-value\n",
    );
    tree.write("one.yaml", &text);
    (tree, text)
}

#[test]
fn unusable_certificates_stop_the_run_before_anything_is_written() {
    let cases: &[(Option<&str>, &str)] = &[
        (Some("expired-2021.crt"), "2021-01-01"),
        (Some("ec-p256.crt"), "RSA"),
        (Some("rsa-1024.crt"), "1024"),
        (Some("no-such.crt"), "no-such.crt"),
        (None, "no sealing certificate"),
    ];
    for (cert, says) in cases {
        let (tree, text) = one_secret_tree();
        let path = cert.map(key_file);
        let mut args = vec!["fix"];
        if let Some(path) = &path {
            args.extend(["--cert", path.to_str().unwrap()]);
        }
        let out = tree.run(&args);
        out.code(2).assert_no_leak(&[b"cert-test-value"]);
        assert!(
            out.stderr().contains(says),
            "{cert:?}: the message names {says:?}: {}",
            out.stderr()
        );
        assert_same_bytes(
            &format!("{cert:?}: one.yaml"),
            &tree.read("one.yaml"),
            text.as_bytes(),
        );
        assert!(tree.temp_files().is_empty());
    }

    // The expired certificate is rsa-2048.key's: allowed explicitly, it seals.
    let (tree, text) = one_secret_tree();
    let expired = key_file("expired-2021.crt");
    tree.run(&[
        "fix",
        "--allow-expired-cert",
        "--cert",
        expired.to_str().unwrap(),
    ])
    .code(0);
    let openings = sealed_in_place(
        "one.yaml",
        text.as_bytes(),
        &tree.read("one.yaml"),
        &Expect::key(2048),
    );
    assert_opens(&openings);
}

#[test]
fn bare_public_keys_seal_too() {
    let mut openings = Vec::new();
    for pem in ["rsa-2048.pub.pem", "rsa-2048.rsapub.pem"] {
        let (tree, text) = one_secret_tree();
        let path = key_file(pem);
        tree.run(&["fix", "--cert", path.to_str().unwrap()]).code(0);
        openings.extend(sealed_in_place(
            pem,
            text.as_bytes(),
            &tree.read("one.yaml"),
            &Expect::key(2048),
        ));
    }
    assert_opens(&openings);
}

#[test]
fn a_second_fix_changes_nothing_and_check_is_clean() {
    let tree = Tree::new();
    for (file, _) in PRESERVE {
        tree.write(&format!("p/{file}"), fixture(&format!("preserve/{file}")));
    }
    tree.write("shape/full.yaml", fixture("shape/full-metadata.yaml"));
    // An allowed Secret is left as it is, by both runs.
    let allowed = secret_yaml(
        "allowed",
        Some("ns"),
        &[("seal-guard/allow", "public test credentials")],
        "stringData:\n  v: allowed-value\n",
    );
    tree.write("allowed.yaml", &allowed);
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    tree.run(&["fix", "--cert", cert]).code(0);
    let first = tree.files();
    assert_same_bytes("allowed.yaml", &first["allowed.yaml"], allowed.as_bytes());
    let out = tree.run(&["fix", "--cert", cert]);
    out.code(0);
    assert!(
        !out.stderr().contains("sealed "),
        "the second run seals nothing: {}",
        out.stderr()
    );
    assert_same_tree("second fix", &tree.files(), &first);
    let (code, findings) = check_findings(tree.root());
    assert_eq!((code, findings), (0, vec![]));
}

#[test]
fn dry_run_lists_what_it_would_seal_and_writes_nothing() {
    let tree = Tree::new();
    tree.write("a/documents.yaml", fixture("preserve/documents.yaml"));
    tree.write("a/two-secrets.yaml", fixture("preserve/two-secrets.yaml"));
    tree.write("b/list.json", fixture("preserve/list.json"));
    tree.write(
        "c/cluster.yaml",
        secret_yaml(
            "wide",
            None,
            &[(CLUSTER_WIDE, "true")],
            "stringData:\n  v: dry-run-cluster\n",
        ),
    );
    let before = tree.files();
    let cert = cert(2048);
    let out = tree.run(&["fix", "--dry-run", "--cert", cert.to_str().unwrap()]);
    out.code(1)
        .assert_no_leak(&[b"db-user-4411", b"second-pass-2290", b"dry-run-cluster"]);
    assert_same_tree("--dry-run", &tree.files(), &before);
    let listed: Vec<&str> = out
        .stdout
        .split(|b| *b == b'\n')
        .map(|l| std::str::from_utf8(l).unwrap())
        .filter(|l| l.starts_with("would seal "))
        .collect();
    assert_eq!(
        listed,
        [
            "would seal a/documents.yaml:14 document 2: Secret db-credentials (2 values, scope strict, namespace shop)",
            "would seal a/two-secrets.yaml:3 document 1: Secret first (1 value, scope strict, namespace shop)",
            "would seal a/two-secrets.yaml:19 document 3: Secret second (1 value, scope namespace-wide, namespace shop)",
            "would seal b/list.json:8 document 1: Secret json-list-secret (1 value, scope strict, namespace shop)",
            "would seal c/cluster.yaml:2 document 1: Secret wide (1 value, scope cluster-wide, namespace (none))",
        ]
    );

    // Nothing to seal: exit 0, nothing listed.
    let clean = Tree::new();
    clean.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let out = clean.run(&["fix", "--dry-run", "--cert", cert.to_str().unwrap()]);
    out.code(0);
    assert!(!out.stdout().contains("would seal"));
}

#[test]
fn exit_codes() {
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    // 0: nothing to do (no certificate needed then).
    let tree = Tree::new();
    tree.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    tree.run(&["fix"]).code(0);
    // 0: everything sealed.
    let (tree, _) = one_secret_tree();
    tree.run(&["fix", "--cert", cert]).code(0);
    // 1: a Secret could not be sealed.
    let tree = Tree::new();
    tree.write(
        "x.yaml",
        secret_yaml("x", None, &[], "stringData:\n  v: exit-code-1\n"),
    );
    tree.run(&["fix", "--cert", cert]).code(1);
    // 2: a bad flag, an unreadable config, a path that does not exist.
    let (tree, text) = one_secret_tree();
    tree.run(&["fix", "--no-such-flag"]).code(2);
    tree.write(".seal-guard.yaml", "scope: everywhere\n");
    tree.run(&["fix", "--cert", cert]).code(2);
    std::fs::remove_file(tree.path(".seal-guard.yaml")).unwrap();
    tree.run(&["fix", "--cert", cert, "missing/"]).code(2);
    assert_same_bytes("one.yaml", &tree.read("one.yaml"), text.as_bytes());
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_never_written_through() {
    let outside = Tree::new();
    let target_text = secret_yaml(
        "target",
        Some("ns"),
        &[],
        "stringData:\n  v: link-target-value\n",
    );
    let target = outside.write("target.yaml", &target_text);
    let dir_target = outside.write("dir/inner.yaml", &target_text);

    let tree = Tree::new();
    std::os::unix::fs::symlink(&target, tree.path("link.yaml")).unwrap();
    std::os::unix::fs::symlink(dir_target.parent().unwrap(), tree.path("linked-dir")).unwrap();
    let own = secret_yaml("own", Some("ns"), &[], "stringData:\n  v: link-own-value\n");
    tree.write("own.yaml", &own);
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();

    // Walking the tree: links are skipped, the regular file is sealed.
    tree.run(&["fix", "--cert", cert]).code(0);
    assert_changed("own.yaml", &tree.read("own.yaml"), own.as_bytes());
    // Named on the command line: still never written through.
    for named in ["link.yaml", "linked-dir"] {
        let out = tree.run(&["fix", "--cert", cert, named]);
        out.assert_no_leak(&[b"link-target-value"]);
        assert_ne!(
            out.code, 0,
            "{named}: a plaintext Secret is left, so not clean"
        );
    }
    for link in ["link.yaml", "linked-dir"] {
        let meta = std::fs::symlink_metadata(tree.path(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is still a link");
    }
    assert_same_bytes(
        "link target",
        &std::fs::read(&target).unwrap(),
        target_text.as_bytes(),
    );
    assert_same_bytes(
        "linked folder",
        &std::fs::read(&dir_target).unwrap(),
        target_text.as_bytes(),
    );
    assert!(outside.temp_files().is_empty() && tree.temp_files().is_empty());
}

#[cfg(unix)]
#[test]
fn file_modes_are_kept_and_no_temporary_file_is_left() {
    let tree = Tree::new();
    let modes = [0o600, 0o640, 0o644, 0o755, 0o444];
    for (i, mode) in modes.iter().enumerate() {
        let file = format!("m{i}.yaml");
        let path = tree.write(
            &file,
            secret_yaml(
                &format!("m{i}"),
                Some("ns"),
                &[],
                &format!("stringData:\n  v: mode-value-{i}\n"),
            ),
        );
        set_mode(&path, *mode);
    }
    let before = tree.files();
    let cert = cert(2048);
    tree.run(&["fix", "--cert", cert.to_str().unwrap()]).code(0);
    for (i, expected) in modes.iter().enumerate() {
        let file = format!("m{i}.yaml");
        assert_changed(&file, &tree.read(&file), &before[&file]);
        assert_eq!(
            format!("{:o}", mode(&tree.path(&file))),
            format!("{expected:o}"),
            "{file}: mode changed"
        );
    }
    assert_eq!(
        tree.files().keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "files were added or removed"
    );
}

#[test]
fn no_output_format_or_log_level_shows_a_plaintext_value() {
    let tag = "leak";
    let values = rich_probes(tag);
    let tree_with = || {
        let tree = Tree::new();
        // One Secret that seals, one refused (no namespace) whose snippet is shown,
        // and one with a last-applied annotation holding the value again.
        tree.write(
            "ok.yaml",
            secret_yaml("ok", Some("ns"), &[], &rich_body(tag)),
        );
        tree.write(
            "refused.yaml",
            secret_yaml("refused", None, &[], &rich_body(tag)),
        );
        tree.write("shape.yaml", fixture("shape/full-metadata.yaml"));
        tree
    };
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();
    let mut all = values.clone();
    all.push(b"shape-pass-3141".to_vec());
    all.push(b"shape-user-2718".to_vec());
    for format in ["human", "json", "sarif", "github"] {
        for extra in [&[][..], &["--dry-run"][..], &["-vvv"][..]] {
            let tree = tree_with();
            let mut args = vec!["fix", "--cert", cert, "--format", format];
            args.extend(extra);
            let out = tree.run(&args);
            out.code(1).assert_no_leak(&probes(&all));
        }
    }
}
