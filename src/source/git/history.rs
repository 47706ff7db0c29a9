//! The commit side: what a branch changed since it forked, and every blob a
//! history introduced.
//!
//! Both rest on one tree comparison that walks only the folders whose tree ids
//! differ, and reports blobs that are new at their path. Not here: the index (see
//! `staged`).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice, ByteVec};
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use super::{
    GitError, Head, Repo, SourceFile, decode_tree, display_path, failed, par_map, read_blob,
    read_tree,
};
use crate::source::Origin;

/// Which blobs [`Repo::history`] reads and returns. Both tests run on rayon's
/// workers.
pub struct BlobFilter<'a> {
    /// Runs before a blob is read, on its display path: keep it cheap (a file
    /// extension, the config's globs).
    pub path: &'a (dyn Fn(&str) -> bool + Sync),
    /// Runs on the bytes of a blob whose path passed: a fast byte search (does it
    /// mention `Secret`?), not a parse.
    pub content: &'a (dyn Fn(&[u8]) -> bool + Sync),
}

/// One blob found by [`Repo::history`].
#[derive(Clone, Debug)]
pub struct HistoryBlob {
    /// The blob's bytes under the path it was introduced at. `origin` is the
    /// [`Origin::Commit`] that introduced it there (the oldest one, by committer
    /// time); `disk_path` is `None`.
    pub file: SourceFile,
    /// Full id of the blob.
    pub blob: String,
    /// Whether HEAD still holds this blob at this path. When false, the content
    /// is gone from the tree but not from the history: whoever can clone can read it.
    pub still_present: bool,
}

pub(super) fn changed_since(repo: &Repo, rev: &str) -> Result<Vec<SourceFile>, GitError> {
    let head = repo.head()?.ok_or(GitError::NoCommits)?;
    let base = merge_base(repo, rev, &head)?;
    let base_tree = tree_of(&repo.repo, base)?;
    let mut changed = Vec::new();
    introduced(
        &repo.repo,
        head.tree,
        &[base_tree],
        &|_| true,
        &mut BString::default(),
        &mut changed,
    )?;
    changed.sort_by(|a, b| a.0.cmp(&b.0));

    let origin = Origin::Commit {
        id: head.id.to_string(),
        time: head.time,
    };
    par_map(&repo.shared, changed, |thread_repo, (path, id)| {
        Ok(Some(SourceFile {
            path: display_path(path.as_bstr()),
            disk_path: None,
            bytes: read_blob(thread_repo, id, path.as_bstr())?,
            origin: origin.clone(),
        }))
    })
}

/// Where a blob was first seen.
struct Introduction {
    blob: ObjectId,
    path: BString,
    commit: ObjectId,
    time: i64,
    /// Position in the newest-first walk, to break ties between commits made in
    /// the same second: the one found later is the parent.
    walk_position: usize,
}

impl Introduction {
    /// Smaller is older.
    fn age_key(&self) -> (i64, Reverse<usize>) {
        (self.time, Reverse(self.walk_position))
    }
}

pub(super) fn history(
    repo: &Repo,
    since: Option<&str>,
    filter: &BlobFilter<'_>,
) -> Result<Vec<HistoryBlob>, GitError> {
    let Some(head) = repo.head()? else {
        return Ok(Vec::new());
    };
    let hidden = match since {
        Some(rev) => Some(merge_base(repo, rev, &head)?),
        None => None,
    };
    let commits = walk_from(repo, &head, hidden)?;

    // Comparing each commit with its parents is independent work: spread it.
    let keep_path = |path: &BStr| (filter.path)(&path.to_str_lossy());
    let per_commit = par_map(&repo.shared, commits, |thread_repo, (walk_position, id)| {
        introductions(thread_repo, id, walk_position, &keep_path).map(Some)
    })?;
    let candidates = oldest_per_blob(per_commit.into_iter().flatten());

    let read = par_map(&repo.shared, candidates, |thread_repo, introduction| {
        let bytes = read_blob(thread_repo, introduction.blob, introduction.path.as_bstr())?;
        Ok((filter.content)(&bytes).then_some((introduction, bytes)))
    })?;

    let mut head_tree = TreeLookup::new(&repo.repo, head.tree);
    read.into_iter()
        .map(|(introduction, bytes)| {
            let still_present =
                head_tree.blob_at(introduction.path.as_bstr())? == Some(introduction.blob);
            Ok(HistoryBlob {
                file: SourceFile {
                    path: display_path(introduction.path.as_bstr()),
                    disk_path: None,
                    bytes,
                    origin: Origin::Commit {
                        id: introduction.commit.to_string(),
                        time: introduction.time,
                    },
                },
                blob: introduction.blob.to_string(),
                still_present,
            })
        })
        .collect()
}

