// SPDX-License-Identifier: MIT OR Apache-2.0
//! The line-protocol checks (smtp, smtps, pop, pops, imap, imaps, nntp,
//! ftp): their TOML keys, what is refused, how they are written back, and
//! how ldirectord's `service=` negotiate checks read into them.

use config::model::{CheckKind, FtpCheck, FtpFetch, Login, MailCheck, MailTls, Pattern, Receive};
use config::source::SourceFile;
use config::{cf, toml_file, validate, write, Config};

fn load(text: &str) -> Result<Config, Vec<String>> {
    let source = SourceFile::new("m.toml", text);
    let table = toml_file::read(&source).map_err(|d| strings(&d))?;
    validate::validate(&[(source, table)])
        .map(|(config, _)| config)
        .map_err(|d| strings(&d))
}

fn strings(d: &[config::Diagnostic]) -> Vec<String> {
    d.iter().map(ToString::to_string).collect()
}

/// The kind of the check of `check = { … }`.
fn kind(check: &str) -> Result<CheckKind, Vec<String>> {
    let text = format!("[[virtual]]\naddress = \"10.0.0.1:25\"\ncheck = {{ {check} }}\n");
    load(&text).map(|c| c.virtuals[0].check.kind.clone())
}

fn login(user: &str, password: &str) -> Option<Login> {
    Some(Login {
        user: user.to_string(),
        password: password.into(),
    })
}

