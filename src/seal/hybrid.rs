//! One sealed value: kubeseal's hybrid RSA-OAEP + AES-256-GCM format.
//!
//! ```text
//! blob = u16_be(len(R)) || R || G
//! R    = RSA-OAEP(SHA-256, MGF1-SHA-256, label)(K)      K: 32 fresh random bytes
//! G    = AES-256-GCM(K, nonce = 12 zero bytes, no AAD)(plaintext) = ciphertext || tag
//! ```
//!
//! and the padded standard base64 that wraps a blob in `encryptedData`.
//!
//! For: [`seal`] (what kubeseal does per item), [`open`] (what the controller does per
//! item and key), and a key-free structural check ([`decode_base64`], [`Layout`]) that
//! a validator can run on every value without any key.
//!
//! Not for: choosing the label (that is [`super::scope`]), trying several keys (that is
//! [`super::keys::KeyRing`]), or anything about the object that holds the value.
//!
//! Errors here never carry the value, the session key or the plaintext; plaintext is
//! only ever returned in a [`Zeroizing`] buffer, whose `Debug` shows nothing. Session
//! keys live in `Zeroizing` buffers too, and the AES key schedules built from them are
//! wiped on drop (aes-gcm's `zeroize` feature).

use std::borrow::Cow;
use std::ops::RangeInclusive;

use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, PAD};
use getrandom::SysRng;
use rsa::Oaep;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::cert::SealingKey;
use super::keys::DecryptionKey;

/// Length of the AES-GCM tag at the end of every blob.
pub(crate) const TAG_LEN: usize = 16;
/// The lengths of R a validator accepts: 1024- to 16384-bit keys. kubeseal's own keys
/// are 4096-bit (512 bytes); anything outside this range is not a sealed value.
pub(crate) const RSA_LEN_RANGE: RangeInclusive<usize> = 128..=2048;

const PREFIX_LEN: usize = 2;
const SESSION_KEY_LEN: usize = 32;

/// Go's `base64.StdEncoding`: standard alphabet, padding required. Go is not strict
/// about the unused bits of the last symbol, so neither are we: a value the controller
/// decodes must decode here.
const GO_STD_ENCODING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    PAD.with_decode_allow_trailing_bits(true),
);

/// Seals `plaintext` for the holder of `key`'s private half under `label`. Every call
/// draws a fresh session key and OAEP seed, so sealing one value twice gives unrelated
/// blobs (which is why re-sealing always shows up as a diff).
pub fn seal(key: &SealingKey, label: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    getrandom::fill(&mut *session_key).map_err(SealError::Random)?;
    let wrapped = key
        .rsa()
        .encrypt(
            &mut SysRng,
            Oaep::<Sha256>::new_with_label(label),
            &*session_key,
        )
        .map_err(SealError::Rsa)?;
    // `SealingKey` holds at most an 8192-bit key, so R is at most 1024 bytes.
    let wrapped_len = u16::try_from(wrapped.len()).expect("RSA ciphertext fits the u16 prefix");

    let mut blob = Vec::with_capacity(PREFIX_LEN + wrapped.len() + plaintext.len() + TAG_LEN);
    blob.extend_from_slice(&wrapped_len.to_be_bytes());
    blob.extend_from_slice(&wrapped);
    let body_start = blob.len();
    // Encrypting in place inside the output spares an unzeroized copy of the plaintext.
    blob.extend_from_slice(plaintext);
    let cipher = Aes256Gcm::new_from_slice(&*session_key).expect("32 bytes is an AES-256 key");
    let nonce = Nonce::<Aes256Gcm>::default();
    match cipher.encrypt_inout_detached(&nonce, &[], (&mut blob[body_start..]).into()) {
        Ok(tag) => {
            blob.extend_from_slice(&tag);
            Ok(blob)
        }
        Err(_) => {
            blob.zeroize();
            Err(SealError::TooLong {
                len: plaintext.len(),
            })
        }
    }
}

