// SPDX-License-Identifier: MIT OR Apache-2.0
//! `dist/hooks/mail-alert`, run by the hook runner as the daemon runs it,
//! with a stand-in sendmail that keeps what it was given.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ipvs::ServiceKey;
use ipvsctl::daemon::events::{DaemonState, Event, Fired};
use ipvsctl::hooks::{command, environment};

fn script() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../dist/hooks/mail-alert").to_string()
}

struct Mailbox(PathBuf);

impl Mailbox {
    /// A folder with a sendmail that writes its arguments and its input.
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ipvsctl-mail-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sendmail = dir.join("sendmail");
        std::fs::write(
            &sendmail,
            format!(
                "#!/bin/sh\necho \"args: $*\" > {mail}\ncat >> {mail}\n",
                mail = dir.join("mail").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }

    fn mail(&self) -> Option<String> {
        std::fs::read_to_string(self.0.join("mail")).ok()
    }

    async fn alert(&self, state: DaemonState, args: &[&str]) -> command::Ran {
        let fired = Fired {
            event: Event::RealDown {
                service: ServiceKey::tcp("192.168.0.3:80".parse().unwrap()),
                real: "192.168.0.4:80".parse().unwrap(),
                reason: "connect: connection refused".to_string(),
            },
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            state,
            virtual_name: Some("www".to_string()),
            config: "/etc/ipvsctl/www.toml".into(),
            hooks: Vec::new(),
        };
        let mut env = environment::environment(&fired);
        env.push(("SENDMAIL", self.0.join("sendmail").display().to_string()));
        let mut argv = vec![script()];
        argv.extend(args.iter().map(ToString::to_string));
        // SENDMAIL is not an IPVSCTL_ variable: the runner passes it as is.
        command::run(&argv, &env, Duration::from_secs(60)).await
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_real_down_is_mailed_as_ldirectord_did() {
    let mailbox = Mailbox::new("down");
    let ran = mailbox
        .alert(
            DaemonState::Running,
            &[
                "--to",
                "ops@example.com, oncall@example.com",
                "--from",
                "lvs@example.com",
            ],
        )
        .await;
    assert_eq!(ran.result, Ok(()), "{ran:?}");
    let mail = mailbox.mail().expect("a mail");
    let lines: Vec<&str> = mail.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "args: -t -oi",
            "To: ops@example.com, oncall@example.com",
            "From: lvs@example.com",
            "Subject: [www] Deleted real server: 192.168.0.4:80 (tcp 192.168.0.3:80)",
            "",
        ]
    );
    assert!(lines[5].starts_with("ipvsctl host: "), "{mail}");
    assert_eq!(
        lines[6..],
        [
            "Log-Message: [www] Deleted real server: 192.168.0.4:80 (tcp 192.168.0.3:80)",
            "Daemon-Status: running",
            "Event: real-down",
            "Time: Tue Nov 14 22:13:20 UTC 2023",
            "Reason: connect: connection refused",
        ]
    );
}

#[tokio::test]
async fn emailalertstatus_filters_on_the_daemon_state() {
    let mailbox = Mailbox::new("status");
    let ran = mailbox
        .alert(
            DaemonState::Running,
            &["--to", "ops@example.com", "--status", "starting,reloading"],
        )
        .await;
    assert_eq!(ran.result, Ok(()));
    assert_eq!(mailbox.mail(), None, "mailed while running");
    let ran = mailbox
        .alert(
            DaemonState::Starting,
            &["--to", "ops@example.com", "--status", "starting,reloading"],
        )
        .await;
    assert_eq!(ran.result, Ok(()));
    assert!(mailbox
        .mail()
        .is_some_and(|m| m.contains("Daemon-Status: starting")));
}

#[tokio::test]
async fn without_an_address_it_fails_and_says_why() {
    let mailbox = Mailbox::new("no-to");
    let ran = mailbox.alert(DaemonState::Running, &[]).await;
    assert_eq!(ran.result, Err("exit status 2".to_string()));
    assert_eq!(ran.stderr, b"mail-alert: --to ADDRESSES is missing\n");
    assert_eq!(mailbox.mail(), None);
}
