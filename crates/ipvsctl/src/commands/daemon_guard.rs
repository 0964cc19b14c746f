// SPDX-License-Identifier: MIT OR Apache-2.0
//! `apply`, `remove` and `flush` write the table behind the daemon's back
//! when one manages this network namespace: an apply puts back reals its
//! checks took out (until their next transition), a remove or a flush
//! takes out services it puts back. So they refuse while a daemon answers
//! on this namespace's control socket, naming it and saying what to do
//! instead, unless `--force`.

use crate::daemon::socket::{Address, Holder};

/// A command that writes the table itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// `ipvsctl apply`.
    Apply,
    /// `ipvsctl remove`.
    Remove,
    /// `ipvsctl flush`.
    Flush,
}

/// Why the command must not run now, if it must not: a daemon manages
/// this namespace and `force` is not given.
pub fn refusal(writer: Writer, force: bool) -> Option<String> {
    if force {
        return None;
    }
    Address::here()
        .holder()
        .map(|holder| message(writer, &holder))
}

/// What the refusal says.
pub fn message(writer: Writer, holder: &Holder) -> String {
    let what = format!("an ipvsctl daemon manages this network namespace ({holder})");
    match writer {
        Writer::Apply => format!(
            "{what}: an apply would put back reals its checks took out. \
             `ipvsctl reload` has it re-read its files; `ipvsctl apply --force` applies all the same"
        ),
        Writer::Remove => format!(
            "{what}: it would put the services back. Stop it first, then remove; \
             `ipvsctl remove --force` removes them all the same"
        ),
        Writer::Flush => format!(
            "{what}: it would put its services back. Stop it first, then flush; \
             `ipvsctl flush --yes --force` flushes all the same"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netns::Namespace;

    #[test]
    fn the_refusal_names_the_daemon_and_what_to_do() {
        let holder = Holder {
            pid: Some(4242),
            namespace: Some(Namespace::known(4026532301, Some("d1"), Some(false))),
        };
        assert_eq!(
            message(Writer::Apply, &holder),
            "an ipvsctl daemon manages this network namespace (pid 4242, net:[4026532301] \
             (ip netns d1)): an apply would put back reals its checks took out. `ipvsctl reload` \
             has it re-read its files; `ipvsctl apply --force` applies all the same"
        );
        assert!(message(Writer::Remove, &holder).contains("Stop it first, then remove"));
        assert!(message(Writer::Flush, &holder).contains("`ipvsctl flush --yes --force`"));
    }
}