/// [`seal`], then padded standard base64: what goes into `encryptedData` and what
/// `kubeseal --raw` prints.
pub fn seal_base64(key: &SealingKey, label: &[u8], plaintext: &[u8]) -> Result<String, SealError> {
    seal(key, label, plaintext).map(|blob| GO_STD_ENCODING.encode(blob))
}

/// Opens a blob with one private key under `label`, as the controller does.
///
/// Distinguishing a failed RSA step from a failed AES step would be a padding oracle
/// in a service; this is an offline tool run by the key's owner, and the distinction
/// tells them whether the key or the value is wrong.
pub fn open(
    key: &DecryptionKey,
    label: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let layout = Layout::parse(blob)?;
    if layout.rsa_len != key.modulus_bytes() {
        return Err(OpenError::KeySizeMismatch {
            rsa_len: layout.rsa_len,
            modulus_bytes: key.modulus_bytes(),
        });
    }
    let (wrapped, body) = layout.split(blob);
    let session_key = key
        .rsa()
        .decrypt(Oaep::<Sha256>::new_with_label(label), wrapped)
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Rsa)?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    // kubeseal always wraps 32 bytes, but the controller hands whatever it unwraps to
    // Go's `aes.NewCipher`, which also takes AES-128 and AES-192 keys. A value the
    // controller opens must open here.
    let opened = match session_key.len() {
        16 => gcm_open::<Aes128Gcm>(&session_key, &mut plaintext),
        24 => gcm_open::<AesGcm<Aes192, aes_gcm::aead::consts::U12>>(&session_key, &mut plaintext),
        32 => gcm_open::<Aes256Gcm>(&session_key, &mut plaintext),
        len => return Err(OpenError::SessionKeyLength { len }),
    };
    opened.map(|()| plaintext).map_err(|_| OpenError::Aes)
}

fn gcm_open<C: KeyInit + AeadInOut>(
    key: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(), aes_gcm::aead::Error> {
    let cipher = C::new_from_slice(key).expect("the caller matched the key length");
    cipher.decrypt_in_place(&Nonce::<C>::default(), &[], buffer)
}

/// Decodes an `encryptedData` value the way the controller does: padded standard
/// base64, CR and LF ignored anywhere. The URL-safe alphabet and missing padding fail.
pub fn decode_base64(value: &str) -> Result<Vec<u8>, ValueError> {
    let raw = value.as_bytes();
    let compact: Cow<'_, [u8]> = if raw.iter().any(|&b| b == b'\r' || b == b'\n') {
        Cow::Owned(
            raw.iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    GO_STD_ENCODING.decode(&compact).map_err(|error| {
        use base64::DecodeError::*;
        match error {
            InvalidByte(offset, b'-' | b'_') => ValueError::UrlSafeAlphabet {
                offset: original_offset(raw, offset),
            },
            InvalidByte(_, b'=') | InvalidPadding => ValueError::Padding,
            InvalidByte(offset, _) => ValueError::InvalidCharacter {
                offset: original_offset(raw, offset),
            },
            // Only with strict trailing bits, which `GO_STD_ENCODING` turns off.
            InvalidLastSymbol { offset, .. } => ValueError::InvalidCharacter {
                offset: original_offset(raw, offset),
            },
            InvalidLength(_) => ValueError::Length,
        }
    })
}

/// Maps an offset in the CR/LF-free text back to the text the user wrote.
fn original_offset(raw: &[u8], compact_offset: usize) -> usize {
    raw.iter()
        .enumerate()
        .filter(|&(_, &b)| b != b'\r' && b != b'\n')
        .nth(compact_offset)
        .map_or(raw.len(), |(i, _)| i)
}

/// Where the parts of a blob are, read from its length prefix alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    rsa_len: usize,
    body_len: usize,
}

impl Layout {
    /// Checks what can be checked without a key: a length prefix of 128 to 2048 bytes,
    /// and room for that much RSA ciphertext and a GCM tag after it.
    pub fn parse(blob: &[u8]) -> Result<Layout, ValueError> {
        let Some((prefix, rest)) = blob.split_first_chunk::<PREFIX_LEN>() else {
            return Err(ValueError::TooShort {
                len: blob.len(),
                min: PREFIX_LEN + RSA_LEN_RANGE.start() + TAG_LEN,
            });
        };
        let rsa_len = usize::from(u16::from_be_bytes(*prefix));
        if !RSA_LEN_RANGE.contains(&rsa_len) {
            return Err(ValueError::RsaLenOutOfRange { rsa_len });
        }
        if rest.len() < rsa_len + TAG_LEN {
            return Err(ValueError::TooShort {
                len: blob.len(),
                min: PREFIX_LEN + rsa_len + TAG_LEN,
            });
        }
        Ok(Layout {
            rsa_len,
            body_len: rest.len() - rsa_len,
        })
    }

    /// Length of R, which equals the modulus size in bytes of the key that sealed it.
    pub fn rsa_len(self) -> usize {
        self.rsa_len
    }

    /// Length of the plaintext the value decrypts to (a sealed value hides content,
    /// not length).
    pub fn plaintext_len(self) -> usize {
        self.body_len - TAG_LEN
    }

    fn split(self, blob: &[u8]) -> (&[u8], &[u8]) {
        blob[PREFIX_LEN..].split_at(self.rsa_len)
    }
}

/// Sealing failed. None of these can be caused by the plaintext's content.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
    #[error("RSA-OAEP encryption failed: {0}")]
    Rsa(rsa::Error),
    #[error("a {len}-byte value is too long for AES-GCM")]
    TooLong { len: usize },
}

