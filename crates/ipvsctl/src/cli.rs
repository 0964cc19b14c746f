// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command line.

use std::path::PathBuf;

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
    /// Check configuration files (TOML or ldirectord .cf); no kernel access.
    /// Exit 0 when good, 1 otherwise.
    Validate {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print one JSON line instead (for scripts): the counts, and `sync`:
        /// `null`, or the `[sync]` role (master, backup, both), syncid and
        /// interface.
        #[arg(long)]
        json: bool,
    },
    /// Run every real's check once, now, and say which are up; no kernel
    /// access. The fallback is not checked (the daemon does not check it
    /// either). Exit 0: every real up; 2: some down; 1: an error in the files.
    Check {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only this virtual: its name, its address (10.0.0.1:80), or its key
        /// as `list` shows it (tcp 10.0.0.1:80, fwmark 7). Repeatable.
        #[arg(long = "virtual", value_name = "VIRTUAL")]
        virtuals: Vec<String>,
        /// Only this real: ip:port, or ip. Repeatable.
        #[arg(long = "real", value_name = "REAL")]
        reals: Vec<String>,
    },
    /// Show what `apply` would change. Exit 0: nothing; 2: changes; 1: error.
    Plan {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also delete services the files do not declare and ipvsctl does not manage.
        #[arg(long)]
        prune: bool,
    },
    /// Make the kernel table match the files; only the difference is written.
    Apply {
        #[command(flatten)]
        config: ConfigArgs,
        /// Also delete services the files do not declare and ipvsctl does not manage.
        #[arg(long)]
        prune: bool,
        /// Say on stderr what was sent to the kernel: dumps, writes, sendmsg calls.
        #[arg(long)]
        netlink_stats: bool,
        /// Apply even while a daemon (`ipvsctl run`) manages this network
        /// namespace, which `ipvsctl reload` is for: the apply puts every
        /// real in, dead ones too, until their next check changes.
        #[arg(long)]
        force: bool,
    },
    /// Print the kernel's IPVS table, as `ipvsadm -Ln` does.
    List {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
        /// Reals in the kernel's order (the head of its list first, as
        /// `ipvsadm -Ln --nosort`), which `mh` and `sh` hash over, instead
        /// of sorted by address.
        #[arg(long)]
        kernel_order: bool,
        /// One line per service with what decides where new connections
        /// go (scheduler, flags, reals with weights, in the order that
        /// counts), no counters: equal on directors with equal tables.
        #[arg(long, conflicts_with_all = ["json", "kernel_order"])]
        fingerprint: bool,
    },
    /// Delete the virtual services the files declare (a passive director must
    /// not hold the table); other services stay.
    Remove {
        #[command(flatten)]
        config: ConfigArgs,
        /// Remove even while a daemon (`ipvsctl run`) manages this network
        /// namespace (it puts them back); stop it first instead.
        #[arg(long)]
        force: bool,
    },
    /// Delete every virtual service in the table.
    Flush {
        /// Yes, really.
        #[arg(long)]
        yes: bool,
        /// Flush even while a daemon (`ipvsctl run`) manages this network
        /// namespace (it puts its services back); stop it first instead.
        #[arg(long)]
        force: bool,
    },
    /// The daemon: health checks drive the table (ldirectord's job).
    Run {
        #[command(flatten)]
        config: ConfigArgs,
        /// Threads that run the health checks. One keeps up with 10,000
        /// connect checks a second on one core and costs the least CPU per
        /// check; more spread heavy checks (TLS, external commands) over cores.
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u16).range(1..=64))]
        check_threads: u16,
    },
    /// Ask the running daemon (this network namespace's) for every real's
    /// health and kernel state.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print only the daemon's pid, as the kernel knows the process that
        /// answers (for scripts: no pid file that may name another process
        /// by now).
        #[arg(long, conflicts_with = "json")]
        pid: bool,
    },
    /// Ask the running daemon to re-read its files (like SIGHUP).
    Reload,
    /// Ask the running daemon to read the table now and restore the declared
    /// state of the services it manages (it also does so every `[defaults]
    /// resync`, 30 s unless set); prints each difference found. Exit 0: the
    /// table is as declared; 1: something could not be restored.
    Resync {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Drain a real: weight 0, so no new connections while established ones
    /// go on; it stays so (across reloads and restarts) until `enable`.
    /// `--director`: withdraw every address this director announces
    /// (`[announce]`), keeping the table and the checks, until `enable
    /// --director`.
    Drain {
        #[command(flatten)]
        real: Option<RealArgs>,
        /// The whole director: withdraw its announced addresses (BIRD stops
        /// announcing them; the router sends the flows to the other
        /// directors). Until `enable --director`, across restarts.
        #[arg(long, conflicts_with_all = ["real", "wait"])]
        director: bool,
        /// Then wait until its active connections reach 0 in every virtual
        /// drained, or TIMEOUT (300, 90s, 5m, 1h; default 5m), and disable
        /// it. Exit 0: drained; 2: the timeout came first (disabled all the
        /// same).
        #[arg(long, value_name = "TIMEOUT", num_args = 0..=1, require_equals = true,
              default_missing_value = "5m")]
        wait: Option<String>,
    },
    /// Take a real out of the table now, until `enable`.
    Disable {
        #[command(flatten)]
        real: RealArgs,
    },
    /// Take a drain, disable or weight off: the real is back under its checks.
    /// `--director`: announce again after `drain --director`.
    Enable {
        #[command(flatten)]
        real: Option<RealArgs>,
        /// The whole director: announce its addresses again.
        #[arg(long, conflicts_with = "real")]
        director: bool,
    },
    /// Give a real this weight instead of the configured one (while it is
    /// up), until `enable`.
    Weight {
        #[command(flatten)]
        real: RealArgs,
        /// The weight, 0-65535.
        #[arg(value_parser = clap::value_parser!(u32).range(0..=65535))]
        weight: u32,
    },
    /// The kernel's connection-sync daemons (master/backup).
    Sync {
        /// What to do with them.
        #[command(subcommand)]
        command: SyncCommand,
    },
    /// Print an ldirectord .cf file or a keepalived.conf as ipvsctl TOML.
    /// The reader: `--from`, else ldirectord for a name ending in `.cf`,
    /// else keepalived for a name ending in `.conf` or a file with a
    /// keepalived block (`virtual_server`, `vrrp_instance`, `global_defs`…),
    /// else ldirectord.
    Convert {
        /// The ldirectord or keepalived configuration.
        file: PathBuf,
        /// Read the file as this tool's configuration.
        #[arg(long, value_enum)]
        from: Option<ConvertFrom>,
        /// keepalived's config id (`keepalived -i`), for `@ID` lines; by
        /// default the host name, as keepalived.
        #[arg(long)]
        config_id: Option<String>,
    },
}

