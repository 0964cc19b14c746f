// SPDX-License-Identifier: MIT OR Apache-2.0
//! The table repairs itself (issue 13, section 3), on the host: what
//! `ipvsadm -d`, `-e`, `-a`, `-E`, `-D` and `-C` do behind the daemon's
//! back is undone by the next resync (every `[defaults] resync`, or at once
//! on `ipvsctl resync`), each difference reported with what was found;
//! services the daemon does not manage stay as they are. The kernel
//! refusing a change (a scheduler module missing) is logged, the loop goes
//! on, and the next resync converges. A burst of SIGHUPs loses no
//! transition and makes no operation twice. The lab shows the same on the
//! kernel (tests/kernel_resync.rs).

#[path = "daemon_loop/fakes.rs"]
mod fakes;

use std::time::Duration;

use health::Health::{Down, Up};
use ipvs::{Destination, Forward, Operation, Service, ServiceKey};

use fakes::{mail, www, MemoryTable, Running};

/// www (rr, a fallback, three reals) and mail (sh, one real); the resync
/// line is the test's.
fn site(resync: &str) -> String {
    format!(
        r#"
[defaults]
check_interval = 5
check_timeout = 1
{resync}

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "rr"
fallback = "127.0.0.1:80"
check = {{ type = "connect" }}

  [[virtual.real]]
  address = "10.0.0.11:80"

  [[virtual.real]]
  address = "10.0.0.12:80"

  [[virtual.real]]
  address = "10.0.0.13:80"
  weight = 5

[[virtual]]
name = "mail"
address = "10.0.0.2:25"
scheduler = "sh"
check = {{ type = "connect" }}

  [[virtual.real]]
  address = "10.0.0.21:25"
"#
    )
}

/// A service nobody declared here, with a real.
fn foreign() -> ServiceKey {
    ServiceKey::tcp("10.0.0.9:80".parse().unwrap())
}

fn real(address: &str, weight: u32) -> Destination {
    Destination::new(address.parse().unwrap(), Forward::Route, weight)
}

/// `ipvsadm -A -t 10.0.0.9:80 -s wlc; ipvsadm -a -t 10.0.0.9:80 -r 10.0.0.99:80 -g`.
fn add_foreign(daemon: &Running) {
    daemon
        .table
        .by_hand(&Operation::AddService(Service::new(foreign(), "wlc")));
    daemon.table.by_hand(&Operation::AddDestination(
        foreign(),
        real("10.0.0.99:80", 1),
    ));
}

/// The daemon with every real up.
async fn all_up(resync: &str, name: &str) -> Running {
    let daemon = Running::start(name, &site(resync)).await;
    for r in ["10.0.0.11:80", "10.0.0.12:80", "10.0.0.13:80"] {
        daemon.health(&www(), r, Up);
    }
    daemon.health(&mail(), "10.0.0.21:25", Up);
    daemon
        .until_reals(
            &www(),
            &[
                ("10.0.0.11:80", 1),
                ("10.0.0.12:80", 1),
                ("10.0.0.13:80", 5),
            ],
        )
        .await;
    daemon.until_reals(&mail(), &[("10.0.0.21:25", 1)]).await;
    daemon
}

const DECLARED: [&str; 2] = [
    "tcp 10.0.0.1:80 rr [10.0.0.11:80 w1, 10.0.0.12:80 w1, 10.0.0.13:80 w5]",
    "tcp 10.0.0.2:25 sh [10.0.0.21:25 w1]",
];

