// SPDX-License-Identifier: MIT OR Apache-2.0
//! Who may do what on the control socket. An abstract socket has no file
//! mode, so the kernel's word on the peer decides: its uid, gid and
//! supplementary groups as they were when it connected (SO_PEERCRED,
//! SO_PEERGROUPS: no user database is asked, nothing on a connection can
//! block). Root (uid 0) may do everything; the members of the `[control]
//! group` (as the process's gid or one of its supplementary groups, as a
//! file mode 0660 would have it) may ask for `status`; anyone else is
//! refused.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;

use crate::daemon::protocol::Request;

/// SO_PEERGROUPS (Linux 4.13), from the kernel's `asm-generic/socket.h`
/// (sparc's own): not in the libc crate's public names.
#[cfg(any(target_arch = "sparc", target_arch = "sparc64"))]
const SO_PEERGROUPS: libc::c_int = 0x3d;
#[cfg(not(any(target_arch = "sparc", target_arch = "sparc64")))]
const SO_PEERGROUPS: libc::c_int = 59;

/// The most supplementary groups read of a peer (the kernel's
/// NGROUPS_MAX).
const MAX_GROUPS: usize = 65_536;

/// The process at the other end of a connection, as the kernel saw it
/// when it connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Its process id (0 when the kernel does not know it).
    pub pid: u32,
    /// Its effective user id.
    pub uid: u32,
    /// Its effective group id.
    pub gid: u32,
    /// Its supplementary groups.
    pub groups: Vec<u32>,
}

impl Peer {
    /// The peer of the connected unix socket `socket`. Supplementary groups
    /// the kernel cannot tell (before Linux 4.13) count as none.
    pub fn of(socket: BorrowedFd<'_>) -> io::Result<Peer> {
        let fd = socket.as_raw_fd();
        let mut credentials = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut length = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: the buffer is a `ucred` and `length` its size.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                std::ptr::addr_of_mut!(credentials).cast(),
                &mut length,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Peer {
            pid: u32::try_from(credentials.pid).unwrap_or(0),
            uid: credentials.uid,
            gid: credentials.gid,
            groups: groups_of(fd).unwrap_or_default(),
        })
    }

    /// Whether it is in group `gid`, as its gid or a supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// The peer's supplementary groups (SO_PEERGROUPS): asked once with room
/// for 64, again with the room the kernel says it needs.
fn groups_of(fd: libc::c_int) -> io::Result<Vec<u32>> {
    let mut groups = vec![0 as libc::gid_t; 64];
    for _ in 0..2 {
        let mut length = std::mem::size_of_val(groups.as_slice()) as libc::socklen_t;
        // SAFETY: the buffer holds `length` bytes.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                SO_PEERGROUPS,
                groups.as_mut_ptr().cast(),
                &mut length,
            )
        };
        let count = length as usize / std::mem::size_of::<libc::gid_t>();
        if rc == 0 {
            groups.truncate(count);
            return Ok(groups);
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::ERANGE) || count > MAX_GROUPS {
            return Err(error);
        }
        groups.resize(count, 0);
    }
    Err(io::Error::from_raw_os_error(libc::ERANGE))
}

/// The `[control] group`: its name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// As the configuration names it.
    pub name: String,
    /// Its id.
    pub gid: u32,
}

/// Who may use the socket: root, and the `[control] group` for status.
/// Shared by the loop (which sets the group at start and on reload) and
/// the connections (which read it).
#[derive(Debug, Clone, Default)]
pub struct Access {
    group: Arc<Mutex<Option<Group>>>,
}

impl Access {
    /// Root's only.
    pub fn root_only() -> Self {
        Self::default()
    }

    /// Gives `status` to group `name`'s members, or to nobody but root.
    /// An unknown group leaves the socket root's only (the error says so).
    pub fn set_group(&self, name: Option<&str>) -> anyhow::Result<()> {
        let group = name
            .map(|name| {
                group_id(name).map(|gid| Group {
                    name: name.to_string(),
                    gid,
                })
            })
            .transpose();
        let mut held = self.group.lock().unwrap_or_else(PoisonError::into_inner);
        match group {
            Ok(group) => {
                *held = group;
                Ok(())
            }
            Err(e) => {
                *held = None;
                Err(e)
            }
        }
    }

