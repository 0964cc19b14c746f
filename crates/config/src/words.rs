// SPDX-License-Identifier: MIT OR Apache-2.0
//! The words a TOML key may hold, each naming one value of a model enum,
//! stated once: the validator reads them, [`crate::write`] writes them back,
//! and a word that is none of them gets a message listing them (the idea of
//! cargo-deny's `enum_deser!`).

use crate::model::{
    CheckKind, DnsProtocol, DnsRecord, Family, Forward, HookEvent, MailTls, Protocol, SipTransport,
    SyncRole,
};

/// The words of one key.
pub(crate) struct Words<T: 'static> {
    /// Each word with its value; the first word of a value is the one
    /// written back.
    pub words: &'static [(&'static str, T)],
    /// Other spellings also accepted (ldirectord's `dr` for `gate`), listed
    /// after an `also`.
    pub aliases: &'static [(&'static str, T)],
    /// Whether `get` is `GET`.
    pub any_case: bool,
    /// How a word that is none of them is refused.
    pub refusal: Refusal,
}

/// How a word that is none of a key's words is refused.
pub(crate) enum Refusal {
    /// "`x` is not a sync state (master, backup or both)".
    IsNot(&'static str),
    /// "unknown check type `x` (connect, http, … or off)".
    Unknown(&'static str),
    /// "`x` is not GET or HEAD".
    IsNotOneOf,
}

/// A word was refused; the error is already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

impl<T: Copy> Words<T> {
    /// The value a word names, or the message refusing it.
    pub(crate) fn parse(&self, text: &str) -> Result<T, String> {
        let same = |word: &str| {
            if self.any_case {
                word.eq_ignore_ascii_case(text)
            } else {
                word == text
            }
        };
        if let Some((_, value)) = self
            .words
            .iter()
            .chain(self.aliases)
            .find(|(word, _)| same(word))
        {
            return Ok(*value);
        }
        let mut listed = listing(self.words.iter().map(|(word, _)| *word));
        if !self.aliases.is_empty() {
            let aliases: Vec<&str> = self.aliases.iter().map(|(word, _)| *word).collect();
            listed = format!("{listed}; also {}", aliases.join(", "));
        }
        Err(match self.refusal {
            Refusal::IsNot(what) => format!("`{text}` is not {what} ({listed})"),
            Refusal::Unknown(what) => format!("unknown {what} `{text}` ({listed})"),
            Refusal::IsNotOneOf => format!("`{text}` is not {listed}"),
        })
    }
}

impl<T: Copy + PartialEq> Words<T> {
    /// The word written for a value.
    pub(crate) fn name(&self, value: T) -> &'static str {
        self.words
            .iter()
            .find(|(_, v)| *v == value)
            .map_or("", |(word, _)| word)
    }
}

/// `a, b or c`.
fn listing<'w>(words: impl Iterator<Item = &'w str>) -> String {
    let words: Vec<&str> = words.collect();
    match words.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `[sync] state`.
pub(crate) const SYNC_STATE: Words<SyncRole> = Words {
    words: &[
        ("master", SyncRole::Master),
        ("backup", SyncRole::Backup),
        ("both", SyncRole::Both),
    ],
    aliases: &[],
    any_case: false,
    refusal: Refusal::IsNot("a sync state"),
};

/// A hook's `events` (and `IPVSCTL_EVENT`).
pub(crate) const HOOK_EVENT: Words<HookEvent> = Words {
    words: &[
        ("real-up", HookEvent::RealUp),
        ("real-down", HookEvent::RealDown),
        ("real-drained", HookEvent::RealDrained),
        ("real-disabled", HookEvent::RealDisabled),
        ("real-enabled", HookEvent::RealEnabled),
        ("real-weight", HookEvent::RealWeight),
        ("fallback-in", HookEvent::FallbackIn),
        ("fallback-out", HookEvent::FallbackOut),
        ("reload-applied", HookEvent::ReloadApplied),
        ("reload-refused", HookEvent::ReloadRefused),
        ("announced", HookEvent::Announced),
        ("withdrawn", HookEvent::Withdrawn),
    ],
    aliases: &[],
    any_case: false,
    refusal: Refusal::Unknown("event"),
};

/// A virtual's `protocol`.
pub(crate) const PROTOCOL: Words<Protocol> = Words {
    words: &[
        ("tcp", Protocol::Tcp),
        ("udp", Protocol::Udp),
        ("sctp", Protocol::Sctp),
    ],
    aliases: &[],
    any_case: false,
    refusal: Refusal::IsNot("a protocol"),
};

/// A fwmark virtual's `family`.
pub(crate) const FAMILY: Words<Family> = Words {
    words: &[("ipv4", Family::Ipv4), ("ipv6", Family::Ipv6)],
    aliases: &[],
    any_case: false,
    refusal: Refusal::IsNot("a family"),
};

/// A real's (or fallback's) `forward`.
pub(crate) const FORWARD: Words<Forward> = Words {
    words: &[
        ("gate", Forward::Gate),
        ("masq", Forward::Masq),
        ("ipip", Forward::Ipip),
    ],
    aliases: &[
        ("dr", Forward::Gate),
        ("nat", Forward::Masq),
        ("tun", Forward::Ipip),
    ],
    any_case: false,
    refusal: Refusal::IsNot("a forwarding method"),
};

/// What a check does, without its settings: the check's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckType {
    Connect,
    Http,
    Https,
    External,
    None,
    Off,
    Mysql,
    Pgsql,
    Ldap,
    Ldaps,
    Tcp,
    Udp,
    Dns,
    Smtp,
    Smtps,
    Pop,
    Pops,
    Imap,
    Imaps,
    Nntp,
    Ftp,
    Radius,
    Sip,
    Ping,
}

