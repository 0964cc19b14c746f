// SPDX-License-Identifier: MIT OR Apache-2.0
//! Maglev (`mh`) tables identical on every director: three director
//! namespaces run `ipvsctl run` on the same configuration, started in
//! different ways (all reals up; one real down; over a table made by hand
//! in another order), then a real fails and comes back, a weight changes
//! on reload, a real is added on reload in the middle of the order. At
//! every step the kernel's list (`ipvsctl list --fingerprint`, and
//! `ipvsadm -Ln --nosort` as the cross-check) is the canonical one on all
//! three, and the same 1000 client flows (one address, 1000 source ports;
//! `mh-port` hashes the port) are sent to each director: the connection
//! entries (`ipvsadm -Lnc`) name the same real for each flow everywhere.
//! As the control, a real deleted and re-added by hand on one director (what
//! a director without the canonical order does when a real dies and comes
//! back) puts it at the head of that director's list, and `ipvsctl resync`
//! puts it right. A fourth director, its table made by hand in an order the
//! test chooses, gives the flows the plain kernel sends for that order and
//! those weights; the figures (how many flows move) are printed.
//!
//! Also measured: a held connection to a real that is deleted and at once
//! added again (what restoring the order does to the reals it re-adds).
//! Run inside the lab (`scripts/test`).

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::dr_site::{finish, ip, wait_for, Site};
use common::{ipvsadm, namespace, write, FlushOnDrop};

/// The virtual every director carries, on its `lo`.
const VIP: &str = "10.0.0.1:80";

/// The client's address, the same behind every director.
const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 2);

/// Flows per round. The flows are the same in every run (one client
/// address, the same ports, the kernel's fixed hash keys), so what they
/// show does not vary from run to run. An order that differs moves only a
/// few of the table's 4093 slots (measured: none of 3000 flows moved with
/// a real re-added at the head), so the order itself is asserted on the
/// list, and the flows show the table the order and weights make.
const FLOWS: u16 = 1000;

/// Flows opened at once.
const BATCH: u16 = 500;

/// The first source port of round `n`: each round has ports of its own,
/// as a director keeps the connection entries of the rounds before.
fn round(n: u16) -> u16 {
    const _: () = assert!(FLOWS % BATCH == 0);
    10_000 + n * FLOWS
}

/// The configuration: the reals `reals` as (last octet, weight), listed in
/// the order given (not the canonical one), each a web server on port 80.
fn config(reals: &[(u8, u32)]) -> String {
    let mut text = String::from(
        r#"[defaults]
resync = "off"

[[virtual]]
name = "www"
address = "10.0.0.1:80"
scheduler = "mh"
scheduler_flags = ["mh-fallback", "mh-port"]
check = { type = "connect", interval = 0.5, timeout = 2, rise = 1, fall = 3 }
"#,
    );
    for (octet, weight) in reals {
        text.push_str(&format!(
            "\n  [[virtual.real]]\n  address = \"10.8.0.{octet}:80\"\n  weight = {weight}\n"
        ));
    }
    text
}

/// The fingerprint line wanted: reals as (last octet, weight) in the
/// canonical order.
fn fingerprint(reals: &[(u8, u32)]) -> String {
    let reals: Vec<String> = reals
        .iter()
        .map(|(octet, weight)| format!("10.8.0.{octet}:80 Route w{weight}"))
        .collect();
    format!(
        "TCP  {VIP} mh (mh-fallback,mh-port) | kernel order: {}\n",
        reals.join(", ")
    )
}

