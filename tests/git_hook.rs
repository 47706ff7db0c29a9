//! The pre-commit hook: installing it (`seal-guard install-hook`), what it does
//! inside a real `git commit`, and the pre-commit framework's manifest.
//!
//! The commit tests run the hook with `SEAL_GUARD` pointing at a stub script,
//! because they test the hook's shell logic, not the checks behind it.

#![cfg(unix)]

mod git_support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use git_support::{TestRepo, git_command};
use seal_guard::hook::{BACKUP_NAME, InstallError, Outcome, PRE_COMMIT, install_hook};
use seal_guard::source::git::Repo;

const OTHER_HOOK: &str = "#!/bin/sh\necho another tool's hook\n";

fn install(root: &Path, force: bool) -> Result<Outcome, InstallError> {
    install_hook(&Repo::discover(root).unwrap(), force)
}

fn assert_is_our_hook(hook: &Path) {
    assert_eq!(std::fs::read_to_string(hook).unwrap(), PRE_COMMIT);
    let mode = std::fs::metadata(hook).unwrap().permissions().mode();
    assert_eq!(mode & 0o755, 0o755, "mode {mode:o}");
}

#[test]
fn a_fresh_install_writes_an_executable_hook() {
    let test = TestRepo::new();
    let hook = test.root.join(".git/hooks/pre-commit");

    assert_eq!(
        install(&test.root, false).unwrap(),
        Outcome::Installed { hook: hook.clone() }
    );
    assert_is_our_hook(&hook);
}

#[test]
fn installing_twice_writes_nothing_the_second_time() {
    let test = TestRepo::new();
    let hook = test.root.join(".git/hooks/pre-commit");
    install(&test.root, false).unwrap();
    let inode = std::fs::metadata(&hook).unwrap().ino();

    assert_eq!(
        install(&test.root, false).unwrap(),
        Outcome::AlreadyInstalled { hook: hook.clone() }
    );
    // The hook is written by renaming a new file over it: the same inode means
    // it was not written again.
    assert_eq!(std::fs::metadata(&hook).unwrap().ino(), inode);
}

#[test]
fn another_hook_is_left_alone_without_force() {
    let test = TestRepo::new();
    test.write(".git/hooks/pre-commit", OTHER_HOOK);
    let hook = test.root.join(".git/hooks/pre-commit");

    let error = install(&test.root, false).unwrap_err();

    assert!(matches!(&error, InstallError::Exists { hook: named } if *named == hook));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), OTHER_HOOK);
    assert!(!test.root.join(".git/hooks").join(BACKUP_NAME).exists());
}

#[test]
fn force_keeps_the_other_hook_as_a_backup_and_never_overwrites_one() {
    let test = TestRepo::new();
    let hooks = test.root.join(".git/hooks");
    test.write(".git/hooks/pre-commit", OTHER_HOOK);
    std::fs::set_permissions(hooks.join("pre-commit"), PermissionsExt::from_mode(0o750)).unwrap();

    let outcome = install(&test.root, true).unwrap();

    let backup = hooks.join(BACKUP_NAME);
    assert_eq!(
        outcome,
        Outcome::Replaced {
            hook: hooks.join("pre-commit"),
            backup: backup.clone()
        }
    );
    assert_is_our_hook(&hooks.join("pre-commit"));
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), OTHER_HOOK);
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o750
    );

    // A third hook arrives; the backup of the first must survive.
    let third = "#!/bin/sh\necho a third hook\n";
    test.write(".git/hooks/pre-commit", third);
    let error = install(&test.root, true).unwrap_err();

    assert!(matches!(&error, InstallError::BackupExists { backup: named, .. } if *named == backup));
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), OTHER_HOOK);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        third
    );
}

#[test]
fn a_relative_hooks_path_is_taken_from_the_working_tree_root() {
    let test = TestRepo::new();
    test.git(&["config", "core.hooksPath", "tools/hooks"]);
    test.write("deploy/app.yaml", "kind: ConfigMap\n");

    let outcome = install(&test.root.join("deploy"), false).unwrap();

    let hook = test.root.join("tools/hooks/pre-commit");
    assert_eq!(outcome, Outcome::Installed { hook: hook.clone() });
    assert_is_our_hook(&hook);
    assert!(!test.root.join(".git/hooks/pre-commit").exists());
}

#[test]
fn an_absolute_hooks_path_is_used_as_it_is() {
    let test = TestRepo::new();
    let shared = test.beside("shared-hooks");
    test.git(&["config", "core.hooksPath", shared.to_str().unwrap()]);

    let outcome = install(&test.root, false).unwrap();

    assert_eq!(
        outcome,
        Outcome::Installed {
            hook: shared.join("pre-commit")
        }
    );
    assert_is_our_hook(&shared.join("pre-commit"));
}

#[test]
fn a_linked_worktree_installs_into_the_shared_hooks_folder() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    let linked = test.beside("linked");
    test.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        linked.to_str().unwrap(),
    ]);

    let outcome = install(&linked, false).unwrap();

    assert_eq!(
        outcome,
        Outcome::Installed {
            hook: test.root.join(".git/hooks/pre-commit")
        }
    );
    assert_eq!(
        install(&test.root, false).unwrap(),
        Outcome::AlreadyInstalled {
            hook: test.root.join(".git/hooks/pre-commit")
        }
    );
}

