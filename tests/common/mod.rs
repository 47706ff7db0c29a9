//! What the CLI tests share: fixture cases, sandboxes, and running the real binary.
//!
//! A case is a folder under `fixtures/check/`. Its files are the input tree, copied
//! into a fresh temporary folder outside any git repository; that folder is the
//! current folder of every run, so the paths seal-guard prints are relative to it.
//! Two names at the top of a case folder are instructions rather than input:
//!
//! - `args`: one command line per line, the words after `seal-guard`, split at
//!   blanks (`#` starts a comment line). Without it the case runs `check`. Every run
//!   gets `--color never` first (unless the line sets `--color` itself) and
//!   `COLUMNS=100`, so that human output is the same on every machine.
//! - `git-init`: the copy becomes a real git repository, with everything its
//!   `.gitignore` allows added and committed; each line names a path to add anyway,
//!   as `git add -f` would.
//!
//! File names are percent-decoded on the way (`%2Egitignore` becomes `.gitignore`,
//! `%1B` an escape character): a `.gitignore` or `.git` in a fixture must not act on
//! this repository, and a name holding control characters must not be needed in a
//! checkout.
//!
//! Runs see a cleared environment with an empty home folder, so neither the
//! developer's git configuration nor their global ignore file changes a result.

pub mod secrets;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Names at the top of a case folder that are not copied.
pub const CONTROL_FILES: [&str; 2] = ["args", "git-init"];

/// The length of every sandbox root's path.
const ROOT_PATH_LEN: usize = 40;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_seal-guard");

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/check")
}

/// One fixture case.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
}

impl Case {
    /// Every case folder, sorted by name.
    pub fn all() -> Vec<Case> {
        let mut cases: Vec<Case> = std::fs::read_dir(fixtures_dir())
            .expect("fixtures/check exists")
            .map(|entry| entry.expect("readable fixtures folder").path())
            .filter(|path| path.is_dir())
            .map(|dir| Case {
                name: file_name(&dir),
                dir,
            })
            .collect();
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        cases
    }

    /// The command lines this case runs, each as the words after `seal-guard`.
    pub fn command_lines(&self) -> Vec<Vec<String>> {
        let Ok(text) = std::fs::read_to_string(self.dir.join("args")) else {
            return vec![vec!["check".to_owned()]];
        };
        let lines: Vec<Vec<String>> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| line.split_whitespace().map(str::to_owned).collect())
            .collect();
        assert!(!lines.is_empty(), "{}: `args` names no command", self.name);
        lines
    }

    /// A fresh copy of the case's tree, a git repository if the case asks for one.
    pub fn sandbox(&self) -> Sandbox {
        let sandbox = Sandbox::new();
        let git = std::fs::read_to_string(self.dir.join("git-init")).ok();
        if git.is_some() {
            // Before the copy, so that a case can put files inside `.git/`.
            sandbox.git(&["init", "-q"]);
        }
        let mut files = BTreeMap::new();
        copy_tree(&self.dir, &sandbox.root, "", &mut files);
        if let Some(forced) = git {
            let forced: Vec<&str> = forced
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            sandbox.commit_all(&forced);
        } else {
            let inside = std::process::Command::new("git")
                .args(["rev-parse", "--is-inside-work-tree"])
                .current_dir(&sandbox.root)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(
                !inside,
                "the sandbox {} is inside a git repository; set TMPDIR elsewhere",
                sandbox.root.display()
            );
        }
        Sandbox { files, ..sandbox }
    }
}

