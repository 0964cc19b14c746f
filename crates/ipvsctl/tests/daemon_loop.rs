// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's loop on the host, with no kernel: a table in memory, the
//! transitions sent by the test, paused time. What the lab shows with real
//! traffic (tests/lab/daemon.sh), shown here rule by rule.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use health::Health::{Down, Up};
use ipvsctl::daemon::ReloadOutcome;

use fakes::{mail, www, Running, TWO_REALS};

#[tokio::test(start_paused = true)]
async fn a_transition_replans_only_its_virtual() {
    let two_virtuals = format!(
        "{TWO_REALS}\n{}",
        r#"
[[virtual]]
address = "10.0.0.2:25"
scheduler = "rr"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.21:25"
"#
    );
    let daemon = Running::start("only-its-virtual", &two_virtuals).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.health(&mail(), "10.0.0.21:25", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    daemon.until_reals(&mail(), &[("10.0.0.21:25", 1)]).await;
    // By hand, behind the daemon's back: only a change of mail's own
    // health (or a reload) may undo it.
    daemon.table.set_by_hand(&mail(), "10.0.0.21:25", 9);
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    daemon.health(&www(), "10.0.0.11:80", Down);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    assert_eq!(
        daemon.table.reals(&mail()),
        Some(vec![("10.0.0.21:25".to_string(), 9)]),
        "a transition of www re-planned mail"
    );
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn the_fallback_goes_in_exactly_when_the_last_real_is_down() {
    let daemon = Running::start("fallback", TWO_REALS).await;
    // Starting: no real has had its first check; the fallback waits.
    daemon.until_reals(&www(), &[]).await;
    daemon.past_the_start().await;
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    daemon.health(&www(), "10.0.0.11:80", Down);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    daemon.health(&www(), "10.0.0.12:80", Down);
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_broken_reload_keeps_the_old_config_and_health() {
    let daemon = Running::start("broken-reload", TWO_REALS).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    let reconciles = daemon.checks.reconciles();
    let broken = TWO_REALS.replace("\"rr\"", "\"wlcx\"");
    let outcome = daemon.reload(&broken).await;
    assert_eq!(outcome, ReloadOutcome::Refused { errors: 1 });
    assert_eq!(
        outcome.to_string(),
        "reload refused: 1 error(s); going on with the old configuration"
    );
    assert!(!outcome.is_in());
    assert_eq!(daemon.checks.reconciles(), reconciles, "the checks changed");
    let status = daemon.status().await;
    assert_eq!(status.virtuals.len(), 1);
    assert_eq!(status.virtuals[0].name.as_deref(), Some("www"));
    // The old configuration goes on, with the health it had: the next
    // transition is planned with both.
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_reload_keeps_the_health_of_unchanged_reals() {
    let daemon = Running::start("reload-keeps-health", TWO_REALS).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    // 10.0.0.12 is down, yet in the table by hand: what the daemon knows
    // of its health counts, not what the table suggests.
    daemon.table.set_by_hand(&www(), "10.0.0.12:80", 1);
    let changed = format!(
        "{}\n  weight = 5\n\n  [[virtual.real]]\n  address = \"10.0.0.13:80\"\n",
        TWO_REALS.trim_end()
    );
    let outcome = daemon.reload(&changed).await;
    assert_eq!(outcome, ReloadOutcome::Reloaded);
    assert_eq!(outcome.to_string(), "reloaded");
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.11:80"),
        Some(true)
    );
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.12:80"),
        Some(false)
    );
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.13:80"),
        Some(false)
    );
    // The new settings apply from the next transition on.
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 5)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

/// A reload whose file does not come (here a FIFO no one writes yet; in
/// life a `.cf` host name whose resolver does not answer) holds only its
/// own read, off the loop: transitions are still taken and `status` still
/// answered meanwhile, and the reload ends when the file comes.
#[tokio::test]
async fn a_reload_that_waits_for_its_file_holds_up_nothing_else() {
    let daemon = Running::start("reload-waits", TWO_REALS).await;
    std::fs::remove_file(&daemon.config).unwrap();
    let fifo = std::ffi::CString::new(daemon.config.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    daemon.sighup();
    // The reload's read now waits in open() for a writer.
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    daemon.status().await;
    // The file comes: the second real now has weight 3.
    let path = daemon.config.clone();
    let toml = TWO_REALS.replace(
        "address = \"10.0.0.12:80\"",
        "address = \"10.0.0.12:80\"\n  weight = 3",
    );
    let writer = std::thread::spawn(move || std::fs::write(path, toml).unwrap());
    writer.join().unwrap();
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 3)])
        .await;
    // A regular file again, for the daemon's stop.
    std::fs::remove_file(&daemon.config).unwrap();
    assert_eq!(daemon.stop().await, 0);
}
