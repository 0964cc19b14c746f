// SPDX-License-Identifier: MIT OR Apache-2.0
//! The MySQL/MariaDB check: the server's greeting (handshake v10), a login
//! with `mysql_native_password` (MariaDB's and MySQL 5's default) or
//! `caching_sha2_password` (MySQL 8's, by its fast path: the server must
//! have the user's hash cached), following an authentication switch, then
//! one `COM_QUERY`: up at its first row. No TLS.

use std::net::SocketAddr;

use config::model::SqlCheck;
use ring::digest;

use super::{printable, xor, Wire};

const PROTOCOL: &str = "MySQL";

const CLIENT_LONG_PASSWORD: u32 = 0x1;
const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_TRANSACTIONS: u32 = 0x2000;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x80000;

/// utf8mb4_general_ci.
const CHARSET: u8 = 45;
const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;

const NATIVE: &str = "mysql_native_password";
const CACHING_SHA2: &str = "caching_sha2_password";

/// Logs in as `q.login`, runs `q.request`, and is up when it returns a row.
pub(crate) async fn check(addr: SocketAddr, q: &SqlCheck) -> Result<String, String> {
    let mut p = Packets {
        wire: Wire::connect(addr, PROTOCOL).await?,
        seq: 0,
    };
    let greeting = p.read().await?;
    let hello = Greeting::parse(&greeting).map_err(|e| p.wire.error(e))?;
    let login = login_packet(q, &hello)?;
    p.write(&login).await?;
    authenticate(&mut p, q, hello).await?;
    p.seq = 0;
    let mut query = vec![COM_QUERY];
    query.extend_from_slice(q.request.as_bytes());
    p.write(&query).await?;
    let found = first_row(&mut p).await;
    // Polite goodbye (the server logs no aborted connection); best effort.
    p.seq = 0;
    let _ = p.write(&[COM_QUIT]).await;
    found
}

/// Packets: 3 bytes of length, a sequence number, the payload.
struct Packets {
    wire: Wire,
    seq: u8,
}

impl Packets {
    async fn read(&mut self) -> Result<Vec<u8>, String> {
        let header = self.wire.take(4).await?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        self.seq = header[3].wrapping_add(1);
        self.wire.take(len).await
    }

    async fn write(&mut self, payload: &[u8]) -> Result<(), String> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|l| *l < 0xff_ffff)
            .ok_or_else(|| self.wire.error("query too long"))?;
        let mut packet = Vec::with_capacity(payload.len() + 4);
        packet.extend_from_slice(&len.to_le_bytes()[..3]);
        packet.push(self.seq);
        packet.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self.wire.send(&packet).await
    }
}

/// What the greeting tells a client.
#[derive(Debug, PartialEq)]
struct Greeting {
    capabilities: u32,
    /// The scramble (20 bytes from current servers).
    nonce: Vec<u8>,
    plugin: String,
}

