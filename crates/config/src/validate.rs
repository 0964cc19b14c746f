// SPDX-License-Identifier: MIT OR Apache-2.0
//! The raw document to the checked [`Config`]: every key known, every value
//! in range, every default filled in. All problems of all files are found
//! in one pass; any error means no configuration at all.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::fields::{Checker, Fields};
use crate::model::{
    Check, CheckKind, Config, Family, Forward, HttpCheck, Netmask, Origin, Protocol, Real, Sync,
    SyncRole, Virtual, VirtualKey,
};
use crate::source::SourceFile;
use crate::tree::Table;

/// Schedulers the kernel ships (`ip_vs_<name>`).
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// Default time between checks.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// Default check timeout.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// Default scheduler.
pub const DEFAULT_SCHEDULER: &str = "wlc";

const TOP_KEYS: &[&str] = &["defaults", "sync", "virtual"];
const DEFAULTS_KEYS: &[&str] = &[
    "check_interval",
    "check_timeout",
    "check_rise",
    "check_fall",
    "quiescent",
    "fallback",
    "cleanstop",
    "check",
];
const SYNC_KEYS: &[&str] = &[
    "state",
    "syncid",
    "interface",
    "maxlen",
    "group",
    "port",
    "ttl",
];
const VIRTUAL_KEYS: &[&str] = &[
    "name",
    "address",
    "fwmark",
    "family",
    "protocol",
    "scheduler",
    "persistent",
    "netmask",
    "quiescent",
    "fallback",
    "check",
    "real",
];
const REAL_KEYS: &[&str] = &["address", "forward", "weight"];
const CHECK_KEYS: &[&str] = &[
    "type", "port", "interval", "timeout", "rise", "fall", "request", "receive", "status", "host",
    "method", "verify", "command",
];
const HTTP_ONLY: &[&str] = &["request", "receive", "status", "host", "method", "verify"];

/// One file's contribution, before files are put together.
struct FilePart {
    sync: Option<(Sync, Origin)>,
    cleanstop: Option<(bool, Origin)>,
    virtuals: Vec<Virtual>,
}

/// Checks every file's raw document and puts them together. `Ok` carries
/// the configuration and its warnings; `Err` every diagnostic, errors first.
pub fn validate(
    files: &[(SourceFile, Table)],
) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut parts = Vec::new();
    for (source, table) in files {
        let mut checker = Checker::new(source);
        let part = file(&mut checker, table);
        let mut found = checker.diagnostics;
        found.sort_by_key(|d| d.location);
        diagnostics.extend(found);
        parts.push((source, part));
    }
    let config = merge(parts, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.sort_by_key(|d| d.severity);
        Err(diagnostics)
    } else {
        Ok((config, diagnostics))
    }
}

