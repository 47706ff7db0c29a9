//! What the fuzz targets share: the [`target!`] macro that makes one file both
//! a libFuzzer target and a stable-toolchain driver, the driver itself, seed
//! inputs, and checks on what seal-guard prints.
//!
//! The driver is not a coverage-guided fuzzer: it replays the corpus and then
//! mutates it at random (bit flips, YAML tokens, splices) for a fixed time. It
//! exists because cargo-fuzz needs a nightly compiler; with one, prefer
//! `cargo fuzz run`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod seeds;

/// Declares a fuzz target from its body: `target!(|data| { ... });`, with
/// `#![cfg_attr(fuzzing, no_main)]` at the top of the file.
#[macro_export]
macro_rules! target {
    (|$data:ident| $body:block) => {
        #[cfg(fuzzing)]
        libfuzzer_sys::fuzz_target!(|$data: &[u8]| $body);

        #[cfg(not(fuzzing))]
        fn main() -> std::process::ExitCode {
            let name = env!("CARGO_BIN_NAME");
            $crate::drive(name, |$data: &[u8]| $body)
        }
    };
}

/// Characters that must never reach a terminal as they are (the same set as
/// seal-guard's own escaping, written out again so that a change there is
/// caught here).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Panics when `output` holds a character a terminal would act on.
pub fn assert_terminal_safe(what: &str, output: &[u8]) {
    let text = String::from_utf8_lossy(output);
    if let Some(c) = text.chars().find(|&c| is_unsafe(c)) {
        panic!("{what} shows {c:?} as it is");
    }
}

/// The stable-toolchain driver: `BIN seed`, or `BIN [--seconds N] [--seed S]
/// PATH...` to replay every file under PATH and then mutate them for N
/// seconds (default 0: replay only). A panic saves the input under
/// `artifacts/BIN/` and ends the run with exit code 1.
pub fn drive(name: &str, target: impl Fn(&[u8])) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("seed") {
        return write_seeds(name);
    }
    let mut seconds = 0u64;
    let mut seed = 0x00C0_FFEE_u64;
    let mut paths = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(0),
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(seed),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let mut corpus = Vec::new();
    for path in &paths {
        collect(path, &mut corpus);
    }
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    // The default panic hook prints the message and where; the driver then
    // saves the input that caused it.
    let run = |input: &[u8]| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(input))).is_ok()
    };

    let start = Instant::now();
    let mut executions = 0u64;
    for input in &corpus {
        executions += 1;
        if !run(input) {
            return crashed(name, input);
        }
    }
    let replayed = executions;
    let mut rng = Rng(seed | 1);
    let budget = Duration::from_secs(seconds);
    let mut input = Vec::new();
    while start.elapsed() < budget {
        input.clear();
        input.extend_from_slice(&corpus[rng.below(corpus.len())]);
        for _ in 0..=rng.below(8) {
            mutate(&mut input, &corpus, &mut rng);
        }
        executions += 1;
        if !run(&input) {
            return crashed(name, &input);
        }
        // Keep some mutants: without coverage feedback this is the only way
        // to reach inputs more than a few mutations away from the seeds.
        if rng.below(64) == 0 && corpus.len() < 50_000 {
            corpus.push(input.clone());
        }
    }
    eprintln!(
        "{name}: {executions} executions ({replayed} replayed) in {:.1} s, no crash",
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn collect(path: &Path, out: &mut Vec<Vec<u8>>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            collect(&path, out);
        }
    } else if let Ok(bytes) = std::fs::read(path) {
        out.push(bytes);
    }
}

fn crashed(name: &str, input: &[u8]) -> ExitCode {
    let mut hasher = DefaultHasher::new();
    input.hash(&mut hasher);
    let dir = PathBuf::from("artifacts").join(name);
    let path = dir.join(format!("crash-{:016x}", hasher.finish()));
    let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input));
    match saved {
        Ok(()) => eprintln!("{name}: crash, input saved to {}", path.display()),
        Err(e) => eprintln!("{name}: crash, and the input could not be saved: {e}"),
    }
    ExitCode::FAILURE
}

/// Writes the seed inputs of target `name` to `corpus/NAME/` (see
/// [`seeds::for_target`] for where they come from).
fn write_seeds(name: &str) -> ExitCode {
    let dir = PathBuf::from("corpus").join(name);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let seeds = seeds::for_target(name);
    for (i, seed) in seeds.iter().enumerate() {
        if let Err(e) = std::fs::write(dir.join(format!("seed-{i:03}")), seed) {
            eprintln!("cannot write a seed: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("{name}: {} seeds in {}", seeds.len(), dir.display());
    ExitCode::SUCCESS
}

/// Tokens that move random bytes towards YAML, JSON and Kubernetes manifests.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"---\n",
    b"...\n",
    b": ",
    b"- ",
    b"? ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!binary ",
    b"!tag ",
    b"|\n  ",
    b">-\n  ",
    b"\"",
    b"'",
    b"\\x53",
    b"\\u0053",
    b"#",
    b"%YAML 1.2\n",
    b"{{ .Values.x }}",
    b"${VAR}",
    b"kind: Secret\n",
    b"apiVersion: v1\n",
    b"data:\n  k: dmFsdWU=\n",
    b"stringData:\n  k: v\n",
    b"kind: List\nitems:\n",
    b"kind: SecretList\n",
    b"kind: SealedSecret\n",
    b"kind: Kustomization\nsecretGenerator:\n- literals: [a=b]\n",
    b"metadata:\n  name: n\n",
    b"seal-guard/allow: reason\n",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\0",
    b"\x1b[2J",
    "\u{202E}".as_bytes(),
    "\u{200B}".as_bytes(),
    b"\xC3",
    b"\xF0\x9F\x98",
    b"\"kind\": \"Secret\"",
    b"{\"data\": {\"k\": \"v\"}}",
];

fn mutate(input: &mut Vec<u8>, corpus: &[Vec<u8>], rng: &mut Rng) {
    let len = input.len();
    let at = |rng: &mut Rng| rng.below(len + 1);
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = rng.next() as u8;
        }
        2 | 3 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            let i = at(rng);
            input.splice(i..i, token.iter().copied());
        }
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            input.drain(start..end);
        }
        5 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let piece = input[start..end].to_vec();
            let i = at(rng);
            input.splice(i..i, piece);
        }
        6 => {
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(256)).min(other.len());
                let i = at(rng);
                input.splice(i..i, other[start..end].iter().copied());
            }
        }
        _ => {
            let i = at(rng);
            input.insert(i, rng.next() as u8);
        }
    }
    // The size libFuzzer uses by default; larger inputs only slow the search.
    input.truncate(4096);
}

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
