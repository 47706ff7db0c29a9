#!/usr/bin/env python3
"""An opener for Sealed Secrets values that shares nothing with seal-guard's Rust
code: Python's `cryptography` package and the format as FORMAT.md describes it.
tests/cli_sealed.rs uses it to judge what `seal-guard reseal` wrote, and to check the
committed fixtures against expected.json.

    open.py open       JSON request on stdin, JSON answer on stdout (below)
    open.py keygen OUT a fresh throw-away 2048-bit RSA key, PKCS#1 PEM, to OUT, and
                       a self-signed certificate for it to OUT.crt

Request: {"keys": ["<path>", ...], "values": [{"label": "<text>", "value": "<base64>"}]}
A key file is a PEM private key (PKCS#1 or PKCS#8) or a controller key Secret in
YAML or JSON, whose `tls.key` is found by a line match, not by a YAML parser.

Answer: {"fingerprints": ["SHA256:...", ...],          one per key, in order
         "results": [{"key": "SHA256:..." | null,      the first key that opens it
                      "sha256": "<hex>" | null,         of the plaintext
                      "why": null | "<stage>"}, ...]}   format, rsa or aes

No plaintext is ever written out: the caller compares SHA-256 digests.
Exit status: 0 after answering, 2 on a bad request, 3 without `cryptography`.
"""

import base64
import binascii
import datetime
import hashlib
import json
import re
import sys

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:
    sys.stderr.write(
        "open.py needs Python's `cryptography` package: "
        "pip install cryptography (or apt-get install python3-cryptography)\n"
    )
    sys.exit(3)

TLS_KEY = re.compile(rb'"?tls\.key"?\s*:\s*"?([A-Za-z0-9+/=]+)"?')


def load_key(path):
    with open(path, "rb") as f:
        raw = f.read()
    if b"-----BEGIN" not in raw:
        found = TLS_KEY.search(raw)
        if not found:
            raise SystemExit(f"open.py: no PEM key and no tls.key in {path}")
        raw = base64.b64decode(found.group(1), validate=True)
    return serialization.load_pem_private_key(raw, password=None)


def ssh_fingerprint(key):
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    wire = base64.b64decode(line.split()[1])
    digest = hashlib.sha256(wire).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def open_value(key, label, value):
    """(plaintext, None) or (None, stage)."""
    # Go's StdEncoding skips CR and LF (a value wrapped in a block scalar keeps
    # them), and nothing else.
    value = value.replace("\r", "").replace("\n", "")
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None, "format"
    if len(blob) < 2:
        return None, "format"
    rsa_len = int.from_bytes(blob[:2], "big")
    if len(blob) < 2 + rsa_len + 16:
        return None, "format"
    wrapped, body = blob[2 : 2 + rsa_len], blob[2 + rsa_len :]
    try:
        session_key = key.decrypt(
            wrapped,
            padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA256()),
                algorithm=hashes.SHA256(),
                label=label,
            ),
        )
    except ValueError:
        return None, "rsa"
    try:
        return AESGCM(session_key).decrypt(bytes(12), body, None), None
    except Exception:  # InvalidTag, or a session key of a wrong length
        return None, "aes"


def answer(request):
    keys = [load_key(path) for path in request["keys"]]
    results = []
    for case in request["values"]:
        label = case["label"].encode("utf-8")
        result = {"key": None, "sha256": None, "why": "no keys"}
        for key in keys:
            plaintext, why = open_value(key, label, case["value"])
            if plaintext is not None:
                result = {
                    "key": ssh_fingerprint(key),
                    "sha256": hashlib.sha256(plaintext).hexdigest(),
                    "why": None,
                }
                break
            result["why"] = why
        results.append(result)
    return {"fingerprints": [ssh_fingerprint(k) for k in keys], "results": results}


def keygen(out):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with open(out, "wb") as f:
        f.write(pem)
    # Shaped like the controller's: self-signed, CA, empty subject, ten years.
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(out + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def main():
    if sys.argv[1:2] == ["open"]:
        try:
            request = json.load(sys.stdin)
        except ValueError:
            sys.stderr.write("open.py: the request is not JSON\n")
            sys.exit(2)
        json.dump(answer(request), sys.stdout)
    elif sys.argv[1:2] == ["keygen"] and len(sys.argv) == 3:
        keygen(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