impl CheckType {
    /// The type of a check.
    pub(crate) fn of(kind: &CheckKind) -> Self {
        match kind {
            CheckKind::Connect => Self::Connect,
            CheckKind::Http(_) => Self::Http,
            CheckKind::Https(_) => Self::Https,
            CheckKind::External(_) => Self::External,
            CheckKind::None => Self::None,
            CheckKind::Off => Self::Off,
            CheckKind::Mysql(_) => Self::Mysql,
            CheckKind::Pgsql(_) => Self::Pgsql,
            CheckKind::Ldap(_) => Self::Ldap,
            CheckKind::Ldaps(_) => Self::Ldaps,
            CheckKind::Tcp(_) => Self::Tcp,
            CheckKind::Udp(_) => Self::Udp,
            CheckKind::Dns(_) => Self::Dns,
            CheckKind::Smtp(m) if m.tls == MailTls::Implicit => Self::Smtps,
            CheckKind::Smtp(_) => Self::Smtp,
            CheckKind::Pop(m) if m.tls == MailTls::Implicit => Self::Pops,
            CheckKind::Pop(_) => Self::Pop,
            CheckKind::Imap(m) if m.tls == MailTls::Implicit => Self::Imaps,
            CheckKind::Imap(_) => Self::Imap,
            CheckKind::Nntp(_) => Self::Nntp,
            CheckKind::Ftp(_) => Self::Ftp,
            CheckKind::Radius(_) => Self::Radius,
            CheckKind::Sip(_) => Self::Sip,
            CheckKind::Ping => Self::Ping,
        }
    }
}

impl CheckKind {
    /// The check's `type` as a file writes it: `connect`, `http`, …
    pub fn type_name(&self) -> &'static str {
        CHECK_TYPE.name(CheckType::of(self))
    }
}

/// A check's `type`.
pub(crate) const CHECK_TYPE: Words<CheckType> = Words {
    words: &[
        ("connect", CheckType::Connect),
        ("http", CheckType::Http),
        ("https", CheckType::Https),
        ("tcp", CheckType::Tcp),
        ("udp", CheckType::Udp),
        ("dns", CheckType::Dns),
        ("external", CheckType::External),
        ("none", CheckType::None),
        ("off", CheckType::Off),
        ("mysql", CheckType::Mysql),
        ("pgsql", CheckType::Pgsql),
        ("ldap", CheckType::Ldap),
        ("ldaps", CheckType::Ldaps),
        ("smtp", CheckType::Smtp),
        ("smtps", CheckType::Smtps),
        ("pop", CheckType::Pop),
        ("pops", CheckType::Pops),
        ("imap", CheckType::Imap),
        ("imaps", CheckType::Imaps),
        ("nntp", CheckType::Nntp),
        ("ftp", CheckType::Ftp),
        ("radius", CheckType::Radius),
        ("sip", CheckType::Sip),
        ("ping", CheckType::Ping),
    ],
    // ldirectord's submission check is its smtp check.
    aliases: &[("submission", CheckType::Smtp)],
    any_case: false,
    refusal: Refusal::Unknown("check type"),
};

/// An HTTP check's `method`, in any case.
pub(crate) const HTTP_METHOD: Words<&str> = Words {
    words: &[("GET", "GET"), ("HEAD", "HEAD")],
    aliases: &[],
    any_case: true,
    refusal: Refusal::IsNotOneOf,
};

