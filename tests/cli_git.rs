//! The git modes through the real binary, in real repositories: `check
//! --staged`, `fix --staged`, `check --since`, `check --history`, and what
//! happens outside a repository.

#![cfg(unix)]

mod git_support;

use std::path::Path;
use std::process::{Command, Output};

use git_support::TestRepo;

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys/rsa-2048.crt");
const VALUE: &str = "git-mode-test-value";

fn secret(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: prod}}\nstringData: {{password: {VALUE}}}\n"
    )
}

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {a: b}\n";

fn seal_guard(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_seal-guard"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    let all = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
    assert!(
        !String::from_utf8_lossy(&all).contains(VALUE),
        "a secret value reached the output"
    );
    output
}

fn findings(output: &Output) -> Vec<(String, String, u64)> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn staged_bytes(test: &TestRepo, path: &str) -> String {
    test.git(&["show", &format!(":{path}")])
}

#[test]
fn staged_content_decides_not_the_working_tree() {
    let test = TestRepo::new();
    test.add("base.yaml", CONFIG_MAP);
    test.commit("base", 0);

    // Staged: a Secret. Working tree: clean. The commit would hold the Secret.
    test.add("db.yaml", &secret("db"));
    test.write("db.yaml", CONFIG_MAP);
    let blocked = seal_guard(&test.root, &["check", "--staged", "--format", "json"]);
    assert_eq!(blocked.status.code(), Some(1));
    assert_eq!(
        findings(&blocked),
        [("plaintext-secret".to_owned(), "db.yaml".to_owned(), 2)]
    );

    // Staged: clean. Working tree: a Secret. The commit would be clean.
    test.add("db.yaml", CONFIG_MAP);
    test.write("db.yaml", &secret("db"));
    let allowed = seal_guard(&test.root, &["check", "--staged", "--format", "json"]);
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stdout)
    );
    assert!(findings(&allowed).is_empty());
}

#[test]
fn staged_check_works_before_the_first_commit() {
    let test = TestRepo::new();
    test.add("db.yaml", &secret("db"));
    let output = seal_guard(&test.root, &["check", "--staged", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(findings(&output).len(), 1);
}

#[test]
fn fix_staged_seals_stages_and_stops_the_commit() {
    let test = TestRepo::new();
    test.add(".seal-guard.yaml", &format!("cert: {CERT}\n"));
    test.add("db.yaml", &secret("db"));

    let output = seal_guard(&test.root, &["fix", "--staged"]);

    assert_eq!(
        output.status.code(),
        Some(1),
        "fix --staged changed a file, so the commit must stop"
    );
    let staged = staged_bytes(&test, "db.yaml");
    assert!(
        staged.contains("kind: SealedSecret"),
        "the sealed file was not staged"
    );
    assert_eq!(
        std::fs::read_to_string(test.root.join("db.yaml")).unwrap(),
        staged
    );
    let again = seal_guard(&test.root, &["check", "--staged"]);
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn fix_staged_refuses_a_partially_staged_file_and_touches_nothing() {
    let test = TestRepo::new();
    test.add(".seal-guard.yaml", &format!("cert: {CERT}\n"));
    test.add("db.yaml", &secret("db"));
    let working = format!("{}# an unstaged edit\n", secret("db"));
    test.write("db.yaml", &working);
    let staged_before = staged_bytes(&test, "db.yaml");

    let output = seal_guard(&test.root, &["fix", "--staged", "--format", "json"]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        staged_bytes(&test, "db.yaml"),
        staged_before,
        "the index changed"
    );
    assert_eq!(
        std::fs::read_to_string(test.root.join("db.yaml")).unwrap(),
        working,
        "the working tree changed"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let refused = report["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "unsealable-secret"
            && f["message"].as_str().unwrap().contains("partially staged")
    });
    assert!(refused, "{report}");
}

#[test]
fn since_judges_only_what_the_branch_changed() {
    let test = TestRepo::new();
    test.add("old.yaml", &secret("old"));
    test.commit("an old leak on main", 0);
    test.git(&["checkout", "-q", "-b", "feature"]);
    test.add("new.yaml", &secret("new"));
    test.add("app.yaml", CONFIG_MAP);
    test.commit("feature work", 10);

    let output = seal_guard(
        &test.root,
        &["check", "--since", "main", "--format", "json"],
    );

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        findings(&output),
        [("plaintext-secret".to_owned(), "new.yaml".to_owned(), 2)]
    );
}

#[test]
fn history_finds_a_secret_deleted_three_commits_ago() {
    let test = TestRepo::new();
    test.add("leak.yaml", &secret("leak"));
    let leaked = test.commit("leak", 0);
    test.git(&["rm", "-q", "leak.yaml"]);
    test.commit("remove it", 10);
    test.add("a.yaml", CONFIG_MAP);
    test.commit("more", 20);
    test.add("b.yaml", CONFIG_MAP);
    test.commit("and more", 30);

    let output = seal_guard(&test.root, &["check", "--history", "--format", "json"]);

    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = report["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["rule"], "secret-in-history");
    assert_eq!(found[0]["path"], "leak.yaml");
    assert_eq!(found[0]["commit"], leaked.trim());
    assert_eq!(found[0]["still_present"], false);
    assert!(
        found[0]["date"].as_str().unwrap().starts_with("20"),
        "{}",
        found[0]["date"]
    );
}

#[test]
fn git_modes_outside_a_repository_fail_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [
        ["check", "--staged"],
        ["check", "--history"],
        ["fix", "--staged"],
    ] {
        let output = seal_guard(dir.path(), &mode);
        assert_eq!(output.status.code(), Some(2), "{mode:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.to_lowercase().contains("repository"),
            "{mode:?}: {stderr}"
        );
    }
}
