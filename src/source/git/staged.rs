//! The index side: which staged files differ from HEAD, whether the working tree
//! still matches them, and staging a file that `fix` rewrote.
//!
//! Not here: anything about commits other than HEAD (see `history`).

use std::ops::Range;
use std::path::Path;

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use gix::index::State;
use gix::index::entry::{Flags, Mode, Stage};
use gix::index::extension::Tree as CacheTree;

use super::{
    GitError, Repo, SourceFile, decode_tree, disk_path, display_path, failed, index_spelling,
    par_map, read_blob, read_tree,
};
use crate::source::Origin;

pub(super) fn staged(repo: &Repo) -> Result<Vec<SourceFile>, GitError> {
    let index = repo.index()?;
    let head_tree = repo.head()?.map(|head| head.tree);
    let state: &State = &index;
    let walk = Walk::run(&repo.repo, state, head_tree)?;
    log::debug!(
        "staged: {} of {} index entries differ from HEAD; {} trees read",
        walk.changed.len(),
        state.entries().len(),
        walk.trees_read
    );

    let jobs: Vec<(ObjectId, &BStr)> = walk
        .changed
        .iter()
        .map(|&at| {
            let entry = &state.entries()[at];
            (entry.id, entry.path(state))
        })
        .collect();
    let workdir = repo.workdir();
    par_map(&repo.shared, jobs, |thread_repo, (id, path)| {
        Ok(Some(SourceFile {
            path: display_path(path),
            disk_path: disk_path(workdir, path),
            bytes: read_blob(thread_repo, id, path)?,
            origin: Origin::Index,
        }))
    })
}

/// Compares the index with HEAD's tree one folder at a time, in index order.
///
/// A folder whose cache-tree id (kept in the index by git, and valid until an
/// entry below it changes) equals HEAD's tree id for it is skipped without being
/// read. That keeps the cost to the folders on the way to a staged change, the way
/// `git diff --cached` does. Trusting the cache is right here: `git commit` builds
/// the commit's tree from this same cache, so it is what will be committed.
/// Without a cache (an index written by a tool that drops it) every folder of HEAD
/// is read: correct, only slower.
struct Walk<'a> {
    repo: &'a gix::Repository,
    state: &'a State,
    /// Positions in `state.entries()` of the files that differ from HEAD.
    changed: Vec<usize>,
    /// HEAD's trees read: what the listing cost, beyond loading the index.
    trees_read: usize,
}

impl<'a> Walk<'a> {
    fn run(
        repo: &'a gix::Repository,
        state: &'a State,
        head_tree: Option<ObjectId>,
    ) -> Result<Self, GitError> {
        let mut walk = Walk {
            repo,
            state,
            changed: Vec::new(),
            trees_read: 0,
        };
        walk.folder(0, 0..state.entries().len(), head_tree, state.tree())?;
        Ok(walk)
    }

    /// Compares `entries` (all of them under the folder whose path is the first
    /// `prefix_len` bytes of theirs) with HEAD's `tree` for that folder, if HEAD has
    /// one, guided by the index's `cache` for it, if valid.
    fn folder(
        &mut self,
        prefix_len: usize,
        entries: Range<usize>,
        tree: Option<ObjectId>,
        cache: Option<&CacheTree>,
    ) -> Result<(), GitError> {
        if let (Some(tree), Some(cache)) = (tree, cache)
            && cache.id == tree
            && cache.num_entries.and_then(|n| usize::try_from(n).ok()) == Some(entries.len())
        {
            return Ok(());
        }
        let tree_object = tree.map(|id| read_tree(self.repo, id)).transpose()?;
        self.trees_read += usize::from(tree_object.is_some());
        let head_entries = tree_object.as_ref().map(decode_tree).transpose()?;

        let all = self.state.entries();
        let mut at = entries.start;
        while at < entries.end {
            let path = all[at].path(self.state);
            let name_and_rest = &path[prefix_len..];
            if let Some(slash) = name_and_rest.find_byte(b'/') {
                let name = name_and_rest[..slash].as_bstr();
                let sub_prefix = &path[..prefix_len + slash + 1];
                // Sorted by path, so the entries below `name/` are one run.
                let run = all[at..entries.end]
                    .partition_point(|entry| entry.path(self.state).starts_with(sub_prefix));
                let sub_tree = head_entries
                    .as_ref()
                    .and_then(|t| t.bisect_entry(name, true))
                    .filter(|entry| entry.mode.is_tree())
                    .map(|entry| entry.oid.to_owned());
                let sub_cache = cache.and_then(|cache| cached_child(cache, name));
                self.folder(sub_prefix.len(), at..at + run, sub_tree, sub_cache)?;
                at += run;
            } else {
                let entry = &all[at];
                let committable = entry.stage() == Stage::Unconflicted
                    && !entry.flags.contains(Flags::INTENT_TO_ADD)
                    && is_regular_file(entry.mode);
                let in_head = head_entries
                    .as_ref()
                    .and_then(|t| t.bisect_entry(name_and_rest.as_bstr(), false))
                    .is_some_and(|head| head.mode.is_blob() && head.oid == entry.id.as_ref());
                if committable && !in_head {
                    self.changed.push(at);
                }
                at += 1;
            }
        }
        Ok(())
    }
}

/// Files whose bytes are content (not a link target, a submodule's commit or a
/// sparse folder).
fn is_regular_file(mode: Mode) -> bool {
    mode == Mode::FILE || mode == Mode::FILE_EXECUTABLE
}

