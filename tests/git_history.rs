//! `source::git` on commits: what a branch changed (`check --since`) and every
//! blob a history introduced (`check --history`).

mod git_support;

use git_support::{EPOCH, TestRepo};
use seal_guard::source::Origin;
use seal_guard::source::git::{BlobFilter, GitError, HistoryBlob, Repo};

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n";

const EVERYTHING: BlobFilter<'static> = BlobFilter {
    path: &|_| true,
    content: &|_| true,
};

fn commit_of(found: &HistoryBlob) -> (&str, i64) {
    match &found.file.origin {
        Origin::Commit { id, time } => (id, *time),
        other => panic!("a history blob comes from a commit, not {other:?}"),
    }
}

/// (path, commit id, still present) of each blob found.
fn summary(found: &[HistoryBlob]) -> Vec<(String, String, bool)> {
    found
        .iter()
        .map(|blob| {
            (
                blob.file.path.clone(),
                commit_of(blob).0.to_owned(),
                blob.still_present,
            )
        })
        .collect()
}

#[test]
fn changed_since_lists_what_the_branch_changed_with_its_content_at_head() {
    let test = TestRepo::new();
    test.add("a.yaml", "a: 1\n");
    test.add("b.yaml", "b: 1\n");
    test.add("same.yaml", "same\n");
    test.commit("base", 0);
    test.git(&["checkout", "-q", "-b", "feature"]);
    test.add("a.yaml", SECRET);
    test.add("c/new.yaml", "c: 1\n");
    test.git(&["rm", "-q", "b.yaml"]);
    let head = test.commit("feature work", 10);
    test.git(&["checkout", "-q", "main"]);
    test.add("main-only.yaml", "m: 1\n");
    test.commit("main moves on", 20);
    test.git(&["checkout", "-q", "feature"]);
    test.write("a.yaml", "uncommitted edit\n");

    let changed = Repo::discover(&test.root)
        .unwrap()
        .changed_since("main")
        .unwrap();

    let paths: Vec<&str> = changed.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(paths, ["a.yaml", "c/new.yaml"]);
    assert_eq!(changed[0].bytes, SECRET.as_bytes());
    assert_eq!(
        changed[0].origin,
        Origin::Commit {
            id: head,
            time: EPOCH + 10
        }
    );
    assert_eq!(changed[0].disk_path, None);
}

#[test]
fn changed_since_names_a_revision_it_cannot_resolve() {
    let test = TestRepo::new();
    test.add("a.yaml", "a: 1\n");
    test.commit("base", 0);

    let error = Repo::discover(&test.root)
        .unwrap()
        .changed_since("origin/nope")
        .unwrap_err();

    assert!(matches!(&error, GitError::UnknownRevision { rev, .. } if rev == "origin/nope"));
    assert!(error.to_string().contains("\"origin/nope\""), "{error}");
}

#[test]
fn changed_since_refuses_unrelated_histories() {
    let test = TestRepo::new();
    test.add("a.yaml", "a: 1\n");
    test.commit("base", 0);
    test.git(&["checkout", "-q", "--orphan", "other"]);
    test.add("b.yaml", "b: 1\n");
    test.commit("unrelated", 10);

    let error = Repo::discover(&test.root)
        .unwrap()
        .changed_since("main")
        .unwrap_err();

    assert!(matches!(error, GitError::NoMergeBase { rev } if rev == "main"));
}

#[test]
fn changed_since_needs_a_commit() {
    let test = TestRepo::new();
    test.add("a.yaml", "a: 1\n");

    let error = Repo::discover(&test.root)
        .unwrap()
        .changed_since("main")
        .unwrap_err();

    assert!(matches!(error, GitError::NoCommits));
}

#[test]
fn history_finds_a_secret_deleted_three_commits_ago() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    test.add("deploy/secret.yaml", SECRET);
    let leaked = test.commit("add credentials", 100);
    test.git(&["rm", "-q", "deploy/secret.yaml"]);
    test.commit("remove credentials", 200);
    test.add("deploy/app.yaml", "kind: Deployment\n");
    test.commit("app", 300);
    test.add("deploy/app.yaml", "kind: Deployment\nspec: {}\n");
    let latest = test.commit("app spec", 400);

    let found = Repo::discover(&test.root)
        .unwrap()
        .history(None, &EVERYTHING)
        .unwrap();

    let secret = found
        .iter()
        .find(|blob| blob.file.path == "deploy/secret.yaml")
        .unwrap();
    assert_eq!(commit_of(secret), (leaked.as_str(), EPOCH + 100));
    assert!(!secret.still_present);
    assert_eq!(secret.file.bytes, SECRET.as_bytes());
    assert_eq!(secret.blob, blob_id(&test, SECRET));
    assert_eq!(secret.file.disk_path, None);
    // Both versions of app.yaml are blobs of their own; only the last is in HEAD.
    assert_eq!(
        summary(&found)
            .into_iter()
            .filter(|(path, ..)| path == "deploy/app.yaml")
            .collect::<Vec<_>>(),
        [
            (
                "deploy/app.yaml".to_owned(),
                test.git(&["rev-parse", "HEAD~1"]).trim().to_owned(),
                false
            ),
            ("deploy/app.yaml".to_owned(), latest, true),
        ]
    );
    assert_eq!(found.len(), 4, "{:?}", summary(&found));
}

