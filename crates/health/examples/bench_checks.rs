// SPDX-License-Identifier: MIT OR Apache-2.0
//! Benchmark of the health engine (not a test): 10,000 connect targets at
//! 127.x.y.z:PORT (every one reaching one listener on 0.0.0.0:PORT, which
//! accepts and closes), interval 1 s, timeout 1 s; then the same plus 50
//! hung targets (a listener that never accepts, its backlog full, so their
//! connects hang until the timeout; or, with `--hung-kind http`, an HTTP
//! check against a server that accepts and never answers).
//!
//! The listeners run in a child process (this program with `--listener`),
//! so the CPU measured is the engine's. All traffic stays on 127.0.0.0/8.
//!
//! ```text
//! cargo run --release -p health --example bench_checks -- [--targets 10000] [--hung 50]
//!     [--seconds 20] [--warmup 5] [--hung-kind connect|http]
//!     [--threads 1 | --runtime multi]
//! ```
//!
//! The engine runs as the daemon runs it: on `--threads` current-thread
//! runtimes, each on a thread of its own (`Engine::start_on`); `--runtime
//! multi` runs it on one multi-thread runtime instead, as before.
//!
//! Reports, for each phase (without, then with the hung targets): checks
//! per second, CPU used by this process (getrusage user+sys over the
//! measured window, % of one core), check start lateness against each
//! target's slot (p50/p99/max), the most checks in flight, and the peak of
//! file descriptors in use.
//!
//! Two helper modes serve `scripts/bench-checks-lab`, which compares the
//! engine with keepalived in the lab VM: `--listener` (the listeners alone,
//! ports printed on one line) and `--paced FIRST_IP COUNT PORT RATE` (the
//! lab's floor: blocking connect+close to COUNT addresses from FIRST_IP, RATE
//! a second, paced in 10 ms batches, until killed).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use health::{Check, CheckKind, CheckThreads, HttpCheck, Stats};

/// The bench names virtuals by their text.
type Target = health::Target<String>;
type TargetKey = health::TargetKey<String>;
type Engine = health::Engine<String>;

struct Options {
    targets: u32,
    hung: u32,
    seconds: u64,
    warmup: u64,
    hung_http: bool,
    multi_thread: bool,
    threads: usize,
}

