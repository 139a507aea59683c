//! LIBSVM / SVMlight text reader (plain, bzip2 or gzip compressed).
//!
//! Format, one sample per line: `label [qid:N] index:value index:value ... [# comment]`.
//! Feature indices are 1-based; features not written are zero. Labels are kept as written
//! (`1`, `+1`, `1.0`, `-1`, `0`, ...); [`map_labels_pm1`] maps a two-class column to {-1, +1}.
//!
//! Compression is detected from the file's first bytes (`BZh` for bzip2, `1f 8b` for gzip), not
//! from its name, so a mis-named file still reads. The file is streamed through a `BufReader`;
//! lines are parsed in place from a reused byte buffer, with no allocation per token.
use crate::data::Dataset;
use crate::error::{Result, SboError};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};

/// Buffer size for reading data files (and for the decompressors' output).
const BUF_SIZE: usize = 1 << 18;

/// Opens a data file for buffered reading, decompressing bzip2 (magic `BZh`) or gzip (magic
/// `1f 8b`) transparently; anything else is read as plain text. Multi-stream archives (as
/// written by `pbzip2` or concatenated `.gz` files) are read to the end.
pub fn open_data_file(path: &Path) -> Result<Box<dyn BufRead>> {
    let mut file = File::open(path).map_err(|e| SboError::io(path, e))?;
    let mut magic = [0u8; 3];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SboError::io(path, e)),
        }
    }
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let raw = head.chain(file);
    let reader: Box<dyn BufRead> = if got >= 3 && &magic == b"BZh" {
        Box::new(Pipelined::spawn(bzip2::read::MultiBzDecoder::new(raw)))
    } else if got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
        Box::new(Pipelined::spawn(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(BUF_SIZE, raw),
        )))
    } else {
        Box::new(BufReader::with_capacity(BUF_SIZE, raw))
    };
    Ok(reader)
}

/// Chunks of decompressed bytes in flight between the decompressing thread and the parser.
const PIPE_DEPTH: usize = 4;
const CHUNK: usize = 1 << 20;

/// A decompressor run on its own thread, so that decompression and parsing overlap. The
/// thread stops at the end of the stream, at the first error (passed on to the reader), or
/// when the reader is dropped.
struct Pipelined {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Pipelined {
    fn spawn<R: Read + Send + 'static>(mut src: R) -> Self {
        let (tx, rx) = sync_channel::<std::io::Result<Vec<u8>>>(PIPE_DEPTH);
        std::thread::spawn(move || loop {
            let mut buf = vec![0u8; CHUNK];
            let mut filled = 0;
            let mut err = None;
            while filled < CHUNK {
                match src.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(k) => filled += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            buf.truncate(filled);
            let last = filled < CHUNK || err.is_some();
            if filled > 0 && tx.send(Ok(buf)).is_err() {
                return;
            }
            if let Some(e) = err {
                let _ = tx.send(Err(e));
                return;
            }
            if last {
                return;
            }
        });
        Pipelined {
            rx,
            cur: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for Pipelined {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let k = avail.len().min(out.len());
        out[..k].copy_from_slice(&avail[..k]);
        self.consume(k);
        Ok(k)
    }
}

impl BufRead for Pipelined {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pos >= self.cur.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true, // the thread finished
            }
        }
        Ok(&self.cur[self.pos.min(self.cur.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.cur.len());
    }
}

/// Reads the next line (without its `\n` / `\r\n`) into `buf`; `Ok(false)` at end of file.
pub(crate) fn next_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    path: &Path,
    lineno: usize,
) -> Result<bool> {
    buf.clear();
    // A line is read up to MAX_LINE bytes: a file without line breaks cannot make the reader
    // allocate without bound.
    let k = reader
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| SboError::io(path, e))?;
    if k == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > MAX_LINE {
        return Err(SboError::Parse {
            path: PathBuf::from(path),
            line: lineno,
            msg: format!(
                "the line is longer than {} (is this a text data file?)",
                crate::machine::human_bytes(MAX_LINE as f64)
            ),
        });
    }
    // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first line.
    if lineno == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(true)
}

