// SPDX-License-Identifier: MIT OR Apache-2.0
//! The file-descriptor limit, and how many descriptors checks may hold.

use std::io;

/// Checks never hold more than this many descriptors at once, however
/// high the limit.
const MOST_PERMITS: u64 = 4096;
/// Nor fewer than this (an external check takes two).
const FEWEST_PERMITS: u64 = 8;

/// rlim_t is u64 on 64-bit Linux, narrower elsewhere.
#[allow(clippy::unnecessary_cast)]
fn wide(v: libc::rlim_t) -> u64 {
    v as u64
}

fn get() -> io::Result<libc::rlimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the one we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(lim)
}

fn set(lim: &libc::rlimit) -> io::Result<()> {
    // SAFETY: setrlimit reads the rlimit we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (returns the new soft limit).
///
/// A hard limit of "unlimited" cannot be the soft limit of descriptors: the
/// soft limit then goes to `/proc/sys/fs/nr_open` (the kernel's ceiling).
pub fn raise_nofile_limit() -> io::Result<u64> {
    let lim = get()?;
    if lim.rlim_cur >= lim.rlim_max {
        return Ok(wide(lim.rlim_cur));
    }
    let mut want = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    if let Err(e) = set(&want) {
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse::<libc::rlim_t>().ok());
        match nr_open {
            Some(n) if lim.rlim_max == libc::RLIM_INFINITY && n > lim.rlim_cur => {
                want.rlim_cur = n;
                set(&want)?;
            }
            _ => return Err(e),
        }
    }
    Ok(wide(get()?.rlim_cur))
}

/// The soft limit now.
pub(crate) fn nofile_soft_limit() -> u64 {
    get().map(|l| wide(l.rlim_cur)).unwrap_or(1024)
}

/// The default bound on descriptors held by checks: half the soft limit,
/// at most 4096 (an external check counts two). The engine's, and
/// `ipvsctl check`'s.
pub fn default_permits() -> usize {
    (nofile_soft_limit() / 2).clamp(FEWEST_PERMITS, MOST_PERMITS) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_reaches_the_hard_limit_and_is_idempotent() {
        let first = raise_nofile_limit().unwrap();
        let lim = get().unwrap();
        assert_eq!(first, wide(lim.rlim_cur));
        assert!(lim.rlim_cur == lim.rlim_max || lim.rlim_max == libc::RLIM_INFINITY);
        assert_eq!(raise_nofile_limit().unwrap(), first);
    }

    #[test]
    fn permits_are_bounded() {
        let p = default_permits() as u64;
        assert!((FEWEST_PERMITS..=MOST_PERMITS).contains(&p));
        assert!(p <= nofile_soft_limit().max(2 * FEWEST_PERMITS));
    }
}
