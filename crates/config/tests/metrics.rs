// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[metrics]`: the Prometheus endpoint's address, and the words for a bad one.

use config::source::SourceFile;
use config::{toml_file, validate, write, Config};

fn load_all(files: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let mut documents = Vec::new();
    for (name, text) in files {
        let source = SourceFile::new(*name, *text);
        let table = toml_file::read(&source)
            .map_err(|d| d.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        documents.push((source, table));
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

fn errors(text: &str) -> Vec<String> {
    load_all(&[("www.toml", text)]).expect_err("should be refused")
}

#[test]
fn absent_means_no_endpoint() {
    let config = load_all(&[("www.toml", "")]).unwrap();
    assert_eq!(config.metrics, None);
}

#[test]
fn listen_v4_and_v6() {
    let config = load_all(&[("www.toml", "[metrics]\nlisten = \"127.0.0.1:9477\"\n")]).unwrap();
    assert_eq!(
        config.metrics.map(|m| m.listen),
        Some("127.0.0.1:9477".parse().unwrap())
    );
    let config = load_all(&[("www.toml", "[metrics]\nlisten = \"[::1]:9477\"\n")]).unwrap();
    assert_eq!(
        config.metrics.map(|m| m.listen),
        Some("[::1]:9477".parse().unwrap())
    );
}

#[test]
fn bad_values_name_file_line_and_key() {
    assert_eq!(
        errors("[metrics]\nlisten = \"localhost:9477\"\n"),
        ["www.toml:2:10: metrics.listen: `localhost:9477` is not an address:port (e.g. \"127.0.0.1:9477\" or \"[::1]:9477\")"]
    );
    assert_eq!(
        errors("[metrics]\nlisten = \"127.0.0.1\"\n"),
        ["www.toml:2:10: metrics.listen: `127.0.0.1` is not an address:port (e.g. \"127.0.0.1:9477\" or \"[::1]:9477\")"]
    );
    assert_eq!(
        errors("[metrics]\nlisten = \"127.0.0.1:0\"\n"),
        ["www.toml:2:10: metrics.listen: `127.0.0.1:0`: port 0 is not a port to scrape"]
    );
    assert_eq!(
        errors("[metrics]\nlisten = 9477\n"),
        ["www.toml:2:10: metrics.listen: expected a string, found an integer"]
    );
    assert_eq!(
        errors("[metrics]\nport = 9477\n"),
        [
            "www.toml:1:1: metrics.listen: missing: the address:port to serve /metrics on, e.g. \"127.0.0.1:9477\"",
            "www.toml:2:1: metrics.port: unknown key (known keys: listen)",
        ]
    );
}

#[test]
fn one_metrics_table_across_files() {
    let refused = load_all(&[
        ("a.toml", "[metrics]\nlisten = \"127.0.0.1:9477\"\n"),
        ("b.toml", "[metrics]\nlisten = \"127.0.0.1:9478\"\n"),
    ])
    .expect_err("two [metrics]");
    assert_eq!(
        refused,
        ["b.toml:1:1: metrics: a second [metrics] (the first is at a.toml:1:1)"]
    );
}

#[test]
fn convert_writes_it_back() {
    let config = load_all(&[("www.toml", "[metrics]\nlisten = \"[::1]:9477\"\n")]).unwrap();
    let text = write::to_toml(&config, "converted");
    assert!(
        text.contains("\n[metrics]\nlisten = \"[::1]:9477\"\n"),
        "{text}"
    );
    let again = load_all(&[("again.toml", &text)]).unwrap();
    assert_eq!(again.metrics, config.metrics);
}