/// The commits reachable from HEAD and not from `hidden`, newest first, each with
/// its position in that order.
fn walk_from(
    repo: &Repo,
    head: &Head,
    hidden: Option<ObjectId>,
) -> Result<Vec<(usize, ObjectId)>, GitError> {
    let walk_failed = || format!("walk the history of HEAD ({})", head.id);
    repo.repo
        .rev_walk([head.id])
        .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
        .with_hidden(hidden)
        .all()
        .map_err(failed(walk_failed))?
        .enumerate()
        .map(|(position, info)| {
            info.map(|info| (position, info.id))
                .map_err(failed(walk_failed))
        })
        .collect()
}

/// The blobs commit `id` introduced at paths `keep_path` accepts.
///
/// A parent missing from the object store (the edge of a shallow clone) is
/// ignored: the oldest commit present stands in for the history before it.
fn introductions(
    repo: &gix::Repository,
    id: ObjectId,
    walk_position: usize,
    keep_path: &dyn Fn(&BStr) -> bool,
) -> Result<Vec<Introduction>, GitError> {
    let commit = repo
        .find_commit(id)
        .map_err(failed(|| format!("read commit {id}")))?;
    let decoded = commit
        .decode()
        .map_err(failed(|| format!("decode commit {id}")))?;
    let time = decoded
        .committer()
        .map_err(failed(|| format!("decode commit {id}")))?
        .time()
        .map_err(failed(|| format!("read the time of commit {id}")))?
        .seconds;
    let parents = decoded
        .parents()
        .filter(|parent| repo.has_object(parent))
        .map(|parent| tree_of(repo, parent))
        .collect::<Result<Vec<_>, _>>()?;
    let mut found = Vec::new();
    introduced(
        repo,
        decoded.tree(),
        &parents,
        keep_path,
        &mut BString::default(),
        &mut found,
    )?;
    Ok(found
        .into_iter()
        .map(|(path, blob)| Introduction {
            blob,
            path,
            commit: id,
            time,
            walk_position,
        })
        .collect())
}

/// One introduction per blob, the oldest, sorted by path.
fn oldest_per_blob(introductions: impl Iterator<Item = Introduction>) -> Vec<Introduction> {
    let mut oldest: HashMap<ObjectId, Introduction> = HashMap::new();
    for introduction in introductions {
        match oldest.entry(introduction.blob) {
            Entry::Vacant(slot) => {
                slot.insert(introduction);
            }
            Entry::Occupied(mut slot) => {
                if introduction.age_key() < slot.get().age_key() {
                    slot.insert(introduction);
                }
            }
        }
    }
    let mut oldest: Vec<Introduction> = oldest.into_values().collect();
    oldest.sort_by(|a, b| a.path.cmp(&b.path).then(a.age_key().cmp(&b.age_key())));
    oldest
}

/// The merge base of `rev` and HEAD.
fn merge_base(repo: &Repo, rev: &str, head: &Head) -> Result<ObjectId, GitError> {
    let other = repo.resolve_commit(rev)?;
    repo.repo
        .merge_base(other, head.id)
        .map_err(failed(|| {
            format!("find the merge base of {rev:?} and HEAD")
        }))?
        .map(|id| id.detach())
        .ok_or_else(|| GitError::NoMergeBase {
            rev: rev.to_owned(),
        })
}

