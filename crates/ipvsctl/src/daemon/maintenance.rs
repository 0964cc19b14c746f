// SPDX-License-Identifier: MIT OR Apache-2.0
//! `maintenance_dir` (ldirectord's `maintenancedir`): a file in it takes a
//! real out as if its check failed (a quiescent virtual keeps it at weight
//! 0). The file's name says which real, as ldirectord reads it, first
//! match wins: `IP:PORT`, `IP`, the real's host name (`HOST:PORT`, `HOST`),
//! then its short name (`SHORT:PORT`, `SHORT`). An IPv6 real is
//! `[2001:db8::2]:80` or `2001:db8::2`. Host names are the reverse DNS
//! names of the reals, looked up only while some file name is not an
//! address, and kept for five minutes.
//!
//! The directories are polled ([`PERIOD`]), off the loop: the daemon's
//! [`watch`] task reads each directory in a blocking thread, one scan at a
//! time, at most [`MAX_ENTRIES`] names each, and sends what it found only
//! when it changed. Polling, not inotify: it needs no dependency, works on
//! NFS, and a scan of a small directory every two seconds costs nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use health::TargetKey;
use ipvs::ServiceKey;
use tokio::sync::{mpsc, watch as channel};
use tracing::warn;

/// Time between two scans.
pub const PERIOD: Duration = Duration::from_secs(2);
/// The most names read from one directory.
pub const MAX_ENTRIES: usize = 4096;
/// How long a real's host name is kept.
const NAME_TTL: Duration = Duration::from_secs(300);

/// What to watch: each directory with the reals it may take out.
pub type Watched = Vec<(PathBuf, Vec<TargetKey<ServiceKey>>)>;

/// The reals in maintenance, each with the file that says so.
pub type Found = BTreeMap<TargetKey<ServiceKey>, Marker>;

/// The file that takes a real out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Its path.
    pub file: PathBuf,
    /// When it was last modified (seconds since the epoch; 0 if unknown).
    pub since_unix: u64,
}

/// The file (of `names`, a directory's entries) that puts the real in
/// maintenance, if any; `host` is its host name, when known.
pub fn matching_file<'n>(
    names: &'n BTreeSet<String>,
    real: SocketAddr,
    host: Option<&str>,
) -> Option<&'n String> {
    let ip = real.ip();
    let port = real.port();
    let mut candidates = Vec::new();
    let with_port = port != 0;
    if with_port {
        candidates.push(ipvs::net::socket_text(&ip, port));
        if ip.is_ipv6() {
            candidates.push(format!("{ip}:{port}"));
        }
    }
    candidates.push(ip.to_string());
    if let Some(host) = host {
        let host = host.trim_end_matches('.');
        let short = host
            .split_once('.')
            .map(|(short, _)| short)
            .filter(|s| s.starts_with(|c: char| c.is_ascii_alphabetic()));
        for name in std::iter::once(host).chain(short) {
            if with_port {
                candidates.push(format!("{name}:{port}"));
            }
            candidates.push(name.to_string());
        }
    }
    candidates.iter().find_map(|c| names.get(c))
}

/// Whether a file name is an address form (so no host name is needed).
fn is_address(name: &str) -> bool {
    let bare = name
        .rsplit_once(':')
        .filter(|(_, port)| port.parse::<u16>().is_ok())
        .map_or(name, |(ip, _)| ip);
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    name.parse::<IpAddr>().is_ok() || bare.parse::<IpAddr>().is_ok()
}

/// The names in a directory (at most [`MAX_ENTRIES`]; dot files skipped).
pub fn scan(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir)?.take(MAX_ENTRIES) {
        let name = entry?.file_name();
        if let Some(name) = name.to_str().filter(|n| !n.starts_with('.')) {
            names.insert(name.to_string());
        }
    }
    Ok(names)
}

/// Reverse DNS names of reals, kept for [`NAME_TTL`].
#[derive(Default)]
struct HostNames(HashMap<IpAddr, (Option<String>, Instant)>);

impl HostNames {
    fn of(&mut self, ip: IpAddr) -> Option<String> {
        if let Some((name, at)) = self.0.get(&ip) {
            if at.elapsed() < NAME_TTL {
                return name.clone();
            }
        }
        let name = reverse_name(ip);
        self.0.insert(ip, (name.clone(), Instant::now()));
        name
    }
}

