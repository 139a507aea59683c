//! `run.resample = "data"`: every seed draws its own split of a real dataset (or its own sample
//! of the synthetic population), by a documented recipe, the same whichever piece of the study
//! runs it; without it every seed shares `data.seed`'s data. The GPU's use of per-seed row
//! maps is checked against the CPU in `tests/gpu_sweep.rs`.

use sbo::cpu::CpuEngine;
use sbo::data::sets::seed_of;
use sbo::data::{split_rows, RowMaps, SplitSpec};
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{Study, SweepConfig};
use std::collections::HashSet;

fn config(data: &str, resample: bool) -> SweepConfig {
    let text = format!(
        r#"
name = "resample"
[problem]
preset = "sc-sc"
[data]
{data}
n_lower = 200
n_upper = 80
n_test = 100
n_pool = 20
seed = 5
[run]
steps = 40
log_every = 20
seeds = 4
seed_base = 10
neighbours = 2
{resample}
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 16
"#,
        resample = if resample { "resample = \"data\"" } else { "" }
    );
    SweepConfig::from_toml(&text).expect("test config")
}

const IJCNN1: &str = "kind = \"libsvm\"\ntrain = \"data/ijcnn1.trn.bz2\"";
const SYNTHETIC: &str = "kind = \"synthetic\"\nd = 6\nkappa = 10.0";

fn study(data: &str, resample: bool) -> Study {
    Study::prepare(&config(data, resample), None).expect("study")
}

fn maps(study: &Study, seed: u64) -> &RowMaps {
    &study.data.slots()[study.data.slot(seed).expect("seed has data")]
}

#[test]
fn each_seed_draws_its_own_split_of_a_real_dataset() {
    let s = study(IJCNN1, true);
    assert!(s.data.resampled());
    let n_train = s.data.table.n;
    let spec = |seed| SplitSpec {
        n_lower: 200,
        n_upper: 80,
        n_test: Some(100),
        n_pool: 20,
        seed,
    };
    let mut lowers = HashSet::new();
    for seed in 10..14 {
        let m = maps(&s, seed);
        // The documented recipe: data.seed's split procedure on seed_of(data.seed, seed).
        let want = split_rows(n_train, None, &spec(seed_of(5, seed))).unwrap();
        assert_eq!(m, &want, "seed {seed}: row maps differ from the recipe");
        // Within a seed the four sets never share a row.
        let all: Vec<u32> = m.parts().concat();
        let distinct: HashSet<u32> = all.iter().copied().collect();
        assert_eq!(all.len(), distinct.len(), "seed {seed}: sets overlap");
        assert!(
            lowers.insert(m.lower.clone()),
            "seed {seed}: same lower set"
        );
    }
    // Out of the study's seeds there is no data, rather than another seed's.
    assert!(s.data.sets(9).is_err() && s.data.sets(14).is_err());

    // Without resampling every seed sees data.seed's split: the same rows of the file, copied
    // out in the recipe's order (the resampled study's table is the whole file).
    let shared = study(IJCNN1, false);
    assert!(!shared.data.resampled());
    let want = split_rows(n_train, None, &spec(5)).unwrap();
    let file = &s.data.table;
    for seed in 10..14 {
        let sets = shared.data.sets(seed).unwrap();
        let got = [&sets.lower, &sets.upper, &sets.pool, &sets.test];
        for (part, (view, rows)) in got.iter().zip(want.parts()).enumerate() {
            let set = view.to_dataset();
            assert_eq!(set.n, rows.len(), "seed {seed}, part {part}: size");
            for (i, &r) in rows.iter().enumerate() {
                assert_eq!(
                    set.row(i),
                    file.row(r as usize),
                    "seed {seed}, part {part}, row {i}"
                );
                assert_eq!(set.label(i), file.label(r as usize));
            }
        }
    }
}

#[test]
fn synthetic_seeds_draw_fresh_samples_of_one_population() {
    let s = study(SYNTHETIC, true);
    let pop = s
        .population
        .as_ref()
        .expect("squared loss keeps the population");
    let mut seen = HashSet::new();
    for seed in 10..14 {
        let sets = s.data.sets(seed).unwrap();
        let lower = sets.lower.to_dataset();
        assert_eq!(lower.n, 200);
        assert!(
            seen.insert(
                lower
                    .features
                    .iter()
                    .map(|f| f.to_bits())
                    .collect::<Vec<_>>()
            ),
            "seed {seed}: same sample as another seed"
        );
        // Labels follow the one population's w*: b = a . w* + noise, so the least-squares fit
        // of each seed's lower set is near w* (sigma 0.1, 200 samples, d = 6).
        let d = lower.d;
        let mut ata = nalgebra::DMatrix::<f64>::zeros(d, d);
        let mut atb = nalgebra::DVector::<f64>::zeros(d);
        for i in 0..lower.n {
            let a = nalgebra::DVector::from_iterator(d, lower.row(i).iter().map(|&v| v as f64));
            ata += &a * a.transpose();
            atb += &a * lower.label(i) as f64;
        }
        let w = ata.lu().solve(&atb).expect("full rank");
        let err = (0..d)
            .map(|j| (w[j] - pop.w_star[j]).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err < 0.2, "seed {seed}: fitted w {w} is {err} from w*");
    }
}

