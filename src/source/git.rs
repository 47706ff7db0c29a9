//! Git as a source of bytes: what a commit being made stages, what a branch changed,
//! and every blob a history holds.
//!
//! It answers one question, "which bytes has git committed, or is about to commit,
//! under which path?", and yields [`SourceFile`]s: it never judges content, and it
//! prints nothing. Its one write is the one `fix --staged` needs: staging a file
//! that fix rewrote. Installing the pre-commit hook lives in [`crate::hook`].
//!
//! # How the CLI calls it
//!
//! ```text
//! let repo = Repo::discover(Path::new("."))?;        // Err: exit 2 (NotARepository, ...)
//! check --staged       repo.staged()?
//! check --since REV    repo.changed_since(REV)?
//! check --history      repo.history(since, &BlobFilter { path, content })?
//! fix --staged         repo.staged()?; for each file to fix:
//!                        repo.worktree_matches(&file)? or refuse (partially staged),
//!                        write the fix to file.disk_path, then repo.stage(&[disk_path])?
//! walker               repo.tracked()?.contains(path) / .disk_paths()
//! install-hook         crate::hook::install_hook(&repo, force)?
//! ```
//!
//! Paths: [`SourceFile::path`] is relative to the working-tree root and lossy for
//! names that are not UTF-8; [`SourceFile::disk_path`] is the exact path on disk.
//!
//! # Why gitoxide and not git2
//!
//! A hook runs on every commit, so `staged` must cost what the staged files cost.
//! Git gets there by keeping a tree id for every unchanged folder in the index (the
//! "cache tree"): a folder whose cached id equals HEAD's is skipped unread. libgit2
//! does not expose that cache, and loading a large index is slow in itself.
//! Measured with `scripts/bench-git.sh` (hyperfine, 50 runs) on its corpus: 80,259
//! tracked files, a 9 MB index, 301 commits, packed, five files staged; 2 cores,
//! shared with other builds (load average 7 to 8), so CPU time is the steadier
//! figure:
//!
//! | listing the staged files, with their bytes   | wall (mean) | CPU (user+sys) |
//! | -------------------------------------------- | ----------- | -------------- |
//! | `git diff --cached --name-only` (git 2.47)   | 40 ms       | 18 ms          |
//! | git2 0.21: `index()`, `diff_tree_to_index`   | 239 ms      | 119 ms         |
//! | gix 0.90 and the cache-tree walk (this file) | 35 ms       | 15 ms          |
//!
//! git2 alone spends over 60 ms loading that index, so no use of it meets the
//! target of twice git's time. The rest of this module uses gix too, so the crate
//! reads git one way.

use std::path::{Component, Path, PathBuf};

use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use rayon::prelude::*;

use super::SourceFile;

mod history;
mod staged;

pub use history::{BlobFilter, HistoryBlob};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a git operation failed. Messages name paths and revisions, never content.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum GitError {
    #[error("{path:?} is not inside a git repository")]
    #[diagnostic(
        code(seal_guard::git::not_a_repository),
        help(
            "run it inside a git working tree; without git options seal-guard scans plain folders"
        )
    )]
    NotARepository { path: PathBuf },

    #[error("the repository at {git_dir:?} has no working tree")]
    #[diagnostic(
        code(seal_guard::git::bare),
        help("run it in a checkout of the repository, not in a bare one")
    )]
    Bare { git_dir: PathBuf },

    #[error("HEAD has no commit yet")]
    #[diagnostic(
        code(seal_guard::git::no_commits),
        help("commit once first; --staged checks what the first commit will hold")
    )]
    NoCommits,

    #[error("cannot resolve the revision {rev:?} to a commit")]
    #[diagnostic(
        code(seal_guard::git::unknown_revision),
        help("check the name; in CI, fetch it first (shallow clones lack other branches)")
    )]
    UnknownRevision {
        rev: String,
        #[source]
        source: BoxError,
    },

    #[error("{rev:?} and HEAD have no commit in common")]
    #[diagnostic(
        code(seal_guard::git::no_merge_base),
        help("a shallow clone may lack the shared history: fetch all of it (fetch-depth: 0)")
    )]
    NoMergeBase { rev: String },

    #[error("{path:?} is not in the index, so it cannot be staged")]
    #[diagnostic(code(seal_guard::git::not_in_index))]
    NotInIndex { path: PathBuf },

    #[error("cannot read {path:?}")]
    #[diagnostic(code(seal_guard::git::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("git: cannot {action}")]
    #[diagnostic(code(seal_guard::git::failed))]
    Git {
        /// What was being done, naming the path, revision or object.
        action: String,
        #[source]
        source: BoxError,
    },
}

