// SPDX-License-Identifier: MIT OR Apache-2.0
//! ipvsctl's configuration: TOML files and ldirectord `.cf` files in, a
//! checked desired state ([`model::Config`]) out. Knows nothing of the kernel.
//!
//! | module        | job                                                          |
//! |---------------|--------------------------------------------------------------|
//! | [`source`]    | a file's text; byte offsets to line:column                   |
//! | [`tree`]      | the raw document, every key and value with its span          |
//! | [`toml_file`] | TOML text to the raw document                                |
//! | [`cf`]        | ldirectord `.cf` text to the same raw document               |
//! | [`keepalived`]| keepalived.conf's IPVS part to the same raw document        |
//! | `fields`      | typed reads from a raw table; the keys read are the schema   |
//! | `words`       | the words of each enum key: read, refused, written back      |
//! | [`validate`]  | raw document to [`model::Config`], one file per TOML table   |
//! | [`model`]     | the checked configuration                                    |
//! | `http_values` | an http check's regex ([`model::Pattern`]) and status codes  |
//! | `secret`      | a check's password, inline or from `password_file`           |
//! | [`write`](mod@write) | [`model::Config`] back to TOML (`ipvsctl convert`)           |
//! | [`diagnostic`]| `FILE:LINE:COL: KEY: message`                                |
//! | [`load`](mod@load) | files to a [`model::Config`]: read, parse, validate          |
#![deny(missing_docs)]

pub mod cf;
pub mod diagnostic;
mod fields;
mod http_values;
pub mod keepalived;
pub mod load;
pub mod model;
mod secret;
pub mod source;
pub mod toml_file;
pub mod tree;
pub mod validate;
mod words;
pub mod write;

pub use diagnostic::{Diagnostic, Severity};
pub use load::{load, Loaded};
pub use model::Config;
