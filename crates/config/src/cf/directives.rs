// SPDX-License-Identifier: MIT OR Apache-2.0
//! ldirectord's directives, stated once: where each may stand (the global
//! section, a virtual block, or both) and how it is read. A directive in the
//! wrong place, or not in the table, is refused with a message that says so.

use super::address::Family;
use super::lexer::Directive;
use super::spec::{At, Common, VirtualSpec};
use super::Reader;

/// Where a directive may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The global section only (at column 0).
    Global,
    /// A virtual block only (indented).
    Virtual,
    /// Either; in a virtual block it counts for that virtual.
    Both,
}

/// What a directive's value must be when the directive is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    /// Anything.
    Any,
    /// `yes` or `no`.
    YesNo,
    /// A whole number, 1 or more.
    Count,
}

/// How a directive is read.
#[derive(Clone, Copy)]
enum Read {
    /// A whole number, 1 or more, into the settings both places hold.
    Count(fn(&mut Common) -> &mut Option<At<i64>>),
    /// `yes` or `no`, into the settings both places hold.
    YesNo(fn(&mut Common) -> &mut Option<At<bool>>),
    /// A text (quotes optional, not empty), into the virtual block.
    Text(fn(&mut VirtualSpec) -> &mut Option<At<String>>),
    /// By its own function, in the global section.
    InGlobal(fn(&mut Reader<'_>, &Directive<'_>)),
    /// By its own function, in a virtual block.
    InVirtual(fn(&mut Reader<'_>, &mut VirtualSpec, &Directive<'_>)),
    /// By its own function, in either place (`None`: the global section).
    InEither(fn(&mut Reader<'_>, Option<&mut VirtualSpec>, &Directive<'_>)),
    /// Its value checked, then ignored with a warning saying why.
    Ignored(Checked, &'static str),
    /// Refused, with this message.
    Refused(&'static str),
}

/// One directive.
struct Spec {
    name: &'static str,
    place: Place,
    read: Read,
}

const fn spec(name: &'static str, place: Place, read: Read) -> Spec {
    Spec { name, place, read }
}

const SERVICE_CHECKS: &str = "only ldirectord's service-specific negotiate checks use it";
const YES_NO: Checked = Checked::YesNo;
const ANY: Checked = Checked::Any;

/// Every directive ldirectord knows, but `virtual`/`virtual6` (which start
/// a block).
#[rustfmt::skip]
const DIRECTIVES: &[Spec] = {
    use Place::{Both, Global, Virtual};
    use Read::*;
    use super::virtual_directives as v;
    use super::hook_directives as h;
    &[
        // Check timing and quiescence: global defaults, or a virtual's own.
        spec("checktimeout",     Both,    Count(|c| &mut c.checktimeout)),
        spec("negotiatetimeout", Both,    Count(|c| &mut c.negotiatetimeout)),
        spec("checkinterval",    Both,    Count(|c| &mut c.checkinterval)),
        spec("failurecount",     Both,    Count(|c| &mut c.failurecount)),
        spec("quiescent",        Both,    YesNo(|c| &mut c.quiescent)),
        spec("fallback",         Both,    InEither(fallback)),
        spec("fallback6",        Both,    InEither(fallback)),
        spec("cleanstop",        Both,    InEither(cleanstop)),
        spec("fork",             Global,  InGlobal(fork)),
        // Hooks: commands run on events.
        spec("fallbackcommand",  Both,    InEither(h::fallbackcommand)),
        spec("callback",         Global,  InGlobal(h::callback)),
        spec("emailalert",       Both,    InEither(h::emailalert)),
        spec("emailalertstatus", Both,    InEither(h::emailalertstatus)),
        spec("emailalertfrom",   Global,  InGlobal(h::emailalertfrom)),
        spec("autoreload",       Global,  InGlobal(autoreload)),
        // The virtual service.
        spec("real",             Virtual, InVirtual(v::real)),
        spec("real6",            Virtual, InVirtual(v::real)),
        spec("scheduler",        Virtual, InVirtual(v::scheduler)),
        spec("persistent",       Virtual, InVirtual(v::persistent)),
        spec("netmask",          Virtual, InVirtual(v::netmask)),
        spec("protocol",         Virtual, InVirtual(v::protocol)),
        spec("servicename",      Virtual, Text(|v| &mut v.name)),
        // Its check.
        spec("checktype",        Virtual, InVirtual(v::checktype)),
        spec("service",          Virtual, InVirtual(v::service)),
        spec("checkcommand",     Virtual, InVirtual(v::checkcommand)),
        spec("checkport",        Virtual, InVirtual(v::checkport)),
        spec("request",          Virtual, InVirtual(v::request)),
        spec("receive",          Virtual, Text(|v| &mut v.receive)),
        spec("virtualhost",      Virtual, InVirtual(v::virtualhost)),
        spec("httpmethod",       Virtual, InVirtual(v::httpmethod)),
        spec("login",            Virtual, Text(|v| &mut v.login)),
        spec("passwd",           Virtual, Text(|v| &mut v.passwd)),
        spec("database",         Virtual, Text(|v| &mut v.database)),
        // Not supported, or removed from ldirectord.
        spec("ops",              Virtual, InVirtual(v::ops)),
        spec("schedflags",       Virtual, InVirtual(v::schedflags)),
        spec("connecttimeout",   Both,    Refused("removed from ldirectord in favour of negotiatetimeout")),
        spec("timeout",          Both,    Refused("removed from ldirectord in favour of checktimeout and negotiatetimeout")),
        // Read, and ignored: ipvsctl has no use for them.
        spec("checkcount",       Both,    Ignored(Checked::Count, "deprecated by ldirectord, and only ping checks use it")),
        spec("emailalertfreq",   Both,    Ignored(ANY, "ipvsctl mails each change once; it does not repeat alerts while a real stays down")),
        spec("smtp",             Both,    Ignored(ANY, "the mail-alert hook sends through the local sendmail(8)")),
        spec("readdquiescent",   Global,  Ignored(YES_NO, "ipvsctl keeps quiescent servers in the table itself")),
        spec("supervised",       Global,  Ignored(YES_NO, "ipvsctl has no background mode to turn off")),
        spec("logfile",          Global,  Ignored(ANY, "ipvsctl has its own logging")),
        spec("execute",          Global,  Ignored(ANY, "ipvsctl does not start other ldirectord instances")),
        spec("maintenancedir",   Global,  InGlobal(|r, d| r.globals.maintenancedir = r.text(d))),
        spec("secret",           Virtual, Text(|v| &mut v.secret)),
        spec("load",             Virtual, Ignored(ANY, SERVICE_CHECKS)),
        spec("monitorfile",      Virtual, Ignored(ANY, "ipvsctl writes no monitor file")),
        spec("comment",          Virtual, Ignored(ANY, "ipvsctl sends no e-mail notifications")),
    ]
};

fn find(name: &str) -> Option<&'static Spec> {
    DIRECTIVES.iter().find(|spec| spec.name == name)
}

impl Reader<'_> {
    /// A directive: at column 0 (`v` is `None`; not `virtual=` or
    /// `virtual6=`, which start a block), or indented in the block `v`.
    pub(super) fn directive(&mut self, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
        if !d.has_equals || d.name.is_empty() {
            // A bare `supervised` is accepted, and ignored as `supervised = …` is.
            match find(d.text) {
                Some(Spec {
                    name: "supervised",
                    read: Read::Ignored(_, why),
                    ..
                }) if v.is_none() => self.ignored(d, why),
                _ => self.unknown(&d.text_span, d.text),
            }
            return;
        }
        if v.is_some() && matches!(d.name, "virtual" | "virtual6") {
            let message = format!(
                "`{}` must start at column 0: an indented line belongs to the virtual above",
                d.name
            );
            return self.error(&d.name_span, None, message);
        }
        let Some(spec) = find(d.name) else {
            return self.unknown(&d.name_span, d.name);
        };
        let misplaced = match (spec.place, v.is_some()) {
            (Place::Virtual, false) => {
                Some("belongs in a virtual block: indent it under a `virtual=` line")
            }
            (Place::Global, true) => {
                Some("is a global directive: write it at column 0, outside virtual blocks")
            }
            _ => None,
        };
        if let Some(why) = misplaced {
            return self.error(&d.name_span, None, format!("`{}` {why}", d.name));
        }
        match (spec.read, v) {
            (Read::Count(field), v) => {
                let value = self.number(d, 1);
                *field(self.common(v)) = value;
            }
            (Read::YesNo(field), v) => {
                let value = self.yes_no(d);
                *field(self.common(v)) = value;
            }
            (Read::Text(field), Some(v)) => *field(v) = self.text(d),
            (Read::InVirtual(read), Some(v)) => read(self, v, d),
            (Read::InGlobal(read), None) => read(self, d),
            (Read::InEither(read), v) => read(self, v, d),
            (Read::Ignored(checked, why), _) => self.ignore(d, checked, why),
            (Read::Refused(message), _) => self.error(&d.name_span, Some(d.name), message),
            // Not in the table: its test keeps each read to where it may stand.
            (Read::Text(_) | Read::InVirtual(_), None) | (Read::InGlobal(_), Some(_)) => {}
        }
    }

