//! `source::git` on the index: what `check --staged` and `fix --staged` see, and
//! opening repositories (worktrees, none yet, none at all).

mod git_support;

use std::path::Path;

use git_support::{TestRepo, git_command};
use seal_guard::source::Origin;
use seal_guard::source::git::{GitError, Repo};

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n";

fn staged_paths(repo: &Repo) -> Vec<String> {
    repo.staged()
        .expect("list staged files")
        .into_iter()
        .map(|file| file.path)
        .collect()
}

#[test]
fn a_staged_file_comes_with_its_staged_bytes_not_the_working_tree_s() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    test.add("deploy/secret.yaml", SECRET);
    test.write("deploy/secret.yaml", "edited after staging\n");

    let repo = Repo::discover(&test.root).unwrap();
    let staged = repo.staged().unwrap();

    assert_eq!(staged.len(), 1);
    let file = &staged[0];
    assert_eq!(file.path, "deploy/secret.yaml");
    assert_eq!(file.bytes, SECRET.as_bytes());
    assert_eq!(file.origin, Origin::Index);
    assert_eq!(
        file.disk_path.as_deref(),
        Some(test.root.join("deploy/secret.yaml").as_path())
    );
}

#[test]
fn a_clean_index_lists_nothing_however_dirty_the_working_tree() {
    let test = TestRepo::new();
    test.add("app/secret.yaml", SECRET);
    test.commit("start", 0);
    test.write("app/secret.yaml", "changed but not staged\n");
    test.write("app/new.yaml", "untracked\n");

    assert!(staged_paths(&Repo::discover(&test.root).unwrap()).is_empty());
}

#[test]
fn a_partially_staged_file_is_told_apart_from_a_fully_staged_one() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    test.add("whole.yaml", SECRET);
    test.add("partial.yaml", SECRET);
    test.write("partial.yaml", &format!("{SECRET}# more, not staged\n"));
    test.add("gone.yaml", SECRET);
    std::fs::remove_file(test.root.join("gone.yaml")).unwrap();

    let repo = Repo::discover(&test.root).unwrap();
    let verdicts: Vec<(String, bool)> = repo
        .staged()
        .unwrap()
        .into_iter()
        .map(|file| {
            let matches = repo.worktree_matches(&file).unwrap();
            (file.path, matches)
        })
        .collect();

    assert_eq!(
        verdicts,
        [
            ("gone.yaml".to_owned(), false),
            ("partial.yaml".to_owned(), false),
            ("whole.yaml".to_owned(), true)
        ]
    );
}

#[test]
fn a_rename_lists_the_new_name_only() {
    let test = TestRepo::new();
    test.add("old/secret.yaml", SECRET);
    test.commit("start", 0);
    test.git(&["mv", "old", "new"]);

    let repo = Repo::discover(&test.root).unwrap();
    let staged = repo.staged().unwrap();

    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].path, "new/secret.yaml");
    assert_eq!(staged[0].bytes, SECRET.as_bytes());
}

#[test]
fn a_deletion_is_not_listed() {
    let test = TestRepo::new();
    test.add("a/secret.yaml", SECRET);
    test.add("a/other.yaml", "kind: ConfigMap\n");
    test.commit("start", 0);
    test.git(&["rm", "-q", "a/secret.yaml"]);
    test.add("a/other.yaml", "kind: ConfigMap\ndata: {}\n");

    assert_eq!(
        staged_paths(&Repo::discover(&test.root).unwrap()),
        ["a/other.yaml"]
    );
}

#[test]
fn before_the_first_commit_everything_in_the_index_is_listed() {
    let test = TestRepo::new();
    test.add("z.yaml", SECRET);
    test.add("a/b/c.json", "{}\n");
    test.add("a-b.yaml", "kind: ConfigMap\n");

    let repo = Repo::discover(&test.root.join("a")).unwrap();

    // Byte order, as git sorts: "a-b.yaml" before "a/b/c.json".
    assert_eq!(staged_paths(&repo), ["a-b.yaml", "a/b/c.json", "z.yaml"]);
}

#[test]
fn a_repository_without_an_index_lists_nothing() {
    let test = TestRepo::new();
    assert!(staged_paths(&Repo::discover(&test.root).unwrap()).is_empty());
}

