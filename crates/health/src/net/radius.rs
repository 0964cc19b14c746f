// SPDX-License-Identifier: MIT OR Apache-2.0
//! RADIUS: an Access-Request for `login` with `password`, up on an
//! Access-Accept (ldirectord's `check_radius`, which asks Authen::Radius's
//! `check_pwd`).
//!
//! The request (RFC 2865) holds, in this order: Message-Authenticator
//! (RFC 3579, first, as the BlastRADIUS advisory asks; servers that
//! require it get it), User-Name, User-Password (hidden with the secret and
//! the request authenticator, MD5 chained over 16-byte blocks), and
//! NAS-IP-Address (NAS-IPv6-Address over IPv6): the check's own source
//! address, as `check_pwd` sends. The same datagram is sent again at a
//! third and two thirds of the timeout (same ID and authenticator, as
//! RFC 5080 asks; a server answers a duplicate from its cache).
//!
//! The answer must carry the request's ID and a response authenticator
//! made with the secret (and, when it has a Message-Authenticator, a good
//! one): otherwise the check fails, as does an Access-Reject (with its
//! Reply-Message), an Access-Challenge, or no answer in time. A server
//! given the wrong secret either answers with an authenticator that does
//! not match or, seeing a bad Message-Authenticator, drops the request
//! (FreeRADIUS does): "no answer".

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use config::model::RadiusCheck;
use tokio::time::Instant;

use super::{datagram_error, random, udp_connect};
use crate::db::md5;
use crate::probe::timeout_text;

const ACCESS_REQUEST: u8 = 1;
const ACCESS_ACCEPT: u8 = 2;
const ACCESS_REJECT: u8 = 3;
const ACCESS_CHALLENGE: u8 = 11;

const USER_NAME: u8 = 1;
const USER_PASSWORD: u8 = 2;
const NAS_IP_ADDRESS: u8 = 4;
const REPLY_MESSAGE: u8 = 18;
const MESSAGE_AUTHENTICATOR: u8 = 80;
const NAS_IPV6_ADDRESS: u8 = 95;

/// The largest RADIUS packet (RFC 2865 §3).
const MAX_PACKET: usize = 4096;
/// How many times the request is sent within the timeout.
const SENDS: u32 = 3;

/// One check; `Ok("RADIUS: Access-Accept")` or the reason it failed.
pub(crate) async fn check(
    addr: SocketAddr,
    r: &RadiusCheck,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let said = |why: String| format!("RADIUS: {why}");
    let exchange = async {
        let socket = udp_connect(addr)
            .await
            .map_err(|e| said(datagram_error(&e, addr)))?;
        let local = socket.local_addr().map_err(|e| said(e.to_string()))?;
        let [id] = random::<1>().map_err(said)?;
        let authenticator = random::<16>().map_err(said)?;
        let request = access_request(r, id, &authenticator, local.ip())
            .ok_or_else(|| said("login or password too long for one packet".to_string()))?;
        let mut buf = vec![0u8; MAX_PACKET];
        let mut sends = 0;
        loop {
            if sends < SENDS {
                socket
                    .send(&request)
                    .await
                    .map_err(|e| said(datagram_error(&e, addr)))?;
                sends += 1;
            }
            let resend = Instant::now() + timeout / SENDS;
            let received = if sends < SENDS {
                tokio::time::timeout_at(resend, socket.recv(&mut buf)).await
            } else {
                Ok(socket.recv(&mut buf).await)
            };
            let Ok(received) = received else {
                continue; // time to send again
            };
            let n = received.map_err(|e| said(datagram_error(&e, addr)))?;
            return answer(&buf[..n], id, &authenticator, r).map_err(said);
        }
    };
    tokio::time::timeout_at(deadline, exchange)
        .await
        .unwrap_or_else(|_| Err(said(format!("no answer within {}", timeout_text(timeout)))))
}

/// The Access-Request datagram; `None` when it would not fit in a packet.
fn access_request(
    r: &RadiusCheck,
    id: u8,
    authenticator: &[u8; 16],
    nas: IpAddr,
) -> Option<Vec<u8>> {
    let mut packet = vec![ACCESS_REQUEST, id, 0, 0];
    packet.extend_from_slice(authenticator);
    attribute(&mut packet, MESSAGE_AUTHENTICATOR, &[0; 16])?;
    attribute(&mut packet, USER_NAME, r.login.as_bytes())?;
    let hidden = hide_password(
        r.password.as_str().as_bytes(),
        r.secret.as_bytes(),
        authenticator,
    )?;
    attribute(&mut packet, USER_PASSWORD, &hidden)?;
    match nas {
        IpAddr::V4(v4) => attribute(&mut packet, NAS_IP_ADDRESS, &v4.octets())?,
        IpAddr::V6(v6) => attribute(&mut packet, NAS_IPV6_ADDRESS, &v6.octets())?,
    }
    let length = u16::try_from(packet.len())
        .ok()
        .filter(|l| usize::from(*l) <= MAX_PACKET)?;
    packet[2..4].copy_from_slice(&length.to_be_bytes());
    // Message-Authenticator: HMAC-MD5 of the packet with its own value zero.
    let mac = hmac_md5(r.secret.as_bytes(), &packet);
    packet[22..38].copy_from_slice(&mac);
    Some(packet)
}

