// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PostgreSQL check: a protocol 3.0 startup as `login` to `database`, a
//! password by SCRAM-SHA-256 (the default since PostgreSQL 14), md5 or in
//! clear (`password`), then one simple query: up at its first row. No TLS.

use std::net::SocketAddr;

use config::model::SqlCheck;
use ring::rand::{SecureRandom, SystemRandom};

use super::scram::Scram;
use super::{md5, printable, Wire};
use crate::base64::base64_encode;

const PROTOCOL: &str = "PostgreSQL";

/// Protocol 3.0.
const VERSION: u32 = 196_608;
const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// Logs in as `q.login`, runs `q.request`, and is up when it returns a row.
pub(crate) async fn check(addr: SocketAddr, q: &SqlCheck) -> Result<String, String> {
    let mut wire = Wire::connect(addr, PROTOCOL).await?;
    wire.send(&startup(q)).await?;
    authenticate(&mut wire, q).await?;
    ready(&mut wire).await?;
    let mut query = q.request.as_bytes().to_vec();
    query.push(0);
    wire.send(&message(b'Q', &query)).await?;
    let found = first_row(&mut wire).await;
    // Terminate, best effort.
    let _ = wire.send(&message(b'X', &[])).await;
    found
}

/// A message: its type, its length (with itself), its body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 5);
    m.push(tag);
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// The startup message: no type, its length, the version, the parameters.
fn startup(q: &SqlCheck) -> Vec<u8> {
    let mut body = VERSION.to_be_bytes().to_vec();
    let mut parameter = |name: &str, value: &str| {
        for text in [name, value] {
            body.extend_from_slice(text.as_bytes());
            body.push(0);
        }
    };
    parameter("user", &q.login);
    if let Some(database) = &q.database {
        parameter("database", database);
    }
    parameter("application_name", "ipvsctl-check");
    body.push(0);
    let mut m = (body.len() as u32 + 4).to_be_bytes().to_vec();
    m.extend_from_slice(&body);
    m
}

/// Reads one message: its type and body. Bodies are bounded by the read
/// limit as a whole.
async fn read(wire: &mut Wire) -> Result<(u8, Vec<u8>), String> {
    let header = wire.take(5).await?;
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if len < 4 || len - 4 > super::READ_LIMIT || !header[0].is_ascii_alphabetic() {
        return Err(wire.error(format!(
            "not a PostgreSQL server (it sent {:?})",
            printable(&header)
        )));
    }
    Ok((header[0], wire.take(len - 4).await?))
}

