#!/usr/bin/env python3
"""Writes the SealedSecret fixtures in fixtures/sealed/ with an implementation of the
format that is not seal-guard's: Python's `cryptography` package and the description
in FORMAT.md (sections 1 and 2), nothing else.

Per value: a fresh 32-byte AES key K; R = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(K);
G = AES-256-GCM(K, nonce = 12 zero bytes, no AAD)(plaintext); blob = u16_be(len R) ||
R || G; the value is the padded standard base64 of the blob. The label is
"<namespace>/<name>" (strict), "<namespace>" (namespace-wide) or empty (cluster-wide).

The manifests copy the shapes kubeseal and people produce (see the table in
SHAPES below). Running this again changes every sealed value (fresh keys, fresh OAEP
seeds) and nothing else: the files are reproducible in shape, not in bytes, and
expected.json, which lists every object's label and every item's plaintext, is
reproduced byte for byte. The plaintexts are throw-away test strings.

Usage: make_vectors.py [--out DIR]   (default: fixtures/sealed of this repository)

Exit status: 0 on success, 3 when `cryptography` is missing.
"""

import argparse
import base64
import json
import os
import sys

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:
    sys.stderr.write(
        "make_vectors.py needs Python's `cryptography` package: "
        "pip install cryptography (or apt-get install python3-cryptography)\n"
    )
    sys.exit(3)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = os.path.join(REPO, "fixtures", "keys")

NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"
CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"


def public_key(key_name):
    """The RSA public key of fixtures/keys/<key_name>.crt. Only the key is read: the
    certificate's encipherOnly KeyUsage is one `cryptography` refuses to expose."""
    with open(os.path.join(KEYS, key_name + ".crt"), "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).public_key()


def label_of(scope, namespace, name):
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return namespace.encode()
    return (namespace + "/" + name).encode()


def seal(key_name, label, plaintext):
    """One sealed value, as padded standard base64."""
    pub = public_key(key_name)
    session_key = os.urandom(32)
    wrapped = pub.encrypt(
        session_key,
        padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA256()),
            algorithm=hashes.SHA256(),
            label=label,
        ),
    )
    body = AESGCM(session_key).encrypt(bytes(12), plaintext, None)
    blob = len(wrapped).to_bytes(2, "big") + wrapped + body
    value = base64.b64encode(blob).decode("ascii")
    # The corruption tests strip the padding of any value; make sure there is some.
    if not value.endswith("="):
        raise SystemExit(
            f"a {len(plaintext)}-byte plaintext gives an unpadded value with {key_name}; "
            "change its length"
        )
    return value


class Obj:
    """One SealedSecret to write: names, scope, and items (name -> (key, plaintext))."""

    def __init__(self, name, namespace, scope, items, legacy=None):
        self.name = name
        self.namespace = namespace
        self.scope = scope
        self.items = items
        self.legacy = legacy
        self.label = label_of(scope, namespace, name)
        self.sealed = {
            item: seal(key, self.label, plaintext.encode())
            for item, (key, plaintext) in items.items()
        }
        if legacy is not None:
            self.legacy_plaintext = legacy_secret_json(name, namespace, legacy)
            self.legacy_value = seal("rsa-2048", self.label, self.legacy_plaintext.encode())

    def expected(self):
        items = [
            {"item": "encryptedData." + item, "key": key, "plaintext": plaintext}
            for item, (key, plaintext) in self.items.items()
        ]
        if self.legacy is not None:
            items.append(
                {
                    "item": "data",
                    "key": "rsa-2048",
                    "plaintext": self.legacy_plaintext,
                    "secret_data": self.legacy,
                }
            )
        return {
            "name": self.name,
            "namespace": self.namespace,
            "scope": self.scope,
            "label": self.label.decode(),
            "items": items,
        }


def legacy_secret_json(name, namespace, data):
    """What pre-v0.7.0 kubeseal sealed as one blob: the whole Secret as JSON, with
    `data` values base64-encoded as Kubernetes encodes []byte."""
    secret = {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        "type": "Opaque",
    }
    return json.dumps(secret, separators=(",", ":"))


def yaml_items(obj, indent):
    pad = " " * indent
    return "".join(f"{pad}{item}: {obj.sealed[item]}\n" for item in sorted(obj.sealed))


# ---------------------------------------------------------------------------------
# The shapes. Every item name is unique within its file, so that a test can find an
# item's line by its name.


def namespace_wide():
    o = Obj(
        "db-credentials",
        "team-a",
        "namespace-wide",
        {
            "password": ("rsa-2048", "nsw-db-pass-7Qx!9z"),
            "username": ("rsa-2048", "nsw-db-user-K2z"),
        },
    )
    # kubeseal --scope namespace-wide: the annotation is set on the Secret before it
    # is copied into the template, so both carry it.
    text = (
        "---\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        "  annotations:\n"
        f'    {NAMESPACE_WIDE}: "true"\n'
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        "  encryptedData:\n"
        f"{yaml_items(o, 4)}"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        f'        {NAMESPACE_WIDE}: "true"\n'
        f"      name: {o.name}\n"
        f"      namespace: {o.namespace}\n"
    )
    return text, [o]


