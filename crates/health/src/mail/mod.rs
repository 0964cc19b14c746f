// SPDX-License-Identifier: MIT OR Apache-2.0
//! The line-protocol checks: `smtp` (`submission`, `smtps`), `pop`
//! (`pops`), `imap` (`imaps`), `nntp` and `ftp`, as ldirectord's
//! negotiate checks do them.
//!
//! | module | job                                                            |
//! |--------|----------------------------------------------------------------|
//! | `line` | the connection: bounded reply lines, numbered replies, TLS     |
//! | `smtp` | greeting 220, EHLO (HELO), STARTTLS, AUTH PLAIN/LOGIN, QUIT    |
//! | `pop`  | greeting +OK, STLS, USER/PASS, QUIT                            |
//! | `imap` | greeting * OK, STARTTLS, LOGIN, LOGOUT                         |
//! | `nntp` | greeting 200/201, AUTHINFO USER/PASS, QUIT                     |
//! | `ftp`  | greeting 220, USER/PASS, TYPE I, PASV/EPSV, RETR, QUIT         |
//!
//! The whole exchange is bounded by the check's timeout; each reply line
//! by 8 KiB and all of them by 64 KiB, so a server that hangs, trickles
//! or sends an endless line fails. When the answer is known, the check
//! says goodbye (QUIT, LOGOUT) and reads the answer for at most a second
//! more (within the timeout), and a goodbye that goes wrong changes
//! nothing; none is said to a server that refused the greeting or broke
//! the protocol.

mod ftp;
mod imap;
mod line;
mod nntp;
mod pop;
mod smtp;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::{timeout_at, Instant};

use crate::probe::timeout_text;
use crate::{CheckKind, FtpCheck, Login, MailCheck, MailTls};

use line::Conn;

/// The longest wait for the answer to QUIT (LOGOUT), within the timeout:
/// the verdict is known by then.
const GOODBYE_GRACE: Duration = Duration::from_secs(1);

/// Runs one line-protocol check of `addr`, bounded by `timeout` as a
/// whole: `Ok(what happened)` or `Err(why it failed)`.
pub(crate) async fn check(
    addr: SocketAddr,
    kind: &CheckKind,
    timeout: Duration,
) -> Result<String, String> {
    let (proto, tls, dialogue) = match kind {
        CheckKind::Smtp(m) => ("SMTP", m.tls, Dialogue::Smtp(m)),
        CheckKind::Pop(m) => ("POP", m.tls, Dialogue::Pop(m)),
        CheckKind::Imap(m) => ("IMAP", m.tls, Dialogue::Imap(m)),
        CheckKind::Nntp(l) => ("NNTP", MailTls::Plain, Dialogue::Nntp(l.as_ref())),
        CheckKind::Ftp(f) => ("FTP", MailTls::Plain, Dialogue::Ftp(f)),
        _ => return Err("not a line-protocol check".to_string()),
    };
    let deadline = Instant::now() + timeout;
    let timed_out = |waiting: &str| {
        format!(
            "{proto}: timed out after {} waiting for {waiting}",
            timeout_text(timeout)
        )
    };
    let mut conn = match timeout_at(deadline, Conn::connect(addr, proto)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(why)) => return Err(why),
        Err(_) => return Err(timed_out("the connection")),
    };
    let exchange = async {
        if tls == MailTls::Implicit {
            conn.start_tls().await?;
        }
        match dialogue {
            Dialogue::Smtp(m) => smtp::check(&mut conn, m).await,
            Dialogue::Pop(m) => pop::check(&mut conn, m).await,
            Dialogue::Imap(m) => imap::check(&mut conn, m).await,
            Dialogue::Nntp(login) => nntp::check(&mut conn, login).await,
            Dialogue::Ftp(f) => ftp::check(&mut conn, f).await,
        }
    };
    let verdict = match timeout_at(deadline, exchange).await {
        Ok(verdict) => verdict,
        Err(_) => return Err(timed_out(conn.waiting)),
    };
    if !conn.broken {
        let grace = deadline.min(Instant::now() + GOODBYE_GRACE);
        let _ = timeout_at(grace, goodbye(&mut conn, &dialogue)).await;
    }
    verdict
}

/// Which dialogue, with its settings.
enum Dialogue<'a> {
    Smtp(&'a MailCheck),
    Pop(&'a MailCheck),
    Imap(&'a MailCheck),
    Nntp(Option<&'a Login>),
    Ftp(&'a FtpCheck),
}

/// QUIT (LOGOUT), its answer read, then TLS closed.
async fn goodbye(conn: &mut Conn, dialogue: &Dialogue<'_>) {
    let said = match dialogue {
        Dialogue::Imap(_) => imap::logout(conn).await,
        Dialogue::Pop(_) => pop::quit(conn).await,
        _ => match conn.send("QUIT").await {
            Ok(()) => conn.reply("the answer to QUIT").await.map(drop),
            Err(e) => Err(e),
        },
    };
    if said.is_ok() {
        conn.close().await;
    }
}
