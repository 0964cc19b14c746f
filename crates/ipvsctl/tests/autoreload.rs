// SPDX-License-Identifier: MIT OR Apache-2.0
//! `autoreload` on the host: the daemon's loop on a table in memory, its
//! configuration file edited the ways operators and their tools do, and
//! real inotify events (so real time here, each wait bounded). Every
//! reload is counted on its way from the watcher to the loop.
//!
//! The debounce itself (a burst is one reload, an unchanged file none) is
//! shown with paused time in `src/daemon/autoreload.rs`.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use ipvs::Sysctl;
use ipvsctl::daemon::autoreload::DEBOUNCE;

use fakes::{mail, Running};

const WWW: &str = r#"
[defaults]
autoreload = true

[timeouts]
udp = 60

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
"#;

/// The configuration with the mail virtual added.
fn with_mail() -> String {
    format!("{WWW}{MAIL}")
}

/// Waits (bounded) until the mail virtual is in the table.
async fn until_mail(daemon: &Running) {
    daemon.until_reals(&mail(), &[]).await;
}

#[tokio::test]
async fn an_edit_is_reloaded_without_a_signal_with_its_timeouts_and_sysctls() {
    let daemon = Running::start("autoreload-edit", WWW).await;
    // At start: [timeouts] udp, the others left as the kernel had them.
    assert_eq!(daemon.table.settings().timeouts.udp, 60);
    assert_eq!(daemon.table.settings().timeouts.tcp, 900);
    assert_eq!(daemon.table.reals(&mail()), None);
    let edited = with_mail().replace(
        "udp = 60\n",
        "udp = 60\ntcp = 7200\n\n[kernel]\nexpire_quiescent_template = true\n",
    );
    std::fs::write(daemon.config_file(), edited).unwrap();
    daemon.until_autoreloads(1).await;
    until_mail(&daemon).await;
    assert_eq!(daemon.table.settings().timeouts.tcp, 7200);
    assert_eq!(
        daemon.table.settings().sysctls[&Sysctl::ExpireQuiescentTemplate],
        1
    );
    assert_eq!(daemon.autoreloads(), 1);
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn a_new_file_renamed_over_the_old_is_reloaded() {
    let daemon = Running::start("autoreload-rename", WWW).await;
    // What vim (backupcopy=no), sed -i and configuration managers do.
    let temporary = daemon.dir.join(".www.toml.swp");
    std::fs::write(&temporary, with_mail()).unwrap();
    std::fs::rename(&temporary, daemon.config_file()).unwrap();
    daemon.until_autoreloads(1).await;
    until_mail(&daemon).await;
    // The new file (a new inode) is watched as well as the old was.
    std::fs::write(&temporary, WWW).unwrap();
    std::fs::rename(&temporary, daemon.config_file()).unwrap();
    daemon.until_autoreloads(2).await;
    assert_eq!(daemon.table.reals(&mail()), None, "mail still in");
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn a_broken_edit_is_refused_and_the_old_configuration_goes_on() {
    let daemon = Running::start("autoreload-broken", WWW).await;
    let broken = with_mail().replace("scheduler = \"rr\"", "scheduler = \"wlcx\"");
    std::fs::write(daemon.config_file(), broken).unwrap();
    daemon.until_autoreloads(1).await;
    let status = daemon.status().await;
    assert_eq!(status.virtuals.len(), 1, "the broken file was taken");
    assert_eq!(daemon.table.reals(&mail()), None);
    // Fixed: the next save is reloaded.
    std::fs::write(daemon.config_file(), with_mail()).unwrap();
    daemon.until_autoreloads(2).await;
    until_mail(&daemon).await;
    assert_eq!(daemon.status().await.virtuals.len(), 2);
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn a_file_removed_then_written_again_is_reloaded() {
    let daemon = Running::start("autoreload-removed", WWW).await;
    std::fs::remove_file(daemon.config_file()).unwrap();
    // Refused (cannot read): the old configuration goes on.
    daemon.until_autoreloads(1).await;
    assert_eq!(daemon.status().await.virtuals.len(), 1);
    std::fs::write(daemon.config_file(), with_mail()).unwrap();
    daemon.until_autoreloads(2).await;
    until_mail(&daemon).await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn autoreload_turned_off_by_a_reload_stops_watching() {
    let daemon = Running::start("autoreload-off", WWW).await;
    let off = with_mail().replace("autoreload = true", "autoreload = false");
    std::fs::write(daemon.config_file(), &off).unwrap();
    daemon.until_autoreloads(1).await;
    until_mail(&daemon).await;
    // No longer watched: an edit now is not reloaded. (A negative can
    // only be shown by waiting: ten times the debounce; the edits above
    // were each reloaded well within it.)
    std::fs::write(daemon.config_file(), WWW.replace("autoreload = true", "")).unwrap();
    tokio::time::sleep(DEBOUNCE * 10).await;
    assert_eq!(daemon.autoreloads(), 1);
    assert!(
        daemon.table.reals(&mail()).is_some(),
        "the edit was reloaded"
    );
    // A reload by hand (SIGHUP) that turns it on again watches again.
    daemon.reload(WWW).await;
    std::fs::write(daemon.config_file(), with_mail()).unwrap();
    daemon.until_autoreloads(2).await;
    until_mail(&daemon).await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn without_autoreload_nothing_is_watched() {
    let daemon = Running::start("autoreload-never", &WWW.replace("autoreload = true", "")).await;
    std::fs::write(daemon.config_file(), with_mail()).unwrap();
    tokio::time::sleep(DEBOUNCE * 10).await;
    assert_eq!(daemon.autoreloads(), 0);
    assert_eq!(daemon.table.reals(&mail()), None);
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test]
async fn an_edit_reloaded_by_hand_is_not_reloaded_again() {
    let daemon = Running::start("autoreload-by-hand", WWW).await;
    // The operator saves and reloads at once (SIGHUP, `ipvsctl reload`),
    // before the watch's debounce has run out.
    daemon.reload(&with_mail()).await;
    until_mail(&daemon).await;
    // A negative, shown by waiting ten times the debounce.
    tokio::time::sleep(DEBOUNCE * 10).await;
    assert_eq!(daemon.autoreloads(), 0, "the edit was reloaded twice");
    // The next edit is reloaded as usual.
    std::fs::write(daemon.config_file(), WWW).unwrap();
    daemon.until_autoreloads(1).await;
    assert_eq!(daemon.stop().await, 0);
}