/// Which tool's configuration `convert` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertFrom {
    /// An ldirectord `.cf` file.
    Ldirectord,
    /// A keepalived.conf (its virtual_server blocks).
    Keepalived,
}

/// The configuration files a command reads.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Files (TOML or ldirectord .cf) that together form the desired state;
    /// when none is given, every *.toml of the configuration directory,
    /// sorted by name.
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
    /// The configuration directory read when no FILE is given.
    #[arg(long, value_name = "DIR", conflicts_with = "files",
          default_value = crate::config_files::DEFAULT_DIR, value_hint = clap::ValueHint::DirPath)]
    pub config_dir: PathBuf,
}

impl ConfigArgs {
    /// Where the configuration comes from.
    pub fn files(self) -> crate::config_files::ConfigFiles {
        crate::config_files::ConfigFiles::from_args(self.files, Some(self.config_dir))
    }
}

/// Which real an override is for, and why.
#[derive(Debug, Clone, clap::Args)]
pub struct RealArgs {
    /// IP (that real in every virtual that has it) or IP:PORT.
    pub real: String,
    /// Only in this virtual: its name, IP:PORT, or its key (tcp 10.0.0.1:80,
    /// fwmark 7).
    #[arg(long = "virtual", value_name = "VIRTUAL")]
    pub virtual_: Option<String>,
    /// Why, for `status` and the log.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// A sync daemon's role.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SyncRoleArg {
    /// Sends the connection table.
    Master,
    /// Receives it.
    Backup,
}

/// `ipvsctl sync …`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Start a sync daemon (ipvsadm --start-daemon).
    Start {
        /// master or backup.
        #[arg(long, value_enum)]
        state: SyncRoleArg,
        /// Sync id, 0-255 (0: a backup accepts any master).
        #[arg(long)]
        syncid: u8,
        /// Interface that carries the sync traffic.
        #[arg(long)]
        interface: String,
        /// Largest sync message (UDP payload).
        #[arg(long)]
        maxlen: Option<u16>,
        /// Multicast group (default 224.0.0.81).
        #[arg(long)]
        group: Option<std::net::IpAddr>,
        /// UDP port (default 8848).
        #[arg(long)]
        port: Option<u16>,
        /// Multicast TTL (default 1).
        #[arg(long)]
        ttl: Option<u8>,
    },
    /// Stop the sync daemon of a role, or every one (ipvsadm --stop-daemon).
    Stop {
        /// master or backup; all when left out.
        #[arg(long, value_enum)]
        state: Option<SyncRoleArg>,
    },
    /// Make this node the sync master or backup with the [sync] settings of
    /// the files, stopping the other role (for HA scripts on a failover).
    Become {
        /// master or backup.
        #[arg(value_enum)]
        role: SyncRoleArg,
        // Their [sync] gives interface, syncid and the rest.
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// The running sync daemons, as ipvsadm -L --daemon prints them.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