/// The tree of `commit`.
fn tree_of(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId, GitError> {
    let commit_object = repo
        .find_commit(commit)
        .map_err(failed(|| format!("read commit {commit}")))?;
    let tree = commit_object
        .tree_id()
        .map_err(failed(|| format!("decode commit {commit}")))?;
    Ok(tree.detach())
}

/// Collects into `out` the regular-file blobs of tree `new` that differ, at their
/// path, from every tree in `olds` (a commit's parents; none for a root commit):
/// the blobs that `new` introduced. Folders whose id one of `olds` shares are not
/// read. `prefix` is the folder's path with a trailing `/`, empty at the root.
/// Paths that `keep_path` rejects are not collected.
fn introduced(
    repo: &gix::Repository,
    new: ObjectId,
    olds: &[ObjectId],
    keep_path: &dyn Fn(&BStr) -> bool,
    prefix: &mut BString,
    out: &mut Vec<(BString, ObjectId)>,
) -> Result<(), GitError> {
    if olds.contains(&new) {
        return Ok(());
    }
    let new_object = read_tree(repo, new)?;
    let old_objects = olds
        .iter()
        .map(|&id| read_tree(repo, id))
        .collect::<Result<Vec<_>, _>>()?;
    let new_tree = decode_tree(&new_object)?;
    let old_trees = old_objects
        .iter()
        .map(decode_tree)
        .collect::<Result<Vec<_>, _>>()?;

    for entry in &new_tree.entries {
        let prefix_len = prefix.len();
        if entry.mode.is_tree() {
            let old_subtrees: Vec<ObjectId> = old_trees
                .iter()
                .filter_map(|old| old.bisect_entry(entry.filename, true))
                .filter(|old| old.mode.is_tree())
                .map(|old| old.oid.to_owned())
                .collect();
            prefix.push_str(entry.filename);
            prefix.push(b'/');
            let result = introduced(
                repo,
                entry.oid.to_owned(),
                &old_subtrees,
                keep_path,
                prefix,
                out,
            );
            prefix.truncate(prefix_len);
            result?;
        } else if entry.mode.is_blob() {
            let unchanged = old_trees.iter().any(|old| {
                old.bisect_entry(entry.filename, false)
                    .is_some_and(|old| old.mode.is_blob() && old.oid == entry.oid)
            });
            if unchanged {
                continue;
            }
            prefix.push_str(entry.filename);
            if keep_path(prefix.as_bstr()) {
                out.push((prefix.clone(), entry.oid.to_owned()));
            }
            prefix.truncate(prefix_len);
        }
    }
    Ok(())
}

/// Looks up paths in one tree, reading each folder once however many paths pass
/// through it.
struct TreeLookup<'r> {
    repo: &'r gix::Repository,
    root: ObjectId,
    /// Folder path (no trailing `/`, empty for the root) to its entries, or `None`
    /// when the tree has no such folder.
    folders: HashMap<BString, Option<Folder>>,
}

/// The regular files and subfolders of one tree, by name; links and submodules
/// are left out.
type Folder = HashMap<BString, (Kind, ObjectId)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Folder,
}

impl<'r> TreeLookup<'r> {
    fn new(repo: &'r gix::Repository, root: ObjectId) -> Self {
        TreeLookup {
            repo,
            root,
            folders: HashMap::new(),
        }
    }

    /// The blob at `path`, if the tree has a regular file there.
    fn blob_at(&mut self, path: &BStr) -> Result<Option<ObjectId>, GitError> {
        let (folder, name) = split_last(path);
        Ok(self
            .folder(folder)?
            .and_then(|entries| match entries.get(name) {
                Some(&(Kind::File, id)) => Some(id),
                _ => None,
            }))
    }

    fn folder(&mut self, path: &BStr) -> Result<Option<&Folder>, GitError> {
        if !self.folders.contains_key(path) {
            let id = if path.is_empty() {
                Some(self.root)
            } else {
                let (parent, name) = split_last(path);
                self.folder(parent)?
                    .and_then(|entries| match entries.get(name) {
                        Some(&(Kind::Folder, id)) => Some(id),
                        _ => None,
                    })
            };
            let entries = match id {
                Some(id) => Some(self.read(id)?),
                None => None,
            };
            self.folders.insert(path.to_owned(), entries);
        }
        Ok(self.folders.get(path).and_then(Option::as_ref))
    }

    fn read(&self, id: ObjectId) -> Result<Folder, GitError> {
        let object = read_tree(self.repo, id)?;
        let tree = decode_tree(&object)?;
        Ok(tree
            .entries
            .iter()
            .filter_map(|entry| {
                let kind = if entry.mode.is_blob() {
                    Kind::File
                } else if entry.mode.is_tree() {
                    Kind::Folder
                } else {
                    return None;
                };
                Some((entry.filename.to_owned(), (kind, entry.oid.to_owned())))
            })
            .collect())
    }
}

/// `path` split at its last `/` into folder and name; the folder is empty at the root.
fn split_last(path: &BStr) -> (&BStr, &BStr) {
    match path.rfind_byte(b'/') {
        Some(slash) => (path[..slash].as_bstr(), path[slash + 1..].as_bstr()),
        None => (BStr::new(""), path),
    }
}
