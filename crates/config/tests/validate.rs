// SPDX-License-Identifier: MIT OR Apache-2.0
//! TOML files: what is accepted, and the exact words for what is not.

use std::net::SocketAddr;
use std::time::Duration;

use config::model::{
    CheckKind, Family, Forward, Netmask, Protocol, Real, Receive, SyncRole, VirtualKey,
};
use config::source::SourceFile;
use config::{toml_file, validate, Config};

fn load_all(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        let source = SourceFile::new(*name, *text);
        match toml_file::read(&source) {
            Ok(table) => documents.push((source, table)),
            Err(d) => errors.extend(d.iter().map(ToString::to_string)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    validate::validate(&documents)
        .map(|(config, _)| config)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect()
        })
}

fn load(text: &str) -> Result<Config, Vec<String>> {
    load_all(&[("www.toml", text)])
}

fn errors(text: &str) -> Vec<String> {
    load(text).expect_err("should be refused")
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

const SEED: &str = r#"
[defaults]
check_interval = 2
check_timeout = 1
quiescent = false

[[virtual]]
name = "www"
address = "192.168.0.3:80"
protocol = "tcp"
scheduler = "wlc"
persistent = 3600
fallback = "127.0.0.1:80"
check = { type = "connect" }

  [[virtual.real]]
  address = "192.168.0.4:80"
  forward = "gate"
  weight = 1

  [[virtual.real]]
  address = "192.168.0.5:80"
"#;

#[test]
fn the_seed_example_reads_with_every_default_filled_in() {
    let config = load(SEED).unwrap();
    assert_eq!(config.virtuals.len(), 1);
    let v = &config.virtuals[0];
    assert_eq!(v.name.as_deref(), Some("www"));
    assert_eq!(
        v.key,
        VirtualKey::Address {
            protocol: Protocol::Tcp,
            address: addr("192.168.0.3:80")
        }
    );
    assert_eq!(v.scheduler, "wlc");
    assert_eq!(v.persistent, Some(3600));
    assert!(!v.quiescent);
    assert_eq!(
        v.fallback,
        Some(Real {
            address: addr("127.0.0.1:80"),
            forward: Forward::Gate,
            weight: 1
        })
    );
    assert_eq!(v.check.kind, CheckKind::Connect);
    assert_eq!(v.check.interval, Duration::from_secs(2));
    assert_eq!(v.check.timeout, Duration::from_secs(1));
    assert_eq!(
        v.reals,
        [
            Real {
                address: addr("192.168.0.4:80"),
                forward: Forward::Gate,
                weight: 1
            },
            Real {
                address: addr("192.168.0.5:80"),
                forward: Forward::Gate,
                weight: 1
            },
        ]
    );
    assert_eq!(v.origin.location.line, 7);
}

#[test]
fn etc_www_toml_is_the_seed() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dist/examples/www.toml"
    ))
    .unwrap();
    assert_eq!(
        load(&text).unwrap().virtuals[0].reals,
        load(SEED).unwrap().virtuals[0].reals
    );
}

#[test]
fn syntax_errors_name_the_place() {
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\n"),
        ["www.toml:2:23: TOML syntax: invalid basic string, expected `\"`"]
    );
}

#[test]
fn unknown_keys_are_errors_with_a_suggestion() {
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\nschedular = \"rr\"\n"),
        ["www.toml:3:1: virtual[0].schedular: unknown key; did you mean `scheduler`?"]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\nwieght = 2\n"),
        ["www.toml:5:1: virtual[0].real[0].wieght: unknown key; did you mean `weight`?"]
    );
    assert_eq!(
        errors("[sinc]\n"),
        ["www.toml:1:2: sinc: unknown key; did you mean `sync`?"]
    );
}

