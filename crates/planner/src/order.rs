// SPDX-License-Identifier: MIT OR Apache-2.0
//! The destination order of schedulers whose table depends on it.
//!
//! The kernel keeps a service's destinations in a list; a destination
//! added (or brought back from the trash) goes to its head, and a dump
//! walks it from the head. `mh` (Maglev) fills its lookup table walking
//! that list, each destination in turn taking the next free slot of its
//! permutation, so two directors with the same destinations and weights in
//! a different order have different tables; `sh` hands out its buckets
//! walking the list the same way. For these schedulers the planner keeps
//! the list in one canonical order, so that every director given the same
//! configuration has the same table whatever happened before: sorted by
//! address then port (so that two configurations listing the reals
//! differently still agree).
//!
//! When the list is not in that order (a real added whose place is not the
//! head, a table made by hand), the shortest prefix of the canonical order
//! is deleted and added again, last first: what is not touched is the
//! longest tail of the canonical order that the kernel already holds in
//! that order, and everything added goes to the head.

use std::collections::HashMap;
use std::net::SocketAddr;

use ipvs::Destination;

/// Whether a scheduler's table depends on the order of the destinations.
pub fn order_matters(scheduler: &str) -> bool {
    matches!(scheduler, "mh" | "sh")
}

/// The canonical order: by address, then port.
pub fn canonical(destinations: &[Destination]) -> Vec<Destination> {
    let mut sorted = destinations.to_vec();
    sorted.sort_by_key(|d| d.address);
    sorted
}

/// How many of `wanted` (in canonical order) must be put in again, from
/// its head, so that the list reads as `wanted` once the unwanted ones in
/// `current` (the kernel's order) are deleted: the length of the prefix
/// before the longest tail of `wanted` that `current` holds in the same
/// order.
pub fn prefix_to_add(wanted: &[SocketAddr], current: &[SocketAddr]) -> usize {
    let position: HashMap<&SocketAddr, usize> =
        current.iter().enumerate().map(|(i, a)| (a, i)).collect();
    // Walking the canonical order from its end, each real must be in the
    // kernel ahead of the one after it; the first that is not (or is not
    // there at all) ends the tail. What the kernel holds in front of the
    // tail is deleted and added again, so it does not matter where.
    let mut tail = 0;
    let mut next: Option<usize> = None;
    for address in wanted.iter().rev() {
        match position.get(address) {
            Some(&p) if next.is_none_or(|n| p < n) => {
                next = Some(p);
                tail += 1;
            }
            _ => break,
        }
    }
    wanted.len() - tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(list: &[u8]) -> Vec<SocketAddr> {
        list.iter()
            .map(|i| SocketAddr::from(([10, 0, 0, *i], 80)))
            .collect()
    }

    #[test]
    fn only_mh_and_sh_keep_an_order() {
        assert!(order_matters("mh"));
        assert!(order_matters("sh"));
        assert!(!order_matters("wlc"));
        assert!(!order_matters("rr"));
    }

    #[test]
    fn a_list_in_order_needs_nothing() {
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &a(&[1, 2, 3])), 0);
        assert_eq!(prefix_to_add(&[], &[]), 0);
    }

    #[test]
    fn a_missing_head_is_added_alone() {
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &a(&[2, 3])), 1);
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &[]), 3);
    }

    #[test]
    fn a_missing_middle_takes_the_reals_before_it_with_it() {
        assert_eq!(prefix_to_add(&a(&[1, 2, 3, 4]), &a(&[1, 2, 4])), 3);
    }

    #[test]
    fn unwanted_reals_do_not_count() {
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &a(&[9, 1, 2, 8, 3])), 0);
    }

    #[test]
    fn a_reversed_list_keeps_only_its_last() {
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &a(&[3, 2, 1])), 2);
    }

    #[test]
    fn a_real_out_of_place_in_front_is_moved_alone() {
        // 3 then 1: keeping 3 and re-adding 2 and 1 puts 1 and 2 in front.
        assert_eq!(prefix_to_add(&a(&[1, 2, 3]), &a(&[3, 1])), 2);
    }

    #[test]
    fn the_canonical_order_is_by_address_then_port() {
        let d = |s: &str| Destination::new(s.parse().unwrap(), ipvs::Forward::Route, 1);
        let sorted = canonical(&[d("10.0.0.2:80"), d("10.0.0.1:81"), d("10.0.0.1:80")]);
        let addresses: Vec<String> = sorted.iter().map(|d| d.address.to_string()).collect();
        assert_eq!(addresses, ["10.0.0.1:80", "10.0.0.1:81", "10.0.0.2:80"]);
    }
}
