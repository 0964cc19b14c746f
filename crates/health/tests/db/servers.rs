// SPDX-License-Identifier: MIT OR Apache-2.0
//! Real database servers from Debian's packages (mariadb-server,
//! postgresql), each started in the foreground on a free 127.0.0.1 port
//! with a throwaway data directory, and stopped (killed, directory removed)
//! when dropped. scripts/test installs the packages.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A server process and its directory.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    _dir: Scratch,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped (also when setting up fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A fresh, empty directory for one server.
fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("ipvsctl-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn program(name: &str, hint: &str) -> PathBuf {
    let found = ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .chain(
            fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|v| v.path().join("bin").join(name)),
        )
        .find(|p| p.exists());
    found.unwrap_or_else(|| panic!("{name} is missing: apt-get install {hint} (scripts/test does)"))
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// MariaDB with database `app`: table `up` holds a row, `empty` none; user
/// `check` (password `secret`, mysql_native_password) may read them.
pub fn mariadb() -> Server {
    let scratch = scratch("mariadb");
    let dir = scratch.0.clone();
    let data = dir.join("data");
    run(
        Command::new(program("mariadb-install-db", "mariadb-server"))
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--user=root", "--skip-test-db"])
            .arg("--auth-root-authentication-method=normal"),
        "mariadb-install-db",
    );
    let init = dir.join("init.sql");
    fs::write(
        &init,
        "CREATE DATABASE app;\n\
         CREATE TABLE app.up (n INT);\n\
         INSERT INTO app.up VALUES (1);\n\
         CREATE TABLE app.empty (n INT);\n\
         CREATE USER 'check'@'127.0.0.1' IDENTIFIED BY 'secret';\n\
         GRANT SELECT ON app.* TO 'check'@'127.0.0.1';\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(program("mariadbd", "mariadb-server"))
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", dir.join("sock").display()))
        .arg(format!("--pid-file={}", dir.join("pid").display()))
        .arg(format!("--init-file={}", init.display()))
        .arg(format!("--port={port}"))
        .args([
            "--user=root",
            "--bind-address=127.0.0.1",
            "--skip-networking=0",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("mariadbd");
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        child,
        _dir: scratch,
    }
}

/// Runs as `nobody` when root (postgres refuses to run as root).
fn as_nobody(command: &mut Command) -> &mut Command {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        command.uid(65534).gid(65534);
    }
    command
}

fn nobody_owns(path: &Path) {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    }
}

/// PostgreSQL with database `app`: table `up` holds a row, `empty` none;
/// users `check` (password `secret`, SCRAM-SHA-256), `old` (`md5secret`,
/// stored and asked for as md5) and `plain` (`clear`, sent in clear).
pub fn postgres() -> Server {
    let scratch = scratch("postgres");
    let dir = scratch.0.clone();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    nobody_owns(&dir);
    let data = dir.join("data");
    run(
        as_nobody(
            Command::new(program("initdb", "postgresql"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--no-sync"]),
        ),
        "initdb",
    );
    fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\n\
         host all old 127.0.0.1/32 md5\n\
         host all plain 127.0.0.1/32 password\n\
         host all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    let single = |database: &str, sql: &str| {
        // -j: a statement ends at a semicolon and an empty line.
        let mut command = Command::new(program("postgres", "postgresql"));
        as_nobody(&mut command)
            .args(["--single", "-j", "-D"])
            .arg(&data)
            .arg(database)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("postgres --single");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !text.contains("ERROR"),
            "postgres --single: {text}"
        );
    };
    single(
        "postgres",
        "CREATE ROLE \"check\" LOGIN PASSWORD 'secret';\n\n\
         SET password_encryption = 'md5';\n\n\
         CREATE ROLE old LOGIN PASSWORD 'md5secret';\n\n\
         CREATE ROLE plain LOGIN PASSWORD 'clear';\n\n\
         CREATE DATABASE app;\n\n",
    );
    single(
        "app",
        "CREATE TABLE up (n int);\n\n\
         INSERT INTO up VALUES (1);\n\n\
         CREATE TABLE empty (n int);\n\n\
         GRANT SELECT ON up, empty TO \"check\", old, plain;\n\n",
    );
    let port = free_port();
    let mut command = Command::new(program("postgres", "postgresql"));
    let child = as_nobody(&mut command)
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(&dir)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("postgres");
    Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        child,
        _dir: scratch,
    }
}

/// PEM of DER bytes (`label`: CERTIFICATE, PRIVATE KEY).
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// slapd with `dc=example,dc=com` and `cn=check,dc=example,dc=com`
/// (password `secret`), readable by anyone; LDAP on `addr`, LDAPS (the test
/// leaf certificate of tests/data) on `tls`.
pub struct Slapd {
    pub server: Server,
    pub tls: SocketAddr,
}

pub fn slapd() -> Slapd {
    let scratch = scratch("slapd");
    let dir = scratch.0.clone();
    let data = dir.join("data");
    fs::create_dir_all(&data).unwrap();
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let cert = dir.join("leaf.pem");
    let key = dir.join("leaf.key.pem");
    fs::write(
        &cert,
        pem("CERTIFICATE", &fs::read(tests.join("leaf.der")).unwrap()),
    )
    .unwrap();
    fs::write(
        &key,
        pem(
            "PRIVATE KEY",
            &fs::read(tests.join("leaf.key.der")).unwrap(),
        ),
    )
    .unwrap();
    let conf = dir.join("slapd.conf");
    fs::write(
        &conf,
        format!(
            "include /etc/ldap/schema/core.schema\n\
             pidfile {dir}/pid\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             TLSCertificateFile {cert}\n\
             TLSCertificateKeyFile {key}\n\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"dc=example,dc=com\"\n\
             rootdn \"cn=admin,dc=example,dc=com\"\n\
             rootpw admin\n\
             directory {data}\n",
            dir = dir.display(),
            cert = cert.display(),
            key = key.display(),
            data = data.display(),
        ),
    )
    .unwrap();
    let ldif = dir.join("entries.ldif");
    fs::write(
        &ldif,
        "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\n\
         dc: example\no: Example\n\n\
         dn: cn=check,dc=example,dc=com\nobjectClass: person\ncn: check\nsn: check\n\
         userPassword: secret\n",
    )
    .unwrap();
    run(
        Command::new(program("slapadd", "slapd"))
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif),
        "slapadd",
    );
    let (port, tls_port) = (free_port(), free_port());
    let child = Command::new(program("slapd", "slapd"))
        .args(["-d", "0", "-f"])
        .arg(&conf)
        .arg("-h")
        .arg(format!(
            "ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("slapd");
    Slapd {
        server: Server {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            _dir: scratch,
        },
        tls: SocketAddr::from(([127, 0, 0, 1], tls_port)),
    }
}
