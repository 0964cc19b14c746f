// SPDX-License-Identifier: MIT OR Apache-2.0
//! Exit codes and the one-line error message.

/// Exit code of a command that failed.
pub const FAILURE: i32 = 1;
/// Exit code of a command that succeeded.
pub const SUCCESS: i32 = 0;

/// The error and its causes, joined by ": ".
pub fn describe(error: &anyhow::Error) -> String {
    error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Whether the error is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
