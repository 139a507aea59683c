//! The stability and kappa analyses on real runs and on tables made to have a known answer:
//! SC-SC stability levels off and scales like 1/m, NC-NC stability grows, the kappa fit
//! recovers a planted exponent, and the report and its CSV are well formed.

use sbo::analysis::kappa;
use sbo::analysis::stability::{growth_fits, size_fits, SIZE_EXPONENT_MARGIN};
use sbo::analysis::{ConfigData, RunData, Series};
use sbo::metrics::Metric;
use sbo::sweep::{Plan, SweepConfig};
use std::collections::BTreeMap;
use std::path::Path;

/// Runs a sweep on the CPU into `dir` the way `sbo run` does and reads it back.
fn run_into(text: &str, dir: &Path) -> RunData {
    let config = SweepConfig::from_toml(text).expect("config");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = Plan::prepare(&config, Some(root)).expect("prepare");
    sbo::rundir::start_run_dir(dir, &plan).expect("start");
    let parts: Vec<_> = plan
        .variants
        .iter()
        .map(|v| {
            sbo::run::run_study(&sbo::cpu::CpuEngine, &v.study, &Default::default()).expect("run")
        })
        .collect();
    let result = sbo::run::merge(&plan, parts);
    sbo::rundir::finish_run_dir(dir, &plan, &result).expect("finish");
    RunData::load(dir).expect("load")
}

/// A run made by hand: `configs` over seeds 0..`seeds`, logged at `log_steps`.
fn hand_run(
    dir: &Path,
    config: SweepConfig,
    log_steps: Vec<u64>,
    seeds: usize,
    configs: Vec<ConfigData>,
) -> RunData {
    RunData {
        dir: dir.to_path_buf(),
        config,
        summary: sbo::rundir::RunSummary {
            neighbours: 0,
            seeds,
            ..Default::default()
        },
        log_steps,
        seeds: (0..seeds as u64).collect(),
        configs,
    }
}

/// One configuration of a hand-made run (its label is also its label within the variant).
fn hand_config(
    label: String,
    kind: sbo::algo::AlgoKind,
    variant: Vec<(String, String)>,
    series: BTreeMap<Metric, Series>,
    per_seed: BTreeMap<Metric, Vec<Vec<f64>>>,
) -> ConfigData {
    let algorithm = kind.descriptor().name.to_string();
    ConfigData {
        algo_label: if variant.is_empty() {
            label.clone()
        } else {
            algorithm.clone()
        },
        label,
        algorithm,
        variant,
        settings: sbo::algo::AlgoConfig::new(kind),
        series,
        per_seed,
    }
}

const SC_SC_M: &str = r#"
name = "sc-sc-m"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 10
n_lower = 1000
n_pool = 300
kappa = 10
[vary]
"data.n_upper" = [250, 500, 1000, 2000]
[run]
steps = 3000
log_scale = "log"
log_points = 20
seeds = 8
neighbours = 4
replace = "upper"
backend = "cpu"
[[algo]]
name = "ssgd"
alpha = 0.05
beta = 0.05
batch = 16
"#;

#[test]
fn sc_sc_stability_levels_off_and_scales_like_one_over_m() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_into(SC_SC_M, tmp.path());
    assert_eq!(run.configs.len(), 4);
    for (label, fit) in growth_fits(&run, Metric::DistXy) {
        let f = fit.unwrap_or_else(|| panic!("{label}: no growth fit"));
        println!("{label}: late exponent a = {}", f.text());
        assert!(
            f.slope.abs() < 0.25,
            "{label}: stability should level off with constant steps on sc-sc, a = {}",
            f.text()
        );
    }
    let fits = size_fits(&run, "data.n_upper", Metric::DistXy);
    assert_eq!(fits.len(), 1);
    let (g, x) = (&fits[0].group, &fits[0].sizes);
    assert_eq!(x, &vec![250.0, 500.0, 1000.0, 2000.0]);
    let f = fits[0].fit.expect("size fit");
    println!("{g}: b = {}", f.text());
    assert!(
        (f.slope + 1.0).abs() <= SIZE_EXPONENT_MARGIN,
        "{g}: doubling m should roughly halve stability, b = {} (margin {SIZE_EXPONENT_MARGIN})",
        f.text()
    );
}

