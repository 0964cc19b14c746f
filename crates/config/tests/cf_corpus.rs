// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `.cf` reader against real-world ldirectord files (the shared corpus,
//! `/work/shared/cf-corpus`, with its INDEX.md verdicts). Skipped, with a
//! note, where the corpus is not there.

use std::path::{Path, PathBuf};

use config::cf;
use config::source::SourceFile;
use config::tree::{Table, Value};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cf-corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: no corpus at {}: skipped", dir.display());
        None
    }
}

/// What the reader does with a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Read without errors (ldirectord reads it too).
    Ok,
    /// Refused; the first error is at this line and mentions this text.
    Reject(usize, &'static str),
    /// ldirectord refuses it; ipvsctl reads it (a documented leniency).
    Lenient,
}

use Outcome::{Lenient, Ok, Reject};

const FILES: &[(&str, Outcome)] = &[
    ("01-clusterlabs-sample-current.cf", Ok),
    (
        "02-heartbeat-sample-april-2000.cf",
        Reject(14, "timeout: removed from ldirectord"),
    ),
    ("03-heartbeat-sample-december-2000.cf", Ok),
    ("04-populis-production-farm.cf", Ok),
    (
        "05-lvsadm-ini-sections.cf",
        Reject(7, "unknown directive `[vip]`"),
    ),
    ("06-k8s-apiserver-servicename.cf", Ok),
    ("07-rackspace-ipip-persistent-space.cf", Ok),
    ("08-pacemaker-nat-callback-double-logfile.cf", Ok),
    // Trailing comments, a 2-space indent and a blank line inside the block.
    ("09-zh-fwmark-inline-comments-2space.cf", Lenient),
    ("10-ptbr-firewall-script-masq-connect.cf", Ok),
    (
        "11-network-director-placeholders-spaced-equals.cf",
        Reject(9, "host name `xx.xx.xx.xx` does not resolve"),
    ),
    (
        "12-netkiller-heartbeat-elision.cf",
        Reject(15, "unknown directive `...`"),
    ),
    (
        "13-puppet-readme-rendered-placeholders.cf",
        Reject(8, "host name `192.168.xx.xx` does not resolve"),
    ),
    ("14-payments-external-check-ssh.cf", Ok),
    ("15-payments-radius-udp-external.cf", Ok),
    ("16-payments-mariadb-no-globals.cf", Ok),
    (
        "17-payments-custom-service-tabs-spaces.cf",
        Reject(30, "unknown service `check_sonda_fd`"),
    ),
    (
        "18-payments-tab-space-indent.cf",
        Reject(32, "unknown service `pingpong_master`"),
    ),
    (
        "19-payments-gprs-477-virtuals-large.cf",
        Reject(28, "unknown service `pingpong_master`"),
    ),
    (
        "20-zh-blog-html-flattened-no-indent.cf",
        Reject(17, "`real` belongs in a virtual block"),
    ),
    ("21-mailcluster-failurecount-fallbackcommand-sh.cf", Ok),
    (
        "22-l7directord-ipv6-cousin-dialect.cf",
        Reject(1, "IPv6 needs virtual6="),
    ),
    // `logfile` unquoted: quotes are optional, and logfile is ignored.
    ("23-thirdparty-rust-fixture-unquoted-logfile.cf", Lenient),
];

/// The document and the warnings, or the errors, as text.
type Read = Result<(Table, Vec<String>), Vec<String>>;

fn read(dir: &Path, name: &str) -> (SourceFile, Read) {
    let text = std::fs::read_to_string(dir.join(name)).expect(name);
    let source = SourceFile::new(name, text);
    let result = cf::read(&source)
        .map(|(table, warnings)| (table, warnings.iter().map(ToString::to_string).collect()))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect());
    (source, result)
}