/// Puts files together: one desired state, no virtual twice, one `[sync]`.
fn merge(parts: Vec<(&SourceFile, FilePart)>, diagnostics: &mut Vec<Diagnostic>) -> Config {
    let mut config = Config {
        sync: None,
        cleanstop: false,
        virtuals: Vec::new(),
    };
    let mut sync_origin: Option<Origin> = None;
    let mut cleanstop_origin: Option<Origin> = None;
    let mut seen: HashMap<VirtualKey, Origin> = HashMap::new();
    for (source, part) in parts {
        let at = |origin: &Origin| Diagnostic {
            severity: crate::diagnostic::Severity::Error,
            file: origin.file.clone(),
            location: origin.location,
            key: None,
            message: String::new(),
        };
        if let Some((sync, origin)) = part.sync {
            match &sync_origin {
                Some(first) => diagnostics.push(Diagnostic {
                    key: Some("sync".into()),
                    message: format!("a second [sync] (the first is at {})", place(first)),
                    ..at(&origin)
                }),
                None => {
                    config.sync = Some(sync);
                    sync_origin = Some(origin);
                }
            }
        }
        if let Some((cleanstop, origin)) = part.cleanstop {
            match &cleanstop_origin {
                Some(first) if cleanstop != config.cleanstop => diagnostics.push(Diagnostic {
                    key: Some("defaults.cleanstop".into()),
                    message: format!("differs from the cleanstop at {}", place(first)),
                    ..at(&origin)
                }),
                _ => {
                    config.cleanstop = cleanstop;
                    cleanstop_origin = Some(origin);
                }
            }
        }
        let _ = source;
        for virtual_ in part.virtuals {
            if let Some(first) = seen.get(&virtual_.key) {
                diagnostics.push(Diagnostic {
                    key: None,
                    message: format!(
                        "duplicate virtual {} (first declared at {})",
                        key_text(&virtual_.key),
                        place(first)
                    ),
                    ..at(&virtual_.origin)
                });
                continue;
            }
            seen.insert(virtual_.key, virtual_.origin.clone());
            config.virtuals.push(virtual_);
        }
    }
    // The kernel refuses a sync daemon while any destination is of another
    // family than its service (and such destinations while it syncs).
    if let (Some(sync_origin), true) = (&sync_origin, config.sync.is_some()) {
        for v in &config.virtuals {
            let mixed = v.reals.iter().chain(&v.fallback).find(|r| {
                let family = if r.address.is_ipv4() {
                    Family::Ipv4
                } else {
                    Family::Ipv6
                };
                family != v.key.family()
            });
            if let Some(real) = mixed {
                diagnostics.push(Diagnostic {
                    severity: crate::diagnostic::Severity::Error,
                    file: v.origin.file.clone(),
                    location: v.origin.location,
                    key: None,
                    message: format!(
                        "{} has a real of the other address family ({}), and [sync] is set at {}: \
                         the kernel's sync daemon does not work with mixed-family destinations",
                        key_text(&v.key),
                        real.address,
                        place(sync_origin)
                    ),
                });
            }
        }
    }
    config
}

fn place(origin: &Origin) -> String {
    format!("{}:{}", origin.file.display(), origin.location)
}

/// `tcp 192.168.0.3:80`, `fwmark 7`.
pub fn key_text(key: &VirtualKey) -> String {
    match key {
        VirtualKey::Address { protocol, address } => {
            let protocol = match protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Sctp => "sctp",
            };
            format!("{protocol} {address}")
        }
        VirtualKey::Fwmark {
            family: Family::Ipv4,
            mark,
        } => format!("fwmark {mark}"),
        VirtualKey::Fwmark {
            family: Family::Ipv6,
            mark,
        } => format!("fwmark {mark} ipv6"),
    }
}

/// Defaults of one file.
struct Defaults {
    interval: Duration,
    timeout: Duration,
    rise: u32,
    fall: u32,
    quiescent: bool,
    fallback: Option<(FallbackSpec, String)>,
    check: Option<Fields<'static>>,
}

/// A fallback before the virtual's port is known.
#[derive(Clone)]
struct FallbackSpec {
    ip: IpAddr,
    port: Option<u16>,
    forward: Forward,
    weight: u32,
}

