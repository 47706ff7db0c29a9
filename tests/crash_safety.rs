//! `fix` killed with SIGKILL (and, every fourth round, interrupted with SIGINT as
//! Ctrl-C does) at random moments, many times over, on a tree of 2,000 Secrets in
//! 400 files of five shapes: every file must be either its original bytes or
//! completely sealed, keep its mode, and no file the tool creates may ever hold
//! plaintext. Files holding a Secret that cannot be sealed must never change.
//!
//! The rounds are cumulative: each run starts where the killed one stopped, so the
//! kills land across the whole write phase; when a run gets to finish, the tree is
//! put back to its original bytes and the next round starts over. A final run that
//! is not killed must then seal everything, and its values open.
//!
//! Temporary files (`.seal-guard-*.tmp`) that a kill leaves behind are allowed
//! between runs, as long as they hold no plaintext; the next run removes them, so
//! none is left after the final one.
//!
//! `SEAL_GUARD_CRASH_SEED=<n>` replays the random delays of a failed run. The figures
//! of a run are printed on stderr (`cargo test --test crash_safety -- --nocapture`).

#![cfg(unix)]

mod fix_support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use fix_support::*;
use memchr::memmem;
use serde_json::{Value, json};

const FILES: usize = 400;
const SECRETS_PER_FILE: usize = 5;
/// Files with one Secret that cannot be sealed: they must keep every byte, always.
const REFUSED_FILES: usize = 8;
const ROUNDS: usize = 30;
/// Rounds stop early past this budget, so a slow machine still finishes in time.
const ROUND_BUDGET: Duration = Duration::from_secs(35);
/// The tree is not put back to its original bytes this close to the budget.
const RESTART_MARGIN: Duration = Duration::from_secs(10);
/// At least this many kills must land while files were being written.
const MIN_STOPS_MID_WRITE: usize = 5;
const MODES: [u32; 3] = [0o644, 0o600, 0o640];

#[derive(Default)]
struct Counts {
    rounds: usize,
    kills: usize,
    interrupts: usize,
    /// Kills after which files sealed in that round were found.
    stopped_mid_write: usize,
    finished: usize,
    restarts: usize,
}

/// Waits for `child` to end by itself, for at most `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        sleep(Duration::from_millis(5));
    }
    None
}

/// A small deterministic generator (xorshift64*), so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One file of the tree as it was written.
struct Original {
    bytes: Vec<u8>,
    mode: u32,
    /// Every plaintext of the file, and the base64 text of its `data` values.
    probes: Vec<Vec<u8>>,
    crlf: bool,
    bom: bool,
    /// Whether the file must end up sealed (false for the refused ones).
    sealable: bool,
}

fn secret_value(file: usize, secret: usize, salt: u64) -> Value {
    let scope = Scope::ALL[(file + secret) % 3];
    let mut metadata = json!({
        "name": format!("s-{file}-{secret}"),
        "namespace": format!("ns-{}", file % 7),
        "labels": {"app": format!("a{secret}")},
    });
    if let Some(annotation) = scope.annotation() {
        metadata["annotations"] = json!({ annotation: "true" });
    }
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "data": {"password": STANDARD.encode(format!("pw-f{file:04}-s{secret}-{salt:x}"))},
        "stringData": {"user": format!("user-f{file:04}-s{secret}-{salt:x}")},
    })
}

fn probes_of(secrets: &[Value]) -> Vec<Vec<u8>> {
    let mut probes = Vec::new();
    for secret in secrets {
        for value in plaintexts(secret).into_values() {
            probes.push(value);
        }
        for value in secret["data"].as_object().unwrap().values() {
            probes.push(value.as_str().unwrap().as_bytes().to_vec());
        }
    }
    probes
}

