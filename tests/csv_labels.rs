//! CSV files whose label column holds class names (`cat`, `dog`) rather than numbers, end to
//! end: the names of every file of a problem become one set of classes, the run records which
//! name is which class (summary.json's `data.class_names`, the resolved config's
//! `data.class_names`), the multinomial and the logistic loss run on them, and what cannot be
//! meant is refused by field.

mod common;
use common::Gen;
use sbo::cpu::CpuEngine;
use sbo::run::{run_plan, EngineChoice};
use sbo::rundir;
use sbo::sweep::{Plan, Study, SweepConfig};
use std::path::Path;

/// `n` rows `x0,x1,label` (with a header); class k of `names` sits around x0 = 2k - 1.
fn write_named(path: &Path, g: &mut Gen, n: usize, names: &[(&str, usize)]) {
    let mut text = String::from("x0, x1, species\n");
    for i in 0..n {
        let (name, k) = names[i % names.len()];
        text += &format!(
            "{:.3}, {:.3}, {name}\n",
            2.0 * k as f64 - 1.0 + g.unif(-0.3, 0.3),
            g.unif(-1.0, 1.0)
        );
    }
    std::fs::write(path, text).expect("write");
}

fn config(dir: &Path, loss: &str, files: &str, extra: &str) -> SweepConfig {
    let files = files.replace("DIR", &dir.display().to_string());
    SweepConfig::from_toml(&format!(
        r#"
name = "named-labels"
[problem]
loss = "{loss}"
coupling = "prior"
mu = 0.1
[data]
kind = "csv"
{files}
{extra}
[run]
backend = "cpu"
steps = 40
log_every = 20
seeds = 1
neighbours = 1
[[algo]]
name = "ssgd"
alpha = 0.5
beta = 0.5
batch = 16
"#
    ))
    .expect("config")
}

fn expect_config_error(c: &SweepConfig, field: &str) -> String {
    match Study::prepare(c, None) {
        Err(sbo::SboError::Config { field: f, msg }) => {
            assert_eq!(f, field, "{msg}");
            msg
        }
        other => panic!("expected a {field} error, got {:?}", other.map(|_| ())),
    }
}

/// Three files holding different subsets of the names: the classes are the sorted names of
/// all of them, every file maps a name alike, and the run directory says which is which.
#[test]
fn named_classes_run_end_to_end_and_are_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    let mut g = Gen(11);
    // Classes by position: bird 0, cat 1, dog 2, emu 3.
    write_named(
        &dir.path().join("train.csv"),
        &mut g,
        300,
        &[("dog", 2), ("cat", 1), ("bird", 0)],
    );
    write_named(
        &dir.path().join("val.csv"),
        &mut g,
        60,
        &[("cat", 1), ("dog", 2)],
    );
    write_named(
        &dir.path().join("test.csv"),
        &mut g,
        40,
        &[("emu", 3), ("bird", 0)],
    );
    let files = r#"train = "DIR/train.csv"
validation = "DIR/val.csv"
test = "DIR/test.csv"
n_lower = 200
n_upper = "all"
n_pool = 20"#;
    let c = config(dir.path(), "multinomial", files, "");
    let study = Study::prepare(&c, None).expect("prepare");
    assert_eq!(study.data.class_names, ["bird", "cat", "dog", "emu"]);
    assert_eq!(study.data.classes, [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(study.spec.classes, 4);
    assert_eq!(
        study.config.data.class_names.as_deref(),
        Some(&study.data.class_names[..]),
        "the resolved config records the names"
    );
    // Each row's class is the one its x0 was drawn around, whichever file it came from.
    let sets = study.data.sets(0).expect("sets");
    for (what, set) in [
        ("lower", sets.lower.to_dataset()),
        ("upper", sets.upper.to_dataset()),
        ("test", sets.test.to_dataset()),
    ] {
        for i in 0..set.n {
            let k = ((set.row(i)[0] + 1.0) / 2.0).round();
            assert_eq!(set.label(i), k, "{what} row {i}");
        }
    }
    let upper = sets.upper.to_dataset();
    assert!(upper.labels.iter().all(|&l| l == 1.0 || l == 2.0));

    // Through the run directory.
    let out = tempfile::tempdir().expect("out");
    let plan = Plan::prepare(&c, None).expect("plan");
    rundir::start_run_dir(out.path(), &plan).expect("start");
    let choice = EngineChoice {
        engine: Box::new(CpuEngine),
        fallback: None,
        reason: String::new(),
    };
    let run = run_plan(&plan, &choice, &Default::default());
    assert!(run.failure.is_none(), "{:?}", run.failure.map(|f| f.error));
    assert_eq!(run.result.diverged(), 0);
    rundir::finish_run_dir(out.path(), &plan, &run.result).expect("finish");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("summary.json")).expect("summary.json"),
    )
    .expect("json");
    assert_eq!(summary["complete"], true);
    assert_eq!(
        summary["data"]["class_names"],
        serde_json::json!(["bird", "cat", "dog", "emu"])
    );
    assert_eq!(
        summary["data"]["classes"],
        serde_json::json!([0.0, 1.0, 2.0, 3.0])
    );
    // The resolved config names the classes, and running it again maps them alike.
    let text = std::fs::read_to_string(out.path().join("config.toml")).expect("config.toml");
    let resolved = SweepConfig::from_toml(&text).expect("toml");
    assert_eq!(
        resolved.data.class_names.as_deref(),
        Some(&study.data.class_names[..]),
        "{text}"
    );
    let again = Study::prepare(&resolved, None).expect("the resolved config prepares");
    assert_eq!(again.data.class_names, study.data.class_names);
    assert_eq!(
        again.data.sets(0).expect("sets").lower.to_dataset(),
        sets.lower.to_dataset()
    );
    // The files together hold rows of every class but emu in training: it learns the others.
    let acc = run.result.configs[0]
        .at(40, sbo::metrics::Metric::TestAccuracy)
        .expect("test accuracy")
        .mean;
    assert!(acc.is_finite(), "test accuracy {acc}");

    // A given order is the class order; a name it misses is refused by the file's field.
    let ordered = config(
        dir.path(),
        "multinomial",
        files,
        r#"class_names = ["emu", "dog", "cat", "bird"]"#,
    );
    let s = Study::prepare(&ordered, None).expect("prepare");
    assert_eq!(s.data.class_names, ["emu", "dog", "cat", "bird"]);
    let upper = s.data.sets(0).expect("sets").upper.to_dataset();
    for i in 0..upper.n {
        let k = ((upper.row(i)[0] + 1.0) / 2.0).round();
        assert_eq!(upper.label(i), 3.0 - k, "upper row {i}");
    }
    let missing = config(
        dir.path(),
        "multinomial",
        files,
        r#"class_names = ["bird", "cat", "dog"]"#,
    );
    let msg = expect_config_error(&missing, "data.test");
    assert!(msg.contains("`emu`"), "{msg}");
    // Names with the squared loss mean nothing.
    let squared = config(dir.path(), "squared", files, "");
    expect_config_error(&squared, "problem.loss");
}

