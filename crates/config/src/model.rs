// SPDX-License-Identifier: MIT OR Apache-2.0
//! The checked configuration: what the operator declared, with every default
//! filled in. Nothing here can be invalid.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::http_values::{Pattern, StatusCodes};
pub use crate::secret::Secret;
use crate::source::Location;

/// The whole desired state, from one or more files.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The connection-sync daemon, if any file sets one.
    pub sync: Option<Sync>,
    /// Remove the managed services when the daemon stops (`cleanstop`).
    pub cleanstop: bool,
    /// The daemon's control socket (`[control]`).
    pub control: ControlSocket,
    /// Every virtual service, in file order.
    pub virtuals: Vec<Virtual>,
    /// `[[hook]]`: commands run on events of any virtual (and of the
    /// daemon itself), in file order.
    pub hooks: Vec<Hook>,
    /// `[defaults] hooks_max_running`: how many hook commands may run at
    /// once.
    pub hooks_max_running: usize,
    /// Reload when a configuration file changes (`autoreload`; `run` only).
    pub autoreload: bool,
    /// `[defaults] resync`: how often `run` re-reads the table and restores
    /// the declared state of the services it manages; `None` when off.
    pub resync: Option<Duration>,
    /// `[timeouts]`: the kernel's connection timeouts.
    pub timeouts: Timeouts,
    /// `[kernel]`: the namespace's IPVS sysctls.
    pub kernel: Kernel,
    /// The Prometheus endpoint (`[metrics]`), if any file sets one.
    pub metrics: Option<Metrics>,
    /// `[announce]`: announce the virtual addresses by a route a routing
    /// daemon (BIRD) learns, while they are served; `None` when no file has
    /// the section.
    pub announce: Option<Announce>,
}

/// The routing protocol number of announced routes unless `[announce]
/// protocol` says otherwise: unassigned in iproute2's `rt_protos` (so no
/// routing daemon or distribution script owns it) and easy to spot in
/// `ip route show proto 250`.
pub const DEFAULT_ANNOUNCE_PROTOCOL: u8 = 250;

/// The main routing table.
pub const MAIN_TABLE: u32 = 254;

/// `[announce]`: how the daemon announces a virtual address while at least
/// one of its reals is up. Each announced address is a host route (`/32`,
/// `/128`) in `table` marked with `protocol`; BIRD's `kernel` protocol
/// (`learn`) imports it and BGP exports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announce {
    /// `protocol`: the route's protocol number (`ip route … proto N`).
    pub protocol: u8,
    /// `table`: the routing table (254, main).
    pub table: u32,
    /// `route_type`: `unicast` (`dev lo`) or `blackhole`.
    pub route_type: RouteType,
    /// `with_fallback`: a virtual whose fallback alone is in counts as
    /// served (announced); off by default, so that the directors that can
    /// reach reals take the traffic.
    pub with_fallback: bool,
    /// `hold_down`: after start, announce no sooner than this, on top of
    /// every real's first check.
    pub hold_down: Duration,
}

/// What an announced route is, in `ip route`'s words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteType {
    /// `ip route add VIP/32 dev lo proto N`.
    Unicast,
    /// `ip route add blackhole VIP/32 proto N`.
    Blackhole,
}

/// `[timeouts]`: the kernel's connection timeouts (`ipvsadm --set`,
/// keepalived's `lvs_timeouts`), in whole seconds; one left out keeps the
/// kernel's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Established TCP connections (`tcp`).
    pub tcp: Option<Duration>,
    /// TCP connections after a FIN (`tcpfin`).
    pub tcp_fin: Option<Duration>,
    /// UDP (`udp`).
    pub udp: Option<Duration>,
}

/// `[kernel]`: the network namespace's IPVS sysctls
/// (`net.ipv4.vs.*`); one left out keeps the kernel's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kernel {
    /// `expire_nodest_conn`: drop a removed real's connections at their
    /// next packet.
    pub expire_nodest_conn: Option<bool>,
    /// `expire_quiescent_template`: expire the persistence templates of a
    /// real of weight 0.
    pub expire_quiescent_template: Option<bool>,
    /// `conn_reuse_mode`, 0 to 3 (a bitmap).
    pub conn_reuse_mode: Option<u8>,
    /// `sloppy_tcp`: TCP entries from any packet, not only a SYN.
    pub sloppy_tcp: Option<bool>,
    /// `sloppy_sctp`: SCTP entries from any packet, not only an INIT.
    pub sloppy_sctp: Option<bool>,
}

/// The default of `[defaults] resync`.
pub const DEFAULT_RESYNC: Duration = Duration::from_secs(30);

