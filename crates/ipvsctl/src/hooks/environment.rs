// SPDX-License-Identifier: MIT OR Apache-2.0
//! An event as a hook sees it: `IPVSCTL_*` environment variables, and the
//! same values as `{placeholders}` in its arguments.
//!
//! | variable               | placeholder      | value                                                       |
//! |------------------------|------------------|-------------------------------------------------------------|
//! | `IPVSCTL_EVENT`        | `{event}`        | `real-up`, `real-down`, …, `announced`, `withdrawn`         |
//! | `IPVSCTL_TIME`         | `{time}`         | when, in seconds since 1970 (UTC)                           |
//! | `IPVSCTL_DAEMON_STATE` | `{daemon_state}` | `starting`, `running` or `reloading`                        |
//! | `IPVSCTL_CONFIG`       | `{config}`       | the daemon's (first) configuration file                     |
//! | `IPVSCTL_SERVICE`      | `{service}`      | the virtual as `ipvsctl list` shows it: `tcp 10.0.0.1:80`, `fwmark 7` |
//! | `IPVSCTL_VIRTUAL`      | `{virtual}`      | its address `10.0.0.1:80` (`[v6]:port`), or its mark        |
//! | `IPVSCTL_PROTOCOL`     | `{protocol}`     | `tcp`, `udp`, `sctp`, or `fwm` for a mark                   |
//! | `IPVSCTL_VIRTUAL_NAME` | `{virtual_name}` | its `name`, when it has one                                 |
//! | `IPVSCTL_REAL`         | `{real}`         | the real (`real-*`), or the fallback (`fallback-*`)         |
//! | `IPVSCTL_HEALTH`       | `{health}`       | `up` or `down` (`real-up`, `real-down`)                     |
//! | `IPVSCTL_WEIGHT`       | `{weight}`       | the weight set (`real-weight`)                              |
//! | `IPVSCTL_REASON`       | `{reason}`       | the check's or operator's reason; a reload's first error    |
//! | `IPVSCTL_ERRORS`       | `{errors}`       | how many errors refused the reload (`reload-refused`)       |
//! | `IPVSCTL_ADDRESS`      | `{address}`      | the virtual address (`announced`, `withdrawn`)              |
//!
//! A variable that does not apply to the event is not set (and its
//! placeholder stays as written); inherited `IPVSCTL_*` variables are
//! removed.

use std::time::UNIX_EPOCH;

use ipvs::ServiceKey;

use crate::daemon::events::{Event, Fired};

/// Every variable a hook may get, for removing inherited ones.
pub const VARIABLES: &[&str] = &[
    "IPVSCTL_EVENT",
    "IPVSCTL_TIME",
    "IPVSCTL_DAEMON_STATE",
    "IPVSCTL_CONFIG",
    "IPVSCTL_SERVICE",
    "IPVSCTL_VIRTUAL",
    "IPVSCTL_PROTOCOL",
    "IPVSCTL_VIRTUAL_NAME",
    "IPVSCTL_REAL",
    "IPVSCTL_HEALTH",
    "IPVSCTL_WEIGHT",
    "IPVSCTL_REASON",
    "IPVSCTL_ERRORS",
];

