// SPDX-License-Identifier: MIT OR Apache-2.0
//! Names: port names (`:www`), and ldirectord's `service=` list with the
//! ports it derives one from.

/// Port names as `/etc/services` (Debian's netbase) gives them, embedded so a
/// file reads the same on every host. Only names, never `tcp`/`udp`: every
/// name here has one port for both.
const PORT_NAMES: &[(&str, u16)] = &[
    ("tcpmux", 1),
    ("echo", 7),
    ("discard", 9),
    ("daytime", 13),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("nicname", 43),
    ("tacacs", 49),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("www-http", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("pop-3", 110),
    ("sunrpc", 111),
    ("portmapper", 111),
    ("auth", 113),
    ("ident", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("netbios-dgm", 138),
    ("netbios-ssn", 139),
    ("imap", 143),
    ("imap2", 143),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("bgp", 179),
    ("irc", 194),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("submissions", 465),
    ("ssmtp", 465),
    ("smtps", 465),
    ("isakmp", 500),
    ("syslog", 514),
    ("printer", 515),
    ("submission", 587),
    ("ldaps", 636),
    ("rsync", 873),
    ("ftps-data", 989),
    ("ftps", 990),
    ("telnets", 992),
    ("imaps", 993),
    ("pop3s", 995),
    ("socks", 1080),
    ("openvpn", 1194),
    ("ms-sql-s", 1433),
    ("ms-sql-m", 1434),
    ("l2tp", 1701),
    ("pptp", 1723),
    ("radius", 1812),
    ("radius-acct", 1813),
    ("nfs", 2049),
    ("mysql", 3306),
    ("ms-wbt-server", 3389),
    ("sip", 5060),
    ("sip-tls", 5061),
    ("xmpp-client", 5222),
    ("xmpp-server", 5269),
    ("postgresql", 5432),
    ("x11", 6000),
    ("http-alt", 8080),
    ("webcache", 8080),
];

/// The port of a port name (`www` → 80).
pub(super) fn port_by_name(name: &str) -> Option<u16> {
    PORT_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, port)| port)
}

/// What `service=` may be, in ldirectord's order.
pub(super) const SERVICES: &[&str] = &[
    "dns",
    "ftp",
    "http",
    "https",
    "http_proxy",
    "imap",
    "imaps",
    "ldap",
    "ldaps",
    "nntp",
    "mysql",
    "none",
    "oracle",
    "pop",
    "pops",
    "radius",
    "pgsql",
    "sip",
    "smtp",
    "submission",
    "simpletcp",
];

/// ldirectord's service for each port (`ld_port_to_service`); `none` for
/// every other port.
const SERVICE_PORTS: &[(&str, u16)] = &[
    ("ftp", 21),
    ("smtp", 25),
    ("dns", 53),
    ("http", 80),
    ("pop", 110),
    ("nntp", 119),
    ("imap", 143),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pops", 995),
    ("oracle", 1521),
    ("radius", 1812),
    ("http_proxy", 3128),
    ("mysql", 3306),
    ("sip", 5060),
    ("pgsql", 5432),
];

/// The service ldirectord assumes for a virtual's port.
pub(super) fn service_of_port(port: u16) -> &'static str {
    SERVICE_PORTS
        .iter()
        .find(|(_, p)| *p == port)
        .map_or("none", |&(s, _)| s)
}

/// The port ldirectord checks for a service when the real server has none
/// (`ld_service_to_port`).
pub(super) fn port_of_service(service: &str) -> Option<u16> {
    SERVICE_PORTS
        .iter()
        .find(|(s, _)| *s == service)
        .map(|&(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_services() {
        assert_eq!(port_by_name("www"), Some(80));
        assert_eq!(port_by_name("domain"), Some(53));
        assert_eq!(port_by_name("mysql"), Some(3306));
        assert_eq!(port_by_name("check_sonda_fd"), None);
        assert_eq!(service_of_port(3306), "mysql");
        assert_eq!(service_of_port(8080), "none");
        assert_eq!(port_of_service("https"), Some(443));
        assert_eq!(port_of_service("none"), None);
        for (name, _) in PORT_NAMES {
            assert_eq!(
                PORT_NAMES.iter().filter(|(n, _)| n == name).count(),
                1,
                "{name}"
            );
        }
    }
}
