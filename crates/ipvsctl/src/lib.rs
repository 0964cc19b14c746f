// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl`: keeps the kernel's IPVS table right. The binary
//! (`main.rs`) only parses the command line and runs a command; this
//! library holds the commands and the daemon, so that host tests can drive
//! the daemon's loop without a kernel.
//!
//! | module         | job                                                         |
//! |----------------|-------------------------------------------------------------|
//! | `cli`          | the command line (clap)                                     |
//! | `commands`     | one module per command                                      |
//! | `config_files` | which files a command reads: FILE..., or `/etc/ipvsctl/*.toml` |
//! | `daemon`       | `ipvsctl run`, and the control protocol of `status`/`reload` |
//! | `hooks`        | the hook runner: commands run on the daemon's events        |
//! | `table`        | [`table::Table`]: the IPVS table as `apply` and the daemon use it |
//! | `execute`      | execute a plan and report it (apply prints, the daemon logs) |
//! | `desired`      | the configuration in the kernel's terms                     |
//! | `record`       | the record of the services ipvsctl manages                  |
//! | `state_file`   | replace a state file safely: exclusive temporary, fsync, rename, modes |
//! | `sync_daemons` | make the sync daemons what `[sync]` asks for                |
//! | `kernel_settings` | make the timeouts and IPVS sysctls what `[timeouts]`, `[kernel]` ask for |
//! | `render`       | `list` output: ipvsadm text, JSON                           |
//! | `report`       | load the files and print their diagnostics                  |
//! | `exit`         | exit codes, the one-line error                              |
//! | `metrics`      | `[metrics]`: the Prometheus endpoint                        |
//! | `netns`        | which network namespace this is: `net:[…]`, its `ip netns` name |

pub mod cli;
pub mod commands;
pub mod config_files;
pub mod daemon;
pub mod desired;
pub mod execute;
pub mod exit;
pub mod hooks;
pub mod kernel_settings;
pub mod metrics;
pub mod netns;
pub mod record;
pub mod render;
pub mod report;
pub mod state_file;
pub mod sync_daemons;
pub mod table;