/// The longest line the readers accept (bytes).
pub(crate) const MAX_LINE: usize = 256 << 20;

/// Parses a finite f32 from ASCII bytes (a leading `+` is accepted).
#[inline]
pub(crate) fn parse_f32(tok: &[u8]) -> Option<f32> {
    let s = std::str::from_utf8(tok).ok()?;
    let v: f32 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Shows a token in an error message (lossy, shortened).
pub(crate) fn show(tok: &[u8]) -> String {
    let s = String::from_utf8_lossy(tok);
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.into_owned()
    }
}

/// Parses a 1-based feature index (decimal digits only).
#[inline]
fn parse_index(tok: &[u8]) -> Option<usize> {
    if tok.is_empty() || tok.len() > 19 {
        return None;
    }
    let mut v: usize = 0;
    for &c in tok {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as usize)?;
    }
    Some(v)
}

#[inline]
fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == 0x0b || c == 0x0c
}

/// How a LIBSVM file numbers its features (`data.index_base` in configs: "one", "zero", "auto").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexBase {
    /// 1-based, as LIBSVM and SVMlight write them (the format's definition): index 0 is an error.
    #[default]
    One,
    /// 0-based (as written by some tools, e.g. scikit-learn's `dump_svmlight_file` with
    /// `zero_based=True`): index `i` is column `i`.
    Zero,
    /// 0-based if index 0 occurs anywhere in the file, else 1-based (scikit-learn's
    /// `zero_based="auto"`). Decided per file: a 0-based file that never uses column 0 is read
    /// as 1-based, so pass the base explicitly when it is known.
    Auto,
}

/// Reads a LIBSVM file. Feature indices are 1-based; missing features are zero. `dim` fixes
/// the number of columns (an index beyond it is an error naming the line); `None` takes the
/// largest index present. Labels are returned as written (see [`crate::data::libsvm::map_labels_pm1`]).
///
/// Accepted: `qid:N` tokens (ignored), `#` comments, blank lines, indices in any order (a
/// repeated index keeps its last value). Errors: [`SboError::Parse`] (file and 1-based line) for
/// a malformed label or `index:value` token, index 0, a non-numeric or non-finite value, or an
/// index greater than `dim`; [`SboError::EmptyData`] when the file holds no sample.
///
/// This is [`read_libsvm_with`] with [`IndexBase::One`]; files numbered from 0 need
/// [`IndexBase::Zero`] (or [`IndexBase::Auto`]).
pub fn read_libsvm(path: &Path, dim: Option<usize>) -> Result<Dataset> {
    read_libsvm_with(path, dim, IndexBase::One)
}

