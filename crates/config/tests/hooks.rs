// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hooks: `[[hook]]`, `[[virtual.hook]]` and `hooks_max_running` in TOML;
//! ldirectord's `fallbackcommand`, `callback` and `emailalert*` read from
//! `.cf` as hooks with ldirectord's arguments; both written back by
//! `ipvsctl convert`.

use std::time::Duration;

use config::model::{Hook, HookEvent};
use config::source::SourceFile;
use config::{cf, toml_file, validate, write, Config, Diagnostic};

fn diagnostics(files: &[(&str, &str)]) -> Result<(Config, Vec<String>), Vec<String>> {
    let mut documents = Vec::new();
    let mut warnings = Vec::new();
    for (name, text) in files {
        let source = SourceFile::new(*name, *text);
        let read = if name.ends_with(".cf") {
            cf::read(&source)
        } else {
            toml_file::read(&source).map(|t| (t, Vec::new()))
        };
        let (table, w) = read.map_err(|d| strings(&d))?;
        warnings.extend(strings(&w));
        documents.push((source, table));
    }
    let (config, w) = validate::validate(&documents).map_err(|d| {
        let errors: Vec<Diagnostic> = d.into_iter().filter(Diagnostic::is_error).collect();
        strings(&errors)
    })?;
    warnings.extend(strings(&w));
    Ok((config, warnings))
}

fn strings(d: &[Diagnostic]) -> Vec<String> {
    d.iter().map(ToString::to_string).collect()
}

fn load(name: &str, text: &str) -> (Config, Vec<String>) {
    diagnostics(&[(name, text)]).expect("accepted")
}

fn errors(name: &str, text: &str) -> Vec<String> {
    diagnostics(&[(name, text)]).expect_err("refused")
}

fn commands(hooks: &[Hook]) -> Vec<(Vec<&str>, Vec<&str>)> {
    hooks
        .iter()
        .map(|h| {
            let events = h.events.iter().map(|e| e.name()).collect();
            let command = h.command.iter().map(String::as_str).collect();
            (events, command)
        })
        .collect()
}

const VIRTUAL: &str = r#"
[[virtual]]
address = "10.0.0.1:80"

  [[virtual.real]]
  address = "10.0.0.11:80"
"#;

#[test]
fn hooks_in_toml() {
    let text = format!(
        r#"
[defaults]
hooks_max_running = 2

[[hook]]
events = "*"
command = ["/bin/sh", "-c", "exit 0"]

[[hook]]
events = ["real-down", "fallback-in", "real-down"]
command = ["/bin/true", "{{event}}"]
timeout = 2.5
{VIRTUAL}
  [[virtual.hook]]
  events = ["*", "real-up"]
  command = ["/bin/true"]
"#
    );
    let (config, warnings) = load("www.toml", &text);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(config.hooks_max_running, 2);
    assert_eq!(config.hooks.len(), 2);
    assert!(config.hooks[0].events.is_empty(), "\"*\" is every event");
    assert!(config.hooks[0].runs_on(HookEvent::ReloadRefused));
    assert_eq!(config.hooks[0].timeout, Duration::from_secs(30));
    assert_eq!(
        config.hooks[1].events,
        [HookEvent::RealDown, HookEvent::FallbackIn]
    );
    assert!(!config.hooks[1].runs_on(HookEvent::RealUp));
    assert_eq!(config.hooks[1].command, ["/bin/true", "{event}"]);
    assert_eq!(config.hooks[1].timeout, Duration::from_millis(2500));
    assert_eq!(config.hooks[1].origin.location.line, 9);
    assert!(config.virtuals[0].hooks[0].events.is_empty());
    // Without hooks: none, and the default bound.
    let (plain, _) = load("www.toml", VIRTUAL);
    assert!(plain.hooks.is_empty() && plain.virtuals[0].hooks.is_empty());
    assert_eq!(plain.hooks_max_running, 4);
}

#[test]
fn bad_hooks_name_file_line_and_key() {
    let text = r#"
[defaults]
hooks_max_running = 0

[[hook]]
events = ["real-down", "realdown"]
command = ["true", "x"]
timeout = 0

[[hook]]
command = []

[[hook]]
events = []
command = "/bin/true x"
"#;
    assert_eq!(
        errors("h.toml", text),
        [
            "h.toml:3:21: defaults.hooks_max_running: 0 is out of range 1..=256",
            "h.toml:6:24: hook[0].events: unknown event `realdown` (real-up, real-down, real-drained, real-disabled, real-enabled, real-weight, fallback-in, fallback-out, reload-applied, reload-refused, announced or withdrawn)",
            "h.toml:7:11: hook[0].command: the program must be an absolute path (it runs without a shell)",
            "h.toml:8:11: hook[0].timeout: must be more than 0 and at most 86400 seconds, found 0",
            "h.toml:10:1: hook[1].events: missing: \"*\" or a list of real-up, real-down, real-drained, real-disabled, real-enabled, real-weight, fallback-in, fallback-out, reload-applied, reload-refused, announced, withdrawn",
            "h.toml:11:11: hook[1].command: empty: no program",
            "h.toml:14:10: hook[2].events: expected \"*\" or a non-empty array of event names, found an array",
            "h.toml:15:11: hook[2].command: expected an array of strings: [\"/path/prog\", \"{event}\"] (it runs without a shell)",
        ]
    );
}

