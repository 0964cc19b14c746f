// SPDX-License-Identifier: MIT OR Apache-2.0
//! The settings of the line-protocol checks (`smtp`, `smtps`, `pop`,
//! `pops`, `imap`, `imaps`, `nntp`, `ftp`): `login`, `password`,
//! `starttls`, and ftp's `request` and `receive` (or `receive_regex`).
//! Other types' `login` and `password` are refused in `check`, with the
//! other checks that log in.

use crate::fields::{Checker, Fields};
use crate::model::{CheckKind, FtpCheck, FtpFetch, Login, MailCheck, MailTls};
use crate::words::CheckType;

use super::check;
use super::password;

/// The key only these checks have.
pub(super) const MAIL_ONLY: &[&str] = &["starttls"];

/// Whether a check type is one of these.
pub(super) fn is_mail(t: CheckType) -> bool {
    matches!(
        t,
        CheckType::Smtp
            | CheckType::Smtps
            | CheckType::Pop
            | CheckType::Pops
            | CheckType::Imap
            | CheckType::Imaps
            | CheckType::Nntp
            | CheckType::Ftp
    )
}

/// Refuses these checks' keys on a check of another type.
pub(super) fn refuse(checker: &mut Checker<'_>, c: &Fields<'_>) {
    for key in MAIL_ONLY {
        if let Some(item) = c.get(key) {
            checker.error(
                &item.span,
                Some(c.key(key)),
                "only for smtp, pop and imap checks",
            );
        }
    }
}

/// The kind of a check of one of these types, with its settings.
pub(super) fn kind(checker: &mut Checker<'_>, c: &Fields<'_>, t: CheckType) -> Option<CheckKind> {
    let user = text(checker, c, "login");
    let inline = text(checker, c, "password");
    let password = password::password(checker, c, inline);
    let starttls = starttls(checker, c, t);
    let (user, password) = (user?, password?);
    let login = match (user, password) {
        (Some(user), password) => Some(Login {
            user,
            password: password.unwrap_or_default(),
        }),
        // ftp logs in as anonymous anyway (ldirectord's default).
        (None, Some(password)) if t == CheckType::Ftp => Some(Login {
            user: "anonymous".to_string(),
            password,
        }),
        (None, Some(_)) => {
            let given = ["password", "password_file"]
                .into_iter()
                .find_map(|key| c.get(key).map(|item| (key, item)));
            if let Some((key, item)) = given {
                checker.error(&item.span, Some(c.key(key)), "needs a login");
            }
            return None;
        }
        (None, None) => None,
    };
    let tls = match t {
        CheckType::Smtps | CheckType::Pops | CheckType::Imaps => MailTls::Implicit,
        _ if starttls? => MailTls::StartTls,
        _ => MailTls::Plain,
    };
    let mail = MailCheck { tls, login };
    Some(match t {
        CheckType::Smtp | CheckType::Smtps => CheckKind::Smtp(mail),
        CheckType::Pop | CheckType::Pops => CheckKind::Pop(mail),
        CheckType::Imap | CheckType::Imaps => CheckKind::Imap(mail),
        CheckType::Nntp => CheckKind::Nntp(mail.login),
        _ => CheckKind::Ftp(FtpCheck {
            login: mail.login,
            fetch: fetch(checker, c)?,
        }),
    })
}

/// `starttls`: for smtp, pop and imap only.
fn starttls(checker: &mut Checker<'_>, c: &Fields<'_>, t: CheckType) -> Option<bool> {
    let Some((on, item)) = checker.boolean(c, "starttls") else {
        // Absent, or not a boolean (reported).
        return (!c.has("starttls")).then_some(false);
    };
    let why = match t {
        CheckType::Smtp | CheckType::Pop | CheckType::Imap => return Some(on),
        CheckType::Smtps | CheckType::Pops | CheckType::Imaps => {
            "not with a TLS check type: it speaks TLS from the start"
        }
        _ => "only for smtp, pop and imap checks",
    };
    checker.error(&item.span, Some(c.key("starttls")), why);
    None
}

/// ftp's `request` (a file to retrieve) and `receive` (text it holds) or
/// `receive_regex` (a regular expression it matches).
fn fetch(checker: &mut Checker<'_>, c: &Fields<'_>) -> Option<Option<FtpFetch>> {
    let request = text(checker, c, "request");
    let receive = check::receive(checker, c);
    match (request?, receive?) {
        (Some(request), receive) => Some(Some(FtpFetch { request, receive })),
        (None, Some(_)) => {
            let key = if c.has("receive") {
                "receive"
            } else {
                "receive_regex"
            };
            if let Some(item) = c.get(key) {
                checker.error(
                    &item.span,
                    Some(c.key(key)),
                    "needs a request (the file to retrieve)",
                );
            }
            None
        }
        (None, None) => Some(None),
    }
}

/// A text sent on the wire: not empty, no control characters (a line
/// break would end the command). `Some(None)` when absent, `None` when
/// refused.
fn text(checker: &mut Checker<'_>, c: &Fields<'_>, name: &'static str) -> Option<Option<String>> {
    let Some((value, item)) = checker.string(c, name) else {
        // Absent, or not a string (reported).
        return if c.get(name).is_some() {
            None
        } else {
            Some(None)
        };
    };
    let why = if value.is_empty() {
        "must not be empty"
    } else if value.chars().any(char::is_control) {
        "must not hold control characters (a line break would end the command)"
    } else {
        return Some(Some(value.to_string()));
    };
    checker.error(&item.span, Some(c.key(name)), why);
    None
}
