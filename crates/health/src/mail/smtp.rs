// SPDX-License-Identifier: MIT OR Apache-2.0
//! SMTP (and submission, smtps): the greeting must be 220; EHLO (HELO
//! when EHLO is not known) must be answered 250, as Net::SMTP, which
//! ldirectord uses, requires; STARTTLS when asked; AUTH PLAIN (else
//! LOGIN) when a login is set.

use std::net::IpAddr;

use crate::base64::base64_encode;
use crate::{MailCheck, MailTls};

use super::line::{shown, Conn, Reply};

/// The dialogue, up to the answer; the caller says QUIT.
pub(super) async fn check(c: &mut Conn, m: &MailCheck) -> Result<String, String> {
    let greeting = c.reply("the greeting").await?;
    if greeting.code != 220 {
        c.broken = true; // it is closing, or will not talk
        return Err(c.fail(&format!("banner {greeting}")));
    }
    let mut hello = hello(c).await?;
    if m.tls == MailTls::StartTls {
        if offers(&hello, "STARTTLS").is_none() {
            return Err(c.fail("STARTTLS not offered in the answer to EHLO"));
        }
        c.send("STARTTLS").await?;
        let ready = c.reply("the answer to STARTTLS").await?;
        if ready.code != 220 {
            return Err(c.fail(&format!("STARTTLS refused: {ready}")));
        }
        c.start_tls().await?;
        hello = self::hello(c).await?;
    }
    let Some(login) = &m.login else {
        return Ok(format!("SMTP {}", hello.code));
    };
    let mechanisms = offers(&hello, "AUTH").unwrap_or_default();
    let has = |name: &str| {
        mechanisms
            .split_ascii_whitespace()
            .any(|m| m.eq_ignore_ascii_case(name))
    };
    let refused =
        |c: &Conn, r: &Reply| c.fail(&format!("login refused for user '{}': {r}", login.user));
    if has("PLAIN") {
        let token = format!("\0{}\0{}", login.user, login.password.as_str());
        c.send(&format!("AUTH PLAIN {}", base64_encode(token.as_bytes())))
            .await?;
        let done = c.reply("the answer to AUTH PLAIN").await?;
        if done.code != 235 {
            return Err(refused(c, &done));
        }
    } else if has("LOGIN") {
        c.send("AUTH LOGIN").await?;
        for (secret, waiting) in [
            (login.user.as_str(), "the answer to AUTH LOGIN"),
            (login.password.as_str(), "the answer to the user name"),
        ] {
            let ask = c.reply(waiting).await?;
            if ask.code != 334 {
                return Err(refused(c, &ask));
            }
            c.send(&base64_encode(secret.as_bytes())).await?;
        }
        let done = c.reply("the answer to the password").await?;
        if done.code != 235 {
            return Err(refused(c, &done));
        }
    } else if mechanisms.is_empty() {
        let why = if m.tls == MailTls::Plain {
            "no AUTH offered (the server may want STARTTLS first: starttls = true)"
        } else {
            "no AUTH offered"
        };
        return Err(c.fail(why));
    } else {
        return Err(c.fail(&format!(
            "neither AUTH PLAIN nor LOGIN offered (AUTH {})",
            shown(&mechanisms)
        )));
    }
    Ok(format!("SMTP: logged in as '{}'", login.user))
}

/// EHLO, or HELO where EHLO is not known; 250 either way.
async fn hello(c: &mut Conn) -> Result<Reply, String> {
    let name = hello_name(c.local().ip());
    c.send(&format!("EHLO {name}")).await?;
    let ehlo = c.reply("the answer to EHLO").await?;
    if ehlo.code == 250 {
        return Ok(ehlo);
    }
    if !(500..600).contains(&ehlo.code) {
        return Err(c.fail(&format!("EHLO refused: {ehlo}")));
    }
    c.send(&format!("HELO {name}")).await?;
    let helo = c.reply("the answer to HELO").await?;
    if helo.code == 250 {
        Ok(helo)
    } else {
        Err(c.fail(&format!("HELO refused: {helo}")))
    }
}

/// This end's address as an address literal: `[192.0.2.1]`,
/// `[IPv6:2001:db8::1]` (RFC 5321 4.1.3), for a director has no name the
/// real should trust.
fn hello_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    }
}

/// The parameters of an EHLO keyword (`AUTH PLAIN LOGIN` → `PLAIN LOGIN`;
/// also the old `AUTH=PLAIN`), or `None` when it is not offered.
fn offers(hello: &Reply, keyword: &str) -> Option<String> {
    hello.texts().skip(1).find_map(|text| {
        let head = text.get(..keyword.len())?;
        if !head.eq_ignore_ascii_case(keyword) {
            return None;
        }
        match text[keyword.len()..].chars().next() {
            None => Some(String::new()),
            Some(' ' | '=') => Some(text[keyword.len() + 1..].trim().to_string()),
            Some(_) => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_of_an_ehlo_answer() {
        let reply = Reply {
            code: 250,
            lines: vec![
                "250-mail.example.com".into(),
                "250-PIPELINING".into(),
                "250-AUTH PLAIN LOGIN".into(),
                "250-AUTHX".into(),
                "250 STARTTLS".into(),
            ],
        };
        assert_eq!(offers(&reply, "AUTH").as_deref(), Some("PLAIN LOGIN"));
        assert_eq!(offers(&reply, "starttls").as_deref(), Some(""));
        assert_eq!(offers(&reply, "SIZE"), None);
        let old = Reply {
            code: 250,
            lines: vec!["250-x".into(), "250 AUTH=LOGIN".into()],
        };
        assert_eq!(offers(&old, "AUTH").as_deref(), Some("LOGIN"));
    }

    #[test]
    fn hello_names_are_address_literals() {
        assert_eq!(hello_name("127.0.0.1".parse().unwrap()), "[127.0.0.1]");
        assert_eq!(hello_name("::1".parse().unwrap()), "[IPv6:::1]");
    }
}
