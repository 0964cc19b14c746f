// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl convert keepalived.conf`: the reader of keepalived's
//! configuration, against the samples of Debian's keepalived package
//! (/usr/share/doc/keepalived/samples, installed by scripts/test) and our
//! own configurations (tests/data/keepalived/) written to exercise what
//! the samples of acassen/keepalived's doc/samples exercise. Each converted
//! configuration is written back as TOML and that TOML must validate.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use config::model::{CheckKind, Config, Forward, HookEvent, Protocol, VirtualKey};
use config::{load, Diagnostic, Loaded};

const SAMPLES: &str = "/usr/share/doc/keepalived/samples";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keepalived")
        .join(name)
}

fn convert(path: &Path, id: Option<&str>) -> Result<Loaded, Vec<Diagnostic>> {
    load::load_keepalived(path, id)
}

/// The configuration written as TOML, read back: the same configuration.
fn round_trip(config: &Config, name: &str) {
    let text = config::write::to_toml(config, "test");
    let dir = std::env::temp_dir().join(format!("ka-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Tests run in parallel and may write the same sample: a name of its own.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let file = dir.join(format!("{n}-{}.toml", name.replace('/', "_")));
    std::fs::write(&file, &text).expect("write");
    let again = config::load(std::slice::from_ref(&file));
    let _ = std::fs::remove_file(&file);
    match again {
        Ok(l) => assert_eq!(
            l.config.virtuals.len(),
            config.virtuals.len(),
            "{name}: {text}"
        ),
        Err(e) => panic!("{name}: the written TOML does not validate: {e:?}\n{text}"),
    }
}

fn ok(path: &Path, id: Option<&str>) -> Loaded {
    match convert(path, id) {
        Ok(l) => {
            round_trip(&l.config, &path.display().to_string());
            l
        }
        Err(e) => panic!("{}: {e:#?}", path.display()),
    }
}

/// The first error: its line, and a text its message holds.
fn error(path: &Path) -> (usize, String) {
    match convert(path, None) {
        Ok(_) => panic!("{}: converted, but should be refused", path.display()),
        Err(e) => {
            let first = e.iter().find(|d| d.is_error()).expect("an error");
            assert_eq!(first.file, path, "{first}");
            (first.location.line, first.to_string())
        }
    }
}

fn warned(l: &Loaded, line: usize, text: &str) -> bool {
    l.warnings
        .iter()
        .any(|w| w.location.line == line && w.to_string().contains(text))
}

/// Each Debian sample: how many virtuals and reals it converts to.
const DEBIAN: &[(&str, usize, usize)] = &[
    ("HTTP_GET.port", 1, 1),
    ("IPv6", 1, 1),
    ("PING_CHECK", 1, 1),
    ("SMTP_CHECK", 1, 3),
    ("SSL_GET", 2, 2),
    ("UDP_CHECK", 1, 1),
    ("conditional_conf", 0, 0),
    ("fwmark", 1, 2),
    ("inhibit", 1, 1),
    ("misc_check", 1, 1),
    ("misc_check_arg", 1, 1),
    ("quorum", 1, 10),
    ("sample", 1, 1),
    ("status_code", 1, 1),
    ("track_interface", 0, 0),
    ("virtual_server_group", 13, 26),
    ("virtualhost", 1, 1),
    ("vrrp", 0, 0),
    ("vrrp.localcheck", 0, 0),
    ("vrrp.lvs_syncd", 1, 1),
    ("vrrp.routes", 0, 0),
    ("vrrp.rules", 0, 0),
    ("vrrp.scripts", 0, 0),
    ("vrrp.static_ipaddress", 0, 0),
    ("vrrp.sync", 0, 0),
];

#[test]
fn every_debian_sample_converts_to_toml_that_validates() {
    let dir = Path::new(SAMPLES);
    assert!(
        dir.is_dir(),
        "{SAMPLES} is missing: install Debian's keepalived package (scripts/test does)"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("samples")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_prefix("keepalived.conf.").map(str::to_string))
        .collect();
    names.sort();
    let listed: Vec<&str> = DEBIAN.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        names, listed,
        "a sample was added or removed: say what it converts to"
    );
    for (name, virtuals, reals) in DEBIAN {
        let path = dir.join(format!("keepalived.conf.{name}"));
        let l = ok(&path, None);
        let c = &l.config;
        assert_eq!(c.virtuals.len(), *virtuals, "{name}");
        let n: usize = c.virtuals.iter().map(|v| v.reals.len()).sum();
        assert_eq!(n, *reals, "{name}");
        let left: Vec<_> = l
            .warnings
            .iter()
            .filter(|w| w.message.starts_with("left to keepalived"))
            .collect();
        assert!(
            left.len() <= 1,
            "{name}: one line for keepalived's blocks: {left:?}"
        );
        for w in &l.warnings {
            assert!(w.location.line > 0 && w.file == path, "{name}: {w}");
        }
    }
}

#[test]
fn debian_sample_mappings() {
    let dir = Path::new(SAMPLES);
    let l = ok(&dir.join("keepalived.conf.sample"), None);
    let v = &l.config.virtuals[0];
    assert_eq!(v.scheduler, "rr");
    assert_eq!(v.persistent, Some(50));
    assert_eq!(v.reals[0].forward, Forward::Masq);
    assert_eq!(
        v.fallback.map(|f| f.address.to_string()),
        Some("192.168.200.200:1358".into())
    );
    assert!(matches!(v.check.kind, CheckKind::Http(_)));
    assert_eq!(v.check.interval.as_secs(), 6);
    assert_eq!(v.check.timeout.as_secs(), 3);
    assert_eq!(v.check.fall, 4, "retry 3: three more checks");
    let l = ok(&dir.join("keepalived.conf.fwmark"), None);
    assert!(matches!(
        l.config.virtuals[0].key,
        VirtualKey::Fwmark { .. }
    ));
    let l = ok(&dir.join("keepalived.conf.inhibit"), None);
    assert!(l.config.virtuals[0].quiescent);
    let l = ok(&dir.join("keepalived.conf.IPv6"), None);
    assert!(l.config.virtuals[0].reals[0].address.is_ipv6());
}

#[test]
fn a_site_with_several_kinds_of_virtual_and_an_include() {
    let l = ok(&data("site.conf"), None);
    let c = &l.config;
    assert_eq!(c.virtuals.len(), 4);
    assert_eq!(c.timeouts.tcp.map(|t| t.as_secs()), Some(900));
    assert!(c.cleanstop);
    let dr = &c.virtuals[0];
    assert_eq!(dr.scheduler, "wrr");
    assert_eq!(dr.persistent, Some(300));
    assert!(dr.netmask.is_some());
    assert_eq!(dr.reals[0].forward, Forward::Gate);
    assert_eq!(dr.reals[0].weight, 3);
    assert!(matches!(dr.check.kind, CheckKind::None));
    assert_eq!(dr.check.interval.as_secs(), 4);
    let nat = &c.virtuals[1];
    assert_eq!(nat.reals[1].address.to_string(), "10.1.0.13:8000");
    assert_eq!(nat.reals[1].forward, Forward::Masq);
    assert!(matches!(
        c.virtuals[2].key,
        VirtualKey::Fwmark { mark: 7, .. }
    ));
    let udp = &c.virtuals[3];
    assert!(matches!(
        udp.key,
        VirtualKey::Address {
            protocol: Protocol::Udp,
            ..
        }
    ));
    assert_eq!(udp.reals[0].forward, Forward::Ipip);
    assert!(udp.origin.file.ends_with("site.d/dns.conf"));
    let left: Vec<_> = l
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("left to keepalived"))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].message.contains("global_defs, vrrp_instance"));
    assert_eq!(left[0].location.line, 3);
}

