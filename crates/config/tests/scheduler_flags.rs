// SPDX-License-Identifier: MIT OR Apache-2.0
//! `scheduler_flags`: ipvsadm's `-b` for the hashing schedulers, refused
//! with FILE:LINE where it does not fit.

use config::model::SchedulerFlags;
use config::source::SourceFile;
use config::{toml_file, validate, write, Config};

fn load(text: &str) -> Result<Config, Vec<String>> {
    let source = SourceFile::new("www.toml", text);
    let table = toml_file::read(&source)
        .map_err(|d| d.iter().map(ToString::to_string).collect::<Vec<String>>())?;
    validate::validate(&[(source, table)])
        .map(|(config, _)| config)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect()
        })
}

fn virtual_(scheduler: &str, flags: &str) -> String {
    format!(
        "[[virtual]]\naddress = \"192.168.0.3:80\"\nscheduler = \"{scheduler}\"\nscheduler_flags = {flags}\n[[virtual.real]]\naddress = \"10.0.0.1:80\"\n"
    )
}

#[test]
fn mh_and_sh_take_their_flags() {
    let config = load(&virtual_("mh", r#"["mh-fallback", "mh-port"]"#)).unwrap();
    assert_eq!(
        config.virtuals[0].scheduler_flags,
        SchedulerFlags {
            fallback: true,
            port: true
        }
    );
    let config = load(&virtual_("sh", r#"["sh-port"]"#)).unwrap();
    assert_eq!(
        config.virtuals[0].scheduler_flags,
        SchedulerFlags {
            fallback: false,
            port: true
        }
    );
    let config = load(&virtual_("mh", "[]")).unwrap();
    assert_eq!(
        config.virtuals[0].scheduler_flags,
        SchedulerFlags::default()
    );
}

#[test]
fn without_the_key_there_are_no_flags() {
    let config = load("[[virtual]]\naddress = \"192.168.0.3:80\"\nscheduler = \"mh\"\n").unwrap();
    assert_eq!(
        config.virtuals[0].scheduler_flags,
        SchedulerFlags::default()
    );
}

#[test]
fn a_flag_of_another_scheduler_is_refused_with_its_line() {
    assert_eq!(
        load(&virtual_("wlc", r#"["mh-fallback"]"#)).unwrap_err(),
        ["www.toml:4:20: virtual[0].scheduler_flags: `mh-fallback` is a flag of the `mh` scheduler, not of `wlc`"]
    );
    assert_eq!(
        load(&virtual_("mh", r#"["mh-port", "sh-fallback"]"#)).unwrap_err(),
        ["www.toml:4:31: virtual[0].scheduler_flags: `sh-fallback` is a flag of the `sh` scheduler, not of `mh`"]
    );
}

#[test]
fn unknown_flags_and_wrong_types_are_refused() {
    assert_eq!(
        load(&virtual_("mh", r#"["mh-sloppy"]"#)).unwrap_err(),
        ["www.toml:4:20: virtual[0].scheduler_flags: unknown flag `mh-sloppy` (mh-fallback, mh-port, sh-fallback or sh-port)"]
    );
    assert_eq!(
        load(&virtual_("mh", r#"["fallback"]"#)).unwrap_err(),
        ["www.toml:4:20: virtual[0].scheduler_flags: unknown flag `fallback` (mh-fallback, mh-port, sh-fallback or sh-port)"]
    );
    assert_eq!(
        load(&virtual_("mh", r#""mh-port""#)).unwrap_err(),
        ["www.toml:4:19: virtual[0].scheduler_flags: expected an array of strings, found a string"]
    );
    assert_eq!(
        load(&virtual_("mh", "[1]")).unwrap_err(),
        ["www.toml:4:20: virtual[0].scheduler_flags: expected a string, found an integer"]
    );
}

#[test]
fn written_back_the_flags_read_the_same() {
    let config = load(&virtual_("mh", r#"["mh-port", "mh-fallback"]"#)).unwrap();
    let text = write::to_toml(&config, "");
    assert!(
        text.contains("scheduler_flags = [\"mh-fallback\", \"mh-port\"]"),
        "{text}"
    );
    let again = load(&text).unwrap();
    assert_eq!(
        again.virtuals[0].scheduler_flags,
        config.virtuals[0].scheduler_flags
    );
}

/// A `.cf` file read and validated as `ipvsctl` does.
fn load_cf(text: &str) -> Result<Config, Vec<String>> {
    let source = SourceFile::new("ld.cf", text);
    let (table, _) = config::cf::read(&source)
        .map_err(|d| d.iter().map(ToString::to_string).collect::<Vec<String>>())?;
    validate::validate(&[(source, table)])
        .map(|(config, _)| config)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect()
        })
}

#[test]
fn ldirectords_schedflags_are_the_same_flags() {
    let config = load_cf(
        "virtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n\tscheduler = mh\n\tschedflags = mh-fallback,mh-port\n",
    )
    .unwrap();
    assert_eq!(
        config.virtuals[0].scheduler_flags,
        SchedulerFlags {
            fallback: true,
            port: true
        }
    );
    assert_eq!(
        load_cf(
            "virtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n\tscheduler = wlc\n\tschedflags = sh-port\n",
        )
        .unwrap_err(),
        ["ld.cf:4:15: virtual[0].scheduler_flags: `sh-port` is a flag of the `sh` scheduler, not of `wlc`"]
    );
}
