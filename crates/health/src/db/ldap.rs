// SPDX-License-Identifier: MIT OR Apache-2.0
//! The LDAP check (ldirectord's `check_ldap`): a simple bind, as `login`
//! or anonymous; a search of the entry `request` names (scope base, filter
//! `(objectClass=*)`, no attributes; the root DSE when `request` is empty);
//! up when it finds exactly that entry and, if `receive` (`receive_regex`)
//! is set, the entry's DN contains (matches) it. ldaps is the same over TLS from the first byte, the
//! certificate not verified (as ldirectord's Net::LDAP does by default).

use std::net::SocketAddr;

use config::model::{LdapCheck, Receive};

use super::ber::{element, integer, length, unsigned, Elements};
use super::{printable, Wire, READ_LIMIT};

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const ENUMERATED: u8 = 0x0a;
const BOOLEAN: u8 = 0x01;
const BIND_REQUEST: u8 = 0x60;
const BIND_RESPONSE: u8 = 0x61;
const UNBIND_REQUEST: u8 = 0x42;
const SEARCH_REQUEST: u8 = 0x63;
const SEARCH_ENTRY: u8 = 0x64;
const SEARCH_DONE: u8 = 0x65;
const SEARCH_REFERENCE: u8 = 0x73;
const EXTENDED_RESPONSE: u8 = 0x78;
/// `simple` authentication, context tag 0.
const SIMPLE: u8 = 0x80;
/// A `present` filter, context tag 7.
const PRESENT: u8 = 0x87;

/// Binds, searches, and is up when the entry is found (and holds `receive`).
pub(crate) async fn check(addr: SocketAddr, l: &LdapCheck, tls: bool) -> Result<String, String> {
    let mut wire = if tls {
        Wire::connect_tls(addr, "LDAPS").await?
    } else {
        Wire::connect(addr, "LDAP").await?
    };
    let (dn, password) = match &l.login {
        Some(dn) => (dn.as_str(), l.password.as_str()),
        None => ("", ""),
    };
    let bind = [
        integer(INTEGER, 3),
        element(OCTET_STRING, dn.as_bytes()),
        element(SIMPLE, password.as_bytes()),
    ]
    .concat();
    wire.send(&message(1, &element(BIND_REQUEST, &bind)))
        .await?;
    let (tag, contents) = read(&mut wire).await?;
    if tag != BIND_RESPONSE {
        return Err(wire.error("unexpected answer to the bind"));
    }
    let who = match &l.login {
        Some(dn) => format!("bind as {dn:?}"),
        None => "anonymous bind".to_string(),
    };
    result(&contents).map_err(|why| wire.error(format!("{who} failed: {why}")))?;

    let search = [
        element(OCTET_STRING, l.request.as_bytes()),
        integer(ENUMERATED, 0), // scope: the base object only
        integer(ENUMERATED, 0), // never dereference aliases
        integer(INTEGER, 2),    // size limit
        integer(INTEGER, 0),    // time limit: the check's timeout is
        element(BOOLEAN, &[0]), // types only: no
        element(PRESENT, b"objectClass"),
        element(SEQUENCE, &element(OCTET_STRING, b"1.1")), // no attributes
    ]
    .concat();
    wire.send(&message(2, &element(SEARCH_REQUEST, &search)))
        .await?;
    let mut found = Vec::new();
    loop {
        let (tag, contents) = read(&mut wire).await?;
        match tag {
            SEARCH_ENTRY => {
                let name = Elements(&contents)
                    .next_element()
                    .filter(|e| e.tag == OCTET_STRING)
                    .ok_or_else(|| wire.error("garbled search entry"))?;
                found.push(String::from_utf8_lossy(name.contents).into_owned());
            }
            SEARCH_REFERENCE => {}
            SEARCH_DONE => {
                result(&contents).map_err(|why| {
                    wire.error(format!("search of {:?} failed: {why}", l.request))
                })?;
                break;
            }
            _ => return Err(wire.error("unexpected answer to the search")),
        }
    }
    // Unbind, best effort.
    let _ = wire.send(&message(3, &[UNBIND_REQUEST, 0])).await;
    let [entry] = found.as_slice() else {
        return Err(wire.error(format!(
            "search of {:?} found {} entries, wanted 1",
            l.request,
            found.len()
        )));
    };
    match &l.receive {
        Some(Receive::Text(wanted)) if !entry.contains(wanted.as_str()) => {
            return Err(wire.error(format!("entry {entry:?} lacks {wanted:?}")));
        }
        Some(Receive::Regex(pattern)) if !pattern.is_match(entry.as_bytes()) => {
            return Err(wire.error(format!(
                "entry {entry:?} does not match {:?}",
                pattern.as_str()
            )));
        }
        _ => {}
    }
    Ok(wire.error(format!("found {entry:?}")))
}