    /// The settings of the block `v`, or the global ones.
    fn common<'a>(&'a mut self, v: Option<&'a mut VirtualSpec>) -> &'a mut Common {
        match v {
            Some(v) => &mut v.common,
            None => &mut self.globals.common,
        }
    }

    fn unknown(&mut self, span: &std::ops::Range<usize>, name: &str) {
        self.error(span, None, format!("unknown directive `{name}`"));
    }

    /// A directive ipvsctl has no use for: its value checked, then a warning.
    fn ignore(&mut self, d: &Directive<'_>, checked: Checked, why: &str) {
        match checked {
            Checked::Any => {}
            Checked::YesNo => {
                self.yes_no(d);
            }
            Checked::Count => {
                self.number(d, 1);
            }
        }
        self.ignored(d, why);
    }
}

/// `fallback`/`fallback6`: a global one for every virtual of its family,
/// or a virtual's own.
fn fallback(r: &mut Reader<'_>, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
    match v {
        None if d.name == "fallback6" => r.globals.fallback6 = r.fallback(d, Family::V6),
        None => r.globals.fallback = r.fallback(d, Family::V4),
        Some(v) => {
            if r.family_fits(v, d, "fallback") {
                v.fallback = r.fallback(d, v.family);
            }
        }
    }
}

