// SPDX-License-Identifier: MIT OR Apache-2.0
//! A configuration written back as ipvsctl TOML (what `ipvsctl convert`
//! prints). Every value is explicit, so the file means the same under
//! TOML's defaults as it did under ldirectord's.

use std::fmt::Write;
use std::time::Duration;

use crate::model::{
    Check, CheckKind, Config, DnsCheck, Family, Hook, HttpCheck, LdapCheck, Login, MailCheck,
    MailTls, Netmask, RadiusCheck, Real, Receive, Secret, SendExpect, SipCheck, SqlCheck,
    VirtualKey, DEFAULT_HOOKS_MAX_RUNNING, DEFAULT_RESYNC,
};
use crate::words::{
    CheckType, CHECK_TYPE, DNS_PROTOCOL, DNS_RECORD, FORWARD, PROTOCOL, SIP_TRANSPORT, SYNC_STATE,
};

/// `[timeouts]` and `[kernel]`, when set.
fn kernel_tables(out: &mut String, config: &Config) {
    let t = &config.timeouts;
    let timeouts = [("tcp", t.tcp), ("tcpfin", t.tcp_fin), ("udp", t.udp)];
    if timeouts.iter().any(|(_, v)| v.is_some()) {
        out.push_str("\n[timeouts]\n");
        for (name, value) in timeouts {
            if let Some(v) = value {
                let _ = writeln!(out, "{name} = {}", v.as_secs());
            }
        }
    }
    let k = &config.kernel;
    let flags = [
        ("expire_nodest_conn", k.expire_nodest_conn),
        ("expire_quiescent_template", k.expire_quiescent_template),
        ("sloppy_tcp", k.sloppy_tcp),
        ("sloppy_sctp", k.sloppy_sctp),
    ];
    if flags.iter().any(|(_, v)| v.is_some()) || k.conn_reuse_mode.is_some() {
        out.push_str("\n[kernel]\n");
        for (name, value) in flags {
            if let Some(v) = value {
                let _ = writeln!(out, "{name} = {v}");
            }
        }
        if let Some(v) = k.conn_reuse_mode {
            let _ = writeln!(out, "conn_reuse_mode = {v}");
        }
    }
}

/// The configuration as TOML text, with a comment line on top.
pub fn to_toml(config: &Config, header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {header}");
    let max_running = config.hooks_max_running != DEFAULT_HOOKS_MAX_RUNNING;
    let resync = config.resync != Some(DEFAULT_RESYNC);
    if config.cleanstop || config.autoreload || max_running || resync {
        out.push_str("\n[defaults]\n");
        if config.cleanstop {
            out.push_str("cleanstop = true\n");
        }
        if config.autoreload {
            out.push_str("autoreload = true\n");
        }
        if max_running {
            let _ = writeln!(out, "hooks_max_running = {}", config.hooks_max_running);
        }
        if resync {
            match config.resync {
                Some(period) => {
                    let _ = writeln!(out, "resync = {}", period.as_secs_f64());
                }
                None => out.push_str("resync = \"off\"\n"),
            }
        }
    }
    if let Some(group) = &config.control.group {
        let _ = write!(out, "\n[control]\ngroup = {}\n", quote(group));
    }
    kernel_tables(&mut out, config);
    if let Some(sync) = &config.sync {
        let state = SYNC_STATE.name(sync.state);
        let _ = write!(
            out,
            "\n[sync]\nstate = \"{state}\"\nsyncid = {}\ninterface = {}\n",
            sync.syncid,
            quote(&sync.interface)
        );
        if let Some(v) = sync.maxlen {
            let _ = writeln!(out, "maxlen = {v}");
        }
        if let Some(v) = sync.group {
            let _ = writeln!(out, "group = \"{v}\"");
        }
        if let Some(v) = sync.port {
            let _ = writeln!(out, "port = {v}");
        }
        if let Some(v) = sync.ttl {
            let _ = writeln!(out, "ttl = {v}");
        }
    }
    if let Some(metrics) = &config.metrics {
        let _ = write!(out, "\n[metrics]\nlisten = \"{}\"\n", metrics.listen);
    }
    for h in &config.hooks {
        out.push_str("\n[[hook]]\n");
        hook(&mut out, h, "");
    }
    for v in &config.virtuals {
        out.push_str("\n[[virtual]]\n");
        if let Some(name) = &v.name {
            let _ = writeln!(out, "name = {}", quote(name));
        }
        match v.key {
            VirtualKey::Address { protocol, address } => {
                let protocol = PROTOCOL.name(protocol);
                let _ = writeln!(out, "address = \"{address}\"\nprotocol = \"{protocol}\"");
            }
            VirtualKey::Fwmark { family, mark } => {
                let _ = writeln!(out, "fwmark = {mark}");
                if family == Family::Ipv6 {
                    out.push_str("family = \"ipv6\"\n");
                }
            }
        }
        let _ = writeln!(out, "scheduler = {}", quote(&v.scheduler));
        let flags: Vec<String> = [
            (v.scheduler_flags.fallback, "fallback"),
            (v.scheduler_flags.port, "port"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, flag)| quote(&format!("{}-{flag}", v.scheduler)))
        .collect();
        if !flags.is_empty() {
            let _ = writeln!(out, "scheduler_flags = [{}]", flags.join(", "));
        }
        if let Some(p) = v.persistent {
            let _ = writeln!(out, "persistent = {p}");
        }
        match v.netmask {
            Some(Netmask::V4(mask)) => {
                let _ = writeln!(out, "netmask = \"{mask}\"");
            }
            Some(Netmask::V6(prefix)) => {
                let _ = writeln!(out, "netmask = {prefix}");
            }
            None => {}
        }
        let _ = writeln!(out, "quiescent = {}", v.quiescent);
        if let Some(dir) = &v.maintenance_dir {
            let _ = writeln!(out, "maintenance_dir = {}", quote(&dir.to_string_lossy()));
        }
        if let Some(fallback) = &v.fallback {
            let _ = writeln!(out, "fallback = {}", real_table(fallback));
        }
        let _ = writeln!(out, "check = {}", check(&v.check));
        for real in &v.reals {
            let _ = write!(
                out,
                "\n  [[virtual.real]]\n  address = \"{}\"\n  forward = \"{}\"\n  weight = {}\n",
                real.address,
                FORWARD.name(real.forward),
                real.weight
            );
        }
        for h in &v.hooks {
            out.push_str("\n  [[virtual.hook]]\n");
            hook(&mut out, h, "  ");
        }
    }
    out
}

