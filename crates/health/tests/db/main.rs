// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `mysql` and `pgsql` checks against MariaDB and PostgreSQL from
//! Debian's packages, and against servers that are not databases. Each
//! database server is started once, for all the cases of its kind.

#[path = "../common/mod.rs"]
mod common;
mod servers;

use std::net::SocketAddr;

use common::*;
use health::{CheckKind, CheckResult};
use tokio::io::AsyncWriteExt;

use config::model::{LdapCheck, Pattern, Receive, SqlCheck};

fn sql(login: &str, password: &str, database: Option<&str>, request: &str) -> SqlCheck {
    SqlCheck {
        login: login.to_string(),
        password: password.into(),
        database: database.map(str::to_string),
        request: request.to_string(),
    }
}

/// Sends `bytes` on accepting, then holds the connection.
async fn sends(bytes: &'static [u8]) -> SocketAddr {
    serve(move |mut s| async move {
        let _ = s.write_all(bytes).await;
        std::future::pending::<()>().await;
    })
    .await
}

/// Sends small PostgreSQL notices forever.
async fn endless_notices() -> SocketAddr {
    serve(|mut s| async move {
        let notice = b"N\x00\x00\x00\x0fMsay more\x00\x00";
        while s.write_all(notice).await.is_ok() {}
    })
    .await
}

#[tokio::test]
async fn mysql_against_mariadb() {
    let server = servers::mariadb();
    let addr = server.addr;
    let good = sql("check", "secret", Some("app"), "SELECT n FROM up");
    wait_until_up(addr, &CheckKind::Mysql(good.clone())).await;
    let my = |q: SqlCheck| check_at(addr, CheckKind::Mysql(q));

    assert_up(&my(good.clone()).await, "MySQL: query returned a row in ");
    assert_up(
        &my(sql("check", "secret", None, "SELECT n FROM app.up")).await,
        "MySQL: query returned a row",
    );
    assert_failed(
        &my(sql("check", "wrong", Some("app"), "SELECT 1")).await,
        "MySQL: Access denied for user 'check'@'127.0.0.1' (using password: YES)",
    );
    assert_failed(
        &my(sql("nobody", "", Some("app"), "SELECT 1")).await,
        "MySQL: Access denied for user 'nobody'@'127.0.0.1' (using password: NO)",
    );
    assert_failed(
        &my(sql("check", "secret", Some("nope"), "SELECT 1")).await,
        "MySQL: Access denied for user 'check'@'127.0.0.1' to database 'nope'",
    );
    assert_failed(
        &my(sql("check", "secret", Some("app"), "SELECT n FROM empty")).await,
        "MySQL: query returned no rows",
    );
    assert_failed(
        &my(sql("check", "secret", Some("app"), "SELEC 1")).await,
        "MySQL: You have an error in your SQL syntax; check the manual that corresponds to \
         your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1",
    );
    assert_failed(
        &my(sql("check", "secret", Some("app"), "SELECT n FROM missing")).await,
        "MySQL: Table 'app.missing' doesn't exist",
    );
    assert_failed(
        &my(sql("check", "secret", Some("app"), "DO 1")).await,
        "MySQL: query returned no rows (no result set)",
    );
    let pg_port = CheckKind::Pgsql(sql("check", "secret", Some("app"), "SELECT 1"));
    let r = check_at(addr, pg_port).await;
    assert!(
        !r.ok && r.detail.starts_with("PostgreSQL: "),
        "a pgsql check of MariaDB: {r:?}"
    );
    drop(server);
    assert_failed(&my(good.clone()).await, "connect refused");

    // Not MariaDB.
    assert_failed(&my_at(hanging().await, &good).await, "timed out after 1s");
    assert_failed(
        &my_at(
            sends(b"\x16\x00\x00\x00SSH-2.0-OpenSSH_9.6\r\n\x00").await,
            &good,
        )
        .await,
        "MySQL: not a MySQL server (its greeting starts \"SSH-2.0-OpenSSH_\")",
    );
    assert_failed(
        &my_at(sends(b"\xff\xff\xff\x00endless").await, &good).await,
        "MySQL: more than 1 MiB without an answer",
    );
    assert_failed(
        &my_at(sends(b"\x05\x00\x00\x00\x0a5.5").await, &good).await,
        "timed out after 1s",
    );
}

async fn my_at(addr: SocketAddr, q: &SqlCheck) -> CheckResult {
    check_at(addr, CheckKind::Mysql(q.clone())).await
}

