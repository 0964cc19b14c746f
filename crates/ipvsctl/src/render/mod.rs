// SPDX-License-Identifier: MIT OR Apache-2.0
//! How tables are shown: `ipvsadm`'s text, JSON, and the fingerprint that
//! directors compare.

pub mod fingerprint;
pub mod ipvsadm;
pub mod json;
