//! The row-wise kind without a softmax: a loss of one row of class scores `x [C]` against its
//! target class `t` ([`NllLoss`](crate::NllLoss), [`MultiMarginLoss`](crate::MultiMarginLoss),
//! [`CategoricalHingeLoss`](crate::CategoricalHingeLoss)). The loss declares the row's value and
//! gradient once ([`ClassRowLoss`]); this kernel does the pass over the rows, the class weight of
//! each row's target, `ignore_index`, the reductions and the autodiff node:
//!
//! ```text
//! ℓ_r = w_t · row(x_r, t)   (0 where t = ignore_index);   ∂ℓ_r/∂x_r = w_t · ∂row/∂x_r
//! ```
//!
//! The softmax losses have their own row kernel (`softmax.rs`: the log-sum-exp kept for the
//! backward, positions gathered across spatial dims).

use std::sync::Arc;

use burn::tensor::{Int, Tensor};

use super::dispatch::{host_class_indices, row_kernel_constants, run_checked};
use super::kernel::{HostKernel, IGNORED, reduce_positions, reduced_upstream};
use super::math::simd;
use super::softmax::{MeanOver, class_weights};
use crate::error::LossResult;
use crate::reduction::Reduction;
use crate::tensor::dynamic::DynTensor;

/// Rows' elements per rayon task.
const TASK_ELEMENTS: usize = 1 << 14;

/// One row's loss against its target class, and its gradient, with the composed formula's
/// subgradients.
pub(crate) trait ClassRowLoss: Copy + std::fmt::Debug + Send + Sync + 'static {
    /// `row(x, t)`.
    fn value(&self, x: &[f32], t: usize) -> f32;
    /// `out = g · ∂row/∂x` (every element of `out` written).
    fn grad(&self, x: &[f32], t: usize, g: f32, out: &mut [f32]);
}

/// The options of a class-row loss around its row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClassRowTerms {
    /// Class weights `[C]`, the target's multiplying its row (all 1 without).
    pub weights: Option<Vec<f32>>,
    /// The skipped target value.
    pub ignore_index: Option<i64>,
    /// The `"mean"` denominator.
    pub mean_over: MeanOver,
}

/// The fused loss of scores `input [N, C]` and class indices `target [N]` when it applies (f32 on
/// a CPU backend with kernels; a per-sample `weight [N]` multiplies its row's loss and gradient,
/// outside the `"mean"` denominator as in the composed path), with the unreduced shape `[N]`:
/// `checked` runs the loss's checks and gives its terms; the class range is checked here on the
/// host copy of the targets. `None`: the composed path.
pub(crate) fn checked_class_row_loss<R: ClassRowLoss>(
    loss: &'static str,
    row: R,
    input: &DynTensor,
    target: &DynTensor<Int>,
    weight: Option<&DynTensor>,
    reduction: Reduction,
    checked: impl FnOnce() -> LossResult<ClassRowTerms>,
) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
    if input.shape.len() != 2 || target.shape.len() != 1 {
        return None;
    }
    let constants = row_kernel_constants(input, weight, reduction)?;
    let kernel = checked().and_then(|terms| {
        let (n, c) = (input.shape[0], input.shape[1]);
        let targets = host_class_indices(loss, &target.flat, c, terms.ignore_index)?;
        Ok(ClassRowKernel::new(row, n, c, &terms, targets, reduction))
    });
    run_checked(kernel, &input.flat, &constants, target.shape.clone())
}

/// A [`ClassRowLoss`] with its weights, targets and reduction; constants: none, or the per-sample
/// weight `[N]`.
#[derive(Debug, Clone)]
pub(crate) struct ClassRowKernel<R: ClassRowLoss> {
    row: R,
    n: usize,
    c: usize,
    /// Class weights, all 1 without.
    weights: Arc<[f32]>,
    /// `[N]` class indices, [`IGNORED`] where ignored.
    targets: Arc<[u32]>,
    reduction: Reduction,
    /// The `"mean"` denominator.
    divisor: f64,
}

impl<R: ClassRowLoss> ClassRowKernel<R> {
    pub(crate) fn new(
        row: R,
        n: usize,
        c: usize,
        terms: &ClassRowTerms,
        targets: Vec<u32>,
        reduction: Reduction,
    ) -> Self {
        let weights = class_weights(terms.weights.as_deref(), c);
        let divisor = terms.mean_over.divisor(&targets, &weights);
        Self {
            row,
            n,
            c,
            weights,
            targets: targets.into(),
            reduction,
            divisor,
        }
    }

    /// Rows per rayon task.
    fn rows_per_task(&self) -> usize {
        (TASK_ELEMENTS / self.c.max(1)).max(1)
    }

