//! LIBSVM and CSV readers, label mapping and seeded splits.
use sbo::data::csv::read_csv;
use sbo::data::libsvm::{map_labels_pm1, read_libsvm, read_libsvm_with, IndexBase};
use sbo::data::{file_rows, split, split_files, Dataset, SplitFiles, SplitSpec, ALL};
use sbo::SboError;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bz2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

const GOOD: &str = "# a comment line\n\
+1 1:0.5 3:-2\n\
\n\
-1 qid:7 2:1.25e1 4:3 # trailing comment\n\
1.0 4:-0.125\r\n\
-1.0\n\
0 3:7 1:2\n";

fn good_expected(d: usize) -> (Vec<f32>, Vec<f32>) {
    let rows: [&[(usize, f32)]; 5] = [
        &[(1, 0.5), (3, -2.0)],
        &[(2, 12.5), (4, 3.0)],
        &[(4, -0.125)],
        &[],
        &[(1, 2.0), (3, 7.0)],
    ];
    let mut f = vec![0.0f32; rows.len() * d];
    for (r, row) in rows.iter().enumerate() {
        for &(j, v) in row.iter() {
            f[r * d + j - 1] = v;
        }
    }
    (f, vec![1.0, -1.0, 1.0, -1.0, 0.0])
}

#[test]
fn libsvm_good_file_exact_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "good.txt", GOOD.as_bytes());

    let ds = read_libsvm(&p, None).unwrap();
    let (f, l) = good_expected(4);
    assert_eq!((ds.n, ds.d), (5, 4));
    assert_eq!(ds.features, f);
    assert_eq!(ds.labels, l);

    let ds6 = read_libsvm(&p, Some(6)).unwrap();
    let (f6, l6) = good_expected(6);
    assert_eq!((ds6.n, ds6.d), (5, 6));
    assert_eq!(ds6.features, f6);
    assert_eq!(ds6.labels, l6);
}