fn file(checker: &mut Checker<'_>, table: &Table) -> FilePart {
    let top = Fields {
        table,
        path: String::new(),
        span: 0..0,
    };
    checker.only(&top, TOP_KEYS);
    let origin_of = |checker: &Checker<'_>, span: &std::ops::Range<usize>| Origin {
        file: checker.source.path().to_path_buf(),
        location: checker.source.location_of(span),
    };

    let mut defaults = Defaults {
        interval: DEFAULT_CHECK_INTERVAL,
        timeout: DEFAULT_CHECK_TIMEOUT,
        rise: 1,
        fall: 1,
        quiescent: false,
        fallback: None,
        check: None,
    };
    let mut cleanstop = None;
    let mut default_check_table = None;
    if let Some(d) = checker.table(&top, "defaults") {
        checker.only(&d, DEFAULTS_KEYS);
        if let Some(v) = seconds(checker, &d, "check_interval") {
            defaults.interval = v;
        }
        if let Some(v) = seconds(checker, &d, "check_timeout") {
            defaults.timeout = v;
        }
        if let Some(v) = count(checker, &d, "check_rise") {
            defaults.rise = v;
        }
        if let Some(v) = count(checker, &d, "check_fall") {
            defaults.fall = v;
        }
        if let Some((q, _)) = checker.boolean(&d, "quiescent") {
            defaults.quiescent = q;
        }
        if let Some((c, item)) = checker.boolean(&d, "cleanstop") {
            cleanstop = Some((c, origin_of(checker, &item.span)));
        }
        defaults.fallback = fallback(checker, &d).map(|f| (f, d.key("fallback")));
        default_check_table = checker.table(&d, "check");
    }

    let sync = checker.table(&top, "sync").and_then(|s| {
        let origin = origin_of(checker, &s.span);
        sync(checker, &s).map(|sync| (sync, origin))
    });

    let mut virtuals = Vec::new();
    for v in checker.tables(&top, "virtual") {
        if let Some(virtual_) = virtual_(checker, &v, &defaults, default_check_table.as_ref()) {
            virtuals.push(virtual_);
        }
    }
    let _ = defaults.check.take();
    FilePart {
        sync,
        cleanstop,
        virtuals,
    }
}

fn seconds(checker: &mut Checker<'_>, fields: &Fields<'_>, name: &str) -> Option<Duration> {
    let (value, item) = checker.number(fields, name)?;
    if !(value > 0.0 && value.is_finite() && value <= 86_400.0) {
        checker.error(
            &item.span,
            Some(fields.key(name)),
            format!("must be more than 0 and at most 86400 seconds, found {value}"),
        );
        return None;
    }
    Some(Duration::from_secs_f64(value))
}

fn count(checker: &mut Checker<'_>, fields: &Fields<'_>, name: &str) -> Option<u32> {
    let (value, item) = checker.integer(fields, name)?;
    match u32::try_from(value) {
        Ok(n) if (1..=1000).contains(&n) => Some(n),
        _ => {
            checker.error(
                &item.span,
                Some(fields.key(name)),
                format!("{value} is out of range 1..=1000"),
            );
            None
        }
    }
}

fn ranged<T: TryFrom<i64>>(
    checker: &mut Checker<'_>,
    fields: &Fields<'_>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<T> {
    let (value, item) = checker.integer(fields, name)?;
    if !range.contains(&value) {
        checker.error(
            &item.span,
            Some(fields.key(name)),
            format!(
                "{value} is out of range {}..={}",
                range.start(),
                range.end()
            ),
        );
        return None;
    }
    T::try_from(value).ok()
}

