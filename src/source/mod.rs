//! Where bytes come from: files on disk, staged blobs, blobs at a commit.
//!
//! A source yields [`SourceFile`]s and nothing else; rules never touch the file
//! system or git themselves.

use std::path::PathBuf;

pub mod git;
pub mod walk;

/// Where the bytes of a [`SourceFile`] were read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The working tree (or any file on disk).
    Disk,
    /// The git index (staged content).
    Index,
    /// A blob as committed.
    Commit {
        /// Full id of the commit.
        id: String,
        /// Committer time, seconds since the epoch.
        time: i64,
    },
}

/// One file to judge.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path shown to the user and matched against config globs: relative to the
    /// scan root or repository root, `/`-separated. Lossy for non-UTF-8 names.
    pub path: String,
    /// The file on disk that holds these bytes, if any (where `fix` writes).
    pub disk_path: Option<PathBuf>,
    pub bytes: Vec<u8>,
    pub origin: Origin,
}