#[test]
fn a_program_that_cannot_run_here_is_a_warning() {
    let dir = std::env::temp_dir().join(format!("ipvsctl-hook-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    let text = format!(
        "[[hook]]\nevents = \"*\"\ncommand = [\"/nonexistent/hook\"]\n\n[[hook]]\nevents = \"*\"\ncommand = [\"{}\"]\n\n[[hook]]\nevents = \"*\"\ncommand = [\"/\"]\n",
        plain.display()
    );
    let (config, warnings) = load("w.toml", &text);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(config.hooks.len(), 3);
    assert_eq!(
        warnings,
        [
            "w.toml:3:11: hook[0].command: /nonexistent/hook does not exist here: the hook fails when it runs".to_string(),
            format!("w.toml:7:11: hook[1].command: {} is not executable here: the hook fails when it runs", plain.display()),
            "w.toml:11:11: hook[2].command: / is not a file here: the hook fails when it runs".to_string(),
        ]
    );
}

#[test]
fn files_must_agree_on_hooks_max_running_and_their_hooks_add_up() {
    let hook = "[[hook]]\nevents = \"*\"\ncommand = [\"/bin/true\"]\n";
    let a = format!("[defaults]\nhooks_max_running = 3\n{hook}");
    let b = format!("[defaults]\nhooks_max_running = 5\n{hook}");
    assert_eq!(
        diagnostics(&[("a.toml", &a), ("b.toml", &b)]).unwrap_err(),
        ["b.toml:2:21: defaults.hooks_max_running: differs from the hooks_max_running at a.toml:2:21"]
    );
    let (config, _) = diagnostics(&[("a.toml", &a), ("c.toml", hook)]).unwrap();
    assert_eq!(config.hooks.len(), 2);
    assert_eq!(config.hooks_max_running, 3);
}

const MAIL: &str = "/usr/lib/ipvsctl/hooks/mail-alert";
const MAIL_EVENTS: &[&str] = &[
    "real-up",
    "real-down",
    "real-drained",
    "real-disabled",
    "real-enabled",
    "real-weight",
    "fallback-in",
    "fallback-out",
];

#[test]
fn a_global_fallbackcommand_and_callback_are_top_level_hooks() {
    let (config, warnings) = load(
        "ld.cf",
        "\
fallbackcommand=\"/usr/local/sbin/sorry --loud\"
callback=\"/usr/local/bin/sync_ldirectord\"
virtual=10.0.0.1:80
\treal=10.0.0.11:80 gate
virtual=10.0.0.2:53
\treal=10.0.0.21:53 gate
\tprotocol=udp
",
    );
    assert_eq!(
        commands(&config.hooks),
        [
            (
                vec!["reload-applied", "reload-refused"],
                vec!["/usr/local/bin/sync_ldirectord", "{config}"]
            ),
            (
                vec!["fallback-in"],
                vec![
                    "/usr/local/sbin/sorry",
                    "--loud",
                    "start",
                    "{virtual}",
                    "{protocol}"
                ]
            ),
            (
                vec!["fallback-out"],
                vec![
                    "/usr/local/sbin/sorry",
                    "--loud",
                    "stop",
                    "{virtual}",
                    "{protocol}"
                ]
            ),
        ]
    );
    assert!(config.virtuals.iter().all(|v| v.hooks.is_empty()));
    // Once per program, at the directive (not once per hook).
    assert_eq!(
        warnings,
        [
            "ld.cf:1:18: hook[1].command: /usr/local/sbin/sorry does not exist here: the hook fails when it runs",
            "ld.cf:2:11: hook[0].command: /usr/local/bin/sync_ldirectord does not exist here: the hook fails when it runs",
        ]
    );
}

#[test]
fn a_virtuals_own_fallbackcommand_replaces_the_global_one_for_it() {
    let (config, _) = load(
        "ld.cf",
        "\
fallbackcommand=/bin/global
virtual=10.0.0.1:80
\treal=10.0.0.11:80 gate
\tfallbackcommand=\"/bin/own\"
virtual=10.0.0.2:80
\treal=10.0.0.21:80 gate
",
    );
    assert!(config.hooks.is_empty());
    let programs = |v: usize| -> Vec<(Vec<&str>, String)> {
        commands(&config.virtuals[v].hooks)
            .into_iter()
            .map(|(e, c)| (e, c.join(" ")))
            .collect()
    };
    assert_eq!(
        programs(0),
        [
            (
                vec!["fallback-in"],
                "/bin/own start {virtual} {protocol}".to_string()
            ),
            (
                vec!["fallback-out"],
                "/bin/own stop {virtual} {protocol}".to_string()
            ),
        ]
    );
    assert_eq!(
        programs(1),
        [
            (
                vec!["fallback-in"],
                "/bin/global start {virtual} {protocol}".to_string()
            ),
            (
                vec!["fallback-out"],
                "/bin/global stop {virtual} {protocol}".to_string()
            ),
        ]
    );
}

#[test]
fn emailalert_is_the_mail_script_with_its_settings() {
    let (config, warnings) = load(
        "ld.cf",
        "\
emailalert=\"ops@example.com, oncall@example.com\"
emailalertfrom=ldirector@example.com
emailalertstatus=running, starting
emailalertfreq=600
virtual=10.0.0.1:80
\treal=10.0.0.11:80 gate
",
    );
    assert_eq!(
        commands(&config.hooks),
        [(
            MAIL_EVENTS.to_vec(),
            vec![
                MAIL,
                "--to",
                "ops@example.com, oncall@example.com",
                "--from",
                "ldirector@example.com",
                "--status",
                "starting,running"
            ]
        )]
    );
    assert!(
        warnings.contains(&"ld.cf:4:1: ignored: emailalertfreq (ipvsctl mails each change once; it does not repeat alerts while a real stays down)".to_string()),
        "{warnings:?}"
    );
    // A virtual's own address; another's `none`.
    let (config, _) = load(
        "ld.cf",
        "\
emailalert=ops@example.com
virtual=10.0.0.1:80
\treal=10.0.0.11:80 gate
\temailalert=web@example.com
virtual=10.0.0.2:80
\treal=10.0.0.21:80 gate
\temailalertstatus=none
virtual=10.0.0.3:80
\treal=10.0.0.31:80 gate
",
    );
    assert!(config.hooks.is_empty());
    let to = |v: usize| -> Vec<String> {
        config.virtuals[v]
            .hooks
            .iter()
            .map(|h| h.command[2].clone())
            .collect()
    };
    assert_eq!(to(0), ["web@example.com"]);
    assert_eq!(to(1), Vec::<String>::new());
    assert_eq!(to(2), ["ops@example.com"]);
}

#[test]
fn bad_hook_directives_are_refused_or_warned_about_at_their_place() {
    assert_eq!(
        errors("ld.cf", "emailalert=a@b\nemailalertstatus=all,sometimes\nvirtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n"),
        ["ld.cf:2:18: emailalertstatus: invalid email alert status `sometimes` (all, none, starting, running, stopping, reloading)"]
    );
    assert_eq!(
        errors(
            "ld.cf",
            "emailalertstatus=none,running\nvirtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n"
        ),
        ["ld.cf:1:18: emailalertstatus: `running` together with `none`"]
    );
    assert_eq!(
        errors("ld.cf", "fallbackcommand=sorry.sh\nvirtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n"),
        ["ld.cf:1:17: hook[0].command: the program must be an absolute path (it runs without a shell)"]
    );
    // An empty one runs nothing (ldirectord would hand "" to the shell).
    let (config, warnings) = load(
        "ld.cf",
        "fallbackcommand=\"\"\nvirtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n",
    );
    assert!(config.hooks.is_empty());
    assert_eq!(
        warnings,
        ["ld.cf:1:17: fallbackcommand: empty: no command is run (ldirectord would run an empty shell command)"]
    );
    let (_, warnings) = load(
        "ld.cf",
        "fallbackcommand=/bin/true > /tmp/x\nvirtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n",
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("is run without a shell")),
        "{warnings:?}"
    );
}

