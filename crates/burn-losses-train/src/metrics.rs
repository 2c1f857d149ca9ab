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

    /// Precision of each class (`NaN` for a class that was never predicted).
    pub fn per_class_precision(&self) -> Vec<f64> {
        (0..self.counts.len())
            .map(|c| self.counts[c][c] as f64 / self.counts.iter().map(|row| row[c]).sum::<u64>() as f64)
            .collect()
    }

    /// F1 of each class, `2PR / (P + R)`; 0 for a class with items that was never predicted
    /// correctly, `NaN` for a class without items.
    pub fn per_class_f1(&self) -> Vec<f64> {
        self.per_class_precision()
            .into_iter()
            .zip(self.per_class_recall())
            .map(|(p, r)| {
                if r.is_nan() {
                    f64::NAN
                } else if p.is_nan() || p + r == 0.0 {
                    0.0
                } else {
                    2.0 * p * r / (p + r)
                }
            })
            .collect()
    }

    /// Macro-averaged F1 over the classes that have items (scikit-learn's `f1_score(average="macro")`
    /// with `zero_division=0`).
    pub fn macro_f1(&self) -> f64 {
        mean_of_defined(self.per_class_f1())
    }

    /// Mean recall over the classes that have items.
    pub fn balanced_accuracy(&self) -> f64 {
        mean_of_defined(self.per_class_recall())
    }
}

/// Mean of the values that are not NaN.
fn mean_of_defined(values: Vec<f64>) -> f64 {
    let defined: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
    defined.iter().sum::<f64>() / defined.len() as f64
}
