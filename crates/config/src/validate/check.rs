// SPDX-License-Identifier: MIT OR Apache-2.0
//! A virtual's `check` (or the `[defaults]` check it inherits): its type,
//! its timing, and the settings of its type.

use crate::fields::{Checker, Fields};
use crate::model::{
    Check, CheckKind, HttpCheck, LdapCheck, Pattern, RadiusCheck, Receive, SipCheck, SipTransport,
    SqlCheck, StatusCodes, VirtualKey,
};
use crate::tree::Value;
use crate::words::{CheckType, CHECK_TYPE, HTTP_METHOD, SIP_TRANSPORT};

use super::check_kinds::{self, DNS_ONLY};
use super::mail;
use super::password;
use super::values::{self, count, or_default, ranged, seconds, CommandTexts};
use super::Defaults;

/// The keys only HTTP and HTTPS checks have.
const HTTP_ONLY: &[&str] = &[
    "request",
    "receive",
    "receive_regex",
    "status",
    "host",
    "method",
    "verify",
];

/// Why `password` is refused on a check of another type.
const LOGS_IN: &str = "only for the checks that log in: mysql, pgsql, ldap(s), smtp(s), \
                       pop(s), imap(s), nntp, ftp and radius";

/// Why `login` is refused on a check of another type.
const LOGIN_OR_SIP: &str = "only for sip and the checks that log in: mysql, pgsql, ldap(s), \
                            smtp(s), pop(s), imap(s), nntp, ftp and radius";

/// The keys of the checks that log in (besides `request` and `receive`),
/// with the refusal for other types.
const LOGIN_KEYS: &[(&str, &str)] = &[
    ("login", LOGIN_OR_SIP),
    ("password", LOGS_IN),
    ("password_file", LOGS_IN),
    ("database", "only for mysql and pgsql checks"),
    ("secret", "only for radius checks"),
];

/// The virtual's check, else the default check, else the implicit one
/// (see [`check_kinds::implicit`]) with the default timing.
pub(super) fn check(
    checker: &mut Checker<'_>,
    v: &Fields<'_>,
    defaults: &Defaults<'_>,
    key: Option<&VirtualKey>,
) -> Option<Check> {
    let own = if v.has("check") {
        Some(checker.table(v, "check")?)
    } else {
        None
    };
    // A default check is read again by each virtual that uses it.
    let Some(c) = own.or_else(|| defaults.check.as_ref().map(Fields::again)) else {
        return Some(Check {
            kind: check_kinds::implicit(checker, v, key)?,
            port: None,
            interval: defaults.interval,
            timeout: defaults.timeout,
            rise: defaults.rise,
            fall: defaults.fall,
        });
    };
    checker.read(c, |checker, c| settings(checker, c, defaults, key))
}

/// `type`, `port`, the timing, and the settings of the type.
fn settings(
    checker: &mut Checker<'_>,
    c: &Fields<'_>,
    defaults: &Defaults<'_>,
    key: Option<&VirtualKey>,
) -> Option<Check> {
    let check_type = checker
        .word(c, "type", &CHECK_TYPE)
        .unwrap_or(Ok(CheckType::Connect))
        .ok();
    let port = ranged(checker, c, "port", 1..=65535);
    let interval = or_default(checker, c, "interval", defaults.interval, seconds);
    let timeout = or_default(checker, c, "timeout", defaults.timeout, seconds);
    let rise = or_default(checker, c, "rise", defaults.rise, count);
    let fall = or_default(checker, c, "fall", defaults.fall, count);
    let Some(check_type) = check_type else {
        // The type is refused: its settings are not judged.
        for key in HTTP_ONLY {
            c.has(key);
        }
        for key in DNS_ONLY {
            c.has(key);
        }
        c.has("command");
        for (key, _) in LOGIN_KEYS {
            c.has(key);
        }
        for key in mail::MAIL_ONLY {
            c.has(key);
        }
        return None;
    };
    let kind = kind(checker, c, check_type, key);
    Some(Check {
        kind: kind?,
        port,
        interval: interval?,
        timeout: timeout?,
        rise: rise?,
        fall: fall?,
    })
}