    /// `sw_r · w_t · row(x_r, t)` of every row (0 where ignored; `sw` the per-sample weight).
    fn row_losses(&self, x: &[f32], sample_weight: Option<&[f32]>) -> Vec<f32> {
        use rayon::prelude::*;
        let (c, rows) = (self.c, self.rows_per_task());
        let mut losses = vec![0.0f32; self.n];
        losses
            .par_chunks_mut(rows)
            .enumerate()
            .for_each(|(task, losses)| {
                simd(
                    #[inline(always)]
                    || {
                        for (i, loss) in losses.iter_mut().enumerate() {
                            let r = task * rows + i;
                            let t = self.targets[r];
                            *loss = if t == IGNORED {
                                0.0
                            } else {
                                let sw = sample_weight.map_or(1.0, |w| w[r]);
                                sw * self.weights[t as usize]
                                    * self.row.value(&x[r * c..(r + 1) * c], t as usize)
                            };
                        }
                    },
                )
            });
        losses
    }
}

impl<R: ClassRowLoss> HostKernel for ClassRowKernel<R> {
    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32> {
        let losses = self.row_losses(x, constants.first().copied());
        reduce_positions(losses, self.reduction, self.divisor)
    }

    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let sample_weight = constants.first().copied();
        let scale = reduced_upstream(self.reduction, upstream, self.divisor);
        let (c, rows) = (self.c, self.rows_per_task());
        let mut out = vec![0.0f32; self.n * c];
        out.par_chunks_mut(rows * c).enumerate().for_each(|(task, out)| {
            simd(
                #[inline(always)]
                || {
                    for (i, out) in out.chunks_exact_mut(c).enumerate() {
                        let r = task * rows + i;
                        let t = self.targets[r];
                        if t == IGNORED {
                            continue; // zeros already
                        }
                        let sw = sample_weight.map_or(1.0, |w| w[r]);
                        let g = scale.unwrap_or_else(|| upstream[r]) * sw * self.weights[t as usize];
                        self.row.grad(&x[r * c..(r + 1) * c], t as usize, g, out);
                    }
                },
            )
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row loss `Σ_j (x_j − x_t)²` for the bookkeeping tests.
    #[derive(Debug, Clone, Copy)]
    struct Spread;

    impl ClassRowLoss for Spread {
        fn value(&self, x: &[f32], t: usize) -> f32 {
            x.iter().map(|&v| (v - x[t]) * (v - x[t])).sum()
        }
        fn grad(&self, x: &[f32], t: usize, g: f32, out: &mut [f32]) {
            let mut at_t = 0.0;
            for (o, &v) in out.iter_mut().zip(x) {
                *o = g * 2.0 * (v - x[t]);
                at_t -= *o;
            }
            out[t] += at_t;
        }
    }

    #[test]
    fn weights_ignored_rows_and_reductions() {
        let (n, c) = (5, 3);
        let x: Vec<f32> = (0..n * c).map(|i| ((i * 7) % 11) as f32 / 4.0 - 1.0).collect();
        let targets = vec![0, 2, IGNORED, 1, 2];
        let w = vec![1.0, 2.0, 0.5];
        let terms = |mean_over| ClassRowTerms {
            weights: Some(w.clone()),
            ignore_index: Some(-100),
            mean_over,
        };
        let row = |r: usize| Spread.value(&x[r * c..(r + 1) * c], targets[r] as usize);
        let each: Vec<f32> = (0..n)
            .map(|r| {
                if targets[r] == IGNORED {
                    0.0
                } else {
                    w[targets[r] as usize] * row(r)
                }
            })
            .collect();
        let mut none = ClassRowKernel::new(
            Spread,
            n,
            c,
            &terms(MeanOver::Valid),
            targets.clone(),
            Reduction::None,
        );
        assert_eq!(none.forward(&x, &[]), each);
        let total: f32 = each.iter().sum();
        let weight_sum = 1.0 + 0.5 + 2.0 + 0.5;
        for (mean_over, divisor) in [
            (MeanOver::Valid, 4.0),
            (MeanOver::ValidWeight, weight_sum),
            (MeanOver::Count(n), n as f32),
        ] {
            let mut mean =
                ClassRowKernel::new(Spread, n, c, &terms(mean_over), targets.clone(), Reduction::Mean);
            let value = mean.forward(&x, &[])[0];
            assert!(
                (value - total / divisor).abs() <= 1e-6 * value.abs(),
                "{mean_over:?}"
            );
            // the mean's gradient is the unreduced one with upstream 3 / divisor
            let grad = mean.backward(&x, &[], &[3.0]);
            let want = none.backward(&x, &[], &vec![3.0 / divisor; n]);
            for (a, b) in grad.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()));
            }
        }
        // an ignored row has a zero gradient; the others are w_t times the row's
        let grad = none.backward(&x, &[], &[1.0; 5]);
        assert!(grad[2 * c..3 * c].iter().all(|&g| g == 0.0));
        let mut row1 = vec![0.0; c];
        Spread.grad(&x[c..2 * c], 2, 0.5, &mut row1);
        assert_eq!(&grad[c..2 * c], &row1[..]);
    }
}