const NC_NC: &str = r#"
name = "nc-nc"
[problem]
preset = "nc-nc"
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
dim = 22
n_lower = 2000
n_upper = 500
n_test = 500
n_pool = 200
[run]
steps = 2000
log_scale = "log"
log_points = 15
seeds = 6
neighbours = 3
x0 = -3.0
backend = "cpu"
[[algo]]
name = "ssgd"
alpha = 0.5
beta = 0.5
batch = 32
"#;

#[test]
fn nc_nc_stability_grows_with_iterations() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_into(NC_NC, tmp.path());
    let (label, fit) = &growth_fits(&run, Metric::DistXy)[0];
    let f = fit.expect("growth fit");
    println!("{label}: a = {}", f.text());
    assert!(
        f.ci_low > 0.1,
        "{label}: nc-nc stability should keep growing, a = {}",
        f.text()
    );
    let s = &run.configs[0].series[&Metric::DistXy];
    let n = s.mean.len();
    assert!(s.mean[n - 1] > 2.0 * s.mean[n / 2], "{:?}", s.mean);
}

/// A run whose cost to target is exactly c kappa^2 oracle calls (times a per-seed constant,
/// which leaves the exponent alone).
/// A kappa study with a planted answer: at kappa k the metric is 1 up to step hit = 3 k^2 and
/// 0 after it, so the average over iterates is (hit + 1/2) / t from then on and first reaches
/// eps = 1e-3 at T = ceil((hit + 1/2) / eps), which the logging grid contains; seed s pays
/// (1 + s/10) oracle calls per step. Oracle calls to eps then grow like kappa^2.
fn planted_kappa_run(dir: &Path) -> RunData {
    let kappas = [10.0, 31.6, 100.0, 316.0, 1000.0];
    let eps = 1e-3;
    let hits: Vec<u64> = kappas
        .iter()
        .map(|k: &f64| (3.0 * k * k).round() as u64)
        .collect();
    let mut log_steps: Vec<u64> = vec![0];
    for &h in &hits {
        let t = ((h as f64 + 0.5) / eps).ceil() as u64;
        log_steps.extend([h, h + 1, t - 1, t]);
    }
    log_steps.push(4_000_000_000);
    log_steps.sort();
    log_steps.dedup();
    let n_seeds = 5;
    let mut config = SweepConfig::default();
    config.report.target = Some(eps);
    let configs = kappas
        .iter()
        .zip(&hits)
        .map(|(k, &hit)| {
            let mut per_seed = BTreeMap::new();
            let metric: Vec<Vec<f64>> = (0..n_seeds)
                .map(|_| {
                    log_steps
                        .iter()
                        .map(|&t| if t <= hit { 1.0 } else { 0.0 })
                        .collect()
                })
                .collect();
            let calls: Vec<Vec<f64>> = (0..n_seeds)
                .map(|s| {
                    log_steps
                        .iter()
                        .map(|&t| t as f64 * (1.0 + s as f64 / 10.0))
                        .collect()
                })
                .collect();
            per_seed.insert(Metric::HypergradNormSq, metric);
            per_seed.insert(Metric::OracleGradG, calls);
            let mut series = BTreeMap::new();
            series.insert(
                Metric::HypergradNormSq,
                Series {
                    t: log_steps.clone(),
                    mean: log_steps.iter().map(|_| 1.0).collect(),
                    ..Series::default()
                },
            );
            hand_config(
                format!("kappa={k} | ssaid"),
                sbo::algo::AlgoKind::SSAID,
                vec![("data.kappa".into(), k.to_string())],
                series,
                per_seed,
            )
        })
        .collect();
    hand_run(dir, config, log_steps, n_seeds, configs)
}

