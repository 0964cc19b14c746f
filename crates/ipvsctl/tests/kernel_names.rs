// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host names in an ldirectord `.cf` file, resolved when it is read (the
//! lab's /etc/hosts: `127.0.0.1 localhost lab`, `::1 localhost
//! ip6-localhost ip6-loopback`), against a real IPVS kernel, cross-checked
//! with `ipvsadm -Sn`. Run inside the lab (`scripts/test`).

mod common;

use common::{ipvsctl, namespace, saved, stderr, stdout, write};

const NAMED: &str = "\
checktimeout=3
quiescent=no
virtual=lab:http
\treal=localhost:8080 masq 2
\treal=localhost->127.0.0.3:8081 masq
\tchecktype=on
virtual6=[ip6-localhost]:www
\treal6=ip6-loopback:8080 masq 3
\tchecktype=on
";

/// The same services, written with addresses.
const ADDRESSES: &str = r#"
[[virtual]]
address = "127.0.0.1:80"
scheduler = "wrr"
  [[virtual.real]]
  address = "127.0.0.1:8080"
  forward = "masq"
  weight = 2
  [[virtual.real]]
  address = "127.0.0.1:8081"
  forward = "masq"
  [[virtual.real]]
  address = "127.0.0.2:8081"
  forward = "masq"
  [[virtual.real]]
  address = "127.0.0.3:8081"
  forward = "masq"

[[virtual]]
address = "[::1]:80"
scheduler = "wrr"
  [[virtual.real]]
  address = "[::1]:8080"
  forward = "masq"
  weight = 3
"#;

const SAVED: &[&str] = &[
    "-A -t 127.0.0.1:80 -s wrr",
    "-a -t 127.0.0.1:80 -r 127.0.0.1:8080 -m -w 2",
    "-a -t 127.0.0.1:80 -r 127.0.0.1:8081 -m -w 1",
    "-a -t 127.0.0.1:80 -r 127.0.0.2:8081 -m -w 1",
    "-a -t 127.0.0.1:80 -r 127.0.0.3:8081 -m -w 1",
    "-A -t [::1]:80 -s wrr",
    "-a -t [::1]:80 -r [::1]:8080 -m -w 3",
];

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn names_are_applied_as_their_addresses_with_a_warning_each() {
    let state = namespace();
    let cf = write(&state, "named.cf", NAMED);
    let out = ipvsctl(&state, &["apply", &cf]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut expected = SAVED.to_vec();
    expected.sort_unstable();
    let mut table = saved();
    table.sort_unstable();
    assert_eq!(table, expected);
    let warnings: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.contains("host name"))
        .map(|l| l.replacen(&format!("{cf}:"), "", 1))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: 3:9: virtual: host name `lab` resolved to 127.0.0.1",
            "warning: 4:7: real: host name `localhost` resolved to 127.0.0.1",
            "warning: 5:7: real: host name `localhost` resolved to 127.0.0.1",
            "warning: 7:10: virtual6: host name `ip6-localhost` resolved to ::1",
            "warning: 8:8: real6: host name `ip6-loopback` resolved to ::1",
        ]
    );
    let toml = write(&state, "addresses.toml", ADDRESSES);
    let plan = ipvsctl(&state, &["plan", &toml]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
#[ignore = "needs an IPVS kernel: scripts/lab"]
fn a_name_that_does_not_resolve_applies_nothing() {
    let state = namespace();
    let broken = NAMED.replace("real=localhost:8080", "real=web1.invalid:8080");
    let cf = write(&state, "broken.cf", &broken);
    let out = ipvsctl(&state, &["apply", &cf]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!(
            "error: {cf}:4:7: real: host name `web1.invalid` does not resolve: "
        )),
        "{}",
        stderr(&out)
    );
    assert!(saved().is_empty(), "{:?}", saved());
    // A name of the other family is told so.
    let six = NAMED.replace("real6=ip6-loopback", "real6=lab");
    let cf = write(&state, "six.cf", &six);
    let out = ipvsctl(&state, &["validate", &cf]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "error: {cf}:8:8: real6: host name `lab` resolves only to IPv4 (127.0.0.1)"
        )),
        "{}",
        stderr(&out)
    );
}