#[test]
fn every_checker_maps_or_warns() {
    let l = ok(&data("checks.conf"), None);
    let v = &l.config.virtuals;
    let CheckKind::Http(h) = &v[0].check.kind else {
        panic!("{:?}", v[0].check.kind)
    };
    assert_eq!(h.request, "/health");
    assert_eq!(h.host.as_deref(), Some("www.example.org"));
    assert_eq!(
        h.status.as_ref().map(ToString::to_string),
        Some("200,301-302".into())
    );
    assert_eq!(v[0].check.port, Some(8081));
    assert_eq!(v[0].check.fall, 3);
    assert!(v[0].quiescent, "inhibit_on_failure");
    assert_eq!(v[0].fallback.map(|f| f.weight), Some(1));
    let events: Vec<_> = v[0].hooks.iter().map(|h| h.events.clone()).collect();
    assert_eq!(events, [vec![HookEvent::RealUp], vec![HookEvent::RealDown]]);
    assert_eq!(
        v[0].hooks[0].command,
        ["/usr/local/bin/page", "up", "{real}"]
    );
    assert!(warned(&l, 18, "digest: no equal"));
    assert!(warned(&l, 20, "only the first is converted"));
    assert!(warned(
        &l,
        32,
        "TCP_CHECK: ipvsctl has one check per virtual"
    ));
    let CheckKind::Https(s) = &v[1].check.kind else {
        panic!("{:?}", v[1].check.kind)
    };
    assert!(!s.verify);
    assert_eq!(s.host.as_deref(), Some("secure.example.org"));
    assert!(s.receive.is_some());
    assert!(matches!(v[2].check.kind, CheckKind::Smtp(_)));
    assert_eq!((v[2].check.timeout.as_secs(), v[2].check.fall), (9, 1));
    let CheckKind::Dns(d) = &v[3].check.kind else {
        panic!("{:?}", v[3].check.kind)
    };
    assert_eq!(
        d.query.as_ref().map(|q| q.name.as_str()),
        Some("www.example.org")
    );
    let CheckKind::Udp(u) = &v[4].check.kind else {
        panic!("{:?}", v[4].check.kind)
    };
    assert_eq!(u.request.as_deref(), Some("ping"));
    assert!(matches!(v[5].check.kind, CheckKind::Ping));
    assert!(warned(&l, 91, "BFD_CHECK: no equal"));
    assert!(warned(&l, 96, "FILE_CHECK: no equal"));
    assert!(warned(
        &l,
        95,
        "real_server: keepalived does not check this real"
    ));
    let CheckKind::External(command) = &v[6].check.kind else {
        panic!("{:?}", v[6].check.kind)
    };
    assert_eq!(command, &["/usr/local/bin/check-db", "--port", "3306"]);
    assert_eq!(v[6].check.timeout.as_secs(), 4);
    for (line, key) in [
        (104, "alpha"),
        (105, "omega"),
        (106, "quorum"),
        (113, "misc_dynamic"),
    ] {
        assert!(warned(&l, line, key), "{key}");
    }
}

