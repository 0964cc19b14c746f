// SPDX-License-Identifier: MIT OR Apache-2.0
//! A direct-routing site inside the lab VM, as network namespaces on one
//! bridge (the addresses of `dist/examples/www.toml`):
//! - the director is the calling test's own namespace (see
//!   [`super::namespace`]): `br0` with 192.168.0.1/24 and the VIP
//!   192.168.0.3, and a sorry page on port 80 (what the VIP serves with
//!   `fallback = "127.0.0.1:80"`);
//! - real servers r1 (192.168.0.4) and r2 (192.168.0.5): the VIP on `lo`
//!   with `arp_ignore=1`/`arp_announce=2`, a web page on port 80 naming the
//!   server (busybox httpd) and `/alive.html` saying `OK`;
//! - a client c (192.168.0.50) whose requests go through the VIP.
//!
//! The reals' and client's namespaces have names of their own per site, so
//! that a test that failed half-way leaves nothing a later test trips on;
//! dropping the site stops its servers and deletes its namespaces.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The floating VIP, on the director's `br0`.
pub const VIP: &str = "192.168.0.3";

/// The real servers of the site and their addresses.
const REALS: [(&str, &str); 2] = [("r1", "192.168.0.4"), ("r2", "192.168.0.5")];

/// The client and its address.
const CLIENT: (&str, &str) = ("c", "192.168.0.50");

