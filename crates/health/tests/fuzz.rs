// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property test of every check's parser of a real's answer (issue 13,
//! section 6): a server on 127.0.0.1 answers each check with a mutant of a
//! real server's answer (`fuzzing`), and the check must come back with a
//! verdict: no panic, no hang past its timeout, no unbounded allocation.
//! TCP kinds get the whole answer at once, then the end of the stream;
//! UDP kinds get one datagram per request (the DNS id and the RADIUS
//! identifier copied from the request, so that the answer is read on).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{check, target};
use health::{check_once, CheckKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

#[global_allocator]
static ALLOCATOR: fuzzing::Counting = fuzzing::Counting;

/// Cases per kind in `cargo test` (each is a connection on loopback, and
/// some wait out the check's timeout): `scripts/fuzz` runs many more.
const CASES: u64 = 40;

/// The check kinds of a configuration, by type, as the daemon gets them.
fn kinds() -> Vec<(String, CheckKind)> {
    let toml = r#"
[[virtual]]
address = "10.0.0.1:1"
check = { type = "http", request = "/", receive = "OK" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:2"
check = { type = "mysql", login = "check", password = "s3cret", database = "app", request = "SELECT 1 FROM up" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:3"
check = { type = "pgsql", login = "check", password = "pw", request = "SELECT 1" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:4"
check = { type = "ldap", login = "cn=check,dc=example,dc=com", password = "s3cret", request = "dc=example,dc=com", receive = "example" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:5"
check = { type = "smtp", login = "check", password = "pw" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:6"
check = { type = "pop", login = "check", password = "pw" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:7"
check = { type = "imap", login = "check", password = "pw" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:8"
check = { type = "nntp", login = "news", password = "x" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:9"
check = { type = "ftp", request = "welcome.msg", receive = "Welcome" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:10"
check = { type = "sip", login = "alice", protocol = "tcp" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:11"
protocol = "udp"
check = { type = "dns", request = "www.example.com", receive = "192.0.2.10" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:12"
protocol = "udp"
check = { type = "radius", login = "check", password = "pw", secret = "s3" }
  [[virtual.real]]
  address = "10.0.0.2:1"
[[virtual]]
address = "10.0.0.1:13"
protocol = "udp"
check = { type = "sip", login = "alice" }
  [[virtual.real]]
  address = "10.0.0.2:1"
"#;
    let dir = std::env::temp_dir().join(format!("health-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kinds.toml");
    std::fs::write(&path, toml).unwrap();
    let loaded = config::load(&[path]).unwrap_or_else(|d| panic!("{d:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    let names = [
        "http", "mysql", "pgsql", "ldap", "smtp", "pop", "imap", "nntp", "ftp", "sip-tcp", "dns",
        "radius", "sip-udp",
    ];
    names
        .iter()
        .zip(loaded.config.virtuals)
        .map(|(n, v)| (n.to_string(), v.check.kind))
        .collect()
}

/// What a real server of each kind answers (the seeds).
fn seeds(name: &str) -> Vec<Vec<u8>> {
    let text = |t: &str| t.as_bytes().to_vec();
    match name {
        "http" => vec![
            text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"),
            text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n"),
            text("HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n"),
        ],
        "mysql" => vec![
            // Greeting (protocol 10, mysql_native_password), OK, a row.
            b"\x4a\x00\x00\x00\x0a8.0.0\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x21\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x01\x01\x17\x00\x00\x02\x03def\x00\x00\x00\x011\x00\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x00\x00\x00\x00\x02\x00\x00\x03\x011\x05\x00\x00\x04\xfe\x00\x00\x02\x00".to_vec(),
            b"\x17\x00\x00\x01\xff\x15\x04#28000Access denied".to_vec(),
        ],
        "pgsql" => vec![
            b"R\x00\x00\x00\x0c\x00\x00\x00\x05salt".to_vec(),
            b"R\x00\x00\x00\x08\x00\x00\x00\x00S\x00\x00\x00\x16server_version\x0016\x00Z\x00\x00\x00\x05IT\x00\x00\x00\x1e\x00\x01?column?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x011C\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05I".to_vec(),
            b"E\x00\x00\x00\x20SFATAL\x00C28P01\x00Mbad password\x00\x00".to_vec(),
        ],
        "ldap" => vec![
            // BindResponse success, SearchResultEntry, SearchResultDone.
            b"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00\x30\x20\x02\x01\x02\x64\x1b\x04\x11dc=example,dc=com\x30\x06\x30\x04\x04\x00\x31\x00\x30\x0c\x02\x01\x02\x65\x07\x0a\x01\x00\x04\x00\x04\x00".to_vec(),
            b"\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00".to_vec(),
        ],
        "smtp" => vec![
            text("220 mail ESMTP\r\n250-mail\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n235 ok\r\n221 bye\r\n"),
            text("554 no\r\n"),
        ],
        "pop" => vec![text("+OK ready\r\n+OK\r\n+OK logged in\r\n+OK bye\r\n"), text("-ERR no\r\n")],
        "imap" => vec![
            text("* OK IMAP4rev1 ready\r\na1 OK LOGIN done\r\n* BYE\r\na2 OK LOGOUT\r\n"),
            text("* PREAUTH hi\r\n"),
        ],
        "nntp" => vec![text("200 news ready\r\n381 more\r\n281 ok\r\n205 bye\r\n")],
        "ftp" => vec![
            text("220 hi\r\n331 pw\r\n230 in\r\n200 binary\r\n227 Entering Passive Mode (127,0,0,1,4,1)\r\n150 here\r\n226 done\r\n221 bye\r\n"),
            text("220-multi\r\n220 line\r\n229 Entering Extended Passive Mode (|||1025|)\r\n"),
        ],
        // One message per datagram, the placeholder Call-ID the server
        // replaces with the request's.
        "sip-udp" => vec![
            text("SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"),
            text("SIP/2.0 404 Not Found\r\nCall-ID: x\r\nl: 3\r\n\r\nabc"),
        ],
        "sip-tcp" => vec![
            text("SIP/2.0 100 Trying\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\nSIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"),
            text("SIP/2.0 404 Not Found\r\ni: x\r\nl: 3\r\n\r\nabc"),
        ],
        "dns" => vec![
            // id, flags QR RD RA, 1 question, 1 answer: www.example.com A 192.0.2.10.
            b"\x00\x00\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x0a".to_vec(),
            b"\x00\x00\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01".to_vec(),
        ],
        "radius" => vec![
            // Access-Accept with a Reply-Message and a Message-Authenticator.
            b"\x02\x00\x00\x2e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x12\x06hey!\x50\x12\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
            b"\x03\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
        ],
        _ => vec![],
    }
}

/// A TCP server that answers every connection with the bytes in `answer`
/// (then closes), reading whatever the check sends meanwhile.
async fn tcp_server(answer: Arc<Mutex<Vec<u8>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let bytes = answer.lock().unwrap().clone();
            tokio::spawn(async move {
                let (mut read, mut write) = stream.into_split();
                tokio::spawn(async move {
                    let mut sink = [0u8; 4096];
                    while matches!(read.read(&mut sink).await, Ok(n) if n > 0) {}
                });
                let _ = write.write_all(&bytes).await;
                let _ = write.shutdown().await;
            });
        }
    });
    addr
}

/// A UDP server answering each datagram with `answer`, its first bytes
/// taken from the request where the kind matches answers to requests.
async fn udp_server(answer: Arc<Mutex<Vec<u8>>>, kind: &'static str) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let mut bytes = answer.lock().unwrap().clone();
            match kind {
                "dns" if n >= 2 && bytes.len() >= 2 => bytes[..2].copy_from_slice(&buf[..2]),
                "radius" if n >= 2 && bytes.len() >= 2 => bytes[1] = buf[1],
                "sip" => bytes = with_call_id(&bytes, &buf[..n]),
                _ => {}
            }
            let _ = socket.send_to(&bytes, peer).await;
        }
    });
    addr
}

/// `answer` with its `Call-ID: x` placeholders made the request's Call-ID
/// (else the check ignores the answer as another call's).
fn with_call_id(answer: &[u8], request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let Some(id) = text.lines().find_map(|l| {
        l.strip_prefix("Call-ID: ")
            .or_else(|| l.strip_prefix("i: "))
    }) else {
        return answer.to_vec();
    };
    let placeholder: &[u8] = b"Call-ID: x\r\n";
    let mut out = Vec::with_capacity(answer.len() + id.len());
    let mut rest = answer;
    while let Some(at) = rest
        .windows(placeholder.len())
        .position(|w| w == placeholder)
    {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(format!("Call-ID: {id}\r\n").as_bytes());
        rest = &rest[at + placeholder.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[test]
fn every_checks_parser_takes_any_answer() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (name, kind) in kinds() {
        let answer = Arc::new(Mutex::new(Vec::new()));
        let addr = runtime.block_on(async {
            match name.as_str() {
                "dns" => udp_server(Arc::clone(&answer), "dns").await,
                "radius" => udp_server(Arc::clone(&answer), "radius").await,
                "sip-udp" => udp_server(Arc::clone(&answer), "sip").await,
                _ => tcp_server(Arc::clone(&answer)).await,
            }
        });
        let mut c = check(kind);
        c.timeout = Duration::from_millis(100);
        let t = target(addr, c);
        let seeds = seeds(&name);
        let seeds: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
        fuzzing::fuzz_cases(&format!("check-{name}"), &seeds, CASES, |input| {
            *answer.lock().unwrap() = input.to_vec();
            let verdict = runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(30), check_once(&t)).await
            });
            assert!(verdict.is_ok(), "{name}: the check outlived its timeout");
        });
    }
}