#[test]
fn only_the_changed_files_of_a_large_committed_tree_are_listed() {
    // After a commit git's index caches every folder's tree id; the listing
    // relies on it to skip folders, so check it skips none that changed.
    let test = TestRepo::new();
    for team in 0..20 {
        for app in 0..5 {
            test.write(
                &format!("clusters/team-{team:02}/app-{app}.yaml"),
                &format!("app {app}\n"),
            );
        }
    }
    test.git(&["add", "."]);
    test.commit("start", 0);
    test.add("clusters/team-07/app-3.yaml", SECRET);
    test.add("clusters/team-07/app-9.yaml", SECRET);
    test.add("clusters/team-19/app-0.yaml", SECRET);
    // Same bytes as committed: staged again, but nothing a commit would change.
    test.add("clusters/team-11/app-1.yaml", "app 1\n");

    assert_eq!(
        staged_paths(&Repo::discover(&test.root).unwrap()),
        [
            "clusters/team-07/app-3.yaml",
            "clusters/team-07/app-9.yaml",
            "clusters/team-19/app-0.yaml"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_shown_lossily_and_read_exactly() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let test = TestRepo::new();
    let name = OsStr::from_bytes(b"secr\xffet.yaml");
    std::fs::write(test.root.join(name), SECRET).unwrap();
    let output = git_command(&test.root)
        .arg("add")
        .arg(name)
        .output()
        .unwrap();
    git_support::assert_success(&output, "git add");

    let staged = Repo::discover(&test.root).unwrap().staged().unwrap();

    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].path, "secr\u{FFFD}et.yaml");
    assert_eq!(staged[0].bytes, SECRET.as_bytes());
    let disk_path = staged[0].disk_path.as_deref().unwrap();
    assert_eq!(disk_path, test.root.join(name));
    assert_eq!(std::fs::read(disk_path).unwrap(), SECRET.as_bytes());
}

#[test]
fn a_submodule_is_skipped() {
    let test = TestRepo::new();
    test.add("README.md", "hello\n");
    test.commit("start", 0);
    let library = TestRepo::new();
    library.add("secret.yaml", SECRET);
    library.commit("library", 0);
    let library_path = library.root.to_str().unwrap();
    test.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        library_path,
        "lib",
    ]);

    // `.gitmodules` is a file the commit adds; `lib` is a commit id, not a file.
    assert_eq!(
        staged_paths(&Repo::discover(&test.root).unwrap()),
        [".gitmodules"]
    );
}

#[test]
fn a_linked_worktree_has_its_own_index() {
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
    git_support::write(&linked, "deploy/secret.yaml", SECRET);
    git_support::git(&linked, &["add", "deploy/secret.yaml"]);

    let repo = Repo::discover(&linked.join("deploy")).unwrap();

    assert_eq!(repo.workdir(), linked);
    assert_eq!(staged_paths(&repo), ["deploy/secret.yaml"]);
    assert!(staged_paths(&Repo::discover(&test.root).unwrap()).is_empty());
}

#[test]
fn outside_a_repository_the_error_says_so() {
    let folder = tempfile::tempdir().unwrap();

    let error = Repo::discover(folder.path()).unwrap_err();

    assert!(matches!(&error, GitError::NotARepository { path } if path == folder.path()));
    assert!(
        error.to_string().contains("is not inside a git repository"),
        "{error}"
    );
}

#[test]
fn a_tracked_file_is_known_even_when_ignored() {
    let test = TestRepo::new();
    test.add(".gitignore", "*.local.yaml\n");
    test.write("forced.local.yaml", SECRET);
    test.git(&["add", "-f", "forced.local.yaml"]);
    test.write("ignored.local.yaml", SECRET);
    test.add("deploy/app.yaml", "kind: ConfigMap\n");

    let repo = Repo::discover(&test.root).unwrap();
    let tracked = repo.tracked().unwrap();

    assert!(tracked.contains(&test.root.join("forced.local.yaml")));
    assert!(tracked.contains(Path::new("deploy/app.yaml")));
    assert!(!tracked.contains(&test.root.join("ignored.local.yaml")));
    assert!(!tracked.contains(Path::new("deploy")));
    assert!(!tracked.contains(Path::new("../repo/deploy/app.yaml")));
    let all: Vec<_> = tracked.disk_paths().collect();
    assert_eq!(
        all,
        [".gitignore", "deploy/app.yaml", "forced.local.yaml"].map(|p| test.root.join(p))
    );
}

