// SPDX-License-Identifier: MIT OR Apache-2.0
//! Kernel tests: every netlink operation against a real IPVS kernel,
//! cross-checked with `ipvsadm`. They need root and an IPVS kernel, so they
//! are ignored by a plain `cargo test`; `scripts/test` runs them inside the
//! lab VM (`scripts/lab`) with `--ignored`.
//!
//! Each test runs in a network namespace of its own (see [`lab::namespace`]),
//! so each starts from an empty table. Run them one at a time all the same
//! (`--test-threads 1`): the kernel keeps one service table for every
//! namespace, and a large service dump in one test can skip an entry while
//! another test adds services elsewhere (see `Ipvs::services`).

mod lab;

mod batch;
mod daemons;
mod destinations;
mod errors;
mod services;
mod settings;
