//! IDX reader (the format of the MNIST database): an images file and its labels file, plain or
//! gzip compressed.
//!
//! IDX is binary: a big-endian header (a magic number giving the element type and the number of
//! dimensions, then one u32 per dimension), then the raw values in row-major order. MNIST keeps
//! images (`idx3`: count x rows x cols unsigned bytes, magic 2051) and labels (`idx1`: count
//! unsigned bytes, magic 2049) in two files. A configuration names only the images file
//! (`data.train`, as for the one-file text formats); the labels file is found beside it by the
//! MNIST naming convention (`images-idx3` -> `labels-idx1`, see [`labels_path`]), so the pair
//! cannot be mismatched by a second path.
//!
//! A binary file has no line structure to catch a mistake: a wrong, truncated or padded file
//! would read as silently shifted pixels or labels. So the reader checks both magic numbers,
//! that the two counts agree, and that each file holds exactly the bytes its header promises;
//! and it refuses a header that asks for more memory than the run may use before allocating
//! anything (a corrupt header could otherwise ask for terabytes). Errors are
//! [`SboError::Parse`] with line 0 (a binary file has no lines) and the byte offset in the
//! message (of the decompressed bytes, for a gzip file).
//!
//! Pixels are scaled to [0, 1] (value / 255), so that features are on the scale of the other
//! datasets' and step sizes carry over; the `rows * cols` pixels of an image are its features,
//! row-major. Labels are kept as written (0-9 for MNIST), as f32: which classes a problem uses
//! is the problem's business, not the reader's.
use crate::data::libsvm::open_data_file;
use crate::data::Dataset;
use crate::error::{Result, SboError};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// IDX magic of an images file: unsigned bytes (0x08), 3 dimensions.
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// IDX magic of a labels file: unsigned bytes (0x08), 1 dimension.
const LABELS_MAGIC: u32 = 0x0000_0801;

/// The part of an images file's name that [`labels_path`] replaces, and its replacement.
const IMAGES_TAG: &str = "images-idx3";
const LABELS_TAG: &str = "labels-idx1";

/// Bytes read at a time from a file's body: pixels are converted as they arrive, so the raw
/// bytes are never held whole next to the f32 matrix.
const CHUNK: usize = 1 << 20;

/// The labels file beside `images`: its file name with `images-idx3` replaced by
/// `labels-idx1` (MNIST's `t10k-images-idx3-ubyte.gz` -> `t10k-labels-idx1-ubyte.gz`).
/// A name without `images-idx3` is a [`SboError::Config`] error on `data.train` that states
/// the convention, since the configuration has no other way to name the labels.
pub fn labels_path(images: &Path) -> Result<PathBuf> {
    let name = images.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(IMAGES_TAG) {
        return Err(SboError::config(
            "data.train",
            format!(
                "{}: an IDX images file's name must contain `{IMAGES_TAG}`: its labels file is \
                 the file beside it with `{IMAGES_TAG}` replaced by `{LABELS_TAG}` (as MNIST \
                 names them: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz)",
                images.display()
            ),
        ));
    }
    Ok(images.with_file_name(name.replace(IMAGES_TAG, LABELS_TAG)))
}

/// Reads an IDX images file and the labels file beside it ([`labels_path`]), each plain or
/// gzip compressed (detected from the first bytes). Returns `n` rows of `rows * cols`
/// features (pixel / 255, row-major) with labels as written.
///
/// Errors: [`SboError::Config`] for an images file name without `images-idx3`;
/// [`SboError::Io`] for a file that cannot be read (a missing labels file names the path
/// looked for); [`SboError::Parse`] (line 0, byte offset in the message) for a wrong magic
/// number, counts that differ between the files, a zero image dimension, a header asking for
/// more memory than [`crate::machine::memory_budget`], or a file shorter or longer than its
/// header says; [`SboError::EmptyData`] for zero images.
pub fn read_idx(images: &Path) -> Result<Dataset> {
    let labels = labels_path(images)?;
    let mut img = open_data_file(images)?;
    let dims = read_header(&mut *img, images, IMAGES_MAGIC, 3)?;
    let mut lab = open_data_file(&labels)?;
    let label_dims = read_header(&mut *lab, &labels, LABELS_MAGIC, 1)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    check_counts(images, n, &labels, label_dims[0])?;
    let d = check_image_size(images, n, rows, cols)?;
    let features = read_pixels(&mut *img, images, n * d)?;
    let labels = read_labels(&mut *lab, &labels, n)?;
    Dataset::new(d, features, labels)
}

