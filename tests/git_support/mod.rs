//! Real git repositories in temporary folders for the `git_*` tests, made with the
//! `git` program and shielded from the machine's git configuration.
//!
//! Not a fake `.git` folder and not a fixture tree: every repository is built by
//! the test that uses it, so what it holds is written next to what is asserted.

#![allow(
    dead_code,
    reason = "each test file uses its own part of these helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

/// A committer time far from "now", so times asserted are the ones set here.
pub const EPOCH: i64 = 1_700_000_000;

/// A repository on branch `main` with a committer set, in its own temporary folder.
pub struct TestRepo {
    /// Holds the folder until the test ends.
    _dir: TempDir,
    pub root: PathBuf,
}

impl TestRepo {
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("a temporary folder");
        // Canonical, so that paths compare with the library's canonical workdir.
        let root = dir
            .path()
            .canonicalize()
            .expect("the temporary folder exists")
            .join("repo");
        std::fs::create_dir(&root).expect("create the repository folder");
        git(&root, &["init", "-q", "-b", "main"]);
        TestRepo { _dir: dir, root }
    }

    /// A path in the temporary folder beside the repository (another repository,
    /// a linked worktree, a stub program).
    pub fn beside(&self, name: &str) -> PathBuf {
        self.root
            .parent()
            .expect("the repository has a parent")
            .join(name)
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.root, args)
    }

    pub fn write(&self, path: &str, content: &str) {
        write(&self.root, path, content);
    }

    /// Writes and stages `path`.
    pub fn add(&self, path: &str, content: &str) {
        self.write(path, content);
        self.git(&["add", "--", path]);
    }

    /// Commits what is staged at committer time `EPOCH + offset`; returns the
    /// commit's full id.
    pub fn commit(&self, message: &str, offset: i64) -> String {
        commit(&self.root, message, offset)
    }
}

pub fn write(root: &Path, path: &str, content: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a file has a folder")).expect("create folders");
    std::fs::write(path, content).expect("write a file");
}

pub fn commit(root: &Path, message: &str, offset: i64) -> String {
    let date = format!("@{} +0000", EPOCH + offset);
    let output = git_command(root)
        .args(["commit", "-q", "--no-verify", "-m", message])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("run git commit");
    assert_success(&output, "git commit");
    git(root, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// `git` run in `dir` with no global or system configuration, a fixed identity,
/// and none of the variables a surrounding git (a hook) might have set.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new(git_program());
    command
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("SEAL_GUARD");
    command
}

/// The `git` program on this process's PATH, found once, so that a test may give
/// git (and the hooks it runs) another PATH.
fn git_program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let path = std::env::var_os("PATH").expect("PATH is set");
        std::env::split_paths(&path)
            .map(|folder| folder.join("git"))
            .find(|candidate| candidate.is_file())
            .expect("git is installed")
    })
}

/// Runs `git args` in `dir`, asserts it succeeded, and returns its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("run git");
    assert_success(&output, &format!("git {}", args.join(" ")));
    String::from_utf8(output.stdout).expect("git prints UTF-8 here")
}

pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