    /// The group that may ask for status, if any.
    pub fn group(&self) -> Option<Group> {
        self.group
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Why `request` from `peer` is refused, if it is.
    pub fn refusal(&self, request: &Request, peer: &Peer) -> Option<String> {
        refusal(request, peer, self.group().as_ref())
    }
}

/// Why `request` from `peer` is refused, if it is, with `group` the
/// `[control] group`: anything but root is refused, but for the group's
/// `status`.
pub fn refusal(request: &Request, peer: &Peer, group: Option<&Group>) -> Option<String> {
    if peer.uid == 0 {
        return None;
    }
    let you = user_name(peer.uid);
    match group {
        Some(group) if peer.in_group(group.gid) => request.changes().then(|| {
            format!(
                "only root may {} (you are {you}); the control group may only ask for status",
                request_name(request)
            )
        }),
        Some(group) => Some(format!(
            "only root, and the members of group {} (the daemon's [control] group) for \
             status, may use the control socket (you are {you})",
            group.name
        )),
        None => Some(format!(
            "only root may use the control socket (you are {you}); \
             the daemon's [control] group would let a group ask for status"
        )),
    }
}

/// `drain`, `reload`, … as the command line says it.
fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Status => "status",
        Request::Reload => "reload",
        Request::Drain(_) => "drain",
        Request::Disable(_) => "disable",
        Request::Enable(_) => "enable",
        Request::Weight(_) => "set a weight",
        Request::Resync => "resync",
        Request::DrainDirector => "drain the director",
        Request::EnableDirector => "enable the director",
    }
}

/// A group's id by name.
fn group_id(name: &str) -> anyhow::Result<u32> {
    let c_name = std::ffi::CString::new(name).context("a group name without NUL")?;
    // SAFETY: all-zero is a valid `struct group` (null pointers, gid 0).
    let mut group: libc::group = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, the buffer's length is
    // its own.
    let rc = unsafe {
        libc::getgrnam_r(
            c_name.as_ptr(),
            &mut group,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() {
        anyhow::bail!("no group `{name}` ([control] group); the socket stays root's only");
    }
    Ok(group.gr_gid)
}

/// A user's name by uid, or `uid N`.
pub fn user_name(uid: u32) -> String {
    // SAFETY: all-zero is a valid `struct passwd`.
    let mut user: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, the buffer's length is
    // its own.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut user,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || user.pw_name.is_null() {
        return format!("uid {uid}");
    }
    // SAFETY: getpwuid_r set pw_name to a NUL-terminated string in `buffer`.
    let name = unsafe { std::ffi::CStr::from_ptr(user.pw_name) };
    name.to_str()
        .map_or_else(|_| format!("uid {uid}"), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::protocol::Selection;

    fn peer(uid: u32, gid: u32, groups: &[u32]) -> Peer {
        Peer {
            pid: 1,
            uid,
            gid,
            groups: groups.to_vec(),
        }
    }

    fn drain() -> Request {
        Request::Drain(Selection {
            real: "10.0.0.2".into(),
            virtual_: None,
            reason: None,
        })
    }

    #[test]
    fn root_may_do_everything_with_or_without_a_group() {
        let adm = Group {
            name: "adm".into(),
            gid: 4,
        };
        for group in [None, Some(&adm)] {
            for request in [Request::Status, Request::Reload, drain()] {
                assert_eq!(refusal(&request, &peer(0, 0, &[]), group), None);
            }
        }
    }

    #[test]
    fn the_group_by_gid_or_supplementary_group_may_ask_for_status_only() {
        let adm = Group {
            name: "adm".into(),
            gid: 4,
        };
        for member in [peer(4_000_000, 4, &[]), peer(4_000_000, 100, &[27, 4])] {
            assert_eq!(refusal(&Request::Status, &member, Some(&adm)), None);
            assert_eq!(
                refusal(&drain(), &member, Some(&adm)).unwrap(),
                "only root may drain (you are uid 4000000); the control group may only ask for status"
            );
            assert!(refusal(&Request::Reload, &member, Some(&adm))
                .unwrap()
                .starts_with("only root may reload"));
        }
    }

    #[test]
    fn anyone_else_is_refused_even_status() {
        let adm = Group {
            name: "adm".into(),
            gid: 4,
        };
        let stranger = peer(4_000_000, 100, &[27]);
        assert_eq!(
            refusal(&Request::Status, &stranger, Some(&adm)).unwrap(),
            "only root, and the members of group adm (the daemon's [control] group) for status, \
             may use the control socket (you are uid 4000000)"
        );
        assert_eq!(
            refusal(&Request::Status, &stranger, None).unwrap(),
            "only root may use the control socket (you are uid 4000000); \
             the daemon's [control] group would let a group ask for status"
        );
        assert!(refusal(&drain(), &stranger, None).is_some());
    }

    #[test]
    fn an_unknown_group_leaves_root_only() {
        let access = Access::root_only();
        access.set_group(Some("root")).unwrap();
        assert_eq!(access.group().map(|g| g.gid), Some(0));
        let error = access.set_group(Some("no-such-group-here")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no group `no-such-group-here` ([control] group); the socket stays root's only"
        );
        assert_eq!(access.group(), None);
        access.set_group(None).unwrap();
        assert_eq!(access.group(), None);
    }
}
