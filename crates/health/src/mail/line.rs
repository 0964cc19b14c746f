// SPDX-License-Identifier: MIT OR Apache-2.0
//! The line protocol the mail, news and ftp checks share: a connection
//! (plain, or TLS from the start or after STARTTLS) that writes a command
//! line and reads bounded reply lines, and the numbered replies of SMTP,
//! NNTP and FTP (`220-…` continued, `220 …` last).

use std::fmt;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::probe::connect_error;
use crate::tls;

/// The longest reply line read (RFC 5321 allows 512 bytes; IMAP's
/// capability lines run to about 1 KiB).
pub(crate) const LINE_LIMIT: usize = 8 * 1024;
/// The most a whole exchange may read.
pub(crate) const EXCHANGE_LIMIT: usize = 64 * 1024;
/// How much of a server's text a reason shows.
const SHOWN_LIMIT: usize = 200;

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Between a plain stream and its TLS upgrade, or after a failed one.
    Gone,
}

/// One connection to a real, as one protocol (`proto` names it in reasons:
/// `SMTP`, `POP`, …).
pub(crate) struct Conn {
    stream: Stream,
    /// Bytes read and not yet taken as lines.
    buf: Vec<u8>,
    /// Bytes read in all.
    read: usize,
    addr: SocketAddr,
    local: SocketAddr,
    pub(crate) proto: &'static str,
    /// What the exchange is waiting for (a timeout names it).
    pub(crate) waiting: &'static str,
    /// The connection can no longer carry a polite goodbye.
    pub(crate) broken: bool,
}

impl Conn {
    /// A TCP connection to `addr`.
    pub(crate) async fn connect(addr: SocketAddr, proto: &'static str) -> Result<Self, String> {
        let tcp = crate::connect::stream_to(addr)
            .await
            .map_err(|e| connect_error(&e))?;
        let _ = tcp.set_nodelay(true);
        let local = tcp
            .local_addr()
            .map_err(|e| format!("connect failed: {e}"))?;
        Ok(Self {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            read: 0,
            addr,
            local,
            proto,
            waiting: "the greeting",
            broken: false,
        })
    }

