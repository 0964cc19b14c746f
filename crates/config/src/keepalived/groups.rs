// SPDX-License-Identifier: MIT OR Apache-2.0
//! `virtual_server_group NAME { IP PORT | IP-LAST PORT | fwmark N }`: the
//! services a `virtual_server group NAME` stands for. ipvsctl has no
//! groups: each address of a range (`10.0.0.1-10 80`: the last part of
//! the address counts up to 10; hexadecimal for IPv6) becomes a virtual of
//! its own with the group's settings, as keepalived puts one service per
//! address in the kernel.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::blocks::Node;
use super::Reader;

/// The most services one range may stand for.
const MAX_RANGE: u32 = 256;

/// A service of a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Target {
    /// An address and port.
    Address(IpAddr, u16),
    /// A firewall mark.
    Fwmark(u32),
}

/// A group's services, each with the file and span that named it.
#[derive(Debug, Clone, Default)]
pub(super) struct Group {
    /// The services.
    pub targets: Vec<(Target, usize, Range<usize>)>,
}

impl Reader {
    /// Reads a `virtual_server_group` block.
    pub(super) fn group(&mut self, n: &Node) {
        let Some(name) = self
            .needs_arg(n, "the group's name")
            .map(|w| w.text.clone())
        else {
            return;
        };
        if self.groups.contains_key(&name) {
            self.error_at(n, &format!("group `{name}` is declared twice"));
            return;
        }
        let mut group = Group::default();
        for entry in n.block() {
            if entry.name() == "fwmark" {
                if let Some(mark) = self.number_arg(entry, "the mark", 1..=i64::from(u32::MAX)) {
                    let mark = u32::try_from(mark).unwrap_or(u32::MAX);
                    group
                        .targets
                        .push((Target::Fwmark(mark), entry.file, entry.span()));
                }
                continue;
            }
            let Some(port_word) = entry.arg(0).cloned() else {
                let message = "expected `IP PORT`, `IP-LAST PORT` or `fwmark N`";
                self.error_at(entry, message);
                continue;
            };
            let Some(port) = self.port(entry, &port_word) else {
                continue;
            };
            for ip in self.range(entry) {
                group
                    .targets
                    .push((Target::Address(ip, port), entry.file, entry.span()));
            }
        }
        if group.targets.is_empty() {
            self.warn_at(n, "an empty group: its virtual_server declares nothing");
        }
        self.groups.insert(name, group);
    }

    /// `IP` or `IP-LAST` (the keyword of the entry) as addresses.
    fn range(&mut self, entry: &Node) -> Vec<IpAddr> {
        let text = entry.keyword.text.clone();
        let span = entry.keyword.span.clone();
        let (first, last) = match text.rsplit_once('-') {
            Some((first, last)) => (first, Some(last)),
            None => (text.as_str(), None),
        };
        let Ok(ip) = first.parse::<IpAddr>() else {
            let message = format!("`{text}` is not an address or a range (10.0.0.1-10)");
            self.error(entry.file, &span, Some(&text), &message);
            return Vec::new();
        };
        let Some(last) = last else {
            return vec![ip];
        };
        match expand(ip, last) {
            Ok(ips) => ips,
            Err(message) => {
                self.error(entry.file, &span, Some(&text), &message);
                Vec::new()
            }
        }
    }
}

/// The addresses from `ip` to the one whose last part is `last`.
fn expand(ip: IpAddr, last: &str) -> Result<Vec<IpAddr>, String> {
    let (start, end) = match ip {
        IpAddr::V4(v4) => {
            let end: u32 = last
                .parse::<u8>()
                .map_err(|_| format!("`{last}`: the range's end must be 0..=255"))?
                .into();
            (u32::from(v4.octets()[3]), end)
        }
        IpAddr::V6(v6) => {
            let end = u16::from_str_radix(last, 16)
                .map_err(|_| format!("`{last}`: the range's end must be hexadecimal 0..=ffff"))?;
            (u32::from(v6.segments()[7]), u32::from(end))
        }
    };
    if end < start {
        return Err(format!("the range ends ({end}) before it starts ({start})"));
    }
    if end - start >= MAX_RANGE {
        return Err(format!("a range of more than {MAX_RANGE} addresses"));
    }
    Ok((start..=end)
        .map(|n| match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], n as u8))
            }
            IpAddr::V6(v6) => {
                let mut s = v6.segments();
                s[7] = n as u16;
                IpAddr::V6(Ipv6Addr::from(s))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let ip: IpAddr = IpAddr::from([192, 168, 200, 3]);
        let got = expand(ip, "10").unwrap_or_default();
        assert_eq!(got.len(), 8);
        assert_eq!(got[7], IpAddr::from([192, 168, 200, 10]));
        assert!(expand(ip, "2").is_err());
        assert!(expand(ip, "256").is_err());
        let v6: IpAddr = "2001:db8::a".parse().unwrap_or(ip);
        let got = expand(v6, "c").unwrap_or_default();
        assert_eq!(got.len(), 3);
    }
}
