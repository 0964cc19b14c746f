// SPDX-License-Identifier: MIT OR Apache-2.0
//! The system resolver, asked as ldirectord asks it: `getaddrinfo` with
//! the block's address family as the hint (one query, A or AAAA; std's
//! `ToSocketAddrs` would ask for both at once), addresses in the
//! resolver's order. Blocking: [`host_names`](super::host_names) runs it on
//! a thread of its own.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::address::Family;

/// The addresses of `name` in `family`, in order, at most `max`; or the
/// resolver's message.
pub(super) fn addresses(name: &str, family: Family, max: usize) -> Result<Vec<IpAddr>, String> {
    let c_name = CString::new(name).map_err(|_| "the name holds a NUL byte".to_string())?;
    // SAFETY: an all-zero addrinfo is the documented "no hints" value; the
    // fields set below are plain integers.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = match family {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: c_name is NUL-terminated and outlives the call; hints is a
    // valid addrinfo; list receives a list we free below.
    let status = unsafe { libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut list) };
    if status != 0 {
        return Err(gai_message(status));
    }
    let mut found = Vec::new();
    let mut entry = list;
    while !entry.is_null() && found.len() < max {
        // SAFETY: entry is a node of the list getaddrinfo returned, not yet
        // freed; ai_addr points to ai_addrlen bytes of the family it names.
        let ip = unsafe { address_of(&*entry) };
        if let Some(ip) = ip {
            found.push(ip);
        }
        // SAFETY: as above.
        entry = unsafe { (*entry).ai_next };
    }
    // SAFETY: list came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(found)
}

/// The address of one entry, when it is IPv4 or IPv6.
///
/// # Safety
/// `entry` must come from `getaddrinfo`, with its `ai_addr` still valid.
unsafe fn address_of(entry: &libc::addrinfo) -> Option<IpAddr> {
    if entry.ai_addr.is_null() {
        return None;
    }
    let len = usize::try_from(entry.ai_addrlen).ok()?;
    match entry.ai_family {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            let sin = &*(entry.ai_addr as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            let sin6 = &*(entry.ai_addr as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// `gai_strerror`'s text for a status (`EAI_SYSTEM`: errno's).
fn gai_message(status: i32) -> String {
    if status == libc::EAI_SYSTEM {
        return std::io::Error::last_os_error().to_string();
    }
    // SAFETY: gai_strerror returns a static NUL-terminated string for any
    // status.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(status)) };
    text.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_a_name_that_is_not() {
        let v4 = addresses("localhost", Family::V4, 8).unwrap();
        assert!(!v4.is_empty());
        assert!(
            v4.iter().all(|ip| ip.is_ipv4() && ip.is_loopback()),
            "{v4:?}"
        );
        let error = addresses("name.invalid", Family::V4, 8).unwrap_err();
        assert!(!error.is_empty());
        assert!(addresses("a\0b", Family::V4, 8).is_err());
        assert!(addresses("localhost", Family::V4, 0).unwrap().is_empty());
    }
}