/// A hook's keys, each line indented by `indent`.
fn hook(out: &mut String, h: &Hook, indent: &str) {
    let events = if h.events.is_empty() {
        "\"*\"".to_string()
    } else {
        let names: Vec<String> = h.events.iter().map(|e| quote(e.name())).collect();
        format!("[{}]", names.join(", "))
    };
    let command: Vec<String> = h.command.iter().map(|w| quote(w)).collect();
    let _ = write!(
        out,
        "{indent}events = {events}\n{indent}command = [{}]\n{indent}timeout = {}\n",
        command.join(", "),
        seconds(h.timeout)
    );
}

fn real_table(real: &Real) -> String {
    format!(
        "{{ address = \"{}\", forward = \"{}\", weight = {} }}",
        real.address,
        FORWARD.name(real.forward),
        real.weight
    )
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

fn check(c: &Check) -> String {
    let mut parts = Vec::new();
    let kind = CHECK_TYPE.name(CheckType::of(&c.kind));
    parts.push(format!("type = \"{kind}\""));
    if let Some(port) = c.port {
        parts.push(format!("port = {port}"));
    }
    parts.push(format!("interval = {}", seconds(c.interval)));
    parts.push(format!("timeout = {}", seconds(c.timeout)));
    parts.push(format!("rise = {}", c.rise));
    parts.push(format!("fall = {}", c.fall));
    match &c.kind {
        CheckKind::Http(h) | CheckKind::Https(h) => parts.extend(http(h)),
        CheckKind::External(command) => {
            let words: Vec<String> = command.iter().map(|w| quote(w)).collect();
            parts.push(format!("command = [{}]", words.join(", ")));
        }
        CheckKind::Tcp(s) | CheckKind::Udp(s) => parts.extend(send_expect(s)),
        CheckKind::Dns(d) => parts.extend(dns(d)),
        CheckKind::Smtp(m) | CheckKind::Pop(m) | CheckKind::Imap(m) => parts.extend(mail(m)),
        CheckKind::Nntp(login) => parts.extend(login.iter().flat_map(self::login)),
        CheckKind::Ftp(f) => {
            parts.extend(f.login.iter().flat_map(login));
            if let Some(fetch) = &f.fetch {
                parts.push(format!("request = {}", quote(&fetch.request)));
                parts.extend(fetch.receive.as_ref().map(received));
            }
        }
        CheckKind::Mysql(q) | CheckKind::Pgsql(q) => parts.extend(sql(q)),
        CheckKind::Ldap(l) | CheckKind::Ldaps(l) => parts.extend(ldap(l)),
        CheckKind::Radius(r) => parts.extend(radius(r)),
        CheckKind::Sip(s) => parts.extend(sip(s)),
        _ => {}
    }
    format!("{{ {} }}", parts.join(", "))
}

fn http(h: &HttpCheck) -> Vec<String> {
    let mut parts = vec![format!("request = {}", quote(&h.request))];
    match &h.receive {
        Some(Receive::Text(r)) => parts.push(format!("receive = {}", quote(r))),
        Some(Receive::Regex(p)) => parts.push(format!("receive_regex = {}", quote(p.as_str()))),
        None => {}
    }
    match h.status.as_ref().map(|s| (s.single(), s)) {
        Some((Some(code), _)) => parts.push(format!("status = {code}")),
        Some((None, s)) => parts.push(format!("status = \"{s}\"")),
        None => {}
    }
    if let Some(host) = &h.host {
        parts.push(format!("host = {}", quote(host)));
    }
    parts.push(format!("method = \"{}\"", h.method));
    if h.verify {
        parts.push("verify = true".into());
    }
    parts
}

fn mail(m: &MailCheck) -> Vec<String> {
    let mut parts: Vec<String> = m.login.iter().flat_map(login).collect();
    if m.tls == MailTls::StartTls {
        parts.push("starttls = true".into());
    }
    parts
}

fn login(l: &Login) -> Vec<String> {
    let mut parts = vec![format!("login = {}", quote(&l.user))];
    parts.extend(password(&l.password));
    parts
}

/// `password_file` when it came from one (never the text read from it),
/// else `password` when set.
fn password(p: &Secret) -> Option<String> {
    match p.file() {
        Some(file) => Some(format!(
            "password_file = {}",
            quote(&file.display().to_string())
        )),
        None if p.is_empty() => None,
        None => Some(format!("password = {}", quote(p.as_str()))),
    }
}

fn send_expect(s: &SendExpect) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(r) = &s.request {
        parts.push(format!("request = {}", quote(r)));
    }
    if let Some(r) = &s.receive {
        parts.push(received(r));
    }
    parts
}

