//! Self-adjusting Dice (DSC): the family's shared documentation is the crate docs' [Self-adjusting Dice (DSC)](crate#self-adjusting-dice-dsc).

use burn::tensor::{Float, Int, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{
    check_class_index_target, check_class_indices, check_float_range, check_same_dtype,
};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::focal_power;
use crate::tensor::math::safe_ratio;
use crate::tensor::math::{stable_sigmoid, stable_softmax};

crate::loss::declare::loss_config! {
    /// Configuration of [`DscLoss`] (`"type": "dsc"` in a [`LossConfig`](crate::LossConfig)).
    DscLossConfig("dsc", defaults "α = 1, smooth 1, per instance, mean") {
        /// α >= 0 of the self-adjusting factor `(1 − p)^α`: 0 gives plain soft Dice. Default `1.0`
        /// (the paper; ShannonAI's default is 0).
        alpha: f64 = 1.0 => with_alpha,
        /// Smoothing γ >= 0 added to numerator and denominator. Default `1.0` (the paper's
        /// formula; ShannonAI's default is 1e-4).
        smooth: f64 = 1.0 => with_smooth,
        /// `true`: denominator `p̃² + y²` (ShannonAI `square_denominator=True`, also accepted as
        /// `"square_denominator"`; the overlap losses' `squared_pred`). Default `false`: `p̃ + y`
        /// (the paper's DSC).
        #[serde(alias = "square_denominator")]
        squared_pred: bool = false => with_squared_pred,
        /// `true`: the sums run over all (unmasked) instances before the ratio — one ratio per class
        /// (ShannonAI's binary path; the survey document's TensorFlow `dsc_loss` / `dice_loss`).
        /// Default `false`: one ratio per instance and class.
        batch: bool = false => with_batch,
        /// `"mean"` (default: over instances), `"sum"` or `"none"` (`[N]`, or `[1]` with `batch`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "alpha", self.alpha)?;
        check::non_negative(Self::NAME, "smooth", self.smooth)
    }
    /// Self-adjusting Dice loss. With `p` the softmax (`input [N, C]`) or sigmoid (`input [N]`,
    /// binary: the positive class only) probability, `y` the one-hot target and
    /// `p̃ = (1 − p)^α · p`, per instance `i` and class `c`:
    ///
    /// ```text
    /// ℓ_ic = 1 − (2·p̃·y + γ) / (p̃ + y + γ)          (squared_pred: p̃² + y²)
    /// DSC_i = Σ_c ℓ_ic,   "mean" = mean over instances
    /// batch: the sums Σ_i p̃·y, Σ_i p̃, Σ_i y are taken over all instances first: one ratio per class
    /// ```
    ///
    /// The multiclass path with `squared_pred` equals ShannonAI's `DiceLoss(square_denominator=
    /// True)`, whose binary path equals `batch: true`; `{"alpha": 1, "batch": true}` on `[N]` logits
    /// is the survey document's TensorFlow `dsc_loss`, `{"alpha": 0, "batch": true}` its
    /// `dice_loss`. An optional `mask [N]` (0 = the instance is left out of every sum, ShannonAI's
    /// `mask`) multiplies `p` and `y` before the self-adjusting factor; `"mean"` still divides by
    /// all N instances, as ShannonAI's `loss.mean()` does. `(1 − p)` is floored at the smallest normal f32 before the
    /// power, so α < 1 keeps a finite gradient at `p = 1`.
    ///
    /// # Shapes
    /// - `input`: `[N, C]` logits (softmax) or `[N]` logits (sigmoid)
    /// - `target`: class indices `[N]` (0 / 1 for `[N]` input)
    /// - `mask` (optional): `[N]`
    /// - output: `[1]` (mean, sum), `[N]` or `[1]` with `batch` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every instance masked: `p = y = 0`, each ratio `smooth /
    /// smooth`, loss 0 (`smooth` > 0) with a zero gradient.
    DscLoss;
    forward "logits `[N, C]` (or `[N]`, `D = 1`) against class indices `[N]` (`[N]`, or `[1]` with `batch`, unreduced)",
        <const D: usize> (input: Tensor<D> => with_float, target: Tensor<1, Int> => with_int),
        optional mask: Tensor<1> => with_float, unreduced Tensor<1>;
}

/// DSC's softmax row for the class-row kernel (`input [N, C]`, per instance, `smooth > 0`): the
/// composed formula for one row, its gradient through `p̃`, then through the softmax
/// (`∂ℓ/∂x_j = p_j·(G_j − Σ_c p_c·G_c)`, `G_c = ∂ℓ/∂p_c`).
#[derive(Debug, Clone, Copy)]
struct DscRow {
    alpha: f32,
    smooth: f32,
    squared: bool,
}

impl DscRow {
    /// `(p̃, dp̃/dp)` of a probability `p`: `p̃ = q^α·p`, `q = max(1 − p, MIN_POSITIVE)` (the floor
    /// with its zero derivative, as the composed `focal_power`).
    #[inline(always)]
    fn adjusted(self, p: f32) -> (f32, f32) {
        let one_minus = 1.0 - p;
        let q = one_minus.max(f32::MIN_POSITIVE);
        let dq = if one_minus > f32::MIN_POSITIVE { -1.0 } else { 0.0 };
        let (f, df) = match self.alpha {
            0.0 => (1.0, 0.0),
            1.0 => (q, 1.0),
            2.0 => (q * q, 2.0 * q),
            a => {
                let f = q.powf(a);
                (f, a * f / q)
            }
        };
        (f * p, f + p * df * dq)
    }

    /// `(ℓ_c, dℓ_c/dp̃)` of one class from `p̃` and `y ∈ {0, 1}`.
    #[inline(always)]
    fn term(self, pa: f32, y: f32) -> (f32, f32) {
        let num = 2.0 * pa * y + self.smooth;
        let (den, dden) = if self.squared {
            (pa * pa + y * y + self.smooth, 2.0 * pa)
        } else {
            (pa + y + self.smooth, 1.0)
        };
        (1.0 - num / den, -(2.0 * y * den - num * dden) / (den * den))
    }

    /// `(p_c, G_c)` of class `c` of a row with log-sum-exp `lse`.
    #[inline(always)]
    fn class(self, lse: crate::fused::Lse, v: f32, y: f32) -> (f32, f32) {
        let p = crate::fused::math::exp(lse.log_p(v));
        let (pa, dpa) = self.adjusted(p);
        (p, self.term(pa, y).1 * dpa)
    }
}

impl crate::fused::ClassRowLoss for DscRow {
    fn value(&self, x: &[f32], t: usize) -> f32 {
        let lse = crate::fused::Lse::of_row(x);
        x.iter()
            .enumerate()
            .map(|(c, &v)| {
                let p = crate::fused::math::exp(lse.log_p(v));
                self.term(self.adjusted(p).0, (c == t) as u8 as f32).0
            })
            .sum()
    }

    fn grad(&self, x: &[f32], t: usize, g: f32, out: &mut [f32]) {
        let lse = crate::fused::Lse::of_row(x);
        let mut total = 0.0;
        for (c, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            let (p, gc) = self.class(lse, v, (c == t) as u8 as f32);
            *o = gc;
            total += p * gc;
        }
        for (o, &v) in out.iter_mut().zip(x) {
            *o = g * crate::fused::math::exp(lse.log_p(v)) * (*o - total);
        }
    }
}

impl DscLoss {
    /// The class-row kernel's pass for softmax logits `[N, C]` per instance with `smooth > 0`
    /// and no `mask`; `None`: the composed path.
    fn fused_loss(&self, input: &DynTensor<Float>, target: &DynTensor<Int>) -> Option<LossResult<DynTensor>> {
        let name = DscLossConfig::NAME;
        let config = &self.config;
        if config.batch || config.smooth <= 0.0 {
            return None;
        }
        let row = DscRow {
            alpha: config.alpha as f32,
            smooth: config.smooth as f32,
            squared: config.squared_pred,
        };
        let reduction = config.reduction;
        let fused = crate::fused::checked_class_row_loss(name, row, input, target, None, reduction, || {
            let n = input.shape[0];
            check_class_index_target(name, &target.shape, n)?;
            Ok(crate::fused::ClassRowTerms {
                weights: None,
                ignore_index: None,
                mean_over: crate::fused::MeanOver::Count(n),
            })
        })?;
        Some(fused.map(|(loss, shape)| crate::reduction::reduced_to_dyn(loss, shape, reduction)))
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = DscLossConfig::NAME;
        crate::tensor::dynamic::check_non_empty(name, "input", input)?;
        if input.shape.is_empty() || input.shape.len() > 2 {
            return Err(LossError::input(
                name,
                "input",
                "logits of shape [N, C] (softmax) or [N] (sigmoid)",
                fmt_shape(&input.shape),
            ));
        }
        let n = input.shape[0];
        check_class_index_target(name, &target.shape, n)?;
        let t = target.view([n, 1]);
        let (p, y) = if input.shape.len() == 1 {
            check_class_indices(name, &t, 2, None)?;
            let x = input.view([n, 1]);
            (stable_sigmoid(x.clone()), t.float().cast(x.dtype()))
        } else {
            let c = input.shape[1];
            check_class_indices(name, &t, c, None)?;
            let x = input.view([n, c]);
            let y = crate::tensor::onehot::one_hot(t.reshape([n]), c, x.dtype());
            (stable_softmax(x, 1), y)
        };
        // ShannonAI masks the probabilities and targets before the self-adjusting factor.
        let (p, y) = match mask {
            Some(m) => {
                if m.shape != [n] {
                    return Err(LossError::input(
                        name,
                        "mask",
                        format!("shape [{n}] (one value per instance)"),
                        fmt_shape(&m.shape),
                    ));
                }
                check_same_dtype(name, "mask", Some(m), input)?;
                check_float_range(name, "mask", m, 0.0, 1.0, "mask values")?;
                let m = m.view([n, 1]);
                (p * m.clone(), y * m)
            }
            None => (p, y),
        };
        let p_adj = if self.config.alpha == 0.0 {
            p
        } else {
            focal_power(p.clone().neg() + 1.0, self.config.alpha) * p
        };
        let intersection = p_adj.clone() * y.clone();
        let (mut pred, mut truth) = if self.config.squared_pred {
            (p_adj.clone().powi_scalar(2), y.clone().powi_scalar(2))
        } else {
            (p_adj, y)
        };
        let mut intersection = intersection;
        if self.config.batch {
            intersection = intersection.sum_dim(0);
            pred = pred.sum_dim(0);
            truth = truth.sum_dim(0);
        }
        let smooth = self.config.smooth;
        let per_class = safe_ratio(intersection * 2.0 + smooth, pred + truth + smooth).neg() + 1.0;
        let per_instance = per_class.sum_dim(1);
        let rows = per_instance.dims()[0];
        Ok((ElementLoss::new(per_instance), vec![rows]))
    }
}

impl crate::loss::LossModule for DscLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = DscLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.int(name, "target")?;
        let mask = inputs.float_opt("mask")?;
        if mask.is_none()
            && input.numel() > 0
            && let Some(fused) = self.fused_loss(&input, &target)
        {
            return fused;
        }
        let (terms, shape) = self.element_loss(&input, &target, mask.as_ref())?;
        Ok(reduce_to_dyn(terms, shape, self.config.reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        self.try_forward(input, targets, None)
    }
}