#[test]
fn a_seed_runs_on_the_same_data_in_any_piece_of_the_study() {
    for data in [IJCNN1, SYNTHETIC] {
        let whole = study(data, true);
        let piece = whole.piece(0..1, 2..4);
        for seed in 12..14 {
            assert_eq!(maps(&whole, seed), maps(&piece, seed));
        }
        let opts = RunOptions::default();
        let a = run_study(&CpuEngine, &whole, &opts).unwrap();
        let b = run_study(&CpuEngine, &piece, &opts).unwrap();
        let of_seed = |r: &sbo::run::SweepResult, seed: u64| {
            r.lanes
                .iter()
                .filter(|l| l.seed == seed)
                .map(|l| {
                    l.x.iter()
                        .chain(&l.y)
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        for seed in 12..14 {
            assert_eq!(of_seed(&a, seed), of_seed(&b, seed), "seed {seed}");
        }
        // And resampling changes what a seed computes.
        let shared = run_study(&CpuEngine, &study(data, false), &opts).unwrap();
        assert_ne!(of_seed(&a, 12), of_seed(&shared, 12));
    }
}

/// Runs `config` on the CPU into `dir` the way `sbo run` does and renders its report.
fn report_of(config: &SweepConfig, dir: &std::path::Path) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = sbo::sweep::Plan::prepare(config, Some(root)).expect("prepare");
    sbo::rundir::start_run_dir(dir, &plan).expect("start");
    let parts: Vec<_> = plan
        .variants
        .iter()
        .map(|v| run_study(&CpuEngine, &v.study, &RunOptions::default()).expect("run"))
        .collect();
    let result = sbo::run::merge(&plan, parts);
    sbo::rundir::finish_run_dir(dir, &plan, &result).expect("finish");
    let run = sbo::analysis::RunData::load(dir).expect("load");
    sbo::report::markdown::render(&run, &[])
}

#[test]
fn the_report_says_which_randomness_its_intervals_cover() {
    let tmp = tempfile::tempdir().unwrap();
    for (data, resample, want) in [
        (
            IJCNN1,
            true,
            "each seed draws its own lower / upper / pool / test set(s)",
        ),
        (
            SYNTHETIC,
            true,
            "each seed draws its own sample of the synthetic population",
        ),
        (
            SYNTHETIC,
            false,
            "on one draw of the data (`data.seed`), not the data's",
        ),
    ] {
        let mut cfg = config(data, resample);
        cfg.run.backend = sbo::sweep::Backend::Cpu;
        let dir = tmp.path().join(format!("{resample}-{}", data.len()));
        let text = report_of(&cfg, &dir);
        assert!(
            text.contains(want),
            "report of {data:?} (resample {resample}) lacks {want:?}:\n{text}"
        );
    }
}

#[test]
fn a_seed_range_past_64_bits_is_a_config_error_not_a_panic() {
    let mut cfg = config(SYNTHETIC, true);
    cfg.run.seed_base = u64::MAX;
    cfg.run.seeds = 1;
    let err = Study::prepare(&cfg, None)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("run.seed_base"), "{err}");
}

/// benchopt's ijcnn1 problem: the training file is the lower set, the test file the validation
/// set. A number of validation rows is a seeded subset of that file, each seed's own when
/// seeds resample; `"all"` round-trips through the resolved config.
#[test]
fn a_validation_file_gives_the_upper_set() {
    let text = |n_upper: &str, resample: &str| {
        format!(
            r#"
[problem]
preset = "c-c"
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
validation = "data/ijcnn1.tst.bz2"
dim = 22
n_lower = 300
n_upper = {n_upper}
n_test = 50
n_pool = 0
seed = 5
[run]
steps = 4
seeds = 2
neighbours = 0
{resample}
[[algo]]
name = "ssaid"
"#
        )
    };
    let prepare = |t: String| {
        let c = SweepConfig::from_toml(&t).expect("config");
        Study::prepare(&c, None).expect("study")
    };
    let validation =
        sbo::data::libsvm::read_libsvm(std::path::Path::new("data/ijcnn1.tst.bz2"), Some(22))
            .expect("test file");
    let row_in_file = |row: &[f32]| (0..validation.n).any(|i| validation.row(i) == row);

    let s = prepare(text("200", "resample = \"data\""));
    let mut uppers = HashSet::new();
    for seed in 0..2 {
        let upper = s.data.sets(seed).unwrap().upper.to_dataset();
        assert_eq!(upper.n, 200);
        assert!(
            (0..upper.n).all(|i| row_in_file(upper.row(i))),
            "seed {seed}: an upper row is not from the validation file"
        );
        let bits: Vec<u32> = upper.features.iter().map(|f| f.to_bits()).collect();
        assert!(uppers.insert(bits), "seed {seed}: same validation subset");
    }

    let all = prepare(text("\"all\"", ""));
    let sets = all.data.sets(0).unwrap();
    assert_eq!(sets.upper.to_dataset().n, validation.n);
    // The lower and test sets still come from the training file (disjoint, seeded).
    assert_eq!(
        (sets.lower.to_dataset().n, sets.test.to_dataset().n),
        (300, 50)
    );
    let resolved = toml::to_string(&all.config).expect("resolved config");
    assert!(resolved.contains("n_upper = \"all\""), "{resolved}");
    assert!(SweepConfig::from_toml(&resolved).is_ok());
}

/// `data.corrupt`: a seeded fraction of each seed's lower labels flipped, the other sets
/// clean, the positions recorded; refused where labels are not classes.
#[test]
fn corruption_flips_a_fraction_of_the_lower_labels_only() {
    let text = |corrupt: f64, resample: bool| {
        let mut c = config(IJCNN1, resample);
        c.problem.preset = sbo::problem::Preset::CC;
        c.data.corrupt = corrupt;
        c
    };
    for resample in [false, true] {
        let clean = Study::prepare(&text(0.0, resample), None).unwrap();
        let noisy = Study::prepare(&text(0.25, resample), None).unwrap();
        let mut positions = HashSet::new();
        for seed in 10..14 {
            let (a, b) = (
                clean.data.sets(seed).unwrap(),
                noisy.data.sets(seed).unwrap(),
            );
            let flipped = noisy.data.corrupted(seed).unwrap();
            assert_eq!(flipped.len(), 50, "round(0.25 x 200)");
            let (la, lb) = (a.lower.to_dataset(), b.lower.to_dataset());
            assert_eq!(la.features, lb.features, "features untouched");
            for i in 0..la.n {
                let want = if flipped.contains(&(i as u32)) {
                    -la.label(i)
                } else {
                    la.label(i)
                };
                assert_eq!(lb.label(i), want, "seed {seed}, lower sample {i}");
            }
            for (x, y) in [(&a.upper, &b.upper), (&a.pool, &b.pool), (&a.test, &b.test)] {
                assert_eq!(x.to_dataset(), y.to_dataset(), "a clean set changed");
            }
            positions.insert(flipped.to_vec());
        }
        // Resampled seeds flip their own positions; shared data flips the same ones.
        assert_eq!(positions.len(), if resample { 4 } else { 1 });
    }
    // A rate that flips nothing, or is no fraction, names the field.
    for bad in [0.001, -0.5, 1.5] {
        match Study::prepare(&text(bad, false), None) {
            Err(sbo::SboError::Config { field, .. }) => assert_eq!(field, "data.corrupt", "{bad}"),
            other => panic!(
                "{bad}: expected a data.corrupt error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    // Squared loss has no classes to flip.
    let mut squared = config(IJCNN1, false);
    squared.data.corrupt = 0.1;
    match Study::prepare(&squared, None) {
        Err(sbo::SboError::Config { field, .. }) => assert_eq!(field, "data.corrupt"),
        other => panic!("expected a data.corrupt error, got {:?}", other.map(|_| ())),
    }
}

/// One file serves one set: sets drawn from it independently would share rows. The one
/// exception is a test set that is the whole validation file.
#[test]
fn a_file_given_for_two_sets_is_refused_by_name() {
    let prepare = |extra: &str, n_upper: &str, n_test: &str| {
        let text = format!(
            r#"
[problem]
preset = "c-c"
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
dim = 22
n_lower = 300
n_upper = {n_upper}
{n_test}
n_pool = 10
{extra}
[run]
steps = 2
seeds = 1
neighbours = 0
[[algo]]
name = "ssaid"
"#
        );
        Study::prepare(&SweepConfig::from_toml(&text).expect("config"), None)
    };
    let field = |r: sbo::Result<Study>| match r {
        Err(sbo::SboError::Config { field, .. }) => field,
        Err(e) => panic!("expected a config error, got {e}"),
        Ok(_) => panic!("two sets from one file were accepted"),
    };
    let tst = "\"data/ijcnn1.tst.bz2\"";
    assert_eq!(
        field(prepare(
            "validation = \"data/ijcnn1.trn.bz2\"",
            "100",
            "n_test = 50"
        )),
        "data.validation"
    );
    assert_eq!(
        field(prepare(
            &format!("validation = {tst}\npool = {tst}"),
            "100",
            "n_test = 50"
        )),
        "data.pool"
    );
    assert_eq!(
        field(prepare(
            &format!("validation = {tst}\ntest = {tst}"),
            "100",
            ""
        )),
        "data.test",
        "a subset of the validation file as the test set would overlap it"
    );
    // The whole validation file as the test set too: allowed, stated by the config.
    assert!(prepare(&format!("validation = {tst}\ntest = {tst}"), "\"all\"", "").is_ok());
}
