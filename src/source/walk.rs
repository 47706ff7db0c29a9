//! Walking directories in parallel, honouring .gitignore, and reading files.
//!
//! The walk runs on the `ignore` crate's own threads and the caller's work runs
//! in its visitor, so reading, parsing and judging a file all happen on the
//! thread that found it; nothing is collected first.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::git::Repo;
use super::{Origin, SourceFile};
use crate::manifest::Format;

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Also judge files that ignore rules exclude.
    pub no_ignore: bool,
    /// Files larger than this are skipped with a notice.
    pub max_file_size: u64,
    /// Worker threads; 0 chooses from the machine.
    pub threads: usize,
}

/// A file that was found but not read, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// What the walk hands to the visitor for every manifest-named file it meets.
pub enum Found {
    File(SourceFile),
    Skipped(Skipped),
}

/// Walks `roots` and calls `visit` (from several threads) for every file whose
/// name says it is a manifest (`.yaml`, `.yml`, `.json`) and that `select`
/// accepts. Paths are shown relative to `base`.
///
/// In a git repository, tracked files that an ignore rule would hide are
/// visited too: they were added on purpose and will be pushed.
pub fn walk(
    roots: &[PathBuf],
    base: &Path,
    repo_root: Option<&Path>,
    options: &WalkOptions,
    select: &(dyn Fn(&str) -> bool + Sync),
    visit: &(dyn Fn(Found) + Sync),
) {
    let (first, rest) = roots.split_first().expect("at least one root");
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .require_git(false)
        .git_ignore(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .git_global(!options.no_ignore)
        .ignore(!options.no_ignore)
        .parents(!options.no_ignore)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");

    let seen = Mutex::new(HashSet::new());
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    unwalkable(&err, base, select, visit);
                    return WalkState::Continue;
                }
            };
            let path = entry.path();
            let Some(file_type) = entry.file_type() else {
                return WalkState::Continue;
            };
            if file_type.is_dir() {
                return WalkState::Continue;
            }
            // The name decides first: most files are not manifests, and their
            // display path is never needed.
            if Format::of_path(&entry.file_name().to_string_lossy()).is_none() {
                return WalkState::Continue;
            }
            let shown = display_path(path, base);
            if !select(&shown) {
                return WalkState::Continue;
            }
            if repo_root.is_some() && !options.no_ignore {
                seen.lock()
                    .expect("no panics hold this lock")
                    .insert(path.to_path_buf());
            }
            if file_type.is_symlink() {
                visit(Found::Skipped(Skipped {
                    path: shown,
                    reason: "a symbolic link; links are not followed".to_owned(),
                }));
            } else if !file_type.is_file() {
                visit(Found::Skipped(Skipped {
                    path: shown,
                    reason: "not a regular file; it was not opened".to_owned(),
                }));
            } else {
                visit(read(path, shown, options.max_file_size));
            }
            WalkState::Continue
        })
    });

    if let (Some(repo_root), false) = (repo_root, options.no_ignore) {
        let seen = seen.into_inner().expect("no panics hold this lock");
        for path in tracked_but_unseen(repo_root, roots, &seen) {
            let shown = display_path(&path, base);
            if Format::of_path(&shown).is_some() && select(&shown) {
                visit(read(&path, shown, options.max_file_size));
            }
        }
    }
}

/// Reports what the walker could not enter (a folder without read permission,
/// most often) as skipped, so that the files it may hold are not silently
/// missed. A folder is reported when a manifest inside it would be selected.
fn unwalkable(
    err: &ignore::Error,
    base: &Path,
    select: &(dyn Fn(&str) -> bool + Sync),
    visit: &(dyn Fn(Found) + Sync),
) {
    let mut inner = err;
    let mut path = None;
    loop {
        match inner {
            ignore::Error::WithPath { path: p, err } => {
                path = Some(p);
                inner = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                inner = err;
            }
            _ => break,
        }
    }
    let Some(path) = path else {
        log::warn!("walking: {err}");
        return;
    };
    let shown = display_path(path, base);
    let is_manifest = Format::of_path(&shown).is_some();
    let inside = if is_manifest {
        shown.clone()
    } else {
        format!("{shown}/x.yaml")
    };
    if select(&inside) {
        visit(Found::Skipped(Skipped {
            path: shown,
            reason: format!("cannot read it: {inner}"),
        }));
    }
}