/// Runs `program` in the network namespace `ns`.
fn in_ns(ns: &str, program: &str, args: &[&str]) -> Output {
    Command::new("/sbin/ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .output()
        .unwrap()
}

/// Standard output of `program` in `ns`; panics on failure.
fn run_in(ns: &str, program: &str, args: &[&str]) -> String {
    let out = in_ns(ns, program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} in {ns}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One director: its namespace, the client namespace behind it, its
/// daemon.
struct Director {
    ns: String,
    client: String,
    state: PathBuf,
    daemon: Option<Child>,
}

impl Director {
    fn start(&mut self, config: &str) {
        let log = std::fs::File::create(self.state.join("daemon.log")).unwrap();
        let child = Command::new("/sbin/ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                env!("CARGO_BIN_EXE_ipvsctl"),
                "run",
                config,
            ])
            .env("IPVSCTL_STATE_DIR", &self.state)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.daemon = Some(child);
    }

    fn reload(&self) {
        let pid = self.daemon.as_ref().unwrap().id();
        // SAFETY: sends a signal to our own child.
        let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGHUP) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    fn ipvsctl(&self, args: &[&str]) -> String {
        let out = Command::new("/sbin/ip")
            .args(["netns", "exec", &self.ns, env!("CARGO_BIN_EXE_ipvsctl")])
            .args(args)
            .env("IPVSCTL_STATE_DIR", &self.state)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ipvsctl {args:?} in {}: {}",
            self.ns,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn fingerprint(&self) -> String {
        self.ipvsctl(&["list", "--fingerprint"])
    }

    /// The reals as `ipvsadm -Ln --nosort` lists them (the kernel's list,
    /// by ipvsadm; `-S` does not take `--nosort`): `address forward
    /// weight`.
    fn reals_by_ipvsadm(&self) -> Vec<String> {
        run_in(&self.ns, "ipvsadm", &["-Ln", "--nosort"])
            .lines()
            .filter(|l| l.trim_start().starts_with("->") && !l.contains("RemoteAddress"))
            .map(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                fields[1..4].join(" ")
            })
            .collect()
    }

    /// Opens `FLOWS` connections from the client, source ports from
    /// `first_port`, and reads where the director sent each: source port
    /// → real. In batches (each kept open until the director has an entry
    /// for each of its flows), so that the SYNs do not swamp the lab.
    fn flows(&self, first_port: u16) -> BTreeMap<u16, String> {
        let mut all = BTreeMap::new();
        for batch in (first_port..first_port + FLOWS).step_by(usize::from(BATCH)) {
            let ports = batch..batch + BATCH;
            let sockets = syns(&self.client, ports.clone());
            let mut seen = BTreeMap::new();
            let complete = wait_for(30, || {
                seen = connection_entries(&self.ns, ports.clone());
                seen.len() == usize::from(BATCH)
            });
            drop(sockets);
            assert!(
                complete,
                "{}: {} of the {BATCH} flows from port {batch} have an entry\n{}",
                self.ns,
                seen.len(),
                self.log()
            );
            all.extend(seen);
        }
        all
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("daemon.log")).unwrap_or_default()
    }
}

impl Drop for Director {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = in_ns(&self.ns, "ipvsadm", &["-C"]);
        for ns in [&self.client, &self.ns] {
            let _ = Command::new("/sbin/ip").args(["netns", "del", ns]).status();
        }
    }
}

/// SYNs to the VIP from the client namespace `client`, one per source
/// port, on non-blocking sockets kept open (so the kernel keeps sending
/// them) until dropped.
fn syns(client: &str, ports: std::ops::Range<u16>) -> Vec<OwnedFd> {
    let netns = std::fs::File::open(format!("/run/netns/{client}")).unwrap();
    std::thread::spawn(move || {
        // SAFETY: setns moves only this thread, which ends here.
        let rc = unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        ports.map(syn).collect()
    })
    .join()
    .unwrap()
}

fn sockaddr(address: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: address.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*address.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// A non-blocking connect from `CLIENT:port` to the VIP.
fn syn(port: u16) -> OwnedFd {
    // SAFETY: plain socket calls on a descriptor this function owns, with
    // addresses that live across each call.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let fd = OwnedFd::from_raw_fd(fd);
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let local = sockaddr(SocketAddrV4::new(CLIENT, port));
        let rc = libc::bind(
            fd.as_raw_fd(),
            (&local as *const libc::sockaddr_in).cast(),
            len,
        );
        assert_eq!(rc, 0, "bind {port}: {}", std::io::Error::last_os_error());
        let vip = sockaddr(VIP.parse().unwrap());
        let rc = libc::connect(
            fd.as_raw_fd(),
            (&vip as *const libc::sockaddr_in).cast(),
            len,
        );
        let error = std::io::Error::last_os_error();
        assert!(
            rc == 0 || error.raw_os_error() == Some(libc::EINPROGRESS),
            "connect from {port}: {error}"
        );
        fd
    }
}

/// The director's connection entries from the client on `ports`: source
/// port → real.
fn connection_entries(ns: &str, ports: std::ops::Range<u16>) -> BTreeMap<u16, String> {
    // pro expire state source virtual destination
    run_in(ns, "ipvsadm", &["-Lnc"])
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let source: SocketAddrV4 = fields.get(3)?.parse().ok()?;
            let real = fields.get(5)?;
            (*source.ip() == CLIENT && ports.contains(&source.port()))
                .then(|| (source.port(), real.to_string()))
        })
        .collect()
}