/// [`read_libsvm`] with an explicit [`IndexBase`]. With a 0-based file, `dim = None` gives
/// the largest index + 1 columns, and an index `>= dim` is an error.
pub fn read_libsvm_with(path: &Path, dim: Option<usize>, base: IndexBase) -> Result<Dataset> {
    let mut reader = open_data_file(path)?;
    let perr = |line: usize, msg: String| SboError::Parse {
        path: PathBuf::from(path),
        line,
        msg,
    };

    // Sparse storage while reading, raw indices as written: row r's entries are
    // entries[row_start[r]..row_start[r + 1]].
    let mut labels: Vec<f32> = Vec::new();
    let mut entries: Vec<(u32, f32)> = Vec::new();
    let mut row_start: Vec<usize> = vec![0];
    let mut max_raw = 0usize;
    // The line of the largest index, for a dense matrix too large to allocate.
    let mut max_line = 0usize;
    let mut seen_zero = false;
    // For `Auto` (base known only at the end): first line with an index too large for a
    // 0-based (raw >= dim) and for a 1-based (raw > dim) reading, with that index.
    let mut over_zero: Option<(usize, usize)> = None;
    let mut over_one: Option<(usize, usize)> = None;

    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut lineno = 0usize;
    while next_line(&mut *reader, &mut buf, path, lineno + 1)? {
        lineno += 1;
        let mut line: &[u8] = &buf;
        if let Some(p) = line.iter().position(|&c| c == b'#') {
            line = &line[..p];
        }
        let mut toks = line.split(|&c| is_space(c)).filter(|t| !t.is_empty());
        let Some(label_tok) = toks.next() else {
            continue; // blank or comment-only line
        };
        let label = parse_f32(label_tok).ok_or_else(|| {
            perr(
                lineno,
                format!("label `{}` is not a finite number", show(label_tok)),
            )
        })?;
        for tok in toks {
            let Some(colon) = tok.iter().position(|&c| c == b':') else {
                return Err(perr(
                    lineno,
                    format!("token `{}` is not of the form index:value", show(tok)),
                ));
            };
            let (itok, vtok) = (&tok[..colon], &tok[colon + 1..]);
            if itok == b"qid" {
                continue;
            }
            let index = parse_index(itok)
                .filter(|&i| i <= u32::MAX as usize)
                .ok_or_else(|| {
                    perr(
                        lineno,
                        format!(
                            "feature index `{}` in token `{}` is not a non-negative integer",
                            show(itok),
                            show(tok)
                        ),
                    )
                })?;
            if index == 0 {
                if base == IndexBase::One {
                    return Err(perr(
                        lineno,
                        format!(
                            "feature index 0 in token `{}` (LIBSVM indices are 1-based; \
                             this file may number its features from 0: set data.index_base = \"zero\" or \"auto\")",
                            show(tok)
                        ),
                    ));
                }
                seen_zero = true;
            }
            if let Some(d) = dim {
                match base {
                    IndexBase::One if index > d => {
                        return Err(perr(
                            lineno,
                            format!("feature index {index} exceeds the dimension {d}"),
                        ));
                    }
                    IndexBase::Zero if index >= d => {
                        return Err(perr(
                            lineno,
                            format!(
                                "feature index {index} exceeds the dimension {d} \
                                 (0-based indices run to {})",
                                d as i64 - 1
                            ),
                        ));
                    }
                    IndexBase::Auto => {
                        if index >= d && over_zero.is_none() {
                            over_zero = Some((lineno, index));
                        }
                        if index > d && over_one.is_none() {
                            over_one = Some((lineno, index));
                        }
                    }
                    _ => {}
                }
            }
            let value = parse_f32(vtok).ok_or_else(|| {
                perr(
                    lineno,
                    format!(
                        "value `{}` of feature {index} is not a finite number",
                        show(vtok)
                    ),
                )
            })?;
            if index > max_raw {
                max_raw = index;
                max_line = lineno;
            }
            entries.push((index as u32, value));
        }
        labels.push(label);
        row_start.push(entries.len());
    }
    drop(reader);

    if labels.is_empty() {
        return Err(SboError::EmptyData {
            path: PathBuf::from(path),
        });
    }
    let zero_based = match base {
        IndexBase::One => false,
        IndexBase::Zero => true,
        IndexBase::Auto => seen_zero,
    };
    if let (IndexBase::Auto, Some(d)) = (base, dim) {
        let over = if zero_based { over_zero } else { over_one };
        if let Some((line, index)) = over {
            let how = if zero_based { "0-based" } else { "1-based" };
            return Err(perr(
                line,
                format!("feature index {index} exceeds the dimension {d} (file read as {how})"),
            ));
        }
    }
    let shift = usize::from(!zero_based);
    let d = match dim {
        Some(d) => d,
        None if entries.is_empty() => 0,
        None => max_raw + 1 - shift,
    };
    let n = labels.len();
    if d == 0 || entries.is_empty() {
        return Err(perr(
            1,
            "no line holds a feature (only labels): there is nothing to learn from".into(),
        ));
    }
    // Rows are stored dense: a single large index (a typo, a hashed feature) would ask for
    // rows x index floats. Refuse what the machine cannot give, before allocating it.
    let budget = crate::machine::memory_budget();
    let total = n
        .checked_mul(d)
        .filter(|t| (*t as u128) * 4 <= budget as u128)
        .ok_or_else(|| {
            perr(
                if dim.is_none() { max_line } else { 1 },
                format!(
                    "{n} rows x {d} columns{} would take {} as a dense matrix, more than the {} \
                     this run may use (SBO_MEMORY_LIMIT or half the available memory): {}",
                    if dim.is_none() {
                        format!(" (the largest feature index, {max_raw}, is on this line)")
                    } else {
                        format!(" (data.dim = {d})")
                    },
                    crate::machine::human_bytes(n as f64 * d as f64 * 4.0),
                    crate::machine::human_bytes(budget as f64),
                    if dim.is_none() {
                        "check the feature indices, or set data.dim"
                    } else {
                        "lower data.dim"
                    }
                ),
            )
        })?;
    let mut features = vec![0.0f32; total];
    if d > 0 {
        for (r, row) in features.chunks_exact_mut(d).enumerate() {
            for &(j, v) in &entries[row_start[r]..row_start[r + 1]] {
                row[j as usize - shift] = v;
            }
        }
    }
    Dataset::new(d, features, labels)
}