/// The default of `hooks_max_running`.
pub const DEFAULT_HOOKS_MAX_RUNNING: usize = 4;

/// The default time a hook may run before it is killed.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// What a hook may be run on. Their names (`real-down`, …) are the
/// values of `IPVSCTL_EVENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// A real passed its checks: in the table again.
    RealUp,
    /// A real failed its checks: out (or weight 0 when quiescent).
    RealDown,
    /// An operator drained a real (weight 0, connections go on).
    RealDrained,
    /// An operator took a real out.
    RealDisabled,
    /// An operator put a real back under its checks.
    RealEnabled,
    /// An operator set a real's weight.
    RealWeight,
    /// No real of a virtual is up: its fallback went in.
    FallbackIn,
    /// A real of a virtual is up again: its fallback went out.
    FallbackOut,
    /// A reload read good files: the new configuration is in force.
    ReloadApplied,
    /// A reload was refused: the old configuration goes on.
    ReloadRefused,
    /// `[announce]`: a virtual address is announced (its route added).
    Announced,
    /// `[announce]`: a virtual address is withdrawn (no real up, the
    /// director drained, or the daemon stopping).
    Withdrawn,
}

/// A command run on events (`[[hook]]`, or a virtual's `[[virtual.hook]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The events it runs on; empty: every event (`"*"`).
    pub events: Vec<HookEvent>,
    /// The program (an absolute path) and its arguments, run without a
    /// shell; `{event}`, `{virtual}`, … stand for the event's values.
    pub command: Vec<String>,
    /// Killed (its whole process group) after this long.
    pub timeout: Duration,
    /// Where it was declared.
    pub origin: Origin,
}

impl HookEvent {
    /// Its name: `real-down`, `fallback-in`, …
    pub fn name(self) -> &'static str {
        crate::words::HOOK_EVENT.name(self)
    }

    /// Every event, in the order the documentation lists them.
    pub fn all() -> impl Iterator<Item = HookEvent> {
        crate::words::HOOK_EVENT.words.iter().map(|(_, e)| *e)
    }
}

impl Hook {
    /// Whether it runs on `event`.
    pub fn runs_on(&self, event: HookEvent) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }
}

/// `[control]`: who may use the daemon's control socket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlSocket {
    /// A group whose members may ask for `status` (read-only); `None`:
    /// root only. Changes always need root.
    pub group: Option<String>,
}

/// `[metrics]`: where the daemon serves `GET /metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metrics {
    /// The address and port to listen on, e.g. `127.0.0.1:9477`.
    pub listen: SocketAddr,
}

/// Where a virtual was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub location: Location,
}

/// Which sync daemons to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRole {
    /// Send the connection table.
    Master,
    /// Receive it.
    Backup,
    /// Both (each director sends and receives).
    Both,
}

/// `[sync]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sync {
    /// Role.
    pub state: SyncRole,
    /// Sync id, 0-255 (0: a backup accepts any).
    pub syncid: u8,
    /// Interface.
    pub interface: String,
    /// Largest sync message.
    pub maxlen: Option<u16>,
    /// Multicast group.
    pub group: Option<IpAddr>,
    /// UDP port.
    pub port: Option<u16>,
    /// Multicast TTL.
    pub ttl: Option<u8>,
}

/// Transport protocol of an address virtual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// Address family of a fwmark virtual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }
}

/// What identifies a virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VirtualKey {
    /// `address = "ip:port"` with a protocol.
    Address {
        /// Protocol.
        protocol: Protocol,
        /// Virtual address and port.
        address: SocketAddr,
    },
    /// `fwmark = N`.
    Fwmark {
        /// Family.
        family: Family,
        /// Mark.
        mark: u32,
    },
}

impl VirtualKey {
    /// The family of the virtual.
    pub fn family(&self) -> Family {
        match self {
            Self::Address { address, .. } => Family::of(address.ip()),
            Self::Fwmark { family, .. } => *family,
        }
    }
}

/// Persistence granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Netmask {
    /// IPv4 mask.
    V4(Ipv4Addr),
    /// IPv6 prefix length.
    V6(u8),
}

/// How packets reach a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forward {
    /// Direct routing (`gate`, `dr`).
    Gate,
    /// NAT (`masq`, `nat`).
    Masq,
    /// IP-in-IP tunnel (`ipip`, `tun`).
    Ipip,
}

/// A real server (or the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Real {
    /// Address and port (port 0 for fwmark virtuals without one).
    pub address: SocketAddr,
    /// Forwarding.
    pub forward: Forward,
    /// Weight, 0..=65535.
    pub weight: u32,
}