fn sync(checker: &mut Checker<'_>, s: &Fields<'_>) -> Option<Sync> {
    checker.only(s, SYNC_KEYS);
    let state = match checker.string(s, "state") {
        Some(("master", _)) => Some(SyncRole::Master),
        Some(("backup", _)) => Some(SyncRole::Backup),
        Some(("both", _)) => Some(SyncRole::Both),
        Some((other, item)) => {
            checker.error(
                &item.span,
                Some(s.key("state")),
                format!("`{other}` is not a sync state (master, backup or both)"),
            );
            None
        }
        None => {
            checker.error(
                &s.span,
                Some(s.key("state")),
                "missing: master, backup or both",
            );
            None
        }
    };
    let syncid: Option<u8> = match s.table.get("syncid") {
        Some(_) => ranged(checker, s, "syncid", 0..=255),
        None => {
            checker.error(&s.span, Some(s.key("syncid")), "missing: 1-255");
            None
        }
    };
    if let (Some(0), Some(item)) = (syncid, s.table.get("syncid")) {
        checker.warning(
            &item.span,
            Some(s.key("syncid")),
            "syncid 0: a backup accepts sync messages of any master",
        );
    }
    let interface = match checker.string(s, "interface") {
        Some((name, item)) if name.is_empty() || name.len() > 15 || name.contains(['/', ' ']) => {
            checker.error(
                &item.span,
                Some(s.key("interface")),
                format!("`{name}` is not an interface name"),
            );
            None
        }
        Some((name, _)) => Some(name.to_string()),
        None => {
            checker.error(
                &s.span,
                Some(s.key("interface")),
                "missing: the interface that carries sync traffic",
            );
            None
        }
    };
    let maxlen = s
        .table
        .get("maxlen")
        .and_then(|_| ranged(checker, s, "maxlen", 1..=65535));
    let port = s
        .table
        .get("port")
        .and_then(|_| ranged(checker, s, "port", 1..=65535));
    let ttl = s
        .table
        .get("ttl")
        .and_then(|_| ranged(checker, s, "ttl", 1..=255));
    let group = match checker.string(s, "group") {
        Some((text, item)) => match text.parse::<IpAddr>() {
            Ok(ip) if ip.is_multicast() => Some(ip),
            Ok(_) => {
                checker.error(
                    &item.span,
                    Some(s.key("group")),
                    format!("{text} is not a multicast address"),
                );
                None
            }
            Err(_) => {
                checker.error(
                    &item.span,
                    Some(s.key("group")),
                    format!("`{text}` is not an address"),
                );
                None
            }
        },
        None => None,
    };
    Some(Sync {
        state: state?,
        syncid: syncid?,
        interface: interface?,
        maxlen,
        group,
        port,
        ttl,
    })
}

/// Parses `a.b.c.d:port`, `[v6]:port`, `a.b.c.d` or a bare IPv6 address.
fn parse_endpoint(text: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some((address.ip(), Some(address.port())));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some((ip, None));
    }
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'))?;
    inner
        .parse::<std::net::Ipv6Addr>()
        .ok()
        .map(|ip| (IpAddr::V6(ip), None))
}

fn forward(checker: &mut Checker<'_>, fields: &Fields<'_>) -> Option<Forward> {
    match checker.string(fields, "forward") {
        None => Some(Forward::Gate),
        Some(("gate" | "dr", _)) => Some(Forward::Gate),
        Some(("masq" | "nat", _)) => Some(Forward::Masq),
        Some(("ipip" | "tun", _)) => Some(Forward::Ipip),
        Some((other, item)) => {
            checker.error(
                &item.span,
                Some(fields.key("forward")),
                format!(
                    "`{other}` is not a forwarding method (gate, masq or ipip; also dr, nat, tun)"
                ),
            );
            None
        }
    }
}

fn weight(checker: &mut Checker<'_>, fields: &Fields<'_>) -> Option<u32> {
    match fields.table.get("weight") {
        None => Some(1),
        Some(_) => ranged(checker, fields, "weight", 0..=65535),
    }
}

/// `fallback = "ip:port"` or `fallback = { address, forward, weight }`.
fn fallback(checker: &mut Checker<'_>, parent: &Fields<'_>) -> Option<FallbackSpec> {
    let item = parent.table.get("fallback")?;
    let (address_item, forward_, weight_, path) = match &item.value {
        crate::tree::Value::String(_) => {
            (item, Some(Forward::Gate), Some(1), parent.key("fallback"))
        }
        crate::tree::Value::Table(_) => {
            let f = checker.table(parent, "fallback")?;
            checker.only(&f, REAL_KEYS);
            let forward_ = forward(checker, &f);
            let weight_ = weight(checker, &f);
            let Some(address_item) = f.table.get("address") else {
                checker.error(&f.span, Some(f.key("address")), "missing");
                return None;
            };
            (address_item, forward_, weight_, f.key("address"))
        }
        other => {
            checker.error(
                &item.span,
                Some(parent.key("fallback")),
                format!("expected \"ip:port\" or a table, found {}", other.kind()),
            );
            return None;
        }
    };
    let crate::tree::Value::String(text) = &address_item.value else {
        checker.error(&address_item.span, Some(path), "expected a string");
        return None;
    };
    let Some((ip, port)) = parse_endpoint(text) else {
        checker.error(
            &address_item.span,
            Some(path),
            format!("`{text}` is not an address"),
        );
        return None;
    };
    Some(FallbackSpec {
        ip,
        port,
        forward: forward_?,
        weight: weight_?,
    })
}

