// SPDX-License-Identifier: MIT OR Apache-2.0
//! `autoreload`: watch the configuration files and reload when one
//! changes, with exactly the rules of SIGHUP: the watcher sends a
//! [`Control::Reload`] into the loop, like the signal does (a broken file
//! is refused and logged, the old configuration goes on).
//!
//! - inotify (through `notify`) watches each file's *directory*, not the
//!   file: an editor that writes a new file and renames it over the old
//!   one, a file removed and written again, a symbolic link swapped (as a
//!   Kubernetes ConfigMap is), are all seen.
//! - Events arrive on notify's own thread and only wake the debounce task
//!   (a [`Notify`]: a burst of any size is one wake-up, nothing queues).
//!   The task waits until [`DEBOUNCE`] has passed with no further event,
//!   then reads the files: when they hold what they held at the last
//!   reload it sent (or when watching began), nothing happens (a `touch`,
//!   an editor's swap file, another file of the directory); otherwise it
//!   sends one reload.
//! - Files read from a configuration directory (no FILE given): the
//!   directory is watched, and its `*.toml` listed again each time, so a
//!   file added or removed is a change too.
//! - The daemon calls [`AutoReload::follow`] at start and after each
//!   reload: it watches while the configuration in force says
//!   `autoreload`, and stops when a reload turns it off.
//! - Nothing here waits on the loop: the reload goes into the loop's
//!   unbounded control channel.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use super::control::Control;

/// How long the files must be quiet before a reload: an editor's save (a
/// write, or a new file renamed over the old) and a `cp` of several files
/// are each one reload.
pub const DEBOUNCE: Duration = Duration::from_millis(500);

/// The most read of one file to tell whether it changed (the same file is
/// then read again, whole, by the reload).
const MAX_FINGERPRINT_READ: u64 = 64 * 1024 * 1024;

/// Watches the configuration files while the configuration in force asks
/// for it.
pub struct AutoReload {
    reloads: UnboundedSender<Control>,
    watching: Option<Watching>,
}

/// A watch in force: dropping it stops the watcher and its task.
struct Watching {
    sources: Sources,
    /// What the files held at the last reload, whoever asked for it.
    baseline: Baseline,
    _watcher: RecommendedWatcher,
    task: JoinHandle<()>,
}

/// What the files held at the last reload, shared by the loop (which
/// sets it at every reload: SIGHUP, `ipvsctl reload` or this watch) and
/// the debounce task (which reloads only when the files differ from it).
type Baseline = Arc<std::sync::Mutex<Fingerprint>>;

impl Drop for Watching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AutoReload {
    /// Not watching yet; reloads will go to `reloads` (the loop's own
    /// control channel).
    pub fn new(reloads: UnboundedSender<Control>) -> Self {
        Self {
            reloads,
            watching: None,
        }
    }

    /// A reload is being made (whatever asked for it): the files as they
    /// are now are what the watch compares with, so an edit already
    /// reloaded by hand does not reload a second time.
    pub fn reloading(&self) {
        if let Some(watching) = &self.watching {
            let now = fingerprint(&watching.sources);
            *watching
                .baseline
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
        }
    }

    /// Watches `files` (and `directory`, whose `*.toml` they are, when
    /// given) when `on`, stops when not. A watch already in force on the
    /// same files goes on as it is.
    pub fn follow(&mut self, files: &[PathBuf], directory: Option<&Path>, on: bool) {
        if !on {
            if self.watching.take().is_some() {
                info!("autoreload: off, no longer watching the configuration files");
            }
            return;
        }
        let sources = Sources {
            files: files.to_vec(),
            directory: directory.map(Path::to_path_buf),
        };
        if self.watching.as_ref().is_some_and(|w| w.sources == sources) {
            return;
        }
        self.watching = None;
        match watch(&sources, self.reloads.clone()) {
            Ok(watching) => {
                info!(
                    "autoreload: watching {} (reload {} ms after the last change)",
                    directories(&sources)
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    DEBOUNCE.as_millis()
                );
                self.watching = Some(watching);
            }
            Err(e) => error!(
                "autoreload: cannot watch the configuration files: {e}; \
                 reload with SIGHUP or `ipvsctl reload`"
            ),
        }
    }
}

/// What a watch looks at: the files, and the directory they were listed
/// from (when they were).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sources {
    files: Vec<PathBuf>,
    directory: Option<PathBuf>,
}

impl Sources {
    /// The files to compare now: the directory's as it is now (none when it
    /// cannot be listed), else the files.
    fn current(&self) -> Vec<PathBuf> {
        match &self.directory {
            Some(dir) => crate::config_files::toml_files_in(dir).unwrap_or_default(),
            None => self.files.clone(),
        }
    }
}

/// The directories holding the files, and the configuration directory,
/// each once.
fn directories(sources: &Sources) -> BTreeSet<PathBuf> {
    let mut directories: BTreeSet<PathBuf> = sources
        .files
        .iter()
        .map(|f| {
            let absolute = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            match absolute.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            }
        })
        .collect();
    if let Some(dir) = &sources.directory {
        directories.insert(std::path::absolute(dir).unwrap_or_else(|_| dir.clone()));
    }
    directories
}

fn watch(sources: &Sources, reloads: UnboundedSender<Control>) -> notify::Result<Watching> {
    let wake = Arc::new(Notify::new());
    let woken = wake.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        match event {
            Ok(event) if !is_change(&event.kind) => {}
            Ok(_) => woken.notify_one(),
            // Lost events (a full inotify queue): look at the files anyway.
            Err(e) => {
                warn!("autoreload: {e}");
                woken.notify_one();
            }
        }
    })?;
    for dir in directories(sources) {
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    }
    let baseline = Arc::new(std::sync::Mutex::new(fingerprint(sources)));
    let task = tokio::spawn(debounce(
        wake,
        sources.clone(),
        Arc::clone(&baseline),
        reloads,
    ));
    Ok(Watching {
        sources: sources.clone(),
        baseline,
        _watcher: watcher,
        task,
    })
}

