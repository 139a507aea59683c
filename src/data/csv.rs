//! CSV reader for numeric tables whose label column may hold numbers or class names (plain,
//! bzip2 or gzip compressed; compression is detected from the file's first bytes, see
//! [`crate::data::libsvm::open_data_file`]).
//!
//! Fields are separated by commas and may be surrounded by spaces; blank lines are skipped.
//! Feature fields must be numbers. The label field may instead be a class *name* (`cat`),
//! optionally in double quotes (`"cat"`, `"say ""hi"""`; a quoted label is a name even when
//! it reads as a number, `"3"`). Quoted fields cannot hold commas: every comma separates
//! fields.
//!
//! Rules for named labels (see [`read_csv_table`]):
//! - A file's label column holds numbers or names, not both: a number after names, or a name
//!   after numbers, is an error naming the file and line. (Quote a numeric-looking name.)
//! - A name is UTF-8 text of at most [`MAX_NAME_BYTES`] bytes; an empty label, or one that
//!   reads as a non-finite number (`nan`, `inf`), is neither a number nor a name.
//! - At most [`MAX_CLASS_NAMES`] distinct names per file: the next one is refused
//!   ([`SboError::TooManyClasses`], naming the file, line and count) before anything more is
//!   kept, so a column of free text cannot make the reader grow without bound.
//! - The names are returned sorted (byte order) and each row's label is the index of its
//!   name in that list; [`crate::data::classes::name_classes`] then maps the names of all of a
//!   problem's files to classes shared by every file.
use crate::data::libsvm::{next_line, open_data_file, parse_f32, show};
use crate::data::Dataset;
use crate::error::{Result, SboError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Most distinct label names one file may hold: the most classes a problem may have
/// ([`crate::problem::MAX_CLASSES`]; `sweep` checks the two agree).
pub const MAX_CLASS_NAMES: usize = 256;

/// Longest label name (bytes).
pub const MAX_NAME_BYTES: usize = 1024;

/// A CSV file as read: its rows and, when its label column holds names, those names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvTable {
    /// The rows; with named labels, each label is the index of its name in `class_names`.
    pub data: Dataset,
    /// The distinct label names, sorted (byte order); empty when the labels are numbers.
    pub class_names: Vec<String>,
}

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

/// A label field, read.
enum Label {
    Number(f32),
    Name(Vec<u8>),
    /// Neither: why.
    Bad(String),
}

fn read_label(field: &[u8]) -> Label {
    if let Some(inner) = field.strip_prefix(b"\"") {
        let Some(inner) = inner.strip_suffix(b"\"") else {
            return Label::Bad(format!(
                "label `{}` opens a quote it does not close (quoted fields cannot hold commas)",
                show(field)
            ));
        };
        let mut name = Vec::with_capacity(inner.len());
        let mut bytes = inner.iter();
        while let Some(&c) = bytes.next() {
            if c == b'"' && bytes.next() != Some(&b'"') {
                return Label::Bad(format!(
                    "label `{}`: a quote inside a quoted label must be doubled (\"\")",
                    show(field)
                ));
            }
            name.push(c);
        }
        return name_label(name, field);
    }
    if let Some(v) = parse_f32(field) {
        return Label::Number(v);
    }
    let number = std::str::from_utf8(field).is_ok_and(|s| s.parse::<f32>().is_ok());
    if field.is_empty() || number {
        return Label::Bad(format!("field `{}` is not a finite number", show(field)));
    }
    name_label(field.to_vec(), field)
}

fn name_label(name: Vec<u8>, field: &[u8]) -> Label {
    if name.is_empty() {
        Label::Bad("the label is empty".into())
    } else if name.len() > MAX_NAME_BYTES {
        Label::Bad(format!(
            "label `{}` is longer than {MAX_NAME_BYTES} bytes: is this a class name?",
            show(field)
        ))
    } else if std::str::from_utf8(&name).is_err() {
        Label::Bad(format!("label `{}` is not UTF-8 text", show(field)))
    } else {
        Label::Name(name)
    }
}

