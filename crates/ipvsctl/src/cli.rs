// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command line.

use clap::{Parser, Subcommand};

/// Keeps the kernel's IPVS (LVS) table right.
#[derive(Debug, Parser)]
#[command(name = "ipvsctl", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the kernel's IPVS table, as `ipvsadm -Ln` does.
    List {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
}