/// Wraps a gix error with what was being done; the closure runs only on failure.
fn failed<E: Into<BoxError>>(action: impl FnOnce() -> String) -> impl FnOnce(E) -> GitError {
    move |source| GitError::Git {
        action: action(),
        source: source.into(),
    }
}

/// A git repository with a working tree.
///
/// Cheap to keep for the whole run. Not `Sync` (gix handles are per thread); the
/// parallel parts make one handle per rayon worker from the shared one.
pub struct Repo {
    shared: gix::ThreadSafeRepository,
    repo: gix::Repository,
    /// Absolute and canonical, so that disk paths compare with a walker's.
    workdir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

/// The commit HEAD points at.
#[derive(Clone, Copy, Debug)]
struct Head {
    id: ObjectId,
    tree: ObjectId,
    /// Committer time, seconds since the epoch.
    time: i64,
}

impl Repo {
    /// Opens the repository holding `path` (a file or folder inside its working tree,
    /// a linked worktree, or a repository without commits).
    ///
    /// The variables git sets for hooks are honoured (`GIT_DIR`, `GIT_WORK_TREE`,
    /// `GIT_INDEX_FILE`): `git commit -a` stages into a temporary index and names it in
    /// `GIT_INDEX_FILE`, and that index is what the commit will hold.
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        use gix::discover::upwards::Error as NotFound;
        let shared = gix::ThreadSafeRepository::discover_with_environment_overrides(path).map_err(
            |error| match error.downcast_any_ref::<NotFound>() {
                Some(
                    NotFound::NoGitRepository { .. }
                    | NotFound::NoGitRepositoryWithinCeiling { .. }
                    | NotFound::NoGitRepositoryWithinFs { .. },
                ) => GitError::NotARepository {
                    path: path.to_owned(),
                },
                _ => failed(|| format!("open the repository holding {path:?}"))(error),
            },
        )?;
        let repo = shared.to_thread_local();
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::Bare {
                git_dir: repo.git_dir().to_owned(),
            });
        };
        let workdir = std::fs::canonicalize(workdir).map_err(|source| GitError::Io {
            path: workdir.to_owned(),
            source,
        })?;
        Ok(Repo {
            shared,
            repo,
            workdir,
        })
    }

    /// The root of the working tree; [`SourceFile::path`]s are relative to it.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The files a commit made now would add or change: index entries whose blob
    /// differs from HEAD's at that path (added, modified, the new name of a rename;
    /// nothing for deletions), or every entry when HEAD has no commit yet.
    ///
    /// Bytes are the staged blob's (`Origin::Index`), which may differ from the
    /// working tree; `disk_path` is the working-tree file. Only regular files are
    /// listed: submodules, symbolic links, conflicted paths (git refuses to commit
    /// them) and `git add -N` placeholders are not. Sorted by path bytes.
    pub fn staged(&self) -> Result<Vec<SourceFile>, GitError> {
        staged::staged(self)
    }

    /// Whether the working-tree file of `file` (from [`Repo::staged`]) holds exactly
    /// its staged bytes. `fix --staged` refuses files for which this is false: they
    /// are partially staged, and rewriting them would stage the unstaged part too.
    ///
    /// A missing file, a link or a folder in its place counts as a difference. Files
    /// that git converts on checkout (`core.autocrlf`, `eol`, filters) differ too and
    /// are refused, which is the safe side.
    pub fn worktree_matches(&self, file: &SourceFile) -> Result<bool, GitError> {
        staged::worktree_matches(file)
    }

    /// Stages the working-tree files at `disk_paths` (as [`SourceFile::disk_path`]
    /// gives them, or relative to the working tree) and writes the index, after
    /// `fix --staged` rewrote them. Each must already be in the index as a regular
    /// file; its mode is kept. If one cannot be staged, the index is not written
    /// (blobs already stored stay unreferenced until git prunes them).
    pub fn stage<P: AsRef<Path>>(&self, disk_paths: &[P]) -> Result<(), GitError> {
        staged::stage(self, disk_paths)
    }

    /// Files changed between the merge base of `rev` and HEAD (added or modified
    /// at HEAD, the new name of a rename), with their content at HEAD: what a pull
    /// request from HEAD into `rev` adds. `Origin::Commit` names HEAD; `disk_path`
    /// is `None` because the working tree may hold other bytes. Sorted by path bytes.
    pub fn changed_since(&self, rev: &str) -> Result<Vec<SourceFile>, GitError> {
        history::changed_since(self, rev)
    }

    /// Every blob committed in the history of HEAD, once per blob id, with the path
    /// and commit that first introduced it. With `since`, only commits after the
    /// merge base of `since` and HEAD count. `filter` picks the candidates: its
    /// `path` test runs before a blob is read, its `content` test on the bytes.
    /// Blobs are read in parallel. Sorted by path bytes, then commit time.
    ///
    /// An empty list when HEAD has no commit yet.
    pub fn history(
        &self,
        since: Option<&str>,
        filter: &BlobFilter<'_>,
    ) -> Result<Vec<HistoryBlob>, GitError> {
        history::history(self, since, filter)
    }

    /// The paths in the index. The walker scans a tracked file even when an ignore
    /// rule matches it: it was added on purpose and will be pushed.
    pub fn tracked(&self) -> Result<Tracked, GitError> {
        let index = self.index()?;
        Ok(Tracked {
            index,
            workdir: self.workdir.clone(),
        })
    }

    /// Where git runs hooks from: `core.hooksPath` (relative to the working-tree
    /// root, as git reads it) or the `hooks` folder of the common git folder, which
    /// linked worktrees share with the main one.
    pub(crate) fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let configured = self
            .repo
            .config_snapshot()
            .trusted_path("core.hooksPath")
            .map_err(failed(|| {
                "read core.hooksPath from the git configuration".to_owned()
            }))?;
        match configured {
            Some(path) if !path.as_os_str().is_empty() => Ok(self.workdir.join(path)),
            _ => {
                let common = self.repo.common_dir();
                let common = std::fs::canonicalize(common).map_err(|source| GitError::Io {
                    path: common.to_owned(),
                    source,
                })?;
                Ok(common.join("hooks"))
            }
        }
    }

    /// The index as git would use it now, or an empty one before the first `git add`.
    ///
    /// Its trailing checksum is not verified: git itself checks it only in
    /// `git fsck`, and hashing a 9 MB index with collision detection would cost
    /// a hook more than everything else it does. A damaged index fails to decode.
    fn index(&self) -> Result<gix::index::File, GitError> {
        let path = self.repo.index_path();
        gix::index::File::at_or_default(
            &path,
            self.repo.object_hash(),
            true,
            gix::index::decode::Options::default(),
        )
        .map_err(failed(|| format!("read the index {path:?}")))
    }

    /// HEAD's commit, or `None` when HEAD has no commit yet.
    fn head(&self) -> Result<Option<Head>, GitError> {
        let mut head = self
            .repo
            .head()
            .map_err(failed(|| "read HEAD".to_owned()))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let commit = head
            .peel_to_commit()
            .map_err(failed(|| "resolve HEAD to a commit".to_owned()))?;
        let tree = commit
            .tree_id()
            .map_err(failed(|| format!("read commit {}", commit.id)))?;
        let time = commit
            .time()
            .map_err(failed(|| format!("read commit {}", commit.id)))?;
        Ok(Some(Head {
            id: commit.id,
            tree: tree.detach(),
            time: time.seconds,
        }))
    }

    /// The commit `rev` names (a branch, tag, id or any git revision).
    fn resolve_commit(&self, rev: &str) -> Result<ObjectId, GitError> {
        let unknown = |source: BoxError| GitError::UnknownRevision {
            rev: rev.to_owned(),
            source,
        };
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| unknown(e.into()))?;
        let object = id.object().map_err(|e| unknown(e.into()))?;
        let commit = object.peel_to_commit().map_err(|e| unknown(e.into()))?;
        Ok(commit.id)
    }
}