/// A temporary folder to run seal-guard in.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// The tree's root and the runs' current folder (canonical).
    pub root: PathBuf,
    home: PathBuf,
    /// For a copied case: each file's path relative to `root` (as seal-guard
    /// shows it) and the fixture file it came from.
    pub files: BTreeMap<String, PathBuf>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        // Config errors name the config file by its absolute path, and miette wraps
        // them at 80 columns: a root path of one length on every machine keeps
        // their snapshots stable. So the sandbox is in /tmp, whatever TMPDIR says
        // (its canonical path is short on Linux and macOS), padded to that length.
        let parent = if cfg!(unix) {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::tempdir_in(parent).expect("a temporary folder");
        let base = dir.path().canonicalize().expect("canonical temp folder");
        let pad = ROOT_PATH_LEN.saturating_sub(base.as_os_str().len() + "/root".len());
        let root = base.join(format!("root{}", "_".repeat(pad)));
        let home = base.join("home");
        std::fs::create_dir(&root).expect("create root");
        std::fs::create_dir(&home).expect("create home");
        Sandbox {
            _dir: dir,
            root,
            home,
            files: BTreeMap::new(),
        }
    }

    /// Writes a file under the root, creating its folders.
    pub fn write(&self, relative: impl AsRef<Path>, bytes: &[u8]) {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folders");
        std::fs::write(path, bytes).expect("write a sandbox file");
    }

    /// Makes the root a repository (if it is not one yet), adds what `.gitignore`
    /// allows plus `forced`, and commits.
    /// Runs git in the root, isolated from the machine's git configuration.
    pub fn git(&self, args: &[&str]) {
        {
            let status = std::process::Command::new("git")
                .args(args)
                .current_dir(&self.root)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "fixture")
                .env("GIT_AUTHOR_EMAIL", "fixture@example.invalid")
                .env("GIT_COMMITTER_NAME", "fixture")
                .env("GIT_COMMITTER_EMAIL", "fixture@example.invalid")
                .env("GIT_AUTHOR_DATE", "1970-01-01T00:00:00Z")
                .env("GIT_COMMITTER_DATE", "1970-01-01T00:00:00Z")
                .status()
                .expect("run git");
            assert!(status.success(), "git {args:?} failed");
        }
    }

    pub fn commit_all(&self, forced: &[&str]) {
        if !self.root.join(".git").exists() {
            self.git(&["init", "-q"]);
        }
        self.git(&["add", "-A"]);
        for path in forced {
            self.git(&["add", "-f", "--", path]);
        }
        self.git(&["commit", "-q", "--allow-empty", "-m", "fixture"]);
    }

    /// Runs `seal-guard ARGS` in the root, with `--color never` unless `args` set
    /// `--color`, and returns the argv shown in transcripts with the output.
    pub fn run(&self, args: &[String]) -> Run {
        self.run_with(args, Stdio::piped())
    }

    /// Like [`Sandbox::run`], with stdout connected to `stdout`.
    pub fn run_with(&self, args: &[String], stdout: Stdio) -> Run {
        let mut argv: Vec<String> = Vec::new();
        if !args
            .iter()
            .any(|a| a == "--color" || a.starts_with("--color="))
        {
            argv.extend(["--color".to_owned(), "never".to_owned()]);
        }
        argv.extend(args.iter().cloned());
        let output = Command::new(BIN)
            .args(&argv)
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("COLUMNS", "100")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .expect("seal-guard runs");
        Run {
            argv,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Paths in output that hold the sandbox's folders, for snapshot filters.
    pub fn temp_paths(&self) -> [(String, &'static str); 2] {
        [
            (self.root.display().to_string(), "[ROOT]"),
            (self.home.display().to_string(), "[HOME]"),
        ]
    }
}

/// One run of the binary.
#[derive(Clone, Debug)]
pub struct Run {
    /// The words after `seal-guard`, as passed.
    pub argv: Vec<String>,
    /// `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `seal-guard ARGS`, for messages and transcripts.
    pub fn command(&self) -> String {
        format!("seal-guard {}", self.argv.join(" "))
    }

    /// The value of `--format` in this run (`human` when absent).
    pub fn format(&self) -> &str {
        let mut words = self.argv.iter();
        while let Some(word) = words.next() {
            if word == "--format" {
                return words.next().map_or("human", String::as_str);
            }
            if let Some(value) = word.strip_prefix("--format=") {
                return value;
            }
        }
        "human"
    }

    pub fn is_check(&self) -> bool {
        self.argv.iter().any(|a| a == "check")
    }

    /// The text a snapshot holds for this run.
    pub fn transcript(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        let stream = |name: &str, text: &str| {
            if text.is_empty() {
                format!("[{name}: empty]\n")
            } else {
                let newline = if text.ends_with('\n') {
                    ""
                } else {
                    "\n[no final newline]"
                };
                format!("[{name}]\n{text}{newline}\n")
            }
        };
        format!(
            "$ {}\n[exit code: {code}]\n{}{}",
            self.command(),
            stream("stdout", &self.stdout),
            stream("stderr", &self.stderr)
        )
    }

    /// The JSON report on stdout, for `--format json` and `--format sarif` runs.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("`{}` printed no JSON document: {e}", self.command()))
    }
}

/// Copies `from` into `to`, percent-decoding names and skipping control files at
/// the top; records each copied file's shown path and source.
fn copy_tree(from: &Path, to: &Path, shown: &str, files: &mut BTreeMap<String, PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("readable fixture folder")
        .map(|e| e.expect("readable fixture entry"))
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let name = name
            .to_str()
            .expect("fixture names are UTF-8 (percent-encode the rest)");
        if shown.is_empty() && CONTROL_FILES.contains(&name) {
            continue;
        }
        let decoded = percent_decode(name);
        let target = to.join(&decoded);
        let shown_path = if shown.is_empty() {
            decoded.to_string_lossy().into_owned()
        } else {
            format!("{shown}/{}", decoded.to_string_lossy())
        };
        let source = entry.path();
        if source.is_dir() {
            std::fs::create_dir_all(&target).expect("create a folder");
            copy_tree(&source, &target, &shown_path, files);
        } else {
            std::fs::copy(&source, &target).expect("copy a fixture file");
            files.insert(shown_path, source);
        }
    }
}

/// `%XX` sequences to the bytes they stand for.
pub fn percent_decode(name: &str) -> OsString {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    os_string(out)
}

#[cfg(unix)]
fn os_string(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

#[cfg(not(unix))]
fn os_string(bytes: Vec<u8>) -> OsString {
    String::from_utf8(bytes)
        .expect("decoded fixture names are UTF-8 off Unix")
        .into()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// A file's text as seal-guard decodes it: UTF-8 after an optional byte order
/// mark, or UTF-16 after its byte order mark.
pub fn decode_text(bytes: &[u8]) -> String {
    let utf16 = |big_endian: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|p| {
                if big_endian {
                    u16::from_be_bytes([p[0], p[1]])
                } else {
                    u16::from_le_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}