/// The variables of an event, in the order of [`VARIABLES`].
pub fn environment(fired: &Fired) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("IPVSCTL_EVENT", fired.event.kind().name().to_string()),
        (
            "IPVSCTL_TIME",
            fired
                .at
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .to_string(),
        ),
        ("IPVSCTL_DAEMON_STATE", fired.state.name().to_string()),
        ("IPVSCTL_CONFIG", fired.config.display().to_string()),
    ];
    if let Some(service) = fired.event.service() {
        env.push(("IPVSCTL_SERVICE", service.to_string()));
        let (virtual_, protocol) = match service {
            ServiceKey::Address { protocol, address } => (
                ipvs::net::socket_text(&address.ip(), address.port()),
                protocol.to_string(),
            ),
            ServiceKey::Fwmark { mark, .. } => (mark.to_string(), "fwm".to_string()),
        };
        env.push(("IPVSCTL_VIRTUAL", virtual_));
        env.push(("IPVSCTL_PROTOCOL", protocol));
        if let Some(name) = &fired.virtual_name {
            env.push(("IPVSCTL_VIRTUAL_NAME", name.clone()));
        }
    }
    let address = |a: &std::net::SocketAddr| ipvs::net::socket_text(&a.ip(), a.port());
    match &fired.event {
        Event::RealUp { real, reason, .. } | Event::RealDown { real, reason, .. } => {
            env.push(("IPVSCTL_REAL", address(real)));
            let health = if matches!(fired.event, Event::RealUp { .. }) {
                "up"
            } else {
                "down"
            };
            env.push(("IPVSCTL_HEALTH", health.to_string()));
            env.push(("IPVSCTL_REASON", reason.clone()));
        }
        Event::RealDrained { real, reason, .. }
        | Event::RealDisabled { real, reason, .. }
        | Event::RealEnabled { real, reason, .. } => {
            env.push(("IPVSCTL_REAL", address(real)));
            env.push(("IPVSCTL_REASON", reason.clone()));
        }
        Event::RealWeight {
            real,
            weight,
            reason,
            ..
        } => {
            env.push(("IPVSCTL_REAL", address(real)));
            env.push(("IPVSCTL_WEIGHT", weight.to_string()));
            env.push(("IPVSCTL_REASON", reason.clone()));
        }
        Event::FallbackIn { fallback, .. } | Event::FallbackOut { fallback, .. } => {
            env.push(("IPVSCTL_REAL", address(fallback)));
        }
        Event::ReloadApplied { problem } => {
            if let Some(problem) = problem {
                env.push(("IPVSCTL_REASON", problem.clone()));
            }
        }
        Event::ReloadRefused { errors, first } => {
            env.push(("IPVSCTL_REASON", first.clone()));
            env.push(("IPVSCTL_ERRORS", errors.to_string()));
        }
        Event::Announced { address } => {
            env.push(("IPVSCTL_ADDRESS", address.to_string()));
        }
        Event::Withdrawn { address, reason } => {
            env.push(("IPVSCTL_ADDRESS", address.to_string()));
            env.push(("IPVSCTL_REASON", reason.clone()));
        }
    }
    env
}

/// Replaces each `{name}` whose `IPVSCTL_NAME` is in `env`, in one pass (a
/// value holding a placeholder is not replaced again); anything else stays
/// as written.
pub fn substitute(arg: &str, env: &[(&'static str, String)]) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let value = tail.find('}').and_then(|close| {
            let name = &tail[1..close];
            let found = env.iter().find(|(var, _)| {
                var.strip_prefix("IPVSCTL_")
                    .is_some_and(|v| !name.is_empty() && v.eq_ignore_ascii_case(name))
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })?;
            Some((found.1.as_str(), close + 1))
        });
        match value {
            Some((value, len)) => {
                out.push_str(value);
                rest = &tail[len..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(&'static str, String)> {
        vec![
            ("IPVSCTL_EVENT", "fallback-in".to_string()),
            ("IPVSCTL_VIRTUAL", "10.0.0.1:80".to_string()),
            ("IPVSCTL_VIRTUAL_NAME", "{event}".to_string()),
        ]
    }

    #[test]
    fn placeholders_are_the_variables_in_lower_case() {
        assert_eq!(
            substitute("{event} {virtual}", &env()),
            "fallback-in 10.0.0.1:80"
        );
        assert_eq!(substitute("x={virtual}!", &env()), "x=10.0.0.1:80!");
        assert_eq!(substitute("{virtual_name}", &env()), "{event}", "one pass");
    }

    #[test]
    fn unknown_or_unset_placeholders_stay() {
        for arg in [
            "{real}",
            "{EVENT}",
            "{",
            "}{",
            "{}",
            "{ev{event}",
            "${HOME}",
        ] {
            let expected = arg.replace("{event}", "fallback-in");
            assert_eq!(substitute(arg, &env()), expected, "{arg}");
        }
    }
}
