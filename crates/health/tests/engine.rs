// SPDX-License-Identifier: MIT OR Apache-2.0
//! The engine: rise/fall, initially_up, none/off, reconcile, shutdown, the
//! permit bound, with real sockets on 127.0.0.1 and 50 ms intervals. Waits
//! are generous; nothing asserts that something was fast.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use health::{CheckKind, Health};
use tokio::sync::mpsc;

fn engine() -> (Engine, mpsc::UnboundedReceiver<Transition>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Engine::start(tx), rx)
}

fn connect(real: SocketAddr, rise: u32, fall: u32, initially_up: bool) -> Target {
    let mut c = check(CheckKind::Connect);
    c.rise = rise;
    c.fall = fall;
    let mut t = target(real, c);
    t.initially_up = initially_up;
    t
}

fn keyed(mut t: Target, service: &str) -> Target {
    t.key.service = service.to_string();
    t
}

fn status(engine: &Engine, key: &TargetKey) -> health::TargetStatus<String> {
    engine
        .snapshot()
        .into_iter()
        .find(|s| &s.key == key)
        .expect("target in the snapshot")
}

#[tokio::test]
async fn a_down_target_comes_up_after_rise_successes() {
    let (engine, mut rx) = engine();
    let t = connect(accepting().await, 3, 1, false);
    engine.reconcile(vec![t.clone()]);
    let s = status(&engine, &t.key);
    assert_eq!(s.health, Health::Down);
    assert!(s.last.is_none());

    let up = next(&mut rx, 10).await;
    assert_eq!((&up.key, up.health), (&t.key, Health::Up));
    assert!(up.reason.starts_with("connected in "), "{up:?}");
    assert!(up.reason.ends_with(" ms (3/3)"), "{up:?}");
    let s = status(&engine, &t.key);
    assert_eq!(s.health, Health::Up);
    assert!(s.consecutive_ok >= 3 && s.consecutive_failed == 0, "{s:?}");
    assert!(s.last.as_ref().is_some_and(|r| r.ok));
    engine.shutdown().await;
}

#[tokio::test]
async fn a_connect_that_hangs_times_out_and_the_checks_go_on() {
    // A full backlog: each connect hangs until the check's timeout (100 ms,
    // the task's own timer), then the same timer wakes the task at its next
    // slots: the failures keep coming, and the target comes up once the
    // listener accepts again.
    let (engine, mut rx) = engine();
    let (addr, listener, fillers) = unaccepting().await;
    let mut t = connect(addr, 1, 2, true);
    t.check.timeout = Duration::from_millis(100);
    t.check.interval = Duration::from_millis(150);
    engine.reconcile(vec![t.clone()]);
    let down = next(&mut rx, 10).await;
    assert_eq!(
        (down.health, down.reason.as_str()),
        (Health::Down, "timed out after 100ms (2/2)"),
        "{down:?}"
    );
    let waited = std::time::Instant::now();
    while status(&engine, &t.key).consecutive_failed < 4 && waited.elapsed().as_secs() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(status(&engine, &t.key).consecutive_failed >= 4);
    // Accept the queue away (and whatever comes after): the next check connects.
    drop(fillers);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    let up = next(&mut rx, 10).await;
    assert_eq!(up.health, Health::Up, "{up:?}");
    assert!(up.reason.starts_with("connected in "), "{up:?}");
    engine.shutdown().await;
}