/// The cache-tree node of subfolder `name`. gix sorts a node's children by name
/// when it reads the index, so a folder with 10,000 subfolders is searched, not
/// scanned.
fn cached_child<'c>(cache: &'c CacheTree, name: &BStr) -> Option<&'c CacheTree> {
    let at = cache
        .children
        .binary_search_by(|child| child.name.as_slice().cmp(name.as_bytes()));
    at.ok().map(|at| &cache.children[at])
}

pub(super) fn worktree_matches(file: &SourceFile) -> Result<bool, GitError> {
    let Some(path) = &file.disk_path else {
        return Ok(false);
    };
    let io = |source| GitError::Io {
        path: path.clone(),
        source,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(io(error)),
    };
    // Compare sizes first: a large file that differs is not read.
    if !meta.is_file() || meta.len() != file.bytes.len() as u64 {
        return Ok(false);
    }
    Ok(std::fs::read(path).map_err(io)? == file.bytes)
}

pub(super) fn stage<P: AsRef<Path>>(repo: &Repo, disk_paths: &[P]) -> Result<(), GitError> {
    let mut index = repo.repo.open_index().map_err(failed(|| {
        format!("read the index {:?}", repo.repo.index_path())
    }))?;
    for disk_path in disk_paths {
        let disk_path = disk_path.as_ref();
        let not_in_index = || GitError::NotInIndex {
            path: disk_path.to_owned(),
        };
        let spelled = index_spelling(&repo.workdir, disk_path).ok_or_else(not_in_index)?;
        let entry = index
            .entry_mut_by_path_and_stage(spelled.as_bstr(), Stage::Unconflicted)
            .filter(|entry| is_regular_file(entry.mode))
            .ok_or_else(not_in_index)?;
        let full_path = repo.workdir.join(disk_path);
        let io = |source| GitError::Io {
            path: full_path.clone(),
            source,
        };
        // Stat before reading: if the file changes in between, its stat no longer
        // matches and git rehashes it instead of trusting the staged blob.
        let meta = gix::index::fs::Metadata::from_path_no_follow(&full_path).map_err(io)?;
        let bytes = std::fs::read(&full_path).map_err(io)?;
        entry.stat = gix::index::entry::Stat::from_fs(&meta).map_err(failed(|| {
            format!("read the modification time of {full_path:?}")
        }))?;
        entry.id = repo
            .repo
            .write_blob(&bytes)
            .map_err(failed(|| format!("write the blob of {full_path:?}")))?
            .detach();
        if let Some(cache) = index.tree_mut() {
            invalidate(cache, spelled.as_bstr());
        }
    }
    // gix writes the entries and the cache tree; git's other extensions (untracked
    // cache, fsmonitor state, resolve-undo) are caches or conveniences that git
    // rebuilds, so dropping them loses nothing a commit needs.
    index
        .write(gix::index::write::Options::default())
        .map_err(failed(|| {
            format!("write the index {:?}", repo.repo.index_path())
        }))
}

/// Marks the cache-tree folders above `path` as changed. Without this, git would
/// keep committing the old tree ids it cached for them, and with them the old
/// content of the file.
fn invalidate(cache: &mut CacheTree, path: &BStr) {
    cache.num_entries = None;
    let mut node = cache;
    let mut folders = path.split_str("/").collect::<Vec<_>>();
    folders.pop();
    // Scanned, not searched like `cached_child`: here a miss would leave a stale
    // id valid, and only the staged files' folders are visited.
    for folder in folders {
        match node
            .children
            .iter_mut()
            .find(|child| child.name.as_slice() == folder)
        {
            Some(child) => {
                child.num_entries = None;
                node = child;
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?}");
    }

    /// Folder names of different lengths: git orders cache-tree children by
    /// length first, gix by bytes; the search must use gix's order.
    const FOLDERS: [&str; 6] = ["a", "bb", "b-longer", "ccc", "c", "zz"];

    fn committed_repo() -> (tempfile::TempDir, gix::Repository) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        for folder in FOLDERS {
            for sub in ["x", "yy"] {
                let path = dir.path().join(folder).join(sub);
                std::fs::create_dir_all(&path).unwrap();
                std::fs::write(path.join("f.yaml"), format!("{folder}/{sub}\n")).unwrap();
            }
        }
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "start"]);
        let repo = gix::open(dir.path()).unwrap();
        (dir, repo)
    }

    #[test]
    fn every_cached_subfolder_is_found() {
        let (_dir, repo) = committed_repo();
        let index = repo.open_index().unwrap();
        let root = index.tree().expect("git commit leaves a cache tree");

        for folder in FOLDERS {
            let child = cached_child(root, folder.into()).expect(folder);
            assert_eq!(child.name.as_slice(), folder.as_bytes());
            assert!(cached_child(child, "yy".into()).is_some(), "{folder}/yy");
        }
        assert!(cached_child(root, "b".into()).is_none());
    }

    #[test]
    fn only_the_folders_above_a_staged_change_are_read() {
        let (dir, repo) = committed_repo();
        std::fs::write(dir.path().join("b-longer/yy/f.yaml"), "changed\n").unwrap();
        git(dir.path(), &["add", "b-longer/yy/f.yaml"]);
        let index = repo.open_index().unwrap();
        let head = repo.head_tree_id().unwrap().detach();

        let walk = Walk::run(&repo, &index, Some(head)).unwrap();

        let changed: Vec<&BStr> = walk
            .changed
            .iter()
            .map(|&at| index.entries()[at].path(&index))
            .collect();
        assert_eq!(changed, ["b-longer/yy/f.yaml"]);
        // The root, b-longer and b-longer/yy; every other folder is skipped on
        // its cached tree id.
        assert_eq!(walk.trees_read, 3);
    }
}
