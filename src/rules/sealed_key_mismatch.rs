//! `sealed-key-mismatch`: a value sealed for a key of another size than the
//! certificate configured for its path.
//!
//! Why: the RSA part of a sealed value is exactly as long as the sealing key's
//! modulus, and a key only opens values of its own length. A 2048-bit value in a
//! repository whose controller has a 4096-bit key was sealed for another cluster
//! (or another controller) and will not decrypt. Only the length can be checked
//! without the private key: RSA-OAEP ciphertexts do not say which key made them.

use super::sealed::{is_sealed, items};
use crate::finding::Finding;
use crate::manifest::object::Object;
use crate::rules::plaintext_secret::{display_name, object_ref};
use crate::rules::{Context, Rule};
use crate::seal::hybrid::{Layout, decode_base64};

pub fn check(object: &Object<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(expected) = cx.facts.cert_modulus_bytes else {
        return;
    };
    if !is_sealed(object) {
        return;
    }
    for item in items(object) {
        let Some(text) = item.value.as_str() else {
            continue;
        };
        let Ok(layout) = decode_base64(text).and_then(|blob| Layout::parse(&blob)) else {
            continue;
        };
        if layout.rsa_len() != expected {
            let mut finding = cx.finding(
                Rule::SealedKeyMismatch,
                item.key.span.start,
                format!(
                    "SealedSecret {}: {} was sealed for a {}-bit key, but the certificate for this path has {} bits",
                    display_name(object),
                    item.name,
                    layout.rsa_len() * 8,
                    expected * 8,
                ),
            );
            finding.help =
                Some("seal the value again with this cluster's certificate (`seal-guard reseal` with the old key)".to_owned());
            finding.object = Some(object_ref(object));
            out.push(finding);
        }
    }
}
