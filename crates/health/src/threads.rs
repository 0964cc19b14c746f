// SPDX-License-Identifier: MIT OR Apache-2.0
//! The checks' own threads: each a current-thread runtime, given to
//! [`Engine::start_on`](crate::Engine::start_on) to share the targets out.

use tokio::runtime::Handle;

/// Current-thread runtimes, each driven by a thread of its own named
/// `checks-N`. A check's timer, connect and wake-ups stay on one thread,
/// with no hand-off or work stealing between threads, which makes a connect
/// check cheaper than on a multi-thread runtime.
pub struct CheckThreads {
    handles: Vec<Handle>,
    threads: Vec<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
}

impl CheckThreads {
    /// Starts `count` threads (at least one).
    pub fn start(count: usize) -> std::io::Result<Self> {
        let mut handles = Vec::new();
        let mut threads = Vec::new();
        for i in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("checks-{i}"))
                .spawn(move || {
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                })?;
            threads.push((stop, thread));
        }
        Ok(CheckThreads { handles, threads })
    }

    /// The runtimes, for [`Engine::start_on`](crate::Engine::start_on).
    pub fn handles(&self) -> Vec<Handle> {
        self.handles.clone()
    }

    /// Ends the threads (after the engine has stopped its checks).
    pub fn stop(self) {
        for (stop, thread) in self.threads {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}
