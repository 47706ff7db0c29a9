//! Loading the public key that seals: the controller's certificate, or a bare RSA key.
//!
//! For: turning what `kubeseal --fetch-cert` prints (or a `PUBLIC KEY` / `RSA PUBLIC KEY`
//! PEM) into a [`SealingKey`], refusing keys that kubeseal refuses (expired certificate,
//! not RSA) and keys too weak to trust with a secret (under 2048 bits).
//!
//! Not for: trusting the certificate. Like kubeseal, nothing here checks the signature,
//! the issuer, NotBefore or KeyUsage: the controller's certificate is self-signed and
//! marks KeyUsage *encipherOnly* (critical), which strict X.509 parsers reject, so this
//! module reads only the validity period and the subject public key and never decodes
//! an extension. Whether the certificate belongs to the right cluster is the user's call.

use std::fmt;
use std::time::SystemTime;

use rsa::pkcs1::RsaPublicKeyRef;
use rsa::traits::PublicKeyParts;
use x509_cert::Certificate;
use x509_cert::der::{DateTime, Decode};
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::fingerprint::Fingerprint;
use super::pem;

/// Keys below this size are refused for sealing. kubeseal itself enforces no minimum;
/// the controller has generated 4096-bit keys by default since its first release.
pub(crate) const MIN_SEALING_KEY_BITS: usize = 2048;

/// rsaEncryption, the one key algorithm Go's x509 hands to kubeseal as RSA.
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// What a caller may relax when loading a sealing key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Seal with a certificate past its NotAfter. kubeseal refuses this since v0.18.0;
    /// the controller still opens such values as long as it keeps the key.
    pub allow_expired: bool,
}

/// An RSA public key ready to seal with.
#[derive(Clone)]
pub struct SealingKey {
    key: rsa::PublicKey,
    not_after: Option<Timestamp>,
    fingerprint: Fingerprint,
}

impl SealingKey {
    /// Loads the first `CERTIFICATE` block in `pem` (later blocks are ignored, as
    /// kubeseal ignores them); without one, the first `PUBLIC KEY` or `RSA PUBLIC KEY`.
    pub fn from_pem(pem: &[u8], options: LoadOptions) -> Result<SealingKey, CertError> {
        SealingKey::from_pem_at(pem, options, SystemTime::now())
    }

    /// [`SealingKey::from_pem`] with the expiry judged at `now`.
    pub(crate) fn from_pem_at(
        pem: &[u8],
        options: LoadOptions,
        now: SystemTime,
    ) -> Result<SealingKey, CertError> {
        let mut bare_key = None;
        let mut other_labels: Vec<String> = Vec::new();
        for block in pem::blocks(pem) {
            match block.label {
                // client-go skips certificate blocks that carry headers; so do we.
                "CERTIFICATE" if !block.has_headers => {
                    return SealingKey::from_certificate(&block, options, now);
                }
                "PUBLIC KEY" | "RSA PUBLIC KEY" if !block.has_headers => {
                    bare_key.get_or_insert(block);
                }
                label => {
                    if !other_labels.iter().any(|l| l == label) {
                        other_labels.push(label.to_owned());
                    }
                }
            }
        }
        let Some(block) = bare_key else {
            return Err(CertError::NoPem {
                found: other_labels,
            });
        };
        let der = decode_block(&block)?;
        let key = if block.label == "PUBLIC KEY" {
            let spki = SubjectPublicKeyInfoRef::from_der(&der).map_err(|e| malformed(&block, e))?;
            rsa_from_spki(
                &block,
                spki.algorithm.oid,
                spki.subject_public_key.as_bytes(),
            )?
        } else {
            rsa_from_pkcs1(&block, &der)?
        };
        Ok(SealingKey::new(key, None))
    }

    fn from_certificate(
        block: &pem::Block<'_>,
        options: LoadOptions,
        now: SystemTime,
    ) -> Result<SealingKey, CertError> {
        let der = decode_block(block)?;
        let cert = Certificate::from_der(&der).map_err(|e| malformed(block, e))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let key = rsa_from_spki(
            block,
            spki.algorithm.oid,
            spki.subject_public_key.as_bytes(),
        )?;
        let not_after = Timestamp(tbs.validity().not_after.to_date_time());
        // Go's `time.Now().After(NotAfter)`: the last second is still valid.
        if !options.allow_expired && now > not_after.to_system_time() {
            return Err(CertError::Expired { not_after });
        }
        Ok(SealingKey::new(key, Some(not_after)))
    }

    fn new(key: rsa::PublicKey, not_after: Option<Timestamp>) -> SealingKey {
        let fingerprint = Fingerprint::of(&key);
        SealingKey {
            key,
            not_after,
            fingerprint,
        }
    }

    /// The modulus size in bytes: the length of the RSA part of every value sealed with
    /// this key, and the length prefix a validator expects.
    pub fn modulus_bytes(&self) -> usize {
        self.key.size()
    }

