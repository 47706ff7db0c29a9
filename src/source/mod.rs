//! Where bytes come from: files on disk, staged blobs, blobs at a commit.
//!
//! A source yields [`SourceFile`]s and nothing else; rules never touch the file
//! system or git themselves.

use std::path::PathBuf;

pub mod git;
pub mod walk;

/// The most a certificate or key file may hold: real ones are a few kilobytes.
pub const MAX_KEY_FILE_SIZE: u64 = 1024 * 1024;

/// Reads a small file named by the user or a config (a certificate, a key
/// file): only a regular file is opened, because opening a FIFO blocks until
/// something writes to it and a device such as `/dev/zero` never ends, and only
/// up to `limit` bytes are read.
pub fn read_small_file(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file, so it was not opened",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

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
