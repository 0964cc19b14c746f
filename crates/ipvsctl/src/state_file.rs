// SPDX-License-Identifier: MIT OR Apache-2.0
//! Replacing a state file safely: the ownership record under `/run` and
//! the overrides under `/var/lib` are written the same way.
//!
//! - The new contents go to a temporary file of a name used once (pid and a
//!   counter), created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`): a name
//!   planted in the directory (a symlink to another file, say) is never
//!   opened, and two saves at once never share a file.
//! - Its mode is set explicitly (`fchmod`), not left to the umask; written,
//!   fsynced, renamed over the file (a symlink planted at the file's own name
//!   is replaced, not followed), then the directory is fsynced so that the
//!   rename itself is on disk.
//! - Directories made on the way get [`DIRECTORY_MODE`], explicitly too;
//!   directories that exist keep the mode their owner gave them.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The mode of a state file: the daemon's to write, anyone's to read (the
/// record and the overrides hold nothing secret; `ipvsctl plan` reads the
/// record).
pub const FILE_MODE: u32 = 0o644;

/// The mode of a state directory ipvsctl makes.
pub const DIRECTORY_MODE: u32 = 0o755;

/// Temporary names tried before giving up (each taken one means another
/// writer of this pid and counter: in practice never more than one).
const TRIES: u32 = 64;

/// Replaces `path` with `contents` atomically, as the module says, making
/// its directory (and missing parents) first.
pub fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    create_dir(dir)?;
    let (mut file, temporary) = create_unique(dir, &name.to_string_lossy())?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.set_permissions(Permissions::from_mode(FILE_MODE)))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    // The rename itself, on disk.
    File::open(dir)?.sync_all()
}

/// Makes `dir` and its missing parents, each with [`DIRECTORY_MODE`]
/// whatever the umask; a directory that exists is left as it is.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => std::fs::set_permissions(d, Permissions::from_mode(DIRECTORY_MODE))?,
            // Made meanwhile by another writer: theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A new file `.<name>.<pid>.<n>.tmp` in `dir`, created exclusively.
fn create_unique(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last = None;
    for _ in 0..TRIES {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temporary = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temporary)
        {
            Ok(file) => return Ok((file, temporary)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary name free")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ipvsctl-state-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn a_symlink_planted_at_the_files_name_is_replaced_not_followed() {
        let dir = scratch("link-at-name");
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.join("state");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        replace(&path, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert!(leftovers(&dir).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("failed");
        let path = dir.join("state");
        std::fs::write(&path, "old").unwrap();
        // A directory at the file's name: the rename fails.
        let blocked = dir.join("blocked");
        std::fs::create_dir_all(blocked.join("x")).unwrap();
        assert!(replace(&blocked, b"new").is_err());
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