/// Whether an event may mean new contents: not an open, a read or the
/// close of a reader (the reload's own reads, among others).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Which files there are and what they hold (`None`: that file cannot be
/// read).
type Fingerprint = Vec<(PathBuf, Option<Vec<u8>>)>;

fn fingerprint(sources: &Sources) -> Fingerprint {
    sources
        .current()
        .into_iter()
        .map(|f| {
            let held = contents(&f);
            (f, held)
        })
        .collect()
}

fn contents(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_FINGERPRINT_READ)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// Waits for a wake-up, then for [`DEBOUNCE`] of quiet, then reloads if
/// the files changed; until the loop is gone.
pub(crate) async fn debounce(
    wake: Arc<Notify>,
    sources: Sources,
    baseline: Baseline,
    reloads: UnboundedSender<Control>,
) {
    loop {
        wake.notified().await;
        loop {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(DEBOUNCE) => break,
            }
        }
        let now = fingerprint(&sources);
        {
            let mut last = baseline
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if now == *last {
                continue;
            }
            *last = now;
        }
        info!("autoreload: the configuration changed");
        if reloads.send(Control::Reload(None)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;

    use super::*;

    /// A file, its debounce task, and the reloads it sends.
    struct Debounced {
        file: PathBuf,
        wake: Arc<Notify>,
        reloads: mpsc::UnboundedReceiver<Control>,
    }

    fn start(name: &str) -> Debounced {
        let dir =
            std::env::temp_dir().join(format!("ipvsctl-debounce-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("www.toml");
        std::fs::write(&file, "first").unwrap();
        let wake = Arc::new(Notify::new());
        let (sender, reloads) = mpsc::unbounded_channel();
        let sources = Sources {
            files: vec![file.clone()],
            directory: None,
        };
        let baseline = Arc::new(std::sync::Mutex::new(fingerprint(&sources)));
        tokio::spawn(debounce(wake.clone(), sources, baseline, sender));
        Debounced {
            file,
            wake,
            reloads,
        }
    }

    impl Debounced {
        /// Reloads sent so far.
        fn count(&mut self) -> usize {
            let mut n = 0;
            while let Ok(control) = self.reloads.try_recv() {
                assert!(matches!(control, Control::Reload(None)));
                n += 1;
            }
            n
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_changes_is_one_reload_after_the_quiet() {
        let mut d = start("burst");
        // Ten writes, each 400 ms after the last: never 500 ms of quiet.
        for i in 0..10 {
            std::fs::write(&d.file, format!("version {i}")).unwrap();
            d.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(d.count(), 0, "reloaded during the burst, at write {i}");
        }
        tokio::time::sleep(DEBOUNCE).await;
        assert_eq!(d.count(), 1);
        // Nothing more without a change.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(d.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn events_without_a_change_are_no_reload() {
        let mut d = start("unchanged");
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        assert_eq!(d.count(), 0, "reloaded an unchanged file");
        // Changed and changed back within the quiet time: no change.
        std::fs::write(&d.file, "second").unwrap();
        d.wake.notify_one();
        std::fs::write(&d.file, "first").unwrap();
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        assert_eq!(d.count(), 0);
        // A real change, then the same again: one reload.
        std::fs::write(&d.file, "second").unwrap();
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        assert_eq!(d.count(), 1);
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        assert_eq!(d.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_removed_file_reloads_and_so_does_its_return() {
        let mut d = start("removed");
        std::fs::remove_file(&d.file).unwrap();
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        // The reload is refused (cannot read): logged, the old one goes on.
        assert_eq!(d.count(), 1);
        std::fs::write(&d.file, "first").unwrap();
        d.wake.notify_one();
        tokio::time::sleep(DEBOUNCE * 3).await;
        assert_eq!(d.count(), 1);
    }

    #[test]
    fn opens_and_reads_are_not_changes() {
        use notify::event::{CreateKind, ModifyKind, RemoveKind, RenameMode};
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Name(
            RenameMode::To
        ))));
        assert!(is_change(&EventKind::Remove(RemoveKind::File)));
    }

    #[test]
    fn each_directory_is_watched_once() {
        let files = [
            PathBuf::from("/etc/ipvsctl/a.toml"),
            PathBuf::from("/etc/ipvsctl/b.toml"),
            PathBuf::from("/etc/ha.d/ldirectord.cf"),
        ];
        let given = |files: &[PathBuf]| Sources {
            files: files.to_vec(),
            directory: None,
        };
        let dirs: Vec<_> = directories(&given(&files)).into_iter().collect();
        assert_eq!(
            dirs,
            [PathBuf::from("/etc/ha.d"), PathBuf::from("/etc/ipvsctl")]
        );
        // A bare name is in the working directory.
        let dirs = directories(&given(&[PathBuf::from("www.toml")]));
        assert_eq!(
            dirs.into_iter().collect::<Vec<_>>(),
            [std::env::current_dir().unwrap()]
        );
        // The configuration directory is watched even while it holds no
        // file, so that the first one written is seen.
        let empty = Sources {
            files: Vec::new(),
            directory: Some(PathBuf::from("/etc/ipvsctl")),
        };
        assert_eq!(
            directories(&empty).into_iter().collect::<Vec<_>>(),
            [PathBuf::from("/etc/ipvsctl")]
        );
    }
}
