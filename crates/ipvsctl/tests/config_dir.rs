// SPDX-License-Identifier: MIT OR Apache-2.0
//! The configuration directory: the commands given no FILE read every
//! `*.toml` of `/etc/ipvsctl` (`--config-dir DIR` here, never /etc), an
//! empty or missing one is an error naming it, and the daemon lists it
//! again at each reload (and, with `autoreload`, when a file is added).

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::path::{Path, PathBuf};
use std::process::Command;

use ipvsctl::daemon::ReloadOutcome;

use fakes::{mail, Running};

const WWW: &str = r#"
[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "rr"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.11:80"
"#;

const MAIL: &str = r#"
[[virtual]]
name = "mail"
address = "10.0.0.2:25"
scheduler = "rr"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.21:25"
"#;

fn ipvsctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .env(
            "IPVSCTL_STATE_DIR",
            std::env::temp_dir().join("ipvsctl-config-dir-state"),
        )
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An empty directory of its own.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ipvsctl-config-dir-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn validate_reads_every_toml_of_the_directory_together() {
    let dir = scratch("validate");
    std::fs::write(dir.join("www.toml"), WWW).unwrap();
    std::fs::write(dir.join("mail.toml"), MAIL).unwrap();
    // Not read: the package's sample, dpkg's copy, an editor's swap file.
    std::fs::write(dir.join("site.toml.example"), "broken =").unwrap();
    std::fs::write(dir.join("www.toml.dpkg-dist"), "broken =").unwrap();
    std::fs::write(dir.join(".www.toml.swp"), "broken =").unwrap();
    let out = ipvsctl(&["validate", "--config-dir", text(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok: 2 virtual services, 2 reals\n");
    // Both files, read as one state: the same virtual in two is refused,
    // naming the second (sorted by name: mail.toml, then www.toml).
    std::fs::write(dir.join("www.toml"), format!("{WWW}{MAIL}")).unwrap();
    let out = ipvsctl(&["validate", "--config-dir", text(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    let www = dir.join("www.toml");
    assert!(
        stderr(&out).starts_with(&format!("error: {}:", www.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_or_missing_directory_is_an_error_naming_it_for_every_command() {
    let empty = scratch("empty");
    std::fs::write(empty.join("site.toml.example"), WWW).unwrap();
    let missing = empty.join("missing");
    for command in [
        &["validate"][..],
        &["validate", "--json"],
        &["check"],
        &["plan"],
        &["apply"],
        &["remove"],
    ] {
        let out = ipvsctl(&[command, &["--config-dir", text(&empty)]].concat());
        assert_eq!(out.status.code(), Some(1), "{command:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "error: no configuration: {} holds no *.toml file (write one, e.g. from the \
                 sample site.toml.example; or give FILE... or --config-dir DIR)\n",
                empty.display()
            ),
            "{command:?}"
        );
        assert!(stdout(&out).is_empty(), "{command:?}");
        let out = ipvsctl(&[command, &["--config-dir", text(&missing)]].concat());
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert_eq!(
            stderr(&out),
            format!(
                "error: no configuration: cannot read the directory {}: No such file or \
                 directory (os error 2); give FILE... or --config-dir DIR\n",
                missing.display()
            ),
            "{command:?}"
        );
    }
}

#[test]
fn run_with_an_empty_directory_stops_before_the_kernel_naming_it() {
    let empty = scratch("run-empty");
    let out = ipvsctl(&["run", "--config-dir", text(&empty)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "no configuration: {} holds no *.toml file",
            empty.display()
        )),
        "{log}"
    );
    // It stopped before the kernel (which has no IPVS on a host): nothing
    // about netlink or IPVS.
    assert!(!log.contains("IPVS") && !log.contains("netlink"), "{log}");
}

#[test]
fn files_and_a_directory_together_are_refused_and_the_default_is_etc_ipvsctl() {
    let dir = scratch("both");
    std::fs::write(dir.join("www.toml"), WWW).unwrap();
    let www = dir.join("www.toml");
    let out = ipvsctl(&["validate", text(&www), "--config-dir", text(&dir)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    // A file given alone is read whatever the directory holds.
    let out = ipvsctl(&["validate", text(&www)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for command in ["validate", "check", "plan", "apply", "remove", "run"] {
        let help = stdout(&ipvsctl(&[command, "--help"]));
        assert!(help.contains("[FILE]..."), "{command}: {help}");
        assert!(
            help.contains("--config-dir <DIR>") && help.contains("[default: /etc/ipvsctl]"),
            "{command}: {help}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_reload_lists_the_directory_again() {
    let daemon = Running::start_from_directory("dir-reload", WWW).await;
    assert_eq!(daemon.table.reals(&mail()), None);
    // A file added: in at the next reload, not before.
    std::fs::write(daemon.dir.join("mail.toml"), MAIL).unwrap();
    assert_eq!(daemon.status().await.virtuals.len(), 1);
    assert_eq!(daemon.reload_as_is().await, ReloadOutcome::Reloaded);
    assert!(daemon.table.reals(&mail()).is_some(), "mail not in");
    assert_eq!(daemon.status().await.virtuals.len(), 2);
    // A sample beside them is not read.
    std::fs::write(daemon.dir.join("site.toml.example"), "broken =").unwrap();
    assert_eq!(daemon.reload_as_is().await, ReloadOutcome::Reloaded);
    // A file removed: its virtual goes at the next reload.
    std::fs::remove_file(daemon.dir.join("mail.toml")).unwrap();
    assert_eq!(daemon.reload_as_is().await, ReloadOutcome::Reloaded);
    assert_eq!(daemon.table.reals(&mail()), None, "mail still in");
    // Every file gone: refused, the configuration in force goes on.
    std::fs::remove_file(daemon.config_file()).unwrap();
    assert_eq!(
        daemon.reload_as_is().await,
        ReloadOutcome::Refused { errors: 1 }
    );
    assert_eq!(daemon.status().await.virtuals.len(), 1);
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn autoreload_sees_a_file_added_to_the_directory() {
    let www = format!("[defaults]\nautoreload = true\n{WWW}");
    let daemon = Running::start_from_directory("dir-autoreload", &www).await;
    std::fs::write(daemon.dir.join("mail.toml"), MAIL).unwrap();
    daemon.until_autoreloads(1).await;
    assert_eq!(daemon.status().await.virtuals.len(), 2);
    assert!(daemon.table.reals(&mail()).is_some(), "mail not in");
    assert_eq!(daemon.stop().await, 0);
}

#[test]
fn the_reference_example_validates() {
    // docs/configuration.md (whence ipvsctl.toml(5)): its TOML example.
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .unwrap();
    let examples: Vec<&str> = reference
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(examples.len(), 1);
    let dir = scratch("reference");
    std::fs::write(dir.join("example.toml"), examples[0]).unwrap();
    let out = ipvsctl(&["validate", "--config-dir", text(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok: 1 virtual service, 2 reals\n");
}