#[test]
fn kappa_fit_recovers_a_planted_exponent() {
    let tmp = tempfile::tempdir().unwrap();
    let run = planted_kappa_run(tmp.path());
    let curves = kappa::curves(&run, Metric::HypergradNormSq);
    assert_eq!(curves.len(), 1);
    let cv = &curves[0];
    assert_eq!(cv.points.len(), 5);
    for (p, k) in cv.points.iter().zip([10.0f64, 31.6, 100.0, 316.0, 1000.0]) {
        let hit = (3.0 * k * k).round();
        let t = ((hit + 0.5) / 1e-3).ceil();
        assert_eq!(p.cost.step, Some(t as u64), "kappa {k}");
        // Mean over seeds of (1 + s/10) t.
        let calls = p.cost.cost(sbo::algo::CostKind::OracleCalls);
        assert!((calls - 1.2 * t).abs() < 1e-6 * calls, "kappa {k}: {calls}");
    }
    let fit = |kind| {
        cv.fits
            .iter()
            .find(|f| f.cost == kind)
            .and_then(|f| f.fit)
            .expect("fit")
    };
    let f = fit(sbo::algo::CostKind::OracleCalls);
    println!("planted 2, fitted {}", f.text());
    assert!((f.slope - 2.0).abs() < 1e-3, "{}", f.text());
    assert!(f.ci_low <= f.slope && f.slope <= f.ci_high, "{}", f.text());
    // The bound (7 on oracle calls) is far above: the bootstrap interval is below it.
    let judged = cv
        .fits
        .iter()
        .find(|f| f.cost == sbo::algo::CostKind::OracleCalls)
        .unwrap();
    assert_eq!(judged.verdict, sbo::analysis::stability::Verdict::Holds);
    // A larger kappa that never reaches eps: the fit keeps its 5 points, but "holds" on the
    // reached range is no longer a verdict.
    let mut censored = run.clone();
    let mut hard = censored.configs[4].clone();
    hard.label = "kappa=3162 | ssaid".into();
    hard.variant = vec![("data.kappa".into(), "3162".into())];
    for row in hard.per_seed.get_mut(&Metric::HypergradNormSq).unwrap() {
        row.iter_mut().for_each(|v| *v = 1.0);
    }
    censored.configs.push(hard);
    let cv = &kappa::curves(&censored, Metric::HypergradNormSq)[0];
    let f = cv
        .fits
        .iter()
        .find(|f| f.cost == sbo::algo::CostKind::OracleCalls)
        .unwrap();
    assert!(f.censored);
    assert_eq!(f.fit.unwrap().points, 5);
    assert_eq!(f.verdict, sbo::analysis::stability::Verdict::Inconclusive);
    // The report names the exponent next to the theory's.
    let text = sbo::report::markdown::render(&run, &[]);
    assert!(text.contains("## Cost against kappa"), "{text}");
    assert!(text.contains("2.00"), "{text}");
    assert!(text.contains("SSAID (Zhou, Luo, Dai, Ye 2026"), "{text}");
}