#[test]
fn a_group_stands_for_each_of_its_services() {
    let l = ok(&data("groups.conf"), None);
    let keys: Vec<String> = l
        .config
        .virtuals
        .iter()
        .map(|v| match v.key {
            VirtualKey::Address { address, .. } => address.to_string(),
            VirtualKey::Fwmark { mark, .. } => format!("fwmark {mark}"),
        })
        .collect();
    assert_eq!(
        keys,
        [
            "203.0.113.1:80",
            "203.0.113.5:80",
            "203.0.113.6:80",
            "203.0.113.7:80",
            "fwmark 9"
        ]
    );
    assert!(l.config.virtuals.iter().all(|v| v.reals.len() == 1));
    assert_eq!(
        l.config.virtuals[4].reals[0].address.to_string(),
        "10.3.0.1:80",
        "a fwmark virtual's real keeps its port"
    );
}

#[test]
fn conditional_lines_and_parameters() {
    let east = ok(&data("conditional.conf"), Some("east"));
    assert_eq!(east.config.virtuals[0].scheduler, "rr");
    assert_eq!(
        east.config.virtuals[0].reals[0].address.to_string(),
        "10.4.0.1:80"
    );
    let west = ok(&data("conditional.conf"), Some("west"));
    assert_eq!(west.config.virtuals[0].scheduler, "wlc");
}

