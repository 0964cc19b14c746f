// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `check` of a virtual read from ldirectord's `checktype`, `service`
//! and their settings: which ipvsctl check each becomes, with ldirectord's
//! timeouts and defaults made explicit, and a warning for each setting
//! ldirectord would read and ipvsctl cannot use.

use crate::tree::{Item, Table, Value};
use crate::words::{CheckType as TomlCheck, CHECK_TYPE};

use super::address::Target;
use super::emit::{put, put_at, string};
use super::spec::{CheckType, VirtualSpec};
use super::{services, Reader};

impl Reader<'_> {
    /// The virtual's `check`: its type from `checktype` and `service`
    /// (or the port's service), its timing, and the settings of that type.
    pub(super) fn check(&mut self, v: &VirtualSpec, target: Target) -> Table {
        let udp = match target {
            Target::Address { dns, .. } => v.protocol.as_ref().map_or(dns, |p| p.value == "udp"),
            Target::Fwmark(_) => false,
        };
        let (service, service_origin) = match (&v.service, target) {
            (Some(s), _) => (s.value.as_str(), None),
            (None, Target::Fwmark(_)) => ("none", Some("a firewall-mark virtual".to_string())),
            (None, Target::Address { port, .. }) => (
                services::service_of_port(port),
                Some(format!("port {port}")),
            ),
        };
        let checktype = v
            .checktype
            .as_ref()
            .map_or(CheckType::Negotiate, |c| c.value);
        // Where the check comes from: its checktype, else its service, else
        // the virtual line.
        let (type_key, type_span) = match (&v.checktype, &v.service) {
            (Some(c), _) => (c.key.clone(), c.span.clone()),
            (None, Some(s)) => (s.key.clone(), s.span.clone()),
            (None, None) => (v.key.clone(), v.line.clone()),
        };
        let service_place = v
            .service
            .as_ref()
            .map_or(type_span.clone(), |s| s.span.clone());
        let negotiate = matches!(checktype, CheckType::Negotiate | CheckType::Combined(_));
        if let CheckType::Combined(n) = checktype {
            let message = format!(
                "checktype = {n}: ldirectord alternates {n} connect checks with a negotiate \
                 check; ipvsctl runs the negotiate check every time"
            );
            self.warning(&type_span, Some("checktype"), message);
        }
        let kind = match checktype {
            CheckType::Off => TomlCheck::Off,
            CheckType::On => TomlCheck::None,
            CheckType::External => TomlCheck::External,
            CheckType::Ping => TomlCheck::Ping,
            // On a UDP virtual ldirectord's connect check is an ICMP ping.
            CheckType::Connect if udp => TomlCheck::Ping,
            CheckType::Connect => TomlCheck::Connect,
            CheckType::Negotiate | CheckType::Combined(_) => match service {
                "http" => TomlCheck::Http,
                "https" => TomlCheck::Https,
                "dns" => TomlCheck::Dns,
                "simpletcp" if udp => TomlCheck::Udp,
                "simpletcp" => TomlCheck::Tcp,
                "mysql" | "pgsql" if v.login.is_none() || v.request.is_none() => {
                    let from = match &service_origin {
                        Some(origin) => format!(" (ldirectord's default for {origin})"),
                        None => String::new(),
                    };
                    let message = format!(
                        "negotiate check for service {service}{from} needs login and request \
                         (ldirectord counts every real server as down without them); using a \
                         TCP connect check"
                    );
                    self.warning(&service_place, Some("service"), message);
                    TomlCheck::Connect
                }
                "mysql" => TomlCheck::Mysql,
                "pgsql" => TomlCheck::Pgsql,
                "ldap" => TomlCheck::Ldap,
                "ldaps" => TomlCheck::Ldaps,
                "smtp" | "submission" => TomlCheck::Smtp,
                "pop" => TomlCheck::Pop,
                "pops" => TomlCheck::Pops,
                "imap" => TomlCheck::Imap,
                "imaps" => TomlCheck::Imaps,
                "nntp" => TomlCheck::Nntp,
                "ftp" => TomlCheck::Ftp,
                "radius" if v.login.is_none() || v.secret.is_none() => {
                    let using = if udp {
                        TomlCheck::Ping
                    } else {
                        TomlCheck::Connect
                    };
                    let message = format!(
                        "negotiate check for service radius needs login and secret \
                         (ldirectord counts every real server as down without them); using a \
                         {} check",
                        CHECK_TYPE.name(using)
                    );
                    self.warning(&service_place, Some("service"), message);
                    using
                }
                "radius" => TomlCheck::Radius,
                "sip" => TomlCheck::Sip,
                "none" => {
                    if v.checktype.is_none() && v.service.is_none() {
                        let message = format!(
                            "no health check: ldirectord's default negotiate check has no test \
                             for {}, so every real server counts as up; write checktype = \
                             connect for a connection check",
                            service_origin.as_deref().unwrap_or("this virtual")
                        );
                        self.warning(&v.key, None, message);
                    }
                    TomlCheck::None
                }
                other => {
                    let from = match &service_origin {
                        Some(origin) => format!(" (ldirectord's default for {origin})"),
                        None => String::new(),
                    };
                    let using = if udp {
                        "a connect check"
                    } else {
                        "a TCP connect check"
                    };
                    let message = format!(
                        "negotiate check for service {other}{from} is not supported by \
                         ipvsctl; using {using}"
                    );
                    self.warning(&service_place, Some("service"), message);
                    TomlCheck::Connect
                }
            },
        };
        let mut t = Table::default();
        let kind_name = CHECK_TYPE.name(kind);
        put(&mut t, "type", &type_key, &type_span, string(kind_name));
        self.unused_login(v, kind);
        if matches!(kind, TomlCheck::None | TomlCheck::Off) {
            self.unused_sql_settings(v, &[]);
            return t;
        }
        if matches!(
            kind,
            TomlCheck::Http
                | TomlCheck::Https
                | TomlCheck::Connect
                | TomlCheck::Tcp
                | TomlCheck::Udp
                | TomlCheck::Dns
                | TomlCheck::Mysql
                | TomlCheck::Pgsql
                | TomlCheck::Ldap
                | TomlCheck::Ldaps
                | TomlCheck::Radius
                | TomlCheck::Sip
        ) || is_mail(kind)
        {
            if let Some(port) = &v.checkport {
                put_at(&mut t, "port", port, Value::Integer(port.value));
            } else if matches!(target, Target::Fwmark(_))
                && v.reals.iter().any(|r| r.line.port.is_none())
            {
                if let Some(port) = services::port_of_service(service) {
                    put(
                        &mut t,
                        "port",
                        &type_key,
                        &service_place,
                        Value::Integer(port.into()),
                    );
                }
            }
        }
        if let Some(interval) = &v.common.checkinterval {
            if self.globals.fork.as_ref().is_some_and(|f| f.value) {
                put_at(&mut t, "interval", interval, Value::Integer(interval.value));
            } else {
                self.warning(
                    &interval.key,
                    None,
                    "ignored: checkinterval in a virtual counts only with fork = yes, as in \
                     ldirectord",
                );
            }
        }
        let (timeout, key, span) = self.timeout(v, negotiate);
        put(&mut t, "timeout", &key, &span, Value::Integer(timeout));
        if let Some(fall) = &v.common.failurecount {
            put_at(&mut t, "fall", fall, Value::Integer(fall.value));
        }
        match kind {
            TomlCheck::Http | TomlCheck::Https => {
                // ldirectord matches receive as a (Perl) regular expression.
                for (name, at) in [
                    ("request", &v.request),
                    ("receive_regex", &v.receive),
                    ("host", &v.virtualhost),
                    ("method", &v.httpmethod),
                ] {
                    if let Some(at) = at {
                        put_at(&mut t, name, at, string(&at.value));
                    }
                }
            }
            TomlCheck::External => {
                let (program, key, span) = match &v.checkcommand {
                    Some(c) => (c.value.as_str(), c.key.clone(), c.span.clone()),
                    None => {
                        self.warning(
                            &type_span,
                            Some("checktype"),
                            "no checkcommand: ldirectord runs /bin/true, so every real server \
                             counts as up",
                        );
                        ("/bin/true", type_key.clone(), type_span.clone())
                    }
                };
                let words = [program, "{vip}", "{vport}", "{ip}", "{port}"]
                    .iter()
                    .map(|w| Item::new(span.clone(), string(w)))
                    .collect();
                put(&mut t, "command", &key, &span, Value::Array(words));
            }
            TomlCheck::Tcp | TomlCheck::Udp | TomlCheck::Dns => {
                self.sent_and_received(v, kind, &mut t);
            }
            TomlCheck::Mysql | TomlCheck::Pgsql => sql_settings(&mut t, v),
            TomlCheck::Ldap | TomlCheck::Ldaps => self.ldap_settings(&mut t, v),
            TomlCheck::Pop | TomlCheck::Pops | TomlCheck::Imap | TomlCheck::Imaps => {
                login(&mut t, v, false);
            }
            TomlCheck::Ftp => {
                login(&mut t, v, true);
                if let Some(receive) = &v.receive {
                    if v.request.is_none() {
                        self.warning(
                            &receive.span,
                            Some("receive"),
                            "ignored: without a request ldirectord's ftp check retrieves \
                             nothing to look in; ipvsctl checks the login only",
                        );
                    }
                }
                if let Some(request) = &v.request {
                    put_at(&mut t, "request", request, string(&request.value));
                    // ldirectord matches receive as a (Perl) regular expression.
                    if let Some(receive) = &v.receive {
                        put_at(&mut t, "receive_regex", receive, string(&receive.value));
                    }
                }
            }
            TomlCheck::Radius => radius_settings(&mut t, v),
            TomlCheck::Sip => sip_settings(&mut t, v, udp),
            _ => {}
        }
        let used: &[&str] = match kind {
            TomlCheck::Mysql | TomlCheck::Pgsql => &["login", "passwd", "database"],
            // (ldap and the line-protocol checks warn about their own)
            TomlCheck::Ldap | TomlCheck::Ldaps => &["login", "passwd", "database"],
            k if is_mail(k) => &["login", "passwd", "database"],
            TomlCheck::Radius => &["login", "passwd", "secret"],
            TomlCheck::Sip => &["login"],
            _ => &[],
        };
        self.unused_sql_settings(v, used);
        t
    }

    /// An LDAP check's `login` and `password` (only both: ldirectord binds
    /// anonymously otherwise), `request` (the DN searched: ldirectord drops
    /// its first character, the `/` the reader adds) and `receive` (a
    /// regular expression in ldirectord).
    fn ldap_settings(&mut self, t: &mut Table, v: &VirtualSpec) {
        match (&v.login, &v.passwd) {
            (Some(login), Some(passwd)) => {
                put_at(t, "login", login, string(&login.value));
                put_at(t, "password", passwd, string(&passwd.value));
            }
            (Some(at), None) | (None, Some(at)) => self.warning(
                &at.key,
                None,
                "ignored: ldirectord binds with login and passwd only when both are set, and \
                 anonymously otherwise",
            ),
            (None, None) => {}
        }
        if let Some(database) = &v.database {
            self.warning(
                &database.key,
                None,
                "ignored: database (only ldirectord's service-specific negotiate checks use it)",
            );
        }
        if let Some(request) = &v.request {
            let dn = request.value.strip_prefix('/').unwrap_or(&request.value);
            put_at(t, "request", request, string(dn));
        }
        // ldirectord matches receive as a (Perl) regular expression.
        if let Some(receive) = &v.receive {
            put_at(t, "receive_regex", receive, string(&receive.value));
        }
    }

    /// `login`, `passwd`, `database` and `secret` on a check that does not
    /// use them (`used`: those it uses, or warns about itself).
    fn unused_sql_settings(&mut self, v: &VirtualSpec, used: &[&str]) {
        for (name, at) in [
            ("login", &v.login),
            ("passwd", &v.passwd),
            ("database", &v.database),
            ("secret", &v.secret),
        ] {
            if used.contains(&name) {
                continue;
            }
            if let Some(at) = at {
                let message = format!(
                    "ignored: {name} (only ldirectord's service-specific negotiate checks use it)"
                );
                self.warning(&at.key, None, message);
            }
        }
    }

    /// `login`, `passwd` and `database` where a line-protocol check does not
    /// use them: ldirectord's smtp and nntp checks never log in, its pop and
    /// imap checks only with a login, and none uses a database.
    fn unused_login(&mut self, v: &VirtualSpec, kind: TomlCheck) {
        if !is_mail(kind) {
            return;
        }
        let name = CHECK_TYPE.name(kind);
        let logs_in = !matches!(kind, TomlCheck::Smtp | TomlCheck::Nntp);
        let mut unused = vec![("database", &v.database)];
        if !logs_in {
            unused.extend([("login", &v.login), ("passwd", &v.passwd)]);
        } else if v.login.is_none() && kind != TomlCheck::Ftp {
            unused.push(("passwd", &v.passwd));
        }
        for (directive, at) in unused {
            if let Some(at) = at {
                let why = match directive {
                    "database" => format!("ldirectord's {name} check does not use it"),
                    "passwd" if logs_in => "ldirectord logs in only when login is set".to_string(),
                    _ => format!("ldirectord's {name} check does not log in"),
                };
                let key = at.key.clone();
                self.warning(&key, None, format!("ignored: {directive} ({why})"));
            }
        }
    }
}

