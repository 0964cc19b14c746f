// SPDX-License-Identifier: MIT OR Apache-2.0
//! How tables are shown: `ipvsadm`'s text, and JSON.

pub mod ipvsadm;
pub mod json;
