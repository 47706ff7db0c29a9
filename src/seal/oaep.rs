//! RSA-OAEP encryption with SHA-256 and MGF1-SHA-256: how `hybrid::seal` wraps each
//! session key.
//!
//! For: the public-key half of sealing, and only that.
//!
//! Why not `rsa`'s own `encrypt`: rsa 0.10 raises to the public exponent with the
//! constant-time 4-bit fixed-window ladder it needs for secret exponents. For
//! e = 65537 that is about 39 Montgomery products where 17 suffice, and sealing spent
//! three quarters of its time there. The exponent is public, so a plain left-to-right
//! square-and-multiply reveals nothing that is not already public; every product is
//! still crypto-bigint's constant-time Montgomery multiplication over the same
//! precomputed modulus parameters `rsa` keeps with the key. Sealing is twice as fast.
//!
//! Not for: decryption or anything else with a private key. That stays with `rsa`,
//! whose blinding and consistency checks are not reproduced here. The encoding follows
//! RFC 8017 §7.1.1 and the tests check it byte for byte against `rsa` with a fixed seed.

use crypto_bigint::modular::BoxedMontyForm;
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

const HASH_LEN: usize = 32;

/// RSAES-OAEP-ENCRYPT of `message` under `label`, with a fresh seed from the OS.
///
/// The caller guarantees `message.len() <= k - 2 * 32 - 2` for the key's modulus size
/// `k`; sealing wraps 32 bytes with keys of at least 2048 bits.
pub(crate) fn encrypt(
    key: &rsa::PublicKey,
    label: &[u8],
    message: &[u8],
) -> Result<Vec<u8>, getrandom::Error> {
    let mut seed = Zeroizing::new([0u8; HASH_LEN]);
    getrandom::fill(&mut *seed)?;
    Ok(encrypt_with_seed(key, label, message, &seed))
}

fn encrypt_with_seed(
    key: &rsa::PublicKey,
    label: &[u8],
    message: &[u8],
    seed: &[u8; HASH_LEN],
) -> Vec<u8> {
    let k = key.size();
    assert!(
        message.len() + 2 * HASH_LEN + 2 <= k,
        "a {}-byte message does not fit OAEP with a {k}-byte key",
        message.len()
    );
    // EM = 0x00 || maskedSeed || maskedDB, DB = lHash || PS (zeros) || 0x01 || M.
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (head, db) = em.split_at_mut(1 + HASH_LEN);
    let masked_seed = &mut head[1..];
    masked_seed.copy_from_slice(seed);
    db[..HASH_LEN].copy_from_slice(&Sha256::digest(label));
    let message_start = db.len() - message.len();
    db[message_start - 1] = 0x01;
    db[message_start..].copy_from_slice(message);
    mgf1_xor(masked_seed, db);
    mgf1_xor(db, masked_seed);
    raise_to_public_exponent(key, &em)
}

/// `out ^= MGF1-SHA-256(z)`, RFC 8017 appendix B.2.1.
fn mgf1_xor(z: &[u8], out: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(HASH_LEN)) {
        let mask = Sha256::new()
            .chain_update(z)
            .chain_update(counter.to_be_bytes())
            .finalize();
        for (byte, mask_byte) in chunk.iter_mut().zip(mask) {
            *byte ^= mask_byte;
        }
    }
}

/// RSAEP: `em^e mod n`, as `k` big-endian bytes. `em` is below `n` because it starts
/// with a zero byte and `n` has `k` significant bytes.
fn raise_to_public_exponent(key: &rsa::PublicKey, em: &[u8]) -> Vec<u8> {
    let k = key.size();
    let m = BoxedUint::from_be_slice(em, key.n_bits_precision())
        .expect("k bytes fit the modulus precision");
    let mut base = BoxedMontyForm::new(m, key.n_params());
    let e = key.e();
    let mut power = base.clone();
    for bit in (0..e.bit_width_vartime() - 1).rev() {
        power = power.square();
        if e.bit_vartime(bit) {
            power = power.mul(&base);
        }
    }
    // `base` is the encoded session key in Montgomery form.
    base.zeroize();
    let bytes = power.retrieve().to_be_bytes();
    // The precision is whole limbs; the value is below n, so the extra bytes are zero.
    bytes[bytes.len() - k..].to_vec()
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use rsa::Oaep;
    use rsa::rand_core::{TryCryptoRng, TryRng};

    use super::*;
    use crate::seal::cert::{LoadOptions, SealingKey};

    /// Hands `rsa` the seed we use, so both encryptions must agree to the byte.
    struct FixedSeed(Option<[u8; HASH_LEN]>);

    impl TryRng for FixedSeed {
        type Error = Infallible;

        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            unreachable!("OAEP draws its seed with one fill")
        }

        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            unreachable!("OAEP draws its seed with one fill")
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            let seed = self.0.take().expect("the seed is drawn once");
            dst.copy_from_slice(&seed);
            Ok(())
        }
    }

    impl TryCryptoRng for FixedSeed {}

    fn public_key(cert: &str) -> rsa::PublicKey {
        let path = format!("{}/fixtures/keys/{cert}", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read(&path).unwrap();
        SealingKey::from_pem(&pem, LoadOptions::default())
            .unwrap()
            .rsa()
            .clone()
    }

    fn random<const N: usize>() -> [u8; N] {
        let mut bytes = [0; N];
        getrandom::fill(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn matches_the_rsa_crate_byte_for_byte() {
        for cert in ["rsa-2048.crt", "rsa-3072.crt", "rsa-4096.crt"] {
            let key = public_key(cert);
            let longest = vec![0xee; key.size() - 2 * HASH_LEN - 2];
            let labels: [&[u8]; 4] = [b"", b"ns", b"namespace/name", &[0xff; 300]];
            let messages: [&[u8]; 4] = [&random::<32>(), b"", b"\x00", &longest];
            for label in labels {
                for message in messages {
                    let seed = random::<HASH_LEN>();
                    let ours = encrypt_with_seed(&key, label, message, &seed);
                    let theirs = key
                        .encrypt(
                            &mut FixedSeed(Some(seed)),
                            Oaep::<Sha256>::new_with_label(label),
                            message,
                        )
                        .unwrap();
                    assert_eq!(ours.len(), key.size());
                    assert!(
                        ours == theirs,
                        "{cert}: label of {} bytes, message of {} bytes",
                        label.len(),
                        message.len()
                    );
                }
            }
        }
    }

    #[test]
    fn fresh_seeds_give_fresh_ciphertexts() {
        let key = public_key("rsa-2048.crt");
        let a = encrypt(&key, b"l", &[1; 32]).unwrap();
        let b = encrypt(&key, b"l", &[1; 32]).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    #[should_panic(expected = "does not fit OAEP")]
    fn refuses_a_message_too_long_for_the_key() {
        let key = public_key("rsa-2048.crt");
        encrypt_with_seed(&key, b"", &[0; 256 - 2 * HASH_LEN - 1], &[0; HASH_LEN]);
    }
}