def cluster_wide():
    o = Obj(
        "shared-registry",
        None,
        "cluster-wide",
        {
            ".dockerconfigjson": (
                "rsa-2048",
                '{"auths":{"registry1.example.test":{"auth":"Y2x1c3Rlci13aWRlLXJlZw=="}}}',
            ),
        },
    )
    text = (
        "---\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        "  annotations:\n"
        f'    {CLUSTER_WIDE}: "true"\n'
        f"  name: {o.name}\n"
        "spec:\n"
        "  encryptedData:\n"
        f"{yaml_items(o, 4)}"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        f'        {CLUSTER_WIDE}: "true"\n'
        f"      name: {o.name}\n"
        "    type: kubernetes.io/dockerconfigjson\n"
    )
    return text, [o]


def legacy_v1():
    o = Obj(
        "old-api-key",
        "legacy",
        "strict",
        {},
        legacy={"api-key": "legacy-v1-api-key-Zr8", "endpoint": "legacy-v1-endpoint-4m"},
    )
    text = (
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        f"  data: {o.legacy_value}\n"
    )
    return text, [o]


def rich_template():
    o = Obj(
        "api-token",
        "payments",
        "strict",
        {
            "password": ("rsa-2048", "rich-ledger-pass-Hw3z"),
            "username": ("rsa-2048", "rich-ledger-user-p0"),
        },
    )
    text = (
        "---\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        "  encryptedData:\n"
        f"{yaml_items(o, 4)}"
        "  template:\n"
        "    data:\n"
        "      config.ini: |\n"
        "        [auth]\n"
        "        user = {{ .username }}\n"
        '        token = {{ index . "password" }}\n'
        "      dsn: postgres://{{ .username }}:{{ .password }}@db.payments.svc:5432/ledger\n"
        "    immutable: true\n"
        "    metadata:\n"
        "      annotations:\n"
        '        argocd.argoproj.io/sync-wave: "-1"\n'
        "        team.example.com/owner: payments-oncall\n"
        "      labels:\n"
        "        app.kubernetes.io/name: ledger\n"
        "        app.kubernetes.io/part-of: payments\n"
        f"      name: {o.name}\n"
        f"      namespace: {o.namespace}\n"
        "    type: kubernetes.io/basic-auth\n"
    )
    return text, [o]


def older_kubeseal():
    o = Obj(
        "smtp-relay",
        "mail",
        "strict",
        {"smtp-password": ("rsa-2048", "old-smtp-pass-Vb5z")},
    )
    text = (
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        "  creationTimestamp: null\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        "  encryptedData:\n"
        f"{yaml_items(o, 4)}"
        "  template:\n"
        "    data: null\n"
        "    metadata:\n"
        "      creationTimestamp: null\n"
        f"      name: {o.name}\n"
        f"      namespace: {o.namespace}\n"
        "status: {}\n"
    )
    return text, [o]


def raw_assembled():
    o = Obj(
        "grafana-admin",
        "monitoring",
        "namespace-wide",
        {
            "admin-password": ("rsa-2048", "raw-grafana-pass-Tz1z"),
            "admin-user": ("rsa-2048", "raw-grafana-user-x"),
        },
    )
    # Written by hand around two `kubeseal --raw` outputs: quoted values, a comment
    # between items, the scope annotation only at the top, a template of one field.
    text = (
        "# Assembled by hand from `kubeseal --raw --scope namespace-wide -n monitoring`.\n"
        "# With --raw, the scope annotation has to be added by hand.\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "  annotations:\n"
        f'    {NAMESPACE_WIDE}: "true"\n'
        "spec:\n"
        "  template:\n"
        "    type: Opaque\n"
        "  encryptedData:\n"
        f"    admin-user: \"{o.sealed['admin-user']}\"\n"
        "    # rotated by hand\n"
        f"    admin-password: '{o.sealed['admin-password']}'\n"
    )
    return text, [o]


def template_only():
    o = Obj("feature-flags", "web", "strict", {})
    # An object with nothing sealed, only templates (sealed-secrets #653).
    text = (
        "---\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        "  encryptedData: {}\n"
        "  template:\n"
        "    data:\n"
        "      beta-host: '{{ printf \"%s.%s.svc\" \"beta\" \"web\" }}'\n"
        f"    metadata:\n"
        f"      name: {o.name}\n"
        f"      namespace: {o.namespace}\n"
    )
    return text, [o]