#[test]
fn every_kind_of_bad_value_is_refused_with_its_key() {
    let text = r#"
[defaults]
check_interval = -2

[[virtual]]
address = "192.168.0.3"
scheduler = "wlcx"

[[virtual]]
address = "192.168.0.300:80"
protocol = "icmp"

[[virtual]]
address = "10.0.0.1:80"
  [[virtual.real]]
  address = "10.0.0.2:80"
  weight = 70000
  [[virtual.real]]
  address = "10.0.0.3:80"
  forward = "tunnel"
  [[virtual.real]]
  address = "10.0.0.2:80"
  [[virtual.real]]
  address = "[2001:db8::2]:80"
"#;
    assert_eq!(
        errors(text),
        [
            "www.toml:3:18: defaults.check_interval: must be more than 0 and at most 86400 seconds, found -2",
            "www.toml:6:11: virtual[0].address: `192.168.0.3` has no port: write a.b.c.d:port or [v6]:port",
            "www.toml:7:13: virtual[0].scheduler: unknown scheduler `wlcx` (one of rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)",
            "www.toml:10:11: virtual[1].address: `192.168.0.300:80` is not an address: expected a.b.c.d:port or [v6]:port",
            "www.toml:11:12: virtual[1].protocol: `icmp` is not a protocol (tcp, udp or sctp)",
            "www.toml:17:12: virtual[2].real[0].weight: 70000 is out of range 0..=65535",
            "www.toml:20:13: virtual[2].real[1].forward: `tunnel` is not a forwarding method (gate, masq or ipip; also dr, nat, tun)",
            "www.toml:22:13: virtual[2].real[2].address: duplicate real 10.0.0.2:80 in this virtual (first at line 16)",
            "www.toml:24:13: virtual[2].real[3].address: [2001:db8::2]:80 is IPv6 but the virtual is IPv4: only ipip forwarding can mix families",
        ]
    );
}

#[test]
fn mixed_families_are_fine_with_ipip() {
    let config = load(
        "[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"[2001:db8::2]:80\"\nforward = \"tun\"\n",
    )
    .unwrap();
    assert_eq!(config.virtuals[0].reals[0].forward, Forward::Ipip);
}

#[test]
fn wrong_types_say_what_was_expected() {
    assert_eq!(
        errors(
            "[[virtual]]\naddress = \"10.0.0.1:80\"\npersistent = \"3600\"\nquiescent = \"yes\"\n"
        ),
        [
            "www.toml:3:14: virtual[0].persistent: expected an integer, found a string",
            "www.toml:4:13: virtual[0].quiescent: expected true or false, found a string",
        ]
    );
}

#[test]
fn duplicate_virtuals_across_files_name_both_places() {
    let a = "[[virtual]]\naddress = \"10.0.0.1:80\"\n";
    let b = "\n\n[[virtual]]\naddress = \"10.0.0.1:80\"\n";
    assert_eq!(
        load_all(&[("a.toml", a), ("b.toml", b)]).unwrap_err(),
        ["b.toml:3:1: duplicate virtual tcp 10.0.0.1:80 (first declared at a.toml:1:1)"]
    );
}

#[test]
fn several_files_form_one_state() {
    let a = "[defaults]\nquiescent = true\n[[virtual]]\naddress = \"10.0.0.1:80\"\n";
    let b =
        "[[virtual]]\nfwmark = 7\nfamily = \"ipv6\"\ncheck = { type = \"none\" }\n[[virtual.real]]\naddress = \"2001:db8::5\"\n";
    let config = load_all(&[("a.toml", a), ("b.toml", b)]).unwrap();
    assert_eq!(config.virtuals.len(), 2);
    assert!(
        config.virtuals[0].quiescent,
        "a file's defaults apply to its virtuals"
    );
    assert!(!config.virtuals[1].quiescent, "and only to them");
    assert_eq!(
        config.virtuals[1].key,
        VirtualKey::Fwmark {
            family: Family::Ipv6,
            mark: 7
        }
    );
    assert_eq!(config.virtuals[1].reals[0].address, addr("[2001:db8::5]:0"));
}

#[test]
fn fwmark_rules() {
    assert_eq!(
        errors("[[virtual]]\nfwmark = 7\nprotocol = \"tcp\"\n"),
        ["www.toml:3:12: virtual[0].protocol: a fwmark virtual has no protocol: the mark selects the packets"]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\nfwmark = 7\n"),
        ["www.toml:3:10: virtual[0].fwmark: a virtual has `address` or `fwmark`, not both"]
    );
    assert_eq!(
        errors("[[virtual]]\nname = \"x\"\n"),
        ["www.toml:1:1: virtual[0].address: missing: `address = \"ip:port\"` or `fwmark = N`"]
    );
}

#[test]
fn reals_inherit_the_virtual_port_and_fwmark_reals_port_zero() {
    let config = load(
        "[[virtual]]\naddress = \"10.0.0.1:443\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\n\
         [[virtual]]\nfwmark = 9\ncheck = { port = 443 }\n[[virtual.real]]\naddress = \"10.0.0.3\"\n",
    )
    .unwrap();
    assert_eq!(config.virtuals[0].reals[0].address, addr("10.0.0.2:443"));
    assert_eq!(config.virtuals[1].reals[0].address, addr("10.0.0.3:0"));
}

