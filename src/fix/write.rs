//! Writing a file atomically: a file is either untouched or completely rewritten.
//!
//! The new content goes to a temporary file in the same folder (so the rename
//! cannot cross file systems), is flushed to disk, gets the original's
//! permissions, and is then renamed over the original. A crash at any moment
//! leaves either the old bytes or the new ones under the file's name. The
//! temporary file never holds plaintext: it receives the sealed result only.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Prefix of the temporary files, so a leftover one (after a power loss) is
/// recognisable as seal-guard's.
pub const TEMP_PREFIX: &str = ".seal-guard-";

/// Replaces the contents of `path` with `bytes`, atomically. Refuses symbolic
/// links: a write never goes through a link.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a symbolic link; seal-guard does not write through links",
        ));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file",
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    fs::set_permissions(temp.path(), meta.permissions())?;
    temp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_keeps_mode_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symbolic_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.yaml");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(replace(&link, b"new").is_err());
        assert_eq!(fs::read(&target).unwrap(), b"old");
    }
}
