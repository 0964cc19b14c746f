// SPDX-License-Identifier: MIT OR Apache-2.0
//! The hook runner with real child processes: sh scripts written to a
//! temporary folder, run as the daemon runs them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use config::model::{Hook, HookEvent, Origin};
use config::source::Location;
use ipvs::ServiceKey;
use ipvsctl::daemon::events::{DaemonState, Emitter, Event, Fired};
use ipvsctl::hooks::command::{self, OUTPUT_LIMIT};
use ipvsctl::hooks::{self, environment, Report};

/// The longest a test waits for a script (a bound, not a measure: the
/// scripts take milliseconds).
const PATIENCE: Duration = Duration::from_secs(60);

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ipvsctl-hooks-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// An executable sh script.
    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// Waits until `name` holds a line for which `done` is true.
    async fn until(&self, name: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.read(name);
            if done(&text) {
                return text;
            }
            assert!(tokio::time::Instant::now() < deadline, "{name}: {text:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hook(command: &[&str], timeout: Duration) -> Hook {
    Hook {
        events: Vec::new(),
        command: command.iter().map(ToString::to_string).collect(),
        timeout,
        origin: Origin {
            file: "hooks.toml".into(),
            location: Location { line: 1, column: 1 },
        },
    }
}

fn www() -> ServiceKey {
    ServiceKey::tcp("10.0.0.1:80".parse().unwrap())
}

fn real_down(hooks: Vec<Hook>) -> Fired {
    real_down_in(www(), hooks)
}

fn real_down_in(service: ServiceKey, hooks: Vec<Hook>) -> Fired {
    Fired {
        event: Event::RealDown {
            service,
            real: "10.0.0.11:80".parse().unwrap(),
            reason: "connect: connection refused".to_string(),
        },
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        state: DaemonState::Running,
        virtual_name: Some("www".to_string()),
        config: "/etc/ipvsctl/www.toml".into(),
        hooks,
    }
}

#[tokio::test]
async fn a_hook_gets_the_event_in_its_environment_and_placeholders() {
    let dir = Dir::new("env");
    let log = dir.path("env.log");
    let script = dir.script(
        "env.sh",
        &format!(
            "env | grep '^IPVSCTL_' | sort > {log}\nprintf '%s\\n' \"$@\" > {log}.args",
            log = log.display()
        ),
    );
    let fired = real_down(vec![]);
    let env = environment::environment(&fired);
    let argv: Vec<String> = [
        script.as_str(),
        "{event}",
        "{virtual}",
        "{protocol}",
        "{real}",
    ]
    .iter()
    .map(|a| environment::substitute(a, &env))
    .collect();
    // An inherited IPVSCTL_ variable does not reach the hook.
    std::env::set_var("IPVSCTL_WEIGHT", "inherited");
    let ran = command::run(&argv, &env, PATIENCE).await;
    assert_eq!(ran.result, Ok(()), "{ran:?}");
    assert_eq!(
        dir.read("env.log"),
        "\
IPVSCTL_CONFIG=/etc/ipvsctl/www.toml
IPVSCTL_DAEMON_STATE=running
IPVSCTL_EVENT=real-down
IPVSCTL_HEALTH=down
IPVSCTL_PROTOCOL=tcp
IPVSCTL_REAL=10.0.0.11:80
IPVSCTL_REASON=connect: connection refused
IPVSCTL_SERVICE=tcp 10.0.0.1:80
IPVSCTL_TIME=1700000000
IPVSCTL_VIRTUAL=10.0.0.1:80
IPVSCTL_VIRTUAL_NAME=www
"
    );
    assert_eq!(
        dir.read("env.log.args"),
        "real-down\n10.0.0.1:80\ntcp\n10.0.0.11:80\n"
    );
}

#[tokio::test]
async fn arguments_reach_the_program_as_written_with_no_shell() {
    let dir = Dir::new("no-shell");
    let marker = dir.path("marker");
    let script = dir.script(
        "args.sh",
        &format!("printf '%s\\n' \"$@\" > {}", dir.path("args").display()),
    );
    let tricky = [
        format!("$(touch {})", marker.display()),
        "a b".to_string(),
        "*".to_string(),
        "; touch x".to_string(),
        "'\"".to_string(),
    ];
    let mut argv = vec![script];
    argv.extend(tricky.iter().cloned());
    let ran = command::run(&argv, &[], PATIENCE).await;
    assert_eq!(ran.result, Ok(()));
    assert_eq!(dir.read("args"), format!("{}\n", tricky.join("\n")));
    assert!(!marker.exists(), "a shell ran the command substitution");
}

#[tokio::test]
async fn stdin_is_closed_and_a_failure_says_why() {
    let dir = Dir::new("stdin");
    // `cat` ends at once on a closed stdin; it would wait on an open one.
    let script = dir.script("cat.sh", "cat; echo oops >&2; exit 3");
    let ran = command::run(&[script], &[], PATIENCE).await;
    assert_eq!(ran.result, Err("exit status 3".to_string()));
    assert_eq!(ran.stderr, b"oops\n");
    let missing = command::run(&[dir.path("none").display().to_string()], &[], PATIENCE).await;
    let why = missing.result.unwrap_err();
    assert!(why.starts_with("cannot run "), "{why}");
}

fn gone(pid: &str) -> bool {
    // Gone, or a zombie waiting for init to reap it.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn the_timeout_kills_the_whole_process_group() {
    let dir = Dir::new("timeout");
    // A grandchild that would outlive its parent, then a parent that hangs.
    let script = dir.script(
        "hang.sh",
        &format!(
            "sleep 1000 & echo $! > {}\necho started\nsleep 1000",
            dir.path("grandchild").display()
        ),
    );
    let ran = command::run(&[script], &[], Duration::from_millis(300)).await;
    assert_eq!(
        ran.result,
        Err("timed out after 0.3s: process group killed".to_string())
    );
    assert_eq!(ran.stdout, b"started\n");
    let pid = dir.read("grandchild").trim().to_string();
    assert!(!pid.is_empty());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !gone(&pid) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the grandchild {pid} lives on"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn output_is_kept_up_to_its_limit_and_the_rest_is_read_and_counted() {
    let dir = Dir::new("output");
    // 1 MiB on stdout, far beyond a pipe's buffer: the program must not
    // block, and only the first bytes are kept.
    let script = dir.script(
        "chatty.sh",
        "head -c 1048576 /dev/zero | tr '\\0' x; echo done >&2",
    );
    let ran = command::run(&[script], &[], PATIENCE).await;
    assert_eq!(ran.result, Ok(()));
    assert_eq!(ran.stdout.len(), OUTPUT_LIMIT);
    assert!(ran.stdout.iter().all(|b| *b == b'x'));
    assert_eq!(ran.stderr, b"done\n");
    assert_eq!(ran.discarded, 1_048_576 - OUTPUT_LIMIT);
}

/// A runner on its own task; its reports collected.
fn runner(max_running: usize, queue: usize) -> (Emitter, Arc<Mutex<Vec<Report>>>) {
    let (emitter, fired) = Emitter::channel(64, max_running);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let max: Arc<AtomicUsize> = emitter.max_running();
    tokio::spawn(hooks::run(fired, max, queue, move |r| {
        sink.lock().unwrap().push(r);
    }));
    (emitter, reports)
}

async fn until_reports(reports: &Mutex<Vec<Report>>, n: usize) -> Vec<Report> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = reports.lock().unwrap().clone();
        if now.len() >= n {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "{now:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A hook that notes its start, waits for its own go file, notes its end.
fn gated(dir: &Dir) -> String {
    let log = dir.path("log");
    dir.script(
        "gated.sh",
        &format!(
            "n=$1\necho start $n >> {log}\nwhile [ ! -e {dir}/go-$n ]; do sleep 0.01; done\necho end $n >> {log}",
            log = log.display(),
            dir = dir.0.display()
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_max_running_hooks_run_at_once() {
    let dir = Dir::new("max-running");
    let script = gated(&dir);
    let (emitter, reports) = runner(2, 16);
    // Five virtuals (one program's jobs for one virtual run in turn).
    for n in 1..=5 {
        let service = ServiceKey::tcp(format!("10.0.0.{n}:80").parse().unwrap());
        emitter.send(real_down_in(
            service,
            vec![hook(&[&script, &n.to_string()], PATIENCE)],
        ));
    }
    let count = |text: &str, word: &str| text.lines().filter(|l| l.starts_with(word)).count();
    dir.until("log", |t| count(t, "start") == 2).await;
    // Each further start comes after an end: release them one at a time.
    for n in 1..=5 {
        std::fs::write(dir.path(&format!("go-{n}")), "").unwrap();
        dir.until("log", |t| count(t, "end") == n).await;
    }
    until_reports(&reports, 5).await;
    let log = dir.read("log");
    let mut running: i32 = 0;
    let mut most = 0;
    for line in log.lines() {
        running += if line.starts_with("start") { 1 } else { -1 };
        most = most.max(running);
    }
    assert_eq!(most, 2, "{log}");
    assert_eq!(count(&log, "start"), 5, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_queue_hooks_are_dropped_not_waited_for() {
    let dir = Dir::new("queue");
    let script = gated(&dir);
    let (emitter, reports) = runner(1, 2);
    // One runs, two wait, two are dropped: the sends never block.
    for n in 1..=5 {
        emitter.send(real_down(vec![hook(&[&script, &n.to_string()], PATIENCE)]));
    }
    let dropped = until_reports(&reports, 2).await;
    assert!(
        dropped
            .iter()
            .all(|r| matches!(r, Report::Dropped { event: HookEvent::RealDown, program } if *program == script)),
        "{dropped:?}"
    );
    for n in 1..=3 {
        std::fs::write(dir.path(&format!("go-{n}")), "").unwrap();
    }
    let all = until_reports(&reports, 5).await;
    let ran: Vec<&Vec<String>> = all
        .iter()
        .filter_map(|r| match r {
            Report::Ran { command, ran, .. } if ran.result.is_ok() => Some(command),
            _ => None,
        })
        .collect();
    assert_eq!(ran.len(), 3, "{all:?}");
    assert_eq!(
        dir.read("log")
            .lines()
            .filter(|l| l.starts_with("start"))
            .count(),
        3
    );
    assert!(!Path::new(&dir.path("go-4")).exists());
}

#[tokio::test]
async fn a_nul_in_a_value_does_not_stop_the_hook_and_systemd_variables_stay_with_the_daemon() {
    let dir = Dir::new("nul");
    let script = dir.script(
        "env.sh",
        &format!(
            "printf '%s|%s|%s\\n' \"$IPVSCTL_REASON\" \"$1\" \"${{NOTIFY_SOCKET-unset}}\" > {}",
            dir.path("out").display()
        ),
    );
    // The daemon under systemd has NOTIFY_SOCKET; its hooks must not.
    std::env::set_var("NOTIFY_SOCKET", "/run/systemd/notify");
    let env = [("IPVSCTL_REASON", "bad\0reply".to_string())];
    let ran = command::run(&[script, "arg\0x".to_string()], &env, PATIENCE).await;
    assert_eq!(ran.result, Ok(()));
    assert_eq!(dir.read("out"), "bad reply|arg x|unset\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_programs_jobs_for_one_virtual_run_in_turn_in_the_order_of_their_events() {
    let dir = Dir::new("lanes");
    let script = gated(&dir);
    // Room for four at once, but these three are one program for one
    // virtual (as `fallbackcommand start` then `stop`): one at a time.
    let (emitter, reports) = runner(4, 16);
    for n in 1..=3 {
        emitter.send(real_down(vec![hook(&[&script, &n.to_string()], PATIENCE)]));
    }
    for n in 1..=3 {
        dir.until("log", |t| t.lines().any(|l| l == format!("start {n}")))
            .await;
        std::fs::write(dir.path(&format!("go-{n}")), "").unwrap();
        dir.until("log", |t| t.lines().any(|l| l == format!("end {n}")))
            .await;
    }
    until_reports(&reports, 3).await;
    assert_eq!(
        dir.read("log"),
        "start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\n"
    );
}