async fn pg_at(addr: SocketAddr, q: &SqlCheck) -> CheckResult {
    check_at(addr, CheckKind::Pgsql(q.clone())).await
}

#[tokio::test]
async fn pgsql_against_postgresql() {
    let server = servers::postgres();
    let addr = server.addr;
    let good = sql("check", "secret", Some("app"), "SELECT n FROM up");
    wait_until_up(addr, &CheckKind::Pgsql(good.clone())).await;
    let pg = |q: SqlCheck| check_at(addr, CheckKind::Pgsql(q));

    assert_up(
        &pg(good.clone()).await,
        "PostgreSQL: query returned a row in ",
    );
    assert_up(
        &pg(sql("old", "md5secret", Some("app"), "SELECT n FROM up")).await,
        "PostgreSQL: query returned a row",
    );
    assert_up(
        &pg(sql("plain", "clear", Some("app"), "SELECT n FROM up")).await,
        "PostgreSQL: query returned a row",
    );
    assert_failed(
        &pg(sql("check", "wrong", Some("app"), "SELECT 1")).await,
        "PostgreSQL: password authentication failed for user \"check\"",
    );
    assert_failed(
        &pg(sql("old", "wrong", Some("app"), "SELECT 1")).await,
        "PostgreSQL: password authentication failed for user \"old\"",
    );
    assert_failed(
        &pg(sql("check", "secret", Some("nope"), "SELECT 1")).await,
        "PostgreSQL: database \"nope\" does not exist",
    );
    assert_failed(
        &pg(sql("check", "secret", None, "SELECT 1")).await,
        "PostgreSQL: database \"check\" does not exist",
    );
    assert_failed(
        &pg(sql("check", "secret", Some("app"), "SELECT n FROM empty")).await,
        "PostgreSQL: query returned no rows",
    );
    assert_failed(
        &pg(sql("check", "secret", Some("app"), "SELEC 1")).await,
        "PostgreSQL: syntax error at or near \"SELEC\"",
    );
    assert_failed(
        &pg(sql("check", "secret", Some("app"), "SELECT n FROM missing")).await,
        "PostgreSQL: relation \"missing\" does not exist",
    );
    drop(server);
    assert_failed(&pg(good.clone()).await, "connect refused");

    // Not PostgreSQL.
    assert_failed(&pg_at(hanging().await, &good).await, "timed out after 1s");
    assert_failed(
        &pg_at(sends(b"SSH-2.0-OpenSSH_9.6\r\n").await, &good).await,
        "PostgreSQL: not a PostgreSQL server (it sent \"SSH-2\")",
    );
    assert_failed(
        &pg_at(endless_notices().await, &good).await,
        "PostgreSQL: more than 1 MiB without an answer",
    );
}

fn ldap(login: Option<(&str, &str)>, request: &str, receive: Option<&str>) -> LdapCheck {
    LdapCheck {
        login: login.map(|(dn, _)| dn.to_string()),
        password: login.map(|(_, p)| p).unwrap_or_default().into(),
        request: request.to_string(),
        receive: receive.map(Receive::from),
    }
}

/// Answers the bind with success, then sends search references forever.
async fn endless_references() -> SocketAddr {
    serve(|mut s| async move {
        let mut request = [0u8; 64];
        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut request).await;
        let bound = b"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00";
        if s.write_all(bound).await.is_err() {
            return;
        }
        let reference = b"\x30\x0d\x02\x01\x02\x73\x08\x04\x06ldap:/";
        while s.write_all(reference).await.is_ok() {}
    })
    .await
}

