//! The files that let a run continue or be joined: `checkpoint/` while a run is under way
//! (what it is, the pieces it completed, the progress of the one under way) and, for a
//! shard, `shard.cbor` with its groups once it completes. CBOR keeps every f64 exactly; each
//! file is written whole to a temporary name and renamed, so a kill leaves the old file or
//! the new one.
//!
//! Owns: the names, contents and fingerprint of these files. Must not know: how pieces run.

use super::write::write_atomic;
use crate::error::{Result, SboError};
use crate::run::{Piece, PieceOut, PieceProgress, Shard};
use crate::sweep::{Backend, Plan};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

pub const CHECKPOINT_DIR: &str = "checkpoint";
const RUN_FILE: &str = "run.json";
const PROGRESS_FILE: &str = "progress.cbor";
pub const SHARD_FILE: &str = "shard.cbor";
pub const SHARD_SUMMARY: &str = "shard.json";

/// What a run under way is, written when it starts: enough to prepare the same plan again
/// and to refuse a checkpoint of another one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunStart {
    /// [`fingerprint`] of the plan.
    pub fingerprint: String,
    pub shard: Option<Shard>,
    /// The directory relative data paths were looked up in (the config file's).
    pub config_dir: Option<PathBuf>,
    /// Where a run that replaces an earlier one (`--force`) goes once complete.
    pub replaces: Option<PathBuf>,
    pub sbo: String,
}

/// A shard's groups, what `sbo merge` joins.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardFile {
    pub fingerprint: String,
    pub shard: Shard,
    pub config_dir: Option<PathBuf>,
    pub pieces: Vec<Piece>,
    pub outs: Vec<PieceOut>,
    pub sbo: String,
}

#[derive(Serialize, Deserialize)]
struct SavedProgress {
    fingerprint: String,
    piece: usize,
    progress: PieceProgress,
}

#[derive(Serialize, Deserialize)]
struct SavedPiece {
    fingerprint: String,
    piece: usize,
    out: PieceOut,
}

/// FNV-1a over 64-bit words: a fingerprint, not a defence against forgery.
struct Fnv(u64);

impl Fnv {
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.word(b.len() as u64);
        for c in b.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
    }

    fn floats(&mut self, v: &[f32]) {
        self.word(v.len() as u64);
        for x in v {
            self.word(x.to_bits() as u64);
        }
    }
}

/// What identifies a plan's results: the sbo version, the configuration (without the
/// settings that cannot change them: threads, and the backend choice, which the engine check
/// covers) and every variant's data. Shards and checkpoints of the same fingerprint belong
/// together.
pub fn fingerprint(plan: &Plan) -> Result<String> {
    let text = super::write::config_text(plan, |c| {
        c.run.threads = 0;
        c.run.backend = Backend::Auto;
    })?;
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.bytes(env!("CARGO_PKG_VERSION").as_bytes());
    h.bytes(text.as_bytes());
    for v in &plan.variants {
        let data = &v.study.data;
        h.word(data.table.d as u64);
        h.floats(&data.table.features);
        h.floats(&data.table.labels);
        for m in data.slots() {
            for part in m.parts() {
                h.word(part.len() as u64);
                part.iter().for_each(|&r| h.word(r as u64));
            }
        }
    }
    Ok(format!("{:016x}", h.0))
}

fn write_cbor<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).map_err(|e| SboError::Output {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })?;
    // Synced before it replaces the last good one: a checkpoint must survive a crash.
    write_atomic(path, &bytes, true)
}

