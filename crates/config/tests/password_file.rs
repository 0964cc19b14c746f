// SPDX-License-Identifier: MIT OR Apache-2.0
//! `password_file`: a check's password kept out of the configuration, and
//! the warning when a file holding a password can be read by any user.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use config::model::CheckKind;
use config::{load, write};

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-pw-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn mysql(password: &str) -> String {
    format!(
        "[[virtual]]\naddress = \"10.0.0.1:3306\"\n\
         check = {{ type = \"mysql\", login = \"check\", {password}, request = \"SELECT 1\" }}\n"
    )
}

/// Loads one file: the configuration's warnings, or its errors.
fn warnings(path: &Path) -> Result<Vec<String>, Vec<String>> {
    match load(&[path.to_path_buf()]) {
        Ok(loaded) => Ok(loaded.warnings.iter().map(ToString::to_string).collect()),
        Err(d) => Err(d.iter().map(ToString::to_string).collect()),
    }
}

#[test]
fn the_password_is_the_first_line_of_the_file_and_convert_names_the_file() {
    let dir = folder("read");
    file(
        &dir,
        "mysql.pw",
        "s3cret\nanything after the first line\n",
        0o600,
    );
    let config = file(
        &dir,
        "c.toml",
        &mysql("password_file = \"mysql.pw\""),
        0o644,
    );
    let loaded = load(&[config]).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let CheckKind::Mysql(q) = &loaded.config.virtuals[0].check.kind else {
        panic!("not a mysql check");
    };
    assert_eq!(q.password.as_str(), "s3cret");
    assert_eq!(q.password.file(), Some(dir.join("mysql.pw").as_path()));
    let written = write::to_toml(&loaded.config, "");
    assert!(!written.contains("s3cret"), "{written}");
    assert!(
        written.contains(&format!(
            "password_file = \"{}\"",
            dir.join("mysql.pw").display()
        )),
        "{written}"
    );
}

#[test]
fn a_password_any_user_can_read_is_warned_about_once_per_file() {
    let dir = folder("readable");
    // Inline, in a file readable by all: one warning, however many checks.
    let two = format!(
        "{}{}",
        mysql("password = \"x\""),
        mysql("password = \"y\"").replace("3306", "3307")
    );
    let config = file(&dir, "open.toml", &two, 0o644);
    let found = warnings(&config).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("open.toml holds a password and any user can read it (mode 0644)"),
        "{found:?}"
    );
    // The same file closed to others: nothing to say.
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(warnings(&config), Ok(vec![]));
    // A password file readable by all.
    file(&dir, "open.pw", "x\n", 0o604);
    let config = file(&dir, "c.toml", &mysql("password_file = \"open.pw\""), 0o644);
    let found = warnings(&config).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("virtual[0].check.password_file: any user can read"),
        "{found:?}"
    );
    assert!(found[0].contains("(mode 0604)"), "{found:?}");
}

#[test]
fn what_is_refused() {
    let dir = folder("refused");
    file(&dir, "empty.pw", "\n", 0o600);
    let cases = [
        (
            "password = \"x\", password_file = \"empty.pw\"",
            "virtual[0].check.password_file: password and password_file are one or the other",
        ),
        (
            "password_file = \"empty.pw\"",
            "is empty: its first line is the password",
        ),
        ("password_file = \"missing.pw\"", "cannot read"),
        ("password_file = \".\"", "is not a file"),
    ];
    for (setting, wanted) in cases {
        let config = file(&dir, "c.toml", &mysql(setting), 0o600);
        let errors = warnings(&config).unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains(wanted)),
            "{setting}: {errors:?}"
        );
    }
    let connect = file(
        &dir,
        "connect.toml",
        "[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { password_file = \"empty.pw\" }\n",
        0o600,
    );
    let errors = warnings(&connect).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("password_file: only for the checks that log in")),
        "{errors:?}"
    );
}

#[test]
fn every_check_that_takes_a_password_takes_a_password_file() {
    let dir = folder("kinds");
    file(&dir, "pw", "s3cret\n", 0o600);
    for check in [
        r#"type = "mysql", login = "check", request = "SELECT 1""#,
        r#"type = "pgsql", login = "check", request = "SELECT 1""#,
        r#"type = "ldap", login = "cn=check""#,
        r#"type = "imap", login = "check""#,
        r#"type = "smtp", login = "check""#,
        r#"type = "ftp", login = "check""#,
        r#"type = "radius", login = "check", secret = "s""#,
    ] {
        let text = format!(
            "[[virtual]]\naddress = \"10.0.0.1:1812\"\nprotocol = \"udp\"\n\
             check = {{ {check}, password_file = \"pw\" }}\n"
        );
        let config = file(&dir, "c.toml", &text, 0o600);
        let loaded = load(&[config]).unwrap_or_else(|d| panic!("{check}: {d:?}"));
        let written = write::to_toml(&loaded.config, "");
        assert!(!written.contains("s3cret"), "{check}: {written}");
        assert!(written.contains("password_file = "), "{check}: {written}");
    }
}