fn virtuals(table: &Table) -> &[config::tree::Item] {
    match table.get("virtual").map(|i| &i.value) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

#[test]
fn every_file_as_expected() {
    let Some(dir) = corpus() else { return };
    for &(name, outcome) in FILES {
        let (source, result) = read(&dir, name);
        match (outcome, result) {
            (Ok | Lenient, Result::Ok(_)) => {}
            (Reject(line, text), Err(errors)) => {
                let first = &errors[0];
                let prefix = format!("{name}:{line}:");
                assert!(
                    first.starts_with(&prefix),
                    "{name}: first error {first}, expected line {line}"
                );
                assert!(
                    first.contains(text),
                    "{name}: first error {first}, expected `{text}`"
                );
            }
            (expected, Result::Ok((table, _))) => {
                panic!(
                    "{name}: read with {} virtuals, expected {expected:?}",
                    virtuals(&table).len()
                )
            }
            (expected, Err(errors)) => {
                panic!(
                    "{name}: refused ({}), expected {expected:?}",
                    errors.join("\n")
                )
            }
        }
        let _ = source;
    }
}

#[test]
fn expectations_agree_with_the_index() {
    let Some(dir) = corpus() else { return };
    let index = std::fs::read_to_string(dir.join("INDEX.md")).expect("INDEX.md");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".cf"))
        .collect();
    files.sort();
    let listed: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
    assert_eq!(files, listed, "every corpus file has an expectation");
    for &(name, outcome) in FILES {
        let row = index
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("{name} is not in INDEX.md"));
        let verdict = row
            .trim_end()
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap()
            .trim();
        let ldirectord_accepts = verdict.starts_with("OK");
        assert!(
            ldirectord_accepts || verdict.starts_with("REJECT"),
            "{name}: verdict {verdict}"
        );
        match outcome {
            Ok => assert!(ldirectord_accepts, "{name}: INDEX says {verdict}"),
            Reject(..) | Lenient => assert!(!ldirectord_accepts, "{name}: INDEX says {verdict}"),
        }
    }
}

#[test]
fn reject_files_report_every_error() {
    let Some(dir) = corpus() else { return };
    let errors = |name: &str| read(&dir, name).1.expect_err(name);
    let e = errors("05-lvsadm-ini-sections.cf");
    assert!(
        e.iter().any(|e| e.contains("unknown directive `eth0:1`")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|e| e.contains("unknown service `ssh`")),
        "{e:?}"
    );
    let e = errors("22-l7directord-ipv6-cousin-dialect.cf");
    assert_eq!(
        e,
        [
            "22-l7directord-ipv6-cousin-dialect.cf:1:9: virtual: `[::1]` is an IPv6 address: \
             IPv6 needs virtual6=, real6= and fallback6=",
            "22-l7directord-ipv6-cousin-dialect.cf:2:10: real: `[::1]` is an IPv6 address: \
             IPv6 needs virtual6=, real6= and fallback6=",
            "22-l7directord-ipv6-cousin-dialect.cf:2:21: real: missing forward method after the \
             address: gate, masq or ipip",
        ]
    );
    // One error per custom service line; nothing else is wrong with it.
    let e = errors("19-payments-gprs-477-virtuals-large.cf");
    assert_eq!(e.len(), 477);
    assert!(
        e.iter().all(|e| e.contains("unknown service `pingpong_")),
        "{e:?}"
    );
    let e = errors("20-zh-blog-html-flattened-no-indent.cf");
    assert!(
        e.iter().all(|e| e.contains("belongs in a virtual block")),
        "{e:?}"
    );
}

