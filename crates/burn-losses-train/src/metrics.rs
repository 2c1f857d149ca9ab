//! Class statistics the examples and class-balanced losses need.

use burn::data::dataset::Dataset;
use burn::tensor::{Int, Tensor};

/// Number of items of each class in `dataset` (`label` extracts the class index of an item).
/// Labels `>= num_classes` are an error naming the item.
pub fn class_counts<I, D: Dataset<I> + ?Sized>(
    dataset: &D,
    num_classes: usize,
    label: impl Fn(&I) -> usize,
) -> Result<Vec<usize>, String> {
    let mut counts = vec![0usize; num_classes];
    for index in 0..dataset.len() {
        let item = dataset.get(index).map_err(|e| format!("item {index}: {e:?}"))?;
        let c = label(&item);
        if c >= num_classes {
            return Err(format!("item {index}: label {c} outside [0, {num_classes})"));
        }
        counts[c] += 1;
    }
    Ok(counts)
}

/// A confusion matrix accumulated over batches: `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionMatrix {
    /// `counts[t][p]`: items of true class `t` predicted as `p`.
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    /// An empty matrix for `num_classes` classes.
    pub fn new(num_classes: usize) -> Self {
        Self {
            counts: vec![vec![0; num_classes]; num_classes],
        }
    }

    /// Adds a batch: `logits [N, C]` (argmax is the prediction) and class indices `[N]`.
    pub fn update(&mut self, logits: Tensor<2>, targets: Tensor<1, Int>) {
        let predicted: Vec<i64> = logits.argmax(1).into_data().iter::<i64>().collect();
        let truth: Vec<i64> = targets.into_data().iter::<i64>().collect();
        for (t, p) in truth.into_iter().zip(predicted) {
            self.counts[t as usize][p as usize] += 1;
        }
    }

    /// Items seen.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Fraction predicted correctly.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.counts.len()).map(|c| self.counts[c][c]).sum();
        correct as f64 / self.total() as f64
    }

    /// Recall of each class (`NaN` for a class with no items).
    pub fn per_class_recall(&self) -> Vec<f64> {
        self.counts
            .iter()
            .enumerate()
            .map(|(c, row)| row[c] as f64 / row.iter().sum::<u64>() as f64)
            .collect()
    }

    /// Mean recall over the classes that have items.
    pub fn balanced_accuracy(&self) -> f64 {
        let recalls: Vec<f64> = self
            .per_class_recall()
            .into_iter()
            .filter(|r| !r.is_nan())
            .collect();
        recalls.iter().sum::<f64>() / recalls.len() as f64
    }
}