/// The reverse DNS name of an address (getnameinfo, NI_NAMEREQD).
fn reverse_name(ip: IpAddr) -> Option<String> {
    let socket: c_address::Storage = c_address::Storage::of(SocketAddr::new(ip, 0));
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: the address and the buffer are valid for the lengths given;
    // no service name is asked for.
    let rc = unsafe {
        libc::getnameinfo(
            socket.pointer(),
            socket.length(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote a NUL-terminated string into `host`.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    name.to_str().ok().map(|n| n.to_ascii_lowercase())
}

/// A socket address as the C library takes it.
mod c_address {
    use std::net::SocketAddr;

    pub(super) enum Storage {
        V4(libc::sockaddr_in),
        V6(libc::sockaddr_in6),
    }

    impl Storage {
        pub(super) fn of(address: SocketAddr) -> Self {
            match address {
                SocketAddr::V4(a) => {
                    // SAFETY: all-zero is a valid sockaddr_in.
                    let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                    s.sin_family = libc::AF_INET as libc::sa_family_t;
                    s.sin_port = a.port().to_be();
                    s.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                    Self::V4(s)
                }
                SocketAddr::V6(a) => {
                    // SAFETY: all-zero is a valid sockaddr_in6.
                    let mut s: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                    s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                    s.sin6_port = a.port().to_be();
                    s.sin6_addr.s6_addr = a.ip().octets();
                    Self::V6(s)
                }
            }
        }

        pub(super) fn pointer(&self) -> *const libc::sockaddr {
            match self {
                Self::V4(s) => (s as *const libc::sockaddr_in).cast(),
                Self::V6(s) => (s as *const libc::sockaddr_in6).cast(),
            }
        }

        pub(super) fn length(&self) -> libc::socklen_t {
            let size = match self {
                Self::V4(_) => std::mem::size_of::<libc::sockaddr_in>(),
                Self::V6(_) => std::mem::size_of::<libc::sockaddr_in6>(),
            };
            size as libc::socklen_t
        }
    }
}

/// One scan of every watched directory; the error of each directory that
/// could not be read. A directory that cannot be read keeps what it held
/// at the `previous` scan: an NFS blip or a permission change must not put
/// every real it holds out back in.
fn scan_all(
    watched: &Watched,
    names: &mut HostNames,
    previous: Option<&Found>,
) -> (Found, Vec<String>) {
    let mut found = Found::new();
    let mut errors = Vec::new();
    for (dir, reals) in watched {
        let files = match scan(dir) {
            Ok(files) => files,
            Err(e) => {
                errors.push(format!(
                    "maintenance_dir {}: {e} (its reals stay as they were)",
                    dir.display()
                ));
                for key in reals {
                    if let Some(marker) = previous.and_then(|p| p.get(key)) {
                        if marker.file.parent() == Some(dir.as_path()) {
                            found.insert(key.clone(), marker.clone());
                        }
                    }
                }
                continue;
            }
        };
        if files.is_empty() {
            continue;
        }
        let by_name = !files.iter().all(|f| is_address(f));
        for key in reals {
            let host = if by_name {
                names.of(key.real.ip())
            } else {
                None
            };
            if let Some(file) = matching_file(&files, key.real, host.as_deref()) {
                let file = dir.join(file);
                let since_unix = std::fs::metadata(&file)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                found.insert(key.clone(), Marker { file, since_unix });
            }
        }
    }
    (found, errors)
}

/// One scan, off the loop (used once at start).
pub async fn scan_once(watched: Watched) -> Found {
    tokio::task::spawn_blocking(move || scan_all(&watched, &mut HostNames::default(), None).0)
        .await
        .unwrap_or_default()
}

/// Scans the directories `watched` names every [`PERIOD`] and sends what it
/// found when it changed; ends when either channel closes. An unreadable
/// directory is logged once (until it reads again).
pub async fn watch(mut watched: channel::Receiver<Watched>, found: mpsc::Sender<Found>) {
    let mut names = Some(HostNames::default());
    let mut last: Option<Found> = None;
    let mut last_errors = Vec::new();
    loop {
        let current = watched.borrow_and_update().clone();
        if current.is_empty() {
            last = None;
            if watched.changed().await.is_err() {
                return;
            }
            continue;
        }
        let mut cache = names.take().unwrap_or_default();
        let previous = last.clone();
        let Ok((now, errors, cache)) = tokio::task::spawn_blocking(move || {
            let (now, errors) = scan_all(&current, &mut cache, previous.as_ref());
            (now, errors, cache)
        })
        .await
        else {
            return;
        };
        names = Some(cache);
        for e in errors.iter().filter(|e| !last_errors.contains(*e)) {
            warn!("{e}");
        }
        last_errors = errors;
        if last.as_ref() != Some(&now) {
            if found.send(now.clone()).await.is_err() {
                return;
            }
            last = Some(now);
        }
        tokio::select! {
            () = tokio::time::sleep(PERIOD) => {}
            changed = watched.changed() => if changed.is_err() { return },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn real(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ldirectords_names_in_ldirectords_order() {
        let host = Some("realserver2.example.com");
        let r = real("172.16.1.2:4444");
        for (files, wanted) in [
            (&["172.16.1.2:4444", "172.16.1.2"][..], "172.16.1.2:4444"),
            (&["172.16.1.2", "realserver2"][..], "172.16.1.2"),
            (
                &["realserver2.example.com:4444"][..],
                "realserver2.example.com:4444",
            ),
            (
                &["realserver2.example.com", "realserver2:4444"][..],
                "realserver2.example.com",
            ),
            (&["realserver2:4444", "realserver2"][..], "realserver2:4444"),
            (&["realserver2"][..], "realserver2"),
        ] {
            assert_eq!(
                matching_file(&names(files), r, host).map(String::as_str),
                Some(wanted),
                "{files:?}"
            );
        }
    }

    #[test]
    fn other_reals_and_ports_do_not_match() {
        let r = real("172.16.1.2:4444");
        let files = names(&["172.16.1.2:80", "172.16.1.20", "realserver3", "172.16.1"]);
        assert_eq!(
            matching_file(&files, r, Some("realserver2.example.com")),
            None
        );
        // Without a host name, only the address forms count.
        assert_eq!(matching_file(&names(&["realserver2"]), r, None), None);
    }

    #[test]
    fn ipv6_reals_with_or_without_brackets() {
        let r = real("[2001:db8::2]:80");
        for file in ["[2001:db8::2]:80", "2001:db8::2:80", "2001:db8::2"] {
            assert!(matching_file(&names(&[file]), r, None).is_some(), "{file}");
        }
        assert!(matching_file(&names(&["[2001:db8::2]:81"]), r, None).is_none());
    }

    #[test]
    fn a_real_without_a_port_matches_by_address() {
        let r = real("10.0.0.2:0");
        assert!(matching_file(&names(&["10.0.0.2"]), r, None).is_some());
        assert!(matching_file(&names(&["10.0.0.2:0"]), r, None).is_none());
    }

    #[test]
    fn address_names_need_no_lookup() {
        for name in ["10.0.0.2", "10.0.0.2:80", "[2001:db8::2]:80", "2001:db8::2"] {
            assert!(is_address(name), "{name}");
        }
        for name in ["web1", "web1:80", "web1.example.com"] {
            assert!(!is_address(name), "{name}");
        }
    }

    #[test]
    fn a_scan_reads_at_most_its_bound_and_skips_dot_files() {
        let dir = std::env::temp_dir().join(format!("ipvsctl-maint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..(MAX_ENTRIES + 10) {
            std::fs::write(dir.join(format!("10.0.{}.{}", i / 256, i % 256)), "").unwrap();
        }
        std::fs::write(dir.join(".hidden"), "").unwrap();
        let found = scan(&dir).unwrap();
        // The dot file may be among the names read.
        assert!((MAX_ENTRIES - 1..=MAX_ENTRIES).contains(&found.len()));
        assert!(!found.contains(".hidden"));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(scan(&dir).is_err());
    }

    #[test]
    fn a_directory_that_cannot_be_read_keeps_its_reals_as_they_were() {
        let dir = std::env::temp_dir().join(format!("ipvsctl-maint-gone-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("10.0.0.2"), "").unwrap();
        let key = |real: &str| TargetKey {
            service: ServiceKey::tcp("10.0.0.1:80".parse().unwrap()),
            real: real.parse().unwrap(),
        };
        let watched: Watched = vec![(dir.clone(), vec![key("10.0.0.2:80"), key("10.0.0.3:80")])];
        let mut names = HostNames::default();
        let (first, errors) = scan_all(&watched, &mut names, None);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            first.keys().cloned().collect::<Vec<_>>(),
            [key("10.0.0.2:80")]
        );
        // The directory goes away (an NFS mount gone, a rename): an error,
        // and the real held out stays out.
        std::fs::remove_dir_all(&dir).unwrap();
        let (then, errors) = scan_all(&watched, &mut names, Some(&first));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(then, first);
        // Without a previous scan (at start) there is nothing to keep.
        assert!(scan_all(&watched, &mut names, None).0.is_empty());
    }
}