fn config_map(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

/// Block YAML of one object (no trailing newline), via the same library the tests
/// parse with; good enough for fixtures.
fn block_yaml(value: &Value) -> String {
    serde_saphyr::to_string(value)
        .unwrap()
        .trim_end()
        .to_owned()
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_owned()
            } else {
                format!("{by}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A file of five Secrets (and a ConfigMap) in one of five shapes.
fn shaped_file(file: usize, salt: u64) -> (String, String, Vec<Value>) {
    let secrets: Vec<Value> = (0..SECRETS_PER_FILE)
        .map(|s| secret_value(file, s, salt))
        .collect();
    let neighbour = config_map(&format!("cm-{file}"));
    let dir = format!("d{:02}", file % 16);
    match file % 5 {
        // Documents, a comment, and a neighbour in the middle.
        0 => {
            let mut docs: Vec<String> = secrets.iter().map(block_yaml).collect();
            docs.insert(2, format!("# a neighbour\n{}", block_yaml(&neighbour)));
            (
                format!("{dir}/f{file}.yaml"),
                format!("# file {file}\n{}\n", docs.join("\n---\n")),
                secrets,
            )
        }
        // A kind: List with the Secrets as items.
        1 => {
            let mut items: Vec<String> = secrets
                .iter()
                .map(|s| format!("  - {}", indent(&block_yaml(s), "    ")))
                .collect();
            items.insert(
                3,
                format!("  - {}", indent(&block_yaml(&neighbour), "    ")),
            );
            let text = format!("apiVersion: v1\nkind: List\nitems:\n{}\n", items.join("\n"));
            (format!("{dir}/f{file}.yaml"), text, secrets)
        }
        // A JSON List.
        2 => {
            let mut items = secrets.clone();
            items.insert(1, neighbour);
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
            let text = serde_json::to_string_pretty(&list).unwrap() + "\n";
            (format!("{dir}/f{file}.json"), text, secrets)
        }
        // A byte order mark and CRLF line ends.
        3 => {
            let mut docs: Vec<String> = secrets.iter().map(block_yaml).collect();
            docs.push(block_yaml(&neighbour));
            let text = format!("\u{feff}{}\n", docs.join("\n---\n")).replace('\n', "\r\n");
            (format!("{dir}/f{file}.yaml"), text, secrets)
        }
        // Flow-style documents, one line each.
        _ => {
            let mut docs: Vec<String> = secrets
                .iter()
                .map(|s| serde_json::to_string(s).unwrap())
                .collect();
            docs.push(block_yaml(&neighbour));
            (
                format!("{dir}/f{file}.yaml"),
                format!("---\n{}\n", docs.join("\n---\n")),
                secrets,
            )
        }
    }
}

fn build_tree(tree: &Tree, salt: u64) -> BTreeMap<String, Original> {
    let mut originals = BTreeMap::new();
    for file in 0..FILES {
        let (rel, text, secrets) = shaped_file(file, salt);
        let path = tree.write(&rel, &text);
        let mode = MODES[file % MODES.len()];
        set_mode(&path, mode);
        originals.insert(
            rel,
            Original {
                crlf: text.contains("\r\n"),
                bom: text.starts_with('\u{feff}'),
                bytes: text.into_bytes(),
                mode,
                probes: probes_of(&secrets),
                sealable: true,
            },
        );
    }
    for k in 0..REFUSED_FILES {
        let good = secret_value(FILES + k, 0, salt);
        let mut bad = secret_value(FILES + k, 1, salt);
        bad["data"]["password"] = json!("not base64 at all!");
        bad["stringData"]["user"] = json!(format!("refused-user-{k}-{salt:x}"));
        let text = format!("{}\n---\n{}\n", block_yaml(&good), block_yaml(&bad));
        let rel = format!("refused/r{k}.yaml");
        let path = tree.write(&rel, &text);
        set_mode(&path, 0o600);
        let mut probes = probes_of(&[good]);
        probes.push(format!("refused-user-{k}-{salt:x}").into_bytes());
        originals.insert(
            rel,
            Original {
                bytes: text.into_bytes(),
                mode: 0o600,
                probes,
                crlf: false,
                bom: false,
                sealable: false,
            },
        );
    }
    originals
}

/// What one look at the tree found.
#[derive(Default)]
struct Look {
    unchanged: usize,
    sealed: usize,
    newly_sealed: usize,
}

/// Checks every file of the tree; `sealed` remembers the bytes of files already
/// found completely sealed, which must never change again.
fn look(
    tree: &Tree,
    originals: &BTreeMap<String, Original>,
    sealed: &mut BTreeMap<String, Vec<u8>>,
    temp_seen: &mut BTreeSet<String>,
    context: &str,
) -> Look {
    let mut found = Look::default();
    for (rel, original) in originals {
        let path = tree.path(rel);
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("{context}: {rel} is gone: {e}"));
        assert!(
            meta.is_file(),
            "{context}: {rel} is no longer a regular file"
        );
        assert_eq!(
            format!("{:o}", mode(&path)),
            format!("{:o}", original.mode),
            "{context}: {rel}: mode changed"
        );
        let bytes = std::fs::read(&path).unwrap();
        if bytes == original.bytes {
            found.unchanged += 1;
            continue;
        }
        if let Some(known) = sealed.get(rel) {
            assert!(
                *known == bytes,
                "{context}: {rel} was sealed, then rewritten"
            );
            found.sealed += 1;
            continue;
        }
        assert!(
            original.sealable,
            "{context}: {rel} holds an unsealable Secret yet changed"
        );
        assert_completely_sealed(rel, original, &bytes, context);
        sealed.insert(rel.clone(), bytes);
        found.sealed += 1;
        found.newly_sealed += 1;
    }

    // Anything else in the tree is a file the tool created.
    let all_probes: Vec<&[u8]> = originals
        .values()
        .flat_map(|o| o.probes.iter().map(Vec::as_slice))
        .collect();
    for rel in tree.paths() {
        if originals.contains_key(&rel) {
            continue;
        }
        let bytes = std::fs::read(tree.path(&rel)).unwrap();
        let name = rel.rsplit('/').next().unwrap();
        assert!(
            name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp"),
            "{context}: unexpected new file {rel}"
        );
        for (i, probe) in all_probes.iter().enumerate() {
            assert!(
                memmem::find(&bytes, probe).is_none(),
                "{context}: temporary file {rel} holds plaintext (probe {i})"
            );
        }
        temp_seen.insert(rel);
    }
    found
}

/// A changed file must be the original with every Secret, and nothing else,
/// replaced by a SealedSecret of the same name, with no plaintext left.
fn assert_completely_sealed(rel: &str, original: &Original, bytes: &[u8], context: &str) {
    for (i, probe) in original.probes.iter().enumerate() {
        assert!(
            memmem::find(bytes, probe).is_none(),
            "{context}: {rel} changed but still holds plaintext (probe {i})"
        );
    }
    if original.bom {
        assert!(
            bytes.starts_with("\u{feff}".as_bytes()),
            "{context}: {rel} lost its BOM"
        );
    }
    if original.crlf {
        let lf = bytes.iter().filter(|b| **b == b'\n').count();
        let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
        assert_eq!(lf, crlf, "{context}: {rel} is no longer all CRLF");
    }
    let old = objects(&parse_documents(rel, &original.bytes));
    let new = objects(&parse_documents(rel, bytes));
    assert_eq!(
        old.len(),
        new.len(),
        "{context}: {rel}: objects lost or added"
    );
    for (i, (old, new)) in old.iter().zip(&new).enumerate() {
        if is_plaintext_secret(old) {
            assert!(
                is_sealed_secret(new),
                "{context}: {rel} object {i} is not sealed"
            );
            assert_eq!(
                new["metadata"]["name"], old["metadata"]["name"],
                "{context}: {rel} #{i}"
            );
            assert_eq!(
                new["metadata"]["namespace"], old["metadata"]["namespace"],
                "{context}: {rel} #{i}"
            );
            let items: BTreeSet<&String> = new["spec"]["encryptedData"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            let expected = plaintexts(old);
            assert_eq!(
                items,
                expected.keys().collect(),
                "{context}: {rel} #{i} items"
            );
        } else {
            assert_eq!(
                old, new,
                "{context}: {rel} object {i} (not a Secret) changed"
            );
        }
    }
}

fn restore(tree: &Tree, originals: &BTreeMap<String, Original>) {
    for (rel, original) in originals {
        let path = tree.path(rel);
        if std::fs::read(&path).unwrap() != original.bytes {
            std::fs::write(&path, &original.bytes).unwrap();
            assert_eq!(mode(&path), original.mode, "restoring kept the mode");
        }
    }
}

#[test]
fn killed_at_random_moments_fix_leaves_each_file_original_or_completely_sealed() {
    let started = Instant::now();
    let seed = std::env::var("SEAL_GUARD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash safety: seed {seed} (SEAL_GUARD_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let tree = Tree::new();
    let originals = build_tree(&tree, seed);
    let main_files = originals.values().filter(|o| o.sealable).count();
    assert_eq!(main_files * SECRETS_PER_FILE, 2000);
    let cert = cert(2048);
    let cert = cert.to_str().unwrap();

    // How long the walk and parse take before anything is written: kills are
    // spread from there on.
    let scan = Instant::now();
    run_in(tree.root(), &["check", "-q"], None).code(1);
    let scan = scan.elapsed();
    let window = Duration::from_millis(1200);

    let mut sealed: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut temp_seen = BTreeSet::new();
    let mut counts = Counts::default();
    let mut files_checked = 0;
    while counts.rounds < ROUNDS && started.elapsed() < ROUND_BUDGET {
        counts.rounds += 1;
        // Every fourth round is a Ctrl-C (SIGINT) rather than a SIGKILL.
        let interrupt = counts.rounds % 4 == 0;
        let delay = scan.mul_f64(0.7) + Duration::from_millis(rng.below(window.as_millis() as u64));
        let mut child = command(tree.root(), &["fix", "-q", "--cert", cert])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let context = format!(
            "seed {seed}, round {} ({} ms)",
            counts.rounds,
            delay.as_millis()
        );
        let ended_by_itself = wait_at_most(&mut child, delay).is_some();
        if !ended_by_itself {
            if interrupt {
                let sent = Command::new("kill")
                    .args(["-s", "INT", &child.id().to_string()])
                    .status()
                    .expect("`kill` runs");
                assert!(sent.success(), "{context}: kill -s INT failed");
                // A process that ignores SIGINT (as background jobs of a
                // non-interactive shell do) gets a SIGKILL instead.
                if wait_at_most(&mut child, Duration::from_secs(2)).is_none() {
                    child.kill().unwrap();
                }
            } else {
                child.kill().unwrap();
            }
        }
        let status = child.wait().unwrap();
        match status.signal() {
            Some(9) => counts.kills += 1,
            Some(2) => counts.interrupts += 1,
            Some(other) => panic!("{context}: fix died of signal {other}"),
            None => {
                counts.finished += 1;
                assert!(
                    matches!(status.code(), Some(0 | 1)),
                    "{context}: fix failed: {status}"
                );
            }
        }
        let found = look(&tree, &originals, &mut sealed, &mut temp_seen, &context);
        files_checked += originals.len();
        if status.signal().is_some() && found.newly_sealed > 0 {
            counts.stopped_mid_write += 1;
        }
        if found.sealed == main_files {
            if started.elapsed() + RESTART_MARGIN > ROUND_BUDGET {
                // Too late to start over: the final run would have to seal
                // everything again, past the time budget.
                break;
            }
            // Everything is sealed: start over from the original bytes.
            restore(&tree, &originals);
            sealed.clear();
            counts.restarts += 1;
        }
    }

    // A final run that is not killed seals everything it can.
    let out = run_in(
        tree.root(),
        &["fix", "--format", "json", "--cert", cert],
        None,
    );
    out.code(1);
    let context = format!("seed {seed}, final run");
    let temp_before_final = temp_seen.clone();
    let found = look(&tree, &originals, &mut sealed, &mut temp_seen, &context);
    files_checked += originals.len();
    assert_eq!(
        found.sealed, main_files,
        "{context}: not every file is sealed"
    );
    assert_eq!(found.unchanged, REFUSED_FILES);
    let mut refused: Vec<String> = report_findings(&out)
        .iter()
        .filter(|f| f["rule"] == "unsealable-secret")
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    refused.sort();
    let expected: Vec<String> = (0..REFUSED_FILES)
        .map(|k| format!("refused/r{k}.yaml"))
        .collect();
    assert_eq!(refused, expected);
    let left_now: BTreeSet<String> = tree.temp_files().into_iter().collect();
    assert!(
        left_now.is_empty(),
        "{context}: temporary files remain after an uninterrupted run ({} were there before it): {left_now:?}",
        temp_before_final.len()
    );

    // The sealed values open: a sample of files, every value of each.
    let mut openings = Vec::new();
    for (rel, original) in originals.iter().filter(|(_, o)| o.sealable).step_by(23) {
        let openings_of_file =
            sealed_in_place(rel, &original.bytes, &sealed[rel], &Expect::key(2048));
        openings.extend(openings_of_file);
    }
    assert_opens(&openings);

    let Counts {
        rounds,
        kills,
        interrupts,
        stopped_mid_write,
        finished,
        restarts,
    } = counts;
    eprintln!(
        "crash safety: {rounds} rounds: {kills} SIGKILLs and {interrupts} SIGINTs \
         ({stopped_mid_write} while files were being written), {finished} runs finished first, \
         {restarts} restarts from the original tree; {files_checked} file checks; {} \
         temporary files left by killed runs ({} still there after the final run, none with \
         plaintext); {} values opened; {:.1} s",
        temp_seen.len(),
        left_now.len(),
        openings.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        stopped_mid_write >= MIN_STOPS_MID_WRITE,
        "only {stopped_mid_write} of {} kills landed while files were being written \
         (seed {seed}); the test proved too little",
        kills + interrupts
    );
}
