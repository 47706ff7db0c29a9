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
pub const TEMP_SUFFIX: &str = ".tmp";

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
        .suffix(TEMP_SUFFIX)
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

/// Removes the temporary files an interrupted run left under `roots` (a kill
/// between creating one and renaming it over its file). They hold only sealed
/// text, but they would otherwise be committed with the next `git add -A`.
/// Links are not followed and only regular files named like ours are removed.
/// Returns what was removed.
pub fn remove_leftovers(roots: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let mut removed = Vec::new();
    let Some((first, rest)) = roots.split_first() else {
        return removed;
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder.standard_filters(false).follow_links(false);
    for entry in builder.build().flatten() {
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        let name = entry.file_name().to_string_lossy();
        if is_file
            && name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
            && fs::remove_file(entry.path()).is_ok()
        {
            removed.push(entry.path().to_path_buf());
        }
    }
    removed
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

    #[test]
    fn leftovers_of_an_interrupted_run_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        fs::create_dir_all(&nested).unwrap();
        fs::write(nested.join(".seal-guard-x1Y2z3.tmp"), "sealed").unwrap();
        fs::write(dir.path().join(".seal-guard-abcdef.tmp"), "").unwrap();
        fs::write(nested.join("keep.yaml"), "a: 1").unwrap();
        fs::write(nested.join("other.tmp"), "").unwrap();
        let removed = remove_leftovers(&[dir.path().to_path_buf()]);
        assert_eq!(removed.len(), 2);
        assert!(nested.join("keep.yaml").exists() && nested.join("other.tmp").exists());
        assert!(!nested.join(".seal-guard-x1Y2z3.tmp").exists());
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
