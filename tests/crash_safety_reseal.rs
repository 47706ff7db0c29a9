//! Crash safety of `reseal`: killed at random moments while it rewrites a tree
//! of SealedSecrets to a new certificate, every file is afterwards either its
//! previous bytes or completely resealed, its mode unchanged, and no file holds
//! plaintext; a final uninterrupted run reseals everything and leaves no
//! temporary file.
//!
//! Which key sealed a value shows in its length prefix (256 bytes of RSA for the
//! 2048-bit old key, 384 for the 3072-bit new one), so files are judged without
//! decrypting after every kill; the final state is proven by decryption.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys");
const FILES: usize = 80;
const SECRETS_PER_FILE: usize = 5;
const ROUNDS: usize = 12;

fn seal_guard(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_seal-guard"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn value(file: usize, secret: usize) -> String {
    format!("reseal-crash-value-{file}-{secret}")
}

/// The RSA lengths of every sealed value in a file, from their length prefixes.
fn rsa_lengths(text: &str) -> Vec<usize> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("v: "))
        .map(|b64| {
            let blob = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .expect("a sealed value");
            usize::from(u16::from_be_bytes([blob[0], blob[1]]))
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn reseal_survives_being_killed_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for f in 0..FILES {
        let mut text = String::new();
        for s in 0..SECRETS_PER_FILE {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{s}\n  namespace: ns{f}\nstringData:\n  v: {}\n",
                value(f, s)
            ));
        }
        let path = root.join(format!("f{f:03}.yaml"));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(
            &path,
            std::fs::Permissions::from_mode(if f % 2 == 0 { 0o640 } else { 0o600 }),
        )
        .unwrap();
    }
    let old_cert = format!("{KEYS}/rsa-2048.crt");
    let sealed = seal_guard(root, &["-q", "fix", "--cert", &old_cert]);
    assert_eq!(
        sealed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sealed.stdout)
    );

    let originals: BTreeMap<String, Vec<u8>> = files_in(root)
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(root.join(&n)).unwrap()))
        .collect();
    let modes: BTreeMap<String, u32> = originals
        .keys()
        .map(|n| {
            (
                n.clone(),
                std::fs::metadata(root.join(n))
                    .unwrap()
                    .permissions()
                    .mode(),
            )
        })
        .collect();
    for (name, bytes) in &originals {
        assert_eq!(
            rsa_lengths(&String::from_utf8_lossy(bytes)),
            vec![256; SECRETS_PER_FILE],
            "{name}"
        );
    }

    let args = [
        "-q",
        "reseal",
        "--private-key",
        &format!("{KEYS}/rsa-2048.key"),
        "--private-key",
        &format!("{KEYS}/rsa-3072.key"),
        "--cert",
        &format!("{KEYS}/rsa-3072.crt"),
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let started = Instant::now();
    for round in 0..ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(20 + seed % 400);
        let mut child = Command::new(env!("CARGO_BIN_EXE_seal-guard"))
            .args(args)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();

        for name in files_in(root) {
            let path = root.join(&name);
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for f in 0..FILES {
                for s in 0..SECRETS_PER_FILE {
                    assert!(
                        !text.contains(&value(f, s)),
                        "round {round}: {name} holds plaintext"
                    );
                }
            }
            let Some(original) = originals.get(&name) else {
                assert!(
                    name.starts_with(".seal-guard-") && name.ends_with(".tmp"),
                    "round {round}: new file {name}"
                );
                continue;
            };
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode(),
                modes[&name],
                "round {round}: {name}"
            );
            if &bytes != original {
                // Changed: completely resealed, never half.
                assert_eq!(
                    rsa_lengths(&text),
                    vec![384; SECRETS_PER_FILE],
                    "round {round}: {name} is half-written"
                );
            }
        }
    }

    let last = seal_guard(root, &args);
    assert_eq!(
        last.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&last.stdout)
    );
    assert_eq!(
        files_in(root),
        originals.keys().cloned().collect::<Vec<_>>(),
        "temporary files remain"
    );
    let verified = seal_guard(
        root,
        &[
            "check",
            "--format",
            "json",
            "--private-key",
            &format!("{KEYS}/rsa-3072.key"),
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(
        report["summary"]["verified"],
        FILES * SECRETS_PER_FILE,
        "not every value opens with the new key"
    );
    assert_eq!(report["summary"]["errors"], 0);
    eprintln!(
        "reseal crash safety: {ROUNDS} rounds, {kills} SIGKILLs, {} files, {} values resealed and verified, {:.1} s",
        FILES,
        FILES * SECRETS_PER_FILE,
        started.elapsed().as_secs_f64()
    );
    assert!(
        kills > ROUNDS / 2,
        "too few kills landed ({kills}): the test proves little"
    );
}