#[test]
fn staging_a_rewritten_file_makes_the_next_commit_hold_it() {
    let test = TestRepo::new();
    test.add("clusters/prod/db/secret.yaml", SECRET);
    test.add("clusters/prod/web.yaml", "kind: ConfigMap\n");
    test.commit("start", 0);
    test.add(
        "clusters/prod/db/secret.yaml",
        &format!("{SECRET}  user: admin\n"),
    );

    let repo = Repo::discover(&test.root).unwrap();
    let file = repo.staged().unwrap().pop().unwrap();
    assert!(repo.worktree_matches(&file).unwrap());
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n";
    std::fs::write(file.disk_path.as_ref().unwrap(), sealed).unwrap();
    repo.stage(&[file.disk_path.unwrap()]).unwrap();

    assert_eq!(test.git(&["show", ":clusters/prod/db/secret.yaml"]), sealed);
    // Staged and working tree agree: nothing left unstaged.
    assert_eq!(
        test.git(&["status", "--porcelain"]),
        "M  clusters/prod/db/secret.yaml\n"
    );
    // The folders above it must not keep their old cached tree ids, or git would
    // commit the old content.
    test.commit("seal", 10);
    assert_eq!(
        test.git(&["show", "HEAD:clusters/prod/db/secret.yaml"]),
        sealed
    );
    assert_eq!(test.git(&["fsck", "--no-progress", "--no-dangling"]), "");
}

#[test]
fn staging_a_path_the_index_lacks_fails_and_writes_no_index() {
    let test = TestRepo::new();
    test.add("a.yaml", "kind: ConfigMap\n");
    test.write("untracked.yaml", SECRET);
    let index_before = std::fs::read(test.root.join(".git/index")).unwrap();

    let repo = Repo::discover(&test.root).unwrap();
    let error = repo.stage(&[test.root.join("a.yaml"), test.root.join("untracked.yaml")]);

    assert!(
        matches!(error, Err(GitError::NotInIndex { path }) if path.ends_with("untracked.yaml"))
    );
    assert_eq!(
        std::fs::read(test.root.join(".git/index")).unwrap(),
        index_before
    );
}

/// Set by the hook of the test below when it runs this test binary inside
/// `git commit -a`: where to write the paths `staged` saw.
const CHILD_OUTPUT: &str = "SEAL_GUARD_TEST_STAGED_OUTPUT";

#[cfg(unix)]
#[test]
fn staged_reads_the_index_git_hands_to_a_hook() {
    if let Some(output) = std::env::var_os(CHILD_OUTPUT) {
        // Inside the hook: git has set GIT_INDEX_FILE, and the working folder is
        // the repository's root.
        let repo = Repo::discover(Path::new(".")).unwrap();
        std::fs::write(output, staged_paths(&repo).join("\n")).unwrap();
        return;
    }

    // `git commit -a` stages into a temporary index for the hook; a hook reading
    // .git/index would miss every change `-a` adds.
    let test = TestRepo::new();
    test.add("secret.yaml", "kind: ConfigMap\n");
    test.commit("start", 0);
    test.write("secret.yaml", SECRET);
    assert!(staged_paths(&Repo::discover(&test.root).unwrap()).is_empty());
    let this_test = std::env::current_exe().unwrap();
    test.write(
        ".git/hooks/pre-commit",
        "#!/bin/sh\nexec \"$SEAL_GUARD_TEST_EXE\" --exact staged_reads_the_index_git_hands_to_a_hook \
         --test-threads=1 -q >/dev/null\n",
    );
    make_executable(&test.root.join(".git/hooks/pre-commit"));
    let seen = test.beside("seen-by-hook.txt");

    let output = git_command(&test.root)
        .args(["commit", "-q", "-a", "-m", "all"])
        .env("SEAL_GUARD_TEST_EXE", this_test)
        .env(CHILD_OUTPUT, &seen)
        .output()
        .unwrap();

    git_support::assert_success(&output, "git commit -a");
    assert_eq!(std::fs::read_to_string(seen).unwrap(), "secret.yaml");
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