/// What a health check does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// TCP connect.
    Connect,
    /// HTTP request.
    Http(HttpCheck),
    /// HTTPS request.
    Https(HttpCheck),
    /// A program; exit 0 = up. Placeholders `{ip}`, `{port}`, `{vip}`, `{vport}`.
    External(Vec<String>),
    /// No checks: always up.
    None,
    /// Always down (maintenance).
    Off,
    /// MySQL or MariaDB: log in, run `request`, up when it returns a row.
    Mysql(SqlCheck),
    /// PostgreSQL: log in, run `request`, up when it returns a row.
    Pgsql(SqlCheck),
    /// LDAP: bind, search `request`, find `receive` in the entry's DN.
    Ldap(LdapCheck),
    /// LDAP over TLS (ldaps, implicit TLS).
    Ldaps(LdapCheck),
    /// TCP send/expect (ldirectord's `simpletcp`).
    Tcp(SendExpect),
    /// UDP send/expect: a datagram, and an answer.
    Udp(SendExpect),
    /// A DNS query.
    Dns(DnsCheck),
    /// SMTP (also `submission`; `smtps` with implicit TLS): the greeting,
    /// EHLO, and AUTH when a login is set.
    Smtp(MailCheck),
    /// POP3 (`pops` with implicit TLS): the greeting, and USER/PASS when a
    /// login is set.
    Pop(MailCheck),
    /// IMAP (`imaps` with implicit TLS): the greeting, and LOGIN when a
    /// login is set.
    Imap(MailCheck),
    /// NNTP: the greeting, and AUTHINFO USER/PASS when a login is set.
    Nntp(Option<Login>),
    /// FTP: the greeting, a login (anonymous by default), and when asked
    /// the retrieval of a file.
    Ftp(FtpCheck),
    /// RADIUS: an Access-Request; up on Access-Accept.
    Radius(RadiusCheck),
    /// SIP: an OPTIONS request; up on `200`.
    Sip(SipCheck),
    /// ICMP echo (ping).
    Ping,
}

/// What a `tcp` or `udp` check sends and what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendExpect {
    /// Sent once connected (tcp), or as the datagram (udp, where it is
    /// required); `None`: nothing is sent.
    pub request: Option<String>,
    /// What the answer must hold; `None`: the connection (tcp) or any
    /// answer (udp) is enough.
    pub receive: Option<Receive>,
}

/// A DNS check's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsCheck {
    /// What is asked; `None` asks `. SOA` and any reply but SERVFAIL is up.
    pub query: Option<DnsQuery>,
    /// What the text of one record of the answer must hold.
    pub receive: Option<Receive>,
    /// Over UDP (falling back on TCP for a truncated reply) or TCP.
    pub protocol: DnsProtocol,
}

/// A DNS question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsQuery {
    /// A domain name, or an IP address (asked as PTR of its reverse name).
    pub name: String,
    /// The record type asked.
    pub record: DnsRecord,
}

/// The record types a DNS check may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsRecord {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Alias.
    Cname,
    /// Mail exchanger.
    Mx,
    /// Name server.
    Ns,
    /// Pointer (reverse lookup).
    Ptr,
    /// Start of authority.
    Soa,
    /// Service location.
    Srv,
    /// Text.
    Txt,
    /// Certification authority authorization.
    Caa,
}

/// The transport of a DNS check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsProtocol {
    /// UDP.
    Udp,
    /// TCP (each message with its two-byte length).
    Tcp,
}

/// RADIUS check settings (ldirectord's `login`, `passwd`, `secret`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RadiusCheck {
    /// User-Name.
    pub login: String,
    /// User-Password (hidden with the secret, RFC 2865).
    pub password: Secret,
    /// The secret shared with the server.
    pub secret: String,
}

/// SIP check settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SipCheck {
    /// The user part of the request URI (ldirectord's `login`: `sip:LOGIN`);
    /// `None`: the server itself (`sip:IP:PORT`).
    pub login: Option<String>,
    /// UDP or TCP.
    pub transport: SipTransport,
}

/// What a SIP check's OPTIONS goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SipTransport {
    /// A datagram (the default).
    #[default]
    Udp,
    /// A TCP connection.
    Tcp,
}

/// MySQL/PostgreSQL check settings (ldirectord's `login`, `passwd`,
/// `database`, `request`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlCheck {
    /// User to log in as.
    pub login: String,
    /// Its password (empty: none).
    pub password: Secret,
    /// Database to connect to (PostgreSQL's default: the user's name).
    pub database: Option<String>,
    /// The query; up when it returns at least one row.
    pub request: String,
}