/// The ECMP group's directors, the reals' namespace and its servers.
struct Group {
    reals: String,
    servers: BTreeMap<u8, Child>,
    dir: PathBuf,
    directors: Vec<Director>,
    /// A fourth director without a daemon: its table is made by hand with
    /// ipvsadm, in an order the test chooses (what the kernel does with
    /// that order), to compare the directors' flows against.
    reference: Director,
    config: String,
}

impl Group {
    fn new(dir: &Path) -> Group {
        let tag = format!("mh{}-", std::process::id());
        ip("link add br0 type bridge");
        ip("addr add 10.8.0.254/24 dev br0");
        ip("link set br0 up");
        let reals = format!("{tag}r");
        ip(&format!("netns add {reals}"));
        ip(&format!(
            "link add v-r type veth peer name eth0 netns {reals}"
        ));
        ip("link set v-r master br0 up");
        for octet in [11, 12, 13, 14] {
            ip(&format!("-n {reals} addr add 10.8.0.{octet}/24 dev eth0"));
        }
        ip(&format!("-n {reals} link set eth0 up"));
        ip(&format!("-n {reals} link set lo up"));
        let mut directors = Vec::new();
        for i in 1..=4 {
            let ns = format!("{tag}d{i}");
            let client = format!("{tag}c{i}");
            ip(&format!("netns add {ns}"));
            ip(&format!("netns add {client}"));
            ip(&format!(
                "link add v-d{i} type veth peer name eth0 netns {ns}"
            ));
            ip(&format!("link set v-d{i} master br0 up"));
            ip(&format!("-n {ns} addr add 10.8.0.{i}/24 dev eth0"));
            ip(&format!("-n {ns} link set eth0 up"));
            ip(&format!("-n {ns} link set lo up"));
            ip(&format!("-n {ns} addr add 10.0.0.1/32 dev lo"));
            ip(&format!(
                "-n {ns} link add eth1 type veth peer name eth0 netns {client}"
            ));
            ip(&format!("-n {ns} addr add 10.9.0.1/24 dev eth1"));
            ip(&format!("-n {ns} link set eth1 up"));
            ip(&format!("-n {client} addr add {CLIENT}/24 dev eth0"));
            ip(&format!("-n {client} link set eth0 up"));
            ip(&format!("-n {client} link set lo up"));
            ip(&format!("-n {client} route add default via 10.9.0.1"));
            let state = dir.join(format!("d{i}"));
            std::fs::create_dir_all(&state).unwrap();
            directors.push(Director {
                ns,
                client,
                state,
                daemon: None,
            });
        }
        std::fs::create_dir_all(dir.join("www")).unwrap();
        std::fs::write(dir.join("www/index.html"), "real\n").unwrap();
        let reference = directors.pop().unwrap();
        let mut group = Group {
            reals,
            servers: BTreeMap::new(),
            dir: dir.to_owned(),
            directors,
            reference,
            config: String::new(),
        };
        for octet in [11, 12, 13, 14] {
            group.start_real(octet);
        }
        group
    }

    fn start_real(&mut self, octet: u8) {
        let root = self.dir.join("www");
        let child = Command::new("/sbin/ip")
            .args(["netns", "exec", &self.reals, "busybox", "httpd", "-f", "-p"])
            .arg(format!("10.8.0.{octet}:80"))
            .arg("-h")
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.servers.insert(octet, child);
        let address: SocketAddr = format!("10.8.0.{octet}:80").parse().unwrap();
        let answers = wait_for(5, || {
            TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
        });
        assert!(answers, "10.8.0.{octet}'s web server does not answer");
    }

