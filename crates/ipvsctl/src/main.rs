// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl`: keeps the kernel's IPVS table right.
//!
//! This file only parses the command line, runs the command and turns its
//! error into one line on stderr and an exit code.

use clap::Parser;
use ipvsctl::{cli, commands, exit};

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::run(cli.command) {
        Ok(code) => code,
        // A closed pipe (`ipvsctl list | head`) is not an error.
        Err(error) if exit::is_broken_pipe(&error) => exit::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", exit::describe(&error));
            exit::FAILURE
        }
    };
    std::process::exit(code);
}
