// SPDX-License-Identifier: MIT OR Apache-2.0
//! The keys each TOML table knows, as the unknown-key message lists them, and
//! the words each choice accepts: pinned, so that the schema read from the
//! validator's reads stays what it was.

use config::source::SourceFile;
use config::{toml_file, validate};

/// Every diagnostic of one file, errors and warnings, as printed.
fn all(text: &str) -> Vec<String> {
    let source = SourceFile::new("s.toml", text);
    let table = toml_file::read(&source).expect("TOML");
    let diagnostics = match validate::validate(&[(source, table)]) {
        Ok((_, warnings)) => warnings,
        Err(diagnostics) => diagnostics,
    };
    diagnostics
        .iter()
        .map(|d| {
            let level = if d.is_error() { "error" } else { "warning" };
            format!("{level}: {d}")
        })
        .collect()
}

/// Each file, and every diagnostic it gets, in order.
const CASES: &[(&str, &[&str])] = &[
    ("zzzzzz = 1\n", &[
        "error: s.toml:1:1: zzzzzz: unknown key (known keys: defaults, sync, control, hook, timeouts, kernel, metrics, announce, virtual)",
    ]),
    ("[control]\nzzzzzz = 1\n", &[
        "error: s.toml:2:1: control.zzzzzz: unknown key (known keys: group)",
    ]),
    ("[defaults]\nzzzzzz = 1\n", &[
        "error: s.toml:2:1: defaults.zzzzzz: unknown key (known keys: check_interval, check_timeout, check_rise, check_fall, quiescent, fallback, cleanstop, maintenance_dir, check, hooks_max_running, autoreload, resync)",
    ]),
    ("[sync]\nstate = \"master\"\nsyncid = 1\ninterface = \"eth0\"\nzzzzzz = 1\n", &[
        "error: s.toml:5:1: sync.zzzzzz: unknown key (known keys: state, syncid, interface, maxlen, group, port, ttl)",
    ]),
    ("[timeouts]\nzzzzzz = 1\n", &[
        "error: s.toml:2:1: timeouts.zzzzzz: unknown key (known keys: tcp, tcpfin, udp)",
    ]),
    ("[kernel]\nzzzzzz = 1\n", &[
        "error: s.toml:2:1: kernel.zzzzzz: unknown key (known keys: expire_nodest_conn, expire_quiescent_template, conn_reuse_mode, sloppy_tcp, sloppy_sctp)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\nzzzzzz = 1\n", &[
        "error: s.toml:3:1: virtual[0].zzzzzz: unknown key (known keys: name, address, fwmark, family, protocol, scheduler, scheduler_flags, persistent, netmask, quiescent, fallback, check, maintenance_dir, real, hook, announce)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\nzzzzzz = 1\n", &[
        "error: s.toml:5:1: virtual[0].real[0].zzzzzz: unknown key (known keys: address, forward, weight)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\nfallback = { address = \"10.0.0.9\", zzzzzz = 1 }\n", &[
        "error: s.toml:3:36: virtual[0].fallback.zzzzzz: unknown key (known keys: address, forward, weight)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\nfallback = { zzzzzz = 1 }\n", &[
        "error: s.toml:3:12: virtual[0].fallback.address: missing",
        "error: s.toml:3:14: virtual[0].fallback.zzzzzz: unknown key (known keys: address, forward, weight)",
    ]),
    ("[defaults]\nfallback = { address = \"10.0.0.9\", zzzzzz = 1 }\n", &[
        "error: s.toml:2:36: defaults.fallback.zzzzzz: unknown key (known keys: address, forward, weight)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { zzzzzz = 1 }\n", &[
        "error: s.toml:3:11: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\", zzzzzz = 1 }\n", &[
        "error: s.toml:3:26: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"external\", zzzzzz = 1 }\n", &[
        "error: s.toml:3:9: virtual[0].check.command: missing: [\"/path/prog\", \"{ip}\", \"{port}\"]",
        "error: s.toml:3:30: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"bad\", zzzzzz = 1, request = 3, command = 4 }\n", &[
        "error: s.toml:3:18: virtual[0].check.type: unknown check type `bad` (connect, http, https, tcp, udp, dns, external, none, off, mysql, pgsql, ldap, ldaps, smtp, smtps, pop, pops, imap, imaps, nntp, ftp, radius, sip or ping; also submission)",
        "error: s.toml:3:25: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"connect\", zzzzzz = 1, request = 3, command = 4, status = \"x\" }\n", &[
        "error: s.toml:3:29: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
        "error: s.toml:3:51: virtual[0].check.request: only for http, https, tcp, udp, dns, mysql, pgsql, ldap, ldaps and ftp checks",
        "error: s.toml:3:64: virtual[0].check.command: only for external checks",
        "error: s.toml:3:76: virtual[0].check.status: only for http and https checks",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"https\", zzzzzz = 1, request = 3, command = 4, status = \"x\" }\n", &[
        "error: s.toml:3:27: virtual[0].check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
        "error: s.toml:3:49: virtual[0].check.request: expected a string, found an integer",
        "error: s.toml:3:62: virtual[0].check.command: only for external checks",
        "error: s.toml:3:74: virtual[0].check.status: `x` is not a status code: write codes and ranges such as \"200-299,401\"",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { typ = \"http\", intervall = 2, methd = \"GET\" }\n", &[
        "error: s.toml:3:11: virtual[0].check.typ: unknown key; did you mean `type`?",
        "error: s.toml:3:25: virtual[0].check.intervall: unknown key; did you mean `interval`?",
        "error: s.toml:3:40: virtual[0].check.methd: unknown key; did you mean `method`?",
    ]),
    ("[defaults]\ncheck = { zzzzzz = 1, interval = 0 }\n[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual]]\naddress = \"10.0.0.1:80\"\n", &[
        "error: s.toml:2:11: defaults.check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
        "error: s.toml:2:11: defaults.check.zzzzzz: unknown key (known keys: type, port, interval, timeout, rise, fall, request, receive, receive_regex, status, host, method, verify, protocol, command, login, password, password_file, database, secret, starttls)",
        "error: s.toml:2:34: defaults.check.interval: must be more than 0 and at most 86400 seconds, found 0",
        "error: s.toml:2:34: defaults.check.interval: must be more than 0 and at most 86400 seconds, found 0",
    ]),
    ("[defaults]\ncheck = { zzzzzz = 1, interval = 0 }\n", &[]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\nprotocol = \"x\"\n", &[
        "error: s.toml:3:12: virtual[0].protocol: `x` is not a protocol (tcp, udp or sctp)",
    ]),
    ("[[virtual]]\nfwmark = 1\nfamily = \"x\"\n", &[
        "error: s.toml:3:10: virtual[0].family: `x` is not a family (ipv4 or ipv6)",
    ]),
    ("[sync]\nstate = \"x\"\nsyncid = 1\ninterface = \"eth0\"\n", &[
        "error: s.toml:2:9: sync.state: `x` is not a sync state (master, backup or both)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\nforward = \"x\"\n", &[
        "error: s.toml:5:11: virtual[0].real[0].forward: `x` is not a forwarding method (gate, masq or ipip; also dr, nat, tun)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\", method = \"x\" }\n", &[
        "error: s.toml:3:35: virtual[0].check.method: `x` is not GET or HEAD",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\", method = \"head\" }\n", &[]),
    ("[[hook]]\nevents = \"*\"\ncommand = [\"/bin/true\"]\nzzzzzz = 1\n", &[
        "error: s.toml:4:1: hook[0].zzzzzz: unknown key (known keys: events, command, timeout)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.hook]]\nevents = [\"real-dwn\"]\ncommand = [\"/bin/true\"]\n", &[
        "error: s.toml:4:11: virtual[0].hook[0].events: unknown event `real-dwn` (real-up, real-down, real-drained, real-disabled, real-enabled, real-weight, fallback-in, fallback-out, reload-applied, reload-refused, announced or withdrawn)",
    ]),
    ("[[virtual]]\naddress = \"10.0.0.1:80\"\nscheduler = \"x\"\n", &[
        "error: s.toml:3:13: virtual[0].scheduler: unknown scheduler `x` (one of rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)",
    ]),
];

#[test]
fn each_table_names_its_keys_and_each_choice_its_words() {
    for (text, expected) in CASES {
        assert_eq!(all(text), *expected, "for {text:?}");
    }
}