#[tokio::test(start_paused = true)]
async fn ipvsctl_resync_undoes_ipvsadm_at_once_and_leaves_foreign_services_alone() {
    let daemon = all_up("resync = \"off\"", "asked").await;
    add_foreign(&daemon);
    let before = daemon.table.taken().len();
    // ipvsadm -d, -e, -a on www; -E on mail; -a on the foreign service.
    let by_hand = [
        Operation::DeleteDestination(www(), "10.0.0.12:80".parse().unwrap()),
        Operation::EditDestination(www(), real("10.0.0.13:80", 0)),
        Operation::AddDestination(www(), real("10.0.0.77:80", 3)),
        Operation::EditService(Service::new(mail(), "rr")),
        Operation::AddDestination(foreign(), real("10.0.0.98:80", 2)),
    ];
    for operation in &by_hand {
        daemon.table.by_hand(operation);
    }
    // Off: nothing undoes it on its own.
    tokio::time::sleep(Duration::from_secs(600)).await;
    daemon.status().await;
    assert_eq!(daemon.table.taken().len(), before);
    let report = daemon.resync().await;
    assert_eq!(report.error, None);
    assert_eq!(report.services, 2);
    assert_eq!(
        report.repairs,
        [
            "tcp 10.0.0.2:25: had scheduler rr, declared sh (changed outside ipvsctl); restored",
            "tcp 10.0.0.1:80: real 10.0.0.77:80 in the table with weight 3, not declared \
             (added outside ipvsctl); removed",
            "tcp 10.0.0.1:80: real 10.0.0.13:80 had weight 0, declared 5 \
             (changed outside ipvsctl); restored",
            "tcp 10.0.0.1:80: real 10.0.0.12:80 not in the table, declared gate weight 1 \
             (deleted outside ipvsctl); restored",
        ]
    );
    let mut wanted: Vec<String> = DECLARED.iter().map(|s| s.to_string()).collect();
    wanted.push("tcp 10.0.0.9:80 wlc [10.0.0.98:80 w2, 10.0.0.99:80 w1]".to_string());
    assert_eq!(daemon.table.saved(), wanted);
    // Once right, a resync changes nothing.
    let taken = daemon.table.taken().len();
    assert_eq!(daemon.resync().await.repairs, Vec::<String>::new());
    assert_eq!(daemon.table.taken().len(), taken);
    let status = daemon
        .status()
        .await
        .resync
        .expect("the resyncs in the status");
    assert_eq!(status.period_s, None);
    assert_eq!((status.runs, status.repairs), (2, 4));
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn every_period_a_deleted_service_and_a_flushed_table_come_back() {
    let daemon = all_up("resync = 10", "period").await;
    // ipvsadm -D -t 10.0.0.1:80
    daemon.table.by_hand(&Operation::DeleteService(www()));
    tokio::time::sleep(Duration::from_secs(11)).await;
    daemon.status().await;
    assert_eq!(daemon.table.saved(), DECLARED);
    let status = daemon.status().await.resync.unwrap();
    let last = status.last.expect("a resync ran");
    assert_eq!(
        last.repairs[0],
        "tcp 10.0.0.1:80: not in the table, declared rr (deleted outside ipvsctl); restored"
    );
    assert_eq!(last.repairs.len(), 4, "{:?}", last.repairs);
    // ipvsadm -C, then another tool adds its own service.
    daemon.table.flush();
    add_foreign(&daemon);
    tokio::time::sleep(Duration::from_secs(10)).await;
    daemon.status().await;
    let mut wanted: Vec<String> = DECLARED.iter().map(|s| s.to_string()).collect();
    wanted.push("tcp 10.0.0.9:80 wlc [10.0.0.99:80 w1]".to_string());
    assert_eq!(daemon.table.saved(), wanted);
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_real_that_is_down_put_back_by_hand_goes_out_again() {
    let daemon = all_up("resync = \"off\"", "down-back").await;
    daemon.health(&www(), "10.0.0.12:80", Down);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.13:80", 5)])
        .await;
    daemon
        .table
        .by_hand(&Operation::AddDestination(www(), real("10.0.0.12:80", 1)));
    let report = daemon.resync().await;
    assert_eq!(
        report.repairs,
        [
            "tcp 10.0.0.1:80: real 10.0.0.12:80 in the table with weight 1, declared out of \
          the table now (down, disabled or in maintenance) (added outside ipvsctl); removed"
        ]
    );
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.13:80", 5)])
        .await;
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_scheduler_the_kernel_refuses_is_logged_and_retried_until_it_goes_in() {
    // ip_vs_sh cannot be loaded: mail cannot go in; www goes on.
    let table = MemoryTable::default();
    table.refuse_scheduler(Some("sh"));
    let (daemon, _events) =
        Running::start_on_with_events("refused", &site("resync = 10"), table).await;
    daemon.health(&mail(), "10.0.0.21:25", Up);
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    assert_eq!(daemon.table.reals(&mail()), None);
    let report = daemon.resync().await;
    assert_eq!(report.repairs.len(), 2, "{:?}", report.repairs);
    assert!(
        report.repairs[0].starts_with(
            "tcp 10.0.0.2:25: not in the table, declared sh (an earlier write was refused); \
             the kernel refused: "
        ),
        "{}",
        report.repairs[0]
    );
    // The loop goes on: a transition still goes through.
    daemon.health(&www(), "10.0.0.12:80", Up);
    daemon
        .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.12:80", 1)])
        .await;
    // The module is back: the next periodic resync puts mail in.
    daemon.table.refuse_scheduler(None);
    tokio::time::sleep(Duration::from_secs(11)).await;
    daemon.until_reals(&mail(), &[("10.0.0.21:25", 1)]).await;
    let last = daemon.status().await.resync.unwrap().last.unwrap();
    assert_eq!(
        last.repairs,
        [
            "tcp 10.0.0.2:25: not in the table, declared sh (an earlier write was refused); \
             restored",
            "tcp 10.0.0.2:25: real 10.0.0.21:25 not in the table, declared gate weight 1 \
             (an earlier write was refused); restored",
        ]
    );
    // Settled: a later change by hand is someone else's again.
    daemon
        .table
        .by_hand(&Operation::EditDestination(mail(), real("10.0.0.21:25", 4)));
    let report = daemon.resync().await;
    assert!(report.repairs[0].ends_with("(changed outside ipvsctl); restored"));
    assert_eq!(daemon.stop().await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_sighups_lose_no_transition_and_repeat_no_operation() {
    let daemon = Running::start("sighups", &site("resync = \"off\"")).await;
    daemon.health(&www(), "10.0.0.11:80", Up);
    daemon.until_reals(&www(), &[("10.0.0.11:80", 1)]).await;
    let before = daemon.table.taken().len();
    // The checks of the other reals hang: they say nothing. A hundred
    // SIGHUPs at once, and three transitions among them.
    for i in 0..100 {
        daemon.sighup();
        match i {
            20 => daemon.health(&www(), "10.0.0.12:80", Up),
            50 => daemon.health(&www(), "10.0.0.11:80", Down),
            80 => daemon.health(&www(), "10.0.0.13:80", Up),
            _ => {}
        }
    }
    daemon
        .until_reals(&www(), &[("10.0.0.12:80", 1), ("10.0.0.13:80", 5)])
        .await;
    daemon.status().await;
    let mut made = daemon.table.taken()[before..].to_vec();
    made.sort();
    assert_eq!(
        made,
        [
            "add destination 10.0.0.12:80 (route, weight 1) to tcp 10.0.0.1:80",
            "add destination 10.0.0.13:80 (route, weight 5) to tcp 10.0.0.1:80",
            "delete destination 10.0.0.11:80 of tcp 10.0.0.1:80",
        ]
    );
    // Each reload kept the health the checks gave, and what they have not
    // said yet (mail's real) is still unknown = down.
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.11:80"),
        Some(false)
    );
    assert_eq!(
        daemon.checks.initially_up(&www(), "10.0.0.12:80"),
        Some(true)
    );
    assert_eq!(
        daemon.checks.initially_up(&mail(), "10.0.0.21:25"),
        Some(false)
    );
    // The start, then the reloads: the files are read off the loop, and the
    // SIGHUPs that come while a read is under way make one reload after it
    // (so at least two, at most one per SIGHUP, as the reads and the SIGHUPs
    // interleave).
    let reconciles = daemon.checks.reconciles();
    assert!((3..=101).contains(&reconciles), "{reconciles} reconciles");
    assert_eq!(daemon.stop().await, 0);
}

// Real time: paused time does not advance while a blocking task (the held
// read) runs.
#[tokio::test]
async fn a_transition_made_while_the_table_is_read_is_not_taken_for_a_change_from_outside() {
    // The resync's reader reads, says so, then waits for the test.
    let table = MemoryTable::default();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (read, has_read) = std::sync::mpsc::channel::<()>();
    let mut reading = table.clone();
    let reader: ipvsctl::daemon::TableReader = Box::new(move || {
        let entries = ipvsctl::table::Table::entries(&mut reading);
        let _ = read.send(());
        let _ = held.recv();
        entries
    });
    let daemon =
        Running::start_with_reader("stale", &site("resync = \"off\""), table, reader).await;
    for r in ["10.0.0.11:80", "10.0.0.12:80", "10.0.0.13:80"] {
        daemon.health(&www(), r, Up);
    }
    daemon.health(&mail(), "10.0.0.21:25", Up);
    daemon.until_reals(&mail(), &[("10.0.0.21:25", 1)]).await;
    daemon
        .until_reals(
            &www(),
            &[
                ("10.0.0.11:80", 1),
                ("10.0.0.12:80", 1),
                ("10.0.0.13:80", 5),
            ],
        )
        .await;
    let (first, second) = tokio::join!(daemon.resync(), async {
        while has_read.try_recv().is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // While the table read is out: a transition the loop writes, and
        // a change by hand followed by `ipvsctl resync`.
        daemon.health(&www(), "10.0.0.12:80", Down);
        daemon
            .until_reals(&www(), &[("10.0.0.11:80", 1), ("10.0.0.13:80", 5)])
            .await;
        daemon
            .table
            .by_hand(&Operation::EditDestination(mail(), real("10.0.0.21:25", 9)));
        let (second, ()) = tokio::join!(daemon.resync(), async {
            // The second ask is in the loop's hands before the first read
            // comes back.
            daemon.status().await;
            release.send(()).unwrap();
            release.send(()).unwrap();
        });
        second
    });
    // The first read was made before both: www is read again (the loop
    // wrote it meanwhile), mail is not.
    assert_eq!(first.repairs, Vec::<String>::new());
    // The second was made after the ask: it sees the change by hand.
    assert_eq!(
        second.repairs,
        [
            "tcp 10.0.0.2:25: real 10.0.0.21:25 had weight 9, declared 1 \
          (changed outside ipvsctl); restored"
        ]
    );
    assert_eq!(
        daemon.table.saved(),
        [
            "tcp 10.0.0.1:80 rr [10.0.0.11:80 w1, 10.0.0.13:80 w5]",
            "tcp 10.0.0.2:25 sh [10.0.0.21:25 w1]",
        ]
    );
    assert_eq!(daemon.stop().await, 0);
}