#[test]
fn netmask_and_persistence() {
    let config = load(
        "[[virtual]]\naddress = \"10.0.0.1:80\"\npersistent = 60\nnetmask = \"255.255.255.0\"\n\
         [[virtual]]\naddress = \"[2001:db8::1]:80\"\npersistent = 60\nnetmask = 64\n",
    )
    .unwrap();
    assert_eq!(
        config.virtuals[0].netmask,
        Some(Netmask::V4("255.255.255.0".parse().unwrap()))
    );
    assert_eq!(config.virtuals[1].netmask, Some(Netmask::V6(64)));
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\npersistent = 0\n"),
        ["www.toml:3:14: virtual[0].persistent: 0 is out of range 1..=31536000"]
    );
}

#[test]
fn checks_are_typed_and_checked() {
    let config = load(
        r#"[[virtual]]
address = "10.0.0.1:80"
check = { type = "http", port = 8080, interval = 0.5, timeout = 1, rise = 2, fall = 3, request = "alive.html", receive = "OK", status = 200, host = "www.example.com", method = "head" }
"#,
    )
    .unwrap();
    let check = &config.virtuals[0].check;
    let CheckKind::Http(http) = &check.kind else {
        panic!("{check:?}")
    };
    assert_eq!(http.request, "/alive.html");
    assert_eq!(http.method, "HEAD");
    assert_eq!(http.status.as_ref().and_then(|s| s.single()), Some(200));
    assert_eq!(check.interval, Duration::from_millis(500));
    assert_eq!((check.rise, check.fall, check.port), (2, 3, Some(8080)));
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"connect\", receive = \"OK\" }\n"),
        ["www.toml:3:39: virtual[0].check.receive: only for http, https, tcp, udp, dns, ldap, ldaps and ftp checks"]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"external\", command = [\"check.sh\"] }\n"),
        ["www.toml:3:40: virtual[0].check.command: the program must be an absolute path (it runs without a shell)"]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"icmp\" }\n"),
        ["www.toml:3:18: virtual[0].check.type: unknown check type `icmp` (connect, http, https, tcp, udp, dns, external, none, off, mysql, pgsql, ldap, ldaps, smtp, smtps, pop, pops, imap, imaps, nntp, ftp, radius, sip or ping; also submission)"]
    );
}

#[test]
fn sync_section() {
    let config = load("[sync]\nstate = \"master\"\nsyncid = 1\ninterface = \"eth0\"\n").unwrap();
    let sync = config.sync.unwrap();
    assert_eq!(
        (sync.state, sync.syncid, sync.interface.as_str()),
        (SyncRole::Master, 1, "eth0")
    );
    assert_eq!(
        errors("[sync]\nstate = \"primary\"\nsyncid = 300\ninterface = \"eth0\"\ngroup = \"10.0.0.1\"\n"),
        [
            "www.toml:2:9: sync.state: `primary` is not a sync state (master, backup or both)",
            "www.toml:3:10: sync.syncid: 300 is out of range 0..=255",
            "www.toml:5:9: sync.group: 10.0.0.1 is not a multicast address",
        ]
    );
}

#[test]
fn syncid_zero_is_allowed_with_a_warning() {
    let source = SourceFile::new(
        "s.toml",
        "[sync]\nstate = \"backup\"\nsyncid = 0\ninterface = \"eth0\"\n",
    );
    let table = toml_file::read(&source).unwrap();
    let (_, warnings) = validate::validate(&[(source, table)]).unwrap();
    assert_eq!(
        warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["s.toml:3:10: sync.syncid: syncid 0: a backup accepts sync messages of any master"]
    );
}

#[test]
fn a_fwmark_virtual_whose_reals_have_no_port_needs_a_check_port() {
    assert_eq!(
        errors("[[virtual]]\nfwmark = 9\n[[virtual.real]]\naddress = \"10.0.0.3\"\n"),
        ["www.toml:1:1: virtual[0].check.port: missing: the reals of this virtual have no port, so the check needs one"]
    );
}