fn virtual_(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    defaults: &Defaults,
    default_check: Option<&Fields<'_>>,
) -> Option<Virtual> {
    checker.only(v, VIRTUAL_KEYS);
    let origin = Origin {
        file: checker.source.path().to_path_buf(),
        location: checker.source.location_of(&v.span),
    };
    let name = checker.string(v, "name").map(|(n, _)| n.to_string());
    let key = virtual_key(checker, v);
    let scheduler = match checker.string(v, "scheduler") {
        None => Some(DEFAULT_SCHEDULER.to_string()),
        Some((s, _)) if SCHEDULERS.contains(&s) => Some(s.to_string()),
        Some((s, item)) => {
            checker.error(
                &item.span,
                Some(v.key("scheduler")),
                format!("unknown scheduler `{s}` (one of {})", SCHEDULERS.join(" ")),
            );
            None
        }
    };
    let persistent = v
        .table
        .get("persistent")
        .and_then(|_| ranged(checker, v, "persistent", 1..=31_536_000));
    let quiescent = checker
        .boolean(v, "quiescent")
        .map_or(defaults.quiescent, |(q, _)| q);
    let netmask = key
        .as_ref()
        .and_then(|key| netmask(checker, v, key.family()));
    if let (Some(item), None) = (v.table.get("netmask"), v.table.get("persistent")) {
        checker.warning(
            &item.span,
            Some(v.key("netmask")),
            "has no effect without `persistent`",
        );
    }
    let check = check(checker, v, defaults, default_check);
    let fallback_spec = match v.table.get("fallback") {
        Some(_) => fallback(checker, v).map(|f| (f, v.key("fallback"))),
        None => defaults.fallback.clone(),
    };

    // Reals are checked even when the key is bad, so every error shows.
    let default_port = match key {
        Some(VirtualKey::Address { address, .. }) => address.port(),
        Some(VirtualKey::Fwmark { .. }) | None => 0,
    };
    let fallback = fallback_spec.and_then(|(f, path)| {
        let real = Real {
            address: SocketAddr::new(f.ip, f.port.unwrap_or(default_port)),
            forward: f.forward,
            weight: f.weight,
        };
        family_fits(checker, &v.span, &path, key.as_ref(), &real).then_some(real)
    });

    let mut reals: Vec<Real> = Vec::new();
    let mut seen: HashMap<SocketAddr, usize> = HashMap::new();
    for r in checker.tables(v, "real") {
        checker.only(&r, REAL_KEYS);
        let forward_ = forward(checker, &r);
        let weight_ = weight(checker, &r);
        let address = match checker.string(&r, "address") {
            Some((text, item)) => match parse_endpoint(text) {
                Some((ip, port)) => Some((SocketAddr::new(ip, port.unwrap_or(default_port)), item)),
                None => {
                    checker.error(
                        &item.span,
                        Some(r.key("address")),
                        format!("`{text}` is not an address: expected a.b.c.d, a.b.c.d:port or [v6]:port"),
                    );
                    None
                }
            },
            None => {
                if r.table.get("address").is_none() {
                    checker.error(&r.span, Some(r.key("address")), "missing");
                }
                None
            }
        };
        // Duplicates are found even when other keys of the real are bad.
        if let Some((address, item)) = &address {
            let line = checker.source.location_of(&item.span).line;
            if let Some(first) = seen.insert(*address, line) {
                checker.error(
                    &item.span,
                    Some(r.key("address")),
                    format!("duplicate real {address} in this virtual (first at line {first})"),
                );
                continue;
            }
        }
        let (Some((address, item)), Some(forward_), Some(weight_)) = (address, forward_, weight_)
        else {
            continue;
        };
        let real = Real {
            address,
            forward: forward_,
            weight: weight_,
        };
        if !family_fits(checker, &item.span, &r.key("address"), key.as_ref(), &real) {
            continue;
        }
        reals.push(real);
    }
    // A real without a port (fwmark) cannot be probed on port 0.
    if let Some(c) = &check {
        let probes_a_port = matches!(
            c.kind,
            CheckKind::Connect | CheckKind::Http(_) | CheckKind::Https(_)
        );
        if probes_a_port && c.port.is_none() && reals.iter().any(|r| r.address.port() == 0) {
            let span = v
                .table
                .get("check")
                .map_or(v.span.clone(), |i| i.span.clone());
            checker.error(
                &span,
                Some(v.key("check.port")),
                "missing: the reals of this virtual have no port, so the check needs one",
            );
        }
    }
    Some(Virtual {
        name,
        key: key?,
        scheduler: scheduler?,
        persistent,
        netmask: netmask.flatten(),
        quiescent,
        fallback,
        check: check?,
        reals,
        origin,
    })
}