#[test]
fn read_files_hold_what_ldirectord_reads() {
    let Some(dir) = corpus() else { return };
    let table = |name: &str| read(&dir, name).1.expect(name).0;
    let lengths: Vec<(&str, usize)> = FILES
        .iter()
        .filter(|(_, o)| matches!(o, Ok | Lenient))
        .map(|&(name, _)| (name, virtuals(&table(name)).len()))
        .collect();
    assert_eq!(
        lengths,
        [
            ("01-clusterlabs-sample-current.cf", 1),
            ("03-heartbeat-sample-december-2000.cf", 1),
            ("04-populis-production-farm.cf", 70),
            ("06-k8s-apiserver-servicename.cf", 1),
            ("07-rackspace-ipip-persistent-space.cf", 1),
            ("08-pacemaker-nat-callback-double-logfile.cf", 1),
            ("09-zh-fwmark-inline-comments-2space.cf", 1),
            ("10-ptbr-firewall-script-masq-connect.cf", 2),
            ("14-payments-external-check-ssh.cf", 2),
            ("15-payments-radius-udp-external.cf", 2),
            ("16-payments-mariadb-no-globals.cf", 1),
            ("21-mailcluster-failurecount-fallbackcommand-sh.cf", 6),
            ("23-thirdparty-rust-fixture-unquoted-logfile.cf", 2),
        ]
    );
    let first = |name: &str| match &virtuals(&table(name))[0].value {
        Value::Table(t) => t.clone(),
        _ => panic!(),
    };
    let text = |t: &Table, path: &[&str]| {
        let mut t = t.clone();
        for key in &path[..path.len() - 1] {
            t = match &t.get(key).unwrap().value {
                Value::Table(inner) => inner.clone(),
                _ => panic!(),
            };
        }
        t.get(path[path.len() - 1]).map(|i| i.value.clone())
    };
    // 09: a firewall mark, with the fallback and the reals of the 2-space block.
    let v = first("09-zh-fwmark-inline-comments-2space.cf");
    assert_eq!(text(&v, &["fwmark"]), Some(Value::Integer(3)));
    assert_eq!(
        text(&v, &["fallback"]),
        Some(Value::String("127.0.0.1:80".into()))
    );
    assert_eq!(
        text(&v, &["check", "type"]),
        Some(Value::String("http".into()))
    );
    // 04: service-name ports, and udp for `domain` where protocol says so.
    let t = table("04-populis-production-farm.cf");
    let v: Vec<Table> = virtuals(&t)
        .iter()
        .map(|i| match &i.value {
            Value::Table(t) => t.clone(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        text(&v[0], &["address"]),
        Some(Value::String("10.0.16.1:53".into()))
    );
    assert_eq!(
        text(&v[0], &["protocol"]),
        Some(Value::String("tcp".into()))
    );
    assert_eq!(
        text(&v[1], &["protocol"]),
        Some(Value::String("udp".into()))
    );
    // Their `service=dns` is a dns check now, no longer a connect check.
    for dns in &v[..2] {
        assert_eq!(
            text(dns, &["check", "type"]),
            Some(Value::String("dns".into()))
        );
        assert_eq!(
            text(dns, &["check", "request"]),
            Some(Value::String("vip-ldap.de.prod".into()))
        );
    }
    assert_eq!(
        text(&v[2], &["address"]),
        Some(Value::String("10.0.16.2:80".into()))
    );
    // 14: external check, negotiatetimeout is its timeout (no checktimeout in the block).
    let v = first("14-payments-external-check-ssh.cf");
    assert_eq!(
        text(&v, &["check", "type"]),
        Some(Value::String("external".into()))
    );
    assert_eq!(text(&v, &["check", "timeout"]), Some(Value::Integer(10)));
    // 23: the unquoted logfile is only a warning.
    let (_, result) = read(&dir, "23-thirdparty-rust-fixture-unquoted-logfile.cf");
    let warnings = result.unwrap().1;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(":5:1: ignored: logfile")),
        "{warnings:?}"
    );
}

#[test]
fn read_files_pass_validation() {
    let Some(dir) = corpus() else { return };
    for &(name, outcome) in FILES {
        if matches!(outcome, Ok | Lenient) {
            if let Err(errors) = config::load(&[dir.join(name)]) {
                let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{name}:\n{}", errors.join("\n"));
            }
        }
    }
}

#[test]
fn truncated_files_do_not_panic() {
    let Some(dir) = corpus() else { return };
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get());
    for &(name, _) in FILES {
        // Files 11 and 13 hold placeholders where addresses go (`xx.xx.xx.xx`,
        // `aa.aa.aa.01`, `192.168.xx.xx`), which the reader takes for host names
        // and looks up, as ldirectord does. Cut into pieces, they would send
        // hundreds of DNS queries (each lost one a 5 s wait) for a test about
        // truncation: here they become documentation addresses first.
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(name)).unwrap())
            .replace("xx.xx.xx.xx", "192.0.2.1")
            .replace("yy.yy.yy.yy", "192.0.2.2")
            .replace("aa.aa.aa.", "198.51.100.")
            .replace("bb.bb.bb.", "203.0.113.")
            .replace("192.168.xx.xx", "192.168.0.1");
        let bytes = text.into_bytes();
        let ends: Vec<usize> = (0..=bytes.len()).step_by(97).collect();
        std::thread::scope(|scope| {
            for chunk in ends.chunks(ends.len().div_ceil(threads)) {
                let bytes = &bytes;
                scope.spawn(move || {
                    for &end in chunk {
                        let text = String::from_utf8_lossy(&bytes[..end]);
                        let source = SourceFile::new(name, text.as_ref());
                        let _ = cf::read(&source);
                    }
                });
            }
        });
    }
}

/// The services whose negotiate check ipvsctl still replaces with a connect
/// check, with a warning; each service ipvsctl checks leaves this list.
#[test]
fn only_services_without_their_check_are_downgraded() {
    let Some(dir) = corpus() else { return };
    let mut downgraded: Vec<String> = FILES
        .iter()
        .filter_map(|&(name, _)| read(&dir, name).1.ok())
        .flat_map(|(_, warnings)| warnings)
        .filter_map(|w| {
            let (_, rest) = w.split_once("negotiate check for service ")?;
            rest.contains("using a")
                .then(|| rest.split_whitespace().next().unwrap_or("").to_string())
        })
        .collect();
    downgraded.sort();
    downgraded.dedup();
    assert_eq!(downgraded, Vec::<String>::new());
}