/// A DNS check's `protocol`.
pub(crate) const DNS_PROTOCOL: Words<DnsProtocol> = Words {
    words: &[("udp", DnsProtocol::Udp), ("tcp", DnsProtocol::Tcp)],
    aliases: &[],
    any_case: false,
    refusal: Refusal::IsNot("a DNS protocol"),
};

/// The record type in a DNS check's `request`, in any case.
pub(crate) const DNS_RECORD: Words<DnsRecord> = Words {
    words: &[
        ("A", DnsRecord::A),
        ("AAAA", DnsRecord::Aaaa),
        ("CNAME", DnsRecord::Cname),
        ("MX", DnsRecord::Mx),
        ("NS", DnsRecord::Ns),
        ("PTR", DnsRecord::Ptr),
        ("SOA", DnsRecord::Soa),
        ("SRV", DnsRecord::Srv),
        ("TXT", DnsRecord::Txt),
        ("CAA", DnsRecord::Caa),
    ],
    aliases: &[],
    any_case: true,
    refusal: Refusal::Unknown("record type"),
};

/// A SIP check's `protocol`.
pub(crate) const SIP_TRANSPORT: Words<SipTransport> = Words {
    words: &[("udp", SipTransport::Udp), ("tcp", SipTransport::Tcp)],
    aliases: &[],
    any_case: false,
    refusal: Refusal::IsNotOneOf,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_names_its_value_in_any_listed_spelling() {
        assert_eq!(FORWARD.parse("nat"), Ok(Forward::Masq));
        assert_eq!(HTTP_METHOD.parse("head"), Ok("HEAD"));
        assert_eq!(SYNC_STATE.name(SyncRole::Both), "both");
        assert_eq!(FORWARD.name(Forward::Ipip), "ipip");
    }

    #[test]
    fn every_value_has_a_word_to_be_written_as() {
        for state in [SyncRole::Master, SyncRole::Backup, SyncRole::Both] {
            assert_ne!(SYNC_STATE.name(state), "");
        }
        for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            assert_ne!(PROTOCOL.name(protocol), "");
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            assert_ne!(FAMILY.name(family), "");
        }
        for forward in [Forward::Gate, Forward::Masq, Forward::Ipip] {
            assert_ne!(FORWARD.name(forward), "");
        }
        for check in [
            CheckType::Connect,
            CheckType::Http,
            CheckType::Https,
            CheckType::External,
            CheckType::None,
            CheckType::Off,
            CheckType::Mysql,
            CheckType::Pgsql,
            CheckType::Ldap,
            CheckType::Ldaps,
            CheckType::Tcp,
            CheckType::Udp,
            CheckType::Dns,
            CheckType::Smtp,
            CheckType::Smtps,
            CheckType::Pop,
            CheckType::Pops,
            CheckType::Imap,
            CheckType::Imaps,
            CheckType::Nntp,
            CheckType::Ftp,
            CheckType::Radius,
            CheckType::Sip,
            CheckType::Ping,
        ] {
            assert_ne!(CHECK_TYPE.name(check), "");
        }
        for protocol in [DnsProtocol::Udp, DnsProtocol::Tcp] {
            assert_ne!(DNS_PROTOCOL.name(protocol), "");
        }
        for record in [
            DnsRecord::A,
            DnsRecord::Aaaa,
            DnsRecord::Cname,
            DnsRecord::Mx,
            DnsRecord::Ns,
            DnsRecord::Ptr,
            DnsRecord::Soa,
            DnsRecord::Srv,
            DnsRecord::Txt,
            DnsRecord::Caa,
        ] {
            assert_ne!(DNS_RECORD.name(record), "");
        }
    }

    #[test]
    fn a_refusal_lists_the_words() {
        assert_eq!(
            FORWARD.parse("x").unwrap_err(),
            "`x` is not a forwarding method (gate, masq or ipip; also dr, nat, tun)"
        );
        assert_eq!(
            CHECK_TYPE.parse("x").unwrap_err(),
            "unknown check type `x` (connect, http, https, tcp, udp, dns, external, none, off, \
             mysql, pgsql, ldap, ldaps, smtp, smtps, pop, pops, imap, imaps, nntp, ftp, radius, \
             sip or ping; also submission)"
        );
        assert_eq!(
            HTTP_METHOD.parse("x").unwrap_err(),
            "`x` is not GET or HEAD"
        );
        assert_eq!(
            FAMILY.parse("x").unwrap_err(),
            "`x` is not a family (ipv4 or ipv6)"
        );
    }
}