/// Column `label_column` (negative: from the end) of a row of `width` fields, if inside.
fn column_at(label_column: i64, width: usize) -> Option<usize> {
    let w = width as i64;
    let at = if label_column < 0 {
        w + label_column
    } else {
        label_column
    };
    (0..w).contains(&at).then_some(at as usize)
}

fn width_of(line: &[u8]) -> usize {
    line.iter().filter(|&&c| c == b',').count() + 1
}

/// The label field of `line` (column `at`), after checking that every other field is a
/// number; `Err` carries the first feature field that is not.
fn split_row<'a>(
    line: &'a [u8],
    at: Option<usize>,
    row: &mut Vec<f32>,
) -> std::result::Result<Option<&'a [u8]>, &'a [u8]> {
    row.clear();
    let mut label = None;
    for (j, field) in line.split(|&c| c == b',').enumerate() {
        let field = trim(field);
        if Some(j) == at {
            label = Some(field);
        } else {
            match parse_f32(field) {
                Some(v) => row.push(v),
                None => return Err(field),
            }
        }
    }
    Ok(label)
}

/// What the first non-blank line of a file is.
enum First {
    Header,
    Data,
    /// Numeric features and a name for a label: a header over a numeric table if the next
    /// line's label is a number, else the first data row.
    Either,
}

fn first_line(line: &[u8], label_column: i64, row: &mut Vec<f32>) -> First {
    let at = column_at(label_column, width_of(line));
    match split_row(line, at, row) {
        Err(_) => First::Header,
        Ok(None) => First::Data, // the label column is outside: the data row says so
        Ok(Some(label)) => match read_label(label) {
            Label::Number(_) => First::Data,
            Label::Name(_) => First::Either,
            Label::Bad(_) => First::Header,
        },
    }
}

fn label_is_number(line: &[u8], label_column: i64) -> bool {
    column_at(label_column, width_of(line))
        .and_then(|at| line.split(|&c| c == b',').nth(at))
        .is_some_and(|f| matches!(read_label(trim(f)), Label::Number(_)))
}

/// The rows read so far.
struct Table<'p> {
    path: &'p Path,
    label_column: i64,
    /// Fields per row and the label's column, from the first data row.
    shape: Option<(usize, usize)>,
    features: Vec<f32>,
    labels: Vec<f32>,
    /// Whether the labels are names (`None` before the first data row).
    named: Option<bool>,
    /// Names in the order first seen, and each one's position there.
    names: Vec<Vec<u8>>,
    ids: HashMap<Vec<u8>, u32>,
    row: Vec<f32>,
}

