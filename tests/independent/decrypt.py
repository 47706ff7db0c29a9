#!/usr/bin/env python3
"""Opens Sealed Secrets values with Python's `cryptography` package, independently of
seal-guard's Rust code, so that `tests/seal_independent.rs` can check that what we
seal is what the format (and the controller) expects.

Reads one JSON request on stdin:

    {"keys":  {"<key id>": "<path to a PEM RSA private key>", ...},
     "cases": [{"id": "...", "key": "<key id>", "label": "<base64 OAEP label>",
                "value": "<sealed value: padded standard base64>"}, ...]}

and writes one JSON answer on stdout, one entry per case:

    {"results": [{"id": "...", "opened": true, "length": 12, "sha256": "<hex>"}
                 | {"id": "...", "opened": false, "stage": "format|rsa|aes",
                    "error": "<exception type>"}, ...]}

It judges nothing: the Rust test decides which outcomes are right. Plaintexts are
never written out, only their length and SHA-256.

Exit status: 0 when every case was attempted, 3 when `cryptography` is missing,
2 on a malformed request.
"""

import base64
import binascii
import hashlib
import json
import sys

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as error:
    print(
        f"decrypt.py needs the Python package `cryptography` ({error}); "
        "install it with `python3 -m pip install cryptography`",
        file=sys.stderr,
    )
    sys.exit(3)

TAG_LEN = 16
ZERO_NONCE = bytes(12)


def load_keys(paths):
    keys = {}
    for key_id, path in paths.items():
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SystemExit(f"{path}: not an RSA private key")
        keys[key_id] = key
    return keys


def open_value(key, label, value):
    """The format of pkg/crypto/crypto.go, written from its description, not from
    seal-guard: u16 big-endian length of the RSA part, RSA-OAEP(SHA-256, MGF1-SHA-256,
    label) of the session key, AES-GCM with a zero nonce and no AAD."""
    try:
        blob = base64.b64decode(value, validate=True)
    except binascii.Error as error:
        return {"opened": False, "stage": "format", "error": type(error).__name__}
    rsa_len = int.from_bytes(blob[:2], "big")
    if len(blob) < 2 + rsa_len + TAG_LEN:
        return {"opened": False, "stage": "format", "error": "TooShort"}
    # A prefix that is not this key's size is left for OAEP to refuse, as Go does.
    wrapped, body = blob[2 : 2 + rsa_len], blob[2 + rsa_len :]
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label or None,
    )
    try:
        session_key = key.decrypt(wrapped, oaep)
    except ValueError as error:
        return {"opened": False, "stage": "rsa", "error": type(error).__name__}
    try:
        plaintext = AESGCM(session_key).decrypt(ZERO_NONCE, body, None)
    except (InvalidTag, ValueError) as error:
        return {"opened": False, "stage": "aes", "error": type(error).__name__}
    return {
        "opened": True,
        "length": len(plaintext),
        "sha256": hashlib.sha256(plaintext).hexdigest(),
    }


def main():
    try:
        request = json.load(sys.stdin)
        keys = load_keys(request["keys"])
        cases = request["cases"]
    except (ValueError, KeyError, TypeError, OSError) as error:
        print(f"decrypt.py: bad request: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    results = []
    for case in cases:
        outcome = open_value(
            keys[case["key"]], base64.b64decode(case["label"]), case["value"]
        )
        results.append({"id": case["id"], **outcome})
    json.dump({"results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