/// HTTP(S) check settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpCheck {
    /// Path requested.
    pub request: String,
    /// What the body must hold: a substring (`receive`) or a match of a
    /// regular expression (`receive_regex`).
    pub receive: Option<Receive>,
    /// Statuses that count as up; `None`: any 2xx or 3xx.
    pub status: Option<StatusCodes>,
    /// Host header (and SNI).
    pub host: Option<String>,
    /// `GET` or `HEAD`.
    pub method: String,
    /// Verify the certificate (https).
    pub verify: bool,
}

/// LDAP(S) check settings (ldirectord's `login`, `passwd`, `request`,
/// `receive`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LdapCheck {
    /// DN to bind as; `None`: an anonymous bind.
    pub login: Option<String>,
    /// Its password.
    pub password: Secret,
    /// DN of the entry searched for (scope base); empty: the root DSE.
    pub request: String,
    /// What the found entry's DN must contain or match.
    pub receive: Option<Receive>,
}

/// What an answer must hold (an HTTP(S) body, a tcp or udp answer, a DNS
/// answer record's text; in its first 64 KiB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receive {
    /// This text, as written (`receive`).
    Text(String),
    /// A match of this regular expression (`receive_regex`; what
    /// ldirectord's `receive` is).
    Regex(Pattern),
}

impl From<&str> for Receive {
    /// The substring form.
    fn from(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

/// How a mail check (smtp, pop, imap) uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailTls {
    /// None.
    #[default]
    Plain,
    /// Upgraded after the greeting (STARTTLS, POP's STLS).
    StartTls,
    /// From the first byte (`smtps`, `pops`, `imaps`).
    Implicit,
}

/// A user and password to log in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// User name (`login`).
    pub user: String,
    /// Password (`password` or `password_file`; empty when not set).
    pub password: Secret,
}

/// SMTP, POP3 and IMAP check settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailCheck {
    /// TLS, if any.
    pub tls: MailTls,
    /// Log in, when set.
    pub login: Option<Login>,
}

/// FTP check settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FtpCheck {
    /// `None`: anonymous (ldirectord's default).
    pub login: Option<Login>,
    /// A file to retrieve (passive mode) after the login.
    pub fetch: Option<FtpFetch>,
}

/// The file an FTP check retrieves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpFetch {
    /// Its path (`request`).
    pub request: String,
    /// What its first 64 KiB must contain (`receive`) or match
    /// (`receive_regex`).
    pub receive: Option<Receive>,
}

/// A health check with its timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What it does.
    pub kind: CheckKind,
    /// Port to check instead of the real's.
    pub port: Option<u16>,
    /// Time between checks.
    pub interval: Duration,
    /// Time a check may take.
    pub timeout: Duration,
    /// Successes in a row to come up.
    pub rise: u32,
    /// Failures in a row to go down.
    pub fall: u32,
}

/// The hashing schedulers' flags (ipvsadm's `-b`): `mh-fallback` /
/// `sh-fallback` (`IP_VS_SVC_F_SCHED1`) and `mh-port` / `sh-port`
/// (`IP_VS_SVC_F_SCHED2`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerFlags {
    /// A flow whose real is unavailable (weight 0 or overloaded) goes to
    /// another one instead of being dropped.
    pub fallback: bool,
    /// The hash takes the client's port too, not only its address.
    pub port: bool,
}

/// A virtual service with its reals.
#[derive(Debug, Clone, PartialEq)]
pub struct Virtual {
    /// Optional label.
    pub name: Option<String>,
    /// What identifies it.
    pub key: VirtualKey,
    /// Scheduler name.
    pub scheduler: String,
    /// The `mh`/`sh` scheduler's flags (`scheduler_flags`).
    pub scheduler_flags: SchedulerFlags,
    /// Persistence timeout in seconds.
    pub persistent: Option<u32>,
    /// Persistence netmask.
    pub netmask: Option<Netmask>,
    /// Keep failed reals with weight 0 instead of removing them.
    pub quiescent: bool,
    /// Sorry server, in the table only while no real is up (`run`).
    pub fallback: Option<Real>,
    /// Health check (`run`).
    pub check: Check,
    /// Real servers.
    pub reals: Vec<Real>,
    /// A directory whose files take reals out (ldirectord's
    /// `maintenancedir`): a file named `IP:PORT`, `IP`, or the real's host
    /// name, long or short, with or without `:PORT`.
    pub maintenance_dir: Option<PathBuf>,
    /// Commands run on this virtual's events only (`[[virtual.hook]]`).
    pub hooks: Vec<Hook>,
    /// `announce`: `Some(false)` opts out of `[announce]`; `None` follows
    /// it.
    pub announce: Option<bool>,
    /// Where it was declared.
    pub origin: Origin,
}
