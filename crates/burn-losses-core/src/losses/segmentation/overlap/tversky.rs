//! [`TverskyLoss`] and [`FocalTverskyLoss`].

use burn::tensor::{Float, Int, Tensor};

use super::shared::*;
use crate::error::{LossError, LossResult, check, or_panic};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::activation::Activation;
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::math::focal_power;

overlap_config! {
    /// Configuration of [`TverskyLoss`] (`"type": "tversky"`): MONAI `TverskyLoss`'s options.
    TverskyLossConfig("tversky") {
        /// α >= 0, the weight of false positives. Default `0.5` (MONAI; α = β = 0.5 is Dice).
        alpha: f64 = 0.5 => with_alpha,
        /// β >= 0, the weight of false negatives. Default `0.5` (MONAI).
        beta: f64 = 0.5 => with_beta,
        /// `"macro"` (default): one loss per sample and class. `"micro"`: one ratio per sample
        /// from the sums over all classes and pixels (Keras `Tversky(axis=(1, 2, 3))`, or with
        /// `batch` `axis=None`; Keras's `alpha` weighs the false negatives: it is `beta` here);
        /// `"none"` then returns `[N]` (`[1]` with `batch`).
        average: ClassAverage = ClassAverage::Macro => with_average,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "alpha", self.alpha)?;
        check::non_negative(Self::NAME, "beta", self.beta)?;
        self.options().check_average(Self::NAME, self.average)
    }
    /// Tversky loss (Salehi et al. 2017, <https://arxiv.org/abs/1706.05721>), per sample and class:
    ///
    /// ```text
    /// f = 1 − (I + smooth_nr) / (I + α·FP + β·FN + smooth_dr),   FP = Σ p·(1 − g),  FN = Σ (1 − p)·g
    /// ```
    ///
    /// MONAI `TverskyLoss` option by option; `"none"` is `[N, C']` (`[C']` with `batch`), or one
    /// loss per sample `[N]` (`[1]` with `batch`) with `average: "micro"` (Keras `Tversky`) or
    /// `absent_classes: "skip"` (kornia `tversky_loss`). Inputs as [`DiceLoss`](crate::DiceLoss).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A class absent from prediction and target — every pixel
    /// ignored or masked included — takes the empty-class policy of the [overlap losses](crate#overlap-losses): `(0 +
    /// smooth_nr) / (0 + smooth_dr)` (loss 0 with the default smoothing), and loss 0 with a zero
    /// gradient, never NaN, when `smooth_dr` = 0.
    TverskyLoss;
}

impl TverskyLoss {
    fn scores(
        &self,
        input: &DynTensor<Float>,
        target: OverlapTarget<'_>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let c = &self.config;
        let options = c.options();
        let sums = overlap_sums(TverskyLossConfig::NAME, &options, input, target, mask, false)?;
        if c.average == ClassAverage::Micro {
            let pooled = OverlapSums {
                intersection: sums.intersection.sum_dim(1),
                pred: sums.pred.sum_dim(1),
                target: sums.target.sum_dim(1),
            };
            return Ok(scored_per_sample(tversky_scores(
                &options, c.alpha, c.beta, pooled,
            )));
        }
        if options.absent_classes == AbsentClasses::Skip {
            let ground = sums.target.clone();
            let f = tversky_scores(&options, c.alpha, c.beta, sums);
            return Ok(scored_per_sample(present_mean(f, &ground, None)));
        }
        Ok(scored(tversky_scores(&options, c.alpha, c.beta, sums), c.batch))
    }

    fn reduce(&self, terms: ElementLoss<2>) -> Tensor<1> {
        terms.reduce(self.config.reduction)
    }
}

overlap_config! {
    /// Configuration of [`FocalTverskyLoss`] (`"type": "focal_tversky"`).
    FocalTverskyLossConfig("focal_tversky") {
        /// As [`TverskyLossConfig::alpha`] (false positives). Default `0.5`.
        alpha: f64 = 0.5 => with_alpha,
        /// As [`TverskyLossConfig::beta`] (false negatives). Default `0.5`.
        beta: f64 = 0.5 => with_beta,
        /// γ > 0, the exponent of `(1 − TI)`. Default `0.75` — Abraham & Khan's recommended
        /// `1/γ` with their γ = 4/3 (they write the exponent as `1/γ`; here it is γ itself, as
        /// smp).
        gamma: f64 = 0.75 => with_gamma,
        /// `false` (default): `(1 − TI_c)^γ` per sample and class, then the reduction (the
        /// paper). `true`: `(mean of (1 − TI_c))^γ`, smp `TverskyLoss(gamma=)`; needs
        /// `"reduction": "mean"`.
        exponent_after_mean: bool = false => with_exponent_after_mean,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "alpha", self.alpha)?;
        check::non_negative(Self::NAME, "beta", self.beta)?;
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return Err(LossError::config(
                Self::NAME,
                "gamma",
                "a finite number > 0",
                self.gamma,
            ));
        }
        self.options().refuse_skip(Self::NAME)?;
        if self.exponent_after_mean && self.reduction != Reduction::Mean {
            return Err(LossError::config(
                Self::NAME,
                "reduction",
                "\"mean\" with exponent_after_mean = true (the exponent applies to the mean)",
                format!("\"{}\"", self.reduction),
            ));
        }
        Ok(())
    }
    /// Focal Tversky loss (Abraham & Khan 2019, <https://arxiv.org/abs/1810.07842>): the
    /// [`TverskyLoss`] value `f_c = 1 − TI_c` of each sample and class raised to γ,
    ///
    /// ```text
    /// FTL = (1 − TI_c)^γ                 per (sample, class), then the reduction ("none": [N, C'])
    /// FTL = (mean_{n,c} (1 − TI))^γ      with exponent_after_mean (smp TverskyLoss(gamma=))
    /// ```
    ///
    /// Abraham & Khan write the exponent as `1/γ` (γ ∈ [1, 3], recommended 4/3); here γ is the
    /// exponent itself (default 0.75 ≈ 1/(4/3)). `1 − TI` is floored at the smallest normal f32
    /// before the power, so γ < 1 has a finite gradient at a perfect score. Inputs as [`DiceLoss`](crate::DiceLoss).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A class absent from prediction and target — every pixel
    /// ignored or masked included — takes the empty-class policy of the [overlap losses](crate#overlap-losses): `(0 +
    /// smooth_nr) / (0 + smooth_dr)` (loss 0 with the default smoothing), and loss 0 with a zero
    /// gradient, never NaN, when `smooth_dr` = 0.
    FocalTverskyLoss;
}

impl FocalTverskyLoss {
    fn scores(
        &self,
        input: &DynTensor<Float>,
        target: OverlapTarget<'_>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let c = &self.config;
        let options = c.options();
        let sums = overlap_sums(FocalTverskyLossConfig::NAME, &options, input, target, mask, false)?;
        let f = tversky_scores(&options, c.alpha, c.beta, sums);
        let f = if c.exponent_after_mean {
            f
        } else {
            focal_power(f, c.gamma)
        };
        Ok(scored(f, c.batch))
    }

    fn reduce(&self, terms: ElementLoss<2>) -> Tensor<1> {
        let reduced = terms.reduce(self.config.reduction);
        if self.config.exponent_after_mean {
            focal_power(reduced.reshape([1, 1]), self.config.gamma).reshape([1])
        } else {
            reduced
        }
    }
}
