// SPDX-License-Identifier: MIT OR Apache-2.0
//! Every ldirectord directive, in the global section and in a virtual block,
//! with a few values: what the reader makes of each, pinned in
//! `snapshots/cf_directives.txt`. `UPDATE_SNAPSHOTS=1 cargo test` rewrites it.

use config::cf;
use config::source::SourceFile;
use config::tree::{Table, Value};

const DIRECTIVES: &[&str] = &[
    "autoreload",
    "callback",
    "checkcommand",
    "checkcount",
    "checkinterval",
    "checkport",
    "checktimeout",
    "checktype",
    "cleanstop",
    "comment",
    "connecttimeout",
    "database",
    "emailalert",
    "emailalertfreq",
    "emailalertfrom",
    "emailalertstatus",
    "execute",
    "failurecount",
    "fallback",
    "fallback6",
    "fallbackcommand",
    "fork",
    "frobnicate",
    "httpmethod",
    "load",
    "logfile",
    "login",
    "maintenancedir",
    "monitorfile",
    "negotiatetimeout",
    "netmask",
    "ops",
    "passwd",
    "persistent",
    "protocol",
    "quiescent",
    "readdquiescent",
    "real",
    "real6",
    "receive",
    "request",
    "schedflags",
    "scheduler",
    "secret",
    "service",
    "servicename",
    "smtp",
    "supervised",
    "timeout",
    "virtual",
    "virtual6",
    "virtualhost",
];

const VALUES: &[&str] = &["yes", "3", "10.0.0.5:80 masq", "[::5]:80 gate", "http"];

/// What the reader says about a file: its document as `path = value @place`
/// lines, then its diagnostics.
fn outcome(text: &str) -> String {
    let source = SourceFile::new("ld.cf", text);
    let mut out = String::new();
    match cf::read(&source) {
        Ok((table, warnings)) => {
            flatten(&source, &table, "", &mut out);
            for w in warnings {
                out.push_str(&format!("  warning: {w}\n"));
            }
        }
        Err(errors) => {
            for e in errors {
                let e = without_resolver_reason(&e.to_string());
                out.push_str(&format!("  error: {e}\n"));
            }
        }
    }
    out
}

/// A host name that does not resolve is told with the resolver's reason,
/// which depends on the host (no such name, no DNS server answering): the
/// snapshot keeps the message up to it.
fn without_resolver_reason(message: &str) -> String {
    const AT: &str = "does not resolve: ";
    match message.find(AT) {
        Some(i) => format!("{}REASON", &message[..i + AT.len()]),
        None => message.to_string(),
    }
}

fn flatten(source: &SourceFile, table: &Table, prefix: &str, out: &mut String) {
    for (key, item) in &table.entries {
        let path = format!("{prefix}.{}", key.name);
        match &item.value {
            Value::Table(t) => flatten(source, t, &path, out),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Table(t) => flatten(source, t, &format!("{path}[{index}]"), out),
                        other => out.push_str(&format!("  {path}[{index}] = {other:?}\n")),
                    }
                }
            }
            value => {
                let at = source.location_of(&item.span);
                let key_at = source.location_of(&key.span);
                out.push_str(&format!("  {path} = {value:?} @{at} key@{key_at}\n"));
            }
        }
    }
}

fn snapshot() -> String {
    let mut out = String::new();
    for name in DIRECTIVES {
        let mut files = vec![format!(
            "{name}\nvirtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n"
        )];
        files.push(format!(
            "virtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n\t{name}\n"
        ));
        for value in VALUES {
            files.push(format!(
                "{name} = {value}\nvirtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n"
            ));
            files.push(format!(
                "virtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n\t{name} = {value}\n"
            ));
            if name.starts_with("real") || name.starts_with("fallback") {
                files.push(format!(
                    "virtual6 = [::1]:80\n\treal6 = [::2]:80 gate\n\t{name} = {value}\n"
                ));
            }
        }
        for file in files {
            out.push_str(&format!("{file:?}\n{}", outcome(&file)));
        }
    }
    out
}

#[test]
fn every_directive_in_every_place() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/cf_directives.txt"
    );
    let got = snapshot();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &got).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(path).expect("the snapshot");
    for (line, (got, expected)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, expected, "line {} of {path}", line + 1);
    }
    assert_eq!(
        got.lines().count(),
        expected.lines().count(),
        "lines in {path}"
    );
}