#[test]
fn convert_writes_the_hooks_as_toml_that_reads_back_the_same() {
    let (config, _) = load(
        "ld.cf",
        "\
callback=/bin/true
emailalert=ops@example.com
virtual=10.0.0.1:80
\treal=10.0.0.11:80 gate
\tfallbackcommand=/bin/true
virtual=10.0.0.2:80
\treal=10.0.0.21:80 gate
",
    );
    let written = write::to_toml(&config, "converted");
    assert!(
        written.contains(
            "\n[[hook]]\nevents = [\"reload-applied\", \"reload-refused\"]\ncommand = [\"/bin/true\", \"{config}\"]\ntimeout = 30\n"
        ),
        "{written}"
    );
    assert!(
        written.contains(
            "\n  [[virtual.hook]]\n  events = [\"fallback-in\"]\n  command = [\"/bin/true\", \"start\", \"{virtual}\", \"{protocol}\"]\n  timeout = 30\n"
        ),
        "{written}"
    );
    let (again, _) = load("converted.toml", &written);
    assert_eq!(commands(&again.hooks), commands(&config.hooks));
    for (a, b) in again.virtuals.iter().zip(&config.virtuals) {
        assert_eq!(commands(&a.hooks), commands(&b.hooks));
    }
    let mut max = config.clone();
    max.hooks_max_running = 9;
    let written = write::to_toml(&max, "");
    assert!(written.contains("\nhooks_max_running = 9\n"), "{written}");
    assert_eq!(load("m.toml", &written).0.hooks_max_running, 9);
}
