//! All of seal-guard's cryptography, and nothing else.
//!
//! For: loading the key that seals ([`cert`]) and the keys that open ([`keys`]), the
//! sealing scope and the label it implies ([`scope`]), and the sealed value format
//! itself ([`hybrid`]), byte for byte what kubeseal writes and the controller reads.
//!
//! Not for: finding, parsing or rewriting manifests, or deciding what is a finding.
//! Those live elsewhere and call in here; no other module uses `rsa` or `aes-gcm`.
//!
//! Secret values, session keys and private keys never reach an error message, a
//! `Debug` or `Display` output, or a log line from this module.

pub mod cert;
pub mod fingerprint;
pub mod hybrid;
pub mod keys;
mod pem;
pub mod scope;
