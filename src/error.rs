//! The library's one error type. Every variant carries enough structure (file, line, field)
//! for the command line to tell the user exactly what to fix.
//!
//! Owns: [`SboError`]. Must not know: anything else in the crate (every module reports
//! through it).

use std::path::PathBuf;

pub type Result<T, E = SboError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum SboError {
    /// The cause is part of the message (not a separate `source`, which would print twice
    /// in an error chain).
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },

    /// A data file with a malformed line; `line` is 1-based.
    #[error("{path}:{line}: {msg}")]
    Parse {
        path: PathBuf,
        line: usize,
        msg: String,
    },

    #[error("{path}: the file holds no samples")]
    EmptyData { path: PathBuf },

    /// A data file whose label column names more distinct classes than a problem may have:
    /// line `line` (1-based) holds name number `count`, past the `max` allowed. The reader
    /// stops there, keeping at most `max` names.
    #[error(
        "{path}:{line}: the label column names a class beyond the first {max} ({count} \
         distinct names by this line), more than a problem may have: is it a class column?"
    )]
    TooManyClasses {
        path: PathBuf,
        line: usize,
        count: usize,
        max: usize,
    },

    /// A configuration value that is missing, of the wrong type or impossible.
    #[error("config field `{field}`: {msg}")]
    Config { field: String, msg: String },

    /// A configuration file that is not valid TOML or has unknown keys.
    #[error("config file {path}: {msg}")]
    ConfigFile { path: PathBuf, msg: String },

    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    Dimension {
        what: String,
        expected: usize,
        got: usize,
    },

    #[error("{what}: need {need} samples but only {have} are available")]
    NotEnoughSamples {
        what: String,
        need: usize,
        have: usize,
    },

    /// A solve that failed: a singular system, a non-convergent inner solve, a NaN.
    #[error("numerical failure in {what}: {msg}")]
    Numerical { what: String, msg: String },

    #[error("output {path}: {msg}")]
    Output { path: PathBuf, msg: String },

    #[error("GPU: {msg}")]
    Gpu { msg: String },

    /// No adapter passed the selection (hardware only unless software is allowed, name filter,
    /// compute support); `msg` lists what was seen and why each was rejected.
    #[error("no usable GPU adapter: {msg}")]
    GpuNoAdapter { msg: String },

    /// A WGSL module or compute pipeline that failed validation; `msg` is the compiler's text.
    #[error("GPU shader `{label}`: {msg}")]
    GpuShader { label: String, msg: String },

    /// The device (or driver) could not allocate `bytes` for `what`.
    #[error("GPU out of memory allocating {what} ({bytes} bytes)")]
    GpuOutOfMemory { what: String, bytes: u64 },

    /// A request beyond one of the device's limits (`limit` names the wgpu limit).
    #[error("GPU limit {limit} exceeded by {what}: need {need}, the device allows {max}")]
    GpuLimit {
        what: String,
        limit: &'static str,
        need: u64,
        max: u64,
    },

    /// The run was asked to stop (Ctrl-C): the variant named with it ended after logging step
    /// `step`, or did not start (`None`).
    #[error("stopped on request {}", match step { Some(s) => format!("after step {s}"), None => "before it started".into() })]
    Stopped { step: Option<u64> },

    /// An engine broke its contract with the run layer, or a worker thread failed.
    #[error("engine: {msg}")]
    Engine { msg: String },

    /// The device was lost (driver reset, removal, destroy); every later call fails too.
    #[error("GPU device lost ({reason}): {msg}")]
    GpuDeviceLost { reason: String, msg: String },
}

impl SboError {
    pub fn config(field: impl Into<String>, msg: impl Into<String>) -> Self {
        SboError::Config {
            field: field.into(),
            msg: msg.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SboError::Io {
            path: path.into(),
            err: source,
        }
    }

    pub fn gpu(msg: impl Into<String>) -> Self {
        SboError::Gpu { msg: msg.into() }
    }

    pub fn engine(msg: impl Into<String>) -> Self {
        SboError::Engine { msg: msg.into() }
    }

    pub fn numerical(what: impl Into<String>, msg: impl Into<String>) -> Self {
        SboError::Numerical {
            what: what.into(),
            msg: msg.into(),
        }
    }
}