    pub fn modulus_bits(&self) -> usize {
        self.key.n().as_ref().bit_width() as usize
    }

    /// The certificate's NotAfter; `None` for a bare public key.
    pub fn not_after(&self) -> Option<Timestamp> {
        self.not_after
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    pub(crate) fn rsa(&self) -> &rsa::PublicKey {
        &self.key
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("bits", &self.modulus_bits())
            .field("fingerprint", &self.fingerprint.as_str())
            .field("not_after", &self.not_after)
            .finish()
    }
}

/// A certificate time, shown as RFC 3339 UTC (`2031-01-23T12:25:35Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime);

impl Timestamp {
    pub fn to_system_time(self) -> SystemTime {
        self.0.to_system_time()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // der's DateTime prints RFC 3339 with a `Z`; X.509 times are UTC to the second.
        self.0.fmt(f)
    }
}

/// Why a sealing key could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error(
        "no CERTIFICATE, PUBLIC KEY or RSA PUBLIC KEY PEM block found{}; \
         `kubeseal --fetch-cert` prints the certificate to seal with",
        describe_found(found)
    )]
    NoPem { found: Vec<String> },
    #[error(
        "the certificate expired on {not_after}; fetch the controller's current one with \
         `kubeseal --fetch-cert`, or allow expired certificates explicitly"
    )]
    Expired { not_after: Timestamp },
    #[error(
        "the {block} PEM block holds a non-RSA key ({algorithm}); Sealed Secrets seals with RSA only"
    )]
    NotRsa { block: String, algorithm: String },
    #[error("the RSA key has {bits} bits; sealing needs at least {MIN_SEALING_KEY_BITS}")]
    KeyTooSmall { bits: usize },
    #[error("the {block} PEM block is malformed: {reason}")]
    Malformed { block: String, reason: String },
}

fn describe_found(labels: &[String]) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!(" (found {})", labels.join(", "))
    }
}

fn decode_block(block: &pem::Block<'_>) -> Result<zeroize::Zeroizing<Vec<u8>>, CertError> {
    block.decode().map_err(|_| CertError::Malformed {
        block: block.label.to_owned(),
        reason: "its body is not base64".to_owned(),
    })
}

// A public key or certificate holds nothing secret, so the DER error may be shown.
fn malformed(block: &pem::Block<'_>, error: impl fmt::Display) -> CertError {
    CertError::Malformed {
        block: block.label.to_owned(),
        reason: error.to_string(),
    }
}

fn rsa_from_spki(
    block: &pem::Block<'_>,
    algorithm: ObjectIdentifier,
    key_bits: Option<&[u8]>,
) -> Result<rsa::PublicKey, CertError> {
    // Only rsaEncryption: Go's x509 (and so kubeseal) does not take RSASSA-PSS keys.
    if algorithm != RSA_ENCRYPTION {
        return Err(CertError::NotRsa {
            block: block.label.to_owned(),
            algorithm: algorithm_name(algorithm),
        });
    }
    let key_bits = key_bits.ok_or_else(|| CertError::Malformed {
        block: block.label.to_owned(),
        reason: "the public key BIT STRING has unused bits".to_owned(),
    })?;
    rsa_from_pkcs1(block, key_bits)
}

fn rsa_from_pkcs1(block: &pem::Block<'_>, der: &[u8]) -> Result<rsa::PublicKey, CertError> {
    let parsed = RsaPublicKeyRef::from_der(der).map_err(|e| malformed(block, e))?;
    // Sized before `rsa` sees it: `rsa` refuses keys under 1024 bits with a bare
    // "malformed", and the user should learn the actual size.
    let bits = bit_length(parsed.modulus.as_bytes());
    if bits < MIN_SEALING_KEY_BITS {
        return Err(CertError::KeyTooSmall { bits });
    }
    rsa::PublicKey::try_from(parsed).map_err(|e| malformed(block, e))
}

/// Significant bits of a big-endian magnitude.
fn bit_length(magnitude: &[u8]) -> usize {
    let Some(start) = magnitude.iter().position(|&b| b != 0) else {
        return 0;
    };
    (magnitude.len() - start) * 8 - magnitude[start].leading_zeros() as usize
}