fn read_cbor<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let f = fs::File::open(path).map_err(|e| SboError::io(path, e))?;
    ciborium::from_reader(std::io::BufReader::new(f)).map_err(|e| SboError::Parse {
        path: path.to_path_buf(),
        line: 0,
        msg: format!("not a checkpoint or shard file of this sbo version ({e})"),
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| SboError::Output {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes(), false)
}

fn piece_file(dir: &Path, piece: usize) -> PathBuf {
    dir.join(CHECKPOINT_DIR)
        .join(format!("piece-{piece:06}.cbor"))
}

/// The checkpoint files of the run in `dir`.
pub struct Checkpoints {
    dir: PathBuf,
    fingerprint: String,
}

impl Checkpoints {
    /// Starts `dir/checkpoint/` for a new run.
    pub fn create(dir: &Path, start: &RunStart) -> Result<Checkpoints> {
        let cp = dir.join(CHECKPOINT_DIR);
        fs::create_dir_all(&cp).map_err(|e| SboError::io(&cp, e))?;
        write_json(&cp.join(RUN_FILE), start)?;
        Ok(Checkpoints {
            dir: dir.to_path_buf(),
            fingerprint: start.fingerprint.clone(),
        })
    }

    /// What the run in `dir` is, or `None` when it has no checkpoint.
    pub fn start_of(dir: &Path) -> Result<Option<RunStart>> {
        let path = dir.join(CHECKPOINT_DIR).join(RUN_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| SboError::Parse {
                    path,
                    line: e.line(),
                    msg: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SboError::io(path, e)),
        }
    }

    /// The checkpoints of the run in `dir` made with `fingerprint`.
    pub fn open(dir: &Path, fingerprint: &str) -> Checkpoints {
        Checkpoints {
            dir: dir.to_path_buf(),
            fingerprint: fingerprint.to_string(),
        }
    }

    pub fn save_progress(&self, piece: usize, progress: &PieceProgress) -> Result<()> {
        write_cbor(
            &self.dir.join(CHECKPOINT_DIR).join(PROGRESS_FILE),
            &SavedProgress {
                fingerprint: self.fingerprint.clone(),
                piece,
                progress: progress.clone(),
            },
        )
    }

    pub fn save_piece(&self, piece: usize, out: &PieceOut) -> Result<()> {
        write_cbor(
            &piece_file(&self.dir, piece),
            &SavedPiece {
                fingerprint: self.fingerprint.clone(),
                piece,
                out: out.clone(),
            },
        )
    }

    /// The completed pieces (0, 1, ... as long as they follow on) and the progress of the
    /// next one, if saved.
    pub fn load(&self) -> Result<(Vec<PieceOut>, Option<PieceProgress>)> {
        let mut done = Vec::new();
        loop {
            let path = piece_file(&self.dir, done.len());
            if !path.exists() {
                break;
            }
            let saved: SavedPiece = read_cbor(&path)?;
            self.check(&path, &saved.fingerprint, saved.piece, done.len())?;
            done.push(saved.out);
        }
        let path = self.dir.join(CHECKPOINT_DIR).join(PROGRESS_FILE);
        let progress = if path.exists() {
            let saved: SavedProgress = read_cbor(&path)?;
            self.check(&path, &saved.fingerprint, saved.piece, saved.piece)?;
            // Progress of a piece that completed since is stale.
            (saved.piece == done.len()).then_some(saved.progress)
        } else {
            None
        };
        Ok((done, progress))
    }

    fn check(&self, path: &Path, fingerprint: &str, piece: usize, want: usize) -> Result<()> {
        if fingerprint != self.fingerprint || piece != want {
            return Err(SboError::Parse {
                path: path.to_path_buf(),
                line: 0,
                msg: "belongs to another run (its configuration, data or sbo version differ)"
                    .into(),
            });
        }
        Ok(())
    }

    /// Removes the checkpoint of a run that completed: its results are written. The
    /// directory is first renamed away (one atomic step), so that a kill while its files are
    /// being deleted never leaves half a checkpoint that `--resume` would misread.
    pub fn remove(self) {
        let cp = self.dir.join(CHECKPOINT_DIR);
        let gone = self
            .dir
            .join(format!("{CHECKPOINT_DIR}.removed-{}", std::process::id()));
        if fs::rename(&cp, &gone).is_ok() {
            let _ = fs::remove_dir_all(&gone);
        } else {
            let _ = fs::remove_dir_all(&cp);
        }
    }
}

/// How a shard went, for people (`shard.json`): whether it is complete and what it holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardSummary {
    pub shard: Shard,
    pub complete: bool,
    pub failure: Option<String>,
    pub fingerprint: String,
    pub groups: usize,
    pub lanes: usize,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

/// Writes a shard's results: `shard.cbor` when it completed, `shard.json` always.
pub fn write_shard(dir: &Path, file: Option<&ShardFile>, summary: &ShardSummary) -> Result<()> {
    if let Some(f) = file {
        write_cbor(&dir.join(SHARD_FILE), f)?;
    }
    write_json(&dir.join(SHARD_SUMMARY), summary)
}

/// The results of the complete shard in `dir`.
pub fn read_shard(dir: &Path) -> Result<ShardFile> {
    let path = dir.join(SHARD_FILE);
    if !path.exists() {
        let why = if dir.join(CHECKPOINT_DIR).exists() {
            format!(
                "not a complete shard (it stopped or failed): finish it with `sbo run --resume {}`",
                dir.display()
            )
        } else {
            "not a shard directory (`sbo run --shard i/N` writes one)".into()
        };
        return Err(SboError::Output {
            path: dir.to_path_buf(),
            msg: why,
        });
    }
    read_cbor(&path)
}