/// The answers to the startup, until authentication is done.
async fn authenticate(wire: &mut Wire, q: &SqlCheck) -> Result<(), String> {
    let mut scram = None;
    let mut expected = None;
    // Startup, then at most SASL's three rounds (notices aside).
    let mut rounds = 0;
    loop {
        let (tag, body) = read(wire).await?;
        match tag {
            b'E' => return Err(wire.error(server_error(&body))),
            b'N' => continue,
            b'R' if rounds < 4 => rounds += 1,
            b'R' => return Err(wire.error("the login does not end")),
            _ => {
                return Err(wire.error(format!(
                    "not a PostgreSQL server (message {:?})",
                    char::from(tag)
                )))
            }
        }
        let code = body
            .get(..4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        let data = body.get(4..).unwrap_or(&[]);
        match code {
            Some(0) => {
                if scram.is_some() && expected.is_none() {
                    return Err(wire.error("SCRAM ended without the server's proof"));
                }
                return Ok(());
            }
            Some(3) => {
                let mut password = q.password.as_str().as_bytes().to_vec();
                password.push(0);
                wire.send(&message(b'p', &password)).await?;
            }
            Some(5) => {
                let salt = data
                    .get(..4)
                    .ok_or_else(|| wire.error("garbled md5 request"))?;
                let inner = md5::hex(&md5::digest(
                    format!("{}{}", q.password.as_str(), q.login).as_bytes(),
                ));
                let mut salted = inner.into_bytes();
                salted.extend_from_slice(salt);
                let mut answer = format!("md5{}", md5::hex(&md5::digest(&salted))).into_bytes();
                answer.push(0);
                wire.send(&message(b'p', &answer)).await?;
            }
            Some(10) => {
                let offered: Vec<&[u8]> = data.split(|b| *b == 0).collect();
                if !offered.contains(&SCRAM_SHA_256.as_bytes()) {
                    return Err(wire.error(format!(
                        "the server offers only {} for login",
                        printable(&data.split(|b| *b == 0).collect::<Vec<_>>().join(&b' '))
                    )));
                }
                let (first, state) = Scram::start(&nonce()?);
                let mut body = SCRAM_SHA_256.as_bytes().to_vec();
                body.push(0);
                body.extend_from_slice(&(first.len() as u32).to_be_bytes());
                body.extend_from_slice(first.as_bytes());
                wire.send(&message(b'p', &body)).await?;
                scram = Some(state);
            }
            Some(11) => {
                let state = scram
                    .as_ref()
                    .ok_or_else(|| wire.error("SCRAM challenge out of turn"))?;
                let server_first = String::from_utf8_lossy(data);
                let (last, proof) = state
                    .finish(&server_first, q.password.as_str())
                    .map_err(|e| wire.error(e))?;
                wire.send(&message(b'p', last.as_bytes())).await?;
                expected = Some(proof);
            }
            Some(12) => {
                let proof = expected
                    .as_ref()
                    .ok_or_else(|| wire.error("SCRAM result out of turn"))?;
                proof
                    .verify(&String::from_utf8_lossy(data))
                    .map_err(|e| wire.error(e))?;
            }
            Some(other) => {
                return Err(wire.error(format!(
                    "the server wants login method {other}, which ipvsctl does not do \
                     (it does scram-sha-256, md5 and password)"
                )))
            }
            None => return Err(wire.error("garbled login request")),
        }
    }
}

/// 18 random bytes in base64.
fn nonce() -> Result<String, String> {
    let mut bytes = [0u8; 18];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| format!("{PROTOCOL}: no random numbers for SCRAM"))?;
    Ok(base64_encode(&bytes))
}

/// After the login: parameters and keys, until ReadyForQuery (or the error
/// that the database does not exist, which comes only now).
async fn ready(wire: &mut Wire) -> Result<(), String> {
    loop {
        let (tag, body) = read(wire).await?;
        match tag {
            b'Z' => return Ok(()),
            b'E' => return Err(wire.error(server_error(&body))),
            _ => {}
        }
    }
}

/// The answers to the query, until its first row or the end.
async fn first_row(wire: &mut Wire) -> Result<String, String> {
    let mut failed = None;
    loop {
        let (tag, body) = read(wire).await?;
        match tag {
            b'D' => return Ok(format!("{PROTOCOL}: query returned a row")),
            b'E' => failed = Some(server_error(&body)),
            b'Z' => {
                return Err(wire.error(failed.unwrap_or_else(|| "query returned no rows".into())))
            }
            _ => {} // RowDescription, CommandComplete, EmptyQueryResponse, notices
        }
    }
}

/// An ErrorResponse's message (`password authentication failed for user …`).
fn server_error(body: &[u8]) -> String {
    let message = body
        .split(|b| *b == 0)
        .find_map(|field| field.strip_prefix(b"M"))
        .map(printable)
        .unwrap_or_default();
    if message.is_empty() {
        "error without a message".to_string()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_startup_names_the_user_and_database() {
        let q = SqlCheck {
            login: "check".into(),
            database: Some("app".into()),
            ..SqlCheck::default()
        };
        let m = startup(&q);
        assert_eq!(usize::from(m[3]), m.len());
        assert_eq!(
            &m[4..],
            b"\x00\x03\x00\x00user\0check\0database\0app\0application_name\0ipvsctl-check\0\0"
        );
    }

    #[test]
    fn an_error_reads_as_its_message() {
        let body = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"check\"\0Fauth.c\0\0";
        assert_eq!(
            server_error(body),
            "password authentication failed for user \"check\""
        );
        assert_eq!(server_error(b"\0"), "error without a message");
    }
}