/// Mixed families only with tunnel forwarding, as the kernel requires.
fn family_fits(
    checker: &mut Checker<'_>,
    span: &std::ops::Range<usize>,
    path: &str,
    key: Option<&VirtualKey>,
    real: &Real,
) -> bool {
    let real_family = if real.address.is_ipv4() {
        Family::Ipv4
    } else {
        Family::Ipv6
    };
    let Some(key) = key else {
        return true;
    };
    if real_family == key.family() || real.forward == Forward::Ipip {
        return true;
    }
    let name = |f: Family| if f == Family::Ipv4 { "IPv4" } else { "IPv6" };
    checker.error(
        span,
        Some(path.to_string()),
        format!(
            "{} is {} but the virtual is {}: only ipip forwarding can mix families",
            real.address,
            name(real_family),
            name(key.family())
        ),
    );
    false
}

fn virtual_key(checker: &mut Checker<'_>, v: &Fields<'_>) -> Option<VirtualKey> {
    let address = checker.string(v, "address");
    let fwmark = v.table.get("fwmark");
    let protocol = checker.string(v, "protocol");
    let family = checker.string(v, "family");
    match (address, fwmark) {
        (Some(_), Some(item)) => {
            checker.error(
                &item.span,
                Some(v.key("fwmark")),
                "a virtual has `address` or `fwmark`, not both",
            );
            None
        }
        (None, None) => {
            if v.table.get("address").is_none() {
                checker.error(
                    &v.span,
                    Some(v.key("address")),
                    "missing: `address = \"ip:port\"` or `fwmark = N`",
                );
            }
            None
        }
        (Some((text, item)), None) => {
            if let Some((_, f)) = family {
                checker.error(
                    &f.span,
                    Some(v.key("family")),
                    "only for fwmark virtuals: an address says its family",
                );
            }
            let protocol = match protocol {
                None | Some(("tcp", _)) => Some(Protocol::Tcp),
                Some(("udp", _)) => Some(Protocol::Udp),
                Some(("sctp", _)) => Some(Protocol::Sctp),
                Some((other, p)) => {
                    checker.error(
                        &p.span,
                        Some(v.key("protocol")),
                        format!("`{other}` is not a protocol (tcp, udp or sctp)"),
                    );
                    None
                }
            };
            let address = match parse_endpoint(text) {
                Some((ip, Some(port))) => Some(SocketAddr::new(ip, port)),
                Some((_, None)) => {
                    checker.error(
                        &item.span,
                        Some(v.key("address")),
                        format!("`{text}` has no port: write a.b.c.d:port or [v6]:port"),
                    );
                    None
                }
                None => {
                    checker.error(
                        &item.span,
                        Some(v.key("address")),
                        format!("`{text}` is not an address: expected a.b.c.d:port or [v6]:port"),
                    );
                    None
                }
            };
            Some(VirtualKey::Address {
                protocol: protocol?,
                address: address?,
            })
        }
        (None, Some(_)) => {
            if let Some((_, p)) = protocol {
                checker.error(
                    &p.span,
                    Some(v.key("protocol")),
                    "a fwmark virtual has no protocol: the mark selects the packets",
                );
            }
            let mark: Option<u32> = ranged(checker, v, "fwmark", 1..=i64::from(u32::MAX));
            let family = match family {
                None | Some(("ipv4", _)) => Some(Family::Ipv4),
                Some(("ipv6", _)) => Some(Family::Ipv6),
                Some((other, f)) => {
                    checker.error(
                        &f.span,
                        Some(v.key("family")),
                        format!("`{other}` is not a family (ipv4 or ipv6)"),
                    );
                    None
                }
            };
            Some(VirtualKey::Fwmark {
                family: family?,
                mark: mark?,
            })
        }
    }
}

