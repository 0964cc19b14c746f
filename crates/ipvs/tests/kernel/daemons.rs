// SPDX-License-Identifier: MIT OR Apache-2.0
//! Sync daemons: started by us and seen by `ipvsadm -L --daemon`, started by
//! ipvsadm and read by us, stopped.

use ipvs::{SyncDaemon, SyncState};

use crate::lab::{dummy_interface, ipvsadm, namespace};

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn daemons_started_by_us_show_up_in_ipvsadm() {
    let mut ipvs = namespace();
    dummy_interface("sync0");
    ipvs.start_sync_daemon(&SyncDaemon::new(SyncState::Master, "sync0", 5))
        .unwrap();
    let backup = SyncDaemon {
        max_length: Some(1400),
        group: Some("239.1.2.3".parse().unwrap()),
        port: Some(8849),
        ttl: Some(3),
        ..SyncDaemon::new(SyncState::Backup, "sync0", 200)
    };
    ipvs.start_sync_daemon(&backup).unwrap();
    assert_eq!(
        ipvsadm("-L --daemon"),
        "master sync daemon (mcast=sync0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n\
         backup sync daemon (mcast=sync0, syncid=200, maxlen=1400, group=239.1.2.3, port=8849, ttl=3)\n"
    );
    ipvs.stop_sync_daemon(SyncState::Master).unwrap();
    assert_eq!(
        ipvsadm("-L --daemon"),
        "backup sync daemon (mcast=sync0, syncid=200, maxlen=1400, group=239.1.2.3, port=8849, ttl=3)\n"
    );
    ipvs.stop_sync_daemon(SyncState::Backup).unwrap();
    assert_eq!(ipvsadm("-L --daemon"), "");
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn daemons_started_by_ipvsadm_are_read_by_us() {
    let mut ipvs = namespace();
    dummy_interface("sync0");
    ipvsadm("--start-daemon master --mcast-interface sync0 --syncid 5");
    ipvsadm("--start-daemon backup --mcast-interface sync0 --syncid 7 --mcast-group ff02::1:2");
    let daemons = ipvs.sync_daemons().unwrap();
    assert_eq!(
        daemons,
        vec![
            SyncDaemon {
                max_length: Some(1472),
                group: Some("224.0.0.81".parse().unwrap()),
                port: Some(8848),
                ttl: Some(1),
                ..SyncDaemon::new(SyncState::Master, "sync0", 5)
            },
            SyncDaemon {
                max_length: Some(1452),
                group: Some("ff02::1:2".parse().unwrap()),
                port: Some(8848),
                ttl: Some(1),
                ..SyncDaemon::new(SyncState::Backup, "sync0", 7)
            },
        ]
    );
    ipvsadm("--stop-daemon master");
    ipvsadm("--stop-daemon backup");
    assert!(ipvs.sync_daemons().unwrap().is_empty());
}
