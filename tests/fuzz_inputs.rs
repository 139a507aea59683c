//! Mutation fuzzing of everything sbo reads from users, on a fixed budget: the LIBSVM and CSV
//! readers and the TOML config parser (with `Study::prepare` behind it). Valid inputs are
//! mutated byte by byte (flips, insertions of interesting tokens, truncations, splices); every
//! mutant must give `Ok` or an `Err`, never a panic. `SBO_MEMORY_LIMIT` is set low, so that
//! the readers' size checks refuse large allocations early.
//!
//! The generator is seeded, so a failure reproduces; `SBO_FUZZ_ITERS` raises the budget for a
//! longer local run.

use sbo::sweep::{Plan, SweepConfig};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

mod common;

use common::Gen;

/// A number below `n`.
fn below(g: &mut Gen, n: usize) -> usize {
    (g.next_u64() % n.max(1) as u64) as usize
}

/// Tokens that reach the edges of the parsers.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "4294967295",
    "4294967296",
    "4000000000",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "1e-320",
    ":",
    "::",
    ",",
    "\"",
    "#",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u{feff}",
    "qid:1",
    "[[algo]]",
    "=",
    "[",
    "]",
    "{",
    "}",
    "full",
    "poly(",
    ")",
    "1e30",
    "99999999999999999999",
    "\0",
    "é",
];

fn mutate(g: &mut Gen, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + below(g, 6) {
        match below(g, 5) {
            0 if !v.is_empty() => {
                let i = below(g, v.len());
                v[i] ^= 1 << below(g, 8);
            }
            1 => {
                let i = below(g, v.len() + 1);
                let t = TOKENS[below(g, TOKENS.len())].as_bytes();
                v.splice(i..i, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let i = below(g, v.len());
                let j = (i + below(g, 16)).min(v.len());
                v.drain(i..j);
            }
            3 if !v.is_empty() => {
                let i = below(g, v.len());
                v.truncate(i);
            }
            _ => {
                let i = below(g, v.len() + 1);
                let j = below(g, seed.len() + 1);
                let k = (j + below(g, 24)).min(seed.len());
                v.splice(i..i, seed[j..k].iter().copied());
            }
        }
    }
    v
}

fn iterations(default: usize) -> usize {
    std::env::var("SBO_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` on `iters` mutants of each seed input, failing on the first panic with the input.
fn fuzz(name: &str, seeds: &[&str], iters: usize, f: impl Fn(&[u8])) {
    // Small enough that a large allocation is refused by the checks, large enough for the
    // seed inputs; set once, before any test reads it.
    static LIMIT: std::sync::Once = std::sync::Once::new();
    LIMIT.call_once(|| std::env::set_var("SBO_MEMORY_LIMIT", "64000000"));
    let mut g = Gen(0x5b0 ^ name.len() as u64);
    for i in 0..iters {
        let seed = seeds[i % seeds.len()].as_bytes();
        let input = mutate(&mut g, seed);
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            panic!(
                "{name}: input {i} panicked:\n{}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

fn with_file(dir: &Path, name: &str, bytes: &[u8], f: impl FnOnce(&Path)) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    f(&p);
}

#[test]
fn the_libsvm_reader_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        "1 1:0.5 3:-1.25\n-1 2:1e-3\n+1 qid:3 1:2 # comment\n",
        "0 0:1 4:2\n1 2:3\n",
        "-1 7:0.5\n\n1 1:1 2:2 3:3 4:4 5:5 6:6 7:7\n",
    ];
    fuzz("libsvm", &seeds, iterations(10000), |bytes| {
        with_file(dir.path(), "f.svm", bytes, |p| {
            for base in [
                sbo::data::libsvm::IndexBase::One,
                sbo::data::libsvm::IndexBase::Zero,
                sbo::data::libsvm::IndexBase::Auto,
            ] {
                let _ = sbo::data::libsvm::read_libsvm_with(p, None, base);
                let _ = sbo::data::libsvm::read_libsvm_with(p, Some(7), base);
            }
        })
    });
}

#[test]
fn the_csv_reader_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        "a,b,label\n0.5,1,1\n0.25,-2,-1\n",
        "1,2,3\n4,5,6\n\n7,8,9\n",
        " 1 , 2 \r\n3,4\r\n",
        "1,2,cat\n3,4,\"d\"\"og\"\n5,6,cat\n",
    ];
    fuzz("csv", &seeds, iterations(10000), |bytes| {
        with_file(dir.path(), "f.csv", bytes, |p| {
            for col in [-1, 0, 2, 5, -9] {
                let _ = sbo::data::csv::read_csv(p, col);
            }
        })
    });
}

#[test]
fn the_config_parser_and_preparation_never_panic() {
    let seeds = [
        r#"name = "f"
[problem]
preset = "sc-sc"
mu = 1.0
[data]
kind = "synthetic"
d = 3
n_lower = 20
n_upper = 10
n_test = 5
n_pool = 3
kappa = 5.0
[vary]
"data.n_upper" = [8, 10]
[run]
steps = 4
log_every = 2
seeds = 2
neighbours = 1
[run.step_scaling]
reference = 1.0
[[algo]]
name = "tsgd"
T = [1, 2]
alpha = [0.1, "poly(0.1, 0.5)"]
batch = [4, "full"]
[report]
target = 1e-3
"#,
        r#"[[algo]]
name = "stocbio"
D = 2
Q = 3
eta = 0.1
label = "x, \"y\""
without_replacement = true
batch_lower = 4
batch_upper = 3
v_radius = 2.0
[data]
n_lower = 10
n_upper = 5
d = 2
"#,
    ];
    fuzz("config", &seeds, iterations(3000), |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return;
        };
        if let Ok(c) = SweepConfig::from_toml(text) {
            let _ = c.to_toml();
            let _ = Plan::prepare(&c, None);
        }
    });
}