    /// The real's address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.addr
    }

    /// This end's address.
    pub(crate) fn local(&self) -> SocketAddr {
        self.local
    }

    /// TLS on the plain connection: from the start (`smtps`, `pops`,
    /// `imaps`) or after the server said yes to STARTTLS. Any certificate
    /// is accepted (as https checks do by default); no SNI (the real is
    /// known by its address).
    pub(crate) async fn start_tls(&mut self) -> Result<(), String> {
        if !self.buf.is_empty() {
            // Bytes sent before the handshake would be read as if they came
            // over TLS (CVE-2011-0411's command injection).
            self.broken = true;
            return Err(self.fail("sent more after its STARTTLS answer"));
        }
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            self.broken = true;
            return Err(self.fail("TLS twice"));
        };
        self.waiting = "the TLS handshake";
        let connector = tls::connector(false).map_err(|e| self.fail(&e))?;
        let name = tls::server_name(None, self.addr.ip());
        match connector.connect(name, tcp).await {
            Ok(tls) => {
                self.stream = Stream::Tls(Box::new(tls));
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                Err(self.fail(&format!("TLS handshake failed: {e}")))
            }
        }
    }

    /// `PROTO: why`.
    pub(crate) fn fail(&self, why: &str) -> String {
        format!("{}: {why}", self.proto)
    }

    /// Sends one command line (CRLF added).
    pub(crate) async fn send(&mut self, line: &str) -> Result<(), String> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let written = match &mut self.stream {
            Stream::Plain(s) => s.write_all(&bytes).await,
            Stream::Tls(s) => match s.write_all(&bytes).await {
                Ok(()) => s.flush().await,
                Err(e) => Err(e),
            },
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        };
        written.map_err(|e| {
            self.broken = true;
            self.fail(&format!("sending failed: {e}"))
        })
    }

    /// One reply line, without its line end: at most [`LINE_LIMIT`] bytes,
    /// and all lines together at most [`EXCHANGE_LIMIT`].
    pub(crate) async fn line(&mut self, waiting: &'static str) -> Result<String, String> {
        self.waiting = waiting;
        let mut searched = 0;
        loop {
            if let Some(at) = self.buf[searched..].iter().position(|b| *b == b'\n') {
                let end = searched + at;
                if end > LINE_LIMIT {
                    break;
                }
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            searched = self.buf.len();
            if searched > LINE_LIMIT {
                break;
            }
            if self.read >= EXCHANGE_LIMIT {
                self.broken = true;
                return Err(self.fail(&format!(
                    "more than {} KiB of replies",
                    EXCHANGE_LIMIT / 1024
                )));
            }
            let n = self.fill().await.map_err(|e| {
                self.broken = true;
                self.fail(&format!("reading {waiting} failed: {e}"))
            })?;
            if n == 0 {
                self.broken = true;
                return Err(self.fail(&format!("connection closed before {waiting}")));
            }
        }
        self.broken = true;
        Err(self.fail(&format!(
            "a reply line longer than {} KiB (waiting for {waiting})",
            LINE_LIMIT / 1024
        )))
    }

    async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 4096];
        let room = chunk.len().min(EXCHANGE_LIMIT - self.read);
        let n = match &mut self.stream {
            Stream::Plain(s) => s.read(&mut chunk[..room]).await?,
            Stream::Tls(s) => s.read(&mut chunk[..room]).await?,
            Stream::Gone => return Err(io::ErrorKind::NotConnected.into()),
        };
        self.read += n;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// A numbered reply (SMTP, NNTP, FTP): `ddd text`, or `ddd-text` lines
    /// up to the `ddd text` that ends it (FTP's middle lines may be
    /// anything).
    pub(crate) async fn reply(&mut self, waiting: &'static str) -> Result<Reply, String> {
        let first = self.line(waiting).await?;
        let Some((code, more)) = numbered(&first) else {
            self.broken = true;
            return Err(self.fail(&format!(
                "not a {} reply: \"{}\"",
                self.proto,
                shown(&first)
            )));
        };
        let mut lines = vec![first];
        if more {
            loop {
                let line = self.line(waiting).await?;
                let last = matches!(numbered(&line), Some((c, false)) if c == code);
                lines.push(line);
                if last {
                    break;
                }
            }
        }
        Ok(Reply { code, lines })
    }

    /// Ends TLS with a close_notify (a plain connection just closes).
    pub(crate) async fn close(&mut self) {
        if let Stream::Tls(s) = &mut self.stream {
            let _ = s.shutdown().await;
        }
    }
}

/// `220 text` → (220, false); `220-text` → (220, true); else `None`.
fn numbered(line: &str) -> Option<(u16, bool)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3 || !bytes[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = line[..3].parse().ok()?;
    match bytes.get(3) {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        Some(_) => None,
    }
}

/// A numbered reply: its code and its lines, as sent.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) lines: Vec<String>,
}

impl Reply {
    /// The text of each line, after `ddd-` or `ddd `.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.get(4..).unwrap_or(""))
    }

    /// 2xx.
    pub(crate) fn positive(&self) -> bool {
        (200..300).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    /// The first line, shortened: `554 5.3.2 not now`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown(self.lines.first().map_or("", String::as_str)))
    }
}

/// A server's text as a reason shows it: control characters replaced,
/// at most 200 characters.
pub(crate) fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(SHOWN_LIMIT)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(SHOWN_LIMIT).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_lines() {
        assert_eq!(numbered("220 ready"), Some((220, false)));
        assert_eq!(numbered("220-more"), Some((220, true)));
        assert_eq!(numbered("220"), Some((220, false)));
        assert_eq!(numbered("22 x"), None);
        assert_eq!(numbered("2200 x"), None);
        assert_eq!(numbered("HTTP/1.1 400"), None);
        assert_eq!(numbered("+OK"), None);
    }

    #[test]
    fn shown_text_is_short_and_printable() {
        assert_eq!(shown("554 no\tway"), "554 no?way");
        let long = "x".repeat(500);
        assert_eq!(shown(&long).chars().count(), SHOWN_LIMIT + 1);
        assert!(shown(&long).ends_with('…'));
    }
}
