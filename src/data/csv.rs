//! CSV reader for numeric tables (plain, bzip2 or gzip compressed; compression is detected from
//! the file's first bytes, see [`crate::data::libsvm::open_data_file`]).
//!
//! Fields are separated by commas and may be surrounded by spaces; blank lines are skipped.
//! Quoted fields are not supported (the table must be numeric).
use crate::data::libsvm::{next_line, open_data_file, parse_f32, show};
use crate::data::Dataset;
use crate::error::{Result, SboError};
use std::path::{Path, PathBuf};

fn trim(mut t: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = t {
        if first.is_ascii_whitespace() {
            t = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = t {
        if last.is_ascii_whitespace() {
            t = rest;
        } else {
            break;
        }
    }
    t
}

/// Reads a numeric CSV file (plain, `.bz2`, `.gz`); `label_column` (0-based, negative counts
/// from the end) holds the label, all other columns are features. A first line that does not
/// parse as numbers is taken as a header.
///
/// Errors: [`SboError::Parse`] (file, 1-based line) for a non-numeric field after the first
/// line or a row whose width differs from the first row's; [`SboError::Config`] (field
/// `data.label_column`) when the label column lies outside the table; [`SboError::EmptyData`]
/// when no data row is present.
pub fn read_csv(path: &Path, label_column: i64) -> Result<Dataset> {
    let mut reader = open_data_file(path)?;
    let perr = |line: usize, msg: String| SboError::Parse {
        path: PathBuf::from(path),
        line,
        msg,
    };

    let mut width: Option<usize> = None;
    let mut label_at = 0usize;
    let mut features: Vec<f32> = Vec::new();
    let mut labels: Vec<f32> = Vec::new();
    let mut row: Vec<f32> = Vec::new();
    let mut first_content_line = true;

    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut lineno = 0usize;
    while next_line(&mut *reader, &mut buf, path, lineno + 1)? {
        lineno += 1;
        let line = trim(&buf);
        if line.is_empty() {
            continue;
        }
        let is_first = std::mem::replace(&mut first_content_line, false);
        row.clear();
        let mut bad: Option<&[u8]> = None;
        for field in line.split(|&c| c == b',') {
            let field = trim(field);
            match parse_f32(field) {
                Some(v) => row.push(v),
                None => {
                    bad = Some(field);
                    break;
                }
            }
        }
        if let Some(field) = bad {
            if is_first {
                continue; // header
            }
            return Err(perr(
                lineno,
                format!("field `{}` is not a finite number", show(field)),
            ));
        }
        match width {
            None => {
                let w = row.len();
                let w_i = w as i64;
                let at = if label_column < 0 {
                    w_i + label_column
                } else {
                    label_column
                };
                if at < 0 || at >= w_i {
                    return Err(SboError::config(
                        "data.label_column",
                        format!(
                            "column {label_column} is outside the {w} columns of {}",
                            path.display()
                        ),
                    ));
                }
                label_at = at as usize;
                width = Some(w);
            }
            Some(w) if w != row.len() => {
                return Err(perr(
                    lineno,
                    format!(
                        "row has {} columns but the first data row has {w}",
                        row.len()
                    ),
                ));
            }
            Some(_) => {}
        }
        for (j, &v) in row.iter().enumerate() {
            if j == label_at {
                labels.push(v);
            } else {
                features.push(v);
            }
        }
    }

    let Some(w) = width else {
        return Err(SboError::EmptyData {
            path: PathBuf::from(path),
        });
    };
    Dataset::new(w - 1, features, labels)
}
