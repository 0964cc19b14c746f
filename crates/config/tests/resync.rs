// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[defaults] resync`: seconds (1 to 86400), 0 or "off"; 30 s when left
//! out; the same in every file that sets it; written back by `convert`.

use std::time::Duration;

use config::model::DEFAULT_RESYNC;
use config::source::SourceFile;
use config::{toml_file, validate, write, Config, Diagnostic};

fn read(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let mut documents = Vec::new();
    for (name, text) in files {
        let source = SourceFile::new(*name, *text);
        let table = toml_file::read(&source).map_err(|d| strings(&d))?;
        documents.push((source, table));
    }
    validate::validate(&documents)
        .map(|(config, _)| config)
        .map_err(|d| {
            let errors: Vec<Diagnostic> = d.into_iter().filter(Diagnostic::is_error).collect();
            strings(&errors)
        })
}

fn strings(d: &[Diagnostic]) -> Vec<String> {
    d.iter().map(ToString::to_string).collect()
}

const VIRTUAL: &str = r#"
[[virtual]]
address = "10.0.0.1:80"

  [[virtual.real]]
  address = "10.0.0.11:80"
"#;

fn with_defaults(line: &str) -> String {
    format!("[defaults]\n{line}\n{VIRTUAL}")
}

#[test]
fn thirty_seconds_when_left_out() {
    let config = read(&[("site.toml", VIRTUAL)]).unwrap();
    assert_eq!(config.resync, Some(Duration::from_secs(30)));
    assert_eq!(DEFAULT_RESYNC, Duration::from_secs(30));
}

#[test]
fn seconds_zero_and_off() {
    for (line, wanted) in [
        ("resync = 10", Some(Duration::from_secs(10))),
        ("resync = 2.5", Some(Duration::from_millis(2500))),
        ("resync = 86400", Some(Duration::from_secs(86_400))),
        ("resync = 0", None),
        ("resync = 0.0", None),
        ("resync = \"off\"", None),
    ] {
        let config = read(&[("site.toml", &with_defaults(line))]).unwrap();
        assert_eq!(config.resync, wanted, "{line}");
    }
}

#[test]
fn anything_else_is_refused_with_its_file_line_and_key() {
    for (line, found) in [
        ("resync = 0.5", "found 0.5"),
        ("resync = -1", "found -1"),
        ("resync = 86401", "found 86401"),
        ("resync = \"30s\"", "found \"30s\""),
        ("resync = \"never\"", "found \"never\""),
        ("resync = true", "found a boolean"),
        ("resync = nan", "found NaN"),
    ] {
        let errors = read(&[("site.toml", &with_defaults(line))]).unwrap_err();
        assert_eq!(errors.len(), 1, "{line}: {errors:?}");
        assert!(
            errors[0].starts_with("site.toml:2:10: defaults.resync: expected seconds"),
            "{line}: {}",
            errors[0]
        );
        assert!(errors[0].ends_with(found), "{line}: {}", errors[0]);
    }
}

#[test]
fn files_that_set_it_agree() {
    let other = "[defaults]\nresync = 10\n";
    let same = read(&[("a.toml", &with_defaults("resync = 10")), ("b.toml", other)]).unwrap();
    assert_eq!(same.resync, Some(Duration::from_secs(10)));
    let errors = read(&[("a.toml", &with_defaults("resync = 5")), ("b.toml", other)]).unwrap_err();
    assert_eq!(
        errors,
        ["b.toml:2:10: defaults.resync: differs from the resync at a.toml:2:10"]
    );
}

#[test]
fn convert_writes_it_back_when_it_is_not_the_default() {
    for line in ["resync = 45", "resync = 2.5", "resync = \"off\""] {
        let config = read(&[("site.toml", &with_defaults(line))]).unwrap();
        let text = write::to_toml(&config, "test");
        assert!(text.contains(&format!("\n{line}\n")), "{line}: {text}");
        let again = read(&[("again.toml", &text)]).unwrap();
        assert_eq!(again.resync, config.resync, "{line}");
    }
    let config = read(&[("site.toml", VIRTUAL)]).unwrap();
    assert!(!write::to_toml(&config, "test").contains("resync"));
}
