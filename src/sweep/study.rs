//! A sweep made ready to run: the configuration resolved and validated, the data read and
//! split (or generated), the grid of configurations expanded.

use super::config::{DataKind, Resample, SweepConfig};
use super::grid::{self, LabeledAlgo};
use crate::data::sets::seed_of;
use crate::data::{
    self, Dataset, Population, QuadraticModel, SplitSpec, Splits, StudyData, SyntheticSpec,
};
use crate::error::{Result, SboError};
use crate::problem::{Loss, ProblemSpec};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest y for `run.exact`: its dense solves cost O(d^3) per logging step.
pub const EXACT_MAX_DIM: usize = 2048;

#[derive(Clone)]
pub struct Study {
    /// The configuration with every default filled in and the grid written out.
    pub config: SweepConfig,
    pub spec: ProblemSpec,
    /// Every seed's lower, upper, pool and test sets. Shared with the pieces of the study a
    /// shard or a resumed run takes ([`Study::piece`]).
    pub data: Arc<StudyData>,
    /// The sampling distribution of synthetic data (exact population risk).
    pub population: Option<Arc<Population>>,
    pub configs: Vec<LabeledAlgo>,
    pub log_steps: Vec<u64>,
}

impl Study {
    /// Resolves, validates and loads everything a run needs. Relative data paths are looked
    /// up in the working directory, then next to the config file (`config_dir`), then in the
    /// directory sbo was built from (so the shipped `data/` works from anywhere).
    pub fn prepare(config: &SweepConfig, config_dir: Option<&Path>) -> Result<Study> {
        let mut spec = config.problem.resolve()?;
        config.run.validate()?;
        if let Some([lo, hi]) = spec.x_box {
            if !(lo..=hi).contains(&config.run.x0) {
                return Err(SboError::config(
                    "run.x0",
                    format!("{} is outside problem.x_box [{lo}, {hi}]", config.run.x0),
                ));
            }
        }
        if config.algos.is_empty() {
            return Err(SboError::config(
                "algo",
                "no [[algo]] table: name at least one algorithm",
            ));
        }
        config.report.validate()?;
        let k = config.report.selection_seeds(config.run.seeds);
        if k > 0 && k >= config.run.seeds {
            return Err(SboError::config(
                "report.select_seeds",
                format!(
                    "{} of {} seeds leaves none to report the selection on: choose fewer than \
                     run.seeds (or 0 to pick and report on every seed)",
                    k, config.run.seeds
                ),
            ));
        }
        if !config.vary.is_empty() {
            // A study is one variant; silently running the base values would mislead.
            return Err(SboError::config(
                "vary",
                "a config with [vary] describes several studies: prepare it with sweep::Plan::prepare",
            ));
        }
        let mut configs = grid::expand(&config.algos);
        let (mut data, population) = load_data(config, &spec, config_dir)?;
        if spec.loss == Loss::Multinomial {
            let found = data.classes.len();
            if spec.classes == 0 {
                spec.classes = found;
            } else if spec.classes < found {
                return Err(SboError::config(
                    "problem.classes",
                    format!(
                        "{} classes, but the data files hold {found} distinct labels",
                        spec.classes
                    ),
                ));
            }
            spec.validate()?;
        }
        let corrupt = config.data.corrupt;
        if corrupt != 0.0 {
            if !spec.loss.is_classification() {
                return Err(SboError::config(
                    "data.corrupt",
                    "changes class labels: it needs the logistic or multinomial loss",
                ));
            }
            if !(0.0..=1.0).contains(&corrupt) {
                return Err(SboError::config(
                    "data.corrupt",
                    format!("must be a fraction in [0, 1], got {corrupt}"),
                ));
            }
            let n_lower = data.sizes().lower;
            let flipped = (corrupt * n_lower as f64).round() as usize;
            if flipped == 0 && corrupt > 0.0 {
                return Err(SboError::config(
                    "data.corrupt",
                    format!("{corrupt} of {n_lower} lower samples flips none: raise the rate"),
                ));
            }
            super::size::check_corrupted(flipped.saturating_mul(data.slots().len()), data.d())?;
            let (seed, base) = (config.data.seed, config.run.seed_base);
            let resampled = data.resampled();
            data.corrupt_lower(corrupt, |slot| {
                if resampled {
                    seed_of(seed, base + slot as u64)
                } else {
                    seed
                }
            })?;
        }
        let sizes = data.sizes();
        if spec.coupling == crate::problem::Coupling::Bilinear
            && spec.lam_y <= 0.0
            && sizes.lower < data.d()
        {
            // g is linear along the null space of A: unbounded below in y.
            return Err(SboError::config(
                "problem.lam_y",
                format!(
                    "the bilinear coupling adds no curvature, so with lam_y = 0 the lower level \
                     needs n_lower >= d ({} < {}) to be strongly convex: set lam_y > 0 or use \
                     more samples",
                    sizes.lower,
                    data.d()
                ),
            ));
        }
        if config.run.neighbours > 0 && sizes.pool == 0 {
            return Err(SboError::config(
                "data.n_pool",
                "neighbours need a replacement pool: set n_pool >= 1",
            ));
        }
        for (i, c) in configs.iter().enumerate() {
            c.algo.validate(
                sizes.lower,
                sizes.upper,
                &format!("algo[{i}] ({})", c.label),
            )?;
        }
        // What the per-sample machinery of some solvers does not cover yet.
        let unsupported: &[(&str, bool, &str)] = &[
            (
                "saba",
                spec.loss == Loss::Multinomial,
                "saba's tables keep one scalar per sample (a binary model's); the multinomial \
                 loss has one per sample and class, which saba does not support yet",
            ),
            (
                "saba",
                spec.model == crate::problem::Model::Mlp,
                "saba's tables keep a linear model's per-sample scalars; a network's per-sample \
                 gradients are not a scalar times the row",
            ),
        ];
        for (i, c) in configs.iter().enumerate() {
            for (name, applies, why) in unsupported {
                if *applies && c.algo.kind.name() == *name {
                    return Err(SboError::config(format!("algo[{i}] ({})", c.label), *why));
                }
            }
        }
        let y_len = spec.y_len(data.d());
        if config.run.exact && y_len > EXACT_MAX_DIM {
            return Err(SboError::config(
                "run.exact",
                format!(
                    "the exact hypergradient solves y's {y_len} x {y_len} system densely at \
                     every logging step; at most {EXACT_MAX_DIM} unknowns are supported"
                ),
            ));
        }
        if spec.model == crate::problem::Model::Mlp && config.run.y0 != 0.0 {
            return Err(SboError::config(
                "run.y0",
                "a network starts from seeded random weights (biases 0), not from a constant: \
                 leave run.y0 at 0 with model = \"mlp\"",
            ));
        }
        let mut resolved = config.clone();
        resolved.problem = config.problem.resolved()?;
        if spec.classes > 0 {
            resolved.problem.classes = Some(spec.classes);
        }
        // The seed split as this run makes it, so a later change of the default rule cannot
        // re-render the run differently.
        resolved.report.select_seeds = Some(k);
        resolved.data.dim = Some(data.d());
        if !data.class_names.is_empty() {
            resolved.data.class_names = Some(data.class_names.clone());
        }
        if config.data.kind == DataKind::Synthetic {
            let (s_min, s_max) = synthetic_spectrum(config, &spec)?;
            resolved.data.s_max = Some(s_max);
            if config.data.kappa.is_none() {
                resolved.data.s_min = Some(s_min);
            }
        }
        // The resolved tables keep the configured steps (rerunning the file must not scale
        // twice); the lanes run with the scaled ones, which summary.json records.
        resolved.algos = configs.iter().map(grid::exact).collect();
        if let Some(sc) = &config.run.step_scaling {
            if let Some(name) = sc
                .algo
                .keys()
                .find(|n| !config.algos.iter().any(|a| a.name.name() == n.as_str()))
            {
                return Err(SboError::config(
                    format!("run.step_scaling.algo.{name}"),
                    "no [[algo]] of this name in the study",
                ));
            }
            let kappa = match (config.data.kind, config.data.kappa) {
                (DataKind::Synthetic, Some(k)) => k,
                _ => {
                    return Err(SboError::config(
                        "run.step_scaling",
                        "needs synthetic data with data.kappa set",
                    ))
                }
            };
            for c in &mut configs {
                sc.apply(kappa, &mut c.algo);
            }
        }
        let log_steps = config.run.log_steps();
        let algos: Vec<_> = configs.iter().map(|c| c.algo.clone()).collect();
        let dims = crate::algo::Dims {
            p: spec.p(data.d(), sizes.lower),
            d: spec.y_len(data.d()),
            n_lower: sizes.lower,
            n_upper: sizes.upper,
            weighs_samples: spec.weighs_samples(),
            random_start: spec.model == crate::problem::Model::Mlp,
        };
        super::size::check_study(config, &algos, &dims, log_steps.len())?;
        Ok(Study {
            log_steps,
            config: resolved,
            spec,
            data: Arc::new(data),
            population: population.map(Arc::new),
            configs,
        })
    }