/// Runs `work` on every job on rayon's workers, each with its own gix handle
/// (a `gix::Repository` is not `Sync`), keeping the jobs' order and dropping the
/// `None`s. The first error wins.
fn par_map<J, T, F>(
    shared: &gix::ThreadSafeRepository,
    jobs: Vec<J>,
    work: F,
) -> Result<Vec<T>, GitError>
where
    J: Send,
    T: Send,
    F: Fn(&gix::Repository, J) -> Result<Option<T>, GitError> + Sync,
{
    jobs.into_par_iter()
        .map_init(|| shared.to_thread_local(), |repo, job| work(repo, job))
        .filter_map(Result::transpose)
        .collect()
}

/// `path` (repository-relative, `/`-separated bytes) as shown to the user.
fn display_path(path: &BStr) -> String {
    path.to_str_lossy().into_owned()
}

/// `path` (repository-relative, `/`-separated bytes) in the working tree, or
/// `None` where the platform cannot name it (ill-formed UTF-8 on Windows).
fn disk_path(workdir: &Path, path: &BStr) -> Option<PathBuf> {
    gix::path::from_bstr(path)
        .ok()
        .map(|relative| workdir.join(relative))
}

/// `path` (absolute under `workdir`, or relative to it) as the index spells it, or
/// `None` when it is outside the working tree or names its root.
fn index_spelling(workdir: &Path, path: &Path) -> Option<BString> {
    let relative = path.strip_prefix(workdir).unwrap_or(path);
    let mut spelled = BString::default();
    for component in relative.components() {
        match component {
            Component::Normal(name) => {
                if !spelled.is_empty() {
                    spelled.push(b'/');
                }
                spelled.extend_from_slice(gix::path::os_str_into_bstr(name).ok()?);
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!spelled.is_empty()).then_some(spelled)
}

/// Reads the bytes of blob `id`, found at `path` (named in the error).
fn read_blob(repo: &gix::Repository, id: ObjectId, path: &BStr) -> Result<Vec<u8>, GitError> {
    let mut blob = repo
        .find_blob(id)
        .map_err(failed(|| format!("read blob {id} ({path:?})")))?;
    Ok(blob.take_data())
}

/// Reads tree `id`.
fn read_tree(repo: &gix::Repository, id: ObjectId) -> Result<gix::Tree<'_>, GitError> {
    repo.find_tree(id)
        .map_err(failed(|| format!("read tree {id}")))
}

/// The entries of a tree read by [`read_tree`], in git's tree order.
fn decode_tree<'a>(tree: &'a gix::Tree<'_>) -> Result<gix::objs::TreeRef<'a>, GitError> {
    tree.decode()
        .map_err(failed(|| format!("decode tree {}", tree.id)))
}

/// The paths in the index (see [`Repo::tracked`]): files and symbolic links.
/// Submodules and sparse folders are not files in the working tree and are left out.
pub struct Tracked {
    index: gix::index::File,
    workdir: PathBuf,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("entries", &self.index.entries().len())
            .finish()
    }
}

impl Tracked {
    /// Whether `path` (absolute under the working tree, or relative to it) is in
    /// the index as a file or symbolic link.
    pub fn contains(&self, path: &Path) -> bool {
        index_spelling(&self.workdir, path)
            .and_then(|spelled| self.index.entry_by_path(spelled.as_bstr()))
            .is_some_and(|entry| is_file_entry(entry.mode))
    }

    /// The working-tree path of every tracked file and link, in index order, each
    /// once (a conflicted path has several entries).
    pub fn disk_paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let state: &gix::index::State = &self.index;
        let mut previous: Option<&BStr> = None;
        state.entries().iter().filter_map(move |entry| {
            let path = entry.path(state);
            if previous == Some(path) || !is_file_entry(entry.mode) {
                return None;
            }
            previous = Some(path);
            disk_path(&self.workdir, path)
        })
    }
}

/// Index entries that stand for a file in the working tree (not a submodule or a
/// sparse folder).
fn is_file_entry(mode: gix::index::entry::Mode) -> bool {
    use gix::index::entry::Mode;
    mode == Mode::FILE || mode == Mode::FILE_EXECUTABLE || mode == Mode::SYMLINK
}
