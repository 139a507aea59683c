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
            replaced: None,
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

/// A dataset as one lane sees it: the shared rows, with at most one of them replaced.
#[derive(Clone, Copy, Debug)]
pub struct DataView<'a> {
    pub data: &'a Dataset,
    pub replaced: Option<Replacement<'a>>,
}

impl<'a> DataView<'a> {
    pub fn with_replacement(data: &'a Dataset, replaced: Option<Replacement<'a>>) -> Self {
        DataView { data, replaced }
    }

    #[inline(always)]
    pub fn n(&self) -> usize {
        self.data.n
    }

    #[inline(always)]
    pub fn d(&self) -> usize {
        self.data.d
    }

    /// Row `i` and its label, substituted when `i` is the replaced index.
    #[inline(always)]
    pub fn sample(&self, i: usize) -> (&'a [f32], f32) {
        match self.replaced {
            Some(r) if r.index == i => (r.row, r.label),
            _ => (self.data.row(i), self.data.labels[i]),
        }
    }
}
