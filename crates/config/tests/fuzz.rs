// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property test of the two readers of configuration files (issue 13,
//! section 6): mutants of the sample files (`fuzzing`) through the TOML
//! reader and the ldirectord `.cf` reader, and what they read through the
//! validation, as `ipvsctl validate` does. Any text gives a configuration
//! or diagnostics: no panic, no unbounded allocation.

use config::source::SourceFile;
use config::{cf, keepalived, toml_file, validate};

#[global_allocator]
static ALLOCATOR: fuzzing::Counting = fuzzing::Counting;

const TOML_SEEDS: &[&[u8]] = &[
    include_bytes!("../../../dist/examples/www.toml"),
    br#"
[defaults]
check_interval = 5
check = { type = "http", request = "/alive", receive_regex = "^O(K|k)$", status = "200-299" }

[[virtual]]
name = "www"
address = "[2001:db8::1]:443"
scheduler = "wrr"
persistent = 300
fallback = "127.0.0.1:80"
hook = [{ on = ["down"], run = ["/bin/true", "{real}"] }]

  [[virtual.real]]
  address = "10.0.0.11"
  weight = 3
  forward = "masq"

[[virtual]]
fwmark = 7
check = { type = "dns", request = "www.example.com", receive = "192.0.2.10" }
  [[virtual.real]]
  address = "10.0.0.12:53"

[sync]
state = "both"
interface = "eth0"
"#,
];

const CF_SEEDS: &[&[u8]] = &[
    include_bytes!("../../../dist/examples/www.cf"),
    b"checktimeout=3\ncheckinterval=1\nautoreload=yes\nquiescent=no\n\nvirtual=192.168.0.3:80\n\treal=192.168.0.4:80 gate 5\n\treal=192.168.0.5:80 masq\n\tfallback=127.0.0.1:80 gate\n\tservice=http\n\trequest=\"alive.html\"\n\treceive=\"OK\"\n\tscheduler=wrr\n\tpersistent=600\n\tnetmask=255.255.255.0\n\tprotocol=tcp\n\tchecktype=negotiate\n\nvirtual=5\n\treal=10.0.0.1->10.0.0.3:25 gate\n\tservice=smtp\n\tchecktype=connect\n",
];

const KEEPALIVED_SEEDS: &[&[u8]] = &[
    include_bytes!("data/keepalived/checks.conf"),
    include_bytes!("data/keepalived/groups.conf"),
    include_bytes!("data/keepalived/conditional.conf"),
];

fn read_and_validate(name: &str, bytes: &[u8]) {
    let source = SourceFile::new(name, String::from_utf8_lossy(bytes).into_owned());
    let table = if name.ends_with(".cf") {
        cf::read(&source).map(|(table, _)| table)
    } else {
        toml_file::read(&source)
    };
    if let Ok(table) = table {
        let _ = validate::validate(&[(source, table)]);
    }
}

#[test]
fn the_toml_reader_takes_any_text() {
    fuzzing::fuzz("config-toml", TOML_SEEDS, |bytes| {
        read_and_validate("fuzz.toml", bytes)
    });
}

#[test]
fn the_cf_reader_takes_any_text() {
    fuzzing::fuzz("config-cf", CF_SEEDS, |bytes| {
        read_and_validate("fuzz.cf", bytes)
    });
}

#[test]
fn the_keepalived_reader_takes_any_text() {
    fuzzing::fuzz("config-keepalived", KEEPALIVED_SEEDS, |bytes| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        // A name in a directory of its own: an `include` of a mutant finds nothing.
        let source = SourceFile::new("/nonexistent/keepalived.conf", text);
        if let Ok((documents, _)) = keepalived::read_source(source, Some("east")) {
            let _ = validate::validate(&documents);
        }
    });
}