/// Runs `/sbin/ip` with whitespace-separated arguments; panics on failure.
pub fn ip(args: &str) {
    run("/sbin/ip", &args.split_whitespace().collect::<Vec<_>>());
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `ready` every 0.1 s for at most `seconds`; true once it holds.
pub fn wait_for(seconds: u64, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The running site; see the module's documentation.
pub struct Site {
    /// Prefix of this site's namespace names.
    tag: String,
    /// Where the web pages live.
    dir: PathBuf,
    /// The web servers of r1 and r2 while they run.
    servers: Vec<(&'static str, Child)>,
    /// The director's sorry page.
    sorry: Option<Child>,
}

impl Site {
    /// Builds the site around the calling thread's namespace (the director)
    /// with both reals serving; the pages go under `dir`.
    pub fn new(dir: &Path) -> Site {
        static SITES: AtomicUsize = AtomicUsize::new(0);
        let mut site = Site {
            tag: format!(
                "dr{}-{}-",
                std::process::id(),
                SITES.fetch_add(1, Ordering::Relaxed)
            ),
            dir: dir.to_owned(),
            servers: Vec::new(),
            sorry: None,
        };
        ip("link add br0 type bridge");
        ip("addr add 192.168.0.1/24 dev br0");
        ip(&format!("addr add {VIP}/32 dev br0"));
        ip("link set br0 up");
        for (name, address) in REALS.iter().chain([&CLIENT]) {
            let ns = site.namespace(name);
            ip(&format!("netns add {ns}"));
            ip(&format!(
                "link add v-{name} type veth peer name eth0 netns {ns}"
            ));
            ip(&format!("link set v-{name} master br0 up"));
            ip(&format!("-n {ns} addr add {address}/24 dev eth0"));
            ip(&format!("-n {ns} link set eth0 up"));
            ip(&format!("-n {ns} link set lo up"));
        }
        for (name, _) in REALS {
            let ns = site.namespace(name);
            run(
                "/sbin/ip",
                &[
                    "netns",
                    "exec",
                    &ns,
                    "sh",
                    "-c",
                    "for c in all eth0; do
                        echo 1 > /proc/sys/net/ipv4/conf/$c/arp_ignore
                        echo 2 > /proc/sys/net/ipv4/conf/$c/arp_announce
                    done",
                ],
            );
            ip(&format!("-n {ns} addr add {VIP}/32 dev lo"));
            site.page(name, "index.html", &format!("served by {name}\n"));
            site.page(name, "alive.html", &format!("OK {name}\n"));
            site.start(name);
        }
        site.page("sorry", "index.html", "sorry, no server is up\n");
        site.sorry = Some(site.httpd(None, "sorry"));
        assert!(
            wait_for(5, || TcpStream::connect("127.0.0.1:80").is_ok()),
            "the sorry page does not answer"
        );
        site
    }

    fn namespace(&self, name: &str) -> String {
        format!("{}{name}", self.tag)
    }

    /// The name of a real's (`r1`, `r2`) network namespace, to run other
    /// servers in it with `ip netns exec`.
    pub fn netns(&self, real: &str) -> String {
        Site::address(real);
        self.namespace(real)
    }

    /// Writes a page of a real (`r1`, `r2`) or of the sorry server (`sorry`).
    pub fn page(&self, server: &str, file: &str, text: &str) {
        let root = self.dir.join(format!("www-{server}"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join(file), text).unwrap();
    }

    fn httpd(&self, ns: Option<&str>, server: &str) -> Child {
        let root = self.dir.join(format!("www-{server}"));
        let root = root.to_string_lossy();
        let httpd = ["busybox", "httpd", "-f", "-p", "80", "-h", &root];
        // `ip netns exec` execs: the child is httpd itself.
        let mut command = match ns {
            Some(ns) => {
                let mut c = Command::new("/sbin/ip");
                c.args(["netns", "exec", ns]).args(httpd);
                c
            }
            None => {
                let mut c = Command::new(httpd[0]);
                c.args(&httpd[1..]);
                c
            }
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn address(real: &str) -> &'static str {
        REALS
            .iter()
            .find(|(name, _)| *name == real)
            .map(|(_, address)| *address)
            .unwrap_or_else(|| panic!("no real {real} in the site"))
    }

    /// Starts (again) the web server of a real and waits until it answers.
    pub fn start(&mut self, real: &'static str) {
        let child = self.httpd(Some(&self.namespace(real)), real);
        self.servers.push((real, child));
        let address: SocketAddr = format!("{}:80", Site::address(real)).parse().unwrap();
        assert!(
            wait_for(5, || TcpStream::connect_timeout(
                &address,
                Duration::from_millis(200)
            )
            .is_ok()),
            "{real}'s web server does not answer"
        );
    }

    /// Stops the web server of a real: it then refuses connections.
    pub fn stop(&mut self, real: &str) {
        let at = self
            .servers
            .iter()
            .position(|(name, _)| *name == real)
            .unwrap_or_else(|| panic!("{real}'s web server is not running"));
        let (_, mut child) = self.servers.remove(at);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// One request through the VIP from the client: the body's first line,
    /// or what went wrong.
    pub fn get(&self) -> String {
        let netns =
            std::fs::File::open(format!("/run/netns/{}", self.namespace(CLIENT.0))).unwrap();
        // A thread of its own moves into the client's namespace.
        std::thread::spawn(move || {
            // SAFETY: setns has no memory-safety preconditions; it moves
            // only this thread, which ends with the request.
            let rc = unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) };
            if rc != 0 {
                return format!("setns: {}", std::io::Error::last_os_error());
            }
            request().unwrap_or_else(|e| format!("no answer: {e}"))
        })
        .join()
        .unwrap()
    }

    /// A connection from the client to the VIP, open and not used yet (a
    /// long download, as the director sees it); [`finish`] uses it.
    pub fn hold(&self) -> TcpStream {
        let netns =
            std::fs::File::open(format!("/run/netns/{}", self.namespace(CLIENT.0))).unwrap();
        std::thread::spawn(move || {
            // SAFETY: as in `get`: it moves only this thread.
            let rc = unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            connect().unwrap()
        })
        .join()
        .unwrap()
    }

    /// Asks for `n` pages through the VIP: the distinct answers, sorted,
    /// each followed by `;` (e.g. `served by r1;served by r2;`).
    pub fn answers(&self, n: usize) -> String {
        let mut answers: Vec<String> = (0..n).map(|_| self.get()).collect();
        answers.sort();
        answers.dedup();
        answers.iter().map(|a| format!("{a};")).collect()
    }
}

/// `GET /` to the VIP; the body's first line.
fn request() -> std::io::Result<String> {
    finish(connect()?)
}

/// A connection to the VIP's port 80.
fn connect() -> std::io::Result<TcpStream> {
    let address: SocketAddr = format!("{VIP}:80").parse().unwrap();
    TcpStream::connect_timeout(&address, Duration::from_secs(3))
}

/// `GET /` on a connection to the VIP (see [`Site::hold`]); the body's
/// first line.
pub fn finish(mut stream: TcpStream) -> std::io::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: www\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok(body.lines().next().unwrap_or("").to_owned())
}

impl Drop for Site {
    fn drop(&mut self) {
        let servers = self.servers.iter_mut().map(|(_, child)| child);
        for child in servers.chain(self.sorry.as_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
        for (name, _) in REALS.iter().chain([&CLIENT]) {
            let _ = Command::new("/sbin/ip")
                .args(["netns", "del", &self.namespace(name)])
                .status();
        }
    }
}
