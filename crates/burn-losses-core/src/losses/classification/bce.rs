//! Binary cross-entropy: the family's shared documentation is the crate docs' [Binary cross-entropy](crate#binary-cross-entropy).

use burn::tensor::{Float, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::fused;
use crate::loss::declare::binary_loss_api;
use crate::loss::input_target::InputTargetLoss;
use crate::reduction::sample_weight_2d;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{
    BINARY_TARGETS, check_binary_inputs, check_float_range, check_probability_input, check_same_shape_inputs,
};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::{binary_log_likelihoods, smooth_binary_target};

fn default_epsilon() -> f64 {
    1e-7
}

// ---------------------------------------------------------------------------------------------
// bce with pos_weight
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`BceLoss`] (`"type": "bce"` in a [`LossConfig`](crate::LossConfig)).
    BceLossConfig("bce", defaults "no pos_weight, logits, mean") {
        /// Weight of the positive term of each class, broadcast over the last dimension of `input`
        /// (length = its size, or 1 for all); `> 1` raises recall. Default `None` (all 1). PyTorch
        /// `binary_cross_entropy_with_logits(pos_weight=)`; a common choice is `#neg / #pos` per class.
        pos_weight: Option<Vec<f32>> = None => with_pos_weight,
        /// `true` (default): `input` holds logits. `false`: probabilities, clipped to
        /// `[epsilon, 1 − epsilon]` inside the logarithms (Keras `binary_crossentropy`).
        from_logits: bool = true => with_from_logits,
        /// Label smoothing `s ∈ [0, 1]`: `y ← y(1 − s) + s/2` (Keras). Default `0`.
        /// segmentation_models_pytorch's `SoftBCEWithLogitsLoss(smooth_factor=f)`
        /// (`y ← (1 − y)·f + y·(1 − f)`) is `label_smoothing = 2f`.
        label_smoothing: f64 = 0.0 => with_label_smoothing,
        /// Clipping ε for probability inputs, in (0, 0.5). Default `1e-7` (Keras).
        epsilon: f64 = default_epsilon() => with_epsilon,
        /// Target value whose elements have loss 0 (their target may lie outside `[0, 1]`, e.g.
        /// `-100` or `255` for unlabelled pixels): segmentation_models_pytorch's
        /// `SoftBCEWithLogitsLoss(ignore_index=)`, whose `"mean"` still divides by every element
        /// (the ignored ones count as zeros), as here. Default `None`.
        ignore_index: Option<i64> = None => with_ignore_index,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if let Some(pos_weight) = &self.pos_weight {
            check::weights(Self::NAME, "pos_weight", pos_weight)?;
        }
        check::in_range(
            Self::NAME,
            "label_smoothing",
            self.label_smoothing,
            0.0,
            1.0,
            false,
        )?;
        if let Some(ignored @ (0 | 1)) = self.ignore_index {
            return Err(LossError::config(
                Self::NAME,
                "ignore_index",
                "a value outside the labels 0 and 1 (e.g. -100 or 255)",
                ignored,
            ));
        }
        check::in_open_range(Self::NAME, "epsilon", self.epsilon, 0.0, 0.5)
    }
    /// Binary / multi-label cross-entropy with per-class positive weights, any shape.
    ///
    /// With `log p = log_sigmoid(x)`, `log(1 − p) = log_sigmoid(−x)` (or the logarithms of `p`
    /// clipped to `[ε, 1 − ε]` for probability input), `y` after label smoothing, and `pw` the
    /// `pos_weight` of the element's class (last dimension):
    ///
    /// ```text
    /// ℓ = −[pw · y · log p + (1 − y) · log(1 − p)]
    /// ```
    ///
    /// equal to PyTorch `binary_cross_entropy_with_logits(x, y, pos_weight=pw)` and, without
    /// `pos_weight`, to burn's `BinaryCrossEntropyLoss` (logits) and Keras `binary_crossentropy`
    /// (probabilities). `"mean"` averages over all elements, after multiplying by optional
    /// per-sample weights `[N]`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element has a loss, so there is no other degenerate
    /// case: a batch of one class, or of negatives only, is an ordinary batch.
    BceLoss;
    forward same_shape;
}

binary_loss_api!(BceLoss);