    /// The study restricted to configurations `configs` and seeds `seeds` (indices into
    /// this study's), sharing its data. Every lane depends only on its configuration, seed and
    /// neighbour, so a piece's lanes are the same lanes as in the whole study: this is how a
    /// shard runs its slice of the groups.
    pub fn piece(&self, configs: Range<usize>, seeds: Range<usize>) -> Study {
        let mut config = self.config.clone();
        config.run.seed_base += seeds.start as u64;
        config.run.seeds = seeds.len();
        if config.algos.len() == self.configs.len() {
            config.algos = config.algos[configs.clone()].to_vec();
        }
        Study {
            config,
            spec: self.spec.clone(),
            data: Arc::clone(&self.data),
            population: self.population.clone(),
            configs: self.configs[configs].to_vec(),
            log_steps: self.log_steps.clone(),
        }
    }

    /// Length of y (features x outputs for the linear model; the network's weights for `mlp`).
    pub fn d(&self) -> usize {
        self.spec.y_len(self.data.d())
    }

    pub fn p(&self) -> usize {
        self.spec.p(self.data.d(), self.data.sizes().lower)
    }

    /// Columns of the data.
    pub fn features(&self) -> usize {
        self.data.d()
    }

    /// The initial y of seed `seed`'s lanes (base and neighbours alike): `run.y0` everywhere
    /// for the linear model, seeded random weights for the network.
    pub fn initial_y(&self, seed: u64) -> Vec<f64> {
        self.spec
            .initial_y(self.features(), seed, self.config.run.y0)
    }