/// A format error in a binary file: line 0, the offset goes in the message.
fn format_err(path: &Path, msg: String) -> SboError {
    SboError::Parse {
        path: PathBuf::from(path),
        line: 0,
        msg,
    }
}

/// Fills `buf` from `reader` until it is full or the file ends; returns the bytes read (fewer
/// than `buf.len()` only at the end of the file), so truncation can be reported by offset.
fn read_full(reader: &mut dyn BufRead, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// What a magic number says a file is, for error messages.
fn describe_magic(magic: u32) -> &'static str {
    match magic {
        IMAGES_MAGIC => "an IDX images file",
        LABELS_MAGIC => "an IDX labels file",
        _ => "an unknown format",
    }
}

/// Reads an IDX header: checks the magic number against `magic` and returns the `ndims`
/// dimensions that follow it (as usize; a u32 always fits on the targets sbo builds for).
fn read_header(
    reader: &mut dyn BufRead,
    path: &Path,
    magic: u32,
    ndims: usize,
) -> Result<Vec<usize>> {
    let len = 4 * (1 + ndims);
    let mut buf = vec![0u8; len];
    let got = read_full(reader, &mut buf).map_err(|e| SboError::io(path, e))?;
    let words: Vec<u32> = buf
        .chunks_exact(4)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    let found = words[0];
    if got >= 4 && found != magic {
        return Err(format_err(
            path,
            format!(
                "byte offset 0: magic number {found:#010x} ({found}: {}), expected \
                 {magic:#010x} ({magic}: {})",
                describe_magic(found),
                describe_magic(magic),
            ),
        ));
    }
    if got < len {
        return Err(format_err(
            path,
            format!("byte offset {got}: the file ends inside its {len}-byte IDX header"),
        ));
    }
    Ok(words[1..].iter().map(|&w| w as usize).collect())
}

/// An images file and its labels file must describe the same samples.
fn check_counts(images: &Path, n: usize, labels: &Path, n_labels: usize) -> Result<()> {
    if n == n_labels {
        return Ok(());
    }
    Err(format_err(
        images,
        format!(
            "byte offset 4: the header holds {n} images but the labels file {} holds \
             {n_labels} labels",
            labels.display()
        ),
    ))
}

/// Checks the image dimensions and that `n` images fit in the memory budget as f32; returns
/// the features per image (`rows * cols`). Checked from the header alone, before allocating.
fn check_image_size(path: &Path, n: usize, rows: usize, cols: usize) -> Result<usize> {
    if n == 0 {
        return Err(SboError::EmptyData {
            path: PathBuf::from(path),
        });
    }
    if rows == 0 || cols == 0 {
        return Err(format_err(
            path,
            format!("byte offset 8: images of {rows} x {cols} pixels hold no feature"),
        ));
    }
    let budget = crate::machine::memory_budget();
    let bytes = n as u128 * rows as u128 * cols as u128 * 4;
    let d = rows
        .checked_mul(cols)
        .filter(|d| n.checked_mul(*d).is_some() && bytes <= budget as u128);
    let Some(d) = d else {
        return Err(format_err(
            path,
            format!(
                "byte offset 4: {n} images of {rows} x {cols} pixels would take {} as f32, \
                 more than the {} this run may use (SBO_MEMORY_LIMIT or half the available \
                 memory): a corrupt header, or a dataset too large for this machine",
                crate::machine::human_bytes(bytes as f64),
                crate::machine::human_bytes(budget as f64)
            ),
        ));
    };
    Ok(d)
}

/// Streams exactly `len` body bytes after a `header`-byte header into `sink`, chunk by chunk,
/// then checks that the file ends there: a short file and trailing bytes are both errors.
fn read_body(
    reader: &mut dyn BufRead,
    path: &Path,
    header: usize,
    len: usize,
    mut sink: impl FnMut(&[u8]),
) -> Result<()> {
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0;
    while done < len {
        let want = (len - done).min(buf.len());
        let got = read_full(reader, &mut buf[..want]).map_err(|e| SboError::io(path, e))?;
        sink(&buf[..got]);
        done += got;
        if got < want {
            return Err(format_err(
                path,
                format!(
                    "byte offset {}: the file is truncated: its header promises {len} bytes \
                     of data after the {header}-byte header, the file ends after {done} of them",
                    header + done
                ),
            ));
        }
    }
    let more = reader.fill_buf().map_err(|e| SboError::io(path, e))?;
    if !more.is_empty() {
        return Err(format_err(
            path,
            format!(
                "byte offset {}: the file goes on where its header says it ends ({len} bytes \
                 of data after the {header}-byte header): trailing bytes or a wrong header",
                header + len
            ),
        ));
    }
    Ok(())
}

