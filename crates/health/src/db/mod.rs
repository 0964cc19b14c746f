// SPDX-License-Identifier: MIT OR Apache-2.0
//! Directory and database checks: log in, ask one question, up on the
//! answer. MySQL/PostgreSQL run the check's query and want a row
//! (ldirectord's `check_mysql`/`check_pgsql`); LDAP binds and reads one
//! entry (`check_ldap`). Hand-written clients of the wire protocols, only
//! as much of them as a check needs: handshake, password authentication,
//! one simple request, the first answer. The hashes come
//! from ring, which the https checks already build (see the crate doc for
//! why no client crate).
//!
//! | file        | job                                                          |
//! |-------------|--------------------------------------------------------------|
//! | `mysql.rs`  | MySQL/MariaDB: handshake v10, native and caching_sha2 logins |
//! | `pgsql.rs`  | PostgreSQL: protocol 3.0 startup, SCRAM-SHA-256/md5/password |
//! | `scram.rs`  | SCRAM-SHA-256 client (RFC 5802/7677) with base64             |
//! | `md5.rs`    | MD5 (RFC 1321), for PostgreSQL's old `md5` password method  |
//! | `ldap.rs`   | LDAP(S): simple bind, a base search, the entry's DN          |
//! | `ber.rs`    | the BER that LDAP messages are written in                    |
//!
//! Every read goes through [`Wire`], which stops after [`READ_LIMIT`] bytes,
//! so a server sending garbage or an endless answer costs a bounded amount;
//! the caller bounds the time.

mod ber;
pub(crate) mod ldap;
pub(crate) mod md5;
pub(crate) mod mysql;
pub(crate) mod pgsql;
mod scram;

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// At most this much is read from a database server in one check: the
/// greeting, the login exchange, the column descriptions and the first row.
pub(crate) const READ_LIMIT: usize = 1024 * 1024;

/// A connection to a database server that counts what it reads, and names
/// its protocol (`MySQL`, `PostgreSQL`) in every error.
pub(crate) struct Wire {
    stream: BufReader<Box<dyn Stream>>,
    read: usize,
    protocol: &'static str,
}

impl Wire {
    /// Connects to `addr`.
    pub(crate) async fn connect(addr: SocketAddr, protocol: &'static str) -> Result<Self, String> {
        let tcp = tcp(addr).await?;
        Ok(Self::over(Box::new(tcp), protocol))
    }

    /// Connects to `addr` with TLS at once (ldaps), the certificate not
    /// verified (as ldirectord's checks and `https` by default).
    pub(crate) async fn connect_tls(
        addr: SocketAddr,
        protocol: &'static str,
    ) -> Result<Self, String> {
        let tcp = tcp(addr).await?;
        let connector = crate::tls::connector(false)?;
        let name = crate::tls::server_name(None, addr.ip());
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        Ok(Self::over(Box::new(stream), protocol))
    }

    fn over(stream: Box<dyn Stream>, protocol: &'static str) -> Self {
        Self {
            stream: BufReader::new(stream),
            read: 0,
            protocol,
        }
    }

    /// `MySQL: {what}`.
    pub(crate) fn error(&self, what: impl std::fmt::Display) -> String {
        format!("{}: {what}", self.protocol)
    }

    /// Reads exactly `n` bytes, within the read limit.
    pub(crate) async fn take(&mut self, n: usize) -> Result<Vec<u8>, String> {
        self.read = self.read.saturating_add(n);
        if self.read > READ_LIMIT {
            return Err(self.error("more than 1 MiB without an answer"));
        }
        let mut buf = vec![0u8; n];
        self.stream
            .read_exact(&mut buf)
            .await
            .map_err(|e| self.io_error(e))?;
        Ok(buf)
    }

    /// Sends `bytes`.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let stream = self.stream.get_mut();
        let sent = async {
            stream.write_all(bytes).await?;
            stream.flush().await // TLS holds what is written until then
        };
        sent.await.map_err(|e| self.io_error(e))
    }

    fn io_error(&self, e: io::Error) -> String {
        match e.kind() {
            io::ErrorKind::UnexpectedEof => self.error("the server closed the connection"),
            io::ErrorKind::ConnectionReset => self.error("the server reset the connection"),
            _ => self.error(e),
        }
    }
}

/// What a check talks over: TCP, or TLS over TCP.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn tcp(addr: SocketAddr) -> Result<TcpStream, String> {
    let tcp = crate::connect::stream_to(addr)
        .await
        .map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => "connect refused".to_string(),
            _ => format!("connect failed: {e}"),
        })?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// Text sent by a server, made printable and cut to a line's length.
pub(crate) fn printable(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if bytes.len() > MAX {
        out.push('…');
    }
    out.trim().to_string()
}

/// `a XOR b`, byte by byte (both the same length).
pub(crate) fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}