fn options() -> Options {
    let mut o = Options {
        targets: 10_000,
        hung: 50,
        seconds: 20,
        warmup: 5,
        hung_http: false,
        multi_thread: false,
        threads: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--targets" => o.targets = value().parse().expect("--targets N"),
            "--hung" => o.hung = value().parse().expect("--hung N"),
            "--seconds" => o.seconds = value().parse().expect("--seconds S"),
            "--warmup" => o.warmup = value().parse().expect("--warmup S"),
            "--hung-kind" => o.hung_http = value() == "http",
            "--runtime" => o.multi_thread = value() == "multi",
            "--threads" => o.threads = value().parse().expect("--threads N"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    o
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("--listener") => return listener(),
        Some("--paced") => return paced(),
        _ => {}
    }
    let o = options();
    let nofile = health::raise_nofile_limit().expect("RLIMIT_NOFILE");

    // The listeners, in a child process.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--listener")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("listener process");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ports: Vec<u16> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (port, hung_connect_port, hung_http_port) = (ports[0], ports[1], ports[2]);

    // As the daemon runs it: current-thread runtimes on threads of their own,
    // the targets shared out among them (or, with `--runtime multi`, the
    // multi-thread runtime of before).
    let multi = o.multi_thread.then(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    let threads = (!o.multi_thread).then(|| CheckThreads::start(o.threads).unwrap());
    let handle = match (&multi, &threads) {
        (Some(runtime), _) => runtime.handle().clone(),
        (None, Some(threads)) => threads.handles()[0].clone(),
        (None, None) => unreachable!("one or the other"),
    };
    let _enter = handle.enter();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    handle.spawn(async move { while rx.recv().await.is_some() {} });
    let engine = match &threads {
        Some(threads) => Engine::start_on(threads.handles(), tx),
        None => Engine::start(tx),
    };

    let check = |kind: CheckKind| Check {
        kind,
        port: None,
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        rise: 1,
        fall: 1,
    };
    let normal: Vec<Target> = (0..o.targets)
        .map(|i| {
            // 127.x.y.z, x from 1: never 127.0.0.1, where the hung listener is.
            let ip = Ipv4Addr::new(127, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8);
            Target {
                key: TargetKey {
                    service: "tcp 10.0.0.100:80".into(),
                    real: SocketAddr::from((ip, port)),
                },
                check: check(CheckKind::Connect),
                virtual_host: "10.0.0.100".into(),
                virtual_port: 80,
                initially_up: true,
            }
        })
        .collect();
    let hung: Vec<Target> = (0..o.hung)
        .map(|i| {
            let (kind, port) = if o.hung_http {
                let h = HttpCheck {
                    request: "/".into(),
                    method: "GET".into(),
                    ..HttpCheck::default()
                };
                (CheckKind::Http(h), hung_http_port)
            } else {
                (CheckKind::Connect, hung_connect_port)
            };
            Target {
                key: TargetKey {
                    service: format!("tcp 10.0.1.{i}:80"),
                    real: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                },
                check: check(kind),
                virtual_host: format!("10.0.1.{i}"),
                virtual_port: 80,
                initially_up: true,
            }
        })
        .collect();

    let fd_count = || {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let fd_base = fd_count();
    // Descriptors in use, sampled every 10 ms.
    let fd_peak = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // The sampler's own CPU (reading thousands of /proc entries 100 times a
    // second), in microseconds: taken out of the engine's.
    let sampler_cpu = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (peak, stop, spent) = (
            Arc::clone(&fd_peak),
            Arc::clone(&stop),
            Arc::clone(&sampler_cpu),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let n = std::fs::read_dir("/proc/self/fd")
                    .map(|d| d.count())
                    .unwrap_or(0);
                peak.fetch_max(n, Ordering::Relaxed);
                spent.store((thread_cpu() * 1e6) as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let sampler_cpu = || Duration::from_micros(sampler_cpu.load(Ordering::Relaxed));

    println!(
        "bench_checks: {} connect targets (127.x.y.z:{port}), {} hung ({}), interval 1 s, \
         timeout 1 s; {} s measured after {} s warm-up; RLIMIT_NOFILE {nofile}, {} check permits",
        o.targets,
        o.hung,
        if o.hung_http {
            "http, never answered"
        } else {
            "connect, backlog full"
        },
        o.seconds,
        o.warmup,
        engine.stats().permits,
    );

    let phase = |name: &str, targets: Vec<Target>| -> Phase {
        engine.reconcile(targets);
        std::thread::sleep(Duration::from_secs(o.warmup));
        engine.reset_stats();
        fd_peak.store(0, Ordering::Relaxed);
        let (split0, listener0, wall0) = (cpu_self_split(), cpu_of(child.id()), Instant::now());
        let sampler0 = sampler_cpu();
        std::thread::sleep(Duration::from_secs(o.seconds));
        let (split1, listener1, wall) = (cpu_self_split(), cpu_of(child.id()), wall0.elapsed());
        let sampler = sampler_cpu().saturating_sub(sampler0);
        let (cpu0, cpu1) = (
            split0.0 + split0.1,
            split1.0 + split1.1 - sampler.min(split1.0 + split1.1),
        );
        let stats = engine.stats();
        let p = Phase {
            stats,
            wall,
            cpu: (cpu1 - cpu0).as_secs_f64() / wall.as_secs_f64(),
            user: (split1.0 - split0.0).as_secs_f64() / wall.as_secs_f64(),
            listener_cpu: (listener1 - listener0).as_secs_f64() / wall.as_secs_f64(),
            fd_peak: fd_peak.load(Ordering::Relaxed),
            fd_base,
        };
        p.print(name);
        p
    };
    let a = phase("without hung targets", normal.clone());
    let b = phase(
        &format!("with {} hung targets", o.hung),
        normal.iter().chain(&hung).cloned().collect(),
    );

    let snapshot = engine.snapshot();
    let normal_down = snapshot
        .iter()
        .filter(|s| s.key.service == "tcp 10.0.0.100:80" && s.health != health::Health::Up)
        .count();
    let hung_timed_out = snapshot
        .iter()
        .filter(|s| s.key.service.starts_with("tcp 10.0.1."))
        .filter(|s| {
            s.last
                .as_ref()
                .is_some_and(|r| r.detail.starts_with("timed out after"))
        })
        .count();
    println!("at the end: {normal_down} normal targets not up; {hung_timed_out} of {} hung targets timed out", o.hung);

    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    match &multi {
        Some(runtime) => runtime.block_on(engine.shutdown()),
        // The check threads drive their runtimes; this one only waits.
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(engine.shutdown()),
    }
    if let Some(threads) = threads {
        threads.stop();
    }
    let floor = connect_floor(port, 20_000);
    let checks_per_second = a.stats.checks as f64 / a.wall.as_secs_f64();
    println!(
        "floor: a bare blocking connect+close to the same listener costs {:.1} us of CPU in the \
         connecting thread, so {:.0} checks/s cost at least {:.0}% of one core on loopback; \
         the engine used {:.0}% ({:.2}x the floor)",
        floor * 1e6,
        checks_per_second,
        floor * checks_per_second * 100.0,
        a.cpu * 100.0,
        a.cpu / (floor * checks_per_second)
    );
    let event_floor = event_driven_floor(port, 20_000);
    println!(
        "event-driven floor: non-blocking connects waited for in one epoll, 100 at a time, each \
         closed with a reset as the engine closes them, cost {:.1} us of CPU each, so {:.0} \
         checks/s cost at least {:.0}% of one core; the engine used {:.0}% ({:.2}x this floor)",
        event_floor * 1e6,
        checks_per_second,
        event_floor * checks_per_second * 100.0,
        a.cpu * 100.0,
        a.cpu / (event_floor * checks_per_second)
    );
    drop(child.stdin.take()); // the listener exits when its stdin closes
    let _ = child.wait();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\nSummary: {} connect targets at interval 1 s ran {:.0} checks/s on {:.0}% of one core \
         (getrusage user+sys; the listener process used another {:.0}%), with check starts \
         p50 {:.2} ms / p99 {:.2} ms / max {:.1} ms after their slots, at most {} checks \
         in flight and a peak of {} descriptors open (sampled every 10 ms; bounded by {} + checks \
         in flight). With {} hung targets added ({} ran into the 1 s timeout \
         each time), the others started p50 {:.2} ms / p99 {:.2} ms / max {:.1} ms late at \
         {:.0}% CPU: {}. {} normal targets were not up at the end.",
        o.targets,
        a.stats.checks as f64 / a.wall.as_secs_f64(),
        a.cpu * 100.0,
        a.listener_cpu * 100.0,
        ms(a.stats.lateness.quantile(0.5)),
        ms(a.stats.lateness.quantile(0.99)),
        ms(a.stats.lateness.max()),
        a.stats.peak_in_flight,
        a.fd_peak,
        a.fd_base,
        o.hung,
        hung_timed_out,
        ms(b.stats.lateness.quantile(0.5)),
        ms(b.stats.lateness.quantile(0.99)),
        ms(b.stats.lateness.max()),
        b.cpu * 100.0,
        if b.stats.lateness.quantile(0.99)
            <= a.stats.lateness.quantile(0.99) * 2 + Duration::from_millis(1)
        {
            "the hung targets delayed no one"
        } else {
            "the hung targets DID delay the others"
        },
        normal_down,
    );
}

struct Phase {
    stats: Stats,
    wall: Duration,
    cpu: f64,
    user: f64,
    listener_cpu: f64,
    fd_peak: usize,
    fd_base: usize,
}

impl Phase {
    fn print(&self, name: &str) {
        let s = &self.stats;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}: {} checks in {:.1} s ({:.0}/s), {} failed; CPU {:.1}% of one core \
             ({:.1}% user; listener process {:.1}%); start lateness p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms \
             ({} starts); peak {} checks in flight; descriptors open: {} before the engine, \
             peak {} sampled every 10 ms (at most {} + {} in flight)",
            s.checks,
            self.wall.as_secs_f64(),
            s.checks as f64 / self.wall.as_secs_f64(),
            s.failed,
            self.cpu * 100.0,
            self.user * 100.0,
            self.listener_cpu * 100.0,
            ms(s.lateness.quantile(0.5)),
            ms(s.lateness.quantile(0.99)),
            ms(s.lateness.max()),
            s.lateness.count(),
            s.peak_in_flight,
            self.fd_base,
            self.fd_peak,
            self.fd_base,
            s.peak_in_flight,
        );
    }
}

/// This process's user and sys CPU times.
fn cpu_self_split() -> (Duration, Duration) {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the rusage we pass.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(usage.ru_utime), tv(usage.ru_stime))
}

/// Another process's user+sys CPU time (from /proc/PID/stat).
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(close) = stat.rfind(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    // Fields 14 and 15 of stat(5) (utime, stime): 12 and 13 after "pid (comm) ".
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_secs_f64(ticks as f64 / hz as f64)
}

/// The child: a listener on 0.0.0.0 that accepts and closes; one on
/// 127.0.0.1 that never accepts, its backlog filled; one on 127.0.0.1 that
/// accepts and never answers. Prints the three ports; exits when stdin closes.
fn listener() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
            .unwrap();
        let open = socket.listen(4096).unwrap();

        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .unwrap();
        let full = socket.listen(0).unwrap();
        let full_addr = full.local_addr().unwrap();
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match tokio::time::timeout(
                Duration::from_millis(200),
                tokio::net::TcpStream::connect(full_addr),
            )
            .await
            {
                Ok(Ok(s)) => fillers.push(s),
                _ => break,
            }
        }

        let silent = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        println!(
            "{} {} {}",
            open.local_addr().unwrap().port(),
            full_addr.port(),
            silent.local_addr().unwrap().port()
        );
        std::io::stdout().flush().unwrap();

        tokio::spawn(async move {
            loop {
                if let Ok((s, _)) = open.accept().await {
                    drop(s);
                }
            }
        });
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = silent.accept().await {
                held.push(s);
            }
        });
        // Until the parent closes our stdin.
        tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        })
        .await
        .unwrap();
        drop((full, fillers));
    });
}

