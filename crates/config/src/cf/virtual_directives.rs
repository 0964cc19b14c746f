// SPDX-License-Identifier: MIT OR Apache-2.0
//! The directives of a virtual block that need more than a number, a yes/no
//! or a text: the reals, the service's settings and its check's.

use super::address::{self, Family, Target};
use super::lexer::Directive;
use super::spec::{At, RealSpec, VirtualSpec};
use super::{services, Reader};

impl Reader<'_> {
    /// Whether `real`/`real6` (`fallback`/`fallback6`) fits the block's family.
    pub(super) fn family_fits(&mut self, v: &VirtualSpec, d: &Directive<'_>, base: &str) -> bool {
        let six = d.name.ends_with('6');
        match (v.family, six) {
            (Family::V4, true) => {
                let message = format!("`{}` is for virtual6 blocks: use `{base}`", d.name);
                self.error(&d.name_span, None, message);
                false
            }
            (Family::V6, false) => {
                let message = format!("a virtual6 block takes `{base}6`, not `{base}`");
                self.error(&d.name_span, None, message);
                false
            }
            _ => true,
        }
    }
}

/// `real`/`real6`: an address (or a range), a forward method, a weight.
pub(super) fn real(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    if !r.family_fits(v, d, "real") {
        return;
    }
    let Some(u) = r.unquoted(d) else { return };
    match address::real(u.text, &u.span, v.family) {
        Ok(line) => v.reals.push(RealSpec {
            key: d.name_span.clone(),
            span: u.span,
            line,
        }),
        Err(problems) => {
            for problem in problems {
                r.problem(d.name, problem);
            }
        }
    }
}

pub(super) fn scheduler(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    v.scheduler = r.leading(d, |b| b.is_ascii_lowercase(), "a scheduler name (a-z)");
}

/// `schedflags`: `mh-fallback,mh-port` (ipvsadm's `-b`), checked as
/// `scheduler_flags` is.
pub(super) fn schedflags(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    v.schedflags = r.text(d);
}

pub(super) fn persistent(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    v.persistent = r.number(d, 0);
}

pub(super) fn netmask(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    v.netmask = r.netmask(d, v.family);
}

pub(super) fn checktype(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    v.checktype = r.checktype(d);
}

/// `protocol`: tcp or udp, or fwm for a firewall mark.
pub(super) fn protocol(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let Some(p) = r.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "tcp or udp") else {
        return;
    };
    let fwmark = matches!(v.target, Some(Target::Fwmark(_)));
    match (fwmark, p.value.as_str()) {
        (true, "fwm") => {}
        (true, _) => r.error(
            &p.span,
            Some(d.name),
            "must be fwm: the virtual service is a firewall mark",
        ),
        (false, "tcp" | "udp") => v.protocol = Some(p),
        (false, other) => {
            let message = format!("expected tcp or udp, found `{other}`");
            r.error(&p.span, Some(d.name), message);
        }
    }
}

/// `ops = yes` (one-packet scheduling) is refused.
pub(super) fn ops(r: &mut Reader<'_>, _: &mut VirtualSpec, d: &Directive<'_>) {
    if r.yes_no(d).is_some_and(|o| o.value) {
        r.error(
            &d.value_span,
            Some(d.name),
            "one-packet scheduling is not supported by ipvsctl",
        );
    }
}

/// `service`: one of ldirectord's.
pub(super) fn service(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let Some(s) = r.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "a service") else {
        return;
    };
    if services::SERVICES.contains(&s.value.as_str()) {
        v.service = Some(s);
    } else {
        let message = format!(
            "unknown service `{}` (ldirectord knows {})",
            s.value,
            services::SERVICES.join(", ")
        );
        r.error(&s.span, Some(d.name), message);
    }
}

/// `checkcommand`: one program, run without a shell.
pub(super) fn checkcommand(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let command = r.text(d);
    if let Some(c) = &command {
        if c.value.contains(char::is_whitespace) {
            let message = format!(
                "ldirectord runs `{}` as one program name, without a shell",
                c.value
            );
            r.warning(&c.span, Some(d.name), message);
        }
    }
    v.checkcommand = command;
}

pub(super) fn checkport(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    if let Some(port) = r.number(d, 1) {
        if port.value > 65535 {
            r.error(&port.span, Some(d.name), "must be in range 1-65535");
        } else {
            v.checkport = Some(port);
        }
    }
}

/// `request`: a path (a `/` is added in front when missing).
pub(super) fn request(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let Some(mut request) = r.text(d) else {
        return;
    };
    if request.value.starts_with("http://") || request.value.starts_with("https://") {
        r.error(
            &request.span,
            Some(d.name),
            "a full URL is not supported by ipvsctl: give the path (the check \
             goes to each real server)",
        );
        return;
    }
    if !request.value.starts_with('/') {
        request.value.insert(0, '/');
    }
    v.request = Some(request);
}

/// `virtualhost`: the Host header; empty is ignored.
pub(super) fn virtualhost(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let Some(u) = r.unquoted(d) else { return };
    if u.text.is_empty() {
        r.warning(&d.value_span, Some(d.name), "empty: ignored");
    } else {
        v.virtualhost = Some(At {
            value: u.text.to_string(),
            key: d.name_span.clone(),
            span: u.span,
        });
    }
}

/// `httpmethod`: GET or HEAD, in any case.
pub(super) fn httpmethod(r: &mut Reader<'_>, v: &mut VirtualSpec, d: &Directive<'_>) {
    let Some(mut m) = r.leading(d, |b| b.is_ascii_alphanumeric() || b == b'_', "GET or HEAD")
    else {
        return;
    };
    m.value.make_ascii_uppercase();
    if matches!(m.value.as_str(), "GET" | "HEAD") {
        v.httpmethod = Some(m);
    } else {
        r.error(&m.span, Some(d.name), "expected GET or HEAD");
    }
}
