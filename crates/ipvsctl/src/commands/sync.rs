// SPDX-License-Identifier: MIT OR Apache-2.0
//! `ipvsctl sync start | stop | status`: the kernel's connection-sync daemons.

use std::net::IpAddr;

use ipvs::{Ipvs, SyncDaemon, SyncState};
use serde::Serialize;

use crate::cli::{SyncCommand, SyncRoleArg};
use crate::exit;

fn state(role: SyncRoleArg) -> SyncState {
    match role {
        SyncRoleArg::Master => SyncState::Master,
        SyncRoleArg::Backup => SyncState::Backup,
    }
}

/// Runs a sync command.
pub fn run(command: SyncCommand) -> anyhow::Result<i32> {
    let mut ipvs = Ipvs::connect()?;
    match command {
        SyncCommand::Start {
            state: role,
            syncid,
            interface,
            maxlen,
            group,
            port,
            ttl,
        } => {
            if let Some(group) = group {
                if !group.is_multicast() {
                    eprintln!("error: --group {group} is not a multicast address");
                    return Ok(exit::FAILURE);
                }
            }
            if syncid == 0 {
                eprintln!("warning: syncid 0: a backup accepts sync messages of any master");
            }
            let daemon = SyncDaemon {
                max_length: maxlen,
                group,
                port,
                ttl,
                ..SyncDaemon::new(state(role), interface, syncid)
            };
            ipvs.start_sync_daemon(&daemon)?;
            println!("started {}", line(&ipvs.sync_daemons()?, daemon.state));
            Ok(exit::SUCCESS)
        }
        SyncCommand::Stop { state: role } => {
            let running = ipvs.sync_daemons()?;
            let roles: Vec<SyncState> = match role {
                Some(role) => vec![state(role)],
                None => running.iter().map(|d| d.state).collect(),
            };
            if roles.is_empty() {
                println!("no sync daemon is running");
            }
            for role in roles {
                ipvs.stop_sync_daemon(role)?;
                println!("stopped {role} sync daemon");
            }
            Ok(exit::SUCCESS)
        }
        SyncCommand::Become { role, config } => {
            let files = config.files().list()?;
            let Some(config) = crate::report::load(&files) else {
                return Ok(exit::FAILURE);
            };
            let Some(sync) = &config.sync else {
                eprintln!("error: no [sync] section in {}", files_text(&files));
                return Ok(exit::FAILURE);
            };
            let wanted = SyncDaemon {
                max_length: sync.maxlen,
                group: sync.group,
                port: sync.port,
                ttl: sync.ttl,
                ..SyncDaemon::new(state(role), sync.interface.clone(), sync.syncid)
            };
            let other = match wanted.state {
                SyncState::Master => SyncState::Backup,
                SyncState::Backup => SyncState::Master,
            };
            let running = ipvs.sync_daemons()?;
            if running.iter().any(|d| d.state == other) {
                ipvs.stop_sync_daemon(other)?;
                println!("stopped {other} sync daemon");
            }
            for change in planner::sync::plan(std::slice::from_ref(&wanted), &running) {
                crate::sync_daemons::execute(&mut ipvs, &change)?;
                println!("{change}");
            }
            Ok(exit::SUCCESS)
        }
        SyncCommand::Status { json } => {
            let running = ipvs.sync_daemons()?;
            if json {
                let list: Vec<JsonDaemon> = running.iter().map(JsonDaemon::from).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for d in &running {
                    println!("{d}");
                }
            }
            Ok(exit::SUCCESS)
        }
    }
}

fn line(running: &[SyncDaemon], state: SyncState) -> String {
    running
        .iter()
        .find(|d| d.state == state)
        .map_or_else(|| format!("{state} sync daemon"), ToString::to_string)
}

#[derive(Serialize)]
struct JsonDaemon {
    state: String,
    interface: String,
    syncid: u8,
    maxlen: Option<u16>,
    group: Option<IpAddr>,
    port: Option<u16>,
    ttl: Option<u8>,
}

impl From<&SyncDaemon> for JsonDaemon {
    fn from(d: &SyncDaemon) -> Self {
        Self {
            state: d.state.to_string(),
            interface: d.interface.clone(),
            syncid: d.sync_id,
            maxlen: d.max_length,
            group: d.group,
            port: d.port,
            ttl: d.ttl,
        }
    }
}

fn files_text(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