/// The check's kind with its settings; the settings of other types refused.
fn kind(
    checker: &mut Checker<'_>,
    c: &Fields<'_>,
    check_type: CheckType,
    virtual_key: Option<&VirtualKey>,
) -> Option<CheckKind> {
    let is_sql = matches!(check_type, CheckType::Mysql | CheckType::Pgsql);
    let is_ldap = matches!(check_type, CheckType::Ldap | CheckType::Ldaps);
    let probes = matches!(check_type, CheckType::Tcp | CheckType::Udp | CheckType::Dns);
    let is_mail = mail::is_mail(check_type);
    // ftp retrieves `request` and looks for `receive` in it.
    let fetches = check_type == CheckType::Ftp;
    // Keys of LOGIN_KEYS that this type reads itself (besides sql's).
    let own_login: &[&str] = match check_type {
        CheckType::Radius => &["login", "password", "password_file", "secret"],
        CheckType::Sip => &["login"],
        _ if is_ldap || is_mail => &["login", "password", "password_file"],
        _ => &[],
    };
    // Keys of HTTP_ONLY that this type reads itself.
    let own: &[&str] = match (is_sql, is_ldap || probes || fetches) {
        (true, _) => &["request"],
        (_, true) => &["request", "receive", "receive_regex"],
        _ => &[],
    };
    let http = if matches!(check_type, CheckType::Http | CheckType::Https) {
        http_check(checker, c)
    } else {
        for key in HTTP_ONLY {
            if own.contains(key) {
                continue;
            }
            if let Some(item) = c.get(key) {
                let only = match *key {
                    "request" => {
                        "only for http, https, tcp, udp, dns, mysql, pgsql, ldap, ldaps and ftp \
                         checks"
                    }
                    "receive" | "receive_regex" => {
                        "only for http, https, tcp, udp, dns, ldap, ldaps and ftp checks"
                    }
                    _ => "only for http and https checks",
                };
                checker.error(&item.span, Some(c.key(key)), only);
            }
        }
        None
    };
    if !matches!(check_type, CheckType::Dns | CheckType::Sip) {
        for key in DNS_ONLY {
            if let Some(item) = c.get(key) {
                checker.error(&item.span, Some(c.key(key)), "only for dns and sip checks");
            }
        }
    }
    let command = if check_type == CheckType::External {
        command(checker, c)
    } else {
        if let Some(item) = c.get("command") {
            checker.error(
                &item.span,
                Some(c.key("command")),
                "only for external checks",
            );
        }
        None
    };
    let sql = if is_sql {
        sql_check(checker, c)
    } else {
        for (key, refusal) in LOGIN_KEYS {
            if own_login.contains(key) {
                continue;
            }
            if let Some(item) = c.get(key) {
                checker.error(&item.span, Some(c.key(key)), *refusal);
            }
        }
        None
    };
    let ldap = if is_ldap {
        ldap_check(checker, c)
    } else {
        None
    };
    let line = if is_mail {
        mail::kind(checker, c, check_type)
    } else {
        mail::refuse(checker, c);
        None
    };
    Some(match check_type {
        CheckType::Connect => CheckKind::Connect,
        CheckType::None => CheckKind::None,
        CheckType::Off => CheckKind::Off,
        CheckType::External => CheckKind::External(command?),
        CheckType::Http => CheckKind::Http(http?),
        CheckType::Https => CheckKind::Https(http?),
        CheckType::Tcp => CheckKind::Tcp(check_kinds::send_expect(checker, c, false)?),
        CheckType::Udp => CheckKind::Udp(check_kinds::send_expect(checker, c, true)?),
        CheckType::Dns => CheckKind::Dns(check_kinds::dns(checker, c, virtual_key)?),
        CheckType::Mysql => CheckKind::Mysql(sql?),
        CheckType::Pgsql => CheckKind::Pgsql(sql?),
        CheckType::Ldap => CheckKind::Ldap(ldap?),
        CheckType::Ldaps => CheckKind::Ldaps(ldap?),
        CheckType::Smtp
        | CheckType::Smtps
        | CheckType::Pop
        | CheckType::Pops
        | CheckType::Imap
        | CheckType::Imaps
        | CheckType::Nntp
        | CheckType::Ftp => line?,
        CheckType::Radius => CheckKind::Radius(radius_check(checker, c)?),
        CheckType::Sip => CheckKind::Sip(sip_check(checker, c)?),
        CheckType::Ping => CheckKind::Ping,
    })
}