    fn stop_real(&mut self, octet: u8) {
        let mut child = self.servers.remove(&octet).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn write_config(&mut self, reals: &[(u8, u32)]) {
        self.config = write(&self.dir, "mh.toml", &config(reals));
    }

    /// Waits until every director's fingerprint is `wanted`; then checks
    /// `ipvsadm -Ln --nosort` agrees on all of them.
    fn until_all(&self, wanted: &[(u8, u32)]) {
        let wanted_line = fingerprint(wanted);
        for d in &self.directors {
            let mut shown = String::new();
            let reached = wait_for(30, || {
                shown = d.fingerprint();
                shown == wanted_line
            });
            assert!(
                reached,
                "{}: wanted\n{wanted_line}has\n{shown}{}",
                d.ns,
                d.log()
            );
        }
        let order: Vec<String> = wanted
            .iter()
            .map(|(octet, weight)| format!("10.8.0.{octet}:80 Route {weight}"))
            .collect();
        for d in &self.directors {
            assert_eq!(
                d.reals_by_ipvsadm(),
                order,
                "{}: ipvsadm -Ln --nosort",
                d.ns
            );
        }
    }

    /// Makes the reference director's table by hand: the reals as (last
    /// octet, weight), its list in this order (added last first, as each
    /// goes to the head).
    fn reference_table(&self, reals: &[(u8, u32)]) {
        let ns = &self.reference.ns;
        run_in(ns, "ipvsadm", &["-C"]);
        run_in(
            ns,
            "ipvsadm",
            &["-A", "-t", VIP, "-s", "mh", "-b", "mh-fallback,mh-port"],
        );
        for (octet, weight) in reals.iter().rev() {
            let real = format!("10.8.0.{octet}:80");
            let weight = weight.to_string();
            run_in(
                ns,
                "ipvsadm",
                &["-a", "-t", VIP, "-r", &real, "-g", "-w", &weight],
            );
        }
    }

    /// The same flows through every director: the same real for each.
    /// Returns how many of them the reference director sends elsewhere.
    fn same_flows(&self, first_port: u16) -> usize {
        let all: Vec<BTreeMap<u16, String>> =
            self.directors.iter().map(|d| d.flows(first_port)).collect();
        for (d, flows) in self.directors.iter().zip(&all).skip(1) {
            assert_eq!(
                differing(&all[0], flows),
                0,
                "{} sends flows elsewhere than {}",
                d.ns,
                self.directors[0].ns
            );
        }
        let spread = spread(&all[0]);
        assert!(
            spread.len() > 1,
            "every flow to one real: the flows do not test the table: {spread:?}"
        );
        eprintln!("  flows per real: {spread:?}");
        differing(&all[0], &self.reference.flows(first_port))
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.directors.clear();
        let _ = in_ns(&self.reference.ns, "ipvsadm", &["-C"]);
        for child in self.servers.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("/sbin/ip")
            .args(["netns", "del", &self.reals])
            .status();
    }
}

/// How many of the same flows go to a different real.
fn differing(a: &BTreeMap<u16, String>, b: &BTreeMap<u16, String>) -> usize {
    a.iter()
        .filter(|(port, real)| b.get(port) != Some(*real))
        .count()
}

/// How many flows go to each real.
fn spread(flows: &BTreeMap<u16, String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for real in flows.values() {
        *counts.entry(real.clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn three_directors_keep_the_same_maglev_table() {
    let dir = namespace();
    let _flush = FlushOnDrop;
    let mut group = Group::new(&dir);
    // Listed out of the canonical order on purpose.
    group.write_config(&[(14, 1), (11, 1), (12, 1)]);
    let config = group.config.clone();

    // d1: every real up.
    group.directors[0].start(&config);
    let d1 = &group.directors[0];
    assert!(wait_for(30, || d1.fingerprint()
        == fingerprint(&[(11, 1), (12, 1), (14, 1)])));
    // d2: one real down at its start; it comes up later.
    group.stop_real(12);
    group.directors[1].start(&config);
    let d2 = &group.directors[1];
    assert!(
        wait_for(30, || d2.fingerprint()
            == fingerprint(&[(11, 1), (12, 0), (14, 1)])),
        "{}",
        d2.log()
    );
    group.start_real(12);
    // d3: over a table made by hand, in another order, with a stray real
    // and no flags.
    let d3 = &group.directors[2].ns;
    for rule in [
        "-A -t 10.0.0.1:80 -s mh",
        "-a -t 10.0.0.1:80 -r 10.8.0.12:80 -g -w 5",
        "-a -t 10.0.0.1:80 -r 10.8.0.99:80 -g -w 1",
        "-a -t 10.0.0.1:80 -r 10.8.0.11:80 -g -w 1",
        "-a -t 10.0.0.1:80 -r 10.8.0.14:80 -g -w 1",
    ] {
        run_in(d3, "ipvsadm", &rule.split_whitespace().collect::<Vec<_>>());
    }
    group.directors[2].start(&config);
    group.until_all(&[(11, 1), (12, 1), (14, 1)]);

    // The kernel order as ipvsadm --nosort shows it, and the JSON says so.
    let d1 = &group.directors[0];
    assert_eq!(
        d1.ipvsctl(&["list", "--kernel-order"]),
        run_in(&d1.ns, "ipvsadm", &["-Ln", "--nosort"])
    );
    let json: serde_json::Value =
        serde_json::from_str(&d1.ipvsctl(&["list", "--json", "--kernel-order"])).unwrap();
    assert_eq!(json["real_order"], "kernel");

    // The directors' table is the kernel's own for the canonical order.
    let all_up = [(11, 1), (12, 1), (14, 1)];
    group.reference_table(&all_up);
    assert_eq!(group.same_flows(round(0)), 0, "not the canonical table");

    // A real fails: weight 0 everywhere, no flow goes to it; against the
    // table before, only some flows move.
    group.stop_real(12);
    group.until_all(&[(11, 1), (12, 0), (14, 1)]);
    let moved = group.same_flows(round(1));
    eprintln!("10.8.0.12 down: {moved} of {FLOWS} flows moved");
    assert!(!group.directors[0]
        .flows(round(1))
        .values()
        .any(|r| r == "10.8.0.12:80"));

    // It comes back: the same table as before, flow for flow.
    group.start_real(12);
    group.until_all(&all_up);
    assert_eq!(group.same_flows(round(2)), 0, "the table is not as before");

    // As main did: the real deleted when it failed and added again when
    // it came back, at the head of the list.
    group.reference_table(&[(12, 1), (11, 1), (14, 1)]);
    let moved = group.same_flows(round(3));
    eprintln!("10.8.0.12 re-added at the head (main): {moved} of {FLOWS} flows differ");

    // A weight changes on reload.
    group.reference_table(&all_up);
    group.write_config(&[(14, 1), (11, 3), (12, 1)]);
    for d in &group.directors {
        d.reload();
    }
    let weighted = [(11, 3), (12, 1), (14, 1)];
    group.until_all(&weighted);
    let moved = group.same_flows(round(4));
    eprintln!("10.8.0.11 weight 1 -> 3: {moved} of {FLOWS} flows moved");

    // A real added on reload in the middle of the canonical order.
    group.reference_table(&weighted);
    group.write_config(&[(14, 1), (11, 3), (13, 1), (12, 1)]);
    for d in &group.directors {
        d.reload();
    }
    let added = [(11, 3), (12, 1), (13, 1), (14, 1)];
    group.until_all(&added);
    let moved = group.same_flows(round(5));
    eprintln!("10.8.0.13 added: {moved} of {FLOWS} flows moved");
    group.reference_table(&added);
    assert_eq!(group.same_flows(round(6)), 0, "not the canonical table");

    // The control: deleted and added again by hand on d3, a real is at the
    // head of the list there (the fingerprints differ) until a resync.
    let d3 = &group.directors[2];
    run_in(&d3.ns, "ipvsadm", &["-d", "-t", VIP, "-r", "10.8.0.13:80"]);
    run_in(
        &d3.ns,
        "ipvsadm",
        &["-a", "-t", VIP, "-r", "10.8.0.13:80", "-g", "-w", "1"],
    );
    assert!(d3.fingerprint().contains("kernel order: 10.8.0.13:80"));
    assert_ne!(d3.fingerprint(), group.directors[0].fingerprint());
    let on_d1 = group.directors[0].flows(round(7));
    let on_d3 = d3.flows(round(7));
    let moved = differing(&on_d1, &on_d3);
    eprintln!("10.8.0.13 re-added at the head on d3: {moved} of {FLOWS} flows differ from d1");
    d3.ipvsctl(&["resync"]);
    group.until_all(&added);
    assert_eq!(group.same_flows(round(8)), 0);
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_held_connection_survives_its_real_deleted_and_added_again() {
    let dir = namespace();
    let _flush = FlushOnDrop;
    let site = Site::new(&dir);
    for rule in [
        "-A -t 192.168.0.3:80 -s mh",
        "-a -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 1",
        "-a -t 192.168.0.3:80 -r 192.168.0.5:80 -g -w 1",
    ] {
        ipvsadm(rule);
    }
    let held = site.hold();
    let local = held.local_addr().unwrap().to_string();
    let entry = ipvsadm("-Lnc")
        .lines()
        .find(|l| l.contains(&local))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no entry for {local}"));
    let real = entry.split_whitespace().nth(5).unwrap().to_owned();
    // At once, as the planner does for the reals it re-adds.
    ipvsadm(&format!("-d -t 192.168.0.3:80 -r {real}"));
    ipvsadm(&format!("-a -t 192.168.0.3:80 -r {real} -g -w 1"));
    let name = if real.starts_with("192.168.0.4") {
        "r1"
    } else {
        "r2"
    };
    assert_eq!(finish(held).unwrap(), format!("served by {name}"));
    // The real is at the head of the list now.
    let first = ipvsadm("-Ln --nosort")
        .lines()
        .find(|l| l.contains("->") && !l.contains("RemoteAddress"))
        .map(str::to_owned)
        .unwrap();
    assert!(first.contains(&real), "{first}");
}