fn parse_error_at(content: &str, dim: Option<usize>, want_line: usize, want_in_msg: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad_file.svm", content.as_bytes());
    let err = read_libsvm(&p, dim).unwrap_err();
    match &err {
        SboError::Parse { path, line, .. } => {
            assert_eq!(path, &p);
            assert_eq!(*line, want_line, "{err}");
        }
        other => panic!("expected a Parse error, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("bad_file.svm"), "{shown}");
    assert!(shown.contains(&format!(":{want_line}:")), "{shown}");
    for w in want_in_msg {
        assert!(shown.contains(w), "`{shown}` should mention `{w}`");
    }
}

#[test]
fn libsvm_malformed_lines_name_file_and_line() {
    // bad token (no colon) on line 3
    parse_error_at("1 1:1\n\n-1 2:1 oops\n", None, 3, &["oops"]);
    // index 0 on line 2
    parse_error_at("1 1:1\n-1 0:1\n", None, 2, &["index 0"]);
    // non-numeric value on line 4
    parse_error_at("1 1:1\n# c\n1 2:1\n-1 2:abc\n", None, 4, &["abc"]);
    // non-numeric index on line 1
    parse_error_at("1 x:1\n", None, 1, &["x"]);
    // non-numeric label on line 2
    parse_error_at("1 1:1\nfoo 1:2\n", None, 2, &["foo"]);
    // index > dim on line 2, naming the index
    parse_error_at("1 1:1 3:1\n-1 2:1 5:1\n", Some(4), 2, &["5", "4"]);
    // NaN is not a number we accept
    parse_error_at("1 1:nan\n", None, 1, &["nan"]);
}

#[test]
fn libsvm_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("empty.svm", ""), ("only_comments.svm", "# x\n\n   \n")] {
        let p = write(dir.path(), name, content.as_bytes());
        match read_libsvm(&p, None) {
            Err(SboError::EmptyData { path }) => assert_eq!(path, p),
            other => panic!("expected EmptyData, got {other:?}"),
        }
    }
    match read_libsvm(&dir.path().join("missing.svm"), None) {
        Err(SboError::Io { .. }) => {}
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn libsvm_compressed_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let plain = read_libsvm(&write(dir.path(), "g.txt", GOOD.as_bytes()), Some(5)).unwrap();
    // Named for what they are, and mis-named: detection is by magic bytes.
    for (name, bytes) in [
        ("g.txt.gz", gz(GOOD.as_bytes())),
        ("g.txt.bz2", bz2(GOOD.as_bytes())),
        ("g_gzip.txt", gz(GOOD.as_bytes())),
        ("g_bzip.dat", bz2(GOOD.as_bytes())),
    ] {
        let p = write(dir.path(), name, &bytes);
        assert_eq!(read_libsvm(&p, Some(5)).unwrap(), plain, "{name}");
    }
    // A line error inside a compressed file still names the line.
    let p = write(dir.path(), "bad.bz2", &bz2(b"1 1:1\n1 1:1\n1 0:1\n"));
    match read_libsvm(&p, None) {
        Err(SboError::Parse { line: 3, .. }) => {}
        other => panic!("expected Parse at line 3, got {other:?}"),
    }
}

fn class_counts(ds: &Dataset) -> (usize, usize) {
    let pos = ds.labels.iter().filter(|&&l| l == 1.0).count();
    let neg = ds.labels.iter().filter(|&&l| l == -1.0).count();
    (pos, neg)
}

#[test]
fn shipped_ijcnn1() {
    let t = Instant::now();
    let trn = read_libsvm(&shipped("ijcnn1.trn.bz2"), None).unwrap();
    let t_trn = t.elapsed();
    assert_eq!((trn.n, trn.d), (49_990, 22));
    let (pos, neg) = class_counts(&trn);
    assert_eq!(pos + neg, trn.n, "labels are in {{-1, 1}}");
    assert!((0.09..0.105).contains(&(pos as f64 / trn.n as f64)));

    let t = Instant::now();
    let tst = read_libsvm(&shipped("ijcnn1.tst.bz2"), Some(22)).unwrap();
    let t_tst = t.elapsed();
    assert_eq!((tst.n, tst.d), (91_701, 22));
    let (pos, neg) = class_counts(&tst);
    assert_eq!(pos + neg, tst.n);
    eprintln!("ijcnn1: train read in {t_trn:?}, test read in {t_tst:?}");
}

#[test]
fn shipped_adult() {
    // The shipped adult files number their features from 0 (indices 0..=122; LIBSVM's a9a
    // shifted down by one), so a strict 1-based read stops at the first index 0.
    match read_libsvm(&shipped("adult.trn.bz2"), Some(123)) {
        Err(e @ SboError::Parse { line: 13, .. }) => {
            assert!(e.to_string().contains("index 0"), "{e}")
        }
        other => panic!("expected a Parse error at line 13, got {other:?}"),
    }

    let t = Instant::now();
    let trn = read_libsvm_with(&shipped("adult.trn.bz2"), Some(123), IndexBase::Zero).unwrap();
    let t_trn = t.elapsed();
    assert_eq!((trn.n, trn.d), (32_561, 123));
    let (pos, neg) = class_counts(&trn);
    assert_eq!(pos + neg, trn.n, "labels are in {{-1, 1}}");
    assert!((0.235..0.245).contains(&(pos as f64 / trn.n as f64)));
    // Binarised: every value is 0 or 1, and every row has 14 ones (one per attribute) but for
    // a few rows with missing attributes.
    assert!(trn.features.iter().all(|&v| v == 0.0 || v == 1.0));
    let ones = |i: usize| trn.row(i).iter().filter(|&&v| v == 1.0).count();
    assert_eq!(ones(0), 14);
    assert_eq!(trn.row(0)[2], 1.0); // first line: `-1 2:1 10:1 ...`
    assert!((0..trn.n).all(|i| ones(i) <= 14));

    let tst = read_libsvm_with(&shipped("adult.tst.bz2"), Some(123), IndexBase::Auto).unwrap();
    assert_eq!((tst.n, tst.d), (16_281, 123));
    let (pos, neg) = class_counts(&tst);
    assert_eq!(pos + neg, tst.n);
    assert!((0.231..0.241).contains(&(pos as f64 / tst.n as f64)));
    // Auto detects the 0-based numbering and agrees with Zero.
    let auto = read_libsvm_with(&shipped("adult.trn.bz2"), Some(123), IndexBase::Auto).unwrap();
    assert_eq!(auto, trn);
    eprintln!("adult: train read in {t_trn:?}");
}

#[test]
fn libsvm_zero_based_and_auto() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "zero.svm",
        b"1 0:1 2:3
-1 1:2
",
    );
    let z = read_libsvm_with(&p, None, IndexBase::Zero).unwrap();
    assert_eq!((z.n, z.d), (2, 3));
    assert_eq!(z.features, vec![1.0, 0.0, 3.0, 0.0, 2.0, 0.0]);
    assert_eq!(read_libsvm_with(&p, None, IndexBase::Auto).unwrap(), z);
    assert_eq!(read_libsvm_with(&p, Some(4), IndexBase::Zero).unwrap().d, 4);
    // 0-based: index 3 does not fit in 3 columns.
    let p2 = write(
        dir.path(),
        "zero2.svm",
        b"1 0:1
-1 3:2
",
    );
    for base in [IndexBase::Zero, IndexBase::Auto] {
        match read_libsvm_with(&p2, Some(3), base) {
            Err(SboError::Parse { line: 2, msg, .. }) => assert!(msg.contains('3'), "{msg}"),
            other => panic!("{base:?}: expected Parse at line 2, got {other:?}"),
        }
    }
    // Auto on a file without index 0 is 1-based.
    let p3 = write(dir.path(), "one.svm", GOOD.as_bytes());
    assert_eq!(
        read_libsvm_with(&p3, Some(4), IndexBase::Auto).unwrap(),
        read_libsvm(&p3, Some(4)).unwrap()
    );
    match read_libsvm_with(&p3, Some(3), IndexBase::Auto) {
        Err(SboError::Parse { line: 4, msg, .. }) => assert!(msg.contains('4'), "{msg}"),
        other => panic!("expected Parse at line 4, got {other:?}"),
    }
}

