// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[announce]`: an empty section turns it on with its defaults; every
//! option and its bad values; `announce` per virtual.

use std::time::Duration;

use config::model::{Announce, RouteType};
use config::source::SourceFile;
use config::{toml_file, validate, Config};

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

const WWW: &str = "[[virtual]]\naddress = \"192.0.2.1:80\"\n";
const REAL: &str = "[[virtual.real]]\naddress = \"10.0.0.2:80\"\n";

#[test]
fn absent_means_nothing_announced_and_empty_means_the_defaults() {
    assert_eq!(
        load_all(&[("www.toml", &format!("{WWW}{REAL}"))])
            .unwrap()
            .announce,
        None
    );
    let config = load_all(&[("www.toml", &format!("[announce]\n{WWW}{REAL}"))]).unwrap();
    assert_eq!(
        config.announce,
        Some(Announce {
            protocol: 250,
            table: 254,
            route_type: RouteType::Unicast,
            with_fallback: false,
            hold_down: Duration::ZERO,
        })
    );
    assert_eq!(config.virtuals[0].announce, None);
}

#[test]
fn every_option() {
    let text = format!(
        "[announce]\nprotocol = 199\ntable = 1000\nroute_type = \"blackhole\"\n\
         with_fallback = true\nhold_down = 2.5\n{WWW}announce = false\n{REAL}"
    );
    let config = load_all(&[("www.toml", &text)]).unwrap();
    assert_eq!(
        config.announce,
        Some(Announce {
            protocol: 199,
            table: 1000,
            route_type: RouteType::Blackhole,
            with_fallback: true,
            hold_down: Duration::from_millis(2500),
        })
    );
    assert_eq!(config.virtuals[0].announce, Some(false));
}

#[test]
fn bad_values_name_file_line_and_key() {
    assert_eq!(
        errors("[announce]\nprotocol = 2\n"),
        ["www.toml:2:12: announce.protocol: 2: a routing protocol number 5-255 other than 12 (BIRD's own); 0-4 are the kernel's and `ip route add`'s"]
    );
    assert_eq!(errors("[announce]\nprotocol = 12\n").len(), 1);
    assert_eq!(errors("[announce]\nprotocol = 256\n").len(), 1);
    assert_eq!(errors("[announce]\ntable = 0\n").len(), 1);
    assert_eq!(
        errors("[announce]\nroute_type = \"anycast\"\n"),
        ["www.toml:2:14: announce.route_type: `anycast`: \"unicast\" (dev lo) or \"blackhole\""]
    );
    assert_eq!(
        errors("[announce]\nhold_down = -1\n"),
        ["www.toml:2:13: announce.hold_down: must be 0 to 3600 seconds, found -1"]
    );
    assert_eq!(errors("[announce]\nwith_fallback = 1\n").len(), 1);
    assert_eq!(errors("[announce]\nspeaker = \"bgp\"\n").len(), 1);
}

#[test]
fn announce_true_needs_the_section_and_an_address() {
    assert_eq!(
        errors(&format!("{WWW}announce = true\n{REAL}")),
        ["www.toml:1:1: announce: tcp 192.0.2.1:80 has `announce = true` but no file has an [announce] section (an empty [announce] announces every virtual)"]
    );
    let fwmark = "[announce]\n[[virtual]]\nfwmark = 7\nannounce = true\n[[virtual.real]]\naddress = \"10.0.0.2:80\"\n";
    assert_eq!(
        errors(fwmark),
        ["www.toml:4:12: virtual[0].announce: a fwmark virtual has no address to announce"]
    );
}

#[test]
fn two_sections_are_refused() {
    let refused = load_all(&[("a.toml", "[announce]\n"), ("b.toml", "[announce]\n")])
        .expect_err("two [announce]");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("a second [announce]"), "{refused:?}");
}
