// SPDX-License-Identifier: MIT OR Apache-2.0
//! FTP, as ldirectord's check_ftp (Net::FTP): the greeting must be 220;
//! USER and PASS (anonymous and `ipvsctl@localhost` when no login is
//! set); when a `request` is set, TYPE I, passive mode (PASV, or EPSV over
//! IPv6) and RETR of it: the file must come (its first 64 KiB are read)
//! and hold `receive` when that is set.

use std::net::SocketAddr;

use tokio::io::AsyncReadExt;

use config::model::Receive;

use crate::{FtpCheck, FtpFetch};

use super::line::{shown, Conn, Reply};

/// What is read of a retrieved file.
const FILE_LIMIT: usize = 64 * 1024;
/// ldirectord's default login for ftp.
const ANONYMOUS: &str = "anonymous";
/// The password sent for the default login (ldirectord sends
/// `ldirectord@` and its host name).
const ANONYMOUS_PASSWORD: &str = "ipvsctl@localhost";

/// The dialogue, up to the answer; the caller says QUIT.
pub(super) async fn check(c: &mut Conn, f: &FtpCheck) -> Result<String, String> {
    let greeting = c.reply("the greeting").await?;
    if greeting.code != 220 {
        c.broken = true; // it is closing, or will not talk
        return Err(c.fail(&format!("greeting {greeting}")));
    }
    let (user, password) = match &f.login {
        Some(l) => (l.user.as_str(), l.password.as_str()),
        None => (ANONYMOUS, ANONYMOUS_PASSWORD),
    };
    let refused = |c: &Conn, r: &Reply| c.fail(&format!("login refused for user '{user}': {r}"));
    c.send(&format!("USER {user}")).await?;
    let asked = c.reply("the answer to USER").await?;
    match asked.code {
        230 => {}
        331 => {
            c.send(&format!("PASS {password}")).await?;
            let done = c.reply("the answer to PASS").await?;
            if done.code != 230 {
                return Err(refused(c, &done));
            }
        }
        _ => return Err(refused(c, &asked)),
    }
    match &f.fetch {
        None => Ok(format!("FTP: logged in as '{user}'")),
        Some(fetch) => retrieve(c, fetch).await,
    }
}

/// TYPE I, PASV (EPSV), RETR; the file read and searched.
async fn retrieve(c: &mut Conn, fetch: &FtpFetch) -> Result<String, String> {
    c.send("TYPE I").await?;
    let binary = c.reply("the answer to TYPE I").await?;
    if !binary.positive() {
        return Err(c.fail(&format!("TYPE I refused: {binary}")));
    }
    let data_addr = passive(c).await?;
    let mut data = crate::connect::stream_to(data_addr)
        .await
        .map_err(|e| c.fail(&format!("data connection to {data_addr} failed: {e}")))?;
    c.send(&format!("RETR {}", fetch.request)).await?;
    let start = c.reply("the answer to RETR").await?;
    if !matches!(start.code, 125 | 150) {
        return Err(c.fail(&format!("RETR {}: {start}", fetch.request)));
    }
    c.waiting = "the file";
    let mut file = Vec::new();
    let mut chunk = [0u8; 8192];
    while file.len() < FILE_LIMIT {
        let room = chunk.len().min(FILE_LIMIT - file.len());
        let n = data
            .read(&mut chunk[..room])
            .await
            .map_err(|e| c.fail(&format!("reading {} failed: {e}", fetch.request)))?;
        if n == 0 {
            break;
        }
        file.extend_from_slice(&chunk[..n]);
    }
    let whole = file.len() < FILE_LIMIT;
    drop(data);
    if whole {
        let done = c.reply("the end of the transfer").await?;
        if !done.positive() {
            return Err(c.fail(&format!("RETR {}: {done}", fetch.request)));
        }
    } else {
        // The rest is not read: the server's answer (426) is left for QUIT.
    }
    if let Some(wanted) = &fetch.receive {
        let (found, what) = match wanted {
            Receive::Text(text) => (
                text.is_empty() || file.windows(text.len()).any(|w| w == text.as_bytes()),
                format!("lacks \"{}\"", shown(text)),
            ),
            Receive::Regex(pattern) => (
                pattern.is_match(&file),
                format!("does not match /{}/", shown(pattern.as_str())),
            ),
        };
        if !found {
            let limit = if whole { "" } else { " in its first 64 KiB" };
            return Err(c.fail(&format!("{} {what}{limit}", fetch.request)));
        }
    }
    Ok(format!(
        "FTP: fetched {} ({} bytes)",
        fetch.request,
        file.len()
    ))
}

/// The data address: PASV's port (over IPv4) or EPSV's (over IPv6), on
/// the real's own address (the address in PASV's answer is not trusted: it
/// may be private behind NAT, or another host).
async fn passive(c: &mut Conn) -> Result<SocketAddr, String> {
    let peer = c.peer();
    let (command, wanted) = if peer.is_ipv4() {
        ("PASV", 227)
    } else {
        ("EPSV", 229)
    };
    c.send(command).await?;
    let r = c.reply("the answer to PASV").await?;
    let port = if r.code == wanted {
        if peer.is_ipv4() {
            pasv_port(&r.lines[0])
        } else {
            epsv_port(&r.lines[0])
        }
    } else {
        None
    };
    match port {
        Some(port) => Ok(SocketAddr::new(peer.ip(), port)),
        None => Err(c.fail(&format!("{command} refused: {r}"))),
    }
}

/// `227 Entering Passive Mode (127,0,0,1,195,80).` → 50000.
fn pasv_port(line: &str) -> Option<u16> {
    let inside = line.get(4..)?;
    let start = inside.find(|ch: char| ch.is_ascii_digit())?;
    let numbers: Vec<u16> = inside[start..]
        .split(|ch: char| !ch.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers[..] {
        [_, _, _, _, high, low] if high < 256 && low < 256 => Some(high * 256 + low),
        _ => None,
    }
}

/// `229 Entering Extended Passive Mode (|||50000|)` → 50000.
fn epsv_port(line: &str) -> Option<u16> {
    let inside = &line[line.find('(')? + 1..];
    let inside = &inside[..inside.find(')')?];
    let mut parts = inside.split('|');
    let (_, _, _, port) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    port.parse().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_ports() {
        assert_eq!(
            pasv_port("227 Entering Passive Mode (127,0,0,1,195,80)."),
            Some(50000)
        );
        assert_eq!(pasv_port("227 =127,0,0,1,0,21"), Some(21));
        assert_eq!(pasv_port("227 (127,0,0,1,300,1)"), None);
        assert_eq!(pasv_port("227 (127,0,0,1)"), None);
        assert_eq!(
            epsv_port("229 Entering Extended Passive Mode (|||50000|)"),
            Some(50000)
        );
        assert_eq!(epsv_port("229 (|||x|)"), None);
        assert_eq!(epsv_port("229 nothing"), None);
    }
}
