//! The name of an RSA key: its OpenSSH `SHA256:` fingerprint.
//!
//! For: telling which controller key sealed or opens a value. The controller and
//! kubeseal index their keys by exactly this string, so a report that names a key this
//! way can be matched against the controller's logs.
//!
//! Not for: identifying a certificate (two certificates for one key share a fingerprint),
//! or any security decision: it names a key, it does not authenticate one.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// `SHA256:` and the unpadded base64 of SHA-256 over the key's `ssh-rsa` wire encoding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub(crate) fn of(key: &impl PublicKeyParts) -> Fingerprint {
        // RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n.
        let mut wire = Vec::with_capacity(4 + 7 + 4 + 9 + 4 + 1 + key.size());
        put_string(&mut wire, b"ssh-rsa");
        put_mpint(&mut wire, &key.e_bytes());
        put_mpint(&mut wire, &key.n_bytes());
        let digest = Sha256::digest(&wire);
        Fingerprint(format!("SHA256:{}", STANDARD_NO_PAD.encode(digest)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("an RSA key component is far below 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An SSH mpint is two's complement: a magnitude whose top bit is set needs a zero
/// byte in front so it does not read as negative. Leading zeros are not allowed.
fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let magnitude = &magnitude[start..];
    if magnitude.first().is_some_and(|&b| b & 0x80 != 0) {
        let len = u32::try_from(magnitude.len() + 1).expect("an RSA key component is small");
        out.extend_from_slice(&len.to_be_bytes());
        out.push(0);
        out.extend_from_slice(magnitude);
    } else {
        put_string(out, magnitude);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_follows_rfc_4251_examples() {
        // The examples of RFC 4251 §5 for mpint.
        let cases: [(&[u8], &[u8]); 4] = [
            (&[], &[0, 0, 0, 0]),
            (&[0x00, 0x00], &[0, 0, 0, 0]),
            (&[0x7f], &[0, 0, 0, 1, 0x7f]),
            (&[0x80], &[0, 0, 0, 2, 0x00, 0x80]),
        ];
        for (magnitude, expected) in cases {
            let mut out = Vec::new();
            put_mpint(&mut out, magnitude);
            assert_eq!(out, expected, "magnitude {magnitude:02x?}");
        }
    }
}
