//! Bytes as a sealing certificate or public key (`cert:`), and as a file of
//! controller private keys (`private_keys:`, `--private-key`): PEM, the key
//! Secret in YAML or JSON, lists of them. Fails on any panic, and on an error
//! message that quotes its input.

#![cfg_attr(fuzzing, no_main)]

use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::keys::KeyRing;

seal_guard_fuzz::target!(|data| {
    if let Err(error) = SealingKey::from_pem(
        data,
        LoadOptions {
            allow_expired: true,
        },
    ) {
        assert_quotes_nothing(&error.to_string(), data);
    }
    let mut ring = KeyRing::new();
    if let Err(error) = ring.load_bytes("fuzz.pem", data) {
        assert_quotes_nothing(&error.to_string(), data);
    }
});

/// Key files are secrets: an error may name a file, a document, a Secret or
/// a PEM label, but must never repeat key material. Checked for every run of
/// 64 or more base64 characters in the input (a PEM body line, a `tls.key`
/// value) that is not a PEM label: no 24 bytes of it may appear in the
/// message.
fn assert_quotes_nothing(message: &str, data: &[u8]) {
    let is_b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let message = message.as_bytes();
    let mut start = 0;
    while start < data.len() {
        let len = data[start..].iter().take_while(|b| is_b64(b)).count();
        if len == 0 {
            start += 1;
            continue;
        }
        let run = &data[start..start + len];
        let label = data[..start].ends_with(b"BEGIN ") || data[..start].ends_with(b"END ");
        if len >= 64 && !label {
            for window in run.windows(24) {
                assert!(
                    !message.windows(24).any(|w| w == window),
                    "an error message quotes key material"
                );
            }
        }
        start += len;
    }
}