fn netmask(checker: &mut Checker<'_>, v: &Fields<'_>, family: Family) -> Option<Option<Netmask>> {
    let Some(item) = v.table.get("netmask") else {
        return Some(None);
    };
    let path = Some(v.key("netmask"));
    match (family, &item.value) {
        (Family::Ipv4, crate::tree::Value::String(text)) => match text.parse::<Ipv4Addr>() {
            Ok(mask) => Some(Some(Netmask::V4(mask))),
            Err(_) => {
                checker.error(
                    &item.span,
                    path,
                    format!("`{text}` is not an IPv4 netmask (like 255.255.255.0)"),
                );
                None
            }
        },
        (Family::Ipv6, crate::tree::Value::Integer(n)) if (1..=128).contains(n) => {
            Some(Some(Netmask::V6(*n as u8)))
        }
        (Family::Ipv6, crate::tree::Value::String(text)) => {
            match text.trim_start_matches('/').parse::<u8>() {
                Ok(n) if (1..=128).contains(&n) => Some(Some(Netmask::V6(n))),
                _ => {
                    checker.error(
                        &item.span,
                        path,
                        format!("`{text}` is not an IPv6 prefix length (1-128)"),
                    );
                    None
                }
            }
        }
        (Family::Ipv4, _) => {
            checker.error(
                &item.span,
                path,
                "expected an IPv4 netmask string like \"255.255.255.0\"",
            );
            None
        }
        (Family::Ipv6, _) => {
            checker.error(&item.span, path, "expected an IPv6 prefix length 1-128");
            None
        }
    }
}

