// SPDX-License-Identifier: MIT OR Apache-2.0
//! `autoreload` (TOML and `.cf`), `[timeouts]` and `[kernel]`: what is
//! accepted, what is refused (file, line, key), files put together, and
//! `convert` writing them back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use config::model::{Kernel, Timeouts};
use config::source::SourceFile;
use config::{cf, toml_file, validate, write, Config};

/// Every file (`.cf` by its name, else TOML) checked together.
fn load_all(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let mut documents = Vec::new();
    for (name, text) in files {
        let source = SourceFile::new(*name, *text);
        let table = if name.ends_with(".cf") {
            cf::read(&source).map(|(table, _)| table)
        } else {
            toml_file::read(&source)
        };
        match table {
            Ok(table) => documents.push((source, table)),
            Err(d) => return Err(d.iter().map(ToString::to_string).collect()),
        }
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

const VIRTUAL: &str = "\n[[virtual]]\naddress = \"10.0.0.1:80\"\n";

#[test]
fn nothing_set_keeps_the_kernels_values_and_does_not_watch() {
    let config = load(VIRTUAL).unwrap();
    assert!(!config.autoreload);
    assert_eq!(config.timeouts, Timeouts::default());
    assert_eq!(config.kernel, Kernel::default());
}

#[test]
fn timeouts_kernel_and_autoreload_are_read() {
    let text = format!(
        "[defaults]\nautoreload = true\n\n[timeouts]\ntcp = 7200\nudp = 60\n\n\
         [kernel]\nexpire_nodest_conn = true\nexpire_quiescent_template = true\n\
         conn_reuse_mode = 0\nsloppy_tcp = false\n{VIRTUAL}"
    );
    let config = load(&text).unwrap();
    assert!(config.autoreload);
    assert_eq!(
        config.timeouts,
        Timeouts {
            tcp: Some(Duration::from_secs(7200)),
            tcp_fin: None,
            udp: Some(Duration::from_secs(60)),
        }
    );
    assert_eq!(
        config.kernel,
        Kernel {
            expire_nodest_conn: Some(true),
            expire_quiescent_template: Some(true),
            conn_reuse_mode: Some(0),
            sloppy_tcp: Some(false),
            sloppy_sctp: None,
        }
    );
}

#[test]
fn out_of_range_and_wrong_types_are_refused_with_file_line_and_key() {
    let text = "[timeouts]\ntcp = 0\ntcpfin = 2147484\nudp = 1.5\n\n\
                [kernel]\nconn_reuse_mode = 4\nsloppy_tcp = 1\nexpire_nodest_conn = \"yes\"\n\n\
                [defaults]\nautoreload = \"yes\"\n";
    assert_eq!(
        load(text).unwrap_err(),
        [
            "www.toml:2:7: timeouts.tcp: 0 is out of range 1..=2147483",
            "www.toml:3:10: timeouts.tcpfin: 2147484 is out of range 1..=2147483",
            "www.toml:4:7: timeouts.udp: expected an integer, found a float",
            "www.toml:7:19: kernel.conn_reuse_mode: 4 is out of range 0..=3",
            "www.toml:8:14: kernel.sloppy_tcp: expected true or false, found an integer",
            "www.toml:9:22: kernel.expire_nodest_conn: expected true or false, found a string",
            "www.toml:12:14: defaults.autoreload: expected true or false, found a string",
        ]
    );
}

#[test]
fn one_file_holds_timeouts_and_kernel_and_autoreload_must_agree() {
    let first =
        "[timeouts]\ntcp = 60\n[kernel]\nsloppy_tcp = true\n[defaults]\nautoreload = true\n";
    let second =
        "[timeouts]\nudp = 60\n[kernel]\nsloppy_tcp = true\n[defaults]\nautoreload = false\n";
    assert_eq!(
        load_all(&[("a.toml", first), ("b.toml", second)]).unwrap_err(),
        [
            "b.toml:6:14: defaults.autoreload: differs from the autoreload at a.toml:6:14",
            "b.toml:1:1: timeouts: a second [timeouts] (the first is at a.toml:1:1)",
            "b.toml:3:1: kernel: a second [kernel] (the first is at a.toml:3:1)",
        ]
    );
    // The same autoreload twice is fine; so are the tables in one file.
    let second = "[defaults]\nautoreload = true\n";
    let config = load_all(&[("a.toml", first), ("b.toml", second)]).unwrap();
    assert!(config.autoreload);
    assert_eq!(config.timeouts.tcp, Some(Duration::from_secs(60)));
    assert_eq!(config.kernel.sloppy_tcp, Some(true));
}

#[test]
fn cf_autoreload_is_read_and_no_longer_ignored() {
    let cf = |global: &str| format!("{global}virtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n");
    assert!(
        load_all(&[("ld.cf", &cf("autoreload = yes\n"))])
            .unwrap()
            .autoreload
    );
    assert!(
        !load_all(&[("ld.cf", &cf("autoreload = no\n"))])
            .unwrap()
            .autoreload
    );
    // ldirectord's default: no.
    assert!(!load_all(&[("ld.cf", &cf(""))]).unwrap().autoreload);
    let source = SourceFile::new("ld.cf", cf("autoreload = yes\n"));
    let (_, warnings) = cf::read(&source).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // A TOML file and a `.cf` file together must agree.
    assert_eq!(
        load_all(&[
            ("ld.cf", &cf("autoreload = yes\n")),
            ("b.toml", "[defaults]\nautoreload = false\n")
        ])
        .unwrap_err(),
        ["b.toml:2:14: defaults.autoreload: differs from the autoreload at ld.cf:1:14"]
    );
}

#[test]
fn convert_writes_them_back_and_they_read_the_same() {
    let text = format!(
        "[defaults]\nautoreload = true\n[timeouts]\ntcpfin = 30\n\
         [kernel]\nexpire_quiescent_template = true\nconn_reuse_mode = 2\n{VIRTUAL}"
    );
    let config = load(&text).unwrap();
    let written = write::to_toml(&config, "converted");
    assert!(
        written.contains("\n[defaults]\nautoreload = true\n"),
        "{written}"
    );
    assert!(written.contains("\n[timeouts]\ntcpfin = 30\n"), "{written}");
    assert!(
        written.contains("\n[kernel]\nexpire_quiescent_template = true\nconn_reuse_mode = 2\n"),
        "{written}"
    );
    let again = load(&written).unwrap();
    assert_eq!(again.autoreload, config.autoreload);
    assert_eq!(again.timeouts, config.timeouts);
    assert_eq!(again.kernel, config.kernel);
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cf-corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: no corpus at {}: skipped", dir.display());
        None
    }
}

#[test]
fn the_corpus_autoreload_is_what_each_file_says() {
    let Some(dir) = corpus() else { return };
    let mut read = 0;
    let mut on = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "cf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let says_yes = text
            .lines()
            .any(|l| l.split('#').next().unwrap().trim() == "autoreload=yes");
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        // Files the reader refuses are covered by cf_corpus.rs.
        let Ok(config) = load_all(&[(&name, &text)]) else {
            continue;
        };
        read += 1;
        assert_eq!(config.autoreload, says_yes, "{name}");
        on += usize::from(says_yes);
    }
    assert!(read >= 10, "only {read} corpus files read");
    assert!(on >= 10, "only {on} corpus files with autoreload read");
}
