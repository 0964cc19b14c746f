// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl convert FILE`: an ldirectord `.cf` or a keepalived.conf as
//! TOML.

use std::io::Read;
use std::path::Path;

use crate::cli::ConvertFrom;
use crate::{exit, report};

/// The blocks that only a keepalived configuration has, any one of which
/// at the start of a line makes a file keepalived's.
const KEEPALIVED_BLOCKS: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "vrrp_instance",
    "vrrp_sync_group",
    "vrrp_script",
    "global_defs",
    "static_ipaddress",
    "include",
];

/// How much of a file is looked at to tell keepalived's from ldirectord's.
const SNIFF_BYTES: u64 = 1 << 20;

/// Prints the TOML on stdout; problems on stderr, exit 1.
pub fn run(
    file: &Path,
    from: Option<ConvertFrom>,
    config_id: Option<String>,
) -> anyhow::Result<i32> {
    let is_toml = file.extension().is_some_and(|e| e == "toml");
    let config = match from.unwrap_or_else(|| reader_for(file)) {
        // A TOML file is read as TOML (and printed back), as before.
        ConvertFrom::Ldirectord if from.is_none() && is_toml => report::load(&[file.to_path_buf()]),
        ConvertFrom::Ldirectord => report::loaded(config::load::load_ldirectord(file)),
        ConvertFrom::Keepalived => {
            let id = config_id.or_else(host_name);
            report::loaded(config::load::load_keepalived(file, id.as_deref()))
        }
    };
    let Some(config) = config else {
        return Ok(exit::FAILURE);
    };
    let header = format!("converted from {} by ipvsctl convert", file.display());
    print!("{}", config::write::to_toml(&config, &header));
    Ok(exit::SUCCESS)
}

/// ldirectord for `*.cf` (and `*.toml`, read as TOML); keepalived for
/// `*.conf` or a keepalived block at the start of a line; else ldirectord
/// (whose reader says what is wrong).
fn reader_for(file: &Path) -> ConvertFrom {
    if file.extension().is_some_and(|e| e == "cf" || e == "toml") {
        return ConvertFrom::Ldirectord;
    }
    if file.extension().is_some_and(|e| e == "conf") {
        return ConvertFrom::Keepalived;
    }
    let mut text = String::new();
    let read =
        std::fs::File::open(file).and_then(|f| f.take(SNIFF_BYTES).read_to_string(&mut text));
    if read.is_ok() && is_keepalived(&text) {
        ConvertFrom::Keepalived
    } else {
        ConvertFrom::Ldirectord
    }
}

/// Whether a line starts with a keepalived block's keyword (an ldirectord
/// line is `name=value`).
fn is_keepalived(text: &str) -> bool {
    text.lines().any(|line| {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        KEEPALIVED_BLOCKS.contains(&first) && !second.starts_with('=') && !first.contains('=')
    })
}

/// keepalived's default config id: the host name up to its first dot.
fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let short = name.trim().split('.').next()?.to_string();
    (!short.is_empty()).then_some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_keepalived_from_ldirectord() {
        assert!(is_keepalived("! c\nvirtual_server 10.0.0.1 80 {\n}\n"));
        assert!(is_keepalived("vrrp_instance VI_1 {\n"));
        assert!(!is_keepalived(
            "virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n"
        ));
        assert!(!is_keepalived(
            "# virtual_server in a comment\nchecktimeout=3\n"
        ));
        assert!(!is_keepalived("include = x\n"));
    }
}