impl BceLoss {
    /// The binary input checks and `pos_weight`'s length against the last dimension; returns
    /// that dimension's size.
    /// `values: false` leaves the target's `[0, 1]` check to the fused kernel.
    fn check_inputs(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
        values: bool,
    ) -> LossResult<usize> {
        if let Some(ignored) = self.config.ignore_index {
            // the targets' range is checked without the ignored elements
            check_same_shape_inputs(Self::NAME, input, target, weight)?;
            let kept = DynTensor::new(
                ignored_to_zero(target.flat.clone(), ignored),
                target.shape.clone(),
            );
            check_float_range(Self::NAME, "target", &kept, 0.0, 1.0, BINARY_TARGETS)?;
            check_probability_input(Self::NAME, self.config.from_logits, input)?;
        } else if values {
            check_binary_inputs(Self::NAME, input, target, weight, self.config.from_logits)?;
        } else {
            check_same_shape_inputs(Self::NAME, input, target, weight)?;
        }
        let classes = *input.shape.last().expect("rank >= 1");
        if let Some(pw) = &self.config.pos_weight
            && pw.len() != classes
            && pw.len() != 1
        {
            return Err(LossError::input(
                Self::NAME,
                "input",
                format!(
                    "{} classes in the last dimension (the length of config field `pos_weight`)",
                    pw.len()
                ),
                format!("{classes} (input shape {})", fmt_shape(&input.shape)),
            ));
        }
        Ok(classes)
    }
}

impl InputTargetLoss for BceLoss {
    const NAME: &'static str = "bce";
    type Target = Float;

    fn reduction(&self) -> Reduction {
        self.config.reduction
    }

    fn reduce_last_axis(&self) -> bool {
        self.config.reduce_last_axis
    }

    fn target_argument(inputs: &LossInputs) -> LossResult<DynTensor<Float>> {
        inputs.float(Self::NAME, "target")
    }

    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        // ignored elements: the composed path
        if self.config.ignore_index.is_some() {
            return None;
        }
        let checked = || {
            let classes = self.check_inputs(input, target, weight, false)?;
            Ok(fused::BinaryLogitTerms {
                gamma: 0.0,
                alpha: None,
                smoothing: self.config.label_smoothing as f32,
                pos_weight: self.config.pos_weight.clone(),
                neg_weight: 1.0,
                classes,
            })
        };
        fused::checked_binary_logit_loss(
            Self::NAME,
            input,
            target,
            weight,
            self.config.from_logits,
            reduction,
            checked,
        )
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let classes = self.check_inputs(input, target, weight, true)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let x = input.view([n, m]);
        let target_2d = match self.config.ignore_index {
            Some(ignored) => ignored_to_zero(target.view([n, m]), ignored),
            None => target.view([n, m]),
        };
        let y = smooth_binary_target(target_2d, self.config.label_smoothing);
        let (log_p, log_1mp) =
            binary_log_likelihoods(x.clone(), self.config.from_logits, self.config.epsilon);
        let mut positive = y.clone() * log_p;
        if let Some(pw) = &self.config.pos_weight {
            let pw = crate::tensor::values_like(pw, &x);
            let rows = n * m / classes.max(1);
            let pw = pw.reshape([1, -1]).expand([rows, classes]).reshape([n, m]);
            positive = positive * pw;
        }
        let mut loss = (positive + (y.neg() + 1.0) * log_1mp).neg();
        if let Some(ignored) = self.config.ignore_index {
            let kept = target
                .view([n, m])
                .not_equal_elem(ignored as f64)
                .float()
                .cast(loss.dtype());
            loss = loss * kept;
        }
        let terms = ElementLoss::new(loss).weighted(sample_weight_2d(weight, n, m));
        Ok((terms, input.shape.clone()))
    }
}

/// `target` with the elements equal to `ignored` set to 0 (a value every binary check accepts).
fn ignored_to_zero<const D: usize>(target: Tensor<D>, ignored: i64) -> Tensor<D> {
    let mask = target.clone().equal_elem(ignored as f64);
    target.mask_fill(mask, 0.0)
}