fn check(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    defaults: &Defaults,
    default_check: Option<&Fields<'_>>,
) -> Option<Check> {
    let own = if v.table.get("check").is_some() {
        Some(checker.table(v, "check")?)
    } else {
        None
    };
    let Some(c) = own.as_ref().or(default_check) else {
        return Some(Check {
            kind: CheckKind::Connect,
            port: None,
            interval: defaults.interval,
            timeout: defaults.timeout,
            rise: defaults.rise,
            fall: defaults.fall,
        });
    };
    // A default check shared by many virtuals is reported once, at its own
    // place, by the first virtual that uses it.
    checker.only(c, CHECK_KEYS);
    let kind_name = match checker.string(c, "type") {
        Some((t, item)) => match t {
            "connect" | "http" | "https" | "external" | "none" | "off" => Some(t),
            other => {
                checker.error(
                    &item.span,
                    Some(c.key("type")),
                    format!("unknown check type `{other}` (connect, http, https, external, none or off)"),
                );
                None
            }
        },
        None => Some("connect"),
    };
    let is_http = matches!(kind_name, Some("http" | "https"));
    if kind_name.is_some() && !is_http {
        for key in HTTP_ONLY {
            if let Some(item) = c.table.get(key) {
                checker.error(
                    &item.span,
                    Some(c.key(key)),
                    "only for http and https checks",
                );
            }
        }
    }
    if kind_name.is_some() && kind_name != Some("external") {
        if let Some(item) = c.table.get("command") {
            checker.error(
                &item.span,
                Some(c.key("command")),
                "only for external checks",
            );
        }
    }
    let port = c
        .table
        .get("port")
        .and_then(|_| ranged(checker, c, "port", 1..=65535));
    let interval = if c.table.get("interval").is_some() {
        seconds(checker, c, "interval")
    } else {
        Some(defaults.interval)
    };
    let timeout = if c.table.get("timeout").is_some() {
        seconds(checker, c, "timeout")
    } else {
        Some(defaults.timeout)
    };
    let rise = if c.table.get("rise").is_some() {
        count(checker, c, "rise")
    } else {
        Some(defaults.rise)
    };
    let fall = if c.table.get("fall").is_some() {
        count(checker, c, "fall")
    } else {
        Some(defaults.fall)
    };
    let kind = match kind_name? {
        "connect" => CheckKind::Connect,
        "none" => CheckKind::None,
        "off" => CheckKind::Off,
        "external" => CheckKind::External(command(checker, c)?),
        http => {
            let settings = http_check(checker, c)?;
            if http == "http" {
                CheckKind::Http(settings)
            } else {
                CheckKind::Https(settings)
            }
        }
    };
    Some(Check {
        kind,
        port,
        interval: interval?,
        timeout: timeout?,
        rise: rise?,
        fall: fall?,
    })
}

fn command(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<Vec<String>> {
    let Some(item) = c.table.get("command") else {
        checker.error(
            &c.span,
            Some(c.key("command")),
            "missing: [\"/path/prog\", \"{ip}\", \"{port}\"]",
        );
        return None;
    };
    let crate::tree::Value::Array(words) = &item.value else {
        checker.error(
            &item.span,
            Some(c.key("command")),
            "expected an array of strings: [\"/path/prog\", \"{ip}\"]",
        );
        return None;
    };
    let mut command = Vec::new();
    for word in words {
        match &word.value {
            crate::tree::Value::String(s) => command.push(s.clone()),
            other => {
                checker.error(
                    &word.span,
                    Some(c.key("command")),
                    format!("expected a string, found {}", other.kind()),
                );
                return None;
            }
        }
    }
    if command.first().is_none_or(|p| !p.starts_with('/')) {
        checker.error(
            &item.span,
            Some(c.key("command")),
            "the program must be an absolute path (it runs without a shell)",
        );
        return None;
    }
    Some(command)
}

fn http_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<HttpCheck> {
    let request = match checker.string(c, "request") {
        Some((r, _)) if r.starts_with('/') => r.to_string(),
        Some((r, _)) => format!("/{r}"),
        None => "/".to_string(),
    };
    let receive = checker.string(c, "receive").map(|(r, _)| r.to_string());
    let status = c
        .table
        .get("status")
        .and_then(|_| ranged(checker, c, "status", 100..=599));
    let host = checker.string(c, "host").map(|(h, _)| h.to_string());
    let method = match checker.string(c, "method") {
        None => Some("GET".to_string()),
        Some((m, _)) if m.eq_ignore_ascii_case("get") => Some("GET".to_string()),
        Some((m, _)) if m.eq_ignore_ascii_case("head") => Some("HEAD".to_string()),
        Some((m, item)) => {
            checker.error(
                &item.span,
                Some(c.key("method")),
                format!("`{m}` is not GET or HEAD"),
            );
            None
        }
    };
    let verify = checker.boolean(c, "verify").is_some_and(|(v, _)| v);
    Some(HttpCheck {
        request,
        receive,
        status,
        host,
        method: method?,
        verify,
    })
}