#[test]
fn report_and_target_table_are_well_formed() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"
name = "tiny"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 4
n_lower = 60
n_upper = 30
n_test = 50
n_pool = 10
kappa = 5.0
[run]
steps = 60
log_scale = "log"
log_points = 8
seeds = 3
neighbours = 2
exact = true
backend = "cpu"
[report]
relative_target = 0.5
select_metric = "hypergrad_norm_sq"
[[algo]]
name = "ssaid"
alpha = [0.05, 0.2]
beta = 0.2
gamma = 0.2
batch = "full"
"#;
    let run = run_into(text, tmp.path());
    let report = sbo::report::markdown::write_report(&run, &[]).unwrap();
    let md = std::fs::read_to_string(&report).unwrap();
    for want in [
        "# tiny",
        "## Stability",
        "### Growth with iterations",
        "## Convergence",
        "### Step-size selection",
        "### Time to target",
        "## Configuration",
        "```toml",
    ] {
        assert!(md.contains(want), "report lacks `{want}`:\n{md}");
    }
    // Every table row has as many cells as its header.
    let mut cols = 0;
    for line in md.lines() {
        if line.starts_with("|---") {
            continue;
        }
        if line.starts_with('|') {
            let n = line.replace("\\|", "").matches('|').count();
            if cols == 0 {
                cols = n;
            }
            assert_eq!(n, cols, "ragged table row: {line}");
        } else {
            cols = 0;
        }
    }
    assert_eq!(
        md.matches("**yes**").count(),
        1,
        "one winner per algorithm:\n{md}"
    );
    let csv = std::fs::read_to_string(tmp.path().join("time_to_target.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    let width = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == width), "{csv}");
}

#[test]
fn selection_picks_one_winner_per_algorithm_and_variant_and_flags_grid_edges() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"
name = "select"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 4
n_lower = 60
n_test = 50
n_pool = 10
kappa = 5.0
[vary]
"data.n_upper" = [30, 40]
[run]
steps = 40
log_scale = "log"
log_points = 6
seeds = 2
neighbours = 0
exact = true
backend = "cpu"
[report]
select_metric = "hypergrad_norm_sq"
[[algo]]
name = "ssaid"
alpha = [0.05, 0.1, 0.2]
beta = 0.2
gamma = 0.2
batch = 8
"#;
    let run = run_into(text, tmp.path());
    let cands = sbo::analysis::select::select(&run).expect("selection");
    let chosen: Vec<_> = cands.iter().filter(|c| c.chosen).collect();
    assert_eq!(chosen.len(), 2, "{cands:?}");
    assert_ne!(chosen[0].group, chosen[1].group);
    for c in chosen {
        let alpha = run
            .configs
            .iter()
            .find(|x| x.label == c.config)
            .map(|x| x.settings.alpha.at(0))
            .unwrap();
        let at_edge = alpha == 0.05 || alpha == 0.2;
        assert_eq!(c.edge.is_some(), at_edge, "{c:?}");
        if let Some(e) = &c.edge {
            assert!(e.contains("alpha"), "{e}");
        }
    }
}

/// With `report.select_seeds`, the choice is made on the first seeds only: the scores are
/// those of a run with just those seeds, and every candidate also has a held-out score on
/// the others; too many selection seeds are refused.
#[test]
fn selection_on_some_seeds_reports_on_the_others() {
    let text = |seeds: usize, select: usize| {
        format!(
            r#"
name = "select-held-out"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 4
n_lower = 60
n_upper = 30
n_test = 50
n_pool = 10
kappa = 5.0
[run]
steps = 40
log_scale = "log"
log_points = 6
seeds = {seeds}
neighbours = 0
exact = true
backend = "cpu"
[report]
select_metric = "hypergrad_norm_sq"
select_seeds = {select}
[[algo]]
name = "ssaid"
alpha = [0.05, 0.1, 0.2]
beta = 0.2
gamma = 0.2
batch = 8
"#
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let held = run_into(&text(5, 2), &tmp.path().join("held"));
    let first = run_into(&text(2, 0), &tmp.path().join("first"));
    let a = sbo::analysis::select::select(&held).expect("selection");
    let b = sbo::analysis::select::select(&first).expect("selection");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.config, y.config);
        assert_eq!(x.score.to_bits(), y.score.to_bits(), "{x:?} vs {y:?}");
        assert_eq!(x.chosen, y.chosen);
        assert!(x.held_out.is_some_and(f64::is_finite), "{x:?}");
        assert!(y.held_out.is_none());
    }
    let e = Plan::prepare(&SweepConfig::from_toml(&text(3, 3)).unwrap(), None)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("report.select_seeds"), "{e}");
}

/// Orderings are judged only where the theory speaks, on paired per-seed differences with
/// the report's Holm correction: on sc-sc a T-ordering is shown, not judged; a step-size
/// ordering names its source and shows the paired difference and the corrected p.
#[test]
fn ordering_verdicts_are_paired_and_only_where_the_theory_speaks() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"
name = "orderings"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 6
n_lower = 400
n_upper = 100
n_pool = 50
kappa = 10
[run]
steps = 300
log_every = 50
seeds = 6
neighbours = 3
replace = "upper"
backend = "cpu"
[[algo]]
name = "tsgd"
T = [1, 4]
alpha = [0.02, 0.2]
beta = 0.1
batch = 16
"#;
    let run = run_into(text, tmp.path());
    let claims = sbo::analysis::stability::claims(&run, Metric::DistXy).ordering;
    let t: Vec<_> = claims
        .iter()
        .filter(|c| c.subject.contains("over T"))
        .collect();
    assert_eq!(t.len(), 2, "{claims:#?}");
    for c in &t {
        assert_eq!(
            c.verdict,
            sbo::analysis::stability::Verdict::NotJudged,
            "{c:#?}"
        );
        assert!(c.prediction.contains("no ordering in T"), "{c:#?}");
        assert!(c.observed.contains("over 6 seeds"), "{c:#?}");
    }
    let steps: Vec<_> = claims
        .iter()
        .filter(|c| c.subject.contains("alpha"))
        .collect();
    assert_eq!(steps.len(), 2, "{claims:#?}");
    for c in &steps {
        assert!(c.source.contains("stability paper"), "{c:#?}");
        assert!(c.observed.contains("Holm p"), "{c:#?}");
        assert_ne!(
            c.verdict,
            sbo::analysis::stability::Verdict::NotJudged,
            "{c:#?}"
        );
    }
}