#[test]
fn unreadable_files_are_errors_at_their_line() {
    let cases = [
        ("unbalanced.conf", 1, "never closed"),
        ("stray-brace.conf", 4, "closes no block"),
        ("no-address.conf", 2, "virtual_server: missing"),
        ("bad-range.conf", 2, "ends (3) before it starts (9)"),
        ("bad-values.conf", 2, "lb_kind: `FULLNAT`"),
    ];
    for (name, line, text) in cases {
        let (at, message) = error(&data(name));
        assert_eq!(at, line, "{name}: {message}");
        assert!(message.contains(text), "{name}: {message}");
    }
    let e = convert(&data("bad-values.conf"), None)
        .err()
        .unwrap_or_default();
    assert!(e
        .iter()
        .any(|d| d.location.line == 3 && d.message.contains("not an IP address")));
    let e = convert(&data("missing.conf"), None)
        .err()
        .unwrap_or_default();
    assert!(e[0].message.contains("cannot read"), "{e:?}");
}

/// A file of its own in a temporary directory.
fn file_with(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ka-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn includes_that_loop_or_match_nothing() {
    let path = file_with("loop", "include keepalived.conf\n");
    let (line, message) = error(&path);
    assert_eq!(line, 1);
    assert!(message.contains("nest deeper"), "{message}");
    let path = file_with(
        "none",
        "include nothing/*.conf\nvirtual_server 10.0.0.1 80 {\n lb_kind DR\n}\n",
    );
    let l = ok(&path, None);
    assert!(warned(&l, 1, "matches no file"));
}

#[test]
fn settings_with_no_equal_and_unknown_keywords_are_warnings() {
    let path = file_with(
        "warn",
        "virtual_server 10.0.0.1 80 {\n lb_kind DR\n sorry_server_inhibit\n frobnicate 3\n \
         real_server 10.0.1.1 80 {\n  uthreshold 100\n  TCP_CHECK {\n   connect_ip 10.9.9.9\n  }\n }\n}\n\
         no_such_block {\n x\n}\n",
    );
    let l = ok(&path, None);
    assert!(warned(&l, 3, "sorry_server_inhibit: no equal"));
    assert!(warned(&l, 4, "frobnicate: unknown keyword"));
    assert!(warned(&l, 6, "uthreshold: no equal"));
    assert!(warned(&l, 8, "connect_ip: no equal"));
    assert!(warned(&l, 12, "no_such_block: unknown keyword"));
}

#[test]
fn two_checkers_of_one_real_keep_the_first() {
    let path = file_with(
        "two",
        "virtual_server 10.0.0.1 80 {\n lb_kind DR\n real_server 10.0.1.1 80 {\n           TCP_CHECK {\n   connect_port 81\n  }\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n",
    );
    let l = ok(&path, None);
    let check = &l.config.virtuals[0].check;
    assert!(matches!(check.kind, CheckKind::Connect), "{check:?}");
    assert_eq!(check.port, Some(81));
    assert!(warned(
        &l,
        7,
        "HTTP_GET: ipvsctl has one check per virtual: only the first checker"
    ));
}

#[test]
fn what_ipvsctl_refuses_is_refused_at_the_line() {
    // A TOML error from the validator points at the keepalived line.
    let path = file_with(
        "sched",
        "virtual_server 10.0.0.1 80 {\n lb_kind DR\n lb_algo nosuch\n}\n",
    );
    let (line, message) = error(&path);
    assert_eq!(line, 3, "{message}");
}

#[test]
fn no_panic_on_garbage() {
    for text in [
        "{", "}", "{{}}", "virtual_server", "virtual_server fwmark", "virtual_server group",
        "virtual_server 10.0.0.1 99999 {\n}", "virtual_server_group {\n}",
        "virtual_server 10.0.0.1 80 {\n real_server {\n }\n}", "\"unterminated",
        "$A=$A$A\nvirtual_server $A 80 {\n}", "@ x", "include", "virtual_server ::1 80 {\n}\n",
        "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n UDP_CHECK {\n payload zz\n }\n }\n}",
    ] {
        let path = file_with("garbage", text);
        let _ = convert(&path, None);
    }
}