fn blob_id(test: &TestRepo, content: &str) -> String {
    let file = test.beside("blob");
    std::fs::write(&file, content).unwrap();
    test.git(&["hash-object", file.to_str().unwrap()])
        .trim()
        .to_owned()
}

#[test]
fn a_blob_is_reported_once_at_its_oldest_path() {
    let test = TestRepo::new();
    test.add("old/secret.yaml", SECRET);
    let first = test.commit("first", 0);
    test.add("copy/secret.yaml", SECRET);
    test.commit("copy", 10);
    test.git(&["rm", "-q", "old/secret.yaml"]);
    test.commit("drop the original", 20);

    let found = Repo::discover(&test.root)
        .unwrap()
        .history(None, &EVERYTHING)
        .unwrap();

    // The copy is the same blob: one finding, where it first appeared.
    assert_eq!(
        summary(&found),
        [("old/secret.yaml".to_owned(), first, false)]
    );
}

#[test]
fn a_merge_does_not_introduce_what_a_branch_did() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    test.git(&["checkout", "-q", "-b", "feature"]);
    test.add("feature/secret.yaml", SECRET);
    let on_branch = test.commit("feature", 10);
    test.git(&["checkout", "-q", "main"]);
    test.add("main.yaml", "kind: ConfigMap\n");
    test.commit("main", 20);
    let output = git_support::git_command(&test.root)
        .args(["merge", "-q", "--no-ff", "-m", "merge", "feature"])
        .env("GIT_COMMITTER_DATE", format!("@{} +0000", EPOCH + 30))
        .output()
        .unwrap();
    git_support::assert_success(&output, "git merge");

    let found = Repo::discover(&test.root)
        .unwrap()
        .history(None, &EVERYTHING)
        .unwrap();

    let secret = found
        .iter()
        .find(|blob| blob.file.path == "feature/secret.yaml")
        .unwrap();
    assert_eq!(commit_of(secret), (on_branch.as_str(), EPOCH + 10));
    assert!(secret.still_present);
    assert_eq!(found.len(), 3, "{:?}", summary(&found));
}

#[test]
fn history_since_a_base_skips_what_the_base_already_had() {
    let test = TestRepo::new();
    test.add("old.yaml", SECRET);
    test.commit("before the branch", 0);
    test.git(&["checkout", "-q", "-b", "feature"]);
    test.add("new.yaml", "kind: Secret\n");
    let on_branch = test.commit("on the branch", 10);

    let found = Repo::discover(&test.root)
        .unwrap()
        .history(Some("main"), &EVERYTHING)
        .unwrap();

    assert_eq!(summary(&found), [("new.yaml".to_owned(), on_branch, true)]);
}

#[test]
fn the_filter_decides_which_blobs_are_read_and_returned() {
    let test = TestRepo::new();
    test.add("secret.yaml", SECRET);
    test.add("notes.txt", SECRET);
    test.add("config.json", "{\"kind\": \"ConfigMap\"}\n");
    test.commit("mixed", 0);
    let manifests_naming_secrets = BlobFilter {
        path: &|path| path.ends_with(".yaml") || path.ends_with(".json"),
        content: &|bytes| bytes.windows(6).any(|window| window == b"Secret"),
    };

    let found = Repo::discover(&test.root)
        .unwrap()
        .history(None, &manifests_naming_secrets)
        .unwrap();

    let paths: Vec<&str> = found.iter().map(|blob| blob.file.path.as_str()).collect();
    assert_eq!(paths, ["secret.yaml"]);
}

#[test]
fn history_of_a_repository_without_commits_is_empty() {
    let test = TestRepo::new();
    test.add("secret.yaml", SECRET);

    assert!(
        Repo::discover(&test.root)
            .unwrap()
            .history(None, &EVERYTHING)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_shallow_clone_counts_its_oldest_commit_as_the_start() {
    let test = TestRepo::new();
    test.add("old.yaml", "kind: ConfigMap\n");
    test.commit("old", 0);
    test.add("secret.yaml", SECRET);
    let latest = test.commit("latest", 10);
    let shallow = test.beside("shallow");
    let url = format!("file://{}", test.root.display());
    git_support::git(
        &test.root,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
    );

    let found = Repo::discover(&shallow)
        .unwrap()
        .history(None, &EVERYTHING)
        .unwrap();

    assert_eq!(
        summary(&found),
        [
            ("old.yaml".to_owned(), latest.clone(), true),
            ("secret.yaml".to_owned(), latest, true)
        ]
    );
}
