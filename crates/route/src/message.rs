// SPDX-License-Identifier: MIT OR Apache-2.0
//! The rtnetlink messages: requests built, routes read. Pure.

use std::net::IpAddr;

use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::AddressFamily;

use crate::{Kind, Spec};

/// A request, with the netlink flags it needs besides `NLM_F_REQUEST`.
pub(crate) struct Request {
    /// What is asked.
    pub(crate) message: Message,
    /// `NLM_F_*`.
    pub(crate) flags: u16,
}

/// The three messages we send.
pub(crate) enum Message {
    /// `RTM_NEWROUTE`.
    New(RouteMessage),
    /// `RTM_DELROUTE`.
    Delete(RouteMessage),
    /// `RTM_GETROUTE` (a dump).
    Get(RouteMessage),
}

/// An address family to dump.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

fn header(address: IpAddr, spec: &Spec) -> RouteHeader {
    let (family, length) = match address {
        IpAddr::V4(_) => (AddressFamily::Inet, 32),
        IpAddr::V6(_) => (AddressFamily::Inet6, 128),
    };
    RouteHeader {
        address_family: family,
        destination_prefix_length: length,
        table: table_byte(spec.table),
        protocol: RouteProtocol::from(spec.protocol),
        ..RouteHeader::default()
    }
}

/// The header's table byte: the table itself below 256, else
/// `RT_TABLE_UNSPEC` with the `RTA_TABLE` attribute saying which.
fn table_byte(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC)
}

/// A route message (the type is non-exhaustive: built field by field).
fn route(header: RouteHeader, attributes: Vec<RouteAttribute>) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = header;
    m.attributes = attributes;
    m
}

/// `ip route replace ADDRESS/32 dev lo proto P table T` (or `blackhole`).
pub(crate) fn add(address: IpAddr, spec: &Spec, loopback: u32) -> Request {
    let mut h = header(address, spec);
    let mut attributes = vec![
        RouteAttribute::Destination(RouteAddress::from(address)),
        RouteAttribute::Table(spec.table),
    ];
    match spec.kind {
        Kind::Loopback => {
            h.kind = RouteType::Unicast;
            h.scope = RouteScope::Link;
            attributes.push(RouteAttribute::Oif(loopback));
        }
        Kind::Blackhole => {
            h.kind = RouteType::BlackHole;
            h.scope = RouteScope::Universe;
        }
    }
    Request {
        message: Message::New(route(h, attributes)),
        flags: netlink_packet_core::NLM_F_ACK
            | netlink_packet_core::NLM_F_CREATE
            | netlink_packet_core::NLM_F_REPLACE,
    }
}

/// `ip route del ADDRESS/32 proto P table T`: the kernel deletes only a
/// route of that protocol.
pub(crate) fn remove(address: IpAddr, spec: &Spec) -> Request {
    let mut h = header(address, spec);
    h.scope = RouteScope::NoWhere;
    Request {
        message: Message::Delete(route(
            h,
            vec![
                RouteAttribute::Destination(RouteAddress::from(address)),
                RouteAttribute::Table(spec.table),
            ],
        )),
        flags: netlink_packet_core::NLM_F_ACK,
    }
}

/// Every route of a family.
pub(crate) fn dump(family: Family) -> Request {
    let address_family = match family {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    };
    Request {
        message: Message::Get(route(
            RouteHeader {
                address_family,
                ..RouteHeader::default()
            },
            Vec::new(),
        )),
        flags: netlink_packet_core::NLM_F_DUMP,
    }
}

/// The destination of `route` when it is one of ours: a host route of our
/// protocol in our table.
pub(crate) fn ours(route: &RouteMessage, spec: &Spec) -> Option<IpAddr> {
    if u8::from(route.header.protocol) != spec.protocol {
        return None;
    }
    let table = route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(route.header.table));
    if table != spec.table {
        return None;
    }
    let destination = route.attributes.iter().find_map(|a| match a {
        RouteAttribute::Destination(RouteAddress::Inet(a)) => Some(IpAddr::V4(*a)),
        RouteAttribute::Destination(RouteAddress::Inet6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    })?;
    let host = match destination {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    (route.header.destination_prefix_length == host).then_some(destination)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        protocol: 250,
        table: 254,
        kind: Kind::Loopback,
    };

    fn route_of(request: Request) -> RouteMessage {
        match request.message {
            Message::New(m) | Message::Delete(m) | Message::Get(m) => m,
        }
    }

    #[test]
    fn an_added_route_is_ours_and_others_are_not() {
        let address: IpAddr = "192.0.2.10".parse().unwrap();
        let added = route_of(add(address, &SPEC, 1));
        assert_eq!(ours(&added, &SPEC), Some(address));
        assert_eq!(added.header.kind, RouteType::Unicast);
        assert!(added.attributes.contains(&RouteAttribute::Oif(1)));
        let other_protocol = Spec {
            protocol: 251,
            ..SPEC
        };
        assert_eq!(ours(&added, &other_protocol), None);
        let other_table = Spec { table: 100, ..SPEC };
        assert_eq!(ours(&added, &other_table), None);
    }

    #[test]
    fn a_v6_route_is_a_128_and_a_shorter_prefix_is_not_ours() {
        let address: IpAddr = "2001:db8::10".parse().unwrap();
        let mut added = route_of(add(address, &SPEC, 1));
        assert_eq!(added.header.destination_prefix_length, 128);
        assert_eq!(ours(&added, &SPEC), Some(address));
        added.header.destination_prefix_length = 64;
        assert_eq!(ours(&added, &SPEC), None);
    }

    #[test]
    fn a_table_above_255_goes_in_the_attribute() {
        let spec = Spec {
            table: 1000,
            kind: Kind::Blackhole,
            ..SPEC
        };
        let added = route_of(add("192.0.2.1".parse().unwrap(), &spec, 1));
        assert_eq!(added.header.table, RouteHeader::RT_TABLE_UNSPEC);
        assert_eq!(added.header.kind, RouteType::BlackHole);
        assert!(added.attributes.contains(&RouteAttribute::Table(1000)));
        assert_eq!(ours(&added, &spec), Some("192.0.2.1".parse().unwrap()));
    }
}
