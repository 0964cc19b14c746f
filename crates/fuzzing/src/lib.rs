// SPDX-License-Identifier: MIT OR Apache-2.0
//! Test-only: a small mutation fuzzer on stable Rust, for the property
//! tests of every parser of outside input (configuration files, netlink
//! replies, the health checks' protocol answers).
//!
//! [`fuzz`] takes seeds (good inputs: a real answer, a sample file), makes
//! mutants of them (bit flips, interesting bytes, cuts, repeats, splices,
//! insertions), and hands each to the parser under test, which must not
//! panic. Each case's allocations are counted ([`Counting`], the test
//! binary's global allocator): more than [`ALLOCATION_BOUND`] for one input
//! fails too. A failing input is written to `$TMPDIR/ipvsctl-fuzz/` and
//! shown in hex, to be kept as a regression test named after what it found.
//!
//! Budget: [`DEFAULT_CASES`] per target in `cargo test` (deterministic: a
//! fixed seed), or `IPVSCTL_FUZZ_SECONDS` seconds per target with a seed of
//! `IPVSCTL_FUZZ_SEED` (else the clock), as `scripts/fuzz` runs it. In that
//! mode a watchdog also stops the process when one input has run for
//! `IPVSCTL_FUZZ_HANG` seconds (default 60), showing it: a hang. (`cargo
//! test` has no watchdog: no timing in tests; a hang there hangs the test.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Cases per target in a plain `cargo test`.
pub const DEFAULT_CASES: u64 = 1500;

/// The most one input may make its parser allocate, in total (inputs are
/// at most [`MAX_INPUT`] bytes; parsers copy and split them a few times).
pub const ALLOCATION_BOUND: usize = 64 << 20;

/// The longest input made.
pub const MAX_INPUT: usize = 16 * 1024;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

/// A global allocator that counts what the current thread allocates (for
/// [`fuzz`]'s bound); declare it in the test binary:
/// `#[global_allocator] static A: fuzzing::Counting = fuzzing::Counting;`.
pub struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; the
// count is a thread-local without destructor (no allocation of its own).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(layout.size())));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(layout.size())));
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(new_size)));
        System.realloc(ptr, layout, new_size)
    }
}

fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

/// xorshift64*: small, fast, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is made 1).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Bytes that parsers treat specially.
const INTERESTING: &[u8] = b"\x00\x01\x7f\x80\xff\r\n\t \"'=:;,.[]{}()<>#\\-+0123456789eE";

/// Bytes inserted as they are: tokens of the formats fuzzed.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"[[virtual]]\n",
    b"[[virtual.real]]\n",
    b"virtual=",
    b"real=",
    b"\n\t",
    b"{ type = \"http\" }",
    b"\"\"\"",
    b"'''",
    b"999999999999999999999",
    b"-1",
    b"0x",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x00",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"Content-Length: 99999999\r\n",
    b"250-",
    b"+OK ",
    b"* OK ",
    b"=?",
];

/// A mutant of one of `seeds` (or of nothing, when there are none).
pub fn mutant(rng: &mut Rng, seeds: &[&[u8]]) -> Vec<u8> {
    let mut data = match seeds.len() {
        0 => Vec::new(),
        n => seeds[rng.below(n)].to_vec(),
    };
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(11) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = rng.next_u64() as u8;
            }
            2 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            3 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 if len > 0 => {
                let from = rng.below(len);
                let to = (from + 1 + rng.below(64)).min(len);
                data.drain(from..to);
            }
            5 if len > 0 => {
                // A range repeated: long lines, deep nesting, many items.
                let from = rng.below(len);
                let to = (from + 1 + rng.below(32)).min(len);
                let piece = data[from..to].to_vec();
                let times = 1 + rng.below(64);
                let at = rng.below(data.len() + 1);
                let repeated: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                data.splice(at..at, repeated);
            }
            6 if len > 0 => data.truncate(rng.below(len)),
            7 if seeds.len() > 1 => {
                let other = seeds[rng.below(seeds.len())];
                let at = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            8 => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            9 if len >= 2 => {
                // A 16- or 32-bit field made extreme (lengths, counts).
                let i = rng.below(len - 1);
                let value = [0x00, 0xff, 0x7f, 0x80][rng.below(4)];
                data[i] = value;
                data[i + 1] = value;
            }
            _ => {
                let at = rng.below(len + 1);
                let byte = INTERESTING[rng.below(INTERESTING.len())];
                data.insert(at, byte);
            }
        }
    }
    data.truncate(MAX_INPUT);
    data
}

/// How many cases, or for how long.
enum Budget {
    Cases(u64),
    Time(Duration),
}

fn budget(cases: u64) -> Budget {
    match std::env::var("IPVSCTL_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(s) if s > 0.0 => Budget::Time(Duration::from_secs_f64(s)),
        _ => Budget::Cases(cases),
    }
}

