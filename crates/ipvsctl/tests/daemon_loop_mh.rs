// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's loop on the host, for an `mh` virtual: the destinations
//! stay in the canonical order (by address) whatever order the reals come
//! up, fail and come back in, on reload, and after a change by hand; down
//! reals stay in at weight 0. The table in memory puts an added
//! destination at the head of the list, as the kernel does.

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::time::Duration;

use health::Health::{Down, Up};
use ipvs::{Destination, Forward, Operation};
use ipvsctl::daemon::ReloadOutcome;

use fakes::{www, Running};

/// Four reals, listed out of order, with the fallback flag.
const MH: &str = r#"
[defaults]
check_interval = 5
check_timeout = 1

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "mh"
scheduler_flags = ["mh-fallback", "mh-port"]
check = { type = "connect" }

  [[virtual.real]]
  address = "10.0.0.14:80"

  [[virtual.real]]
  address = "10.0.0.12:80"

  [[virtual.real]]
  address = "10.0.0.11:80"

  [[virtual.real]]
  address = "10.0.0.13:80"
"#;

/// Waits until the kernel's list is exactly `wanted`, in that order.
async fn until_in_order(daemon: &Running, wanted: &[(&str, u32)]) {
    let wanted: Vec<(String, u32)> = wanted.iter().map(|(a, w)| (a.to_string(), *w)).collect();
    for _ in 0..1000 {
        if daemon.table.in_order(&www()).as_ref() == Some(&wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "wanted {wanted:?}, the table has {:?}",
        daemon.table.in_order(&www())
    );
}

#[tokio::test(start_paused = true)]
async fn the_order_holds_through_start_failure_and_return() {
    let daemon = Running::start("mh-order", MH).await;
    // Before any check: every real in, at weight 0, in the canonical order.
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 0),
            ("10.0.0.12:80", 0),
            ("10.0.0.13:80", 0),
            ("10.0.0.14:80", 0),
        ],
    )
    .await;
    assert_eq!(daemon.table.flags(&www()), Some(0x18));
    // Up in an order of their own: only weights change.
    for (real, weights) in [
        ("10.0.0.13:80", [0, 0, 1, 0]),
        ("10.0.0.11:80", [1, 0, 1, 0]),
        ("10.0.0.14:80", [1, 0, 1, 1]),
        ("10.0.0.12:80", [1, 1, 1, 1]),
    ] {
        daemon.health(&www(), real, Up);
        until_in_order(
            &daemon,
            &[
                ("10.0.0.11:80", weights[0]),
                ("10.0.0.12:80", weights[1]),
                ("10.0.0.13:80", weights[2]),
                ("10.0.0.14:80", weights[3]),
            ],
        )
        .await;
    }
    let operations = daemon.table.taken().len();
    // A real fails and comes back: weight 0 and back, nothing else.
    daemon.health(&www(), "10.0.0.12:80", Down);
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 1),
            ("10.0.0.12:80", 0),
            ("10.0.0.13:80", 1),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    daemon.health(&www(), "10.0.0.12:80", Up);
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 1),
            ("10.0.0.12:80", 1),
            ("10.0.0.13:80", 1),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    let taken = daemon.table.taken();
    assert_eq!(
        taken[operations..],
        [
            "edit destination 10.0.0.12:80 (route, weight 0) of tcp 10.0.0.1:80".to_string(),
            "edit destination 10.0.0.12:80 (route, weight 1) of tcp 10.0.0.1:80".to_string(),
        ][..],
        "{taken:?}"
    );
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_reload_and_a_change_by_hand_keep_the_order() {
    let three = MH.replace("\n  [[virtual.real]]\n  address = \"10.0.0.13:80\"\n", "\n");
    let daemon = Running::start("mh-reload", &three).await;
    for real in ["10.0.0.14:80", "10.0.0.11:80", "10.0.0.12:80"] {
        daemon.health(&www(), real, Up);
    }
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 1),
            ("10.0.0.12:80", 1),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    // A real added in the middle, and a weight changed.
    let changed = MH.replace(
        "address = \"10.0.0.11:80\"\n",
        "address = \"10.0.0.11:80\"\n  weight = 3\n",
    );
    assert_eq!(daemon.reload(&changed).await, ReloadOutcome::Reloaded);
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 3),
            ("10.0.0.12:80", 1),
            ("10.0.0.13:80", 0),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    daemon.health(&www(), "10.0.0.13:80", Up);
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 3),
            ("10.0.0.12:80", 1),
            ("10.0.0.13:80", 1),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    // By hand: 10.0.0.14 deleted and added again, so at the head; the
    // resync puts it back last.
    let real = |a: &str| Destination::new(a.parse().unwrap(), Forward::Route, 1);
    daemon.table.by_hand(&Operation::DeleteDestination(
        www(),
        "10.0.0.14:80".parse().unwrap(),
    ));
    daemon
        .table
        .by_hand(&Operation::AddDestination(www(), real("10.0.0.14:80")));
    assert_eq!(daemon.table.in_order(&www()).unwrap()[0].0, "10.0.0.14:80");
    daemon.resync().await;
    until_in_order(
        &daemon,
        &[
            ("10.0.0.11:80", 3),
            ("10.0.0.12:80", 1),
            ("10.0.0.13:80", 1),
            ("10.0.0.14:80", 1),
        ],
    )
    .await;
    assert_eq!(daemon.stop().await, 0);
}