/// Maps a two-valued label column to {-1, +1} (the larger value to +1) for logistic loss.
/// More than two distinct values is an error.
///
/// With exactly one distinct value `v` (a single-class subset), `v > 0` maps to +1 and
/// `v <= 0` to -1. An empty dataset is left as is. Errors are [`SboError::Config`] with
/// `what` as the field, naming the distinct values found.
pub fn map_labels_pm1(data: &mut Dataset, what: &str) -> Result<()> {
    let classes = label_classes(data, what)?;
    map_labels_to(data, &classes, what)
}

/// The distinct labels of `data` (at most two, finite), in order of first appearance: the
/// classes [`map_labels_to`] maps other files by. Errors as [`map_labels_pm1`].
pub fn label_classes(data: &Dataset, what: &str) -> Result<Vec<f32>> {
    let mut distinct: Vec<f32> = Vec::with_capacity(3);
    for &l in &data.labels {
        if !l.is_finite() {
            return Err(SboError::config(
                what,
                format!("label {l} is not a finite number"),
            ));
        }
        if !distinct.contains(&l) {
            distinct.push(l);
            if distinct.len() > 2 {
                let shown: Vec<String> = distinct.iter().map(|v| v.to_string()).collect();
                return Err(SboError::config(
                    what,
                    format!(
                        "labels must take at most two distinct values to be mapped to {{-1, +1}}, \
                         found at least three: {}",
                        shown.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(distinct)
}

/// Maps `data`'s labels to {-1, +1} by `classes` (another file's [`label_classes`]: the larger
/// of two maps to +1; a single class `v` maps by its sign), so that every file of a problem
/// maps a label the same way whatever values it happens to contain. A label outside `classes`
/// is an error naming `what`.
pub fn map_labels_to(data: &mut Dataset, classes: &[f32], what: &str) -> Result<()> {
    let hi = classes.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if let Some(&l) = data.labels.iter().find(|l| !classes.contains(l)) {
        let shown: Vec<String> = classes.iter().map(|v| v.to_string()).collect();
        return Err(SboError::config(
            what,
            format!(
                "label {l} is not one of the training file's classes ({}): the files must \
                 spell their classes the same way",
                shown.join(", ")
            ),
        ));
    }
    let single = classes.len() == 1;
    data.labels.iter_mut().for_each(|l| {
        *l = if (single && *l > 0.0) || (!single && *l == hi) {
            1.0
        } else {
            -1.0
        }
    });
    Ok(())
}
