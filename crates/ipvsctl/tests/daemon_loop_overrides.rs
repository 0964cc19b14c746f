// SPDX-License-Identifier: MIT OR Apache-2.0
//! Overrides and maintenance files in the daemon's loop, on the host: a
//! table in memory, the transitions sent by the test, paused time. What
//! the lab shows with real traffic (tests/kernel_ops.rs), rule by rule.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use health::Health::Up;
use ipvsctl::daemon::protocol::{
    Changed, ChangedReal, ReloadOutcome, Request, Response, Selection, Weighting,
};

use fakes::{www, Running, TWO_REALS};

fn real(address: &str) -> Selection {
    Selection {
        real: address.to_string(),
        virtual_: None,
        reason: None,
    }
}

fn changed(reals: &[&str]) -> Response {
    Response::Changed(Changed {
        reals: reals
            .iter()
            .map(|r| ChangedReal {
                service: "tcp 10.0.0.1:80".to_string(),
                real: r.to_string(),
            })
            .collect(),
    })
}

async fn both_up(daemon: &Running) {
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
}

#[tokio::test(start_paused = true)]
async fn drain_weight_disable_and_enable() {
    let daemon = Running::start("overrides", TWO_REALS).await;
    both_up(&daemon).await;
    let answer = daemon.ask(Request::Drain(real("10.0.0.11"))).await;
    assert_eq!(answer, changed(&["10.0.0.11:80"]));
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 1)])
        .await;
    let weight = Request::Weight(Weighting {
        selection: real("10.0.0.12:80"),
        weight: 5,
    });
    assert_eq!(daemon.ask(weight).await, changed(&["10.0.0.12:80"]));
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 5)])
        .await;
    daemon.ask(Request::Disable(real("10.0.0.11"))).await;
    daemon.until_reals(&www(), &[("10.0.0.12:80", 5)]).await;
    // Back under its checks, which said up all along.
    daemon.ask(Request::Enable(real("10.0.0.11"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 5)])
        .await;
    daemon.ask(Request::Enable(real("10.0.0.12"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn drained_and_disabled_reals_are_not_up_for_the_fallback() {
    let daemon = Running::start("override-fallback", TWO_REALS).await;
    both_up(&daemon).await;
    daemon.ask(Request::Drain(real("10.0.0.11"))).await;
    daemon.ask(Request::Disable(real("10.0.0.12"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("127.0.0.1:80", 1)])
        .await;
    daemon.ask(Request::Enable(real("10.0.0.12"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 1)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn an_override_survives_a_reload_and_a_restart() {
    let daemon = Running::start("override-kept", TWO_REALS).await;
    both_up(&daemon).await;
    let drain = Selection {
        reason: Some("kernel update".to_string()),
        ..real("10.0.0.11")
    };
    daemon.ask(Request::Drain(drain)).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 1)])
        .await;
    // A change of configuration that keeps the real.
    let changed = TWO_REALS.replace("\"rr\"", "\"wrr\"");
    assert_eq!(daemon.reload(&changed).await, ReloadOutcome::Reloaded);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 1)])
        .await;
    // A restart: the drained real is adopted as it is, not taken out.
    let daemon = daemon.restart().await;
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.11:80"),
        Some(true)
    );
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 0), ("10.0.0.12:80", 1)])
        .await;
    let status = daemon.status().await;
    let shown = status.virtuals[0].reals[0].override_.clone().unwrap();
    assert_eq!(shown.action, "drain");
    assert_eq!(shown.who, "root");
    assert_eq!(shown.reason.as_deref(), Some("kernel update"));
    assert!(status.virtuals[0].reals[1].override_.is_none());
    // Its checks went on: enabled, it is up at once.
    daemon.ask(Request::Enable(real("10.0.0.11"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn an_override_of_a_real_the_configuration_drops_goes_with_it() {
    let daemon = Running::start("override-dropped", TWO_REALS).await;
    both_up(&daemon).await;
    daemon.ask(Request::Disable(real("10.0.0.12"))).await;
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    let overrides = daemon.dir.join("overrides.json");
    assert!(std::fs::read_to_string(&overrides)
        .unwrap()
        .contains("10.0.0.12:80"));
    let without = TWO_REALS.replace("\n  [[virtual.real]]\n  address = \"10.0.0.12:80\"\n", "");
    assert_eq!(daemon.reload(&without).await, ReloadOutcome::Reloaded);
    assert!(!std::fs::read_to_string(&overrides)
        .unwrap()
        .contains("10.0.0.12:80"));
    // Back in the configuration: no override, under its checks.
    assert_eq!(daemon.reload(TWO_REALS).await, ReloadOutcome::Reloaded);
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    daemon.until_override("10.0.0.12:80", None).await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_real_or_virtual_is_refused_naming_what_exists() {
    let daemon = Running::start("override-unknown", TWO_REALS).await;
    assert_eq!(
        daemon.ask(Request::Drain(real("10.0.0.99"))).await,
        Response::Error("no real `10.0.0.99`; the reals are: 10.0.0.11:80, 10.0.0.12:80".into())
    );
    let elsewhere = Selection {
        virtual_: Some("mail".to_string()),
        ..real("10.0.0.11")
    };
    assert_eq!(
        daemon.ask(Request::Disable(elsewhere)).await,
        Response::Error(
            "no virtual service `mail`; the virtuals are: www (tcp 10.0.0.1:80)".into()
        )
    );
    assert!(!daemon.dir.join("overrides.json").exists());
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_override_file_does_not_stop_the_daemon() {
    let daemon = Running::start("override-corrupt", TWO_REALS).await;
    std::fs::write(daemon.dir.join("overrides.json"), "{ not json").unwrap();
    let daemon = daemon.restart().await;
    both_up(&daemon).await;
    daemon.ask(Request::Drain(real("10.0.0.12"))).await;
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 0)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_maintenance_file_takes_a_real_out_and_its_removal_brings_it_back() {
    let dir = std::env::temp_dir().join(format!("ipvsctl-maintenance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let with_dir = TWO_REALS.replace(
        "check_timeout = 1\n",
        &format!(
            "check_timeout = 1\nmaintenance_dir = \"{}\"\n",
            dir.display()
        ),
    );
    let daemon = Running::start("maintenance", &with_dir).await;
    both_up(&daemon).await;
    let file = dir.join("10.0.0.11");
    std::fs::write(&file, "").unwrap();
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    daemon
        .until_override("10.0.0.11:80", Some("maintenance"))
        .await;
    let status = daemon.status().await;
    let shown = status.virtuals[0].reals[0].override_.clone().unwrap();
    assert_eq!(shown.who, file.display().to_string());
    // The port form, for the other real.
    std::fs::write(dir.join("10.0.0.12:80"), "").unwrap();
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_file(dir.join("10.0.0.12:80")).unwrap();
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    daemon.until_override("10.0.0.11:80", None).await;
    assert_eq!(daemon.stop().await, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
