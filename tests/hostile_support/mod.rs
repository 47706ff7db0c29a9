//! What the hostile-input tests share: trees in temporary folders, running the
//! real binary under a time limit, and reading its JSON report.
//!
//! Named `hostile_support` so that it never meets another suite's `common`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one run of the binary may take before the test fails. Debug builds
/// on a loaded two-core machine judge a 5 MiB file in a few seconds; a run that
/// takes this long hangs.
pub const TIME_LIMIT: Duration = Duration::from_secs(20);

/// The value every Secret in these trees holds, clear and base64-encoded. No
/// output may contain either.
pub const CANARY: &str = "hostile-canary-value-7f3a";
pub const CANARY_BASE64: &str = "aG9zdGlsZS1jYW5hcnktdmFsdWUtN2YzYQ==";

/// A plaintext Secret whose only value is the canary.
pub fn secret(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\n\
         data:\n  password: {CANARY_BASE64}\n"
    )
}

/// A folder of files that lives as long as the value.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file, creating its folders.
    pub fn file(&self, relative: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write a file");
        path
    }
}

/// What one run of the binary did.
pub struct Outcome {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The findings of a `--format json` run.
    pub fn findings(&self) -> Vec<Value> {
        let report: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not a JSON report ({e}); stderr: {}", self.stderr)
        });
        report["findings"]
            .as_array()
            .expect("a findings array")
            .clone()
    }

    /// The findings of one rule, as (path, line, column, message).
    pub fn of_rule(&self, rule: &str) -> Vec<(String, u64, u64, String)> {
        self.findings()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                (
                    f["path"].as_str().unwrap_or_default().to_owned(),
                    f["line"].as_u64().unwrap_or_default(),
                    f["column"].as_u64().unwrap_or_default(),
                    f["message"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Asserts the exit code, and that the run neither crashed nor leaked.
    #[track_caller]
    pub fn assert_code(&self, want: i32) {
        assert_eq!(
            self.code,
            Some(want),
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        self.assert_sound();
    }

    /// No panic, no internal error, no secret value in any output.
    #[track_caller]
    pub fn assert_sound(&self) {
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            // The text is not printed: it would show the value it leaked.
            assert!(
                !text.contains(CANARY) && !text.contains(CANARY_BASE64),
                "{name} shows a secret value"
            );
            assert!(
                !text.contains("internal error") && !text.contains("internal-error"),
                "{name} reports a bug in seal-guard:\n{text}"
            );
            assert!(!text.contains("panicked"), "{name}:\n{text}");
        }
    }
}

/// The binary under test.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_seal-guard"))
}

/// Runs `seal-guard ARGS` in `dir`, failing the test when it takes longer than
/// [`TIME_LIMIT`].
pub fn run(dir: &Path, args: &[&str]) -> Outcome {
    let mut command = Command::new(binary());
    command.args(args);
    run_command(dir, command)
}

/// Runs a prepared command in `dir` with a clean, colourless environment and a
/// time limit.
pub fn run_command(dir: &Path, mut command: Command) -> Outcome {
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("NO_GRAPHICS")
        .env_remove("RUST_BACKTRACE")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn().expect("start seal-guard");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = wait_or_kill(&mut child, start);
    Outcome {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait_or_kill(child: &mut Child, start: Instant) -> std::process::ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("poll seal-guard") {
            return status;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("seal-guard ran for more than {TIME_LIMIT:?} and was killed");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// `check --format json` on the current folder of `tree`.
pub fn check_json(tree: &Tree) -> Outcome {
    run(tree.path(), &["check", "--format", "json"])
}

/// Runs `check --format json` with the address space capped at `mib` MiB, so
/// that a run that tries to use more fails (allocation failure aborts it)
/// instead of swapping the machine to a halt.
#[cfg(unix)]
pub fn check_json_within(tree: &Tree, mib: u64) -> Outcome {
    let mut command = Command::new("/bin/sh");
    // glibc reserves address space for one malloc arena per thread; with two
    // arenas the cap measures what the run allocates, not how many threads the
    // machine gives the walker.
    command.env("MALLOC_ARENA_MAX", "2");
    command.args([
        "-c",
        &format!(
            "ulimit -v {} && exec \"$0\" check --format json",
            mib * 1024
        ),
    ]);
    command.arg(binary());
    run_command(tree.path(), command)
}

/// A small deterministic generator (xorshift64*), so random inputs are the same
/// on every run and a failure can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 56) as u8).collect()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