fn first_seed(name: &str) -> u64 {
    if let Some(seed) = std::env::var("IPVSCTL_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return seed;
    }
    if matches!(budget(0), Budget::Time(_)) {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
    }
    // Fixed per target: `cargo test` runs the same cases every time.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs `parse` on the seeds themselves, then on mutants of them, within
/// the budget (see the crate's doc). Fails the test on a panic or on an
/// input that makes `parse` allocate more than [`ALLOCATION_BOUND`].
pub fn fuzz(name: &str, seeds: &[&[u8]], parse: impl FnMut(&[u8])) {
    fuzz_cases(name, seeds, DEFAULT_CASES, parse);
}

/// [`fuzz`] with `cases` cases in `cargo test` instead of
/// [`DEFAULT_CASES`] (for parsers whose every case costs a connection).
pub fn fuzz_cases(name: &str, seeds: &[&[u8]], cases: u64, mut parse: impl FnMut(&[u8])) {
    let seed = first_seed(name);
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let budget = budget(cases);
    let watched = matches!(budget, Budget::Time(_)).then(|| watchdog(name));
    let mut case: u64 = 0;
    loop {
        match budget {
            Budget::Cases(n) if case >= n => break,
            Budget::Time(d) if started.elapsed() >= d => break,
            _ => {}
        }
        let input = match usize::try_from(case).ok().and_then(|i| seeds.get(i)) {
            Some(seed) => seed.to_vec(),
            None => mutant(&mut rng, seeds),
        };
        if let Some((progress, current)) = &watched {
            if let Ok(mut current) = current.lock() {
                current.clone_from(&input);
            }
            progress.store(case + 1, Ordering::Relaxed);
        }
        let before = allocated();
        let outcome = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        let used = allocated().saturating_sub(before);
        let failure = match outcome {
            Err(_) => Some("panicked".to_string()),
            Ok(()) if used > ALLOCATION_BOUND => {
                Some(format!("allocated {used} bytes (bound {ALLOCATION_BOUND})"))
            }
            Ok(()) => None,
        };
        if let Some(what) = failure {
            let kept = keep(name, &input);
            panic!(
                "{name}: case {case} (seed {seed}) {what} on {} bytes, kept in {kept}:\n{}",
                input.len(),
                hex(&input)
            );
        }
        case += 1;
    }
    if let Some((progress, _)) = &watched {
        // Done: the watchdog stops watching.
        progress.store(u64::MAX, Ordering::Relaxed);
        eprintln!(
            "fuzz {name}: {case} cases in {:.1?}, seed {seed}",
            started.elapsed()
        );
    }
}

/// The case being run and its input, watched by a thread that ends the
/// process when the same case has run for `IPVSCTL_FUZZ_HANG` seconds.
type Watched = (Arc<AtomicU64>, Arc<Mutex<Vec<u8>>>);

fn watchdog(name: &str) -> Watched {
    let hang = std::env::var("IPVSCTL_FUZZ_HANG")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60u64);
    let progress = Arc::new(AtomicU64::new(0));
    let current = Arc::new(Mutex::new(Vec::new()));
    let (p, c, name) = (
        Arc::clone(&progress),
        Arc::clone(&current),
        name.to_string(),
    );
    std::thread::spawn(move || {
        let mut last = (u64::MAX - 1, Instant::now());
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = p.load(Ordering::Relaxed);
            if now == u64::MAX {
                return;
            }
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() >= Duration::from_secs(hang) {
                let input = c.lock().map(|i| i.clone()).unwrap_or_default();
                let kept = keep(&name, &input);
                eprintln!(
                    "{name}: case {} hangs (over {hang} s) on {} bytes, kept in {kept}:\n{}",
                    now.saturating_sub(1),
                    input.len(),
                    hex(&input)
                );
                std::process::abort();
            }
        }
    });
    (progress, current)
}

fn keep(name: &str, input: &[u8]) -> String {
    let dir = std::env::temp_dir().join("ipvsctl-fuzz");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{name}-{hash:016x}.bin"));
    match std::fs::write(&path, input) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not kept: {e})"),
    }
}

/// The first 4 KiB of `bytes` as a Rust byte string.
pub fn hex(bytes: &[u8]) -> String {
    let mut text = String::from("b\"");
    for b in bytes.iter().take(4096) {
        match b {
            b'"' => text.push_str("\\\""),
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            0x20..=0x7e => text.push(char::from(*b)),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    text.push('"');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutants_are_reproducible_and_bounded() {
        let seeds: &[&[u8]] = &[b"hello world", b"[[virtual]]\naddress = \"10.0.0.1:80\"\n"];
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..2000 {
            let m = mutant(&mut a, seeds);
            assert_eq!(m, mutant(&mut b, seeds));
            assert!(m.len() <= MAX_INPUT);
        }
    }

    #[test]
    #[should_panic(expected = "panicked on")]
    fn a_panicking_parser_fails_the_test() {
        fuzz("self-test", &[b"abc"], |input| {
            if input.len() != 3 {
                panic!("found");
            }
        });
    }
}