/// Two names with the logistic loss: the first (byte order) is -1, the second +1, in every
/// file; a third name, in whichever file, is refused by that file's field.
#[test]
fn two_names_are_the_logistic_classes() {
    let dir = tempfile::tempdir().expect("dir");
    let mut g = Gen(5);
    // ham 0 (x0 near -1), spam 1 (x0 near +1).
    write_named(
        &dir.path().join("train.csv"),
        &mut g,
        200,
        &[("spam", 1), ("ham", 0)],
    );
    write_named(&dir.path().join("test.csv"), &mut g, 40, &[("ham", 0)]);
    write_named(
        &dir.path().join("three.csv"),
        &mut g,
        40,
        &[("ham", 0), ("eggs", 0)],
    );
    let files = r#"train = "DIR/train.csv"
test = "DIR/TEST"
n_lower = 120
n_upper = 50
n_pool = 10"#;
    let c = config(
        dir.path(),
        "logistic",
        &files.replace("TEST", "test.csv"),
        "",
    );
    let study = Study::prepare(&c, None).expect("prepare");
    assert_eq!(study.data.class_names, ["ham", "spam"]);
    assert!(
        study.data.classes.is_empty(),
        "logistic labels are -1/+1, not classes"
    );
    let sets = study.data.sets(0).expect("sets");
    for (what, set) in [
        ("lower", sets.lower.to_dataset()),
        ("upper", sets.upper.to_dataset()),
        ("test", sets.test.to_dataset()),
    ] {
        for i in 0..set.n {
            let want = if set.row(i)[0] > 0.0 { 1.0 } else { -1.0 };
            assert_eq!(set.label(i), want, "{what} row {i}");
        }
    }
    let r = sbo::run::run_study(&CpuEngine, &study, &sbo::run::RunOptions::default()).expect("run");
    assert_eq!(r.diverged(), 0);
    let acc = r.configs[0]
        .at(40, sbo::metrics::Metric::TestAccuracy)
        .expect("test accuracy")
        .mean;
    assert!(acc > 0.9, "test accuracy {acc} on separable classes");
    let summary = rundir::write::summary(&Plan::prepare(&c, None).expect("plan"), &r);
    assert_eq!(summary.data.class_names, ["ham", "spam"]);

    // A third name, brought by the test file.
    let three = config(
        dir.path(),
        "logistic",
        &files.replace("TEST", "three.csv"),
        "",
    );
    let msg = expect_config_error(&three, "data.test");
    assert!(msg.contains("two classes"), "{msg}");
    // A given order picks which name is +1.
    let flipped = config(
        dir.path(),
        "logistic",
        &files.replace("TEST", "test.csv"),
        r#"class_names = ["spam", "ham"]"#,
    );
    let s = Study::prepare(&flipped, None).expect("prepare");
    let lower = s.data.sets(0).expect("sets").lower.to_dataset();
    for i in 0..lower.n {
        let want = if lower.row(i)[0] > 0.0 { -1.0 } else { 1.0 };
        assert_eq!(lower.label(i), want, "row {i}");
    }
}

/// Named labels beside numeric ones in another file of the problem are refused by that field.
#[test]
fn a_numeric_file_beside_named_ones_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut g = Gen(2);
    write_named(
        &dir.path().join("train.csv"),
        &mut g,
        100,
        &[("a", 0), ("b", 1)],
    );
    let mut text = String::from("x0,x1,y\n");
    for i in 0..30 {
        text += &format!("{}, 0.5, {}\n", i % 2, i % 2);
    }
    std::fs::write(dir.path().join("num.csv"), text).expect("write");
    let c = config(
        dir.path(),
        "multinomial",
        r#"train = "DIR/train.csv"
validation = "DIR/num.csv"
n_lower = 50
n_upper = "all"
n_pool = 10"#,
        "",
    );
    let msg = expect_config_error(&c, "data.validation");
    assert!(msg.contains("data.train"), "{msg}");
}