/// The report's correction spans exactly the rows it judges, and decaying schedules with
/// different exponents are never ordered as larger or smaller steps.
#[test]
fn the_correction_counts_the_judged_rows_and_schedules_keep_their_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"
name = "shapes"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 4
n_lower = 200
n_upper = 60
n_pool = 20
kappa = 5
[run]
steps = 400
log_scale = "log"
log_points = 12
seeds = 4
neighbours = 2
replace = "upper"
backend = "cpu"
[[algo]]
name = "ssgd"
alpha = [0.1, "poly(0.1, 0.6)", "poly(0.1, 0.9)"]
beta = 0.1
batch = 8
"#;
    let run = run_into(text, tmp.path());
    let c = sbo::analysis::stability::claims(&run, Metric::DistXy);
    use sbo::analysis::stability::Verdict;
    let judged = c
        .growth
        .iter()
        .chain(&c.size)
        .filter(|r| r.verdict != Verdict::NotJudged)
        .count();
    assert_eq!(c.exponent_rows, judged, "{c:#?}");
    // Constant 0.1 is judged on sc-sc; the decaying ones are not (the statement is for
    // constant steps).
    assert_eq!(judged, 1, "{c:#?}");
    assert!(
        !c.ordering
            .iter()
            .any(|o| o.subject.contains("over decaying")),
        "{:#?}",
        c.ordering
    );
    let vs: Vec<_> = c
        .ordering
        .iter()
        .filter(|o| o.prediction.contains("decaying alpha gives smaller"))
        .collect();
    assert_eq!(vs.len(), 2, "{:#?}", c.ordering);
}