/// A readable name for the key algorithms one meets in practice, else the OID.
pub(crate) fn algorithm_name(oid: ObjectIdentifier) -> String {
    let dotted = oid.to_string();
    let name = match dotted.as_str() {
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        _ => return format!("OID {dotted}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn load(name: &str) -> Result<SealingKey, CertError> {
        SealingKey::from_pem(&fixture(name), LoadOptions::default())
    }

    #[test]
    fn loads_a_certificate_with_encipher_only_key_usage() {
        let key = load("rsa-4096.crt").unwrap();
        assert_eq!(key.modulus_bits(), 4096);
        assert_eq!(key.modulus_bytes(), 512);
        assert!(key.not_after().is_some());
        assert!(key.fingerprint().as_str().starts_with("SHA256:"));
    }

    #[test]
    fn bare_public_keys_load_and_name_the_same_key() {
        let cert = load("rsa-2048.crt").unwrap();
        let spki = load("rsa-2048.pub.pem").unwrap();
        let pkcs1 = load("rsa-2048.rsapub.pem").unwrap();
        assert_eq!(spki.fingerprint(), cert.fingerprint());
        assert_eq!(pkcs1.fingerprint(), cert.fingerprint());
        assert_eq!(spki.not_after(), None);
        assert_eq!(pkcs1.modulus_bytes(), 256);
    }

    #[test]
    fn the_first_certificate_wins_over_later_blocks() {
        let mut pem = b"leading text\n".to_vec();
        pem.extend(fixture("rsa-2048.rsapub.pem"));
        pem.extend(fixture("rsa-3072.crt"));
        pem.extend(fixture("rsa-4096.crt"));
        assert_eq!(
            SealingKey::from_pem(&pem, LoadOptions::default())
                .unwrap()
                .modulus_bits(),
            3072
        );
    }

    #[test]
    fn refuses_an_expired_certificate_and_says_when() {
        let err = load("expired-2021.crt").unwrap_err();
        assert!(matches!(err, CertError::Expired { .. }), "{err:?}");
        assert!(
            err.to_string().contains("expired on 2021-01-01T00:00:00Z"),
            "{err}"
        );
    }

    #[test]
    fn allow_expired_overrides() {
        let options = LoadOptions {
            allow_expired: true,
        };
        let key = SealingKey::from_pem(&fixture("expired-2021.crt"), options).unwrap();
        assert_eq!(key.not_after().unwrap().to_string(), "2021-01-01T00:00:00Z");
    }

    #[test]
    fn not_after_itself_is_still_valid() {
        let pem = fixture("expired-2021.crt");
        let options = LoadOptions::default();
        let not_after = SystemTime::UNIX_EPOCH + Duration::from_secs(1_609_459_200);
        assert!(SealingKey::from_pem_at(&pem, options, not_after).is_ok());
        let later = not_after + Duration::from_secs(1);
        assert!(SealingKey::from_pem_at(&pem, options, later).is_err());
    }

    #[test]
    fn refuses_an_ec_certificate() {
        let err = load("ec-p256.crt").unwrap_err();
        assert_eq!(
            err,
            CertError::NotRsa {
                block: "CERTIFICATE".into(),
                algorithm: "EC".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "the CERTIFICATE PEM block holds a non-RSA key (EC); Sealed Secrets seals with RSA only"
        );
    }

    #[test]
    fn refuses_a_1024_bit_key() {
        let err = load("rsa-1024.crt").unwrap_err();
        assert_eq!(err, CertError::KeyTooSmall { bits: 1024 });
        assert!(err.to_string().contains("at least 2048"), "{err}");
    }

    #[test]
    fn no_pem_names_what_was_found_instead() {
        let err = load("rsa-2048.key").unwrap_err();
        assert_eq!(
            err,
            CertError::NoPem {
                found: vec!["RSA PRIVATE KEY".into()]
            }
        );
        let err = SealingKey::from_pem(b"not pem at all", LoadOptions::default()).unwrap_err();
        assert_eq!(err, CertError::NoPem { found: vec![] });
        assert!(
            err.to_string()
                .starts_with("no CERTIFICATE, PUBLIC KEY or RSA PUBLIC KEY")
        );
    }

    #[test]
    fn a_certificate_with_headers_is_skipped_like_client_go() {
        let cert = String::from_utf8(fixture("rsa-2048.crt")).unwrap();
        let with_headers = cert.replacen("-----\n", "-----\nX-Note: skipped\n\n", 1);
        let err = SealingKey::from_pem(with_headers.as_bytes(), LoadOptions::default());
        assert_eq!(
            err.unwrap_err(),
            CertError::NoPem {
                found: vec!["CERTIFICATE".into()]
            }
        );
    }

    #[test]
    fn refuses_a_corrupted_certificate() {
        let cert = String::from_utf8(fixture("rsa-2048.crt")).unwrap();
        // Cut the DER short by dropping the last full base64 line.
        let mut lines: Vec<&str> = cert.lines().collect();
        lines.remove(lines.len() - 2);
        let err = SealingKey::from_pem(lines.join("\n").as_bytes(), LoadOptions::default());
        assert!(
            matches!(err, Err(CertError::Malformed { ref block, .. }) if block == "CERTIFICATE")
        );

        let garbage = b"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n";
        let err = SealingKey::from_pem(garbage, LoadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the CERTIFICATE PEM block is malformed: its body is not base64"
        );
    }

    #[test]
    fn bit_length_counts_significant_bits() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0, 0x7f, 0xff]), 15);
    }
}