#[tokio::test]
async fn ldap_against_slapd() {
    let slapd = servers::slapd();
    let (addr, tls) = (slapd.server.addr, slapd.tls);
    let base = "dc=example,dc=com";
    let user = Some(("cn=check,dc=example,dc=com", "secret"));
    let good = ldap(user, base, Some("dc=example"));
    wait_until_up(addr, &CheckKind::Ldap(good.clone())).await;
    let plain = |l: LdapCheck| check_at(addr, CheckKind::Ldap(l));

    assert_up(
        &plain(good.clone()).await,
        "LDAP: found \"dc=example,dc=com\" in ",
    );
    assert_up(&plain(ldap(None, "", None)).await, "LDAP: found \"\" in ");
    assert_up(
        &plain(ldap(None, base, None)).await,
        "LDAP: found \"dc=example,dc=com\"",
    );
    assert_up(
        &check_at(tls, CheckKind::Ldaps(good.clone())).await,
        "LDAPS: found \"dc=example,dc=com\" in ",
    );
    assert_failed(
        &plain(ldap(
            Some(("cn=check,dc=example,dc=com", "wrong")),
            base,
            None,
        ))
        .await,
        "LDAP: bind as \"cn=check,dc=example,dc=com\" failed: invalidCredentials (49)",
    );
    assert_failed(
        &plain(ldap(user, "ou=nope,dc=example,dc=com", None)).await,
        "LDAP: search of \"ou=nope,dc=example,dc=com\" failed: noSuchObject (32)",
    );
    assert_failed(
        &plain(ldap(user, base, Some("dc=other"))).await,
        "LDAP: entry \"dc=example,dc=com\" lacks \"dc=other\"",
    );
    let mut regex = ldap(user, base, None);
    regex.receive = Some(Receive::Regex(Pattern::new("^dc=ex[a-z]+,").unwrap()));
    assert_up(&plain(regex.clone()).await, "LDAP: found");
    regex.receive = Some(Receive::Regex(Pattern::new("^cn=").unwrap()));
    assert_failed(
        &plain(regex).await,
        "LDAP: entry \"dc=example,dc=com\" does not match \"^cn=\"",
    );
    assert_failed(
        &plain(ldap(user, "not a dn", None)).await,
        "LDAP: search of \"not a dn\" failed: invalidDNSyntax (34): invalid DN",
    );
    let r = check_at(addr, CheckKind::Ldaps(good.clone())).await;
    assert!(
        !r.ok && r.detail.starts_with("TLS handshake failed"),
        "ldaps to the plain port: {r:?}"
    );
    drop(slapd);
    assert_failed(&plain(good.clone()).await, "connect refused");

    // Not slapd.
    assert_failed(
        &check_at(hanging().await, CheckKind::Ldap(good.clone())).await,
        "timed out after 1s",
    );
    assert_failed(
        &check_at(hanging().await, CheckKind::Ldaps(good.clone())).await,
        "timed out after 1s",
    );
    assert_failed(
        &check_at(
            sends(b"SSH-2.0-OpenSSH_9.6\r\n").await,
            CheckKind::Ldap(good.clone()),
        )
        .await,
        "LDAP: not an LDAP server (it sent \"SS\")",
    );
    assert_failed(
        &check_at(endless_references().await, CheckKind::Ldap(good.clone())).await,
        "LDAP: more than 1 MiB without an answer",
    );
}

/// CPU per check of each kind against its real server, beside a connect
/// check of the same port (a measurement, not a test):
/// `cargo test --release -p health --test db -- --ignored --nocapture cpu`.
#[tokio::test(flavor = "current_thread")]
#[ignore]
async fn cpu_per_check() {
    let (maria, postgres, slapd) = (servers::mariadb(), servers::postgres(), servers::slapd());
    let good = sql("check", "secret", Some("app"), "SELECT n FROM up");
    let directory = ldap(
        Some(("cn=check,dc=example,dc=com", "secret")),
        "dc=example,dc=com",
        Some("dc=example"),
    );
    let cases = [
        (
            "mysql (MariaDB)",
            maria.addr,
            CheckKind::Mysql(good.clone()),
        ),
        ("pgsql (PostgreSQL)", postgres.addr, CheckKind::Pgsql(good)),
        (
            "ldap (slapd)",
            slapd.server.addr,
            CheckKind::Ldap(directory.clone()),
        ),
        ("ldaps (slapd)", slapd.tls, CheckKind::Ldaps(directory)),
    ];
    const N: u32 = 100;
    for (name, addr, kind) in cases {
        wait_until_up(addr, &kind).await;
        for (label, kind) in [("connect", CheckKind::Connect), (name, kind)] {
            let (cpu0, wall0) = (cpu(), std::time::Instant::now());
            let mut failed = 0;
            for _ in 0..N {
                if !check_at(addr, kind.clone()).await.ok {
                    failed += 1;
                }
            }
            let (spent, wall) = (cpu() - cpu0, wall0.elapsed());
            eprintln!(
                "{label:20} {:>6} µs CPU per check, {:>6} µs wall, {failed} failed",
                spent.as_micros() / u128::from(N),
                wall.as_micros() / u128::from(N)
            );
        }
    }
}
