// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's loop on the host (a table in memory, transitions sent by
//! the test, paused time, as in daemon_loop.rs): the events it hands to
//! the hook runner, in order, each with the hooks that run on it.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::time::Duration;

use health::Health::{Down, Up};
use ipvs::ServiceKey;
use ipvsctl::daemon::events::{DaemonState, Event, Fired};
use ipvsctl::daemon::ReloadOutcome;
use tokio::sync::mpsc::Receiver;

use fakes::{mail, www, Running};

const SITE: &str = r#"
[defaults]
check_interval = 5
check_timeout = 1

[[hook]]
events = "*"
command = ["/bin/true", "every"]

[[hook]]
events = ["fallback-in", "fallback-out"]
command = ["/bin/true", "fallback"]

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.11:80"

  [[virtual.real]]
  address = "10.0.0.12:80"

  [[virtual.hook]]
  events = ["real-down"]
  command = ["/bin/true", "www"]

[[virtual]]
address = "10.0.0.2:25"
scheduler = "rr"
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.21:25"
"#;

/// The next event (virtual time: waiting costs nothing).
async fn next(events: &mut Receiver<Fired>) -> Fired {
    tokio::time::timeout(Duration::from_secs(600), events.recv())
        .await
        .expect("an event")
        .expect("the loop is running")
}

/// The second word of each hook's command: which hooks run.
fn hooks(fired: &Fired) -> Vec<&str> {
    fired
        .hooks
        .iter()
        .map(|h| h.command.get(1).map_or("", String::as_str))
        .collect()
}

fn down(real: &str) -> Event {
    Event::RealDown {
        service: www(),
        real: real.parse().unwrap(),
        reason: "told by the test".to_string(),
    }
}

fn up(service: ServiceKey, real: &str) -> Event {
    Event::RealUp {
        service,
        real: real.parse().unwrap(),
        reason: "told by the test".to_string(),
    }
}

fn fallback_in() -> Event {
    Event::FallbackIn {
        service: www(),
        fallback: "127.0.0.1:80".parse().unwrap(),
    }
}

fn fallback_out() -> Event {
    Event::FallbackOut {
        service: www(),
        fallback: "127.0.0.1:80".parse().unwrap(),
    }
}

