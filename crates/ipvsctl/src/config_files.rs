// SPDX-License-Identifier: MIT OR Apache-2.0
//! Which configuration files a command reads: the FILEs given on the
//! command line, or else every `*.toml` of the configuration directory
//! (`/etc/ipvsctl` unless `--config-dir DIR`), sorted by name, as
//! ldirectord reads `/etc/ha.d/ldirectord.cf` when given no file.
//!
//! In the directory, a name must end in `.toml` and not start with a dot:
//! an editor's `.site.toml.swp`, dpkg's `site.toml.dpkg-dist` and the
//! package's `site.toml.example` are not read. `.cf` files are read only
//! when named.

use std::io;
use std::path::{Path, PathBuf};

/// The configuration directory read when no FILE is given.
pub const DEFAULT_DIR: &str = "/etc/ipvsctl";

/// Where a command's configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFiles {
    /// These files, as given.
    Given(Vec<PathBuf>),
    /// Every `*.toml` of this directory, listed again at each reload.
    Directory(PathBuf),
}

/// Why a configuration directory gives no files.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// It cannot be listed (missing, not a directory, no permission).
    #[error(
        "no configuration: cannot read the directory {dir}: {error}; \
         give FILE... or --config-dir DIR"
    )]
    Unreadable {
        /// The directory.
        dir: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// It holds no `*.toml` file.
    #[error(
        "no configuration: {dir} holds no *.toml file (write one, e.g. from \
         the sample site.toml.example; or give FILE... or --config-dir DIR)"
    )]
    Empty {
        /// The directory.
        dir: PathBuf,
    },
}

impl ConfigFiles {
    /// From the command line: the files when any are given (the command
    /// line refuses them together with `--config-dir`), else the directory
    /// (`--config-dir`, or [`DEFAULT_DIR`]).
    pub fn from_args(files: Vec<PathBuf>, config_dir: Option<PathBuf>) -> Self {
        if files.is_empty() {
            ConfigFiles::Directory(config_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)))
        } else {
            ConfigFiles::Given(files)
        }
    }

    /// The directory, when the files come from one.
    pub fn directory(&self) -> Option<&Path> {
        match self {
            ConfigFiles::Given(_) => None,
            ConfigFiles::Directory(dir) => Some(dir),
        }
    }

    /// The files to read now.
    pub fn list(&self) -> Result<Vec<PathBuf>, DirectoryError> {
        match self {
            ConfigFiles::Given(files) => Ok(files.clone()),
            ConfigFiles::Directory(dir) => toml_files_in(dir),
        }
    }
}

/// The `*.toml` files of `dir` (not hidden ones), sorted by name; an error
/// when it cannot be listed or holds none.
pub fn toml_files_in(dir: &Path) -> Result<Vec<PathBuf>, DirectoryError> {
    let unreadable = |error| DirectoryError::Unreadable {
        dir: dir.to_path_buf(),
        error,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !name.ends_with(".toml") {
            continue;
        }
        let path = entry.path();
        // Through a symbolic link: a link to a file counts.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(DirectoryError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ipvsctl-config-files-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_given_win_and_the_default_directory_is_etc_ipvsctl() {
        let given = ConfigFiles::from_args(vec!["a.toml".into()], None);
        assert_eq!(given, ConfigFiles::Given(vec!["a.toml".into()]));
        assert_eq!(given.directory(), None);
        assert_eq!(
            ConfigFiles::from_args(Vec::new(), None),
            ConfigFiles::Directory("/etc/ipvsctl".into())
        );
        assert_eq!(
            ConfigFiles::from_args(Vec::new(), Some("/srv/lvs".into())).directory(),
            Some(Path::new("/srv/lvs"))
        );
    }

    #[test]
    fn only_visible_toml_files_sorted_by_name() {
        let dir = scratch("listing");
        for name in [
            "b.toml",
            "a.toml",
            ".a.toml",
            "site.toml.example",
            "site.toml.dpkg-dist",
            "old.cf",
            "c.toml~",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        std::fs::create_dir(dir.join("d.toml")).unwrap();
        std::os::unix::fs::symlink(dir.join("b.toml"), dir.join("e.toml")).unwrap();
        std::os::unix::fs::symlink(dir.join("gone"), dir.join("f.toml")).unwrap();
        let files = toml_files_in(&dir).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml", "e.toml"]);
    }

    #[test]
    fn an_empty_or_missing_directory_is_an_error_naming_it() {
        let dir = scratch("empty");
        std::fs::write(dir.join("site.toml.example"), "").unwrap();
        let empty = toml_files_in(&dir).unwrap_err();
        assert!(matches!(empty, DirectoryError::Empty { .. }));
        assert!(empty
            .to_string()
            .contains(&format!("{} holds no *.toml", dir.display())));
        let missing = dir.join("missing");
        let error = ConfigFiles::Directory(missing.clone()).list().unwrap_err();
        assert!(matches!(error, DirectoryError::Unreadable { .. }));
        assert!(error
            .to_string()
            .contains(&format!("cannot read the directory {}", missing.display())));
    }
}
