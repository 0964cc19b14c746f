// SPDX-License-Identifier: MIT OR Apache-2.0
//! IMAP (and imaps): the greeting must be `* OK` (or `* PREAUTH`);
//! STARTTLS when asked; LOGIN when a login is set (Net::IMAP::Simple's
//! login, which ldirectord uses).

use crate::{MailCheck, MailTls};

use super::line::{shown, Conn};
use super::pop::starts_with_word;

/// The dialogue, up to the answer; the caller says LOGOUT.
pub(super) async fn check(c: &mut Conn, m: &MailCheck) -> Result<String, String> {
    let greeting = c.line("the greeting").await?;
    let preauth = starts_with_word(&greeting, "* PREAUTH");
    if !preauth && !starts_with_word(&greeting, "* OK") {
        if starts_with_word(&greeting, "* BYE") {
            c.broken = true; // it is closing
            return Err(c.fail(&format!("greeting {}", shown(&greeting))));
        }
        c.broken = true;
        return Err(c.fail(&format!("not an IMAP greeting: \"{}\"", shown(&greeting))));
    }
    if m.tls == MailTls::StartTls {
        let (ok, line) = command(c, "a1", "STARTTLS", "the answer to STARTTLS").await?;
        if !ok {
            return Err(c.fail(&format!("STARTTLS refused: {}", shown(&line))));
        }
        c.start_tls().await?;
    }
    let Some(login) = &m.login else {
        return Ok("IMAP OK".to_string());
    };
    if preauth {
        return Ok("IMAP PREAUTH".to_string());
    }
    let text = format!(
        "LOGIN {} {}",
        quoted(&login.user),
        quoted(login.password.as_str())
    );
    let (ok, line) = command(c, "a2", &text, "the answer to LOGIN").await?;
    if !ok {
        return Err(c.fail(&format!(
            "login refused for user '{}': {}",
            login.user,
            shown(&line)
        )));
    }
    Ok(format!("IMAP: logged in as '{}'", login.user))
}

/// LOGOUT, and its tagged answer.
pub(super) async fn logout(c: &mut Conn) -> Result<(), String> {
    command(c, "a9", "LOGOUT", "the answer to LOGOUT")
        .await
        .map(drop)
}

/// Sends `tag text`, skips untagged lines, and reads the tagged answer:
/// `(true, "OK …")`, or `(false, "NO …")`/`(false, "BAD …")`.
async fn command(
    c: &mut Conn,
    tag: &str,
    text: &str,
    waiting: &'static str,
) -> Result<(bool, String), String> {
    c.send(&format!("{tag} {text}")).await?;
    loop {
        let line = c.line(waiting).await?;
        if line.starts_with("* ") {
            continue;
        }
        let Some(answer) = line
            .strip_prefix(tag)
            .and_then(|rest| rest.strip_prefix(' '))
        else {
            c.broken = true;
            return Err(c.fail(&format!("not an IMAP answer: \"{}\"", shown(&line))));
        };
        let ok = starts_with_word(answer, "OK");
        if !ok && !starts_with_word(answer, "NO") && !starts_with_word(answer, "BAD") {
            c.broken = true;
            return Err(c.fail(&format!("not an IMAP answer: \"{}\"", shown(&line))));
        }
        return Ok((ok, answer.to_string()));
    }
}

/// An IMAP quoted string (RFC 3501): `"`, with `\` and `"` escaped. The
/// configuration allows no line breaks in a login or a password.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        if matches!(ch, '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings() {
        assert_eq!(quoted("check"), "\"check\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