impl Greeting {
    fn parse(b: &[u8]) -> Result<Self, String> {
        match b.first() {
            Some(0xff) => return Err(server_error(b)),
            Some(10) => {}
            _ => {
                return Err(format!(
                    "not a MySQL server (its greeting starts {:?})",
                    printable(&b[..b.len().min(16)])
                ))
            }
        }
        let garbled = || "not a MySQL server (garbled greeting)".to_string();
        let mut r = Reader(&b[1..]);
        let _version = r.cstring().ok_or_else(garbled)?;
        let _connection = r.bytes(4).ok_or_else(garbled)?;
        let mut nonce = r.bytes(8).ok_or_else(garbled)?.to_vec();
        let _filler = r.bytes(1).ok_or_else(garbled)?;
        let low = r.bytes(2).ok_or_else(garbled)?;
        let mut capabilities = u32::from(u16::from_le_bytes([low[0], low[1]]));
        let mut plugin = NATIVE.to_string();
        if let Some(rest) = r.bytes(16) {
            // charset 1, status 2, capabilities' high half 2, scramble length 1, reserved 10.
            capabilities |= u32::from(u16::from_le_bytes([rest[3], rest[4]])) << 16;
            let scramble_len = usize::from(rest[5]);
            if capabilities & CLIENT_SECURE_CONNECTION != 0 {
                let len = scramble_len.saturating_sub(8).max(13);
                let part = r.bytes(len).or_else(|| Some(r.rest())).unwrap_or(&[]);
                nonce.extend_from_slice(part.strip_suffix(&[0]).unwrap_or(part));
            }
            if capabilities & CLIENT_PLUGIN_AUTH != 0 {
                let name = r.cstring().unwrap_or_else(|| r.rest());
                if !name.is_empty() {
                    plugin = String::from_utf8_lossy(name).into_owned();
                }
            }
        }
        if capabilities & CLIENT_PROTOCOL_41 == 0 || capabilities & CLIENT_SECURE_CONNECTION == 0 {
            return Err("the server speaks only the pre-4.1 protocol".to_string());
        }
        Ok(Self {
            capabilities,
            nonce,
            plugin,
        })
    }
}

/// HandshakeResponse41.
fn login_packet(q: &SqlCheck, hello: &Greeting) -> Result<Vec<u8>, String> {
    let mut wanted = CLIENT_LONG_PASSWORD
        | CLIENT_PROTOCOL_41
        | CLIENT_TRANSACTIONS
        | CLIENT_SECURE_CONNECTION
        | CLIENT_PLUGIN_AUTH;
    if q.database.is_some() {
        wanted |= CLIENT_CONNECT_WITH_DB;
    }
    let capabilities = wanted & hello.capabilities;
    let auth = scramble(&hello.plugin, q.password.as_str(), &hello.nonce)?;
    let mut b = Vec::with_capacity(64 + q.login.len() + auth.len());
    b.extend_from_slice(&capabilities.to_le_bytes());
    b.extend_from_slice(&(16u32 << 20).to_le_bytes());
    b.push(CHARSET);
    b.extend_from_slice(&[0; 23]);
    b.extend_from_slice(q.login.as_bytes());
    b.push(0);
    // At most 32 bytes: the length fits one byte.
    b.push(auth.len() as u8);
    b.extend_from_slice(&auth);
    if capabilities & CLIENT_CONNECT_WITH_DB != 0 {
        b.extend_from_slice(q.database.as_deref().unwrap_or("").as_bytes());
        b.push(0);
    }
    if capabilities & CLIENT_PLUGIN_AUTH != 0 {
        b.extend_from_slice(hello.plugin.as_bytes());
        b.push(0);
    }
    Ok(b)
}

/// Reads the server's answers to the login until it is accepted.
async fn authenticate(p: &mut Packets, q: &SqlCheck, hello: Greeting) -> Result<(), String> {
    let mut plugin = hello.plugin;
    // A server switches method at most once, and caching_sha2 adds a round.
    for _ in 0..4 {
        let answer = p.read().await?;
        match answer.first() {
            Some(0x00) => return Ok(()),
            Some(0xff) => return Err(p.wire.error(server_error(&answer))),
            Some(0xfe) => {
                // Authentication switch: another method, with a new scramble.
                let mut r = Reader(&answer[1..]);
                let Some(name) = r.cstring() else {
                    return Err(p.wire.error("the server wants the pre-4.1 password method"));
                };
                plugin = String::from_utf8_lossy(name).into_owned();
                let data = r.rest();
                let nonce = data.strip_suffix(&[0]).unwrap_or(data);
                let auth = scramble(&plugin, q.password.as_str(), nonce)?;
                p.write(&auth).await?;
            }
            Some(0x01) if plugin == CACHING_SHA2 => match answer.get(1) {
                Some(3) => {} // fast authentication succeeded: an OK follows
                Some(4) => {
                    return Err(p.wire.error(
                        "caching_sha2_password wants its full authentication (over TLS or \
                         with the server's RSA key), which ipvsctl does not do: give the check \
                         user mysql_native_password",
                    ))
                }
                _ => return Err(p.wire.error("garbled caching_sha2_password answer")),
            },
            _ => {
                return Err(p.wire.error(format!(
                    "unexpected answer to the login: {:?}",
                    printable(&answer)
                )))
            }
        }
    }
    Err(p.wire.error("the login does not end"))
}