/// An eps study with a planted answer: the metric is 1 up to step h = 100 and 0 after, so the
/// average over iterates first reaches eps at T = ceil((h + 1/2) / eps): cost ~ eps^-1.
#[test]
fn eps_fit_recovers_a_planted_exponent() {
    let tmp = tempfile::tempdir().unwrap();
    let h = 100u64;
    let eps = [1e-2, 1e-3, 1e-4, 1e-5];
    let mut log_steps: Vec<u64> = vec![0, h, h + 1];
    for e in eps {
        let t = ((h as f64 + 0.5) / e).ceil() as u64;
        log_steps.extend([t - 1, t]);
    }
    log_steps.sort();
    log_steps.dedup();
    let n_seeds = 5;
    let mut config = SweepConfig::default();
    config.report.eps = eps.to_vec();
    let mut per_seed = BTreeMap::new();
    per_seed.insert(
        Metric::HypergradNormSq,
        (0..n_seeds)
            .map(|_| {
                log_steps
                    .iter()
                    .map(|&t| if t <= h { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect::<Vec<Vec<f64>>>(),
    );
    per_seed.insert(
        Metric::OracleGradG,
        (0..n_seeds)
            .map(|s| {
                log_steps
                    .iter()
                    .map(|&t| t as f64 * (1.0 + s as f64 / 10.0))
                    .collect()
            })
            .collect::<Vec<Vec<f64>>>(),
    );
    let ssaid = hand_config(
        "ssaid".into(),
        sbo::algo::AlgoKind::SSAID,
        vec![],
        BTreeMap::new(),
        per_seed,
    );
    let run = hand_run(tmp.path(), config, log_steps.clone(), n_seeds, vec![ssaid]);
    let curves = sbo::analysis::eps::eps_curves(&run, Metric::HypergradNormSq);
    assert_eq!(curves.len(), 1);
    for (p, e) in curves[0].points.iter().zip(eps) {
        let t = ((h as f64 + 0.5) / e).ceil() as u64;
        assert_eq!(p.step, Some(t), "eps {e}");
    }
    let (_, fit, verdict) = curves[0]
        .fits
        .iter()
        .find(|(k, ..)| *k == sbo::algo::CostKind::OracleCalls)
        .unwrap();
    let f = fit.expect("fit");
    assert!((f.slope - 1.0).abs() < 1e-3, "{}", f.text());
    assert_eq!(*verdict, sbo::analysis::stability::Verdict::Holds);
    let text = sbo::report::markdown::render(&run, &[]);
    assert!(text.contains("## Cost against eps"), "{text}");
    assert!(text.contains("1.00"), "{text}");
    // A second, slower configuration of the same algorithm: the curve tuned per eps takes
    // the faster one at every eps (picked on seeds 0-1, measured on seeds 2-4).
    let mut two = run.clone();
    let mut slow = two.configs[0].clone();
    slow.label = "ssaid[slow]".into();
    for row in slow.per_seed.get_mut(&Metric::HypergradNormSq).unwrap() {
        for (v, &t) in row.iter_mut().zip(&log_steps) {
            *v = if t <= 3 * h { 1.0 } else { 0.0 };
        }
    }
    two.configs.push(slow);
    let curves = sbo::analysis::eps::eps_curves(&two, Metric::HypergradNormSq);
    assert_eq!(curves.len(), 3, "two configurations and one tuned curve");
    let tuned = &curves[2];
    assert_eq!(tuned.config, "ssaid (tuned per eps)");
    for (p, q) in tuned.points.iter().zip(&curves[0].points) {
        assert_eq!(p.step, q.step, "the faster configuration at eps {}", p.eps);
        assert_eq!(p.seeds, 3);
    }
}

/// A c-c run with ridges says so: the C-C claims are about problems without uniform strong
/// convexity.
#[test]
fn a_regularised_c_c_run_says_it_is_regularised() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = SweepConfig::default();
    config.problem.preset = sbo::problem::Preset::CC;
    let mut problem = sbo::problem::ProblemSpec::preset("c-c").unwrap();
    let run = |problem: sbo::problem::ProblemSpec| RunData {
        dir: tmp.path().to_path_buf(),
        config: config.clone(),
        summary: sbo::rundir::RunSummary {
            problem,
            ..Default::default()
        },
        log_steps: vec![0],
        seeds: vec![0],
        configs: vec![],
    };
    let plain = sbo::report::markdown::render(&run(problem.clone()), &[]);
    assert!(!plain.contains("Note on the preset"), "{plain}");
    problem.lam_y = 1e-3;
    let ridged = sbo::report::markdown::render(&run(problem), &[]);
    assert!(
        ridged.contains("Note on the preset") && ridged.contains("lam_y = 0.001"),
        "{ridged}"
    );
}

/// nc-nc runs report where along the run the lower level is nonconvex: phi''(y) < 0 exactly
/// where |y| > 1/sqrt(3), so a start at y0 = 2 has every coordinate negative and one at
/// y0 = 0 none.
#[test]
fn nc_nc_runs_report_the_share_of_negative_curvature() {
    let text = |y0: f64| {
        format!(
            r#"
name = "curvature"
[problem]
preset = "nc-nc"
[data]
kind = "synthetic"
d = 4
n_lower = 50
n_upper = 20
n_test = 10
n_pool = 0
[run]
steps = 4
log_every = 2
seeds = 2
neighbours = 0
y0 = {y0}
[[algo]]
name = "ssgd"
alpha = 0.01
beta = 0.01
batch = 4
"#
        )
    };
    for (y0, want) in [(2.0, 1.0), (0.0, 0.0)] {
        let study =
            sbo::sweep::Study::prepare(&SweepConfig::from_toml(&text(y0)).unwrap(), None).unwrap();
        let r = sbo::run::run_study(&sbo::cpu::CpuEngine, &study, &Default::default()).unwrap();
        let row = r.configs[0]
            .rows
            .iter()
            .find(|row| row.metric == Metric::NegCurvatureShare && row.t == 0)
            .expect("nc-nc reports neg_curvature_share");
        assert_eq!(row.summary.mean, want, "y0 = {y0}");
    }
    // Other couplings have no such metric.
    let sc = text(0.0).replace("nc-nc", "sc-sc");
    let study = sbo::sweep::Study::prepare(&SweepConfig::from_toml(&sc).unwrap(), None).unwrap();
    let r = sbo::run::run_study(&sbo::cpu::CpuEngine, &study, &Default::default()).unwrap();
    assert!(r.configs[0]
        .rows
        .iter()
        .all(|row| row.metric != Metric::NegCurvatureShare));
}

/// The winners are shown on the seeds the selection never saw: the held-out view keeps those
/// seeds' rows and summarises the series over them again.
#[test]
fn the_held_out_view_summarises_the_unseen_seeds_only() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = SweepConfig::default();
    config.report.select_metric = Some(Metric::ValLoss);
    let rows = vec![
        vec![1.0, 1.0],
        vec![1.0, 1.0],
        vec![3.0, 5.0],
        vec![3.0, 7.0],
    ];
    let mut per_seed = BTreeMap::new();
    per_seed.insert(Metric::ValLoss, rows);
    let mut series = BTreeMap::new();
    series.insert(
        Metric::ValLoss,
        Series {
            t: vec![0, 10],
            mean: vec![2.0, 3.5],
            std: vec![0.0; 2],
            ci_low: vec![0.0; 2],
            ci_high: vec![0.0; 2],
            count: vec![4, 4],
        },
    );
    let ssgd = hand_config(
        "ssgd".into(),
        sbo::algo::AlgoKind::SSGD,
        vec![],
        series,
        per_seed,
    );
    let run = hand_run(tmp.path(), config, vec![0, 10], 4, vec![ssgd]);
    let held = run.held_out().expect("half the seeds held out");
    assert_eq!(held.seeds, vec![2, 3]);
    let s = held.configs[0].series(Metric::ValLoss).unwrap();
    assert_eq!(s.mean, vec![3.0, 6.0]);
    assert_eq!(s.count, vec![2, 2]);
    assert_eq!(
        held.configs[0].final_values(Metric::ValLoss),
        vec![5.0, 7.0]
    );
    let mut all = run.clone();
    all.config.report.select_seeds = Some(0);
    assert!(all.held_out().is_none());
}

/// A network lower level is nonconvex in y whatever the preset: an sc-sc run with the network
/// is judged as NC-NC (growth in T predicted, not "no ordering"), and its report says why
/// rather than calling the ridge's lower level strongly convex.
#[test]
fn a_network_run_is_judged_as_nc_nc_whatever_its_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"
name = "network-sc-sc"
[problem]
preset = "sc-sc"
hyper = "scalar"
model = "mlp"
hidden = 3
lam_y = 1e-3
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
dim = 22
n_lower = 300
n_upper = 100
n_test = 100
n_pool = 20
[run]
steps = 60
log_every = 20
seeds = 4
neighbours = 2
replace = "upper"
backend = "cpu"
[[algo]]
name = "tsgd"
T = [1, 4]
alpha = 0.05
beta = 0.05
batch = 16
"#;
    let run = run_into(text, tmp.path());
    let claims = sbo::analysis::stability::claims(&run, Metric::DistXy).ordering;
    let t: Vec<_> = claims
        .iter()
        .filter(|c| c.subject.contains("over T"))
        .collect();
    assert_eq!(t.len(), 1, "{claims:#?}");
    assert!(
        t[0].prediction.contains("larger T gives larger"),
        "{:#?}",
        t[0]
    );
    let md = sbo::report::markdown::render(&run, &[]);
    assert!(md.contains("Note on the lower model"), "{md}");
    assert!(!md.contains("strongly convex (mu_g"), "{md}");
    assert!(
        md.contains("with a network lower level (3 tanh hidden units)"),
        "{md}"
    );
}