/// Reads `total` pixels, scaled to [0, 1].
fn read_pixels(reader: &mut dyn BufRead, path: &Path, total: usize) -> Result<Vec<f32>> {
    let mut features = Vec::with_capacity(total);
    read_body(reader, path, 16, total, |chunk| {
        features.extend(chunk.iter().map(|&b| f32::from(b) / 255.0))
    })?;
    Ok(features)
}

/// Reads `n` labels, kept as written.
fn read_labels(reader: &mut dyn BufRead, path: &Path, n: usize) -> Result<Vec<f32>> {
    let mut labels = Vec::with_capacity(n);
    read_body(reader, path, 8, n, |chunk| {
        labels.extend(chunk.iter().map(|&b| f32::from(b)))
    })?;
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    /// A fresh directory for one test (tests run in parallel in one process).
    fn test_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sbo-idx-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn images_bytes(magic: u32, dims: [u32; 3], pixels: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(pixels);
        v
    }

    fn labels_bytes(magic: u32, n: u32, labels: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        v.extend_from_slice(&n.to_be_bytes());
        v.extend_from_slice(labels);
        v
    }

    fn write(path: &Path, bytes: &[u8], gzip: bool) {
        if gzip {
            let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(bytes).unwrap();
            std::fs::write(path, enc.finish().unwrap()).unwrap();
        } else {
            std::fs::write(path, bytes).unwrap();
        }
    }

    const PIXELS: [u8; 12] = [0, 1, 2, 255, 128, 64, 32, 16, 254, 100, 7, 3];
    const LABELS: [u8; 3] = [7, 0, 9];

    /// Writes a pair of files in `dir` (images named `x-images-idx3-ubyte[.gz]`) and returns
    /// the images path.
    fn write_pair(dir: &Path, images: &[u8], labels: &[u8], gzip: bool) -> PathBuf {
        let ext = if gzip { ".gz" } else { "" };
        let img = dir.join(format!("x-images-idx3-ubyte{ext}"));
        write(&img, images, gzip);
        write(&dir.join(format!("x-labels-idx1-ubyte{ext}")), labels, gzip);
        img
    }

    fn good_pair(dir: &Path, gzip: bool) -> PathBuf {
        write_pair(
            dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            gzip,
        )
    }

    fn check_known_answer(data: &Dataset) {
        assert_eq!((data.n, data.d), (3, 4));
        let want: Vec<f32> = PIXELS.iter().map(|&b| b as f32 / 255.0).collect();
        assert_eq!(data.features, want);
        assert_eq!(data.labels, vec![7.0, 0.0, 9.0]);
        assert_eq!(data.row(0)[3], 1.0);
        assert_eq!(data.row(1), &want[4..8]);
    }

    #[test]
    fn reads_plain_known_answer() {
        let dir = test_dir("plain");
        let data = read_idx(&good_pair(&dir, false)).unwrap();
        check_known_answer(&data);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_gzip_known_answer() {
        let dir = test_dir("gzip");
        let data = read_idx(&good_pair(&dir, true)).unwrap();
        check_known_answer(&data);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn labels_path_replaces_tag_beside_images() {
        let p = Path::new("data/t10k-images-idx3-ubyte.gz");
        assert_eq!(
            labels_path(p).unwrap(),
            Path::new("data/t10k-labels-idx1-ubyte.gz")
        );
    }

    #[test]
    fn name_without_images_idx3_errors() {
        let err = read_idx(Path::new("data/mnist-test.gz")).unwrap_err();
        assert!(matches!(err, SboError::Config { ref field, .. } if field == "data.train"));
        let msg = err.to_string();
        assert!(
            msg.contains("mnist-test.gz") && msg.contains("labels-idx1"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_images_magic_names_file() {
        let dir = test_dir("magic-img");
        let img = write_pair(
            &dir,
            &images_bytes(LABELS_MAGIC, [3, 2, 2], &PIXELS),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            false,
        );
        let err = read_idx(&img).unwrap_err();
        assert!(matches!(err, SboError::Parse { ref path, .. } if *path == img));
        let msg = err.to_string();
        assert!(
            msg.contains("x-images-idx3-ubyte") && msg.contains("2049"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn wrong_labels_magic_names_file() {
        let dir = test_dir("magic-lab");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS),
            &labels_bytes(0xdead_beef, 3, &LABELS),
            true,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(msg.contains("x-labels-idx1-ubyte.gz"), "{msg}");
        assert!(msg.contains("0xdeadbeef"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let dir = test_dir("count");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS),
            &labels_bytes(LABELS_MAGIC, 2, &LABELS[..2]),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(msg.contains("x-images-idx3-ubyte"), "{msg}");
        assert!(msg.contains("x-labels-idx1-ubyte"), "{msg}");
        assert!(
            msg.contains("3 images") && msg.contains("2 labels"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn truncated_images_errors() {
        let dir = test_dir("trunc");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS[..10]),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            true,
        );
        let err = read_idx(&img).unwrap_err();
        assert!(matches!(err, SboError::Parse { ref path, .. } if *path == img));
        let msg = err.to_string();
        assert!(
            msg.contains("truncated") && msg.contains("byte offset 26"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn truncated_header_errors() {
        let dir = test_dir("trunc-head");
        let full = images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS);
        let img = write_pair(
            &dir,
            &full[..9],
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(
            msg.contains("x-images-idx3-ubyte") && msg.contains("header"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn truncated_labels_errors() {
        let dir = test_dir("trunc-lab");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS[..2]),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(
            msg.contains("x-labels-idx1-ubyte") && msg.contains("truncated"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn trailing_bytes_error() {
        let dir = test_dir("trailing");
        let mut pixels = PIXELS.to_vec();
        pixels.push(42);
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 2, 2], &pixels),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(
            msg.contains("x-images-idx3-ubyte") && msg.contains("trailing"),
            "{msg}"
        );
        assert!(msg.contains("byte offset 28"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_labels_file_names_path() {
        let dir = test_dir("missing");
        let img = dir.join("x-images-idx3-ubyte");
        write(&img, &images_bytes(IMAGES_MAGIC, [3, 2, 2], &PIXELS), false);
        let err = read_idx(&img).unwrap_err();
        let want = dir.join("x-labels-idx1-ubyte");
        assert!(matches!(err, SboError::Io { ref path, .. } if *path == want));
        assert!(err.to_string().contains("x-labels-idx1-ubyte"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn zero_images_is_empty_data() {
        let dir = test_dir("empty");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [0, 2, 2], &[]),
            &labels_bytes(LABELS_MAGIC, 0, &[]),
            false,
        );
        let err = read_idx(&img).unwrap_err();
        assert!(matches!(err, SboError::EmptyData { ref path } if *path == img));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn zero_image_dimension_errors() {
        let dir = test_dir("zero-dim");
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [3, 0, 2], &[]),
            &labels_bytes(LABELS_MAGIC, 3, &LABELS),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(msg.contains("0 x 2"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A corrupt header asking for ~2^96 bytes is refused from the header alone (the file
    /// holds no pixels, so reading them first would report truncation instead).
    #[test]
    fn huge_header_refused_before_allocating() {
        let dir = test_dir("huge");
        let max = u32::MAX;
        let img = write_pair(
            &dir,
            &images_bytes(IMAGES_MAGIC, [max, max, max], &[]),
            &labels_bytes(LABELS_MAGIC, max, &[]),
            false,
        );
        let msg = read_idx(&img).unwrap_err().to_string();
        assert!(msg.contains("this run may use"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The shipped MNIST test set: the known counts and first label.
    #[test]
    fn reads_shipped_mnist_test_set() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/t10k-images-idx3-ubyte.gz");
        let data = read_idx(&path).unwrap();
        assert_eq!((data.n, data.d), (10_000, 784));
        let mut counts = [0usize; 10];
        for &l in &data.labels {
            assert!(l == l.trunc() && (0.0..=9.0).contains(&l), "label {l}");
            counts[l as usize] += 1;
        }
        assert_eq!(
            counts,
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
        );
        assert!(data.features.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(data.features.contains(&1.0));
        assert_eq!(data.labels[0], 7.0);
    }
}