def sealed_list():
    a = Obj(
        "queue-a",
        "workers",
        "strict",
        {"amqp-url": ("rsa-2048", "list-amqp-url-a-Pp4")},
    )
    b = Obj(
        "queue-b",
        "workers",
        "namespace-wide",
        {"amqp-password": ("rsa-2048", "list-amqp-pass-b-Jj")},
    )
    text = (
        "apiVersion: bitnami.com/v1alpha1\n"
        "items:\n"
        "- apiVersion: bitnami.com/v1alpha1\n"
        "  kind: SealedSecret\n"
        "  metadata:\n"
        f"    name: {a.name}\n"
        f"    namespace: {a.namespace}\n"
        "  spec:\n"
        "    encryptedData:\n"
        f"{yaml_items(a, 6)}"
        "    template:\n"
        "      metadata:\n"
        f"        name: {a.name}\n"
        f"        namespace: {a.namespace}\n"
        "- apiVersion: bitnami.com/v1alpha1\n"
        "  kind: SealedSecret\n"
        "  metadata:\n"
        "    annotations:\n"
        f'      {NAMESPACE_WIDE}: "true"\n'
        f"    name: {b.name}\n"
        f"    namespace: {b.namespace}\n"
        "  spec:\n"
        "    encryptedData:\n"
        f"{yaml_items(b, 6)}"
        "    template:\n"
        "      metadata:\n"
        "        annotations:\n"
        f'          {NAMESPACE_WIDE}: "true"\n'
        f"        name: {b.name}\n"
        f"        namespace: {b.namespace}\n"
        "kind: SealedSecretList\n"
        "metadata:\n"
        '  resourceVersion: ""\n'
    )
    return text, [a, b]


def json_object():
    o = Obj(
        "oauth-client",
        "auth",
        "strict",
        {
            "client-id": ("rsa-2048", "json-client-id-Ww2"),
            "client-secret": ("rsa-2048", "json-client-secret-Lk"),
        },
    )
    meta = {"name": o.name, "namespace": o.namespace, "creationTimestamp": None}
    # kubeseal's JSON: struct order (kind before apiVersion, template before
    # encryptedData), two-space indent, a final newline.
    document = {
        "kind": "SealedSecret",
        "apiVersion": "bitnami.com/v1alpha1",
        "metadata": dict(meta),
        "spec": {
            "template": {"metadata": dict(meta), "type": "Opaque"},
            "encryptedData": {k: o.sealed[k] for k in sorted(o.sealed)},
        },
    }
    return json.dumps(document, indent=2) + "\n", [o]


def mixed_keys():
    o = Obj(
        "stripe-keys",
        "billing",
        "strict",
        {
            # After a key renewal, or `kubeseal --merge-into` with a newer cert.
            "publishable": ("rsa-2048", "mixed-publishable-2048-Ab"),
            "secret-key": ("rsa-3072", "mixed-secret-3072-Cd"),
        },
    )
    text = (
        "---\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        f"  name: {o.name}\n"
        f"  namespace: {o.namespace}\n"
        "spec:\n"
        "  encryptedData:\n"
        f"{yaml_items(o, 4)}"
        "  template:\n"
        "    metadata:\n"
        f"      name: {o.name}\n"
        f"      namespace: {o.namespace}\n"
    )
    return text, [o]


SHAPES = [
    ("namespace-wide.yaml", "namespace-wide scope, annotation at both levels", namespace_wide),
    ("cluster-wide.yaml", "cluster-wide scope, no namespace, an item key starting with '.'", cluster_wide),
    ("legacy-v1.yaml", "legacy v1: spec.data is one blob holding the whole Secret as JSON", legacy_v1),
    ("rich-template.yaml", "labels, annotations, type, immutable, template.data templates", rich_template),
    ("older-kubeseal.yaml", "creationTimestamp: null twice, template.data: null, status: {}", older_kubeseal),
    ("raw-assembled.yaml", "hand-assembled from --raw: quoted values, comments, minimal template", raw_assembled),
    ("template-only.yaml", "encryptedData: {} with template.data only", template_only),
    ("list.yaml", "a SealedSecretList of a strict and a namespace-wide object", sealed_list),
    ("json-secret.json", "kubeseal's JSON output", json_object),
    ("mixed-keys.yaml", "one object, items sealed with a 2048- and a 3072-bit key", mixed_keys),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "fixtures", "sealed"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    files = []
    for file_name, about, make in SHAPES:
        text, objects = make()
        with open(os.path.join(out, file_name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        files.append(
            {"file": file_name, "about": about, "objects": [o.expected() for o in objects]}
        )
    expected = {
        "about": "Written by tests/independent/make_vectors.py with the throw-away keys "
        "in fixtures/keys; `key` names the key pair that sealed each item. Plaintexts "
        "are test strings that protect nothing.",
        "files": files,
    }
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    rows = "".join(f"| `{name}` | {about} |\n" for name, about, _ in SHAPES)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(README.format(rows=rows))


README = """\
# SealedSecrets sealed by an implementation that is not seal-guard's

Written by `tests/independent/make_vectors.py` (Python's `cryptography` package,
following FORMAT.md) with the throw-away keys in `../keys`; do not edit by hand, run
the script again. `expected.json` lists every object's scope and OAEP label and every
item's key and plaintext (test strings that protect nothing). Running the script
again changes every sealed value and nothing else; `tests/cli_sealed.rs` checks that.

| file | shape |
| --- | --- |
{rows}"""


if __name__ == "__main__":
    main()