/// A value is not shaped like a sealed value. Says where, never what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error(
        "not standard base64: URL-safe character at offset {offset}; \
         sealed values use the standard alphabet (+ and /)"
    )]
    UrlSafeAlphabet { offset: usize },
    #[error("not base64: invalid character at offset {offset}")]
    InvalidCharacter { offset: usize },
    #[error("base64 padding is missing or misplaced; sealed values are padded with =")]
    Padding,
    #[error("base64 text of an impossible length; the value looks truncated")]
    Length,
    #[error("decodes to {len} bytes, too short for a sealed value (at least {min})")]
    TooShort { len: usize, min: usize },
    #[error(
        "its length prefix announces {rsa_len} bytes of RSA ciphertext; a sealed value \
         has 128 to 2048 (a 1024- to 16384-bit key)"
    )]
    RsaLenOutOfRange { rsa_len: usize },
}

/// A value did not open with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Malformed(#[from] ValueError),
    #[error("sealed with a {rsa_len}-byte RSA key, but this key has {modulus_bytes} bytes")]
    KeySizeMismatch {
        rsa_len: usize,
        modulus_bytes: usize,
    },
    #[error(
        "RSA-OAEP decryption failed: sealed with another key, or for another scope, \
         namespace or name"
    )]
    Rsa,
    #[error("the unwrapped session key has {len} bytes, which is no AES key size")]
    SessionKeyLength { len: usize },
    #[error("AES-GCM authentication failed: the value was altered after sealing")]
    Aes,
}

#[cfg(test)]
mod tests {
    use getrandom::SysRng;
    use rsa::traits::RandomizedEncryptor;

    use super::*;
    use crate::seal::cert::LoadOptions;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn sealing_2048() -> SealingKey {
        SealingKey::from_pem(&fixture("rsa-2048.crt"), LoadOptions::default()).unwrap()
    }

    fn opening_2048() -> DecryptionKey {
        crate::seal::keys::parse("rsa-2048.key", &fixture("rsa-2048.key"))
            .unwrap()
            .remove(0)
    }

    // Plaintexts are compared with `assert!`, not `assert_eq!`, so that a failing test
    // does not print one. The habit matters more than these dummy values.

    #[test]
    fn a_sealed_value_has_the_documented_layout() {
        let blob = seal(&sealing_2048(), b"ns/name", b"123456789").unwrap();
        assert_eq!(blob.len(), 2 + 256 + 9 + TAG_LEN);
        assert_eq!(blob[..2], [0x01, 0x00]);
        let layout = Layout::parse(&blob).unwrap();
        assert_eq!((layout.rsa_len(), layout.plaintext_len()), (256, 9));
    }

