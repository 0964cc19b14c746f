// SPDX-License-Identifier: MIT OR Apache-2.0
//! POP3 (and pops): the greeting must be `+OK`; STLS when asked; USER and
//! PASS when a login is set (Mail::POP3Client's login, which ldirectord
//! uses).

use crate::{MailCheck, MailTls};

use super::line::{shown, Conn};

/// The dialogue, up to the answer; the caller says QUIT.
pub(super) async fn check(c: &mut Conn, m: &MailCheck) -> Result<String, String> {
    let greeting = status(c, "the greeting").await?;
    if let Err(line) = greeting {
        c.broken = true; // it is closing, or will not talk
        return Err(c.fail(&format!("greeting {}", shown(&line))));
    }
    if m.tls == MailTls::StartTls {
        c.send("STLS").await?;
        if let Err(line) = status(c, "the answer to STLS").await? {
            return Err(c.fail(&format!("STLS refused: {}", shown(&line))));
        }
        c.start_tls().await?;
    }
    let Some(login) = &m.login else {
        return Ok("POP +OK".to_string());
    };
    let refused = |c: &Conn, line: &str| {
        c.fail(&format!(
            "login refused for user '{}': {}",
            login.user,
            shown(line)
        ))
    };
    c.send(&format!("USER {}", login.user)).await?;
    if let Err(line) = status(c, "the answer to USER").await? {
        return Err(refused(c, &line));
    }
    c.send(&format!("PASS {}", login.password.as_str())).await?;
    if let Err(line) = status(c, "the answer to PASS").await? {
        return Err(refused(c, &line));
    }
    Ok(format!("POP: logged in as '{}'", login.user))
}

/// QUIT, and its answer.
pub(super) async fn quit(c: &mut Conn) -> Result<(), String> {
    c.send("QUIT").await?;
    status(c, "the answer to QUIT").await.map(drop)
}

/// One status line: `Ok` for `+OK …`, `Err(line)` for `-ERR …`; anything
/// else is not POP3.
async fn status(c: &mut Conn, waiting: &'static str) -> Result<Result<String, String>, String> {
    let line = c.line(waiting).await?;
    if starts_with_word(&line, "+OK") {
        Ok(Ok(line))
    } else if starts_with_word(&line, "-ERR") {
        Ok(Err(line))
    } else {
        c.broken = true;
        Err(c.fail(&format!("not a POP3 answer: \"{}\"", shown(&line))))
    }
}

/// `word` alone or followed by a space, in any case.
pub(super) fn starts_with_word(line: &str, word: &str) -> bool {
    line.get(..word.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(word))
        && matches!(line.as_bytes().get(word.len()), None | Some(b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        assert!(starts_with_word("+OK Dovecot ready.", "+OK"));
        assert!(starts_with_word("+OK", "+OK"));
        assert!(starts_with_word("-err no", "-ERR"));
        assert!(!starts_with_word("+OKAY", "+OK"));
        assert!(!starts_with_word("+O", "+OK"));
    }
}
