// SPDX-License-Identifier: MIT OR Apache-2.0
//! An HTTP(S) check's body and status forms: `receive` (a substring),
//! `receive_regex` (a regular expression; what ldirectord's `receive` is),
//! and `status` as one code or as codes and ranges. Read from TOML and
//! `.cf`, refused with file, line and key, and written back by `convert`.

use config::model::{CheckKind, Config, HttpCheck, Receive};
use config::source::SourceFile;
use config::{cf, toml_file, validate, write};

/// Reads a TOML or `.cf` text: its configuration, or every error as printed.
fn load(name: &str, text: &str) -> Result<Config, Vec<String>> {
    let source = SourceFile::new(name, text);
    let table = if name.ends_with(".cf") {
        cf::read(&source).map(|(t, _)| t)
    } else {
        toml_file::read(&source)
    }
    .map_err(|d| d.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    validate::validate(&[(source, table)])
        .map(|(config, _)| config)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect()
        })
}

fn toml_check(settings: &str) -> String {
    format!("[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = {{ type = \"http\", {settings} }}\n")
}

fn http(config: &Config) -> &HttpCheck {
    match &config.virtuals[0].check.kind {
        CheckKind::Http(h) | CheckKind::Https(h) => h,
        other => panic!("not an http check: {other:?}"),
    }
}

fn errors(settings: &str) -> Vec<String> {
    load("w.toml", &toml_check(settings)).expect_err("should be refused")
}

#[test]
fn receive_stays_a_substring_and_receive_regex_is_a_pattern() {
    let config = load("w.toml", &toml_check("receive = \"OK web[0-9]+\"")).unwrap();
    assert_eq!(http(&config).receive, Some(Receive::from("OK web[0-9]+")));

    let config = load("w.toml", &toml_check("receive_regex = \"OK web[0-9]+\"")).unwrap();
    let Some(Receive::Regex(pattern)) = &http(&config).receive else {
        panic!("{:?}", http(&config).receive)
    };
    assert_eq!(pattern.as_str(), "OK web[0-9]+");
    assert!(pattern.is_match(b"<p>OK web12</p>"));
    assert!(!pattern.is_match(b"OK web"));
}

#[test]
fn receive_and_receive_regex_are_one_or_the_other() {
    assert_eq!(
        errors("receive = \"OK\", receive_regex = \"O+K\""),
        [
            "w.toml:3:58: virtual[0].check.receive_regex: give receive (a substring) or \
          receive_regex (a regular expression), not both"
        ]
    );
}

#[test]
fn a_bad_regex_is_refused_with_its_place() {
    assert_eq!(
        errors("receive_regex = \"OK (web\""),
        [
            "w.toml:3:42: virtual[0].check.receive_regex: not a regular expression: \
          unclosed group"
        ]
    );
    // Perl's look-around, which the regex crate does not have.
    assert_eq!(
        errors("receive_regex = \"OK(?=web)\""),
        [
            "w.toml:3:42: virtual[0].check.receive_regex: not a regular expression: \
          look-around, including look-ahead and look-behind, is not supported"
        ]
    );
    assert_eq!(
        load(
            "w.toml",
            "[[virtual]]\naddress = \"10.0.0.1:80\"\ncheck = { type = \"connect\", receive_regex = \"x\" }\n"
        )
        .unwrap_err(),
        ["w.toml:3:45: virtual[0].check.receive_regex: only for http, https, tcp, udp, dns, ldap, ldaps and ftp checks"]
    );
}

#[test]
fn status_is_one_code_or_codes_and_ranges() {
    let one = load("w.toml", &toml_check("status = 200")).unwrap();
    let status = http(&one).status.clone().unwrap();
    assert_eq!(
        (status.single(), status.to_string()),
        (Some(200), "200".into())
    );

    let list = load("w.toml", &toml_check("status = \"200-299, 401\"")).unwrap();
    let status = http(&list).status.clone().unwrap();
    assert_eq!(status.to_string(), "200-299,401");
    for (code, wanted) in [
        (199, false),
        (200, true),
        (250, true),
        (299, true),
        (300, false),
    ] {
        assert_eq!(status.contains(code), wanted, "{code}");
    }
    assert!(status.contains(401) && !status.contains(400) && !status.contains(402));

    for (settings, message) in [
        ("status = 700", "700 is out of range 100..=599"),
        (
            "status = \"200-700\"",
            "700 is not an HTTP status (100-599)",
        ),
        ("status = \"299-200\"", "299-200 is an empty range"),
        (
            "status = \"2xx\"",
            "`2xx` is not a status code: write codes and ranges such as \"200-299,401\"",
        ),
        (
            "status = \"200,\"",
            "`` is not a status code: write codes and ranges such as \"200-299,401\"",
        ),
        (
            "status = \"\"",
            "empty: write codes and ranges such as \"200-299,401\"",
        ),
        (
            "status = [200]",
            "expected a status code or a string of codes and ranges such as \"200-299,401\", \
             found an array",
        ),
    ] {
        let got = errors(settings);
        assert_eq!(got.len(), 1, "{settings}: {got:?}");
        assert!(
            got[0].ends_with(&format!("virtual[0].check.status: {message}")),
            "{settings}: {got:?}"
        );
    }
}

#[test]
fn convert_writes_each_form_back() {
    for settings in [
        "receive = \"OK\", status = 200",
        "receive_regex = \"OK web[0-9]+\", status = \"200-299,401\"",
        "receive_regex = \"a\\\\.b\"",
    ] {
        let config = load("w.toml", &toml_check(settings)).unwrap();
        let text = write::to_toml(&config, "");
        let again = load("again.toml", &text).unwrap_or_else(|e| panic!("{text}\n{e:?}"));
        assert_eq!(http(&again), http(&config), "{text}");
    }
    let config = load(
        "w.toml",
        &toml_check("receive_regex = \"OK\", status = \"200-299\""),
    )
    .unwrap();
    let text = write::to_toml(&config, "");
    assert!(text.contains("receive_regex = \"OK\""), "{text}");
    assert!(text.contains("status = \"200-299\""), "{text}");
}

const CF: &str = "\
virtual=10.0.0.1:80
\treal=10.0.0.2:80 gate
\tservice=http
\treceive=\"OK web[0-9]+\"
";

#[test]
fn ldirectord_receive_is_a_regex() {
    let config = load("ld.cf", CF).unwrap();
    let Some(Receive::Regex(pattern)) = &http(&config).receive else {
        panic!("{:?}", http(&config).receive)
    };
    assert_eq!(pattern.as_str(), "OK web[0-9]+");
    assert!(write::to_toml(&config, "").contains("receive_regex = \"OK web[0-9]+\""));

    // A Perl pattern the regex crate cannot take is refused at its line.
    let perl = CF.replace("OK web[0-9]+", "OK (?!down)");
    assert_eq!(
        load("ld.cf", &perl).unwrap_err(),
        [
            "ld.cf:4:11: virtual[0].check.receive_regex: not a regular expression: \
          look-around, including look-ahead and look-behind, is not supported"
        ]
    );
}
