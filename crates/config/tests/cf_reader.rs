// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ldirectord `.cf` reader: documents for small inputs, exact errors and
//! warnings with their line:column, and no panic on any input.

use config::cf;
use config::diagnostic::Diagnostic;
use config::source::SourceFile;
use config::tree::{Table, Value};

/// The document as `path = value @line:col` lines (the value's place).
fn flat(source: &SourceFile, table: &Table) -> String {
    let mut out = String::new();
    flatten(source, table, "", &mut out);
    out
}

fn flatten(source: &SourceFile, table: &Table, prefix: &str, out: &mut String) {
    for (key, item) in &table.entries {
        let path = if prefix.is_empty() {
            key.name.clone()
        } else {
            format!("{prefix}.{}", key.name)
        };
        match &item.value {
            Value::Table(t) => flatten(source, t, &path, out),
            Value::Array(items) if items.iter().any(|i| matches!(i.value, Value::Table(_))) => {
                for (index, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Table(t) => flatten(source, t, &format!("{path}[{index}]"), out),
                        other => out.push_str(&format!("{path}[{index}] = {}\n", show(other))),
                    }
                }
            }
            value => {
                let at = source.location_of(&item.span);
                out.push_str(&format!("{path} = {} @{at}\n", show(value)));
            }
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) => {
            let words: Vec<String> = items.iter().map(|i| show(&i.value)).collect();
            format!("[{}]", words.join(", "))
        }
        Value::Table(_) => "{…}".to_string(),
    }
}

fn source(text: &str) -> SourceFile {
    SourceFile::new("ld.cf", text)
}

/// Reads a file that must be accepted: its document and its warnings.
fn ok(text: &str) -> (String, Vec<String>) {
    let source = source(text);
    match cf::read(&source) {
        Ok((table, warnings)) => (flat(&source, &table), strings(&warnings)),
        Err(errors) => panic!("refused:\n{}", strings(&errors).join("\n")),
    }
}

/// Reads a file that must be refused: its errors.
fn err(text: &str) -> Vec<String> {
    let source = source(text);
    match cf::read(&source) {
        Ok((table, _)) => panic!("accepted:\n{}", flat(&source, &table)),
        Err(errors) => {
            assert!(
                errors.iter().all(Diagnostic::is_error),
                "only errors in Err"
            );
            strings(&errors)
        }
    }
}