/// `--paced FIRST_IP COUNT PORT RATE`: the bare connect+close floor at a
/// checker's rate. Every 10 ms a batch of blocking connects, each closed at
/// once, to the next of COUNT addresses from FIRST_IP; runs until killed.
fn paced() {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let usage = "--paced FIRST_IP COUNT PORT RATE";
    let first: Ipv4Addr = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let count: u32 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let port: u16 = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let rate: u32 = args.get(3).and_then(|a| a.parse().ok()).expect(usage);
    let batch = (rate / 100).max(1);
    let tick = Duration::from_secs_f64(f64::from(batch) / f64::from(rate.max(1)));
    let mut next = Instant::now();
    let mut i = 0u32;
    loop {
        for _ in 0..batch {
            let ip = Ipv4Addr::from(u32::from(first).wrapping_add(i % count.max(1)));
            let _ = std::net::TcpStream::connect(SocketAddr::from((ip, port)));
            i = i.wrapping_add(1);
        }
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// This thread's user+sys CPU seconds.
fn thread_cpu() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU seconds per connection of the leanest possible connect check: a
/// blocking connect and close, timed with the thread's own rusage. On
/// loopback the kernel runs both ends' TCP handshake in the connecting
/// thread, so this is the floor any connect checker pays here.
fn connect_floor(port: u16, connections: u32) -> f64 {
    std::thread::spawn(move || {
        let cpu = thread_cpu;
        let start = cpu();
        for i in 0..connections {
            let ip = Ipv4Addr::new(127, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8);
            let _ = std::net::TcpStream::connect(SocketAddr::from((ip, port)));
        }
        (cpu() - start) / f64::from(connections)
    })
    .join()
    .unwrap_or(f64::NAN)
}

/// CPU seconds per connection of the leanest checker that does not block
/// on each connect, as the engine and keepalived do not: batches of 100
/// non-blocking connects, their ends waited for in one epoll, each socket
/// closed with a reset (SO_LINGER 0). What the engine adds to this is its
/// own: the schedule, timeouts, results and their bookkeeping.
fn event_driven_floor(port: u16, connections: u32) -> f64 {
    std::thread::spawn(move || {
        const BATCH: u32 = 100;
        // SAFETY: plain syscalls on descriptors this function owns; the
        // structs passed are zeroed or fully written first.
        unsafe {
            let epoll = libc::epoll_create1(libc::EPOLL_CLOEXEC);
            assert!(epoll >= 0, "epoll_create1");
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; BATCH as usize];
            let start = thread_cpu();
            let mut i = 0;
            while i < connections {
                let mut pending = 0;
                for _ in 0..BATCH.min(connections - i) {
                    let ip = Ipv4Addr::new(127, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8);
                    i += 1;
                    let fd = libc::socket(
                        libc::AF_INET,
                        libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                        0,
                    );
                    if fd < 0 {
                        continue;
                    }
                    let address = libc::sockaddr_in {
                        sin_family: libc::AF_INET as libc::sa_family_t,
                        sin_port: port.to_be(),
                        sin_addr: libc::in_addr {
                            s_addr: u32::from(ip).to_be(),
                        },
                        sin_zero: [0; 8],
                    };
                    let r = libc::connect(
                        fd,
                        (&address as *const libc::sockaddr_in).cast(),
                        std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    );
                    let mut event = libc::epoll_event {
                        events: libc::EPOLLOUT as u32,
                        u64: fd as u64,
                    };
                    if r == 0
                        || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINPROGRESS)
                        || libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) != 0
                    {
                        libc::close(fd);
                        continue;
                    }
                    pending += 1;
                }
                while pending > 0 {
                    let n = libc::epoll_wait(epoll, events.as_mut_ptr(), BATCH as i32, 1000);
                    if n <= 0 {
                        break;
                    }
                    for event in &events[..n as usize] {
                        let fd = event.u64 as i32;
                        libc::setsockopt(
                            fd,
                            libc::SOL_SOCKET,
                            libc::SO_LINGER,
                            (&linger as *const libc::linger).cast(),
                            std::mem::size_of::<libc::linger>() as libc::socklen_t,
                        );
                        libc::close(fd);
                        pending -= 1;
                    }
                }
            }
            let cpu = (thread_cpu() - start) / f64::from(connections);
            libc::close(epoll);
            cpu
        }
    })
    .join()
    .unwrap_or(f64::NAN)
}