/// The scrambled password for `plugin`.
fn scramble(plugin: &str, password: &str, nonce: &[u8]) -> Result<Vec<u8>, String> {
    if password.is_empty() {
        return Ok(Vec::new());
    }
    let hash = |algorithm, parts: &[&[u8]]| {
        let mut context = digest::Context::new(algorithm);
        for part in parts {
            context.update(part);
        }
        context.finish()
    };
    match plugin {
        NATIVE => {
            // SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))
            let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
            let once = hash(sha1, &[password.as_bytes()]);
            let twice = hash(sha1, &[once.as_ref()]);
            let mix = hash(sha1, &[&nonce[..nonce.len().min(20)], twice.as_ref()]);
            Ok(xor(once.as_ref(), mix.as_ref()))
        }
        CACHING_SHA2 => {
            // SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)
            let once = hash(&digest::SHA256, &[password.as_bytes()]);
            let twice = hash(&digest::SHA256, &[once.as_ref()]);
            let mix = hash(&digest::SHA256, &[twice.as_ref(), nonce]);
            Ok(xor(once.as_ref(), mix.as_ref()))
        }
        other => Err(format!(
            "{PROTOCOL}: the server wants the login method {other}; ipvsctl does \
             {NATIVE} and {CACHING_SHA2}"
        )),
    }
}

/// The answer to the query: an error, no result set, or columns then rows.
async fn first_row(p: &mut Packets) -> Result<String, String> {
    let head = p.read().await?;
    let columns = match head.first() {
        Some(0xff) => return Err(p.wire.error(server_error(&head))),
        Some(0x00) => return Err(p.wire.error("query returned no rows (no result set)")),
        Some(0xfb) => return Err(p.wire.error("the query asks for a local file")),
        _ => Reader(&head)
            .lenenc()
            .ok_or_else(|| p.wire.error("garbled answer to the query"))?,
    };
    for _ in 0..columns {
        let column = p.read().await?;
        if column.first() == Some(&0xff) {
            return Err(p.wire.error(server_error(&column)));
        }
    }
    let eof = p.read().await?;
    if !is_eof(&eof) {
        return Err(p.wire.error("garbled answer to the query"));
    }
    let row = p.read().await?;
    match row.first() {
        Some(0xff) => Err(p.wire.error(server_error(&row))),
        _ if is_eof(&row) => Err(p.wire.error("query returned no rows")),
        _ => Ok(format!("{PROTOCOL}: query returned a row")),
    }
}

/// An EOF packet: 0xfe and at most 8 bytes (a row can start with 0xfe only
/// when it is far longer).
fn is_eof(b: &[u8]) -> bool {
    b.first() == Some(&0xfe) && b.len() < 9
}

/// An ERR packet's message (`Access denied for user 'check'@'localhost' …`).
fn server_error(b: &[u8]) -> String {
    let rest = b.get(3..).unwrap_or(&[]);
    // `#` and a five-character SQL state, when there is one.
    let message = match rest.first() {
        Some(b'#') => rest.get(6..).unwrap_or(&[]),
        _ => rest,
    };
    let text = printable(message);
    if text.is_empty() {
        let code = b.get(1..3).map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
        format!("error {code}")
    } else {
        text
    }
}