fn strings(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

/// Only the lines of a flat document under a prefix.
fn under(flat: &str, prefix: &str) -> String {
    flat.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// ldirectord's defaults, as written for a file with no global section.
const DEFAULTS: &str = "\
defaults.check_interval = 10 @1:1
defaults.check_timeout = 5 @1:1
defaults.check_rise = 1 @1:1
defaults.check_fall = 1 @1:1
defaults.quiescent = false @1:1
defaults.cleanstop = true @1:1
";

#[test]
fn seed_example() {
    let (doc, warnings) = ok("\
virtual = 192.168.0.3:80
    protocol = tcp
    scheduler = wlc
    real = 192.168.0.4:80 gate 1
    real = 192.168.0.5:80 gate 1
    checktype = connect
    quiescent = no
    persistent = 3600
    fallback = 127.0.0.1:80
");
    let expected = format!(
        "{DEFAULTS}\
virtual[0].address = \"192.168.0.3:80\" @1:11
virtual[0].protocol = \"tcp\" @2:16
virtual[0].scheduler = \"wlc\" @3:17
virtual[0].persistent = 3600 @8:18
virtual[0].quiescent = false @7:17
virtual[0].fallback = \"127.0.0.1:80\" @9:16
virtual[0].check.type = \"connect\" @6:17
virtual[0].check.timeout = 5 @1:1
virtual[0].real[0].address = \"192.168.0.4:80\" @4:12
virtual[0].real[0].forward = \"gate\" @4:27
virtual[0].real[0].weight = 1 @4:32
virtual[0].real[1].address = \"192.168.0.5:80\" @5:12
virtual[0].real[1].forward = \"gate\" @5:27
virtual[0].real[1].weight = 1 @5:32
"
    );
    assert_eq!(doc, expected);
    assert_eq!(warnings, Vec::<String>::new());
}

#[test]
fn seed_example_document_shape() {
    let source = source(
        "virtual = 192.168.0.3:80\n    real = 192.168.0.4:80 gate 1\n    checktype = connect\n",
    );
    let (table, _) = cf::read(&source).unwrap();
    let Value::Array(virtuals) = &table.get("virtual").unwrap().value else {
        panic!()
    };
    let Value::Table(v) = &virtuals[0].value else {
        panic!()
    };
    assert_eq!(
        v.get("address").unwrap().value,
        Value::String("192.168.0.3:80".into())
    );
    let Value::Array(reals) = &v.get("real").unwrap().value else {
        panic!()
    };
    let Value::Table(r) = &reals[0].value else {
        panic!()
    };
    assert_eq!(r.get("weight").unwrap().value, Value::Integer(1));
    assert_eq!(
        r.get("forward").unwrap().value,
        Value::String("gate".into())
    );
    // Key spans cover the directive names, item spans the values.
    let (key, item) = &v.entries[0];
    assert_eq!(
        (key.name.as_str(), key.span.clone(), item.span.clone()),
        ("address", 0..7, 10..24)
    );
    assert_eq!(&source.text()[item.span.clone()], "192.168.0.3:80");
}

#[test]
fn ldirectord_defaults_are_written() {
    let (doc, warnings) = ok("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n");
    let expected = format!(
        "{DEFAULTS}\
virtual[0].address = \"10.0.0.1:80\" @1:9
virtual[0].protocol = \"tcp\" @1:1
virtual[0].scheduler = \"wrr\" @1:1
virtual[0].check.type = \"http\" @1:1
virtual[0].check.timeout = 30 @1:1
virtual[0].real[0].address = \"10.0.0.2:80\" @2:7
virtual[0].real[0].forward = \"gate\" @2:19
virtual[0].real[0].weight = 1 @2:7
"
    );
    assert_eq!(doc, expected);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn global_section() {
    let (doc, warnings) = ok("\
checktimeout=3
checkinterval=7
failurecount=4
quiescent=yes
cleanstop=no
autoreload=yes
logfile=\"local0\"
emailalert=\"root@example.com\"
");
    assert_eq!(
        doc,
        "\
defaults.check_interval = 7 @2:15
defaults.check_timeout = 3 @1:14
defaults.check_rise = 1 @1:1
defaults.check_fall = 4 @3:14
defaults.quiescent = true @4:11
defaults.cleanstop = false @5:11
defaults.autoreload = true @6:12
hook[0].events = [\"real-up\", \"real-down\", \"real-drained\", \"real-disabled\", \"real-enabled\", \"real-weight\", \"fallback-in\", \"fallback-out\"] @8:13
hook[0].command = [\"/usr/lib/ipvsctl/hooks/mail-alert\", \"--to\", \"root@example.com\"] @8:13
"
    );
    // emailalert is a hook now (tests/cf_hooks.rs), not a warning.
    assert_eq!(
        warnings,
        ["ld.cf:7:1: ignored: logfile (ipvsctl has its own logging)",]
    );
}

#[test]
fn timeouts_follow_ldirectord_fallbacks() {
    // Global negotiatetimeout only: it is also the connect checks' timeout.
    let (doc, _) = ok("\
negotiatetimeout=12
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
virtual=10.0.0.1:81
\treal=10.0.0.2:81 gate
\tchecktype=connect
virtual=10.0.0.1:82
\treal=10.0.0.2:82 gate
\tchecktype=connect
\tnegotiatetimeout=9
virtual=10.0.0.1:443
\treal=10.0.0.2:443 gate
\tchecktimeout=4
");
    let timeouts: Vec<&str> = doc
        .lines()
        .filter(|l| l.contains("check.timeout"))
        .collect();
    assert_eq!(
        timeouts,
        [
            "virtual[0].check.timeout = 12 @1:18",
            "virtual[1].check.timeout = 12 @1:18",
            "virtual[2].check.timeout = 9 @10:19",
            "virtual[3].check.timeout = 4 @13:15",
        ]
    );
    assert!(doc.contains("defaults.check_timeout = 12 @1:18\n"), "{doc}");
    // checktimeout is the connect checks' timeout, not the negotiate ones'.
    let (doc, _) = ok("\
checktimeout=2
negotiatetimeout=20
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
virtual=10.0.0.1:81
\treal=10.0.0.2:81 gate
\tchecktype=connect
");
    let timeouts: Vec<&str> = doc
        .lines()
        .filter(|l| l.contains("check.timeout"))
        .collect();
    assert_eq!(
        timeouts,
        [
            "virtual[0].check.timeout = 20 @2:18",
            "virtual[1].check.timeout = 2 @1:14"
        ]
    );
}

#[test]
fn http_check() {
    let (doc, warnings) = ok("\
virtual=10.0.0.1:8080
\treal=10.0.0.2:8080 gate 3
\tservice=http
\tcheckport=8081
\trequest=\"health\"
\treceive=\"OK web[0-9]+\"
\tvirtualhost=www.example.com
\thttpmethod=head
\tfailurecount=2
\tlogin=\"x\"
");
    assert_eq!(
        under(&doc, "virtual[0].check"),
        "\
virtual[0].check.type = \"http\" @3:10
virtual[0].check.port = 8081 @4:12
virtual[0].check.timeout = 30 @1:1
virtual[0].check.fall = 2 @9:15
virtual[0].check.request = \"/health\" @5:11
virtual[0].check.receive_regex = \"OK web[0-9]+\" @6:11
virtual[0].check.host = \"www.example.com\" @7:14
virtual[0].check.method = \"HEAD\" @8:13
"
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:10:2: ignored: login (only ldirectord's service-specific negotiate checks use \
             it)",
        ]
    );
}

#[test]
fn check_types() {
    let check = |block: &str| {
        let (doc, warnings) = ok(&format!(
            "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n{block}"
        ));
        (under(&doc, "virtual[0].check"), warnings)
    };
    assert_eq!(
        check("\tchecktype=on\n"),
        (
            "virtual[0].check.type = \"none\" @3:12\n".to_string(),
            vec![]
        )
    );
    assert_eq!(
        check("\tchecktype=off\n"),
        (
            "virtual[0].check.type = \"off\" @3:12\n".to_string(),
            vec![]
        )
    );
    assert_eq!(
        check("\tchecktype=negotiate\n\tservice=https\n\tchecktimeout=2\n"),
        (
            "virtual[0].check.type = \"https\" @3:12\nvirtual[0].check.timeout = 2 @5:15\n"
                .to_string(),
            vec![]
        )
    );
    assert_eq!(
        check("\tservice=none\n"),
        (
            "virtual[0].check.type = \"none\" @3:10\n".to_string(),
            vec![]
        )
    );
    assert_eq!(
        check("\tchecktype=negotiate\n\tservice=mysql\n\tpasswd=\"x\"\n"),
        (
            "virtual[0].check.type = \"connect\" @3:12\nvirtual[0].check.timeout = 30 @1:1\n"
                .to_string(),
            vec![
                "ld.cf:4:10: service: negotiate check for service mysql needs login and \
                 request (ldirectord counts every real server as down without them); using a \
                 TCP connect check"
                    .to_string(),
                "ld.cf:5:2: ignored: passwd (only ldirectord's service-specific negotiate checks \
                 use it)"
                    .to_string(),
            ]
        )
    );
    assert_eq!(
        check(
            "\tchecktype=negotiate\n\tservice=mysql\n\tlogin=\"check\"\n\tpasswd=\"x\"\n\
             \tdatabase=\"app\"\n\trequest=\"SELECT 1 FROM t\"\n\tcheckport=3307\n"
        ),
        (
            "virtual[0].check.type = \"mysql\" @3:12\n\
             virtual[0].check.port = 3307 @9:12\n\
             virtual[0].check.timeout = 30 @1:1\n\
             virtual[0].check.login = \"check\" @5:9\n\
             virtual[0].check.password = \"x\" @6:10\n\
             virtual[0].check.database = \"app\" @7:12\n\
             virtual[0].check.request = \"SELECT 1 FROM t\" @8:11\n"
                .to_string(),
            vec![]
        ),
        "the query keeps no leading / (ldirectord drops one)"
    );
    assert_eq!(
        check("\tservice=pgsql\n\tlogin=check\n\trequest=\"/SELECT 1\"\n"),
        (
            "virtual[0].check.type = \"pgsql\" @3:10\n\
             virtual[0].check.timeout = 30 @1:1\n\
             virtual[0].check.login = \"check\" @4:8\n\
             virtual[0].check.request = \"SELECT 1\" @5:11\n"
                .to_string(),
            vec![]
        )
    );
    assert_eq!(
        check(
            "\tservice=ldap\n\tlogin=\"cn=check,dc=example,dc=com\"\n\tpasswd=\"x\"\n\
             \trequest=\"dc=example,dc=com\"\n\treceive=\"example\"\n"
        ),
        (
            "virtual[0].check.type = \"ldap\" @3:10\n\
             virtual[0].check.timeout = 30 @1:1\n\
             virtual[0].check.login = \"cn=check,dc=example,dc=com\" @4:9\n\
             virtual[0].check.password = \"x\" @5:10\n\
             virtual[0].check.request = \"dc=example,dc=com\" @6:11\n\
             virtual[0].check.receive_regex = \"example\" @7:11\n"
                .to_string(),
            vec![]
        ),
        "the base DN keeps no leading / (ldirectord drops it)"
    );
    assert_eq!(
        check("\tservice=ldaps\n\tlogin=\"cn=check\"\n"),
        (
            "virtual[0].check.type = \"ldaps\" @3:10\nvirtual[0].check.timeout = 30 @1:1\n"
                .to_string(),
            vec![
                "ld.cf:4:2: ignored: ldirectord binds with login and passwd only when both are \
                 set, and anonymously otherwise"
                    .to_string()
            ]
        )
    );
    assert_eq!(
        check("\tchecktype=5\n"),
        (
            "virtual[0].check.type = \"http\" @3:12\nvirtual[0].check.timeout = 30 @1:1\n"
                .to_string(),
            vec![
                "ld.cf:3:12: checktype: checktype = 5: ldirectord alternates 5 connect checks \
                  with a negotiate check; ipvsctl runs the negotiate check every time"
                    .to_string()
            ]
        )
    );
    assert_eq!(
        check("\tchecktype=external\n\tcheckcommand=\"/usr/local/bin/check\"\n\tcheckport=99\n"),
        (
            "virtual[0].check.type = \"external\" @3:12\n\
             virtual[0].check.timeout = 5 @1:1\n\
             virtual[0].check.command = [\"/usr/local/bin/check\", \"{vip}\", \"{vport}\", \
             \"{ip}\", \"{port}\"] @4:16\n"
                .to_string(),
            vec![]
        )
    );
    assert_eq!(
        check("\tchecktype=external\n"),
        (
            "virtual[0].check.type = \"external\" @3:12\n\
             virtual[0].check.timeout = 5 @1:1\n\
             virtual[0].check.command = [\"/bin/true\", \"{vip}\", \"{vport}\", \"{ip}\", \
             \"{port}\"] @3:12\n"
                .to_string(),
            vec![
                "ld.cf:3:12: checktype: no checkcommand: ldirectord runs /bin/true, so every \
                  real server counts as up"
                    .to_string()
            ]
        )
    );
}

#[test]
fn default_check_from_the_port() {
    let (doc, warnings) = ok("\
virtual=10.0.0.1:3306
\treal=10.0.0.2:3306 gate
virtual=10.0.0.1:9312
\treal=10.0.0.2:9312 gate
virtual=10.0.0.1:https
\treal=10.0.0.2:https gate
");
    let types: Vec<&str> = doc.lines().filter(|l| l.contains("check.type")).collect();
    assert_eq!(
        types,
        [
            "virtual[0].check.type = \"connect\" @1:1",
            "virtual[1].check.type = \"none\" @3:1",
            "virtual[2].check.type = \"https\" @5:1",
        ]
    );
    assert!(
        doc.contains("virtual[2].address = \"10.0.0.1:443\" @5:9\n"),
        "{doc}"
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:1:1: service: negotiate check for service mysql (ldirectord's default for \
                 port 3306) needs login and request (ldirectord counts every real server as down \
                 without them); using a TCP connect check",
            "ld.cf:3:1: no health check: ldirectord's default negotiate check has no test for \
             port 9312, so every real server counts as up; write checktype = connect for a \
             connection check",
        ]
    );
}

#[test]
fn udp_and_port_names() {
    let (doc, warnings) = ok("\
virtual=10.0.16.1:domain
\treal=10.0.240.8:domain gate 1
\tchecktype=connect
virtual=10.0.16.1:domain
\treal=10.0.240.8:53 gate 1
\tprotocol=tcp
\tchecktype=connect
virtual=10.0.16.2:www
\treal=10.0.96.112:www gate 100
\tchecktype=connect
");
    let lines: Vec<&str> = doc
        .lines()
        .filter(|l| l.contains("protocol") || l.contains("address"))
        .collect();
    assert_eq!(
        lines,
        [
            "virtual[0].address = \"10.0.16.1:53\" @1:9",
            "virtual[0].protocol = \"udp\" @1:1",
            "virtual[0].real[0].address = \"10.0.240.8:53\" @2:7",
            "virtual[1].address = \"10.0.16.1:53\" @4:9",
            "virtual[1].protocol = \"tcp\" @6:11",
            "virtual[1].real[0].address = \"10.0.240.8:53\" @5:7",
            "virtual[2].address = \"10.0.16.2:80\" @8:9",
            "virtual[2].protocol = \"tcp\" @8:1",
            "virtual[2].real[0].address = \"10.0.96.112:80\" @9:7",
        ]
    );
    // On a UDP virtual ldirectord's connect check is an ICMP ping: so is ours.
    assert!(warnings.is_empty(), "{warnings:?}");
    let types: Vec<&str> = doc.lines().filter(|l| l.contains("check.type")).collect();
    assert_eq!(
        types,
        [
            "virtual[0].check.type = \"ping\" @3:12",
            "virtual[1].check.type = \"connect\" @7:12",
            "virtual[2].check.type = \"connect\" @10:12",
        ]
    );
}

#[test]
fn real_ranges_weights_and_methods() {
    let (doc, _) = ok("\
virtual=10.0.0.1:80
\treal=192.168.6.2->192.168.6.4:8080 masq 5
\treal=192.168.6.9 ipip
\tchecktype=off
");
    assert_eq!(
        under(&doc, "virtual[0].real"),
        "\
virtual[0].real[0].address = \"192.168.6.2:8080\" @2:7
virtual[0].real[0].forward = \"masq\" @2:37
virtual[0].real[0].weight = 5 @2:42
virtual[0].real[1].address = \"192.168.6.3:8080\" @2:7
virtual[0].real[1].forward = \"masq\" @2:37
virtual[0].real[1].weight = 5 @2:42
virtual[0].real[2].address = \"192.168.6.4:8080\" @2:7
virtual[0].real[2].forward = \"masq\" @2:37
virtual[0].real[2].weight = 5 @2:42
virtual[0].real[3].address = \"192.168.6.9\" @3:7
virtual[0].real[3].forward = \"ipip\" @3:19
virtual[0].real[3].weight = 1 @3:7
"
    );
}

#[test]
fn fwmark_and_ipv6() {
    let (doc, warnings) = ok("\
fallback=127.0.0.1:80
fallback6=[::1]:119
virtual=7
\treal=10.0.0.2 gate
\tservice=http
\tprotocol=fwm
virtual6=[2001:db8::5]:119
\treal6=[2001:db8::6]:119 gate
\tnetmask=64
\tpersistent=60
\tchecktype=connect
virtual6=8
\treal6=[2001:db8::7] masq
\tchecktype=on
virtual=10.0.0.1:80
\treal=10.0.0.3:80 gate
\tchecktype=on
");
    let expected = "\
virtual[0].fwmark = 7 @3:9
virtual[0].scheduler = \"wrr\" @3:1
virtual[0].check.type = \"http\" @5:10
virtual[0].check.port = 80 @5:10
virtual[0].check.timeout = 30 @3:1
virtual[0].real[0].address = \"10.0.0.2\" @4:7
virtual[0].real[0].forward = \"gate\" @4:16
virtual[0].real[0].weight = 1 @4:7
virtual[1].address = \"[2001:db8::5]:119\" @7:10
virtual[1].protocol = \"tcp\" @7:1
virtual[1].scheduler = \"wrr\" @7:1
virtual[1].persistent = 60 @10:13
virtual[1].netmask = 64 @9:10
virtual[1].fallback = \"[::1]:119\" @2:11
virtual[1].check.type = \"connect\" @11:12
virtual[1].check.timeout = 5 @7:1
virtual[1].real[0].address = \"[2001:db8::6]:119\" @8:8
virtual[1].real[0].forward = \"gate\" @8:26
virtual[1].real[0].weight = 1 @8:8
virtual[2].fwmark = 8 @12:10
virtual[2].family = \"ipv6\" @12:1
virtual[2].scheduler = \"wrr\" @12:1
virtual[2].check.type = \"none\" @14:12
virtual[2].real[0].address = \"[2001:db8::7]\" @13:8
virtual[2].real[0].forward = \"masq\" @13:22
virtual[2].real[0].weight = 1 @13:8
virtual[3].address = \"10.0.0.1:80\" @15:9
virtual[3].protocol = \"tcp\" @15:1
virtual[3].scheduler = \"wrr\" @15:1
virtual[3].fallback = \"127.0.0.1:80\" @1:10
virtual[3].check.type = \"none\" @17:12
virtual[3].real[0].address = \"10.0.0.3:80\" @16:7
virtual[3].real[0].forward = \"gate\" @16:19
virtual[3].real[0].weight = 1 @16:7
";
    assert_eq!(under(&doc, "virtual"), expected);
    assert_eq!(
        warnings,
        [
            "ld.cf:3:1: the global fallback (line 1) does not apply to a firewall-mark virtual \
             (ldirectord cannot use it there)",
            "ld.cf:12:1: the global fallback (line 2) does not apply to a firewall-mark virtual \
             (ldirectord cannot use it there)",
        ]
    );
}

#[test]
fn fallbacks() {
    let (doc, _) = ok("\
fallback=127.0.0.1 masq
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
\tchecktype=on
virtual=10.0.0.1:81
\treal=10.0.0.2:81 gate
\tchecktype=on
\tfallback=127.0.0.2:mysql
");
    assert_eq!(
        doc.lines()
            .filter(|l| l.contains("fallback"))
            .collect::<Vec<_>>(),
        [
            "virtual[0].fallback.address = \"127.0.0.1\" @1:10",
            "virtual[0].fallback.forward = \"masq\" @1:20",
            "virtual[0].fallback.weight = 1 @1:10",
            "virtual[1].fallback = \"127.0.0.2:3306\" @8:11",
        ]
    );
}

#[test]
fn servicename_netmask_quiescent() {
    let (doc, _) = ok("\
virtual=10.0.0.1:80
\tservicename=Web Site
\tcomment=x
\treal=10.0.0.2:80 gate
\tnetmask=255.255.255.0
\tpersistent=600
\tquiescent=yes
\tchecktype=on
");
    assert_eq!(
        under(&doc, "virtual[0]")
            .lines()
            .take(7)
            .collect::<Vec<_>>(),
        [
            "virtual[0].name = \"Web Site\" @2:14",
            "virtual[0].address = \"10.0.0.1:80\" @1:9",
            "virtual[0].protocol = \"tcp\" @1:1",
            "virtual[0].scheduler = \"wrr\" @1:1",
            "virtual[0].persistent = 600 @6:13",
            "virtual[0].netmask = \"255.255.255.0\" @5:10",
            "virtual[0].quiescent = true @7:12",
        ]
    );
}

#[test]
fn checkinterval_in_a_virtual_needs_fork() {
    let block = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=connect\n\
                 \tcheckinterval=3\n";
    let (doc, warnings) = ok(block);
    assert!(!doc.contains("check.interval"), "{doc}");
    assert_eq!(
        warnings,
        [
            "ld.cf:4:2: ignored: checkinterval in a virtual counts only with fork = yes, as in \
          ldirectord"
        ]
    );
    let (doc, warnings) = ok(&format!("{block}fork=yes\n"));
    assert!(
        doc.contains("virtual[0].check.interval = 3 @4:16\n"),
        "{doc}"
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:5:1: fork = yes: ipvsctl runs every check on its own schedule anyway; it makes \
          checkinterval inside virtual blocks count"
        ]
    );
}

#[test]
fn lenient_layout() {
    // Two-space indent, a blank line inside the block, trailing comments,
    // unquoted request, spaces around `=`, trailing white space, CRLF.
    let (doc, warnings) = ok("\
quiescent = no   # comment\r
autoreload=yes # another\r
virtual = 10.0.0.1:80 # web\r
  real = 10.0.0.2:80 gate 2  # RS\r
\r
  request = index.html \r
 receive=\"a # not a comment\"\r
");
    assert!(doc.contains("defaults.quiescent = false @1:13\n"), "{doc}");
    assert!(
        doc.contains("virtual[0].real[0].weight = 2 @4:27\n"),
        "{doc}"
    );
    assert!(
        doc.contains("virtual[0].check.request = \"/index.html\" @6:13\n"),
        "{doc}"
    );
    assert!(
        doc.contains("virtual[0].check.receive_regex = \"a # not a comment\" @7:11\n"),
        "{doc}"
    );
    assert!(doc.contains("defaults.autoreload = true @2:12\n"), "{doc}");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn ldirectord_reads_leading_words_and_digits() {
    let (doc, warnings) = ok("\
checkinterval=2s
virtual=10.0.0.1:80 extra
\treal=10.0.0.2:80 gate
\tscheduler=lc // least connections
\tchecktype=on
");
    assert!(doc.contains("defaults.check_interval = 2 @1:15\n"), "{doc}");
    assert!(
        doc.contains("virtual[0].scheduler = \"lc\" @4:12\n"),
        "{doc}"
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:1:15: checkinterval: read as `2`: `s` after it is ignored, as by ldirectord",
            "ld.cf:2:21: virtual: ignored: `extra` after the address, as by ldirectord",
            "ld.cf:4:12: scheduler: read as `lc`: `// least connections` after it is ignored, as \
             by ldirectord",
        ]
    );
}

#[test]
fn unknown_directives() {
    assert_eq!(
        err("checktimeout=3\nfoo=bar\n...\n[vip]\neth0:1=10.0.0.1\n"),
        [
            "ld.cf:2:1: unknown directive `foo`",
            "ld.cf:3:1: unknown directive `...`",
            "ld.cf:4:1: unknown directive `[vip]`",
            "ld.cf:5:1: unknown directive `eth0:1`",
        ]
    );
    assert_eq!(
        err("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tfoo=1\n...\n"),
        [
            "ld.cf:3:2: unknown directive `foo`",
            "ld.cf:4:1: unknown directive `...`"
        ]
    );
}

#[test]
fn misplaced_directives() {
    assert_eq!(
        err("  checktimeout=3
virtual=10.0.0.1:80
real=10.0.0.2:80 gate
virtual=10.0.0.1:81
\tautoreload=no
\tvirtual=10.0.0.1:82
"),
        [
            "ld.cf:1:3: `checktimeout` is indented, but there is no `virtual=` line above it",
            "ld.cf:3:1: `real` belongs in a virtual block: indent it under a `virtual=` line",
            "ld.cf:5:2: `autoreload` is a global directive: write it at column 0, outside \
             virtual blocks",
            "ld.cf:6:2: `virtual` must start at column 0: an indented line belongs to the \
             virtual above",
        ]
    );
}

#[test]
fn bad_addresses_and_ports() {
    assert_eq!(
        err("\
virtual=xx.xx.xx.xx:80
\treal=aa.aa.aa.01:80 gate 10
virtual=10.0.0.1:nosuch
\treal=10.0.0.2:99999 gate
\treal=10.0.0.3:80
\treal=10.0.0.4:80 bridge
\treal=10.0.0.5:80 gate 1 \"/\", \"ok\"
virtual=[::1]:80
\treal6=[::2]:80 gate
virtual=10.0.0.1
fallback=10.0.0.256:80
")
        .iter()
        .map(|e| without_resolver_reason(e))
        .collect::<Vec<_>>(),
        [
            "ld.cf:1:9: virtual: host name `xx.xx.xx.xx` does not resolve: REASON",
            "ld.cf:2:7: real: host name `aa.aa.aa.01` does not resolve: REASON",
            "ld.cf:3:18: virtual: unknown port name `nosuch`: write the port number",
            "ld.cf:4:16: real: port `99999` is out of range 0-65535",
            "ld.cf:5:18: real: missing forward method after the address: gate, masq or ipip",
            "ld.cf:6:19: real: `bridge` is not a forward method: gate, masq or ipip",
            "ld.cf:7:26: real: request/receive strings on a real server are not supported by \
             ipvsctl: set request= and receive= in the virtual block",
            "ld.cf:8:9: virtual: `[::1]` is an IPv6 address: IPv6 needs virtual6=, real6= and \
             fallback6=",
            "ld.cf:9:2: `real6` is for virtual6 blocks: use `real`",
            "ld.cf:10:9: virtual: `10.0.0.1` has no port: write ip:port, or a number for a \
             firewall mark",
            "ld.cf:11:10: fallback: `10.0.0.256` is not an IPv4 address or a host name",
        ]
    );
}

/// A host name that does not resolve is told with the resolver's reason,
/// which depends on the host: compared up to it.
fn without_resolver_reason(message: &str) -> String {
    const AT: &str = "does not resolve: ";
    match message.find(AT) {
        Some(i) => format!("{}REASON", &message[..i + AT.len()]),
        None => message.to_string(),
    }
}

/// Host names are resolved as ldirectord resolves them, each with a
/// warning naming the address taken (`localhost`: the test host's
/// /etc/hosts); one that does not resolve is an error at its line.
#[test]
fn host_names() {
    let (flat, warnings) = ok("\
fallback=localhost:80
virtual=localhost:www
\treal=localhost:8080 masq 2
\treal=localhost->127.0.0.3:8081 masq
");
    assert!(
        flat.contains("virtual[0].address = \"127.0.0.1:80\""),
        "{flat}"
    );
    assert!(
        flat.contains("virtual[0].real[0].address = \"127.0.0.1:8080\""),
        "{flat}"
    );
    assert!(
        flat.contains("virtual[0].fallback = \"127.0.0.1:80\""),
        "{flat}"
    );
    assert!(
        flat.contains("virtual[0].real[3].address = \"127.0.0.3:8081\""),
        "{flat}"
    );
    // 127.0.0.2->127.0.0.1 ends before it starts.
    assert_eq!(
        err("virtual=localhost:80\n\treal=127.0.0.2->localhost:80 masq\n"),
        ["ld.cf:2:7: real: range 127.0.0.2->127.0.0.1 ends before it starts"]
    );
    let names: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("host name"))
        .collect();
    let at = |w: &str| w.split(": ").next().unwrap_or_default().to_string();
    assert_eq!(
        names.iter().map(|w| at(w)).collect::<Vec<_>>(),
        ["ld.cf:1:10", "ld.cf:2:9", "ld.cf:3:7", "ld.cf:4:7"]
    );
    for w in &names {
        assert!(
            w.contains("host name `localhost` resolved to 127.0.0.1"),
            "{w}"
        );
    }
    assert_eq!(
        err("virtual=10.0.0.1:80\n\treal=web1.invalid:80 gate\n")
            .iter()
            .map(|e| without_resolver_reason(e))
            .collect::<Vec<_>>(),
        ["ld.cf:2:7: real: host name `web1.invalid` does not resolve: REASON"]
    );
}

#[test]
fn unsupported_and_removed() {
    // checktype=ping (line 5) is read now: an ICMP echo check; so is
    // schedflags (line 10): `scheduler_flags`, checked against the scheduler
    // when the configuration is validated (tests/scheduler_flags.rs).
    assert_eq!(
        err("\
timeout=3
connecttimeout=3
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
\tchecktype=ping
virtual=10.0.0.1:81
\treal=10.0.0.2:81 gate
\tchecktype=external-perl
\tservice=check_sonda_fd
\tschedflags=sh-port
\tops=yes
\tchecktype=bogus
\tquiescent=maybe
\trequest=\"http://example.com/\"
\treceive=\"open
"),
        [
            "ld.cf:1:1: timeout: removed from ldirectord in favour of checktimeout and \
             negotiatetimeout",
            "ld.cf:2:1: connecttimeout: removed from ldirectord in favour of negotiatetimeout",
            "ld.cf:8:12: checktype: `external-perl` is not supported by ipvsctl: use \
             checktype=external",
            "ld.cf:9:10: service: unknown service `check_sonda_fd` (ldirectord knows dns, ftp, \
             http, https, http_proxy, imap, imaps, ldap, ldaps, nntp, mysql, none, oracle, pop, \
             pops, radius, pgsql, sip, smtp, submission, simpletcp)",
            "ld.cf:11:6: ops: one-packet scheduling is not supported by ipvsctl",
            "ld.cf:12:12: checktype: expected connect, negotiate, on, off, ping, external, \
             external-perl or a number, found `bogus`",
            "ld.cf:13:12: quiescent: expected yes or no, found `maybe`",
            "ld.cf:14:11: request: a full URL is not supported by ipvsctl: give the path (the \
             check goes to each real server)",
            "ld.cf:15:10: receive: the closing quote is missing",
        ]
    );
}

#[test]
fn bad_numbers() {
    assert_eq!(
        err("\
checktimeout=0
checkinterval=soon
failurecount=99999999999999999999
virtual=10.0.0.1:80
\tcheckport=70000
\tpersistent=x
\tnetmask=24
virtual6=[::1]:80
\tnetmask=255.255.255.0
"),
        [
            "ld.cf:1:14: checktimeout: must be 1 or more, found 0",
            "ld.cf:2:15: checkinterval: expected a whole number, found `soon`",
            "ld.cf:3:14: failurecount: `99999999999999999999` is too large",
            "ld.cf:5:12: checkport: must be in range 1-65535",
            "ld.cf:6:13: persistent: expected a whole number, found `x`",
            "ld.cf:7:10: netmask: expected a dotted quad like 255.255.255.0, found `24`",
            "ld.cf:9:10: netmask: expected a prefix length 1-128, found `255.255.255.0`",
        ]
    );
}

#[test]
fn every_error_is_reported_in_file_order() {
    let errors = err("\
virtual=10.0.0.1:80
\treal=10.0.0.2:80
\tchecktype=external-perl
bogus=1
virtual=10.0.0.1:81
\tservice=nosuch
");
    assert_eq!(
        errors,
        [
            "ld.cf:2:18: real: missing forward method after the address: gate, masq or ipip",
            "ld.cf:3:12: checktype: `external-perl` is not supported by ipvsctl: use \
             checktype=external",
            "ld.cf:4:1: unknown directive `bogus`",
            "ld.cf:6:10: service: unknown service `nosuch` (ldirectord knows dns, ftp, http, \
             https, http_proxy, imap, imaps, ldap, ldaps, nntp, mysql, none, oracle, pop, pops, \
             radius, pgsql, sip, smtp, submission, simpletcp)",
        ]
    );
}

#[test]
fn empty_and_comment_only_files() {
    for text in ["", "\n\n", "# nothing\n\t# here\n", "   \n"] {
        let (doc, warnings) = ok(text);
        assert_eq!(doc, DEFAULTS);
        assert!(warnings.is_empty());
    }
}

/// A small deterministic generator (no dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn must_not_panic(text: &str) {
    let source = SourceFile::new("fuzz.cf", text);
    match cf::read(&source) {
        Ok((_, warnings)) => assert!(warnings.iter().all(|d| !d.is_error())),
        Err(errors) => assert!(!errors.is_empty()),
    }
}

#[test]
fn random_input_does_not_panic() {
    const ALPHABET: &[u8] = b"virtualrealgate masq=:->[]#\"\t\n 0123456789.abcdef6\r";
    let mut rng = Lcg(0x1d1e_c70d);
    for round in 0..3000 {
        let len = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if round % 2 == 0 {
                    rng.next() as u8
                } else {
                    ALPHABET[(rng.next() as usize) % ALPHABET.len()]
                }
            })
            .collect();
        must_not_panic(&String::from_utf8_lossy(&bytes));
    }
    for text in [
        "virtual=\n",
        "virtual=\"\n\treal=\"\n",
        "virtual=1.2.3.4:80\n\treal=->:\n\treal=[\n\treal=1.2.3.4->[::1] gate\n",
        "virtual6=[\n\treal6=[]:80 gate\n\tfallback6=[::1]:\n",
        "virtual=99999999999999999999999\n",
        "\u{3000}checktype=\u{3000}x\n",
        "virtual=1.2.3.4:80\n\tchecktype=\"\u{3000}on\"\n\tscheduler=\u{e9}\n",
    ] {
        must_not_panic(text);
    }
}

#[test]
fn radius_sip_and_ping_checks() {
    let checks = |text: &str| {
        let (doc, warnings) = ok(text);
        (under(&doc, "virtual[0].check"), warnings)
    };
    // radius: login, passwd and secret; the port of the virtual (1812, udp).
    assert_eq!(
        checks(
            "virtual=10.0.0.1:1812\n\treal=10.0.0.2 gate\n\tprotocol=udp\n\tservice=radius\n\
             \tlogin=check\n\tpasswd=\"pw\"\n\tsecret=\"s3\"\n\tcheckport=18120\n"
        ),
        (
            "virtual[0].check.type = \"radius\" @4:10\n\
             virtual[0].check.port = 18120 @8:12\n\
             virtual[0].check.timeout = 30 @1:1\n\
             virtual[0].check.login = \"check\" @5:8\n\
             virtual[0].check.password = \"pw\" @6:10\n\
             virtual[0].check.secret = \"s3\" @7:10\n"
                .to_string(),
            vec![]
        )
    );
    // radius by port, without a secret: ldirectord's check fails every time.
    assert_eq!(
        checks("virtual=10.0.0.1:1812\n\treal=10.0.0.2 gate\n\tprotocol=udp\n\tlogin=check\n"),
        (
            "virtual[0].check.type = \"ping\" @1:1\n\
             virtual[0].check.timeout = 30 @1:1\n"
                .to_string(),
            vec![
                "ld.cf:1:1: service: negotiate check for service radius needs login and secret \
                  (ldirectord counts every real server as down without them); using a ping check"
                    .to_string(),
                "ld.cf:4:2: ignored: login (only ldirectord's service-specific negotiate checks \
                 use it)"
                    .to_string()
            ]
        )
    );
    // sip: over the virtual's protocol, as ldirectord; login is the URI's user.
    assert_eq!(
        checks("virtual=10.0.0.1:5060\n\treal=10.0.0.2 gate\n\tprotocol=udp\n\tlogin=alice\n"),
        (
            "virtual[0].check.type = \"sip\" @1:1\n\
             virtual[0].check.timeout = 30 @1:1\n\
             virtual[0].check.login = \"alice\" @4:8\n\
             virtual[0].check.protocol = \"udp\" @3:11\n"
                .to_string(),
            vec![]
        )
    );
    let (sip_tcp, warnings) = checks(
        "virtual=10.0.0.1:5060\n\treal=10.0.0.2 gate\n\tservice=sip\n\tsecret=x\n\tpasswd=y\n",
    );
    assert!(
        sip_tcp.contains("virtual[0].check.protocol = \"tcp\" @1:1\n"),
        "{sip_tcp}"
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:4:2: ignored: secret (only ldirectord's service-specific negotiate checks use it)",
            "ld.cf:5:2: ignored: passwd (only ldirectord's service-specific negotiate checks use it)",
        ]
    );
    // ping, asked for or as a UDP virtual's connect check.
    assert_eq!(
        checks("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tchecktype=ping\n\tcheckport=81\n"),
        (
            "virtual[0].check.type = \"ping\" @3:12\nvirtual[0].check.timeout = 5 @1:1\n"
                .to_string(),
            vec![]
        )
    );
}

#[test]
fn maintenancedir_becomes_maintenance_dir() {
    let (flat, warnings) =
        ok("maintenancedir=/etc/ha.d/maintenance\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n");
    assert!(
        flat.contains("defaults.maintenance_dir = \"/etc/ha.d/maintenance\" @1:16"),
        "{flat}"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}