/// `command`: an absolute program and its arguments, run without a shell.
fn command(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<Vec<String>> {
    let texts = CommandTexts {
        missing: "missing: [\"/path/prog\", \"{ip}\", \"{port}\"]",
        not_array: "expected an array of strings: [\"/path/prog\", \"{ip}\"]",
        empty: "the program must be an absolute path (it runs without a shell)",
    };
    values::command(checker, c, &texts).map(|(command, _)| command)
}

/// `request`, `receive`, `status`, `host`, `method`, `verify`.
fn http_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<HttpCheck> {
    let request = match checker.string(c, "request") {
        Some((r, _)) if r.starts_with('/') => r.to_string(),
        Some((r, _)) => format!("/{r}"),
        None => "/".to_string(),
    };
    let receive = receive(checker, c);
    let status = status(checker, c);
    let host = checker.string(c, "host").map(|(h, _)| h.to_string());
    let method = checker
        .word(c, "method", &HTTP_METHOD)
        .unwrap_or(Ok("GET"))
        .ok();
    let verify = checker.boolean(c, "verify").is_some_and(|(v, _)| v);
    Some(HttpCheck {
        request,
        receive: receive?,
        status: status?,
        host,
        method: method?.to_string(),
        verify,
    })
}

/// `login`, `password`, `database`, `request`: whom to log in as, where, and
/// the query that must return a row.
fn sql_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<SqlCheck> {
    let login = checker.string(c, "login").map(|(l, _)| l.to_string());
    let inline = checker.string(c, "password").map(|(p, _)| p.to_string());
    let password = password::password(checker, c, Some(inline));
    let database = checker.string(c, "database").map(|(d, _)| d.to_string());
    let request = checker.string(c, "request").map(|(r, _)| r.to_string());
    let mut missing = |key: &str, example: &str| {
        checker.error(&c.span, Some(c.key(key)), format!("missing: {example}"));
    };
    if login.as_deref().is_none_or(str::is_empty) {
        missing("login", "the user the check logs in as");
    }
    if request.as_deref().is_none_or(|r| r.trim().is_empty()) {
        missing(
            "request",
            "the query that must return a row, e.g. \"SELECT 1\"",
        );
    }
    Some(SqlCheck {
        login: login.filter(|l| !l.is_empty())?,
        password: password?.unwrap_or_default(),
        database,
        request: request.filter(|r| !r.trim().is_empty())?,
    })
}

/// `login` (a DN; absent: an anonymous bind), `password`, `request` (the DN
/// searched), `receive` or `receive_regex` (for the entry's DN).
fn ldap_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<LdapCheck> {
    let login = checker.string(c, "login").map(|(l, _)| l.to_string());
    let inline = checker.string(c, "password").map(|(p, _)| p.to_string());
    let password = password::password(checker, c, Some(inline));
    let request = checker.string(c, "request").map(|(r, _)| r.to_string());
    let receive = receive(checker, c);
    Some(LdapCheck {
        login: login.filter(|l| !l.is_empty()),
        password: password?.unwrap_or_default(),
        request: request.unwrap_or_default(),
        receive: receive?,
    })
}

/// `login`, `password` and `secret`: the Access-Request's user, password
/// and the secret shared with the server (login and secret required).
fn radius_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<RadiusCheck> {
    let login = checker.string(c, "login").map(|(l, _)| l.to_string());
    let inline = checker.string(c, "password").map(|(p, _)| p.to_string());
    let password = password::password(checker, c, Some(inline));
    let secret = checker.string(c, "secret").map(|(s, _)| s.to_string());
    let mut missing = |key: &str, example: &str| {
        checker.error(&c.span, Some(c.key(key)), format!("missing: {example}"));
    };
    if login.as_deref().is_none_or(str::is_empty) {
        missing("login", "the user of the Access-Request");
    }
    if secret.as_deref().is_none_or(str::is_empty) {
        missing("secret", "the secret shared with the RADIUS server");
    }
    Some(RadiusCheck {
        login: login.filter(|l| !l.is_empty())?,
        password: password?.unwrap_or_default(),
        secret: secret.filter(|s| !s.is_empty())?,
    })
}

/// `login` (the request URI's user; absent: the server itself) and
/// `protocol` (`udp`, the default, or `tcp`; the key a dns check has too).
fn sip_check(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<SipCheck> {
    let login = checker.string(c, "login").map(|(l, _)| l.to_string());
    let transport = checker
        .word(c, "protocol", &SIP_TRANSPORT)
        .unwrap_or(Ok(SipTransport::Udp))
        .ok();
    Some(SipCheck {
        login: login.filter(|l| !l.is_empty()),
        transport: transport?,
    })
}

/// `receive` (a substring) or `receive_regex` (a regular expression), not
/// both. `Some(None)`: neither; `None`: refused.
pub(super) fn receive(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<Option<Receive>> {
    let text = checker.string(c, "receive");
    let regex = checker.string(c, "receive_regex");
    match (text, regex) {
        (Some(_), Some((_, item))) => {
            checker.error(
                &item.span,
                Some(c.key("receive_regex")),
                "give receive (a substring) or receive_regex (a regular expression), not both",
            );
            None
        }
        (Some((text, _)), None) => Some(Some(Receive::Text(text.to_string()))),
        (None, Some((pattern, item))) => match Pattern::new(pattern) {
            Ok(p) => Some(Some(Receive::Regex(p))),
            Err(why) => {
                checker.error(
                    &item.span,
                    Some(c.key("receive_regex")),
                    format!("not a regular expression: {why}"),
                );
                None
            }
        },
        (None, None) => Some(None),
    }
}

/// `status`: one code (`200`) or codes and ranges (`"200-299,401"`).
/// `Some(None)`: absent; `None`: refused.
fn status(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<Option<StatusCodes>> {
    let Some(item) = c.get("status") else {
        return Some(None);
    };
    let codes = match &item.value {
        Value::Integer(_) => {
            let code: u16 = ranged(checker, c, "status", 100..=599)?;
            StatusCodes::one(code)
        }
        Value::String(text) => match StatusCodes::parse(text) {
            Ok(codes) => Some(codes),
            Err(why) => {
                checker.error(&item.span, Some(c.key("status")), why);
                None
            }
        },
        other => {
            checker.error(
                &item.span,
                Some(c.key("status")),
                format!(
                    "expected a status code or a string of codes and ranges such as \
                     \"200-299,401\", found {}",
                    other.kind()
                ),
            );
            None
        }
    };
    codes.map(Some)
}
