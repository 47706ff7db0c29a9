//! One `encryptedData` value: the controller's base64, the blob's length prefix,
//! and opening it with a 2048-bit key, from text and from raw bytes. One input
//! in eight is also sealed as plaintext and must open to itself. Fails on any
//! panic and on a round trip that does not return the plaintext.

#![cfg_attr(fuzzing, no_main)]

use std::sync::LazyLock;

use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::hybrid::{self, Layout};
use seal_guard::seal::keys::KeyRing;

// Throw-away test keys from fixtures/keys; see its README.
static RING: LazyLock<KeyRing> = LazyLock::new(|| {
    let mut ring = KeyRing::new();
    let key = include_bytes!("../../fixtures/keys/rsa-2048.key");
    ring.load_bytes("rsa-2048.key", key)
        .expect("the fixture key loads");
    ring
});
static SEALING: LazyLock<SealingKey> = LazyLock::new(|| {
    let cert = include_bytes!("../../fixtures/keys/rsa-2048.crt");
    SealingKey::from_pem(
        cert,
        LoadOptions {
            allow_expired: true,
        },
    )
    .expect("the fixture loads")
});

const LABEL: &[u8] = b"apps/db-credentials";

seal_guard_fuzz::target!(|data| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(blob) = hybrid::decode_base64(text)
    {
        open(&blob);
    }
    open(data);
    if data.len().is_multiple_of(8) {
        let sealed = hybrid::seal(&SEALING, LABEL, data).expect("sealing never fails here");
        let opened = RING
            .open(LABEL, &sealed)
            .expect("a value sealed here opens");
        assert!(
            opened.plaintext.as_slice() == data,
            "the round trip changed the value"
        );
        let text = hybrid::seal_base64(&SEALING, LABEL, data).expect("sealing");
        let blob = hybrid::decode_base64(&text).expect("our own base64 decodes");
        assert_eq!(
            Layout::parse(&blob).map(Layout::plaintext_len).ok(),
            Some(data.len())
        );
    }
});

fn open(blob: &[u8]) {
    if let Ok(layout) = Layout::parse(blob) {
        assert!(layout.rsa_len() + layout.plaintext_len() < blob.len());
    }
    let _ = RING.open(LABEL, blob);
}
