// SPDX-License-Identifier: MIT OR Apache-2.0
//! Sysctls read and written in a directory of files standing in for
//! `/proc/sys/net/ipv4/vs` (the lab test reads the kernel's).

use super::*;

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvs-sysctl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_value_is_read_with_the_kernels_newline() {
    let dir = dir("read");
    std::fs::write(dir.join("conn_reuse_mode"), "1\n").unwrap();
    let sysctls = Sysctls::at(&dir);
    assert_eq!(sysctls.read(Sysctl::ConnReuseMode).unwrap(), 1);
    sysctls.write(Sysctl::ConnReuseMode, 2).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("conn_reuse_mode")).unwrap(),
        "2\n"
    );
    assert_eq!(sysctls.read(Sysctl::ConnReuseMode).unwrap(), 2);
}

#[test]
fn a_missing_sysctl_is_named() {
    let dir = dir("missing");
    let sysctls = Sysctls::at(&dir);
    let error = sysctls.read(Sysctl::SloppySctp).unwrap_err();
    assert!(matches!(
        error,
        SysctlError::Missing {
            sysctl: Sysctl::SloppySctp,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        format!(
            "net.ipv4.vs.sloppy_sctp: no such sysctl ({}): this kernel is too old for it, or ip_vs is not loaded",
            dir.join("sloppy_sctp").display()
        )
    );
    // A write does not create it.
    let error = sysctls.write(Sysctl::SloppySctp, 1).unwrap_err();
    assert!(matches!(error, SysctlError::Missing { .. }));
    assert!(!dir.join("sloppy_sctp").exists());
}

#[test]
fn garbage_is_not_an_integer() {
    let dir = dir("garbage");
    std::fs::write(dir.join("sloppy_tcp"), "yes please\n").unwrap();
    let error = Sysctls::at(&dir).read(Sysctl::SloppyTcp).unwrap_err();
    assert_eq!(
        error.to_string(),
        "net.ipv4.vs.sloppy_tcp: not an integer: \"yes please\\n\""
    );
    // At most 64 bytes are read, whatever the file holds.
    std::fs::write(dir.join("sloppy_tcp"), "1".repeat(100_000)).unwrap();
    let error = Sysctls::at(&dir).read(Sysctl::SloppyTcp).unwrap_err();
    assert!(matches!(error, SysctlError::NotAnInteger { text, .. } if text.len() == 64));
}

#[test]
fn names_are_the_kernels() {
    let names: Vec<_> = Sysctl::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "expire_nodest_conn",
            "expire_quiescent_template",
            "conn_reuse_mode",
            "sloppy_tcp",
            "sloppy_sctp"
        ]
    );
    assert_eq!(
        Sysctl::ExpireQuiescentTemplate.to_string(),
        "net.ipv4.vs.expire_quiescent_template"
    );
}