    /// Per configuration: its label and the floats one lane carries (x, y and v, then the
    /// algorithm's memory: momentum, previous iterates, per-sample tables), what `sbo check`
    /// reports. A GPU lane stores them in f32, a CPU lane in the run's precision.
    pub fn lane_floats(&self) -> Vec<(String, usize, usize)> {
        let sizes = self.data.sizes();
        let dims = crate::algo::Dims {
            p: self.p(),
            d: self.d(),
            n_lower: sizes.lower,
            n_upper: sizes.upper,
            weighs_samples: self.spec.weighs_samples(),
            random_start: self.spec.model == crate::problem::Model::Mlp,
        };
        self.configs
            .iter()
            .map(|c| {
                let memory = (c.algo.kind.descriptor().memory)(&c.algo, &dims);
                (c.label.clone(), dims.p + 2 * dims.d, memory)
            })
            .collect()
    }

    /// Whether the test loss is the exact population risk (synthetic data, squared loss)
    /// rather than the loss on the test rows.
    pub fn test_from_population(&self) -> bool {
        self.population.is_some() && self.spec.loss == Loss::Squared
    }
}

/// The covariance spectrum [s_min, s_max] of the synthetic generator, from either s_min or
/// kappa = (s_max + c) / (s_min + c), c = mu + lam_y (prior coupling) or lam_y (bilinear).
///
/// Without `data.s_max`, the prior family keeps mu_g = mu + lam_y and grows L with kappa
/// (s_max = kappa c), while the bilinear family keeps L = 1 + lam_y and shrinks mu_g with kappa
/// under a cross term of fixed size mu: the worst case the kappa bounds are about.
fn synthetic_spectrum(config: &SweepConfig, spec: &ProblemSpec) -> Result<(f64, f64)> {
    let dc = &config.data;
    let curvature = spec.coupling_curvature();
    let c = spec.lam_y + curvature.unwrap_or(0.0);
    match (dc.kappa, dc.s_min) {
        (Some(_), Some(_)) => Err(SboError::config(
            "data.kappa",
            "give either kappa or s_min, not both",
        )),
        (Some(kappa), None) => {
            if !spec.is_quadratic() {
                // Elsewhere the lower Hessian moves with x and y (exp(x) weights, the logistic
                // curvature, phi''), so the configured kappa would name no actual constant.
                return Err(SboError::config(
                    "data.kappa",
                    format!(
                        "kappa is the lower level's condition number (s_max + mu + lam_y) / \
                         (s_min + mu + lam_y) only with squared loss and the prior coupling \
                         (sc-sc), or (s_max + lam_y) / (s_min + lam_y) with the bilinear one; \
                         with {} loss and the {} coupling the lower Hessian depends on x and y, \
                         so no kappa is set: shape the features with data.s_min and data.s_max \
                         instead",
                        format!("{:?}", spec.loss).to_lowercase(),
                        format!("{:?}", spec.coupling).to_lowercase()
                    ),
                ));
            }
            if !(kappa.is_finite() && kappa >= 1.0) {
                return Err(SboError::config(
                    "data.kappa",
                    format!("must be >= 1, got {kappa}"),
                ));
            }
            let prior = spec.coupling == crate::problem::Coupling::Prior;
            let s_max = dc
                .s_max
                .unwrap_or(if prior && c > 0.0 { kappa * c } else { 1.0 });
            let s_min = (s_max + c) / kappa - c;
            if s_min <= 0.0 {
                return Err(SboError::config(
                    "data.kappa",
                    format!(
                        "kappa = {kappa} is out of reach with s_max = {s_max} and a constant \
                         lower curvature of {c}: the largest is {}; raise data.s_max or leave it \
                         out",
                        (s_max + c) / c.max(f64::MIN_POSITIVE)
                    ),
                ));
            }
            Ok((s_min, s_max))
        }
        (None, s_min) => {
            let s_max = dc.s_max.unwrap_or(1.0);
            Ok((s_min.unwrap_or(s_max / 10.0), s_max))
        }
    }
}