impl Table<'_> {
    fn perr(&self, line: usize, msg: String) -> SboError {
        SboError::Parse {
            path: PathBuf::from(self.path),
            line,
            msg,
        }
    }

    fn push(&mut self, line: &[u8], lineno: usize) -> Result<()> {
        let width = width_of(line);
        let at = match self.shape {
            Some((_, at)) => Some(at),
            None => column_at(self.label_column, width),
        };
        let mut row = std::mem::take(&mut self.row);
        let split = split_row(line, at, &mut row);
        let label = match split {
            Err(field) => {
                return Err(self.perr(
                    lineno,
                    format!("field `{}` is not a finite number", show(field)),
                ))
            }
            Ok(label) => label,
        };
        match self.shape {
            Some((w, _)) if w != width => {
                return Err(self.perr(
                    lineno,
                    format!("row has {width} columns but the first data row has {w}"),
                ));
            }
            Some(_) => {}
            None => {
                let Some(at) = at else {
                    return Err(SboError::config(
                        "data.label_column",
                        format!(
                            "column {} is outside the {width} columns of {}",
                            self.label_column,
                            self.path.display()
                        ),
                    ));
                };
                self.shape = Some((width, at));
            }
        }
        // Inside the table's width, the label column is present.
        let label = read_label(label.unwrap_or_default());
        let value = match (label, self.named) {
            (Label::Bad(msg), _) => return Err(self.perr(lineno, msg)),
            (Label::Number(v), None | Some(false)) => {
                self.named = Some(false);
                v
            }
            (Label::Name(name), None | Some(true)) => {
                self.named = Some(true);
                self.intern(name, lineno)?
            }
            (Label::Number(v), Some(true)) => {
                return Err(self.perr(
                    lineno,
                    format!(
                        "label {v} is a number but the labels above are names: a label column \
                         holds numbers or names, not both (quote a name that reads as a number)"
                    ),
                ))
            }
            (Label::Name(name), Some(false)) => {
                return Err(self.perr(
                    lineno,
                    format!(
                        "label `{}` is not a number but the labels above are: a label column \
                         holds numbers or names, not both",
                        show(&name)
                    ),
                ))
            }
        };
        self.features.extend_from_slice(&row);
        self.labels.push(value);
        self.row = row;
        Ok(())
    }

    /// The first-seen position of `name`, refusing a name past [`MAX_CLASS_NAMES`].
    fn intern(&mut self, name: Vec<u8>, line: usize) -> Result<f32> {
        if let Some(&id) = self.ids.get(&name) {
            return Ok(id as f32);
        }
        if self.names.len() == MAX_CLASS_NAMES {
            return Err(SboError::TooManyClasses {
                path: PathBuf::from(self.path),
                line,
                count: MAX_CLASS_NAMES + 1,
                max: MAX_CLASS_NAMES,
            });
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.clone(), id);
        self.names.push(name);
        Ok(id as f32)
    }

    fn finish(mut self) -> Result<CsvTable> {
        let Some((w, _)) = self.shape else {
            return Err(SboError::EmptyData {
                path: PathBuf::from(self.path),
            });
        };
        let mut class_names = Vec::new();
        if !self.names.is_empty() {
            let mut order: Vec<usize> = (0..self.names.len()).collect();
            order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
            let mut rank = vec![0f32; order.len()];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r as f32;
            }
            for l in self.labels.iter_mut() {
                *l = rank[*l as usize];
            }
            class_names = order
                .iter()
                .map(|&i| String::from_utf8_lossy(&self.names[i]).into_owned())
                .collect();
        }
        Ok(CsvTable {
            data: Dataset::new(w - 1, self.features, self.labels)?,
            class_names,
        })
    }
}

/// Reads a CSV file (plain, `.bz2`, `.gz`); `label_column` (0-based, negative counts from
/// the end) holds the label, all other columns are features. With named labels, each label
/// is the index of its name in the sorted names, which only [`read_csv_table`] returns.
pub fn read_csv(path: &Path, label_column: i64) -> Result<Dataset> {
    read_csv_table(path, label_column).map(|t| t.data)
}