fn attribute(packet: &mut Vec<u8>, kind: u8, value: &[u8]) -> Option<()> {
    let length = u8::try_from(value.len() + 2).ok()?;
    packet.extend_from_slice(&[kind, length]);
    packet.extend_from_slice(value);
    Some(())
}

/// User-Password (RFC 2865 §5.2): the password padded with zeros to a
/// multiple of 16 bytes (at most 128), each block XORed with
/// MD5(secret + the previous hidden block), the first with
/// MD5(secret + request authenticator).
fn hide_password(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Option<Vec<u8>> {
    if password.len() > 128 {
        return None;
    }
    let blocks = password.len().div_ceil(16).max(1);
    let mut hidden = password.to_vec();
    hidden.resize(blocks * 16, 0);
    let mut previous: [u8; 16] = *authenticator;
    for block in hidden.chunks_exact_mut(16) {
        let mut input = secret.to_vec();
        input.extend_from_slice(&previous);
        let key = md5::digest(&input);
        for (byte, k) in block.iter_mut().zip(key) {
            *byte ^= k;
        }
        previous.copy_from_slice(block);
    }
    Some(hidden)
}

/// HMAC-MD5 (RFC 2104).
fn hmac_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..16].copy_from_slice(&md5::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(message);
    let mut outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&md5::digest(&inner));
    md5::digest(&outer)
}

/// What the answer says.
fn answer(
    packet: &[u8],
    id: u8,
    request_authenticator: &[u8; 16],
    r: &RadiusCheck,
) -> Result<String, String> {
    let not_radius = || {
        format!(
            "not a RADIUS answer: {}",
            crate::db::printable(&packet[..packet.len().min(40)])
        )
    };
    if packet.len() < 20 {
        return Err(not_radius());
    }
    let length = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    if !(20..=packet.len()).contains(&length) {
        return Err(not_radius());
    }
    let packet = &packet[..length]; // what follows is padding (RFC 2865 §3)
    if packet[1] != id {
        return Err(format!(
            "reply ID {} does not match request ID {id}",
            packet[1]
        ));
    }
    // Response authenticator: MD5(code, id, length, request authenticator,
    // attributes, secret).
    let mut signed = packet[..4].to_vec();
    signed.extend_from_slice(request_authenticator);
    signed.extend_from_slice(&packet[20..]);
    signed.extend_from_slice(r.secret.as_bytes());
    if md5::digest(&signed) != packet[4..20] {
        return Err("bad response authenticator (wrong secret?)".to_string());
    }
    let attributes = attributes(&packet[20..]).ok_or_else(not_radius)?;
    if let Some(at) = attributes
        .iter()
        .position(|(kind, _)| *kind == MESSAGE_AUTHENTICATOR)
    {
        if !good_message_authenticator(packet, request_authenticator, r, at, &attributes) {
            return Err("bad Message-Authenticator in the answer (wrong secret?)".to_string());
        }
    }
    let reply_message: Vec<String> = attributes
        .iter()
        .filter(|(kind, _)| *kind == REPLY_MESSAGE)
        .map(|(_, value)| crate::db::printable(value))
        .collect();
    let with_message = |what: String| {
        if reply_message.is_empty() {
            what
        } else {
            format!("{what}: {}", reply_message.join(" "))
        }
    };
    match packet[0] {
        ACCESS_ACCEPT => Ok("RADIUS: Access-Accept".to_string()),
        ACCESS_REJECT => Err(with_message(format!(
            "Access-Reject for user '{}'",
            r.login
        ))),
        ACCESS_CHALLENGE => Err(with_message(format!(
            "Access-Challenge for user '{}' (a check cannot answer one)",
            r.login
        ))),
        code => Err(format!("unexpected answer code {code}")),
    }
}

/// The attributes as (type, value); `None` when their lengths do not add up.
fn attributes(mut bytes: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [kind, length, ..] = *bytes else {
            return None;
        };
        let length = usize::from(length);
        if length < 2 || length > bytes.len() {
            return None;
        }
        out.push((kind, &bytes[2..length]));
        bytes = &bytes[length..];
    }
    Some(out)
}

