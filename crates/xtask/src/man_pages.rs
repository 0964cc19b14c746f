// SPDX-License-Identifier: MIT OR Apache-2.0
//! ipvsctl(8) and one page per subcommand (ipvsctl-run(8),
//! ipvsctl-sync-become(8), …), from the clap `Cli`: section 8, as the
//! binary is in /usr/sbin.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;

/// What the main page says beyond the command line: the files, the
/// environment, the exit codes, the other pages.
const MAIN_PAGE_END: &str = r#".SH FILES
.TP
\fI/etc/ipvsctl/*.toml\fR
The configuration read by \fBrun\fR, \fBapply\fR, \fBplan\fR, \fBvalidate\fR, \fBcheck\fR and
\fBremove\fR when given no FILE, sorted by name (\fB\-\-config\-dir\fR changes the directory);
see \fBipvsctl.toml\fR(5). \fI/etc/ipvsctl/site.toml.example\fR is a sample and is not read.
.TP
\fI/run/ipvsctl/\fR
The record of the virtual services ipvsctl manages, per network namespace.
.TP
\fI/var/lib/ipvsctl/\fR
Drains, disables and weights set at run time (\fBipvsctl drain\fR and the like).
.SH ENVIRONMENT
.TP
\fBIPVSCTL_STATE_DIR\fR
Where the record is kept instead of \fI/run/ipvsctl\fR.
.SH "EXIT STATUS"
0: done, or nothing to do; 1: an error (the message names the file, line and key);
2: \fBplan\fR found changes, \fBcheck\fR found reals down.
.SH "SEE ALSO"
\fBipvsctl.toml\fR(5), \fBipvsadm\fR(8), \fBldirectord\fR(8), \fBkeepalived\fR(8),
\fBsystemctl\fR(1); /usr/share/doc/ipvsctl/README.md.gz
"#;

/// Writes the pages into `dir`; returns their paths.
pub fn write(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut command = ipvsctl::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    page(&command, dir, true, &mut written)?;
    Ok(written)
}

fn page(
    command: &clap::Command,
    dir: &Path,
    main: bool,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let version = command.get_version().unwrap_or_default();
    let man = Man::new(command.clone())
        .section("8")
        .source(format!("ipvsctl {version}"))
        .manual("System Administration");
    let path = dir.join(man.get_filename());
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    if main {
        roff.extend_from_slice(MAIN_PAGE_END.as_bytes());
    } else {
        writeln!(
            roff,
            ".SH \"SEE ALSO\"\n\\fBipvsctl\\fR(8), \\fBipvsctl.toml\\fR(5)"
        )?;
    }
    std::fs::write(&path, roff).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub, dir, false, written)?;
    }
    Ok(())
}