/// `cleanstop`: global in ipvsctl, so ignored in a virtual block.
fn cleanstop(r: &mut Reader<'_>, v: Option<&mut VirtualSpec>, d: &Directive<'_>) {
    match v {
        None => r.globals.cleanstop = r.yes_no(d),
        Some(_) => r.ignore(
            d,
            Checked::YesNo,
            "ipvsctl's cleanstop is global: set it outside virtual blocks",
        ),
    }
}

/// `autoreload`: `ipvsctl run` watches the files and reloads on a change.
fn autoreload(r: &mut Reader<'_>, d: &Directive<'_>) {
    r.globals.autoreload = r.yes_no(d);
}

/// `fork`: only makes a virtual's `checkinterval` count.
fn fork(r: &mut Reader<'_>, d: &Directive<'_>) {
    r.globals.fork = r.yes_no(d);
    if r.globals.fork.as_ref().is_some_and(|f| f.value) {
        r.warning(
            &d.name_span,
            None,
            "fork = yes: ipvsctl runs every check on its own schedule anyway; \
             it makes checkinterval inside virtual blocks count",
        );
    } else {
        r.ignored(d, "ipvsctl runs every check on its own schedule");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_directive_once_and_read_where_it_may_stand() {
        for (index, spec) in DIRECTIVES.iter().enumerate() {
            let first = DIRECTIVES.iter().position(|s| s.name == spec.name);
            assert_eq!(first, Some(index), "{} twice", spec.name);
            let fits = match spec.read {
                Read::Text(_) | Read::InVirtual(_) => spec.place == Place::Virtual,
                Read::InGlobal(_) => spec.place == Place::Global,
                Read::Count(_) | Read::YesNo(_) | Read::InEither(_) => spec.place == Place::Both,
                Read::Ignored(..) | Read::Refused(_) => true,
            };
            assert!(fits, "{}: read in a place it may not stand", spec.name);
        }
    }
}
