// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hooks: the commands the configuration runs on events (`[[hook]]`,
//! `[[virtual.hook]]`; from `.cf`: `fallbackcommand`, `callback`,
//! `emailalert`).
//!
//! The daemon's loop hands each event with its hooks to an
//! [`Emitter`](crate::daemon::events::Emitter) (a bounded channel, never
//! waited on); [`run`], on a task of its own, turns each into jobs, keeps
//! at most `queue` of them waiting (more are dropped, with a log line) and
//! runs at most `hooks_max_running` at once. The jobs of one program for
//! one virtual run one at a time, in the order of their events (as
//! ldirectord ran its commands): a `fallbackcommand stop` never overtakes
//! the `start` before it, and mails about a real come in order. A hook never delays a check
//! or a table change, and each is bounded in time (its `timeout`, then its
//! process group is killed) and in output ([`command::OUTPUT_LIMIT`]).
//!
//! | module        | job                                                     |
//! |---------------|---------------------------------------------------------|
//! | this file     | the runner: queue, bound on running hooks, reports      |
//! | `environment` | an event as `IPVSCTL_*` variables and `{placeholders}`  |
//! | `command`     | one command: no shell, its process group, its output    |

pub mod command;
pub mod environment;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use config::model::{Hook, HookEvent};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::daemon::events::Fired;
use command::Ran;

/// Hooks waiting for a free slot, at most (beyond: dropped).
pub const QUEUE: usize = 256;

/// One hook to run for one event.
#[derive(Debug, Clone)]
struct Job {
    hook: Hook,
    event: HookEvent,
    env: Arc<Vec<(&'static str, String)>>,
    /// Jobs of one lane (a program, for a virtual) run one at a time.
    lane: String,
}

/// The lane of `hook`'s job for an event: its program and the event's
/// virtual (none for the daemon's own events).
fn lane(hook: &Hook, env: &[(&'static str, String)]) -> String {
    let program = hook.command.first().map_or("", String::as_str);
    let service = env
        .iter()
        .find(|(name, _)| *name == "IPVSCTL_SERVICE")
        .map_or("", |(_, value)| value.as_str());
    format!("{program}\n{service}")
}

/// What the runner did, for the log (or a test).
#[derive(Debug, Clone)]
pub enum Report {
    /// A hook ran (or could not).
    Ran {
        /// The event.
        event: HookEvent,
        /// The command, its placeholders replaced.
        command: Vec<String>,
        /// How it went.
        ran: Ran,
    },
    /// The queue was full: the hook was not run.
    Dropped {
        /// The event.
        event: HookEvent,
        /// The hook's program.
        program: String,
    },
}

/// Runs the hooks of the events received until the channel closes and the
/// last hook has ended: at most `max_running` at once (read before each
/// start, so a reload may change it), at most `queue` waiting; tells
/// `report` of each.
pub async fn run(
    mut events: mpsc::Receiver<Fired>,
    max_running: Arc<AtomicUsize>,
    queue: usize,
    mut report: impl FnMut(Report),
) {
    let mut waiting: VecDeque<Job> = VecDeque::new();
    let mut running: JoinSet<Report> = JoinSet::new();
    let mut lanes: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut busy: HashSet<String> = HashSet::new();
    let mut open = true;
    loop {
        while running.len() < max_running.load(Ordering::Relaxed).max(1) {
            // The first job waiting whose lane is free: a lane's jobs keep
            // their order.
            let Some(next) = waiting.iter().position(|j| !busy.contains(&j.lane)) else {
                break;
            };
            let Some(job) = waiting.remove(next) else {
                break;
            };
            busy.insert(job.lane.clone());
            let lane = job.lane.clone();
            let task = running.spawn(run_job(job));
            lanes.insert(task.id(), lane);
        }
        if !open && waiting.is_empty() && running.is_empty() {
            return;
        }
        tokio::select! {
            fired = events.recv(), if open => match fired {
                Some(fired) => {
                    let env = Arc::new(environment::environment(&fired));
                    let event = fired.event.kind();
                    for hook in fired.hooks {
                        if waiting.len() >= queue {
                            let program = hook.command.first().cloned().unwrap_or_default();
                            report(Report::Dropped { event, program });
                            continue;
                        }
                        let lane = lane(&hook, &env);
                        waiting.push_back(Job { hook, event, env: Arc::clone(&env), lane });
                    }
                }
                None => open = false,
            },
            Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                let id = match &done {
                    Ok((id, _)) => *id,
                    Err(e) => e.id(),
                };
                if let Some(lane) = lanes.remove(&id) {
                    busy.remove(&lane);
                }
                if let Ok((_, done)) = done {
                    report(done);
                }
            }
            else => return,
        }
    }
}

async fn run_job(job: Job) -> Report {
    let command: Vec<String> = job
        .hook
        .command
        .iter()
        .map(|arg| environment::substitute(arg, &job.env))
        .collect();
    let ran = command::run(&command, &job.env, job.hook.timeout).await;
    Report::Ran {
        event: job.event,
        command,
        ran,
    }
}

/// The daemon's report: one line per hook run, one per line of its output
/// (as much as was kept).
pub fn log(report: Report) {
    match report {
        Report::Dropped { event, program } => {
            warn!("hook {program} on {}: not run, queue full", event.name());
        }
        Report::Ran {
            event,
            command,
            ran,
        } => {
            let program = command.first().map_or("", String::as_str);
            let event = event.name();
            match &ran.result {
                Ok(()) => info!("hook {program} on {event}: exit status 0"),
                Err(why) => warn!("hook {program} on {event}: {why}"),
            }
            for (stream, bytes) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
                for line in String::from_utf8_lossy(bytes).lines() {
                    info!("hook {program} {stream}: {line}");
                }
            }
            if ran.discarded > 0 {
                info!(
                    "hook {program}: {} more bytes of output not logged",
                    ran.discarded
                );
            }
        }
    }
}
