//! Installing seal-guard as a repository's git pre-commit hook.
//!
//! The hook is `hooks/pre-commit`, a POSIX sh script built into the binary; this
//! module only puts it where git looks for hooks, without ever losing a hook that
//! was there before. What the hook checks is `seal-guard check --staged`; the
//! pre-commit framework's manifest is `.pre-commit-hooks.yaml` at the crate root.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::source::git::{GitError, Repo};

/// The hook script `install_hook` writes.
pub const PRE_COMMIT: &str = include_str!("../hooks/pre-commit");

/// Name of the copy kept of a hook that `--force` replaced, beside it.
pub const BACKUP_NAME: &str = "pre-commit.seal-guard-backup";

/// What [`install_hook`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// There was no pre-commit hook; this is it now.
    Installed { hook: PathBuf },
    /// The hook was already this one; nothing was written.
    AlreadyInstalled { hook: PathBuf },
    /// Another hook was there; it was moved to `backup` (`--force`).
    Replaced { hook: PathBuf, backup: PathBuf },
}

/// Why the hook was not installed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum InstallError {
    #[error("{hook:?} is another pre-commit hook; it was left as it is")]
    #[diagnostic(
        code(seal_guard::hook::exists),
        help(
            "run `seal-guard install-hook --force` to replace it, keeping it as pre-commit.seal-guard-backup, \
             or call `seal-guard check --staged` from that hook"
        )
    )]
    Exists { hook: PathBuf },

    #[error("{backup:?} already holds another backup, so {hook:?} was not replaced")]
    #[diagnostic(
        code(seal_guard::hook::backup_exists),
        help(
            "move that backup away or delete it, then run `seal-guard install-hook --force` again"
        )
    )]
    BackupExists { hook: PathBuf, backup: PathBuf },

    #[error("cannot install the hook at {path:?}")]
    #[diagnostic(code(seal_guard::hook::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

/// Installs [`PRE_COMMIT`] as `repo`'s pre-commit hook, in the folder git runs
/// hooks from (`core.hooksPath`, created if missing, or the hooks folder that
/// linked worktrees share).
///
/// Running it twice changes nothing. A different hook is refused unless `force`,
/// which keeps it beside the new one as [`BACKUP_NAME`]; an existing backup with
/// other content is never overwritten.
pub fn install_hook(repo: &Repo, force: bool) -> Result<Outcome, InstallError> {
    let folder = repo.hooks_dir()?;
    let hook = folder.join("pre-commit");
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| InstallError::Io { path, source }
    };
    fs::create_dir_all(&folder).map_err(io(&folder))?;

    let existing = match fs::read(&hook) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(io(&hook)(error)),
    };
    match existing {
        None => {
            write_hook(&folder, &hook)?;
            Ok(Outcome::Installed { hook })
        }
        Some(bytes) if bytes == PRE_COMMIT.as_bytes() => {
            // Same script; git still skips it if something cleared its mode.
            set_executable(&hook).map_err(io(&hook))?;
            Ok(Outcome::AlreadyInstalled { hook })
        }
        Some(_) if !force => Err(InstallError::Exists { hook }),
        Some(bytes) => {
            let backup = folder.join(BACKUP_NAME);
            keep_backup(&hook, &backup, &bytes)?;
            write_hook(&folder, &hook)?;
            Ok(Outcome::Replaced { hook, backup })
        }
    }
}

/// Copies the old hook's `bytes` (and mode) to `backup`, which must not hold
/// anything else already.
fn keep_backup(hook: &Path, backup: &Path, bytes: &[u8]) -> Result<(), InstallError> {
    let io = |source| InstallError::Io {
        path: backup.to_owned(),
        source,
    };
    // `create_new` rather than a check first: nothing can slip in between.
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(backup)
    {
        Ok(mut file) => {
            file.write_all(bytes).map_err(io)?;
            let mode = fs::metadata(hook).map_err(io)?.permissions();
            file.set_permissions(mode).map_err(io)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            // The same hook backed up earlier: nothing would be lost.
            if fs::read(backup).map_err(io)? == bytes {
                Ok(())
            } else {
                Err(InstallError::BackupExists {
                    hook: hook.to_owned(),
                    backup: backup.to_owned(),
                })
            }
        }
        Err(error) => Err(io(error)),
    }
}

/// Writes [`PRE_COMMIT`] to `hook` atomically: a commit started meanwhile runs
/// either the old hook or the whole new one.
fn write_hook(folder: &Path, hook: &Path) -> Result<(), InstallError> {
    let io = |source| InstallError::Io {
        path: hook.to_owned(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix(".pre-commit.")
        .tempfile_in(folder)
        .map_err(io)?;
    file.write_all(PRE_COMMIT.as_bytes()).map_err(io)?;
    set_executable(file.path()).map_err(io)?;
    file.persist(hook).map_err(|error| io(error.error))?;
    Ok(())
}

/// Gives `path` the mode git's own sample hooks have (rwxr-xr-x).
#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions();
    if mode.mode() & 0o755 == 0o755 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode.mode() | 0o755))
}

/// Git for Windows runs hooks through its own sh, whatever the file's mode.
#[cfg(not(unix))]
fn set_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