#[test]
fn csv_with_and_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let body = "1.5, 2, 0\n-3,4.25,1\n\n5,6,1\n";
    let expected_f = vec![1.5f32, 2.0, -3.0, 4.25, 5.0, 6.0];
    let expected_l = vec![0.0f32, 1.0, 1.0];

    let p = write(dir.path(), "no_header.csv", body.as_bytes());
    let ds = read_csv(&p, -1).unwrap();
    assert_eq!((ds.n, ds.d), (3, 2));
    assert_eq!(ds.features, expected_f);
    assert_eq!(ds.labels, expected_l);

    let p = write(
        dir.path(),
        "header.csv",
        format!("x1,x2,y\n{body}").as_bytes(),
    );
    let ds = read_csv(&p, 2).unwrap();
    assert_eq!(ds.features, expected_f);
    assert_eq!(ds.labels, expected_l);

    // Label in the first column.
    let ds0 = read_csv(&p, 0).unwrap();
    assert_eq!(ds0.labels, vec![1.5, -3.0, 5.0]);
    assert_eq!(ds0.features, vec![2.0, 0.0, 4.25, 1.0, 6.0, 1.0]);

    // Compressed, mis-named.
    let p = write(
        dir.path(),
        "h.csv",
        &gz(format!("a,b,c\n{body}").as_bytes()),
    );
    assert_eq!(read_csv(&p, -1).unwrap().features, expected_f);
    let p = write(dir.path(), "h2.csv", &bz2(body.as_bytes()));
    assert_eq!(read_csv(&p, -1).unwrap().labels, expected_l);
}

