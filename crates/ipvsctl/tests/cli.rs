// SPDX-License-Identifier: MIT OR Apache-2.0
//! The commands that need no kernel, run as a user would: validate and
//! convert, with their exit codes and exact messages.

mod common;

use std::process::Command;

use common::{example, stderr, stdout, write};

fn ipvsctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn validate_accepts_the_samples() {
    for file in ["www.toml", "www.cf"] {
        let out = ipvsctl(&["validate", &example(file)]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert_eq!(stdout(&out), "ok: 1 virtual service, 2 reals\n");
    }
}

#[test]
fn validate_refuses_with_file_line_column_and_key() {
    let dir = scratch("validate");
    let bad = write(&dir, "bad.toml", "[[virtual]]\naddress = \"10.0.0.1:80\"\n[[virtual.real]]\naddress = \"10.0.0.2\"\nweight = -1\n");
    let out = ipvsctl(&["validate", &example("www.toml"), &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {bad}:5:10: virtual[0].real[0].weight: -1 is out of range 0..=65535\n")
    );
    assert!(stdout(&out).is_empty());
    let missing = ipvsctl(&["validate", "/nonexistent/www.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "error: /nonexistent/www.toml:1:1: cannot read: No such file or directory (os error 2)\n"
    );
}

#[test]
fn validate_json_says_whether_sync_is_set_and_its_role_in_any_spelling() {
    let dir = scratch("validate-json");
    let out = ipvsctl(&["validate", "--json", &example("www.toml")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"virtuals\":1,\"reals\":2,\"sync\":null}\n");
    // A table header with spaces, a dotted key and an inline table: TOML
    // spellings a `grep '^\[sync\]'` misses.
    let service = "[[virtual]]\naddress = \"10.0.0.1:80\"\n";
    for (name, sync, role) in [
        (
            "header.toml",
            "  [ sync ]\nstate = \"both\"\nsyncid = 7\ninterface = \"eth1\"\n",
            "both",
        ),
        (
            "dotted.toml",
            "sync.state = \"master\"\nsync.syncid = 7\nsync.interface = \"eth1\"\n",
            "master",
        ),
        (
            "inline.toml",
            "sync = { state = \"backup\", syncid = 7, interface = \"eth1\" }\n",
            "backup",
        ),
    ] {
        let file = write(&dir, name, &format!("{sync}{service}"));
        let out = ipvsctl(&["validate", "--json", &file]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!(
                "{{\"virtuals\":1,\"reals\":0,\"sync\":{{\"state\":\"{role}\",\"syncid\":7,\"interface\":\"eth1\"}}}}\n"
            ),
            "{name}"
        );
    }
    // An ldirectord .cf file has no [sync]; a bad file prints nothing on stdout.
    let cf = ipvsctl(&["validate", "--json", &example("www.cf")]);
    assert_eq!(stdout(&cf), "{\"virtuals\":1,\"reals\":2,\"sync\":null}\n");
    let bad = write(
        &dir,
        "bad.toml",
        "[sync]\nstate = \"sideways\"\nsyncid = 1\ninterface = \"eth0\"\n",
    );
    let out = ipvsctl(&["validate", "--json", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("sync.state"), "{}", stderr(&out));
}

#[test]
fn convert_prints_toml_that_means_the_same() {
    let dir = scratch("convert");
    let out = ipvsctl(&["convert", &example("www.cf")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let toml = write(&dir, "www.toml", &stdout(&out));
    let from_cf = config::load(&[example("www.cf").into()]).unwrap().config;
    let from_toml = config::load(&[toml.into()]).unwrap().config;
    let strip = |c: config::Config| {
        c.virtuals
            .into_iter()
            .map(|mut v| {
                v.origin.file = Default::default();
                v.origin.location = config::source::Location { line: 0, column: 0 };
                v
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(from_toml.cleanstop, from_cf.cleanstop);
    assert_eq!(strip(from_toml), strip(from_cf));
}

#[test]
fn flush_without_yes_touches_nothing() {
    let out = ipvsctl(&["flush"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: flush deletes every virtual service"),
        "{}",
        stderr(&out)
    );
}