fn load_data(
    config: &SweepConfig,
    spec: &ProblemSpec,
    config_dir: Option<&Path>,
) -> Result<(StudyData, Option<Population>)> {
    let dc = &config.data;
    let split_spec = SplitSpec {
        n_lower: dc.n_lower,
        n_upper: dc.n_upper,
        n_test: dc.n_test,
        n_pool: dc.n_pool,
        seed: dc.seed,
    };
    // With resampling, seeds seed_base.. each get their own split or sample.
    let run = &config.run;
    let per_seed = match run.resample {
        Resample::None => None,
        Resample::Data => Some(
            run.seed_base
                ..run
                    .seed_base
                    .checked_add(run.seeds as u64)
                    .filter(|_| run.seeds > 0)
                    .ok_or_else(|| {
                        SboError::config(
                            "run.seed_base",
                            format!(
                                "seeds {}, {} more do not fit in 64 bits (or there are none): \
                                 lower run.seed_base",
                                run.seed_base, run.seeds
                            ),
                        )
                    })?,
        ),
    };
    let samples = per_seed.as_ref().map_or(1, |s| (s.end - s.start) as usize);
    if dc.n_lower == 0 || dc.n_upper == 0 {
        return Err(SboError::config(
            "data.n_lower/n_upper",
            "both sets need at least one sample",
        ));
    }
    match dc.kind {
        DataKind::Synthetic => {
            for (field, n, file) in [
                ("data.n_lower", dc.n_lower, &None),
                ("data.n_upper", dc.n_upper, &dc.validation),
                ("data.n_pool", dc.n_pool, &dc.pool),
            ] {
                if n == data::ALL || file.is_some() {
                    return Err(SboError::config(
                        field,
                        "synthetic data has no files: give a number of rows, and no data.validation / data.pool",
                    ));
                }
            }
            if spec.loss == Loss::Multinomial {
                return Err(SboError::config(
                    "problem.loss",
                    "synthetic data has real-valued labels, not classes: the multinomial loss \
                     needs a labelled file (data.kind = \"libsvm\", \"csv\" or \"idx\")",
                ));
            }
            if spec.model == crate::problem::Model::Mlp {
                // Its population risk and closed forms are those of a linear model.
                return Err(SboError::config(
                    "problem.model",
                    "the synthetic generator's population risk and optimum are a linear \
                     model's: the network lower model needs a data file",
                ));
            }
            let (s_min, s_max) = synthetic_spectrum(config, spec)?;
            if dc.d == 0 {
                return Err(SboError::config("data.d", "must be >= 1"));
            }
            let rows = [dc.n_lower, dc.n_upper, dc.n_test.unwrap_or(1000), dc.n_pool]
                .iter()
                .fold(0usize, |a, &n| a.saturating_add(n));
            super::size::check_synthetic(rows.saturating_mul(samples), dc.d)?;
            let model = QuadraticModel::new(&SyntheticSpec {
                d: dc.d,
                n_lower: dc.n_lower,
                n_upper: dc.n_upper,
                n_test: dc.n_test.unwrap_or(1000),
                n_pool: dc.n_pool,
                s_min,
                s_max,
                sigma: dc.sigma,
                seed: dc.seed,
            })?;
            let logistic = spec.loss == Loss::Logistic;
            let draw = |seed: u64| -> Result<Splits> {
                let mut splits = model.draw_sets(seed)?;
                if logistic {
                    // Logistic loss needs labels in {-1, +1}: keep the sign of the linear model.
                    for set in [
                        &mut splits.lower,
                        &mut splits.upper,
                        &mut splits.test,
                        &mut splits.pool,
                    ] {
                        set.labels
                            .iter_mut()
                            .for_each(|b| *b = if *b > 0.0 { 1.0 } else { -1.0 });
                    }
                }
                Ok(splits)
            };
            let data = match per_seed {
                None => StudyData::from_splits(&draw(dc.seed)?)?,
                Some(seeds) => {
                    let splits = seeds
                        .clone()
                        .map(|s| draw(seed_of(dc.seed, s)))
                        .collect::<Result<Vec<_>>>()?;
                    StudyData::stacked(Some(seeds.start), &splits)?
                }
            };
            Ok((data, (!logistic).then_some(model.population)))
        }
        DataKind::Libsvm | DataKind::Csv | DataKind::Idx => {
            let [train_at, validation_at, pool_at, test_at] = data_files(dc, config_dir)?;
            // Each file's rows and, for a CSV label column of names, its sorted names.
            let read = |path: &Option<PathBuf>| -> Result<Option<NamedRows>> {
                path.as_ref()
                    .map(|path| match dc.kind {
                        DataKind::Csv => data::csv::read_csv_table(path, dc.label_column)
                            .map(|t| (t.data, t.class_names)),
                        DataKind::Idx => data::idx::read_idx(path).map(|d| (d, Vec::new())),
                        _ => data::libsvm::read_libsvm_with(path, dc.dim, dc.index_base)
                            .map(|d| (d, Vec::new())),
                    })
                    .transpose()
            };
            let train_path = train_at.clone().ok_or_else(|| {
                SboError::config("data.train", "a data file is required for this data kind")
            })?;
            let (mut train, train_names) = read(&train_at)?.unwrap_or_default();
            let mut validation = read(&validation_at)?;
            let mut pool = read(&pool_at)?;
            // A test set that is the whole validation file is that file, not a second read.
            let mut test = match (&test_at, &validation) {
                (Some(t), Some(v)) if Some(t) == validation_at.as_ref() => Some(v.clone()),
                _ => read(&test_at)?,
            };
            let class_names = name_classes(
                spec,
                dc,
                &train_path,
                (&mut train, &train_names),
                [
                    (&mut validation, "data.validation"),
                    (&mut pool, "data.pool"),
                    (&mut test, "data.test"),
                ],
            )?;
            let [mut validation, mut pool, mut test] =
                [validation, pool, test].map(|f| f.map(|(d, _)| d));
            // Without a fixed dim, the dimension is the union over the files of the problem.
            let d = [&test, &validation, &pool]
                .iter()
                .fold(train.d, |d, f| d.max(f.as_ref().map_or(0, |f| f.d)));
            if dc.dim.is_none() {
                // Every file widened to the widest one's columns: check that before allocating.
                let rows = [&test, &validation, &pool]
                    .iter()
                    .fold(train.n, |n, f| n + f.as_ref().map_or(0, |f| f.n));
                let budget = crate::machine::memory_budget() as u128;
                if rows as u128 * d as u128 * 4 > budget {
                    return Err(SboError::config(
                        "data.dim",
                        format!(
                            "the data files widened to {d} columns ({rows} rows) would \
                             take {}, more than the {} this run may use: one file has an index \
                             far beyond the others'; check the files or set data.dim",
                            crate::machine::human_bytes(rows as f64 * d as f64 * 4.0),
                            crate::machine::human_bytes(budget as f64)
                        ),
                    ));
                }
                pad(&mut train, d);
                for f in [&mut test, &mut validation, &mut pool]
                    .into_iter()
                    .flatten()
                {
                    pad(f, d);
                }
            }
            if spec.loss == Loss::Logistic {
                // Every file maps a label as the training file does, whatever values it holds.
                let classes = data::libsvm::label_classes(&train, "data.train")?;
                data::libsvm::map_labels_to(&mut train, &classes, "data.train")?;
                // One class has no decision boundary: every logistic model is degenerate.
                if let Some(&first) = train.labels.first() {
                    if train.labels.iter().all(|&l| l == first) {
                        return Err(SboError::config(
                            "data.train",
                            format!(
                                "every label of {} is the same class: logistic loss needs two",
                                train_path.display()
                            ),
                        ));
                    }
                }
                for (f, field) in [
                    (&mut test, "data.test"),
                    (&mut validation, "data.validation"),
                    (&mut pool, "data.pool"),
                ] {
                    if let Some(f) = f.as_mut() {
                        data::libsvm::map_labels_to(f, &classes, field)?;
                    }
                }
            }
            let mut class_labels = Vec::new();
            if spec.loss == Loss::Multinomial && !class_names.is_empty() {
                // Named labels are already the classes 0..C-1 (C names, some perhaps unused).
                class_labels = (0..class_names.len()).map(|c| c as f32).collect();
            } else if spec.loss == Loss::Multinomial {
                let mut files = vec![(&train, "data.train")];
                for (f, field) in [
                    (&test, "data.test"),
                    (&validation, "data.validation"),
                    (&pool, "data.pool"),
                ] {
                    if let Some(f) = f.as_ref() {
                        files.push((f, field));
                    }
                }
                class_labels = data::classes::class_labels(&files, crate::problem::MAX_CLASSES)?;
                data::classes::map_to_classes(&mut train, &class_labels, "data.train")?;
                for (f, field) in [
                    (&mut test, "data.test"),
                    (&mut validation, "data.validation"),
                    (&mut pool, "data.pool"),
                ] {
                    if let Some(f) = f.as_mut() {
                        data::classes::map_to_classes(f, &class_labels, field)?;
                    }
                }
            }
            for (f, field) in [
                (&test, "data.test"),
                (&validation, "data.validation"),
                (&pool, "data.pool"),
            ] {
                if let Some(f) = f.as_ref().filter(|f| f.d != train.d) {
                    return Err(SboError::Dimension {
                        what: format!("{field} features (columns) vs training file"),
                        expected: train.d,
                        got: f.d,
                    });
                }
            }
            let files = data::SplitFiles {
                train: &train,
                test: test.as_ref(),
                validation: validation.as_ref(),
                pool: pool.as_ref(),
            };
            let Some(seeds) = per_seed else {
                // Without resampling, every set is copied out contiguously: a lane's batch rows
                // then sit close together in memory, which the CPU engine's caches reward
                // (about 10 % on ssaid-ijcnn1 against reading through a map into the whole file).
                let splits = data::split_files(&files, &split_spec)?;
                let mut data = StudyData::from_splits(&splits)?;
                data.classes = class_labels;
                data.class_names = class_names;
                return Ok((data, None));
            };
            let rows = files.rows();
            let total = [rows.test, rows.validation, rows.pool]
                .iter()
                .fold(rows.train, |n, f| n + f.unwrap_or(0));
            super::size::check_row_maps(samples, total)?;
            let maps = seeds
                .clone()
                .map(|s| {
                    data::file_rows(
                        &rows,
                        &SplitSpec {
                            seed: seed_of(dc.seed, s),
                            ..split_spec.clone()
                        },
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            // One table: the files stacked in the order file_rows indexes them.
            let mut table = train;
            for f in [test, validation, pool].into_iter().flatten() {
                table.features.extend_from_slice(&f.features);
                table.labels.extend_from_slice(&f.labels);
                table.n += f.n;
            }
            let mut data = StudyData::per_seed(table, seeds.start, maps)?;
            data.classes = class_labels;
            data.class_names = class_names;
            Ok((data, None))
        }
    }
}

/// A data file's rows and its sorted label names (empty: numeric labels).
type NamedRows = (Dataset, Vec<String>);

// The CSV reader's cap on names per file is the most classes a problem may have.
const _: () = assert!(data::csv::MAX_CLASS_NAMES == crate::problem::MAX_CLASSES);

/// Named labels (a CSV label column of names) become classes shared by every file
/// ([`data::classes::name_classes`]): class indices 0..C-1 for the multinomial loss, and for
/// the logistic loss -1 for the first of exactly two names and +1 for the second. Returns the
/// names in class order, empty when the labels are numbers. Errors, by field: names with the
/// squared loss (`problem.loss`), more than two names with the logistic loss (the file that
/// brings the third) or more than [`crate::problem::MAX_CLASSES`] with the multinomial loss.
fn name_classes(
    spec: &ProblemSpec,
    dc: &super::config::DataConfig,
    train_path: &Path,
    train: (&mut Dataset, &[String]),
    others: [(&mut Option<NamedRows>, &'static str); 3],
) -> Result<Vec<String>> {
    if dc.class_names.is_some() && dc.kind != DataKind::Csv {
        return Err(SboError::config(
            "data.class_names",
            "only a CSV label column names its classes (data.kind = \"csv\")",
        ));
    }
    let (max, limit) = match spec.loss {
        Loss::Logistic => (
            2,
            "the logistic loss takes two classes (loss = \"multinomial\" takes more)",
        ),
        _ => (
            crate::problem::MAX_CLASSES,
            "the most classes a multinomial problem may have",
        ),
    };
    let mut files = vec![data::classes::NamedFile {
        data: train.0,
        names: train.1,
        field: "data.train",
    }];
    for (f, field) in others {
        if let Some((data, names)) = f.as_mut() {
            files.push(data::classes::NamedFile { data, names, field });
        }
    }
    let Some(names) =
        data::classes::name_classes(&mut files, dc.class_names.as_deref(), max, limit)?
    else {
        return Ok(Vec::new());
    };
    match spec.loss {
        Loss::Squared => Err(SboError::config(
            "problem.loss",
            format!(
                "the labels of {} are class names ({}): they need loss = \"logistic\" or \
                 \"multinomial\"",
                train_path.display(),
                match names.len() {
                    n @ 0..=5 => names[..n].join(", "),
                    n => format!("{}, ... ({n} names)", names[..4].join(", ")),
                }
            ),
        )),
        Loss::Logistic => {
            // The first name is -1, the second +1 (the numeric path then keeps them).
            for f in &mut files {
                f.data
                    .labels
                    .iter_mut()
                    .for_each(|l| *l = if *l == 0.0 { -1.0 } else { 1.0 });
            }
            Ok(names)
        }
        Loss::Multinomial => Ok(names),
    }
}

/// The data files (train, validation, pool, test), found and made canonical once. Two sets
/// read from one file would share rows (each takes its rows independently), so a file may
/// serve one set only. The exception is a test set that is the whole validation file
/// (`n_test` unset, `n_upper = "all"`): a problem without a third set, such as benchopt's
/// ijcnn1, reports accuracy on its validation set, and saying so is the caller's choice.
fn data_files(
    dc: &super::config::DataConfig,
    config_dir: Option<&Path>,
) -> Result<[Option<PathBuf>; 4]> {
    let mut out: [Option<PathBuf>; 4] = Default::default();
    let fields = ["data.train", "data.validation", "data.pool", "data.test"];
    let given = [&dc.train, &dc.validation, &dc.pool, &dc.test];
    for (i, (field, p)) in fields.iter().zip(given).enumerate() {
        let Some(p) = p else { continue };
        let path = find_file(p, config_dir)?;
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        if let Some(j) = out[..i].iter().position(|q| q.as_ref() == Some(&path)) {
            let other = fields[j];
            let whole_validation = other == "data.validation"
                && *field == "data.test"
                && dc.n_test.is_none()
                && dc.n_upper == data::ALL;
            if !whole_validation {
                return Err(SboError::config(
                    *field,
                    format!(
                        "{} is also {other}: two sets from one file would share rows (only a \
                         test set that is the whole validation file may repeat it: n_upper = \
                         \"all\" and no n_test)",
                        p.display()
                    ),
                ));
            }
        }
        out[i] = Some(path);
    }
    Ok(out)
}

/// Widens a dataset to `d` columns with zeros.
fn pad(set: &mut Dataset, d: usize) {
    if set.d == d {
        return;
    }
    let mut f = Vec::with_capacity(set.n * d);
    for i in 0..set.n {
        f.extend_from_slice(set.row(i));
        f.resize((i + 1) * d, 0.0);
    }
    set.features = f;
    set.d = d;
}

fn find_file(p: &Path, config_dir: Option<&Path>) -> Result<PathBuf> {
    if p.is_absolute() || p.exists() {
        return Ok(p.to_path_buf());
    }
    let mut tried = vec![p.to_path_buf()];
    let candidates = config_dir
        .map(|d| d.join(p))
        .into_iter()
        .chain(std::iter::once(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(p),
        ));
    for c in candidates {
        if c.exists() {
            return Ok(c);
        }
        tried.push(c);
    }
    Err(SboError::io(
        p,
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "file not found (looked at {})",
                tried
                    .iter()
                    .map(|t| t.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    ))
}