#[test]
fn sync_and_mixed_family_destinations_are_refused_together() {
    let text = "[sync]\nstate = \"master\"\nsyncid = 1\ninterface = \"eth0\"\n\
                [[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"[2001:db8::2]:80\"\nforward = \"ipip\"\n";
    assert_eq!(
        errors(text),
        ["www.toml:5:1: tcp 10.0.0.1:80 has a real of the other address family ([2001:db8::2]:80), and [sync] is set at www.toml:1:1: the kernel's sync daemon does not work with mixed-family destinations"]
    );
}

#[test]
fn sql_checks_need_a_login_and_a_query() {
    let config = load(
        r#"[[virtual]]
address = "10.0.0.1:3306"
check = { type = "mysql", login = "check", password = "s3cret", database = "app", request = "SELECT 1 FROM up" }
[[virtual]]
address = "10.0.0.1:5432"
check = { type = "pgsql", login = "check", request = "SELECT 1" }
"#,
    )
    .unwrap();
    let CheckKind::Mysql(my) = &config.virtuals[0].check.kind else {
        panic!("{:?}", config.virtuals[0].check)
    };
    assert_eq!(
        (
            my.login.as_str(),
            my.password.as_str(),
            my.database.as_deref()
        ),
        ("check", "s3cret", Some("app"))
    );
    assert_eq!(my.request, "SELECT 1 FROM up", "no / added to a query");
    let CheckKind::Pgsql(pg) = &config.virtuals[1].check.kind else {
        panic!("{:?}", config.virtuals[1].check)
    };
    assert_eq!((pg.password.as_str(), pg.database.as_deref()), ("", None));
    let written = config::write::to_toml(&config, "");
    let again = load(&written).unwrap();
    assert_eq!(
        again.virtuals[0].check, config.virtuals[0].check,
        "written back as read:\n{written}"
    );
    assert_eq!(again.virtuals[1].check, config.virtuals[1].check);
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"pgsql\" }\n"),
        [
            "www.toml:3:9: virtual[0].check.login: missing: the user the check logs in as",
            "www.toml:3:9: virtual[0].check.request: missing: the query that must return a row, e.g. \"SELECT 1\"",
        ]
    );
    assert_eq!(
        errors(
            "[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"http\", login = \"x\" }\n"
        ),
        ["www.toml:3:34: virtual[0].check.login: only for sip and the checks that log in: mysql, pgsql, ldap(s), smtp(s), pop(s), imap(s), nntp, ftp and radius"]
    );
}

#[test]
fn ldap_checks_bind_and_search() {
    let config = load(
        r#"[[virtual]]
address = "10.0.0.1:389"
check = { type = "ldap", login = "cn=check,dc=example,dc=com", password = "s3cret", request = "dc=example,dc=com", receive = "example" }
[[virtual]]
address = "10.0.0.1:636"
check = { type = "ldaps" }
"#,
    )
    .unwrap();
    let CheckKind::Ldap(l) = &config.virtuals[0].check.kind else {
        panic!("{:?}", config.virtuals[0].check)
    };
    assert_eq!(l.login.as_deref(), Some("cn=check,dc=example,dc=com"));
    assert_eq!(
        (l.password.as_str(), l.request.as_str(), l.receive.as_ref()),
        (
            "s3cret",
            "dc=example,dc=com",
            Some(&Receive::from("example"))
        )
    );
    let CheckKind::Ldaps(anonymous) = &config.virtuals[1].check.kind else {
        panic!("{:?}", config.virtuals[1].check)
    };
    assert_eq!(
        (anonymous.login.as_deref(), anonymous.request.as_str()),
        (None, ""),
        "an anonymous bind and the root DSE"
    );
    let written = config::write::to_toml(&config, "");
    let again = load(&written).unwrap();
    assert_eq!(
        again.virtuals[0].check, config.virtuals[0].check,
        "{written}"
    );
    assert_eq!(
        again.virtuals[1].check, config.virtuals[1].check,
        "{written}"
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"ldap\", database = \"x\" }\n"),
        ["www.toml:3:37: virtual[0].check.database: only for mysql and pgsql checks"]
    );
}