#[test]
fn each_type_reads_with_its_settings() {
    let mail = |tls, login| MailCheck { tls, login };
    assert_eq!(
        kind(r#"type = "smtp""#),
        Ok(CheckKind::Smtp(mail(MailTls::Plain, None)))
    );
    assert_eq!(
        kind(r#"type = "submission", login = "check", password = "secret", starttls = true"#),
        Ok(CheckKind::Smtp(mail(
            MailTls::StartTls,
            login("check", "secret")
        )))
    );
    assert_eq!(
        kind(r#"type = "smtps", login = "check""#),
        Ok(CheckKind::Smtp(mail(MailTls::Implicit, login("check", ""))))
    );
    assert_eq!(
        kind(r#"type = "pop", starttls = false"#),
        Ok(CheckKind::Pop(mail(MailTls::Plain, None)))
    );
    assert_eq!(
        kind(r#"type = "pops""#),
        Ok(CheckKind::Pop(mail(MailTls::Implicit, None)))
    );
    assert_eq!(
        kind(r#"type = "imap", starttls = true, login = "a b", password = "p\"q""#),
        Ok(CheckKind::Imap(mail(
            MailTls::StartTls,
            login("a b", "p\"q")
        )))
    );
    assert_eq!(
        kind(r#"type = "imaps""#),
        Ok(CheckKind::Imap(mail(MailTls::Implicit, None)))
    );
    assert_eq!(
        kind(r#"type = "nntp", login = "news", password = "x""#),
        Ok(CheckKind::Nntp(login("news", "x")))
    );
    assert_eq!(
        kind(r#"type = "ftp""#),
        Ok(CheckKind::Ftp(FtpCheck::default()))
    );
    assert_eq!(
        kind(
            r#"type = "ftp", password = "me@example.org", request = "/welcome.msg", receive = "Welcome""#
        ),
        Ok(CheckKind::Ftp(FtpCheck {
            login: login("anonymous", "me@example.org"),
            fetch: Some(FtpFetch {
                request: "/welcome.msg".to_string(),
                receive: Some(Receive::Text("Welcome".to_string())),
            }),
        }))
    );
}

#[test]
fn wrong_settings_are_refused_with_their_key() {
    // Without the place: `m.toml:3:COL: `.
    let refused = |check: &str| -> Vec<String> {
        kind(check)
            .expect_err(check)
            .iter()
            .map(|e| e.splitn(4, ": ").skip(1).collect::<Vec<_>>().join(": "))
            .collect()
    };
    assert_eq!(
        refused(r#"type = "imaps", starttls = true"#),
        ["virtual[0].check.starttls: not with a TLS check type: it speaks TLS from the start"]
    );
    assert_eq!(
        refused(r#"type = "nntp", starttls = true"#),
        ["virtual[0].check.starttls: only for smtp, pop and imap checks"]
    );
    assert_eq!(
        refused(r#"type = "pop", password = "x""#),
        ["virtual[0].check.password: needs a login"]
    );
    assert_eq!(
        refused(r#"type = "imap", login = "a\r\nb""#),
        ["virtual[0].check.login: must not hold control characters (a line break would end the command)"]
    );
    assert_eq!(
        refused(r#"type = "imap", login = """#),
        ["virtual[0].check.login: must not be empty"]
    );
    assert_eq!(
        refused(r#"type = "ftp", receive = "x""#),
        ["virtual[0].check.receive: needs a request (the file to retrieve)"]
    );
    assert_eq!(
        refused(r#"type = "smtp", request = "/x""#),
        ["virtual[0].check.request: only for http, https, tcp, udp, dns, mysql, pgsql, ldap, ldaps and ftp checks"]
    );
    assert_eq!(
        refused(r#"type = "http", login = "x""#),
        ["virtual[0].check.login: only for sip and the checks that log in: mysql, pgsql, ldap(s), smtp(s), pop(s), imap(s), nntp, ftp and radius"]
    );
    assert_eq!(
        refused(r#"type = "http", starttls = true"#),
        ["virtual[0].check.starttls: only for smtp, pop and imap checks"]
    );
    assert_eq!(
        refused(r#"type = "ftp", request = "/x", receive = "a", receive_regex = "b""#),
        ["virtual[0].check.receive_regex: give receive (a substring) or receive_regex (a regular expression), not both"]
    );
    assert_eq!(
        refused(r#"type = "ftp", receive_regex = "b""#),
        ["virtual[0].check.receive_regex: needs a request (the file to retrieve)"]
    );
    assert_eq!(
        refused(r#"type = "smtp", starttls = "yes""#),
        ["virtual[0].check.starttls: expected true or false, found a string"]
    );
}

#[test]
fn written_back_they_read_the_same() {
    let text = r#"
[[virtual]]
address = "10.0.0.1:25"
check = { type = "submission", login = "check", password = "s\"cret", starttls = true }
[[virtual]]
address = "10.0.0.1:993"
check = { type = "imaps", login = "check" }
[[virtual]]
address = "10.0.0.1:995"
check = { type = "pops" }
[[virtual]]
address = "10.0.0.1:465"
check = { type = "smtps" }
[[virtual]]
address = "10.0.0.1:119"
check = { type = "nntp", login = "news", password = "x" }
[[virtual]]
address = "10.0.0.1:21"
check = { type = "ftp", request = "welcome.msg", receive = "Welcome" }
"#;
    let config = load(text).unwrap();
    let written = write::to_toml(&config, "test");
    assert!(
        written.contains(
            r#"check = { type = "smtp", interval = 5, timeout = 3, rise = 1, fall = 1, login = "check", password = "s\"cret", starttls = true }"#
        ),
        "{written}"
    );
    assert!(written.contains(r#"type = "imaps""#), "{written}");
    let again = load(&written).unwrap();
    let kinds = |c: &Config| -> Vec<CheckKind> {
        c.virtuals.iter().map(|v| v.check.kind.clone()).collect()
    };
    assert_eq!(kinds(&again), kinds(&config));
}

/// A `.cf` file read and validated: its checks' kinds and its warnings.
fn cf_read(text: &str) -> (Vec<CheckKind>, Vec<String>) {
    let source = SourceFile::new("ld.cf", text);
    let (table, warnings) = cf::read(&source).unwrap_or_else(|e| panic!("{:?}", strings(&e)));
    let (config, _) =
        validate::validate(&[(source, table)]).unwrap_or_else(|e| panic!("{:?}", strings(&e)));
    let kinds = config
        .virtuals
        .iter()
        .map(|v| v.check.kind.clone())
        .collect();
    (kinds, strings(&warnings))
}

#[test]
fn ldirectord_negotiate_checks_read_into_them() {
    let (kinds, warnings) = cf_read(
        "\
virtual=10.0.0.1:25
\treal=10.0.0.2:25 gate
\tservice=smtp
\tchecktype=negotiate
\tlogin=\"check\"
virtual=10.0.0.1:587
\treal=10.0.0.2:587 gate
virtual=10.0.0.1:110
\treal=10.0.0.2:110 gate
\tlogin=\"check\"
\tpasswd=\"secret\"
virtual=10.0.0.1:995
\treal=10.0.0.2:995 gate
\tservice=pops
\tpasswd=\"secret\"
virtual=10.0.0.1:143
\treal=10.0.0.2:143 gate
virtual=10.0.0.1:993
\treal=10.0.0.2:993 gate
\tlogin=\"check\"
\tpasswd=\"secret\"
virtual=10.0.0.1:119
\treal=10.0.0.2:119 gate
virtual=10.0.0.1:21
\treal=10.0.0.2:21 gate
\tservice=ftp
\trequest=\"welcome.msg\"
\treceive=\"Welcome\"
virtual=10.0.0.1:2121
\treal=10.0.0.2:2121 gate
\tservice=ftp
\tpasswd=\"ldirectord@localhost\"
\treceive=\"Welcome\"
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
\tlogin=\"check\"
",
    );
    let plain = MailCheck::default();
    let implicit = MailCheck {
        tls: MailTls::Implicit,
        login: None,
    };
    assert_eq!(
        kinds,
        [
            CheckKind::Smtp(plain.clone()),
            CheckKind::Smtp(plain.clone()),
            CheckKind::Pop(MailCheck {
                tls: MailTls::Plain,
                login: login("check", "secret"),
            }),
            CheckKind::Pop(implicit.clone()),
            CheckKind::Imap(plain.clone()),
            CheckKind::Imap(MailCheck {
                tls: MailTls::Implicit,
                login: login("check", "secret"),
            }),
            CheckKind::Nntp(None),
            CheckKind::Ftp(FtpCheck {
                login: None,
                fetch: Some(FtpFetch {
                    request: "/welcome.msg".to_string(),
                    receive: Some(Receive::Regex(Pattern::new("Welcome").unwrap())),
                }),
            }),
            CheckKind::Ftp(FtpCheck {
                login: login("anonymous", "ldirectord@localhost"),
                fetch: None,
            }),
            CheckKind::Http(config::model::HttpCheck {
                request: "/".to_string(),
                method: "GET".to_string(),
                ..Default::default()
            }),
        ]
    );
    assert_eq!(
        warnings,
        [
            "ld.cf:5:2: ignored: login (ldirectord's smtp check does not log in)",
            "ld.cf:15:2: ignored: passwd (ldirectord logs in only when login is set)",
            "ld.cf:33:11: receive: ignored: without a request ldirectord's ftp check retrieves \
             nothing to look in; ipvsctl checks the login only",
            "ld.cf:36:2: ignored: login (only ldirectord's service-specific negotiate checks use it)",
        ]
    );
    assert!(
        !warnings.iter().any(|w| w.contains("not supported")),
        "{warnings:?}"
    );
}

#[test]
fn a_fwmark_virtual_checks_the_port_of_its_service() {
    let text = "virtual=7\n\treal=10.0.0.2 gate\n\tservice=imaps\n";
    let source = SourceFile::new("ld.cf", text);
    let (table, _) = cf::read(&source).unwrap();
    let (config, _) = validate::validate(&[(source, table)]).unwrap();
    assert_eq!(config.virtuals[0].check.port, Some(993));
}

#[test]
fn the_mail_cluster_of_the_corpus_gets_its_mail_checks() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/cf-corpus/21-mailcluster-failurecount-fallbackcommand-sh.cf");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("note: no corpus at {}: skipped", path.display());
        return;
    };
    let (kinds, warnings) = cf_read(&text);
    let types: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            CheckKind::Smtp(_) => "smtp",
            CheckKind::Pop(m) if m.tls == MailTls::Implicit => "pops",
            CheckKind::Imap(m) if m.tls == MailTls::Implicit => "imaps",
            CheckKind::Http(_) => "http",
            CheckKind::Https(_) => "https",
            _ => "other",
        })
        .collect();
    assert!(types.contains(&"imaps") && types.contains(&"pops") && types.contains(&"smtp"));
    for service in ["imaps", "pops", "smtp"] {
        let downgraded = format!("negotiate check for service {service} is not supported");
        assert!(
            !warnings.iter().any(|w| w.contains(&downgraded)),
            "{warnings:?}"
        );
    }
}