#[test]
fn csv_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "ragged.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8\n");
    let err = read_csv(&p, -1).unwrap_err();
    assert!(matches!(err, SboError::Parse { line: 4, .. }), "{err:?}");
    assert!(err.to_string().contains("ragged.csv:4:"), "{err}");

    let p = write(dir.path(), "nonnum.csv", b"1,2,3\n4,x,6\n");
    let err = read_csv(&p, -1).unwrap_err();
    assert!(matches!(err, SboError::Parse { line: 2, .. }), "{err:?}");

    let p = write(dir.path(), "only_header.csv", b"a,b,c\n");
    assert!(matches!(read_csv(&p, 0), Err(SboError::EmptyData { .. })));

    let p = write(dir.path(), "ok.csv", b"1,2,3\n");
    assert!(matches!(read_csv(&p, 3), Err(SboError::Config { .. })));
    assert!(matches!(read_csv(&p, -4), Err(SboError::Config { .. })));
}

fn labelled(labels: Vec<f32>) -> Dataset {
    let n = labels.len();
    Dataset::new(1, vec![0.0; n], labels).unwrap()
}

#[test]
fn map_labels() {
    let mut ds = labelled(vec![0.0, 1.0, 1.0, 0.0]);
    map_labels_pm1(&mut ds, "data.train").unwrap();
    assert_eq!(ds.labels, vec![-1.0, 1.0, 1.0, -1.0]);

    let mut ds = labelled(vec![2.0, 4.0, 4.0]);
    map_labels_pm1(&mut ds, "data.train").unwrap();
    assert_eq!(ds.labels, vec![-1.0, 1.0, 1.0]);

    let mut ds = labelled(vec![-1.0, 1.0]);
    map_labels_pm1(&mut ds, "x").unwrap();
    assert_eq!(ds.labels, vec![-1.0, 1.0]);

    let mut ds = labelled(vec![1.0, 1.0]);
    map_labels_pm1(&mut ds, "x").unwrap();
    assert_eq!(ds.labels, vec![1.0, 1.0]);
    let mut ds = labelled(vec![0.0]);
    map_labels_pm1(&mut ds, "x").unwrap();
    assert_eq!(ds.labels, vec![-1.0]);

    let mut ds = labelled(vec![0.0, 1.0, 2.0, 1.0]);
    let err = map_labels_pm1(&mut ds, "data.train").unwrap_err();
    assert!(matches!(err, SboError::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("data.train"), "{err}");
}

/// Row i is (i, -i), label i: every row is distinct and identifies itself.
fn numbered(n: usize, offset: usize) -> Dataset {
    let mut f = Vec::with_capacity(2 * n);
    for i in 0..n {
        f.push((i + offset) as f32);
        f.push(-((i + offset) as f32));
    }
    Dataset::new(2, f, (0..n).map(|i| (i + offset) as f32).collect()).unwrap()
}

fn ids(ds: &Dataset) -> Vec<usize> {
    (0..ds.n)
        .map(|i| {
            let r = ds.row(i);
            assert_eq!(r[0], -r[1]);
            assert_eq!(r[0], ds.labels[i]);
            r[0] as usize
        })
        .collect()
}

fn spec(seed: u64, n_test: Option<usize>) -> SplitSpec {
    SplitSpec {
        n_lower: 40,
        n_upper: 25,
        n_test,
        n_pool: 10,
        seed,
    }
}

#[test]
fn split_deterministic_and_disjoint() {
    let train = numbered(100, 0);
    let a = split(&train, None, &spec(7, None)).unwrap();
    let b = split(&train, None, &spec(7, None)).unwrap();
    assert_eq!(a.lower, b.lower);
    assert_eq!(a.upper, b.upper);
    assert_eq!(a.test, b.test);
    assert_eq!(a.pool, b.pool);
    let c = split(&train, None, &spec(8, None)).unwrap();
    assert_ne!(ids(&a.lower), ids(&c.lower));

    assert_eq!((a.lower.n, a.upper.n, a.pool.n, a.test.n), (40, 25, 10, 25));
    let mut all: Vec<usize> = Vec::new();
    for part in [&a.lower, &a.upper, &a.pool, &a.test] {
        all.extend(ids(part));
    }
    let set: HashSet<usize> = all.iter().copied().collect();
    assert_eq!(set.len(), 100, "parts overlap");
    assert_eq!(set, (0..100).collect::<HashSet<_>>());
    // It is a shuffle, not the identity.
    assert_ne!(ids(&a.lower), (0..40).collect::<Vec<_>>());

    // Explicit n_test from the training file.
    let d = split(&train, None, &spec(7, Some(5))).unwrap();
    assert_eq!(d.test.n, 5);
    assert_eq!(ids(&d.lower), ids(&a.lower));
    let used: HashSet<usize> = [&d.lower, &d.upper, &d.pool]
        .iter()
        .flat_map(|p| ids(p))
        .collect();
    assert!(ids(&d.test).iter().all(|i| !used.contains(i)));
}

#[test]
fn split_with_test_file() {
    let train = numbered(100, 0);
    let test = numbered(50, 1000);
    let a = split(&train, Some(&test), &spec(3, None)).unwrap();
    assert_eq!(a.test, test);
    let b = split(&train, Some(&test), &spec(3, Some(20))).unwrap();
    let c = split(&train, Some(&test), &spec(3, Some(20))).unwrap();
    assert_eq!(b.test, c.test);
    let t = ids(&b.test);
    assert_eq!(t.len(), 20);
    assert!(t.iter().all(|&i| (1000..1050).contains(&i)));
    assert_eq!(t.iter().collect::<HashSet<_>>().len(), 20);

    let wide = Dataset::new(3, vec![0.0; 3], vec![1.0]).unwrap();
    assert!(matches!(
        split(&train, Some(&wide), &spec(3, None)),
        Err(SboError::Dimension { .. })
    ));
}

#[test]
fn split_not_enough_samples() {
    let train = numbered(100, 0);
    let cases = [
        (
            SplitSpec {
                n_lower: 101,
                ..spec(1, None)
            },
            "lower set",
        ),
        (
            SplitSpec {
                n_upper: 61,
                ..spec(1, None)
            },
            "upper set",
        ),
        (
            SplitSpec {
                n_pool: 36,
                ..spec(1, None)
            },
            "replacement pool",
        ),
        (
            SplitSpec {
                n_pool: 35,
                ..spec(1, None)
            },
            "test set",
        ),
        (spec(1, Some(26)), "test set"),
    ];
    for (s, part) in cases {
        match split(&train, None, &s) {
            Err(e @ SboError::NotEnoughSamples { .. }) => {
                assert!(e.to_string().starts_with(part), "{e} should name {part}")
            }
            other => panic!("{s:?}: expected NotEnoughSamples, got {other:?}"),
        }
    }
    assert!(split(&train, None, &spec(1, Some(25))).is_ok());
    let test = numbered(10, 1000);
    match split(&train, Some(&test), &spec(1, Some(11))) {
        Err(e @ SboError::NotEnoughSamples { .. }) => assert!(e.to_string().contains("test")),
        other => panic!("expected NotEnoughSamples, got {other:?}"),
    }
}

#[test]
fn each_part_may_come_from_its_own_file() {
    let train = numbered(100, 0);
    let test = numbered(30, 1000);
    let validation = numbered(50, 2000);
    let pool = numbered(20, 3000);
    let files = SplitFiles {
        train: &train,
        test: Some(&test),
        validation: Some(&validation),
        pool: Some(&pool),
    };
    // benchopt's shape: the whole training file lower, a whole file for validation.
    let all = SplitSpec {
        n_lower: ALL,
        n_upper: ALL,
        n_test: None,
        n_pool: ALL,
        seed: 4,
    };
    let s = split_files(&files, &all).unwrap();
    let mut lower = ids(&s.lower);
    lower.sort_unstable();
    assert_eq!(
        lower,
        (0..100).collect::<Vec<_>>(),
        "every training row, shuffled"
    );
    assert_eq!(
        s.upper, validation,
        "all of the validation file, in file order"
    );
    assert_eq!(s.pool, pool);
    assert_eq!(s.test, test);

    // A number of rows from a file of its own: the first k of that file's permutation (its
    // own ChaCha stream), so a different subset for another seed.
    let some = SplitSpec {
        n_lower: 60,
        n_upper: 10,
        n_test: Some(5),
        n_pool: 7,
        seed: 4,
    };
    let a = split_files(&files, &some).unwrap();
    assert_eq!((a.lower.n, a.upper.n, a.test.n, a.pool.n), (60, 10, 5, 7));
    assert!(ids(&a.upper).iter().all(|i| (2000..2050).contains(i)));
    assert!(ids(&a.pool).iter().all(|i| (3000..3020).contains(i)));
    assert_eq!(ids(&a.upper).iter().collect::<HashSet<_>>().len(), 10);
    let b = split_files(
        &files,
        &SplitSpec {
            seed: 5,
            ..some.clone()
        },
    )
    .unwrap();
    assert_ne!(ids(&a.upper), ids(&b.upper));
    // The training file gives only the lower set: its rows are the same as without the files.
    let alone = split(&train, None, &spec(4, Some(0))).unwrap();
    assert_eq!(ids(&a.lower)[..40], ids(&alone.lower)[..]);

    // The row maps index one table: train, test, validation, pool.
    let maps = file_rows(&files.rows(), &some).unwrap();
    assert!(maps.upper.iter().all(|&r| (130..180).contains(&r)));
    assert!(maps.pool.iter().all(|&r| (180..200).contains(&r)));
    assert!(maps.test.iter().all(|&r| (100..130).contains(&r)));
}

#[test]
fn all_without_a_file_of_its_own_is_refused_by_name() {
    let train = numbered(100, 0);
    let field = |s: SplitSpec| match split(&train, None, &s) {
        Err(SboError::Config { field, .. }) => field,
        other => panic!("{s:?}: expected a config error, got {other:?}"),
    };
    assert_eq!(
        field(SplitSpec {
            n_upper: ALL,
            ..spec(1, None)
        }),
        "data.n_upper"
    );
    assert_eq!(
        field(SplitSpec {
            n_pool: ALL,
            ..spec(1, None)
        }),
        "data.n_pool"
    );
    assert_eq!(
        field(SplitSpec {
            n_lower: ALL,
            ..spec(1, None)
        }),
        "data.n_lower",
        "the test set would take the training file's rest too"
    );
    // With n_test given, the lower set takes what the other parts leave.
    let s = split(
        &train,
        None,
        &SplitSpec {
            n_lower: ALL,
            ..spec(1, Some(5))
        },
    )
    .unwrap();
    assert_eq!(s.lower.n, 100 - 25 - 10 - 5);
    let wide = Dataset::new(3, vec![0.0; 3], vec![1.0]).unwrap();
    let files = SplitFiles {
        validation: Some(&wide),
        ..SplitFiles::default_for(&train)
    };
    match split_files(&files, &spec(1, None)) {
        Err(e @ SboError::Dimension { .. }) => {
            assert!(e.to_string().contains("data.validation"), "{e}")
        }
        other => panic!("expected a dimension error, got {other:?}"),
    }
}

/// Every file maps a label as the training file does: a validation file holding one class
/// keeps that class's sign, and a label the training file does not have is refused by name.
#[test]
fn other_files_map_labels_by_the_training_classes() {
    use sbo::data::libsvm::{label_classes, map_labels_to};
    let train = Dataset::new(1, vec![0.0; 4], vec![1.0, 2.0, 2.0, 1.0]).unwrap();
    let classes = label_classes(&train, "data.train").unwrap();
    let mut only_low = Dataset::new(1, vec![0.0; 2], vec![1.0, 1.0]).unwrap();
    map_labels_to(&mut only_low, &classes, "data.validation").unwrap();
    assert_eq!(
        only_low.labels,
        [-1.0, -1.0],
        "1 is the lower class of {{1, 2}}"
    );
    let mut foreign = Dataset::new(1, vec![0.0; 2], vec![1.0, 3.0]).unwrap();
    match map_labels_to(&mut foreign, &classes, "data.validation") {
        Err(SboError::Config { field, msg }) => {
            assert_eq!(field, "data.validation");
            assert!(msg.contains('3'), "{msg}");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}