fn sql(q: &SqlCheck) -> Vec<String> {
    let mut parts = vec![format!("login = {}", quote(&q.login))];
    parts.extend(password(&q.password));
    if let Some(d) = &q.database {
        parts.push(format!("database = {}", quote(d)));
    }
    parts.push(format!("request = {}", quote(&q.request)));
    parts
}

fn ldap(l: &LdapCheck) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(login) = &l.login {
        parts.push(format!("login = {}", quote(login)));
        parts.extend(password(&l.password));
    }
    if !l.request.is_empty() {
        parts.push(format!("request = {}", quote(&l.request)));
    }
    match &l.receive {
        Some(Receive::Text(r)) => parts.push(format!("receive = {}", quote(r))),
        Some(Receive::Regex(p)) => parts.push(format!("receive_regex = {}", quote(p.as_str()))),
        None => {}
    }
    parts
}

fn dns(d: &DnsCheck) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(q) = &d.query {
        let question = format!("{} {}", q.name, DNS_RECORD.name(q.record));
        parts.push(format!("request = {}", quote(&question)));
    }
    if let Some(r) = &d.receive {
        parts.push(received(r));
    }
    parts.push(format!("protocol = \"{}\"", DNS_PROTOCOL.name(d.protocol)));
    parts
}

/// `receive = "…"` or `receive_regex = "…"`.
fn received(r: &Receive) -> String {
    match r {
        Receive::Text(text) => format!("receive = {}", quote(text)),
        Receive::Regex(p) => format!("receive_regex = {}", quote(p.as_str())),
    }
}

fn radius(r: &RadiusCheck) -> Vec<String> {
    let mut parts = vec![format!("login = {}", quote(&r.login))];
    parts.extend(password(&r.password));
    parts.push(format!("secret = {}", quote(&r.secret)));
    parts
}

fn sip(s: &SipCheck) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(login) = &s.login {
        parts.push(format!("login = {}", quote(login)));
    }
    parts.push(format!(
        "protocol = \"{}\"",
        SIP_TRANSPORT.name(s.transport)
    ));
    parts
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
