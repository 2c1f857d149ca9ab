//! Per-class metrics the examples need (class counts live in `burn-losses-core`, re-exported).

use burn::tensor::{Int, Tensor};

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
