// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[announce]` in the daemon's loop, on the host: routes in memory, the
//! transitions sent by the test, paused time. The lab (tests/lab/ecmp.sh)
//! shows the same with BIRD, a router and real traffic.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::time::Duration;

use health::Health::{Down, Up};
use ipvsctl::daemon::protocol::{DirectorState, Request, Response, Selection};

use fakes::{www, MemoryRoutes, Running, TWO_REALS};

fn announcing(extra: &str) -> String {
    format!("[announce]\n{extra}\n{TWO_REALS}")
}

/// Waits (virtual time) until the routes are `wanted`.
async fn until_routes(daemon: &Running, wanted: &[&str]) {
    for _ in 0..600 {
        if daemon.routes.now() == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("wanted routes {wanted:?}, have {:?}", daemon.routes.now());
}

#[tokio::test(start_paused = true)]
async fn announced_while_a_real_is_up_and_withdrawn_when_none_is_or_on_stop() {
    let daemon =
        Running::start_with_routes("announce-up", &announcing(""), MemoryRoutes::default()).await;
    // No real checked up yet: nothing announced.
    assert!(daemon.routes.now().is_empty());
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    assert!(
        daemon.routes.now().is_empty(),
        "announced before every real's first check (10.0.0.12 has had none)"
    );
    // The checks' grace (interval + timeout) passes: announced.
    until_routes(&daemon, &["10.0.0.1"]).await;
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon.health(&www(), "10.0.0.11:80", Down);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    assert_eq!(daemon.routes.now(), ["10.0.0.1"], "one real up keeps it");
    daemon.health(&www(), "10.0.0.12:80", Down);
    until_routes(&daemon, &[]).await;
    daemon.health(&www(), "10.0.0.12:80", Up);
    until_routes(&daemon, &["10.0.0.1"]).await;
    let status = daemon.status().await;
    let announce = status.announce.expect("status shows [announce]");
    assert_eq!(announce.announced, ["10.0.0.1"]);
    assert_eq!((announce.protocol, announce.table), (250, 254));
    let routes = daemon.routes.clone();
    assert_eq!(daemon.stop().await, 0);
    assert!(routes.now().is_empty(), "withdrawn on stop");
    assert_eq!(
        routes.log(),
        ["+10.0.0.1", "-10.0.0.1", "+10.0.0.1", "-10.0.0.1"]
    );
}

#[tokio::test(start_paused = true)]
async fn drain_director_withdraws_and_keeps_the_table_and_enable_announces_again() {
    let daemon =
        Running::start_with_routes("announce-drain", &announcing(""), MemoryRoutes::default())
            .await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.health(&www(), "10.0.0.12:80", Up);
    until_routes(&daemon, &["10.0.0.1"]).await;
    let answer = daemon.ask(Request::DrainDirector).await;
    assert_eq!(
        answer,
        Response::Director(DirectorState {
            drained: true,
            announced: Vec::new()
        })
    );
    assert!(daemon.routes.now().is_empty());
    // The table stays: held flows carry on.
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    // Health changes while drained announce nothing.
    daemon.health(&www(), "10.0.0.11:80", Down);
    daemon.until_reals(&www(), &[("10.0.0.12:80", 1)]).await;
    assert!(daemon.routes.now().is_empty());
    assert!(daemon.status().await.announce.unwrap().drained);
    let answer = daemon.ask(Request::EnableDirector).await;
    assert_eq!(
        answer,
        Response::Director(DirectorState {
            drained: false,
            announced: vec!["10.0.0.1".to_string()]
        })
    );
    assert_eq!(daemon.routes.now(), ["10.0.0.1"]);
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_drained_director_stays_drained_across_a_restart() {
    let daemon =
        Running::start_with_routes("announce-keep", &announcing(""), MemoryRoutes::default()).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    until_routes(&daemon, &["10.0.0.1"]).await;
    daemon.ask(Request::DrainDirector).await;
    assert!(daemon.routes.now().is_empty());
    let daemon = daemon.restart().await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon.past_the_start().await;
    assert!(daemon.routes.now().is_empty(), "a restart undid the drain");
    assert!(daemon.status().await.announce.unwrap().drained);
    daemon.ask(Request::EnableDirector).await;
    assert_eq!(daemon.routes.now(), ["10.0.0.1"]);
    let daemon = daemon.restart().await;
    assert!(!daemon.status().await.announce.unwrap().drained);
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn drain_director_without_announce_is_refused() {
    let daemon =
        Running::start_with_routes("announce-none", TWO_REALS, MemoryRoutes::default()).await;
    match daemon.ask(Request::DrainDirector).await {
        Response::Error(e) => assert!(e.contains("no [announce]"), "{e}"),
        other => panic!("{other:?}"),
    }
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    assert!(daemon.routes.now().is_empty());
    assert_eq!(daemon.status().await.announce, None);
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_drained_or_disabled_real_does_not_count_and_the_fallback_only_when_asked() {
    let daemon =
        Running::start_with_routes("announce-holds", &announcing(""), MemoryRoutes::default())
            .await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    until_routes(&daemon, &["10.0.0.1"]).await;
    let drain = Request::Drain(Selection {
        real: "10.0.0.11".to_string(),
        virtual_: None,
        reason: None,
    });
    daemon.ask(drain).await;
    // The only real up is drained: the fallback is in, but the director
    // does not announce a sorry page.
    until_routes(&daemon, &[]).await;
    daemon.stop().await;

    let daemon = Running::start_with_routes(
        "announce-fallback",
        &announcing("with_fallback = true"),
        MemoryRoutes::default(),
    )
    .await;
    daemon.past_the_start().await;
    until_routes(&daemon, &["10.0.0.1"]).await;
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn routes_left_from_before_are_adopted_or_removed_and_opted_out_virtuals_are_not_announced() {
    let routes = MemoryRoutes::default();
    routes.left("10.0.0.1");
    routes.left("192.0.2.99");
    let opted_out = announcing("").replace("name = \"www\"", "name = \"www\"\nannounce = false");
    let daemon =
        Running::start_with_routes("announce-adopt", &announcing(""), routes.clone()).await;
    // Adopted: kept while the first checks run; the undeclared one goes.
    assert_eq!(daemon.routes.now(), ["10.0.0.1"]);
    // The checks' grace passes with no real up: withdrawn.
    daemon.past_the_start().await;
    until_routes(&daemon, &[]).await;
    daemon.stop().await;

    let daemon = Running::start_with_routes("announce-optout", &opted_out, routes).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    daemon.past_the_start().await;
    assert!(daemon.routes.now().is_empty());
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn hold_down_delays_the_first_announce() {
    let daemon = Running::start_with_routes(
        "announce-hold",
        &announcing("hold_down = 20"),
        MemoryRoutes::default(),
    )
    .await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(
        daemon.routes.now().is_empty(),
        "announced inside the hold-down"
    );
    tokio::time::sleep(Duration::from_secs(15)).await;
    until_routes(&daemon, &["10.0.0.1"]).await;
    daemon.stop().await;
}