/// Whether a check type is one of the line-protocol checks.
fn is_mail(kind: TomlCheck) -> bool {
    matches!(
        kind,
        TomlCheck::Smtp
            | TomlCheck::Pop
            | TomlCheck::Pops
            | TomlCheck::Imap
            | TomlCheck::Imaps
            | TomlCheck::Nntp
            | TomlCheck::Ftp
    )
}

/// `login` and `passwd` as the check's `login` and `password`; a password
/// without a login only for ftp (whose login is anonymous by default).
fn login(t: &mut Table, v: &VirtualSpec, ftp: bool) {
    if let Some(login) = &v.login {
        put_at(t, "login", login, string(&login.value));
    }
    if let Some(passwd) = &v.passwd {
        if v.login.is_some() || ftp {
            put_at(t, "password", passwd, string(&passwd.value));
        }
    }
}

/// A MySQL/PostgreSQL check's `login`, `password` (ldirectord's `passwd`),
/// `database` and `request` (a query: ldirectord drops one leading `/`,
/// which the reader added when it was missing).
fn sql_settings(t: &mut Table, v: &VirtualSpec) {
    for (name, at) in [
        ("login", &v.login),
        ("password", &v.passwd),
        ("database", &v.database),
    ] {
        if let Some(at) = at {
            put_at(t, name, at, string(&at.value));
        }
    }
    if let Some(request) = &v.request {
        let query = request.value.strip_prefix('/').unwrap_or(&request.value);
        put_at(t, "request", request, string(query));
    }
}

/// A RADIUS check's `login`, `password` (ldirectord's `passwd`; empty when
/// absent, as in ldirectord) and `secret`.
fn radius_settings(t: &mut Table, v: &VirtualSpec) {
    for (name, at) in [
        ("login", &v.login),
        ("password", &v.passwd),
        ("secret", &v.secret),
    ] {
        if let Some(at) = at {
            put_at(t, name, at, string(&at.value));
        }
    }
}

/// A SIP check's `login` (the request URI's user, as in ldirectord; without
/// it ldirectord asks for `ldirectord@HOSTNAME`, ipvsctl for the server
/// itself) and `protocol`: ldirectord sends over the virtual's protocol.
fn sip_settings(t: &mut Table, v: &VirtualSpec, udp: bool) {
    if let Some(login) = &v.login {
        put_at(t, "login", login, string(&login.value));
    }
    let (key, span) = match &v.protocol {
        Some(p) => (p.key.clone(), p.span.clone()),
        None => (v.key.clone(), v.line.clone()),
    };
    let transport = if udp { "udp" } else { "tcp" };
    put(t, "protocol", &key, &span, string(transport));
}