    #[test]
    fn round_trips_under_the_same_label_only() {
        let (sealing, opening) = (sealing_2048(), opening_2048());
        for plaintext in [&b""[..], b"x", &[0u8; 1000][..]] {
            let blob = seal(&sealing, b"ns/name", plaintext).unwrap();
            let opened = open(&opening, b"ns/name", &blob).unwrap();
            assert!(
                *opened == plaintext,
                "a {}-byte value did not round-trip",
                plaintext.len()
            );
            for wrong in [&b"ns"[..], b"", b"ns/other", b"other/name"] {
                assert_eq!(open(&opening, wrong, &blob), Err(OpenError::Rsa));
            }
        }
    }

    #[test]
    fn every_seal_is_fresh() {
        let sealing = sealing_2048();
        let a = seal(&sealing, b"", b"same").unwrap();
        let b = seal(&sealing, b"", b"same").unwrap();
        assert_ne!(a[2..258], b[2..258], "RSA part repeats");
        assert_ne!(a[258..], b[258..], "AES part repeats: session key reused");
    }

    #[test]
    fn base64_form_is_padded_standard_and_decodes_back() {
        let value = seal_base64(&sealing_2048(), b"a/b", b"hello").unwrap();
        assert!(value.starts_with("AQ"), "2048-bit prefix 0x0100");
        assert_eq!(value.len() % 4, 0);
        let blob = decode_base64(&value).unwrap();
        assert!(*open(&opening_2048(), b"a/b", &blob).unwrap() == *b"hello");
    }

    #[test]
    fn an_altered_body_fails_authentication() {
        let mut blob = seal(&sealing_2048(), b"l", b"payload").unwrap();
        *blob.last_mut().unwrap() ^= 1;
        assert_eq!(open(&opening_2048(), b"l", &blob), Err(OpenError::Aes));
    }

    #[test]
    fn an_altered_rsa_part_fails_unwrapping() {
        let mut blob = seal(&sealing_2048(), b"l", b"payload").unwrap();
        blob[100] ^= 1;
        assert_eq!(open(&opening_2048(), b"l", &blob), Err(OpenError::Rsa));
    }

    #[test]
    fn a_value_for_another_key_size_is_refused_before_rsa() {
        let sealing = SealingKey::from_pem(&fixture("rsa-3072.crt"), LoadOptions::default());
        let blob = seal(&sealing.unwrap(), b"l", b"v").unwrap();
        assert_eq!(
            open(&opening_2048(), b"l", &blob),
            Err(OpenError::KeySizeMismatch {
                rsa_len: 384,
                modulus_bytes: 256
            })
        );
    }

    /// Builds a blob around a session key of any length, as a non-kubeseal sealer might.
    fn blob_with_session_key(session_key: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let sealing = sealing_2048();
        let encryptor =
            rsa::oaep::EncryptingKey::<Sha256>::new_with_label(sealing.rsa().clone(), &b"l"[..]);
        let wrapped = encryptor
            .encrypt_with_rng(&mut SysRng, session_key)
            .unwrap();
        let mut body = plaintext.to_vec();
        let tag = match session_key.len() {
            16 => Aes128Gcm::new_from_slice(session_key)
                .unwrap()
                .encrypt_inout_detached(&Default::default(), &[], (&mut body[..]).into()),
            _ => panic!("test helper supports AES-128 only"),
        };
        let mut blob = (wrapped.len() as u16).to_be_bytes().to_vec();
        blob.extend(wrapped);
        blob.extend(body);
        blob.extend(tag.unwrap());
        blob
    }

    #[test]
    fn opens_an_aes_128_session_key_like_go() {
        let blob = blob_with_session_key(&[7; 16], b"short key");
        assert!(*open(&opening_2048(), b"l", &blob).unwrap() == *b"short key");
    }