/// A stand-in for seal-guard that records its arguments and exits with `status`.
fn stub(test: &TestRepo, status: i32) -> PathBuf {
    let path = test.beside(&format!("seal-guard-stub-{status}"));
    let calls = test.beside("stub-calls");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\nexit {status}\n",
        calls.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// Installs the hook, stages a file, and runs `git commit` with `env` added.
fn commit_with_hook(test: &TestRepo, env: &[(&str, &std::ffi::OsStr)]) -> Output {
    install(&test.root, false).unwrap();
    test.add("secret.yaml", "kind: Secret\n");
    let mut command = git_command(&test.root);
    command.args(["commit", "-q", "-m", "try"]);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn commits(test: &TestRepo) -> usize {
    let output = git_command(&test.root)
        .args(["rev-list", "--count", "--all"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn the_hook_stops_a_commit_when_seal_guard_finds_something() {
    let test = TestRepo::new();
    let stub = stub(&test, 1);

    let output = commit_with_hook(&test, &[("SEAL_GUARD", stub.as_os_str())]);

    assert!(!output.status.success());
    assert_eq!(commits(&test), 0);
    assert_eq!(
        std::fs::read_to_string(test.beside("stub-calls")).unwrap(),
        "check --staged\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("seal-guard fix --staged"), "{stderr}");
    assert!(stderr.contains(".seal-guard.yaml"), "{stderr}");
    assert!(stderr.contains("git commit --no-verify"), "{stderr}");
}

#[test]
fn the_hook_lets_a_clean_commit_through() {
    let test = TestRepo::new();
    let stub = stub(&test, 0);

    let output = commit_with_hook(&test, &[("SEAL_GUARD", stub.as_os_str())]);

    git_support::assert_success(&output, "git commit");
    assert_eq!(commits(&test), 1);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn the_hook_stops_a_commit_when_seal_guard_itself_fails() {
    let test = TestRepo::new();
    let stub = stub(&test, 2);

    let output = commit_with_hook(&test, &[("SEAL_GUARD", stub.as_os_str())]);

    assert_eq!(
        output.status.code(),
        Some(1),
        "git reports a failed hook as 1"
    );
    assert_eq!(commits(&test), 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not check this commit (exit status 2"),
        "{stderr}"
    );
}

#[test]
fn without_seal_guard_the_hook_stops_the_commit_and_says_how_to_install_it() {
    let test = TestRepo::new();
    // A PATH without seal-guard on it; the hook needs nothing but sh's builtins.
    let empty = test.beside("empty-path");
    std::fs::create_dir(&empty).unwrap();

    let output = commit_with_hook(&test, &[("PATH", empty.as_os_str())]);

    assert!(!output.status.success());
    assert_eq!(commits(&test), 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot find \"seal-guard\""), "{stderr}");
    assert!(stderr.contains("cargo install --path ."), "{stderr}");
    assert!(stderr.contains("SEAL_GUARD"), "{stderr}");
}

#[test]
fn a_seal_guard_variable_naming_nothing_gets_the_install_hint_too() {
    let test = TestRepo::new();
    let missing = test.beside("no-such-program");

    let output = commit_with_hook(&test, &[("SEAL_GUARD", missing.as_os_str())]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot find \"{}\"", missing.display())),
        "{stderr}"
    );
}

#[test]
fn the_hook_script_is_valid_posix_sh() {
    let output = std::process::Command::new("sh")
        .args([
            "-n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/pre-commit"),
        ])
        .output()
        .unwrap();

    git_support::assert_success(&output, "sh -n hooks/pre-commit");
    assert!(PRE_COMMIT.starts_with("#!/bin/sh\n"));
}

/// One entry of `.pre-commit-hooks.yaml`, with the keys the framework requires
/// and the ones this project relies on.
#[derive(serde::Deserialize)]
struct FrameworkHook {
    id: String,
    name: String,
    entry: String,
    language: String,
    types_or: Vec<String>,
}

#[test]
fn the_pre_commit_framework_manifest_has_a_check_and_a_fix_hook() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();

    let hooks: Vec<FrameworkHook> = serde_saphyr::from_str(&text).unwrap();

    let summary: Vec<(&str, &str)> = hooks
        .iter()
        .map(|hook| (hook.id.as_str(), hook.entry.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("seal-guard", "seal-guard check"),
            ("seal-guard-fix", "seal-guard fix")
        ]
    );
    for hook in &hooks {
        assert_eq!(hook.language, "rust", "{}", hook.id);
        assert_eq!(hook.types_or, ["yaml", "json"], "{}", hook.id);
        assert!(!hook.name.is_empty(), "{}", hook.id);
    }
}

/// Runs `git commit` of a staged file with the hook installed by the real
/// `seal-guard install-hook`, and the real binary behind it.
fn commit_with_real_hook(test: &TestRepo, name: &str, content: &str) -> Output {
    let binary = env!("CARGO_BIN_EXE_seal-guard");
    let installed = std::process::Command::new(binary)
        .arg("install-hook")
        .current_dir(&test.root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    git_support::assert_success(&installed, "seal-guard install-hook");
    test.add(name, content);
    git_command(&test.root)
        .args(["commit", "-q", "-m", "try"])
        .env("SEAL_GUARD", binary)
        .output()
        .unwrap()
}

#[test]
fn the_installed_hook_and_the_real_binary_stop_a_plaintext_secret() {
    let test = TestRepo::new();
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData: {password: hook-test-value}\n";

    let output = commit_with_real_hook(&test, "db.yaml", secret);

    assert!(!output.status.success(), "the commit went through");
    assert_eq!(commits(&test), 0);
    // git sends a hook's stdout to stderr.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plaintext-secret") && stderr.contains("db.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("seal-guard fix --staged"), "{stderr}");
    assert!(!stderr.contains("hook-test-value") && output.stdout.is_empty());
}

#[test]
fn the_installed_hook_and_the_real_binary_let_a_clean_commit_through() {
    let test = TestRepo::new();
    let config_map =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {note: \"kind: Secret\"}\n";

    let output = commit_with_real_hook(&test, "app.yaml", config_map);

    git_support::assert_success(&output, "git commit");
    assert_eq!(commits(&test), 1);
}