// ---------------------------------------------------------------------------------------------
// balanced_bce (HED)
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`BalancedBceLoss`] (`"type": "balanced_bce"` in a
    /// [`LossConfig`](crate::LossConfig)).
    BalancedBceLossConfig("balanced_bce", defaults "β from the batch, logits, mean") {
        /// β ∈ [0, 1], the weight of positives (negatives get `1 − β`). Default `None`: β = the
        /// fraction of negatives in the batch, `1 − mean(y)` (HED), a constant for autodiff.
        beta: Option<f64> = None => with_beta,
        /// `true` (default): `input` holds logits. `false`: probabilities, clipped to
        /// `[epsilon, 1 − epsilon]` inside the logarithms.
        from_logits: bool = true => with_from_logits,
        /// Clipping ε for probability inputs, in (0, 0.5). Default `1e-7`.
        epsilon: f64 = default_epsilon() => with_epsilon,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if let Some(beta) = self.beta
            && !(beta.is_finite() && (0.0..=1.0).contains(&beta))
        {
            return Err(LossError::config(
                Self::NAME,
                "beta",
                "a number in [0, 1], or null for the fraction of negatives in the batch",
                beta,
            ));
        }
        check::in_open_range(Self::NAME, "epsilon", self.epsilon, 0.0, 0.5)
    }
    /// HED's class-balanced cross-entropy (the α-balanced CE of the survey "The Loss Function in Machine Learning" (2020)), any shape:
    ///
    /// ```text
    /// ℓ = −[β · y · log p + (1 − β) · (1 − y) · log(1 − p)]
    /// β = |Y₋| / |Y| = 1 − mean(y) over the whole batch   (beta: null; fixed beta otherwise)
    /// ```
    ///
    /// β is computed from the target without gradient (a constant, as in HED). An all-negative batch
    /// has β = 1 and an all-positive batch β = 0: both give a loss of exactly 0 (and zero gradient),
    /// since the only class present gets weight 0 — finite, but no learning signal; set a fixed
    /// `beta` if such batches are common. `"mean"` averages over all elements (after optional
    /// per-sample weights `[N]`), `"sum"` sums, `"none"` keeps the input shape. Under data-parallel
    /// training β is the device batch's (see [Multi-device training](crate#multi-device-training)),
    /// or every device's in a [device group](crate::DeviceGroup).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A batch of one class only (no positives, or no negatives) has
    /// β = 1 or 0 and a loss of exactly 0 with a zero gradient (above).
    BalancedBceLoss;
    forward same_shape;
}

binary_loss_api!(BalancedBceLoss);

impl BalancedBceLoss {
    /// β = 1 − mean(y) on the host (one read-back): over this batch, or over every worker's in a
    /// device group while training.
    fn batch_beta(&self, input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<f64> {
        let positives = target
            .flat
            .clone()
            .detach()
            .sum()
            .into_data()
            .iter::<f64>()
            .sum::<f64>();
        let count = target.numel() as f64;
        Ok(match crate::group::training_group(&input.flat) {
            Some(group) => {
                let total = group.sum(<Self as InputTargetLoss>::NAME, vec![positives, count])?;
                1.0 - total[0] / total[1]
            }
            None => 1.0 - positives / count,
        })
    }
}

impl InputTargetLoss for BalancedBceLoss {
    const NAME: &'static str = "balanced_bce";
    type Target = Float;

    fn reduction(&self) -> Reduction {
        self.config.reduction
    }

    fn target_argument(inputs: &LossInputs) -> LossResult<DynTensor<Float>> {
        inputs.float(Self::NAME, "target")
    }

    /// One fused pass forward and one backward on the CPU backends (logits, no per-sample
    /// weight): the binary kernel with `pos_weight` β and negative weight 1 − β.
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        let checked = || {
            check_same_shape_inputs(Self::NAME, input, target, weight)?;
            let beta = match self.config.beta {
                Some(beta) => beta,
                None => self.batch_beta(input, target)?,
            };
            Ok(fused::BinaryLogitTerms {
                gamma: 0.0,
                alpha: None,
                smoothing: 0.0,
                pos_weight: Some(vec![beta as f32]),
                neg_weight: (1.0 - beta) as f32,
                classes: *input.shape.last().expect("rank >= 1"),
            })
        };
        fused::checked_binary_logit_loss(
            Self::NAME,
            input,
            target,
            weight,
            self.config.from_logits,
            reduction,
            checked,
        )
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        check_binary_inputs(Self::NAME, input, target, weight, self.config.from_logits)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let x = input.view([n, m]);
        let y = target.view([n, m]);
        let (log_p, log_1mp) = binary_log_likelihoods(x, self.config.from_logits, self.config.epsilon);
        let one_minus_y = y.clone().neg() + 1.0;
        let loss = match self.config.beta {
            Some(beta) => (y * log_p * beta + one_minus_y * log_1mp * (1.0 - beta)).neg(),
            None => {
                // β = 1 − mean(y), broadcast; no gradient through the batch statistic. In a
                // device group while training: over every worker's targets.
                let beta = match crate::group::training_group(&input.flat) {
                    Some(_) => {
                        Tensor::<2>::full([1, 1], self.batch_beta(input, target)?, (&y.device(), y.dtype()))
                    }
                    None => (y.clone().detach().mean().neg() + 1.0).reshape([1, 1]),
                };
                (y * log_p * beta.clone() + one_minus_y * log_1mp * (beta.neg() + 1.0)).neg()
            }
        };
        let terms = ElementLoss::new(loss).weighted(sample_weight_2d(weight, n, m));
        Ok((terms, input.shape.clone()))
    }
}