/// An LDAPMessage: `SEQUENCE { messageID, protocolOp }`.
fn message(id: u32, op: &[u8]) -> Vec<u8> {
    element(SEQUENCE, &[integer(INTEGER, id), op.to_vec()].concat())
}

/// Reads one LDAPMessage: its operation's tag and contents.
async fn read(wire: &mut Wire) -> Result<(u8, Vec<u8>), String> {
    let head = wire.take(2).await?;
    let not_ldap = |wire: &Wire, head: &[u8]| {
        wire.error(format!(
            "not an LDAP server (it sent {:?})",
            printable(head)
        ))
    };
    if head[0] != SEQUENCE {
        return Err(not_ldap(wire, &head));
    }
    let mut size = head[1..].to_vec();
    if head[1] & 0x80 != 0 {
        size.extend(wire.take(usize::from(head[1] & 0x7f).min(5)).await?);
    }
    let len = match length(&size) {
        Some((len, _)) if len <= READ_LIMIT => len,
        _ => return Err(not_ldap(wire, &head)),
    };
    let body = wire.take(len).await?;
    let mut parts = Elements(&body);
    let id = parts.next_element().filter(|e| e.tag == INTEGER);
    let (Some(id), Some(op)) = (id, parts.next_element()) else {
        return Err(wire.error("garbled message"));
    };
    if op.tag == EXTENDED_RESPONSE && unsigned(id.contents) == Some(0) {
        // Notice of disconnection.
        let why = result(op.contents).err().unwrap_or_default();
        return Err(wire.error(format!("the server disconnects: {why}")));
    }
    Ok((op.tag, op.contents.to_vec()))
}

/// An LDAPResult: `Ok` for success, else its code's name and the
/// server's message.
fn result(contents: &[u8]) -> Result<(), String> {
    let mut parts = Elements(contents);
    let code = parts
        .next_element()
        .filter(|e| e.tag == ENUMERATED)
        .and_then(|e| unsigned(e.contents))
        .ok_or_else(|| "garbled result".to_string())?;
    if code == 0 {
        return Ok(());
    }
    let _matched = parts.next_element();
    let message = parts
        .next_element()
        .map(|e| printable(e.contents))
        .unwrap_or_default();
    let mut why = format!("{} ({code})", code_name(code));
    if !message.is_empty() {
        why.push_str(": ");
        why.push_str(&message);
    }
    Err(why)
}

/// RFC 4511's names of the result codes a check may meet.
fn code_name(code: u32) -> &'static str {
    match code {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        13 => "confidentialityRequired",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_bind_is_rfc4511s() {
        let bind = [
            integer(INTEGER, 3),
            element(OCTET_STRING, b""),
            element(SIMPLE, b""),
        ]
        .concat();
        assert_eq!(
            message(1, &element(BIND_REQUEST, &bind)),
            b"\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00"
        );
    }

    #[test]
    fn results_read_as_their_names() {
        assert_eq!(result(b"\x0a\x01\x00\x04\x00\x04\x00"), Ok(()));
        assert_eq!(
            result(b"\x0a\x01\x31\x04\x00\x04\x00").unwrap_err(),
            "invalidCredentials (49)"
        );
        assert_eq!(
            result(b"\x0a\x01\x20\x04\x00\x04\x04gone").unwrap_err(),
            "noSuchObject (32): gone"
        );
        assert_eq!(result(b"\x04\x00").unwrap_err(), "garbled result");
    }
}
