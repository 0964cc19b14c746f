// SPDX-License-Identifier: MIT OR Apache-2.0
//! CPU per check of the tcp, udp and dns checks (not a test), against a
//! real DNS server: dnsmasq on 127.0.0.1 (the tests' instance,
//! `tests/common/dnsmasq.rs`), each against the floor of what it does done
//! the leanest way (blocking calls, one at a time): connect+close (to a
//! listener that accepts and closes, as for the connect check); a DNS query
//! and its answer over a fresh TCP connection; over a fresh connected UDP
//! socket.
//!
//! ```text
//! cargo run --release -p health --example bench_kinds -- [--checks 5000] [--in-flight 10]
//! ```
//!
//! Each kind runs `--checks` checks through `check_once`, `--in-flight` at
//! a time, on a current-thread runtime; the CPU is this process's
//! (getrusage user+sys), divided by the checks. dnsmasq's own CPU is not
//! counted (it forks a child per TCP connection, which bounds the TCP
//! kinds' rate, not their CPU here).

#[path = "../tests/common/dnsmasq.rs"]
mod dnsmasq;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use config::model::{DnsCheck, DnsProtocol, DnsQuery, DnsRecord, SendExpect};
use health::{check_once, Check, CheckKind};

fn cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn target(addr: SocketAddr, kind: CheckKind) -> health::Target<String> {
    health::Target {
        key: health::TargetKey {
            service: "udp 10.0.0.1:53".to_string(),
            real: addr,
        },
        check: Check {
            kind,
            port: None,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            rise: 1,
            fall: 1,
        },
        virtual_host: "10.0.0.1".to_string(),
        virtual_port: 53,
        initially_up: false,
    }
}

/// µs of CPU per check, checks per second, failures.
fn run(target: health::Target<String>, checks: u32, in_flight: u32) -> (f64, f64, u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let target = std::sync::Arc::new(target);
    let (start_cpu, start) = (cpu(), Instant::now());
    let failed = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::<bool>::new();
        let mut failed = 0;
        for i in 0..checks {
            if i >= in_flight {
                if let Some(Ok(ok)) = set.join_next().await {
                    failed += u32::from(!ok);
                }
            }
            let t = std::sync::Arc::clone(&target);
            set.spawn(async move { check_once(&*t).await.ok });
        }
        while let Some(Ok(ok)) = set.join_next().await {
            failed += u32::from(!ok);
        }
        failed
    });
    let (spent, took) = (cpu() - start_cpu, start.elapsed());
    (
        spent.as_secs_f64() * 1e6 / f64::from(checks),
        f64::from(checks) / took.as_secs_f64(),
        failed,
    )
}

/// µs of CPU per blocking `f`.
fn floor(checks: u32, mut f: impl FnMut()) -> f64 {
    let start = cpu();
    for _ in 0..checks {
        f();
    }
    (cpu() - start).as_secs_f64() * 1e6 / f64::from(checks)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str, default: u32| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let (checks, in_flight) = (arg("--checks", 5000), arg("--in-flight", 10));
    let Some(server) = dnsmasq::Dnsmasq::start() else {
        return;
    };
    let addr = server.addr;
    let query = dnsmasq::raw_query("check.example.com", 16);
    let framed = format!("\u{0}{}{query}", char::from(query.len() as u8));
    let www = |protocol| {
        CheckKind::Dns(DnsCheck {
            query: Some(DnsQuery {
                name: "www.example.com".into(),
                record: DnsRecord::A,
            }),
            receive: Some("192.0.2.10".into()),
            protocol,
        })
    };
    let expect = |request: &str| SendExpect {
        request: Some(request.to_string()),
        receive: Some("pong".into()),
    };
    println!("{checks} checks of each kind, {in_flight} in flight, against dnsmasq at {addr}");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let connect_floor = floor(checks, || drop(TcpStream::connect(open)));
    println!("floor: blocking connect+close        {connect_floor:7.1} µs CPU");
    let mut answer = [0u8; 1500];
    let tcp_floor = floor(checks, || {
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.write_all(framed.as_bytes());
            let _ = s.read(&mut answer);
        }
    });
    println!("floor: blocking TCP query+answer     {tcp_floor:7.1} µs CPU");
    let mut buf = [0u8; 1500];
    let udp_floor = floor(checks, || {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.connect(addr).unwrap();
        udp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = udp.send(query.as_bytes());
        let _ = udp.recv(&mut buf);
    });
    println!("floor: blocking UDP query+answer     {udp_floor:7.1} µs CPU");
    let kinds = [
        ("connect", CheckKind::Connect, connect_floor),
        (
            "tcp (DNS query, receive)",
            CheckKind::Tcp(expect(&framed)),
            tcp_floor,
        ),
        (
            "udp (DNS query, receive)",
            CheckKind::Udp(expect(&query)),
            udp_floor,
        ),
        ("dns over UDP", www(DnsProtocol::Udp), udp_floor),
        ("dns over TCP", www(DnsProtocol::Tcp), tcp_floor),
    ];
    for (name, kind, base) in kinds {
        let to = if matches!(kind, CheckKind::Connect) {
            open
        } else {
            addr
        };
        let (us, rate, failed) = run(target(to, kind), checks, in_flight);
        println!(
            "{name:<28} {us:7.1} µs CPU per check ({:.2}x its floor), {rate:.0} checks/s, {failed} failed",
            us / base
        );
    }
}
