use crate::error::{Result, SboError};

/// A dense dataset: `n` rows of `d` f32 features (row-major) and one f32 label per row.
/// Rows are stored once and shared by every lane; neighbours see them through a [`DataView`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub n: usize,
    pub d: usize,
    /// Row-major, `n * d` values.
    pub features: Vec<f32>,
    pub labels: Vec<f32>,
}

impl Dataset {
    pub fn new(d: usize, features: Vec<f32>, labels: Vec<f32>) -> Result<Self> {
        let n = labels.len();
        if features.len() != n * d {
            return Err(SboError::Dimension {
                what: "dataset features (rows x columns)".into(),
                expected: n * d,
                got: features.len(),
            });
        }
        Ok(Dataset {
            n,
            d,
            features,
            labels,
        })
    }

    #[inline(always)]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.d..(i + 1) * self.d]
    }

    #[inline(always)]
    pub fn label(&self, i: usize) -> f32 {
        self.labels[i]
    }

    /// The rows `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        let mut features = Vec::with_capacity(idx.len() * self.d);
        let mut labels = Vec::with_capacity(idx.len());
        for &i in idx {
            features.extend_from_slice(self.row(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            n: idx.len(),
            d: self.d,
            features,
            labels,
        }
    }

    pub fn view(&self) -> DataView<'_> {
        DataView {
            data: self,
            rows: None,
            replaced: None,
            lanes: &[],
        }
    }
}

/// One sample of a set replaced by another (a row of the replacement pool): what makes a
/// neighbouring dataset.
#[derive(Clone, Copy, Debug)]
pub struct Replacement<'a> {
    pub index: usize,
    pub row: &'a [f32],
    pub label: f32,
}

/// A dataset as one lane sees it: some rows of a shared table (all of them, in order, when
/// `rows` is `None`), with at most one of them replaced. Row maps let every seed of a study
/// draw its own sets from one table stored (and uploaded) once.
#[derive(Clone, Copy, Debug)]
pub struct DataView<'a> {
    pub data: &'a Dataset,
    /// Sample `i` is row `rows[i]` of `data`.
    pub rows: Option<&'a [u32]>,
    pub replaced: Option<Replacement<'a>>,
    /// For a pack of lanes computed together (`real::Pack`): lane k sees `lanes[k]` instead of
    /// its own sample; empty for one lane, which reads `replaced`.
    pub lanes: &'a [Option<Replacement<'a>>],
}

impl<'a> DataView<'a> {
    pub fn with_replacement(data: &'a Dataset, replaced: Option<Replacement<'a>>) -> Self {
        data.view().replacing(replaced)
    }

    /// This view with `replaced` (a neighbour's swapped sample) instead of its own.
    pub fn replacing(self, replaced: Option<Replacement<'a>>) -> Self {
        DataView { replaced, ..self }
    }

    /// This view as a pack of lanes sees it: lane k with `lanes[k]` instead of its own sample.
    pub fn for_lanes(self, lanes: &'a [Option<Replacement<'a>>]) -> Self {
        DataView {
            replaced: None,
            lanes,
            ..self
        }
    }

    /// Rows `rows` of `data`, in that order. Every index must be below `data.n`.
    pub fn of_rows(data: &'a Dataset, rows: &'a [u32]) -> Self {
        DataView {
            data,
            rows: Some(rows),
            replaced: None,
            lanes: &[],
        }
    }

    #[inline(always)]
    pub fn n(&self) -> usize {
        self.rows.map_or(self.data.n, <[u32]>::len)
    }

    #[inline(always)]
    pub fn d(&self) -> usize {
        self.data.d
    }

    /// Sample `i` (row and label) before any replacement.
    #[inline(always)]
    pub fn original(&self, i: usize) -> (&'a [f32], f32) {
        let r = self.rows.map_or(i, |m| m[i] as usize);
        (self.data.row(r), self.data.labels[r])
    }

    /// Row `i` and its label, substituted when `i` is the replaced index.
    #[inline(always)]
    pub fn sample(&self, i: usize) -> (&'a [f32], f32) {
        match self.replaced {
            Some(r) if r.index == i => (r.row, r.label),
            _ => self.original(i),
        }
    }

    /// The samples as a dataset of their own (copies the rows).
    pub fn to_dataset(&self) -> Dataset {
        let (n, d) = (self.n(), self.d());
        let mut features = Vec::with_capacity(n * d);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let (row, label) = self.sample(i);
            features.extend_from_slice(row);
            labels.push(label);
        }
        Dataset {
            n,
            d,
            features,
            labels,
        }
    }
}