/// Reads fields off a payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = tail;
        Some(head)
    }

    fn cstring(&mut self) -> Option<&'a [u8]> {
        let end = self.0.iter().position(|b| *b == 0)?;
        let text = &self.0[..end];
        self.0 = &self.0[end + 1..];
        Some(text)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    /// A length-encoded integer.
    fn lenenc(&mut self) -> Option<u64> {
        let first = *self.bytes(1)?.first()?;
        let n = match first {
            0..=0xfa => return Some(u64::from(first)),
            0xfc => 2,
            0xfd => 3,
            0xfe => 8,
            _ => return None,
        };
        let mut le = [0u8; 8];
        le[..n].copy_from_slice(self.bytes(n)?);
        Some(u64::from_le_bytes(le))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_greeting_gives_the_scramble_and_the_method() {
        let mut g = vec![10];
        g.extend_from_slice(b"11.8.3-MariaDB\0");
        g.extend_from_slice(&[1, 0, 0, 0]);
        g.extend_from_slice(b"abcdefgh\0");
        g.extend_from_slice(&0xf7feu16.to_le_bytes());
        g.extend_from_slice(&[45, 2, 0]);
        g.extend_from_slice(&0x81bfu16.to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(b"ijklmnopqrst\0");
        g.extend_from_slice(b"mysql_native_password\0");
        let hello = Greeting::parse(&g).unwrap();
        assert_eq!(hello.nonce, b"abcdefghijklmnopqrst");
        assert_eq!(hello.plugin, NATIVE);
        assert!(hello.capabilities & CLIENT_PLUGIN_AUTH != 0);
    }

    #[test]
    fn garbage_is_not_a_greeting() {
        for bytes in [&b"HTTP/1.1 400 Bad"[..], &[10, b'x'], &[], &[10]] {
            assert!(Greeting::parse(bytes).is_err(), "{bytes:?}");
        }
        assert_eq!(
            Greeting::parse(b"\xff\x69\x04Host '10.0.0.9' is blocked").unwrap_err(),
            "Host '10.0.0.9' is blocked"
        );
    }

    #[test]
    fn native_password_scramble_is_mysqls() {
        let nonce =
            b"\x3a\x07\x4c\x1a\x2a\x5d\x29\x65\x3c\x39\x6f\x46\x2f\x46\x3e\x51\x6b\x42\x59\x21";
        let auth = scramble(NATIVE, "secret", nonce).unwrap();
        assert_eq!(auth.len(), 20);
        // XOR-ing back with the mix recovers SHA1(password).
        let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
        let once = digest::digest(sha1, b"secret");
        let twice = digest::digest(sha1, once.as_ref());
        let mut c = digest::Context::new(sha1);
        c.update(nonce);
        c.update(twice.as_ref());
        assert_eq!(xor(&auth, c.finish().as_ref()), once.as_ref());
        assert!(scramble(NATIVE, "", nonce).unwrap().is_empty());
        assert!(scramble("client_ed25519", "x", nonce).is_err());
    }

    #[test]
    fn error_packets_read_as_their_message() {
        let mut b = vec![0xff, 0x15, 0x04, b'#'];
        b.extend_from_slice(
            b"28000Access denied for user 'check'@'localhost' (using password: YES)",
        );
        assert_eq!(
            server_error(&b),
            "Access denied for user 'check'@'localhost' (using password: YES)"
        );
        assert_eq!(server_error(&[0xff, 0x15, 0x04]), "error 1045");
    }

    #[test]
    fn length_encoded_integers() {
        assert_eq!(Reader(&[5]).lenenc(), Some(5));
        assert_eq!(Reader(&[0xfc, 0x10, 0x27]).lenenc(), Some(10_000));
        assert_eq!(Reader(&[0xfc, 0x10]).lenenc(), None);
        assert_eq!(Reader(&[0xff]).lenenc(), None);
        assert!(is_eof(&[0xfe, 0, 0, 2, 0]));
        assert!(!is_eof(&[0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    }
}
