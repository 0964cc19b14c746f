// SPDX-License-Identifier: MIT OR Apache-2.0
//! One reading of the kernel table and the checks' totals, taken on a
//! blocking thread and kept for a while: however often and however many at
//! once scrape, the table is read at most once per `max_age`.

use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use health::TargetCounts;
use ipvs::{ServiceKey, TableEntry};

/// What a scrape reads: the kernel table (`ipvsadm -Ln --stats --rate`)
/// and the checks' totals. The daemon's reader has its own netlink socket
/// and a handle on the engine; host tests give a fake.
pub type Reader = Box<dyn FnMut() -> Reading + Send>;

/// One reading.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The kernel table, or why it could not be read.
    pub table: Result<Vec<TableEntry>, String>,
    /// Every checked real's health and totals.
    pub counts: Vec<TargetCounts<ServiceKey>>,
    /// How long the reading took (table and totals).
    pub took: Duration,
}

impl Reading {
    /// A reading that failed: no table, no totals.
    pub fn failed(why: String) -> Self {
        Reading {
            table: Err(why),
            counts: Vec::new(),
            took: Duration::ZERO,
        }
    }
}

/// The readings, one at a time, each kept `max_age`.
pub struct Cache {
    /// Taken by the one blocking thread that reads (never waited for:
    /// a read still running after a scrape gave up makes the next scrape
    /// fail at once instead of queueing threads).
    reader: Arc<Mutex<Reader>>,
    /// The last reading; held across a read so that concurrent scrapes
    /// wait for the same one.
    last: tokio::sync::Mutex<Option<(Instant, Arc<Reading>)>>,
    max_age: Duration,
}

impl Cache {
    /// A cache over `reader`.
    pub fn new(reader: Reader, max_age: Duration) -> Self {
        Cache {
            reader: Arc::new(Mutex::new(reader)),
            last: tokio::sync::Mutex::new(None),
            max_age,
        }
    }

    /// A reading at most `max_age` old: the last one, or a new one.
    pub async fn get(&self) -> Arc<Reading> {
        let mut last = self.last.lock().await;
        if let Some((at, reading)) = last.as_ref() {
            if at.elapsed() < self.max_age {
                return Arc::clone(reading);
            }
        }
        let reader = Arc::clone(&self.reader);
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = match reader.try_lock() {
                Ok(reader) => reader,
                // A reader that panicked left nothing half-written.
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    return Reading::failed("the previous table read has not finished".to_string())
                }
            };
            let started = Instant::now();
            let mut reading = reader();
            reading.took = started.elapsed();
            reading
        })
        .await;
        let reading = Arc::new(
            read.unwrap_or_else(|e| Reading::failed(format!("the table read failed: {e}"))),
        );
        *last = Some((Instant::now(), Arc::clone(&reading)));
        reading
    }
}
