#!/usr/bin/env python3
"""Opens Sealed Secrets values with a private key, independently of seal-guard.

This file shares no code with the Rust side: it follows the wire format as the
sealed-secrets controller reads it (FORMAT.md sections 1 and 2), using nothing but
Python's standard library and the `cryptography` package.

    blob = u16 big-endian len(R) || R || AES-256-GCM(K, nonce = 12 zero bytes)
    R    = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(K)

Input on stdin, one JSON object:

    {"keys": {"<id>": "<path of a PEM private key, or of a controller key Secret>"},
     "jobs": [{"key": "<id>", "value": "<base64 of the blob>", "labels": ["ns/name", "ns", ""]}]}

Output on stdout, one JSON object:

    {"results": [[<one entry per label>], ...]}

where an entry is {"ok": "<base64 of the plaintext>"} when the value opens under
that label, and {"error": "<why not>"} otherwise. The error never quotes data.
Exit status 3 means the tool itself could not run (no `cryptography`, bad input).
"""

import base64
import binascii
import json
import re
import sys

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as error:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "open_sealed.py: Python's `cryptography` package is missing (%s); "
        "install it with `python3 -m pip install 'cryptography>=42'`\n" % error
    )
    sys.exit(3)


def load_private_key(path):
    """A PEM private key file, or a controller key Secret (`data."tls.key"`)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    if b"-----BEGIN" not in raw:
        # The controller stores its key as a kubernetes.io/tls Secret whose
        # `tls.key` is the base64 of a PEM block; a line scan is enough here.
        match = re.search(rb"^\s*tls\.key:\s*(\S+)\s*$", raw, re.MULTILINE)
        if match is None:
            raise ValueError("%s holds neither a PEM key nor a tls.key entry" % path)
        raw = base64.b64decode(match.group(1), validate=True)
    key = serialization.load_pem_private_key(raw, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("%s is not an RSA private key" % path)
    return key


def open_value(key, value, label):
    """The plaintext of one sealed value, or raises ValueError saying why not."""
    # Go's base64.StdEncoding: standard alphabet, padding required. Line breaks
    # are ignored by Go's decoder, and by this one.
    compact = value.replace("\r", "").replace("\n", "")
    try:
        blob = base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise ValueError("not standard padded base64")
    if len(blob) < 2:
        raise ValueError("too short for the length prefix")
    rsa_len = int.from_bytes(blob[:2], "big")
    modulus_bytes = (key.key_size + 7) // 8
    if rsa_len != modulus_bytes:
        raise ValueError(
            "length prefix %d does not match the %d-byte modulus" % (rsa_len, modulus_bytes)
        )
    if len(blob) < 2 + rsa_len + 16:
        raise ValueError("too short for the RSA part and the GCM tag")
    wrapped, sealed = blob[2 : 2 + rsa_len], blob[2 + rsa_len :]
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label.encode("utf-8"),
    )
    try:
        session_key = key.decrypt(wrapped, oaep)
    except ValueError:
        raise ValueError("RSA-OAEP failed (wrong key or wrong label)")
    if len(session_key) != 32:
        raise ValueError("the session key is %d bytes, not 32" % len(session_key))
    try:
        return AESGCM(session_key).decrypt(b"\x00" * 12, sealed, None)
    except Exception:
        raise ValueError("AES-GCM authentication failed")


def main():
    try:
        request = json.load(sys.stdin)
        keys = {name: load_private_key(path) for name, path in request["keys"].items()}
    except Exception as error:
        sys.stderr.write("open_sealed.py: bad request: %s\n" % error)
        return 3
    results = []
    for job in request["jobs"]:
        key = keys[job["key"]]
        row = []
        for label in job["labels"]:
            try:
                plaintext = open_value(key, job["value"], label)
                row.append({"ok": base64.b64encode(plaintext).decode("ascii")})
            except ValueError as error:
                row.append({"error": str(error)})
        results.append(row)
    json.dump({"results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
