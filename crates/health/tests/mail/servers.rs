// SPDX-License-Identifier: MIT OR Apache-2.0
//! The real servers the mail checks are proven against, each started by its
//! test in the foreground on 127.0.0.1 with a throwaway configuration and
//! data folder, and stopped when dropped: dovecot (IMAP, POP3, submission),
//! exim (SMTP), vsftpd (FTP). scripts/test installs them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The one test user of every server.
pub const USER: &str = "check";
/// Its password.
pub const PASSWORD: &str = "secret";

/// A server process with its folder; stopped (TERM, then KILL) and the
/// folder removed when dropped.
pub struct Server {
    child: Child,
    dir: PathBuf,
    ip: IpAddr,
    ports: Vec<u16>,
}

impl Server {
    /// The address of its `n`th port.
    pub fn addr(&self, n: usize) -> SocketAddr {
        SocketAddr::new(self.ip, self.ports[n])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A connection's process (exim's) may still write its log line,
        // and make its folder again: removed until it stays away.
        for _ in 0..20 {
            let _ = std::fs::remove_dir_all(&self.dir);
            std::thread::sleep(Duration::from_millis(100));
            if !self.dir.exists() {
                break;
            }
        }
    }
}

/// A fresh folder (world-readable: the servers' own users read in it).
fn folder(name: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("ipvsctl-mail-{name}-{pid}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o755);
    dir
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// `n` ports free on `ip` now.
fn free_ports(ip: IpAddr, n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((ip, 0)).unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// The program, or a panic that says how to get it.
fn program(path: &str, package: &str) -> Command {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: scripts/test installs it (apt-get install {package})"
    );
    let mut command = Command::new(path);
    command.stdin(Stdio::null());
    command
}

/// Starts `command` and waits until every port accepts.
fn start(mut command: Command, dir: PathBuf, ip: IpAddr, ports: Vec<u16>, log: &str) -> Server {
    let out = std::fs::File::create(dir.join(log)).unwrap();
    let err = out.try_clone().unwrap();
    let child = command.stdout(out).stderr(err).spawn().unwrap();
    let mut server = Server {
        child,
        dir,
        ip,
        ports,
    };
    let end = Instant::now() + Duration::from_secs(20);
    for &port in &server.ports.clone() {
        while TcpStream::connect((ip, port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(server.dir.join(log)).unwrap_or_default();
                panic!("the server ended ({status}) before listening:\n{log}");
            }
            assert!(Instant::now() < end, "port {port} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    server
}

/// The test certificate and key (tests/data) as PEM files in `dir`.
fn pem_files(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(
        &cert,
        pem("CERTIFICATE", include_bytes!("../data/leaf.der")),
    )
    .unwrap();
    std::fs::write(
        &key,
        pem("PRIVATE KEY", include_bytes!("../data/leaf.key.der")),
    )
    .unwrap();
    chmod(&key, 0o644);
    (cert, key)
}

fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut coded = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            coded.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in coded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// dovecot with IMAP (port 0), IMAPS (1), POP3 (2), POP3S (3) and
/// submission (4); one user in a passwd-file; no delay or penalty after a
/// failed login (auth_failure_delay = 0, anvil's auth-penalty socket off).
pub fn dovecot() -> Server {
    let dir = folder("dovecot");
    let (cert, key) = pem_files(&dir);
    let home = dir.join("home");
    std::fs::create_dir(&home).unwrap();
    chmod(&home, 0o1777);
    std::fs::write(dir.join("users"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
    let p = free_ports(LOOPBACK, 5);
    let d = dir.display();
    let config = format!(
        r#"protocols = imap pop3 submission
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
hostname = mail.test
submission_relay_host = 127.0.0.1
submission_relay_port = 9
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/home/%u
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {}
  }}
  inet_listener imaps {{
    port = {}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {}
  }}
  inet_listener pop3s {{
    port = {}
    ssl = yes
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = {}
  }}
}}
"#,
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        cert = cert.display(),
        key = key.display(),
    );
    let conf = dir.join("dovecot.conf");
    std::fs::write(&conf, config).unwrap();
    let mut command = program(
        "/usr/sbin/dovecot",
        "dovecot-imapd dovecot-pop3d dovecot-submissiond",
    );
    command.arg("-F").arg("-c").arg(&conf);
    start(command, dir, LOOPBACK, p, "dovecot.out")
}

/// exim (exim4-daemon-light) as a foreground daemon: SMTP with STARTTLS
/// and AUTH PLAIN/LOGIN (port 0), a banner of 554 (1), SMTPS (2), and
/// AUTH LOGIN only (3).
pub fn exim() -> Server {
    let dir = folder("exim");
    let (cert, key) = pem_files(&dir);
    for sub in ["spool", "log"] {
        std::fs::create_dir(dir.join(sub)).unwrap();
        chmod(&dir.join(sub), 0o777);
    }
    let p = free_ports(LOOPBACK, 4);
    let d = dir.display();
    let config = format!(
        r#"keep_environment =
notifier_socket = {d}/notifier
smtp_accept_max = 0
primary_hostname = exim.test
daemon_smtp_ports = {} : {} : {} : {}
tls_on_connect_ports = {}
local_interfaces = 127.0.0.1
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
pid_file_path = {d}/exim.pid
tls_certificate = {cert}
tls_privatekey = {key}
tls_advertise_hosts = *
auth_advertise_hosts = *
acl_smtp_connect = acl_connect
begin acl
acl_connect:
  deny condition = ${{if eq{{$received_port}}{{{}}}}}
       message = 554 5.3.2 no service here
  accept
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_advertise_condition = ${{if !eq{{$received_port}}{{{}}}}}
  server_prompts = :
  server_condition = ${{if and {{{{eq{{$auth2}}{{{USER}}}}}{{eq{{$auth3}}{{{PASSWORD}}}}}}}}}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${{if and {{{{eq{{$auth1}}{{{USER}}}}}{{eq{{$auth2}}{{{PASSWORD}}}}}}}}}
"#,
        p[0],
        p[1],
        p[2],
        p[3],
        p[2],
        p[1],
        p[3],
        cert = cert.display(),
        key = key.display(),
    );
    let conf = dir.join("exim.conf");
    std::fs::write(&conf, config).unwrap();
    let mut command = program("/usr/sbin/exim4", "exim4-daemon-light");
    command.arg("-C").arg(&conf).arg("-bdf");
    start(command, dir, LOOPBACK, p, "exim.out")
}

/// vsftpd on 127.0.0.1, or on ::1 with `ipv6`: anonymous only, passive
/// mode, serving `welcome.msg`; a banned e-mail password
/// (`banned@example.org`) is refused.
pub fn vsftpd(ipv6: bool) -> Server {
    let dir = folder("vsftpd");
    let root = dir.join("root");
    let empty = dir.join("empty");
    std::fs::create_dir(&root).unwrap();
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(root.join("welcome.msg"), "Welcome to the test FTP server\n").unwrap();
    chmod(&root.join("welcome.msg"), 0o644);
    std::fs::write(dir.join("banned"), "banned@example.org\n").unwrap();
    let ip = if ipv6 {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        LOOPBACK
    };
    let p = free_ports(ip, 1);
    let d = dir.display();
    let listen = if ipv6 {
        "listen=NO\nlisten_ipv6=YES\nlisten_address6=::1"
    } else {
        "listen=YES\nlisten_address=127.0.0.1"
    };
    let config = format!(
        "{listen}
listen_port={}
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root={d}/root
pasv_enable=YES
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir={d}/empty
xferlog_enable=NO
dirmessage_enable=NO
deny_email_enable=YES
banned_email_file={d}/banned
vsftpd_log_file={d}/vsftpd.log
",
        p[0]
    );
    let conf = dir.join("vsftpd.conf");
    std::fs::write(&conf, config).unwrap();
    let mut command = program("/usr/sbin/vsftpd", "vsftpd");
    command.arg(&conf);
    start(command, dir, ip, p, "vsftpd.out")
}
