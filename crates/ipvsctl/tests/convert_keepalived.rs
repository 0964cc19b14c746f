// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl convert` on keepalived configurations, as a user runs it: which
//! reader it picks, the TOML on stdout that `validate` accepts, and the
//! errors at FILE:LINE with nothing on stdout.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{stderr, stdout, write};

fn ipvsctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipvsctl"))
        .args(args)
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../config/tests/data/keepalived")
        .join(name)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-kaconv-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SITE: &str = "virtual_server 10.0.0.1 80 {\n    lb_kind DR\n    real_server 10.0.1.1 80 {\n        weight 2\n    }\n}\n";

#[test]
fn a_conf_file_converts_to_toml_that_validates() {
    let dir = scratch("site");
    let out = ipvsctl(&["convert", &data("site.conf")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("site.conf:3:1: left to keepalived (global_defs, vrrp_instance)"),
        "{}",
        stderr(&out)
    );
    let toml = write(&dir, "site.toml", &stdout(&out));
    let out = ipvsctl(&["validate", &toml]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok: 4 virtual services, 8 reals\n");
}

#[test]
fn the_reader_is_chosen_by_name_then_by_content() {
    let dir = scratch("choice");
    // Debian's sample names: no `.conf` at the end, keepalived's blocks inside.
    let sample = write(&dir, "keepalived.conf.sample", SITE);
    let out = ipvsctl(&["convert", &sample]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("address = \"10.0.1.1:80\"\n  forward = \"gate\"\n  weight = 2"));
    // `.cf` is ldirectord's, whatever it holds, unless --from says otherwise.
    let cf = write(&dir, "odd.cf", SITE);
    let out = ipvsctl(&["convert", &cf]);
    assert_eq!(out.status.code(), Some(1));
    let out = ipvsctl(&["convert", "--from", "keepalived", &cf]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // An ldirectord file with another name is still read as ldirectord's.
    let ld = write(
        &dir,
        "ldirectord.config",
        "virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n",
    );
    let out = ipvsctl(&["convert", &ld]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = ipvsctl(&["convert", "--from", "keepalived", &ld]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown keyword"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("[[virtual]]"));
}

#[test]
fn an_unreadable_file_is_refused_at_its_line_and_nothing_is_printed() {
    let out = ipvsctl(&["convert", &data("unbalanced.conf")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let path = data("unbalanced.conf");
    assert!(
        stderr(&out).starts_with(&format!("error: {path}:1:32: this `{{` is never closed\n")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_config_id_picks_the_conditional_lines() {
    for (id, scheduler) in [("east", "rr"), ("west", "wlc")] {
        let out = ipvsctl(&["convert", "--config-id", id, &data("conditional.conf")]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).contains(&format!("scheduler = \"{scheduler}\"")),
            "{id}: {}",
            stdout(&out)
        );
    }
}