#[tokio::test]
async fn an_adopted_target_goes_down_after_fall_failures() {
    let (engine, mut rx) = engine();
    let t = connect(refused().await, 1, 3, true);
    engine.reconcile(vec![t.clone()]);
    assert_eq!(status(&engine, &t.key).health, Health::Up);
    let down = next(&mut rx, 10).await;
    assert_eq!(
        down,
        Transition {
            key: t.key.clone(),
            health: Health::Down,
            reason: "connect refused (3/3)".into()
        }
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn targets_already_in_their_state_send_nothing() {
    let (engine, mut rx) = engine();
    let up = connect(accepting().await, 1, 1, true);
    let down = keyed(connect(refused().await, 1, 1, false), "tcp 10.0.0.101:80");
    engine.reconcile(vec![up.clone(), down.clone()]);
    until(10, "three checks each", || {
        engine
            .snapshot()
            .iter()
            .all(|s| s.consecutive_ok >= 3 || s.consecutive_failed >= 3)
    })
    .await;
    assert!(rx.try_recv().is_err());
    assert_eq!(status(&engine, &up.key).health, Health::Up);
    assert_eq!(status(&engine, &down.key).health, Health::Down);
    engine.shutdown().await;
}

#[tokio::test]
async fn none_is_up_and_off_is_down_at_once() {
    let (engine, mut rx) = engine();
    let addr = refused().await;
    let mut targets = Vec::new();
    for (i, (kind, initially_up)) in [
        (CheckKind::None, false),
        (CheckKind::None, true),
        (CheckKind::Off, true),
        (CheckKind::Off, false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = keyed(target(addr, check(kind)), &format!("fwmark {i}"));
        t.initially_up = initially_up;
        targets.push(t);
    }
    engine.reconcile(targets.clone());
    // Sent before reconcile returned.
    let first = rx.try_recv().expect("none: up");
    let second = rx.try_recv().expect("off: down");
    assert!(rx.try_recv().is_err());
    assert_eq!(
        first,
        Transition {
            key: targets[0].key.clone(),
            health: Health::Up,
            reason: "check type none".into()
        }
    );
    assert_eq!(
        second,
        Transition {
            key: targets[2].key.clone(),
            health: Health::Down,
            reason: "check type off".into()
        }
    );
    let healths: Vec<Health> = engine.snapshot().iter().map(|s| s.health).collect();
    assert_eq!(
        healths,
        [Health::Up, Health::Up, Health::Down, Health::Down]
    );
    // And they never probe.
    quiet(&mut rx, 300).await;
    assert!(engine.snapshot().iter().all(|s| s.last.is_none()));
    assert_eq!(engine.stats().checks, 0);
    engine.shutdown().await;
}

#[tokio::test]
async fn reconcile_keeps_unchanged_targets_with_their_state() {
    let (engine, mut rx) = engine();
    let t = connect(accepting().await, 2, 1, false);
    engine.reconcile(vec![t.clone()]);
    assert_eq!(next(&mut rx, 10).await.health, Health::Up);
    let before = status(&engine, &t.key);

    // The same target again (the daemon does not know it is up: it says
    // initially_up = false) plus a new one.
    let other = keyed(connect(accepting().await, 1, 1, false), "tcp 10.0.0.101:80");
    engine.reconcile(vec![t.clone(), other.clone()]);
    let now = status(&engine, &t.key);
    assert_eq!((now.health, now.since), (Health::Up, before.since));
    assert!(now.consecutive_ok >= before.consecutive_ok, "counters kept");
    // Only the new one changes.
    let up = next(&mut rx, 10).await;
    assert_eq!(up.key, other.key);
    until(10, "more checks", || {
        status(&engine, &t.key).consecutive_ok >= before.consecutive_ok + 3
    })
    .await;
    assert!(rx.try_recv().is_err());
    assert_eq!(engine.snapshot().len(), 2);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_changed_check_keeps_the_health_and_restarts_checking() {
    let (engine, mut rx) = engine();
    let t = connect(accepting().await, 1, 2, false);
    engine.reconcile(vec![t.clone()]);
    assert_eq!(next(&mut rx, 10).await.health, Health::Up);
    let since = status(&engine, &t.key).since;

    // Now check a port where nothing listens: still up until fall (2)
    // failures of the new check.
    let mut changed = t.clone();
    changed.check.port = Some(refused().await.port());
    engine.reconcile(vec![changed.clone()]);
    let s = status(&engine, &t.key);
    assert_eq!((s.health, s.since), (Health::Up, since));
    let down = next(&mut rx, 10).await;
    assert_eq!(down.health, Health::Down, "{down:?}");
    assert_eq!(down.reason, "connect refused (2/2)");

    // Changed to off while down: nothing to send; to none: up at once.
    let mut off = changed.clone();
    off.check.kind = CheckKind::Off;
    engine.reconcile(vec![off.clone()]);
    assert!(rx.try_recv().is_err());
    let mut none = off;
    none.check.kind = CheckKind::None;
    engine.reconcile(vec![none]);
    let up = rx.try_recv().expect("none: up at once");
    assert_eq!(
        (up.health, up.reason.as_str()),
        (Health::Up, "check type none")
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_removed_target_sends_nothing_more() {
    let (engine, mut rx) = engine();
    // Up, checked against a server that never answers: its first check is
    // in flight (for 300 ms) when it is removed; its failure must not be told.
    let mut t = target(hanging().await, check(CheckKind::Http(http("/"))));
    t.initially_up = true;
    t.check.timeout = Duration::from_millis(300);
    engine.reconcile(vec![t.clone()]);
    until(10, "a check in flight", || engine.stats().in_flight >= 1).await;
    engine.reconcile(vec![]);
    assert!(engine.snapshot().is_empty());
    quiet(&mut rx, 800).await;
    assert_eq!(
        engine.stats().in_flight,
        0,
        "the check in flight was dropped"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_every_check() {
    let (engine, mut rx) = engine();
    let mut slow_program = target(
        "127.0.0.1:80".parse().unwrap(),
        check(CheckKind::External(vec!["/bin/sleep".into(), "30".into()])),
    );
    slow_program.check.timeout = Duration::from_secs(60);
    slow_program.key.service = "tcp 10.0.0.102:80".into();
    engine.reconcile(vec![
        connect(refused().await, 1, 1, true),
        keyed(connect(accepting().await, 1, 1, false), "tcp 10.0.0.101:80"),
        slow_program,
    ]);
    until(10, "checks running", || engine.stats().checks >= 3).await;
    engine.shutdown().await;
    // Every sender is gone once every task has ended: the channel closes
    // after whatever was sent before shutdown.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while rx.recv().await.is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "a checking task outlived shutdown");
}

#[tokio::test]
async fn hung_targets_do_not_delay_the_others() {
    let (engine, mut rx) = engine();
    let hung = hanging().await;
    let mut targets: Vec<Target> = (0..20)
        .map(|i| {
            let mut t = keyed(
                target(hung, check(CheckKind::Http(http("/")))),
                &format!("tcp 10.0.1.{i}:80"),
            );
            t.check.timeout = Duration::from_secs(30);
            t
        })
        .collect();
    let healthy = connect(accepting().await, 3, 1, false);
    targets.push(healthy.clone());
    engine.reconcile(targets);
    let up = next(&mut rx, 20).await;
    assert_eq!((&up.key, up.health), (&healthy.key, Health::Up));
    // Three checks of the healthy target while no hung one has finished
    // its first.
    let snapshot = engine.snapshot();
    assert!(snapshot
        .iter()
        .filter(|s| s.key != healthy.key)
        .all(|s| s.last.is_none()));
    engine.shutdown().await;
}

#[tokio::test]
async fn permits_bound_the_checks_in_flight() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let engine = Engine::start_with_permits(tx, 4);
    let hung = hanging().await;
    let mut targets: Vec<Target> = (0..12)
        .map(|i| {
            let mut t = keyed(
                target(hung, check(CheckKind::Http(http("/")))),
                &format!("tcp 10.0.1.{i}:80"),
            );
            t.check.timeout = Duration::from_millis(200);
            t
        })
        .collect();
    let healthy = connect(accepting().await, 2, 1, false);
    targets.push(healthy.clone());
    engine.reconcile(targets);
    // Slowed by the queue for permits, the healthy one still comes up.
    let up = next(&mut rx, 30).await;
    assert_eq!(up.key, healthy.key);
    until(30, "many checks", || engine.stats().checks >= 40).await;
    let stats = engine.stats();
    assert_eq!(stats.permits, 4);
    assert!(
        (1..=4).contains(&stats.peak_in_flight),
        "peak {}",
        stats.peak_in_flight
    );
    assert!(stats.failed >= 12);
    engine.shutdown().await;
}

#[tokio::test]
async fn many_targets_all_come_up() {
    let (engine, mut rx) = engine();
    let addr = accepting().await;
    let targets: Vec<Target> = (0..300)
        .map(|i| {
            let mut t = keyed(
                connect(addr, 1, 1, false),
                &format!("tcp 10.0.{}.{}:80", i / 256, i % 256),
            );
            t.check.interval = Duration::from_millis(200);
            t
        })
        .collect();
    engine.reconcile(targets);
    for _ in 0..300 {
        assert_eq!(next(&mut rx, 30).await.health, Health::Up);
    }
    let snapshot = engine.snapshot();
    assert_eq!(snapshot.len(), 300);
    assert!(snapshot.windows(2).all(|w| w[0].key < w[1].key), "sorted");
    assert!(snapshot.iter().all(|s| s.health == Health::Up));
    engine.shutdown().await;
}

#[tokio::test]
async fn stats_count_checks_and_lateness() {
    let (engine, _rx) = engine();
    engine.reconcile(vec![connect(accepting().await, 1, 1, false)]);
    until(10, "checks", || engine.stats().checks >= 5).await;
    let s = engine.stats();
    assert!(s.lateness.count() >= 5);
    assert!(s.lateness.quantile(0.5) <= s.lateness.max());
    engine.reset_stats();
    assert!(engine.stats().checks <= 1);
    engine.shutdown().await;
}

#[tokio::test]
async fn dropping_the_engine_stops_the_checks() {
    let (engine, mut rx) = engine();
    engine.reconcile(vec![connect(refused().await, 1, 1, true)]);
    drop(engine);
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while rx.recv().await.is_some() {}
    })
    .await;
    assert!(closed.is_ok());
}

#[tokio::test]
async fn a_connect_check_removed_mid_check_sends_nothing_more() {
    // Connect checks run on the connect loop: one hanging (a full backlog)
    // when its target is removed must not be told, nor hold its permit.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let engine = Engine::start_with_permits(tx, 8);
    let (addr, _listener, _fillers) = unaccepting().await;
    let mut t = connect(addr, 1, 1, true);
    t.check.timeout = Duration::from_millis(300);
    engine.reconcile(vec![t.clone()]);
    until(10, "a check in flight", || engine.stats().in_flight >= 1).await;
    engine.reconcile(vec![]);
    assert!(engine.snapshot().is_empty());
    quiet(&mut rx, 800).await;
    let stats = engine.stats();
    assert_eq!(stats.in_flight, 0, "the check in flight was dropped");
    assert_eq!(stats.failed, 1, "counted as an aborted check: {stats:?}");
    engine.shutdown().await;
}

#[tokio::test]
async fn a_burst_of_reconciles_ends_with_exactly_the_last_targets() {
    // 200 reconciles in a row, each a different mix of 40 connect targets
    // (added, removed, changed: another rise), none waited for: the loop
    // ends up checking exactly the last set, each once brought up, and
    // nothing of the others is told after the last reconcile.
    let (engine, mut rx) = engine();
    let up = accepting().await;
    let down = refused().await;
    let make = |i: usize, round: usize| {
        let real = if i % 2 == 0 { up } else { down };
        let mut t = keyed(
            connect(real, 1 + (round % 3) as u32, 1, false),
            &format!("tcp 10.0.2.{i}:80"),
        );
        t.check.interval = Duration::from_millis(20);
        t
    };
    for round in 0..200 {
        let targets = (0..40)
            .filter(|i| (i + round) % 3 != 0)
            .map(|i| make(i, round))
            .collect();
        engine.reconcile(targets);
        if round % 50 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let last: Vec<Target> = (0..40).filter(|i| i % 4 == 0).map(|i| make(i, 7)).collect();
    engine.reconcile(last.clone());
    // What was told before the last reconcile returned is in the channel
    // already (a result is recorded and told under the target's lock, the
    // lock that retires it).
    while rx.try_recv().is_ok() {}
    // Every target left comes up (real `up`), if it was not up already;
    // nothing of the removed ones is told any more.
    let all_up = || {
        let snapshot = engine.snapshot();
        snapshot.len() == last.len() && snapshot.iter().all(|s| s.health == Health::Up)
    };
    let waited = std::time::Instant::now();
    while !all_up() {
        assert!(waited.elapsed() < Duration::from_secs(20), "not all up");
        if let Ok(Some(t)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            assert!(
                last.iter().any(|l| l.key == t.key),
                "a removed target told: {t:?}"
            );
            assert_eq!(t.health, Health::Up, "{t:?}");
        }
    }
    let keys: Vec<_> = engine.snapshot().into_iter().map(|s| s.key).collect();
    let mut wanted: Vec<_> = last.iter().map(|t| t.key.clone()).collect();
    wanted.sort();
    assert_eq!(keys, wanted);
    while let Ok(Some(t)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        assert!(
            last.iter().any(|l| l.key == t.key),
            "a removed target told: {t:?}"
        );
    }
    engine.shutdown().await;
}

#[tokio::test]
async fn permits_bound_the_connect_checks_in_flight() {
    // Four permits, 30 connect targets whose connects hang 200 ms: at most
    // four sockets at once, and every target gets its turn.
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = Engine::start_with_permits(tx, 4);
    let (addr, _listener, _fillers) = unaccepting().await;
    let targets: Vec<Target> = (0..30)
        .map(|i| {
            let mut t = keyed(connect(addr, 1, 1, true), &format!("tcp 10.0.3.{i}:80"));
            t.check.timeout = Duration::from_millis(200);
            t
        })
        .collect();
    engine.reconcile(targets);
    until(60, "every target checked", || {
        engine.snapshot().iter().all(|s| s.last.is_some())
    })
    .await;
    for s in engine.snapshot() {
        let last = s.last.unwrap();
        assert_eq!(last.detail, "timed out after 200ms", "{:?}", s.key);
    }
    let stats = engine.stats();
    assert_eq!(stats.permits, 4);
    assert_eq!(stats.peak_in_flight, 4, "{stats:?}");
    engine.shutdown().await;
}