    #[test]
    fn refuses_a_session_key_of_no_aes_size() {
        let sealing = sealing_2048();
        let encryptor =
            rsa::oaep::EncryptingKey::<Sha256>::new_with_label(sealing.rsa().clone(), &b"l"[..]);
        let wrapped = encryptor.encrypt_with_rng(&mut SysRng, &[1; 20]).unwrap();
        let mut blob = vec![0x01, 0x00];
        blob.extend(wrapped);
        blob.extend([0; TAG_LEN]);
        assert_eq!(
            open(&opening_2048(), b"l", &blob),
            Err(OpenError::SessionKeyLength { len: 20 })
        );
    }

    #[test]
    fn decode_ignores_cr_and_lf_like_go() {
        assert_eq!(decode_base64("AQID\r\nBA==\n").unwrap(), [1, 2, 3, 4]);
        assert_eq!(decode_base64("AQ\nID").unwrap(), [1, 2, 3]);
    }

    #[test]
    fn decode_accepts_nonzero_trailing_bits_like_go() {
        // "AR==" carries a set bit past the last whole byte; Go's StdEncoding ignores it.
        assert_eq!(decode_base64("AR==").unwrap(), [1]);
    }

    #[test]
    fn decode_refuses_the_url_safe_alphabet() {
        assert_eq!(
            decode_base64("ab-d"),
            Err(ValueError::UrlSafeAlphabet { offset: 2 })
        );
        assert_eq!(
            decode_base64("ab\r\n_d"),
            Err(ValueError::UrlSafeAlphabet { offset: 4 })
        );
    }

    #[test]
    fn decode_refuses_missing_or_misplaced_padding() {
        assert_eq!(decode_base64("AQ"), Err(ValueError::Padding));
        assert_eq!(decode_base64("AQI"), Err(ValueError::Padding));
        assert_eq!(decode_base64("AQ==AQ=="), Err(ValueError::Padding));
    }

    #[test]
    fn decode_refuses_other_characters_and_lengths() {
        assert_eq!(
            decode_base64("AQ I"),
            Err(ValueError::InvalidCharacter { offset: 2 })
        );
        assert_eq!(decode_base64("A"), Err(ValueError::Length));
        assert_eq!(decode_base64("AQIDB"), Err(ValueError::Length));
        assert_eq!(decode_base64("AQIDB==="), Err(ValueError::Padding));
    }

    #[test]
    fn layout_refuses_short_blobs() {
        assert_eq!(
            Layout::parse(&[]),
            Err(ValueError::TooShort { len: 0, min: 146 })
        );
        assert_eq!(
            Layout::parse(&[2]),
            Err(ValueError::TooShort { len: 1, min: 146 })
        );
        let mut blob = vec![0x02, 0x00];
        blob.resize(2 + 512 + 15, 0);
        assert_eq!(
            Layout::parse(&blob),
            Err(ValueError::TooShort { len: 529, min: 530 })
        );
        blob.push(0);
        assert_eq!(Layout::parse(&blob).unwrap().plaintext_len(), 0);
    }

    #[test]
    fn layout_refuses_a_prefix_outside_the_range() {
        for prefix in [0u16, 127, 2049, u16::MAX] {
            let mut blob = prefix.to_be_bytes().to_vec();
            blob.resize(70_000, 0);
            assert_eq!(
                Layout::parse(&blob),
                Err(ValueError::RsaLenOutOfRange {
                    rsa_len: prefix.into()
                })
            );
        }
        for prefix in [128u16, 2048] {
            let mut blob = prefix.to_be_bytes().to_vec();
            blob.resize(2 + usize::from(prefix) + TAG_LEN, 0);
            assert!(Layout::parse(&blob).is_ok(), "{prefix}");
        }
    }

    #[test]
    fn open_reports_malformed_values() {
        assert_eq!(
            open(&opening_2048(), b"", &[1]),
            Err(OpenError::Malformed(ValueError::TooShort {
                len: 1,
                min: 146
            }))
        );
    }

    #[test]
    fn errors_never_show_the_value() {
        let value = "c2VjcmV0LXZhbHVl_";
        let err = decode_base64(value).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}