#[tokio::test(start_paused = true)]
async fn real_down_and_the_fallback_going_in_and_out_are_events() {
    let (daemon, mut events) = Running::start_with_events("events-fallback", SITE).await;
    // A first good check while starting.
    daemon.health(&www(), "10.0.0.11:80", Up);
    let first = next(&mut events).await;
    assert_eq!(first.event, up(www(), "10.0.0.11:80"));
    assert_eq!(first.state, DaemonState::Starting);
    assert_eq!(first.virtual_name.as_deref(), Some("www"));
    assert_eq!(hooks(&first), ["every"]);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    // The last real up goes down: the real, then the fallback.
    daemon.health(&www(), "10.0.0.11:80", Down);
    let real = next(&mut events).await;
    assert_eq!(real.event, down("10.0.0.11:80"));
    assert_eq!(real.state, DaemonState::Running);
    assert_eq!(hooks(&real), ["every", "www"]);
    let fallback = next(&mut events).await;
    assert_eq!(fallback.event, fallback_in());
    assert_eq!(hooks(&fallback), ["every", "fallback"]);
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    // Another real down: no change of the fallback.
    daemon.health(&www(), "10.0.0.12:80", Down);
    assert_eq!(next(&mut events).await.event, down("10.0.0.12:80"));
    // One comes back: the fallback goes out.
    daemon.health(&www(), "10.0.0.12:80", Up);
    assert_eq!(next(&mut events).await.event, up(www(), "10.0.0.12:80"));
    let out = next(&mut events).await;
    assert_eq!(out.event, fallback_out());
    assert_eq!(hooks(&out), ["every", "fallback"]);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    // Another virtual's event gets the global hooks only.
    daemon.health(&mail(), "10.0.0.21:25", Up);
    let mail_up = next(&mut events).await;
    assert_eq!(mail_up.event, up(mail(), "10.0.0.21:25"));
    assert_eq!(mail_up.virtual_name, None);
    assert_eq!(hooks(&mail_up), ["every"]);
    assert!(events.try_recv().is_err(), "one event too many");
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn the_fallback_going_in_after_the_start_is_an_event_and_a_restart_is_not() {
    let (daemon, mut events) = Running::start_with_events("events-start", SITE).await;
    daemon.past_the_start().await;
    assert_eq!(next(&mut events).await.event, fallback_in());
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    // A daemon started on a table with the fallback in: nothing to tell.
    let table = daemon.table.clone();
    assert_eq!(daemon.stop().await, 0);
    let (again, mut events) = Running::start_on_with_events("events-restart", SITE, table).await;
    again.past_the_start().await;
    again.health(&www(), "10.0.0.11:80", Down);
    assert_eq!(next(&mut events).await.event, down("10.0.0.11:80"));
    assert!(
        events.try_recv().is_err(),
        "the adopted fallback was an event"
    );
    assert_eq!(again.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn reloads_applied_and_refused_are_events() {
    let (daemon, mut events) = Running::start_with_events("events-reload", SITE).await;
    let broken = SITE.replace("\"rr\"", "\"wlcx\"");
    let outcome = daemon.reload(&broken).await;
    assert_eq!(outcome, ReloadOutcome::Refused { errors: 2 });
    let refused = next(&mut events).await;
    match &refused.event {
        Event::ReloadRefused { errors: 2, first } => {
            assert!(first.contains("unknown scheduler `wlcx`"), "{first}");
            assert!(first.contains("www.toml:"), "{first}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(refused.state, DaemonState::Reloading);
    assert_eq!(hooks(&refused), ["every"]);
    assert_eq!(daemon.reload(SITE).await, ReloadOutcome::Reloaded);
    let applied = next(&mut events).await;
    assert_eq!(applied.event, Event::ReloadApplied { problem: None });
    assert_eq!(applied.state, DaemonState::Reloading);
    assert_eq!(applied.config.file_name().unwrap(), "www.toml");
    // The hooks of the new configuration run on its reload.
    let quiet = SITE.replace("events = \"*\"", "events = [\"real-up\"]");
    assert_eq!(daemon.reload(&quiet).await, ReloadOutcome::Reloaded);
    daemon.health(&www(), "10.0.0.11:80", Up);
    let real = next(&mut events).await;
    assert_eq!(real.event, up(www(), "10.0.0.11:80"));
    assert!(events.try_recv().is_err(), "one event too many");
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn drains_disables_and_enables_are_events_and_the_last_real_out_brings_the_fallback() {
    use ipvsctl::daemon::protocol::{Request, Selection};
    let select = |real: &str, reason: Option<&str>| Selection {
        real: real.to_string(),
        virtual_: None,
        reason: reason.map(str::to_string),
    };
    let (daemon, mut events) = Running::start_with_events("events-overrides", SITE).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    assert_eq!(next(&mut events).await.event, up(www(), "10.0.0.11:80"));
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    daemon
        .ask(Request::Drain(select("10.0.0.11", Some("kernel update"))))
        .await;
    let drained = next(&mut events).await;
    assert_eq!(
        drained.event,
        Event::RealDrained {
            service: www(),
            real: "10.0.0.11:80".parse().unwrap(),
            reason: "kernel update (by root)".to_string(),
        }
    );
    assert_eq!(hooks(&drained), ["every"]);
    // The only real up is drained: it no longer counts, the fallback goes in.
    assert_eq!(next(&mut events).await.event, fallback_in());
    daemon.ask(Request::Enable(select("10.0.0.11", None))).await;
    assert_eq!(
        next(&mut events).await.event,
        Event::RealEnabled {
            service: www(),
            real: "10.0.0.11:80".parse().unwrap(),
            reason: "by root".to_string(),
        }
    );
    assert_eq!(next(&mut events).await.event, fallback_out());
    daemon
        .ask(Request::Disable(select("10.0.0.11:80", None)))
        .await;
    assert!(matches!(
        next(&mut events).await.event,
        Event::RealDisabled { .. }
    ));
    assert_eq!(next(&mut events).await.event, fallback_in());
    // Enabling a real with no override, or disabling one twice, changes
    // nothing: no event.
    daemon.ask(Request::Enable(select("10.0.0.12", None))).await;
    daemon
        .ask(Request::Disable(select("10.0.0.11:80", None)))
        .await;
    assert!(events.try_recv().is_err(), "one event too many");
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_fallback_the_kernel_refused_is_no_event_until_it_is_in() {
    let (daemon, mut events) = Running::start_with_events("events-refused", SITE).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    assert_eq!(next(&mut events).await.event, up(www(), "10.0.0.11:80"));
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    // The last real goes down, and the kernel refuses the fallback.
    daemon.table.refuse(Some("127.0.0.1:80"));
    daemon.health(&www(), "10.0.0.11:80", Down);
    assert_eq!(next(&mut events).await.event, down("10.0.0.11:80"));
    daemon.until_reals(&www(), &[]).await;
    assert!(
        events.try_recv().is_err(),
        "fallback-in without the fallback"
    );
    // The kernel takes it at the next re-plan: now it is an event.
    daemon.table.refuse(None);
    daemon.health(&www(), "10.0.0.12:80", Down);
    assert_eq!(next(&mut events).await.event, down("10.0.0.12:80"));
    assert_eq!(next(&mut events).await.event, fallback_in());
    daemon.until_reals(&www(), &[("127.0.0.1:80", 1)]).await;
    assert_eq!(daemon.stop().await, 0);
}