/// The answer's Message-Authenticator (the `at`-th attribute) is the
/// HMAC-MD5 of the answer with the request authenticator in its header and
/// its own value zero.
fn good_message_authenticator(
    packet: &[u8],
    request_authenticator: &[u8; 16],
    r: &RadiusCheck,
    at: usize,
    attributes: &[(u8, &[u8])],
) -> bool {
    let value = attributes[at].1;
    if value.len() != 16 {
        return false;
    }
    let offset = value.as_ptr() as usize - packet.as_ptr() as usize;
    let mut copy = packet.to_vec();
    copy[4..20].copy_from_slice(request_authenticator);
    copy[offset..offset + 16].fill(0);
    hmac_md5(r.secret.as_bytes(), &copy) == value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(login: &str, password: &str, secret: &str) -> RadiusCheck {
        RadiusCheck {
            login: login.into(),
            password: password.into(),
            secret: secret.into(),
        }
    }

    #[test]
    fn hmac_md5_rfc2202() {
        assert_eq!(
            md5::hex(&hmac_md5(b"Jefe", b"what do ya want for nothing?")),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            md5::hex(&hmac_md5(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }

    #[test]
    fn password_hiding_round_trips_and_chains_blocks() {
        let auth = [7u8; 16];
        let hidden = hide_password(b"a password longer than 16", b"s3", &auth).unwrap();
        assert_eq!(hidden.len(), 32);
        // Undo it as a server does.
        let mut plain = Vec::new();
        let mut previous = auth.to_vec();
        for block in hidden.chunks(16) {
            let key = md5::digest(&[b"s3".as_slice(), &previous].concat());
            plain.extend(block.iter().zip(key).map(|(b, k)| b ^ k));
            previous = block.to_vec();
        }
        assert_eq!(&plain[..25], b"a password longer than 16");
        assert!(plain[25..].iter().all(|b| *b == 0));
        assert_eq!(hide_password(b"", b"s", &auth).unwrap().len(), 16);
        assert!(hide_password(&[b'x'; 129], b"s", &auth).is_none());
    }

    /// An answer as a server with `secret` would sign it.
    fn signed(code: u8, id: u8, auth: &[u8; 16], attrs: &[u8], secret: &str) -> Vec<u8> {
        let mut p = vec![code, id];
        p.extend_from_slice(&u16::try_from(20 + attrs.len()).unwrap().to_be_bytes());
        p.extend_from_slice(auth);
        p.extend_from_slice(attrs);
        p.extend_from_slice(secret.as_bytes());
        let digest = md5::digest(&p);
        p.truncate(20 + attrs.len());
        p[4..20].copy_from_slice(&digest);
        p
    }

    #[test]
    fn answers_are_judged() {
        let auth = [9u8; 16];
        let r = check("check", "pw", "s3");
        assert_eq!(
            answer(&signed(2, 5, &auth, &[], "s3"), 5, &auth, &r),
            Ok("RADIUS: Access-Accept".to_string())
        );
        let reply = [&[18u8, 7][..], b"nope!"].concat();
        assert_eq!(
            answer(&signed(3, 5, &auth, &reply, "s3"), 5, &auth, &r),
            Err("Access-Reject for user 'check': nope!".to_string())
        );
        assert_eq!(
            answer(&signed(2, 5, &auth, &[], "other"), 5, &auth, &r),
            Err("bad response authenticator (wrong secret?)".to_string())
        );
        assert_eq!(
            answer(&signed(2, 6, &auth, &[], "s3"), 5, &auth, &r),
            Err("reply ID 6 does not match request ID 5".to_string())
        );
        assert_eq!(
            answer(b"HTTP/1.1 400 Bad Request\r\n", 5, &auth, &r),
            Err("not a RADIUS answer: HTTP/1.1 400 Bad Request".to_string())
        );
        // Attributes whose lengths overrun the packet.
        assert!(answer(&signed(2, 5, &auth, &[18, 9, b'x'], "s3"), 5, &auth, &r).is_err());
    }

    #[test]
    fn the_request_carries_a_good_message_authenticator() {
        let auth = [3u8; 16];
        let r = check("check", "pw", "s3");
        let p = access_request(&r, 42, &auth, "127.0.0.1".parse().unwrap()).unwrap();
        assert_eq!((p[0], p[1]), (ACCESS_REQUEST, 42));
        assert_eq!(usize::from(u16::from_be_bytes([p[2], p[3]])), p.len());
        let attrs = attributes(&p[20..]).unwrap();
        let kinds: Vec<u8> = attrs.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                MESSAGE_AUTHENTICATOR,
                USER_NAME,
                USER_PASSWORD,
                NAS_IP_ADDRESS
            ]
        );
        let mut zeroed = p.clone();
        zeroed[22..38].fill(0);
        assert_eq!(hmac_md5(b"s3", &zeroed), p[22..38]);
    }
}