#[test]
fn radius_sip_and_ping_checks() {
    use config::model::{RadiusCheck, SipCheck, SipTransport};
    let config = load(
        r#"[[virtual]]
address = "10.0.0.1:1812"
protocol = "udp"
check = { type = "radius", login = "check", password = "pw", secret = "s3" }
[[virtual]]
address = "10.0.0.1:5060"
protocol = "udp"
check = { type = "sip", login = "alice", protocol = "tcp" }
[[virtual]]
address = "10.0.0.1:5060"
check = { type = "sip" }
[[virtual]]
address = "10.0.0.1:53"
protocol = "udp"
check = { type = "ping" }
"#,
    )
    .unwrap();
    let kinds: Vec<&CheckKind> = config.virtuals.iter().map(|v| &v.check.kind).collect();
    assert_eq!(
        kinds,
        [
            &CheckKind::Radius(RadiusCheck {
                login: "check".into(),
                password: "pw".into(),
                secret: "s3".into()
            }),
            &CheckKind::Sip(SipCheck {
                login: Some("alice".into()),
                transport: SipTransport::Tcp
            }),
            &CheckKind::Sip(SipCheck {
                login: None,
                transport: SipTransport::Udp
            }),
            &CheckKind::Ping,
        ]
    );
    let written = config::write::to_toml(&config, "");
    let again = load(&written).unwrap();
    for (a, b) in again.virtuals.iter().zip(&config.virtuals) {
        assert_eq!(a.check, b.check, "{written}");
    }
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:1812\"\ncheck = { type = \"radius\" }\n"),
        [
            "www.toml:3:9: virtual[0].check.login: missing: the user of the Access-Request",
            "www.toml:3:9: virtual[0].check.secret: missing: the secret shared with the RADIUS server",
        ]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:5060\"\ncheck = { type = \"sip\", protocol = \"sctp\", password = \"x\" }\n"),
        [
            "www.toml:3:36: virtual[0].check.protocol: `sctp` is not udp or tcp",
            "www.toml:3:55: virtual[0].check.password: only for the checks that log in: mysql, pgsql, ldap(s), smtp(s), pop(s), imap(s), nntp, ftp and radius",
        ]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"ping\", secret = \"x\", protocol = \"udp\" }\n"),
        [
            "www.toml:3:35: virtual[0].check.secret: only for radius checks",
            "www.toml:3:51: virtual[0].check.protocol: only for dns and sip checks",
        ]
    );
}

#[test]
fn maintenance_dir_is_inherited_from_defaults_or_a_virtuals_own() {
    let config = load(
        r#"
[defaults]
maintenance_dir = "/etc/ipvsctl/maintenance"

[[virtual]]
address = "10.0.0.1:80"

[[virtual]]
address = "10.0.0.1:443"
maintenance_dir = "/srv/maint"
"#,
    )
    .unwrap();
    let dirs: Vec<_> = config
        .virtuals
        .iter()
        .map(|v| v.maintenance_dir.clone().unwrap())
        .collect();
    assert_eq!(
        dirs,
        [
            std::path::PathBuf::from("/etc/ipvsctl/maintenance"),
            std::path::PathBuf::from("/srv/maint")
        ]
    );
    let none = load("[[virtual]]\naddress = \"10.0.0.1:80\"\n").unwrap();
    assert_eq!(none.virtuals[0].maintenance_dir, None);
    assert_eq!(
        errors("[defaults]\nmaintenance_dir = \"maint\"\n"),
        ["www.toml:2:19: defaults.maintenance_dir: `maint` is not an absolute path"]
    );
    assert_eq!(
        errors("[[virtual]]\naddress = \"10.0.0.1:80\"\nmaintenance_dir = 3\n"),
        ["www.toml:3:19: virtual[0].maintenance_dir: expected a string, found an integer"]
    );
}

#[test]
fn control_group_reads_once_across_files() {
    let config = load("[control]\ngroup = \"lvs-ops\"\n").unwrap();
    assert_eq!(config.control.group.as_deref(), Some("lvs-ops"));
    assert_eq!(load("").unwrap().control.group, None);
    assert_eq!(
        errors("[control]\ngroup = \"ops team\"\n"),
        ["www.toml:2:9: control.group: `ops team` is not a group name"]
    );
    assert_eq!(
        errors("[control]\ngrop = \"x\"\n"),
        ["www.toml:2:1: control.grop: unknown key; did you mean `group`?"]
    );
    assert_eq!(
        load_all(&[
            ("a.toml", "[control]\ngroup = \"a\"\n"),
            ("b.toml", "[control]\n")
        ])
        .unwrap_err(),
        ["b.toml:1:1: control: a second [control] (the first is at a.toml:1:1)"]
    );
}