/// Reads a CSV file whose label column holds numbers or class names (see the module
/// documentation for the rules on names).
///
/// Header: the first non-blank line is a header when one of its feature fields is not a
/// number, when its label is neither a number nor a name (empty, `nan`), or when its label is
/// a name but the next non-blank line's label is a number (a header over a numeric table).
/// So a file with named labels and a header needs a header with a non-numeric feature field,
/// as any header of column names has; a first line such as `1,2,cat` followed by named
/// labels is data. The header's width is not checked.
///
/// Errors: [`SboError::Parse`] (file, 1-based line) for a feature field that is not a finite
/// number after the header, a label that is neither a number nor a name, a label column that
/// mixes numbers and names, or a row whose width differs from the first data row's;
/// [`SboError::TooManyClasses`] (file, line, count) for a name past [`MAX_CLASS_NAMES`];
/// [`SboError::Config`] (field `data.label_column`) when the label column lies outside the
/// table; [`SboError::EmptyData`] when no data row is present.
pub fn read_csv_table(path: &Path, label_column: i64) -> Result<CsvTable> {
    let mut reader = open_data_file(path)?;
    let mut table = Table {
        path,
        label_column,
        shape: None,
        features: Vec::new(),
        labels: Vec::new(),
        named: None,
        names: Vec::new(),
        ids: HashMap::new(),
        row: Vec::new(),
    };
    // Before the first data row: whether a first line was seen, and the first line when it
    // may be a header or data (`First::Either`), with its line number.
    let mut first_seen = false;
    let mut pending: Option<(Vec<u8>, usize)> = None;

    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut lineno = 0usize;
    while next_line(&mut *reader, &mut buf, path, lineno + 1)? {
        lineno += 1;
        let line = trim(&buf);
        if line.is_empty() {
            continue;
        }
        if !first_seen {
            first_seen = true;
            let mut row = std::mem::take(&mut table.row);
            let first = first_line(line, label_column, &mut row);
            table.row = row;
            match first {
                First::Header => continue,
                First::Data => {}
                First::Either => {
                    pending = Some((line.to_vec(), lineno));
                    continue;
                }
            }
        } else if let Some((first, at)) = pending.take() {
            if !label_is_number(line, label_column) {
                table.push(&first, at)?;
            }
        }
        table.push(line, lineno)?;
    }
    if let Some((first, at)) = pending {
        table.push(&first, at)?;
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn names(t: &CsvTable) -> Vec<&str> {
        t.class_names.iter().map(String::as_str).collect()
    }

    #[test]
    fn named_labels_are_sorted_and_indexed() {
        let dir = tempfile::tempdir().expect("dir");
        let p = write(
            dir.path(),
            "pets.csv",
            "1, 2 , dog\n3,4,cat\n\n5,6, bird \n7,8,cat\n",
        );
        let t = read_csv_table(&p, -1).expect("reads");
        assert_eq!(names(&t), ["bird", "cat", "dog"]);
        assert_eq!(t.data.labels, [2.0, 1.0, 0.0, 1.0]);
        assert_eq!(t.data.features, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(read_csv(&p, -1).expect("reads").labels, t.data.labels);
        // The label first; quoted names, a quoted number is a name, "" is a quote.
        let p = write(
            dir.path(),
            "quoted.csv",
            "\"b\"\"x\",1\n\"3\",2\n\"a b\",3\n",
        );
        let t = read_csv_table(&p, 0).expect("reads");
        assert_eq!(names(&t), ["3", "a b", "b\"x"]);
        assert_eq!(t.data.labels, [2.0, 0.0, 1.0]);
        // Byte order: upper case before lower case, "10" before "9".
        let p = write(
            dir.path(),
            "order.csv",
            "1,b\n2,B\n3,\"10\"\n4,\"9\"\n5,é\n",
        );
        let t = read_csv_table(&p, 1).expect("reads");
        assert_eq!(names(&t), ["10", "9", "B", "b", "é"]);
        // Numeric labels: no names, as before.
        let p = write(dir.path(), "num.csv", "1,2,0\n3,4,1\n");
        let t = read_csv_table(&p, -1).expect("reads");
        assert!(t.class_names.is_empty());
        assert_eq!(t.data.labels, [0.0, 1.0]);
    }

    #[test]
    fn a_header_is_told_from_a_named_first_row() {
        let dir = tempfile::tempdir().expect("dir");
        // Words over names: a header.
        let p = write(dir.path(), "h.csv", "x1,x2,species\n1,2,cat\n3,4,dog\n");
        let t = read_csv_table(&p, -1).expect("reads");
        assert_eq!((t.data.n, names(&t)), (2, vec!["cat", "dog"]));
        // A label-only name over numbers: a header over a numeric table.
        let p = write(dir.path(), "hn.csv", "1,2,label\n\n1,2,0\n3,4,1\n");
        let t = read_csv_table(&p, -1).expect("reads");
        assert!(t.class_names.is_empty());
        assert_eq!((t.data.n, t.data.labels.clone()), (2, vec![0.0, 1.0]));
        // ... of another width.
        let p = write(dir.path(), "hw.csv", "0,label\n1,2,0\n3,4,1\n");
        assert_eq!(read_csv(&p, -1).expect("reads").n, 2);
        // A numeric first row with a name, followed by names: data.
        let p = write(dir.path(), "d.csv", "1,2,cat\n3,4,dog\n");
        let t = read_csv_table(&p, -1).expect("reads");
        assert_eq!((t.data.n, names(&t)), (2, vec!["cat", "dog"]));
        // A one-row file with a name: data.
        let p = write(dir.path(), "one.csv", "1,2,cat\n");
        assert_eq!(read_csv_table(&p, -1).expect("reads").class_names, ["cat"]);
        // An empty or non-finite label on the first line: a header, as before.
        let p = write(dir.path(), "e.csv", "1,2,\n1,2,0\n");
        assert_eq!(read_csv(&p, -1).expect("reads").n, 1);
        let p = write(dir.path(), "nan.csv", "1,2,nan\n1,2,cat\n");
        assert_eq!(read_csv(&p, -1).expect("reads").n, 1);
        // A first line that is only a header of a width the label column misses.
        let p = write(dir.path(), "narrow.csv", "x\n1,2,cat\n");
        assert_eq!(read_csv(&p, 2).expect("reads").n, 1);
    }

    #[test]
    fn mixed_and_bad_labels_name_the_line() {
        let dir = tempfile::tempdir().expect("dir");
        let parse_line = |text: &str| match read_csv_table(&write(dir.path(), "m.csv", text), -1) {
            Err(SboError::Parse { line, msg, .. }) => (line, msg),
            other => panic!("expected a parse error, got {other:?}"),
        };
        let (line, msg) = parse_line("x,y\n1,cat\n2,dog\n3,4\n");
        assert_eq!(line, 4, "{msg}");
        assert!(msg.contains("numbers or names"), "{msg}");
        let (line, msg) = parse_line("1,0\n2,1\n3,NA\n");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("`NA`"), "{msg}");
        // Features stay numeric, whatever the labels.
        let (line, msg) = parse_line("1,cat\nx,dog\n");
        assert_eq!(line, 2, "{msg}");
        assert!(msg.contains("`x` is not a finite number"), "{msg}");
        // Neither numbers nor names.
        assert_eq!(parse_line("1,cat\n2,\n").0, 2);
        assert_eq!(parse_line("1,cat\n2,inf\n").0, 2);
        assert!(parse_line("1,cat\n2,\"dog\n").1.contains("quote"));
        assert!(parse_line("1,cat\n2,\"d\"og\"\n").1.contains("doubled"));
        let long = "n".repeat(MAX_NAME_BYTES + 1);
        assert!(parse_line(&format!("1,cat\n2,{long}\n"))
            .1
            .contains("longer"));
        let bad_utf8 = write(dir.path(), "u.csv", "1,cat\n");
        std::fs::write(&bad_utf8, b"1,cat\n2,d\xffg\n").expect("write");
        match read_csv_table(&bad_utf8, -1) {
            Err(SboError::Parse { line: 2, msg, .. }) => assert!(msg.contains("UTF-8"), "{msg}"),
            other => panic!("expected a parse error, got {other:?}"),
        }
        // Width is checked as before.
        assert!(parse_line("x,y,z\n1,2,cat\n3,4,dog,5\n")
            .1
            .contains("columns"));
    }

    #[test]
    fn too_many_names_are_refused_at_the_line_past_the_cap() {
        let dir = tempfile::tempdir().expect("dir");
        let mut text = String::from("x,label\n");
        for i in 0..MAX_CLASS_NAMES {
            text += &format!("{i},c{i}\n1,c0\n");
        }
        let p = write(dir.path(), "ok.csv", &text);
        assert_eq!(
            read_csv_table(&p, -1).expect("reads").class_names.len(),
            MAX_CLASS_NAMES
        );
        text += "0,one-too-many\n";
        let p = write(dir.path(), "many.csv", &text);
        match read_csv_table(&p, -1) {
            Err(e @ SboError::TooManyClasses { .. }) => {
                let SboError::TooManyClasses {
                    line, count, max, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!((line, count, max), (2 * MAX_CLASS_NAMES + 2, 257, 256));
            }
            other => panic!("expected TooManyClasses, got {other:?}"),
        }
    }
}