/// Reads one file from disk, refusing what is not a regular file or too large.
pub fn read(path: &Path, shown: String, max_size: u64) -> Found {
    let skipped = |reason: String| {
        Found::Skipped(Skipped {
            path: shown.clone(),
            reason,
        })
    };
    // Checking the type before opening: opening a FIFO would block forever.
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return skipped("a symbolic link; links are not followed".to_owned());
        }
        Ok(meta) if !meta.is_file() => {
            return skipped("not a regular file; it was not opened".to_owned());
        }
        Ok(meta) if meta.len() > max_size => {
            return skipped(format!(
                "{} bytes, over the {max_size}-byte limit (max_file_size in .seal-guard.yaml)",
                meta.len()
            ));
        }
        Ok(_) => {}
        Err(e) => return skipped(format!("cannot read it: {e}")),
    }
    let mut bytes = Vec::new();
    let result = File::open(path).and_then(|f| f.take(max_size + 1).read_to_end(&mut bytes));
    match result {
        Err(e) => skipped(format!("cannot read it: {e}")),
        // It grew between the check and the read.
        Ok(_) if bytes.len() as u64 > max_size => skipped(format!(
            "over the {max_size}-byte limit (max_file_size in .seal-guard.yaml)"
        )),
        Ok(_) => Found::File(SourceFile {
            path: shown,
            disk_path: Some(path.to_path_buf()),
            bytes,
            origin: Origin::Disk,
        }),
    }
}

/// Tracked files under `roots` with manifest names that the walk did not visit.
fn tracked_but_unseen(
    repo_root: &Path,
    roots: &[PathBuf],
    seen: &HashSet<PathBuf>,
) -> Vec<PathBuf> {
    let tracked = match Repo::discover(repo_root).and_then(|repo| repo.tracked()) {
        Ok(tracked) => tracked,
        Err(e) => {
            log::warn!("cannot list tracked files, so ignored tracked files are not checked: {e}");
            return Vec::new();
        }
    };
    tracked
        .disk_paths()
        .filter(|path| {
            let manifest = path
                .file_name()
                .is_some_and(|n| Format::of_path(&n.to_string_lossy()).is_some());
            manifest
                && roots.iter().any(|r| path.starts_with(r))
                && !seen.contains(path)
                && path.is_file()
        })
        .collect()
}

/// A file name as text, with every byte that is not UTF-8 written `\xNN`.
///
/// Not `to_string_lossy`: it turns every such byte into U+FFFD, so `a\xFF.yaml`
/// and `a\xFE.yaml` would get one path, and the report, which keeps each file's
/// masked text by path for its snippets, would show one file's lines under the
/// other's findings.
#[cfg(unix)]
fn name_text(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write;
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.into();
    }
    let mut text = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02X}");
        }
    }
    text.into()
}

#[cfg(not(unix))]
fn name_text(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    name.to_string_lossy()
}

/// `path` relative to `base` when it is under it, `/`-separated. Bytes of a
/// name that are not UTF-8 are written as `\xFF` escapes (see [`name_text`]).
pub fn display_path(path: &Path, base: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let relative = relative.strip_prefix(".").unwrap_or(relative);
    let parts: Vec<_> = relative
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| name_text(c.as_os_str()))
        .collect();
    let joined = parts.join("/");
    if path.is_absolute() && relative == path {
        format!("/{}", joined.trim_start_matches('/'))
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_the_walker_cannot_enter_is_reported() {
        let denied = |path: &str| ignore::Error::WithDepth {
            depth: 2,
            err: Box::new(ignore::Error::WithPath {
                path: PathBuf::from(path),
                err: Box::new(ignore::Error::Io(
                    std::io::ErrorKind::PermissionDenied.into(),
                )),
            }),
        };
        let found = Mutex::new(Vec::new());
        let visit = |f: Found| match f {
            Found::Skipped(s) => found.lock().unwrap().push((s.path, s.reason)),
            Found::File(_) => panic!("nothing was read"),
        };
        let select = |shown: &str| !shown.starts_with("vendor/");
        for path in ["/r/clusters/locked", "/r/vendor/locked", "/r/a.yaml"] {
            unwalkable(&denied(path), Path::new("/r"), &select, &visit);
        }
        let found = found.into_inner().unwrap();
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["clusters/locked", "a.yaml"]);
        assert!(found[0].1.starts_with("cannot read it: "), "{}", found[0].1);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        use std::os::unix::ffi::OsStrExt;
        let name = |bytes: &[u8]| Path::new("/r/d").join(std::ffi::OsStr::from_bytes(bytes));
        let base = Path::new("/r");
        let ff = display_path(&name(b"a\xFF.yaml"), base);
        let fe = display_path(&name(b"a\xFE.yaml"), base);
        assert_eq!(ff, "d/a\\xFF.yaml");
        assert_eq!(fe, "d/a\\xFE.yaml");
        assert_eq!(
            display_path(&name("é\u{202E}.yaml".as_bytes()), base),
            "d/é\u{202E}.yaml"
        );
    }
}
