// SPDX-License-Identifier: MIT OR Apache-2.0
//! Real servers from Debian's packages (freeradius, kamailio), each started
//! in the foreground on a free port of 127.0.0.1 and ::1 with a throwaway
//! configuration, and stopped (its process group terminated, its directory
//! removed) when dropped. scripts/test installs the packages.

use std::fs;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A server process (in a process group of its own) and its directory.
pub struct Server {
    /// Its address on 127.0.0.1.
    pub v4: SocketAddr,
    /// The same port on ::1.
    pub v6: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the server's own process group.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A UDP port free on both 127.0.0.1 and ::1 now.
pub fn free_udp_port() -> u16 {
    loop {
        let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        if UdpSocket::bind(("::1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
}

/// A fresh, empty directory for one server.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn program(name: &str, package: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("{name} is missing: apt-get install {package} (scripts/test does)")
        })
}

fn start(mut command: Command, dir: PathBuf, port: u16) -> Server {
    let log = fs::File::create(dir.join("log")).unwrap();
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap();
    Server {
        v4: SocketAddr::from(([127, 0, 0, 1], port)),
        v6: format!("[::1]:{port}").parse().unwrap(),
        child,
        dir,
    }
}

/// The secret of [`freeradius`]'s clients.
pub const SECRET: &str = "s3cret";

/// FreeRADIUS on 127.0.0.1 and ::1 (one port, auth only), secret
/// [`SECRET`]; the IPv4 client must send Message-Authenticator. Users:
/// `check` (password `pw`), and `refused`, rejected with the Reply-Message
/// "account disabled".
pub fn freeradius() -> Server {
    let dir = scratch("freeradius");
    let port = free_udp_port();
    let d = dir.display();
    let conf = format!(
        r#"prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {d}
raddbdir = {d}
radacctdir = {d}
name = freeradius
confdir = {d}
modconfdir = {d}
run_dir = {d}
db_dir = {d}
libdir = /usr/lib/freeradius
pidfile = {d}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {{
	destination = stderr
}}
security {{
	allow_core_dumps = no
}}
client v4 {{
	ipaddr = 127.0.0.1
	secret = {SECRET}
	require_message_authenticator = yes
}}
client v6 {{
	ipv6addr = ::1
	secret = {SECRET}
}}
modules {{
	pap {{
	}}
	files {{
		filename = {d}/users
	}}
}}
server default {{
	listen {{
		type = auth
		ipaddr = 127.0.0.1
		port = {port}
	}}
	listen {{
		type = auth
		ipv6addr = ::1
		port = {port}
	}}
	authorize {{
		files
		pap
	}}
	authenticate {{
		pap
	}}
}}
"#
    );
    fs::write(dir.join("radiusd.conf"), conf).unwrap();
    fs::write(
        dir.join("users"),
        "check\tCleartext-Password := \"pw\"\n\
         refused\tAuth-Type := Reject\n\
         \tReply-Message := \"account disabled\"\n",
    )
    .unwrap();
    let mut command = Command::new(program("freeradius", "freeradius"));
    command.arg("-X").arg("-f").arg("-d").arg(&dir);
    start(command, dir, port)
}

/// Kamailio on 127.0.0.1 (UDP and TCP) and ::1 (UDP), answering OPTIONS
/// statelessly: 200 OK, but 404 Not Found for the user `nobody`, and
/// 100 Trying before the 200 for the user `slow`.
pub fn kamailio() -> Server {
    let dir = scratch("kamailio");
    let port = free_udp_port();
    let modules = fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("kamailio/modules"))
        .find(|p| p.join("sl.so").exists())
        .expect("kamailio's modules are missing: apt-get install kamailio (scripts/test does)");
    let conf = format!(
        r#"#!KAMAILIO
debug=1
log_stderror=yes
children=1
tcp_children=1
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
listen=udp:[::1]:{port}
mpath="{}/"
loadmodule "sl.so"
loadmodule "pv.so"
request_route {{
	if ($rU == "nobody") {{
		sl_send_reply("404", "Not Found");
		exit;
	}}
	if ($rU == "slow") {{
		sl_send_reply("100", "Trying");
	}}
	if (method == "OPTIONS") {{
		sl_send_reply("200", "OK");
		exit;
	}}
	sl_send_reply("405", "Method Not Allowed");
}}
"#,
        modules.display()
    );
    fs::write(dir.join("kamailio.cfg"), conf).unwrap();
    let mut command = Command::new(program("kamailio", "kamailio"));
    command
        .args(["-DD", "-E", "-f"])
        .arg(dir.join("kamailio.cfg"))
        .arg("-Y")
        .arg(&dir)
        .arg("-P")
        .arg(dir.join("kamailio.pid"));
    start(command, dir, port)
}
