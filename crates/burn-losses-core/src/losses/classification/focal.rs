//! Focal losses: the family's shared documentation is the crate docs' [Focal losses](crate#focal-losses).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Float, Int, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::declare::binary_loss_api;
use crate::loss::input_target::InputTargetLoss;
use crate::reduction::sample_weight_2d;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{
    check_binary_inputs, check_probability_input, check_same_shape_inputs, check_sample_weight,
    class_indices_without_ignored,
};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::modulating_factor;
use crate::tensor::math::{binary_log_likelihoods, smooth_binary_target};
use crate::tensor::onehot::check_class_target_shape;

/// `−(1 − p)^γ · log p` from `log p` (the focal negative log-likelihood of one class).
fn focal_nll<const D: usize>(log_p: Tensor<D>, gamma: f64) -> Tensor<D> {
    let nll = log_p.clone().neg();
    match modulating_factor(log_p.exp().neg() + 1.0, gamma) {
        Some(factor) => nll * factor,
        None => nll,
    }
}

/// `include_background` and `weight` are options of MONAI's layout (`per_channel`), which has no
/// label smoothing.
fn validate_per_channel(
    loss: &'static str,
    per_channel: bool,
    include_background: bool,
    weight: Option<&[f32]>,
    label_smoothing: f64,
) -> LossResult<()> {
    if let Some(w) = weight {
        check::weights(loss, "weight", w)?;
    }
    if per_channel {
        if label_smoothing > 0.0 {
            return Err(LossError::config(
                loss,
                "label_smoothing",
                "0 with per_channel (MONAI's FocalLoss has no smoothing)",
                label_smoothing,
            ));
        }
        return Ok(());
    }
    if !include_background {
        return Err(LossError::config(
            loss,
            "include_background",
            "true without per_channel (MONAI FocalLoss's option: set \"per_channel\": true)",
            false,
        ));
    }
    match weight {
        Some(w) => Err(LossError::config(
            loss,
            "weight",
            "null without per_channel (MONAI FocalLoss's option: set \"per_channel\": true)",
            format!("a list of {} weights", w.len()),
        )),
        None => Ok(()),
    }
}

/// MONAI's layout of `[N, C, S]` channel terms (`per_channel`): the channel weights applied,
/// and for `"sum"` each (sample, channel)'s spatial mean (the terms scaled by `1 / S`, or by one
/// over the sample's count of `valid [N, S]` voxels, as MONAI with an `ignore_index`).
fn per_channel_terms(
    loss: &'static str,
    values: Tensor<3>,
    weight: Option<&[f32]>,
    reduction: Reduction,
    valid: Option<&Tensor<2, burn::tensor::Bool>>,
) -> LossResult<Tensor<2>> {
    let [n, c, s] = values.dims();
    let mut values = values;
    if let Some(w) = weight {
        if c == 1 {
            return Err(LossError::input(
                loss,
                "input",
                "more than one scored channel with a per-channel `weight` (MONAI raises: \"Per-class class_weight \
                 is not supported for single-channel outputs\")",
                "1 scored channel",
            ));
        }
        if w.len() != c {
            return Err(LossError::input(
                loss,
                "input",
                format!(
                    "{} scored channels along dim 1 (the length of config field `weight`)",
                    w.len()
                ),
                format!("{c} scored channels"),
            ));
        }
        let w = crate::tensor::values_like(w, &values);
        values = values * w.reshape([1, c, 1]);
    }
    if reduction == Reduction::Sum {
        values = match valid {
            Some(valid) => {
                let count = valid
                    .clone()
                    .float()
                    .cast(values.dtype())
                    .sum_dim(1)
                    .clamp_min(1.0);
                values / count.reshape([n, 1, 1])
            }
            None => values / s.max(1) as f64,
        };
    }
    Ok(values.reshape([n, c * s]))
}

/// `input` without channel 0 (`include_background: false` on more than one channel).
fn without_background(input: &DynTensor<Float>, include_background: bool) -> DynTensor<Float> {
    let c = input.shape[1];
    if include_background || c < 2 {
        return input.clone();
    }
    let n = input.shape[0];
    let s = input.numel() / (n * c);
    let mut shape = input.shape.clone();
    shape[1] = c - 1;
    DynTensor::new(
        input
            .view([n, c, s])
            .narrow(1, 1, c - 1)
            .reshape([n * (c - 1) * s]),
        shape,
    )
}

fn default_gamma() -> f64 {
    2.0
}
fn default_epsilon() -> f64 {
    1e-7
}

// ---------------------------------------------------------------------------------------------
// Binary / multi-label (sigmoid) focal loss
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`BinaryFocalLoss`] (`"type": "binary_focal"` in a [`LossConfig`](crate::LossConfig)).
    ///
    /// Missing fields take the defaults below; `"alpha": null` turns the α weighting off.
    BinaryFocalLossConfig("binary_focal", defaults "γ = 2, α = 0.25, logits, mean") {
        /// Focusing parameter γ ≥ 0. Default `2.0`; `0` gives binary cross-entropy exactly.
        gamma: f64 = default_gamma() => with_gamma,
        /// Weight α ∈ [0, 1] of positives (negatives get `1 − α`). Default `Some(0.25)` (the paper,
        /// torchvision, Keras); `None` = no weighting (torchvision `alpha=-1`).
        alpha: Option<f32> = Some(0.25) => with_alpha,
        /// `true` (default): `input` holds logits. `false`: `input` holds probabilities, clipped to
        /// `[epsilon, 1 − epsilon]` inside the logarithms (Keras `from_logits=False`).
        from_logits: bool = true => with_from_logits,
        /// Label smoothing `s ∈ [0, 1]`: targets become `y·(1 − s) + s/2` (Keras). Default `0`.
        label_smoothing: f64 = 0.0 => with_label_smoothing,
        /// Clipping ε for probability inputs (`from_logits = false`), in (0, 0.5). Default `1e-7`
        /// (Keras `backend.epsilon()`).
        epsilon: f64 = default_epsilon() => with_epsilon,
        /// `true`: MONAI `FocalLoss`'s layout — each (sample, channel, voxel) term is an element
        /// of `input [N, C, spatial…]`: `"mean"` over N·C'·spatial, `"sum"` the spatial mean of
        /// each (sample, channel) summed over both (MONAI's `average_spatial_dims`), `"none"`
        /// `[N, C', spatial…]`. Needed by `include_background` and `weight`. Default `false`.
        per_channel: bool = false => with_per_channel,
        /// With `per_channel`: `false` drops channel 0 of `input` and of the (one-hot) target
        /// before anything else, as MONAI `include_background=False` (ignored with one channel,
        /// as MONAI does). Default `true`.
        include_background: bool = true => with_include_background,
        /// With `per_channel`: per-channel weights ≥ 0 multiplying channel c's terms, one per
        /// scored channel C' (MONAI `FocalLoss(weight=)`). Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements as torchvision), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "gamma", self.gamma)?;
        if let Some(alpha) = self.alpha
            && !(alpha.is_finite() && (0.0..=1.0).contains(&alpha))
        {
            return Err(LossError::config(
                Self::NAME,
                "alpha",
                "a number in [0, 1], or null for no α weighting (torchvision's alpha=-1)",
                alpha,
            ));
        }
        validate_smoothing_and_epsilon(Self::NAME, self.label_smoothing, self.epsilon)?;
        validate_per_channel(
            Self::NAME,
            self.per_channel,
            self.include_background,
            self.weight.as_deref(),
            self.label_smoothing,
        )?;
        if self.per_channel && self.reduce_last_axis {
            return Err(LossError::config(
                Self::NAME,
                "reduce_last_axis",
                "false with per_channel (MONAI's layout reduces the channel and spatial axes itself)",
                true,
            ));
        }
        Ok(())
    }
    /// Sigmoid focal loss for binary and multi-label targets of any shape.
    ///
    /// With `p = σ(x)` (or `p = x` for probability input) and a target `y ∈ [0, 1]`
    /// (after label smoothing `y ← y(1 − s) + s/2`):
    ///
    /// ```text
    /// BCE  = −[y·log p + (1 − y)·log(1 − p)]
    /// 1−pₜ = y·(1 − p) + (1 − y)·p
    /// α̂    = α·y + (1 − α)·(1 − y)          (1 when alpha = None)
    /// FL   = α̂ · (1 − pₜ)^γ · BCE
    /// ```
    ///
    /// For logits, `log p = log_sigmoid(x)`, `log(1 − p) = log_sigmoid(−x)`; γ = 0 and α = None
    /// give `binary_cross_entropy_with_logits` exactly. `"mean"` averages over all elements
    /// (torchvision), optionally after multiplying by per-sample weights `[N]`.
    ///
    /// With `per_channel` (MONAI `FocalLoss(use_softmax=False)`, logits `[N, C, spatial…]`) the
    /// terms are the same; MONAI writes the modulating factor `σ(−x(2y − 1))^γ`, equal to
    /// `(1 − pₜ)^γ` for 0/1 targets (with soft targets the two differ).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element has a loss, so there is no other degenerate
    /// case: a batch of one class, or of negatives only, is an ordinary batch.
    BinaryFocalLoss;
    forward same_shape;
}

binary_loss_api!(BinaryFocalLoss);

impl InputTargetLoss for BinaryFocalLoss {
    const NAME: &'static str = "binary_focal";
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

    /// One fused pass forward and one backward on flex (logits, no per-sample weight).
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        if self.config.per_channel {
            return None;
        }
        let checked = || {
            check_same_shape_inputs(Self::NAME, input, target, weight)?;
            Ok(crate::fused::BinaryLogitTerms {
                gamma: self.config.gamma as f32,
                alpha: self.config.alpha,
                smoothing: self.config.label_smoothing as f32,
                pos_weight: None,
                neg_weight: 1.0,
                classes: *input.shape.last().expect("rank >= 1"),
            })
        };
        crate::fused::checked_binary_logit_loss(
            Self::NAME,
            input,
            target,
            weight,
            self.config.from_logits,
            reduction,
            checked,
        )
    }

    /// Input checks and the element-wise loss on the canonical `[N, M]` view.
    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        check_binary_inputs(Self::NAME, input, target, weight, self.config.from_logits)?;
        let channels;
        let (input, target) = if self.config.per_channel {
            if input.shape.len() < 2 {
                return Err(LossError::input(
                    Self::NAME,
                    "input",
                    "shape [N, C, spatial...] with per_channel",
                    fmt_shape(&input.shape),
                ));
            }
            let ib = self.config.include_background;
            channels = (without_background(input, ib), without_background(target, ib));
            (&channels.0, &channels.1)
        } else {
            (input, target)
        };
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let x = input.view([n, m]);
        let y = smooth_binary_target(target.view([n, m]), self.config.label_smoothing);
        let one_minus_y = y.clone().neg() + 1.0;
        let (log_p, log_1mp) =
            binary_log_likelihoods(x.clone(), self.config.from_logits, self.config.epsilon);
        // 1 − pₜ. Keras (probabilities): the logarithms see clipped probabilities, the modulating
        // factor the raw ones.
        let one_minus_pt = if self.config.from_logits {
            y.clone() * log_1mp.clone().exp() + one_minus_y.clone() * log_p.clone().exp()
        } else {
            y.clone() * (x.clone().neg() + 1.0) + one_minus_y.clone() * x
        };
        let bce = (y.clone() * log_p + one_minus_y.clone() * log_1mp).neg();
        let loss = match modulating_factor(one_minus_pt, self.config.gamma) {
            Some(factor) => bce * factor,
            None => bce,
        };
        let alpha_t = self
            .config
            .alpha
            .map(|a| y * a as f64 + one_minus_y * (1.0 - a as f64));
        let loss = if self.config.per_channel {
            let c = input.shape[1];
            let channel_terms = loss.reshape([n, c, m / c.max(1)]);
            per_channel_terms(
                Self::NAME,
                channel_terms,
                self.config.weight.as_deref(),
                self.config.reduction,
                None,
            )?
        } else {
            loss
        };
        let terms = ElementLoss::new(loss)
            .weighted(alpha_t)
            .weighted(sample_weight_2d(weight, n, m));
        Ok((terms, input.shape.clone()))
    }
}

// ---------------------------------------------------------------------------------------------
// Multiclass (softmax) focal loss
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`FocalLoss`] (`"type": "focal"` in a [`LossConfig`](crate::LossConfig)).
    FocalLossConfig("focal", defaults "γ = 2, no α, ignore_index -100, logits, mean") {
        /// Focusing parameter γ ≥ 0. Default `2.0`; `0` gives cross-entropy exactly.
        gamma: f64 = default_gamma() => with_gamma,
        /// Per-class weights α_c ≥ 0 (length = number of classes); the loss of an element whose target
        /// is class `c` is multiplied by α_c (with label smoothing, each class term k of the smoothed
        /// target by α_k, as PyTorch `cross_entropy(weight=)` and Keras do). Default `None` (all 1).
        /// The weights do not enter the `"mean"` denominator (kornia `weight=`, torchvision / Keras
        /// convention; PyTorch `cross_entropy(weight=)` instead divides by Σ α — not this loss).
        alpha: Option<Vec<f32>> = None => with_alpha,
        /// Target value that is skipped: its loss is 0 and it is left out of the `"mean"`
        /// denominator (PyTorch `ignore_index`). Default `Some(-100)` as in PyTorch; `None` makes
        /// every target count (and -100 an out-of-range error).
        ignore_index: Option<i64> = Some(-100) => with_ignore_index,
        /// Label smoothing `s ∈ [0, 1]`: the target distribution becomes `(1 − s)·onehot + s/C`
        /// (PyTorch `cross_entropy(label_smoothing=)`, Keras). Default `0`.
        label_smoothing: f64 = 0.0 => with_label_smoothing,
        /// `true` (default): `input` holds logits (`log_softmax` over dim 1). `false`: `input` holds
        /// probabilities, renormalised over the class dimension and clipped to `[epsilon, 1 − epsilon]`
        /// (Keras `categorical_focal_crossentropy(from_logits=False)`).
        from_logits: bool = true => with_from_logits,
        /// Clipping ε for probability inputs, in (0, 0.5). Default `1e-7` (Keras).
        epsilon: f64 = default_epsilon() => with_epsilon,
        /// `true`: MONAI `FocalLoss`'s layout — each (sample, channel, voxel) term is an element
        /// of `input [N, C, spatial…]`: `"mean"` over N·C'·spatial, `"sum"` the spatial mean of
        /// each (sample, channel) summed over both (MONAI's `average_spatial_dims`), `"none"`
        /// `[N, C', spatial…]`. Needed by `include_background` and `weight`. Default `false`.
        per_channel: bool = false => with_per_channel,
        /// With `per_channel`: `false` drops channel 0 of `input` and of the one-hot target before
        /// the softmax, as MONAI `include_background=False` (ignored with one channel,
        /// as MONAI does). Default `true`.
        include_background: bool = true => with_include_background,
        /// With `per_channel`: per-channel weights ≥ 0 multiplying channel c's terms, one per
        /// scored channel C' (MONAI `FocalLoss(weight=)`). Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// `"mean"` (default: over non-ignored elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "gamma", self.gamma)?;
        if let Some(alpha) = &self.alpha {
            check::weights(Self::NAME, "alpha", alpha)?;
        }
        validate_smoothing_and_epsilon(Self::NAME, self.label_smoothing, self.epsilon)?;
        validate_per_channel(
            Self::NAME,
            self.per_channel,
            self.include_background,
            self.weight.as_deref(),
            self.label_smoothing,
        )?;
        Ok(())
    }
    /// Softmax focal loss for multiclass targets: `input [N, C]` or `[N, C, d1, …]`, integer
    /// `target [N]` or `[N, d1, …]`.
    ///
    /// With `log pₖ = log_softmax(x)ₖ` (or `log clip(xₖ / Σⱼxⱼ, ε, 1 − ε)` for probabilities) and
    /// the target distribution `q = (1 − s)·onehot(t) + s/C`:
    ///
    /// ```text
    /// FL = Σₖ αₖ · qₖ · (1 − pₖ)^γ · (−log pₖ)      (s = 0: α_t · (1 − p_t)^γ · (−log p_t))
    /// mean = Σ FL / #(elements whose target ≠ ignore_index)
    /// ```
    ///
    /// γ = 0 gives `cross_entropy(x, t, weight=α, label_smoothing=s, ignore_index=…,
    /// reduction="none")` exactly (and its `"sum"`; its `"mean"` when α = None).
    /// The `(1 − pₖ)^γ` inside the sum is the Keras `categorical_focal_crossentropy` form (and
    /// kornia's for hard targets).
    ///
    /// With `per_channel` (MONAI `FocalLoss(use_softmax=True, to_onehot_y=True)`) every channel
    /// is a term, `ℓ = −α_c·(1 − p_c)^γ·log p_c·onehot_c` (0 for the non-target channels, still
    /// counted); MONAI's scalar `alpha` α is `[1 − α, α, …, α]` (MONAI drops a scalar α without
    /// the background; a list, one weight per scored channel, applies there as MONAI's list
    /// does). With ignored voxels, `"sum"`
    /// divides each (sample, channel)'s sum by the sample's valid voxels (MONAI) and `"mean"` by C'
    /// × the valid voxels: MONAI with an `ignore_index` divides by the valid voxels alone (C' times
    /// this mean) and without one equals it. The `[N, C', spatial…]` `"none"` comes from
    /// `forward_inputs` (`forward_no_reduction` has the default layout's rank).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every target `ignore_index`: `"none"` is all zeros, `"sum"` 0
    /// and `"mean"` NaN (0 / 0, as PyTorch), with a zero gradient.
    FocalLoss;
    forward "logits `[N, C, …]` against class indices `[N, …]` (`DT = D − 1`; ignored elements are 0 unreduced)",
        <const D: usize, const DT: usize> (input: Tensor<D> => with_float, target: Tensor<DT, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<DT>;
}

impl FocalLoss {
    /// Named-argument form used by [`Loss`](crate::Loss): `input`, `target` (integers), optional `weight`.
    pub fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }
}

impl FocalLoss {
    /// The checks that read no values: `input [N, C, …]`, `target [N, …]`, α's length, the
    /// per-sample weight. Returns `(N, C)`.
    fn check_shapes(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(usize, usize)> {
        let name = FocalLossConfig::NAME;
        if input.shape.len() < 2 {
            return Err(LossError::input(
                name,
                "input",
                "shape [N, C] or [N, C, d1, ...]",
                fmt_shape(&input.shape),
            ));
        }
        let (n, c) = (input.shape[0], input.shape[1]);
        check_class_target_shape(name, &input.shape, &target.shape, "")?;
        // MONAI's layout without the background scores C − 1 channels: α has one weight each
        let scored = if self.config.per_channel && !self.config.include_background && c > 1 {
            c - 1
        } else {
            c
        };
        if let Some(alpha) = &self.config.alpha
            && alpha.len() != scored
        {
            let without = if scored < c {
                " without the background channel 0"
            } else {
                ""
            };
            return Err(LossError::input(
                name,
                "input",
                format!(
                    "{} classes along dim 1{without} (the length of config field `alpha`)",
                    alpha.len()
                ),
                format!(
                    "{scored} classes{without} (input shape {})",
                    fmt_shape(&input.shape)
                ),
            ));
        }
        check_sample_weight(name, weight, input)?;
        Ok((n, c))
    }
}

impl InputTargetLoss for FocalLoss {
    const NAME: &'static str = "focal";
    type Target = Int;

    fn reduction(&self) -> Reduction {
        self.config.reduction
    }

    fn target_argument(inputs: &LossInputs) -> LossResult<DynTensor<Int>> {
        inputs.int(Self::NAME, "target")
    }

    /// One fused pass forward and one backward on the CPU backends (logits, no per-sample
    /// weight).
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        if !self.config.from_logits || self.config.per_channel {
            return None;
        }
        crate::fused::checked_softmax_loss(Self::NAME, input, target, weight, reduction, || {
            self.check_shapes(input, target, weight)?;
            Ok(crate::fused::SoftmaxTerms {
                gamma: self.config.gamma as f32,
                poly_epsilon: 0.0,
                weights: self.config.alpha.clone(),
                smoothing: self.config.label_smoothing as f32,
                ignore_index: self.config.ignore_index,
                mean_over: crate::fused::MeanOver::Valid,
            })
        })
    }

    /// Input checks and the element-wise loss on the canonical `[N, C, S]` / `[N, S]` views.
    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = Self::NAME;
        let (n, c) = self.check_shapes(input, target, weight)?;
        check_probability_input(name, self.config.from_logits, input)?;
        let s = target.numel().checked_div(n).unwrap_or(0);
        let t = target.view([n, s]);
        // ignored positions point at class 0 for the gather; the mask zeroes them afterwards
        let (t, valid) = class_indices_without_ignored(name, t, c, self.config.ignore_index)?;
        if self.config.per_channel {
            return self.channel_terms(input, t, valid, weight, [n, c, s]);
        }

        let x = input.view([n, c, s]);
        let log_p = self.log_probabilities(x);
        let alpha = self
            .config
            .alpha
            .as_ref()
            .map(|alpha| crate::tensor::values_like(alpha, &log_p));
        // α weights each class term: with hard targets that is α of the target class (kornia
        // `weight=`), with smoothed targets Σₖ αₖ qₖ … (PyTorch `cross_entropy(weight=,
        // label_smoothing=)`, Keras with a per-class `alpha`).
        let (loss, alpha_t) = if self.config.label_smoothing > 0.0 {
            let one_hot = crate::tensor::onehot::one_hot_classes(t.clone(), c, log_p.dtype());
            let mut q =
                one_hot * (1.0 - self.config.label_smoothing) + self.config.label_smoothing / c as f64;
            if let Some(alpha) = alpha {
                q = q * alpha.reshape([1, c, 1]);
            }
            let loss = (q * focal_nll(log_p, self.config.gamma))
                .sum_dim(1)
                .reshape([n, s]);
            (loss, None)
        } else {
            let alpha_t = alpha.map(|alpha| alpha.gather(0, t.clone().reshape([n * s])).reshape([n, s]));
            let loss = focal_nll(log_p.gather(1, t.reshape([n, 1, s])), self.config.gamma).reshape([n, s]);
            (loss, alpha_t)
        };
        let terms = ElementLoss::new(loss)
            .weighted(alpha_t)
            .weighted(sample_weight_2d(weight, n, s))
            .masked(valid);
        Ok((terms, target.shape.clone()))
    }
}

impl FocalLoss {
    /// `log p` over dim 1 of `x [N, C, S]`: `log_softmax` of logits, or of probabilities
    /// renormalised over the classes and clipped to `[ε, 1 − ε]` (Keras).
    fn log_probabilities(&self, x: Tensor<3>) -> Tensor<3> {
        if self.config.from_logits {
            log_softmax(x, 1)
        } else {
            let normalised = x.clone() / x.sum_dim(1);
            normalised
                .clamp(self.config.epsilon, 1.0 - self.config.epsilon)
                .log()
        }
    }

    /// MONAI `FocalLoss(use_softmax=True, to_onehot_y=True)`'s terms (`per_channel`): per
    /// (sample, channel, voxel) `−α_c·(1 − p_c)^γ·log p_c·onehot_c`, the background channel
    /// dropped before the softmax without `include_background`, shape `[N, C', spatial…]`.
    fn channel_terms(
        &self,
        input: &DynTensor<Float>,
        t: Tensor<2, Int>,
        valid: Option<Tensor<2, burn::tensor::Bool>>,
        weight: Option<&DynTensor<Float>>,
        [n, c, s]: [usize; 3],
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let x = input.view([n, c, s]);
        let onehot = crate::tensor::onehot::one_hot_classes(t, c, x.dtype());
        let (x, onehot, c) = if !self.config.include_background && c > 1 {
            (x.narrow(1, 1, c - 1), onehot.narrow(1, 1, c - 1), c - 1)
        } else {
            (x, onehot, c)
        };
        let log_p = self.log_probabilities(x);
        let mut values = onehot * focal_nll(log_p, self.config.gamma);
        if let Some(alpha) = &self.config.alpha {
            let alpha = crate::tensor::values_like(alpha, &values);
            values = values * alpha.reshape([1, c, 1]);
        }
        let values = per_channel_terms(
            Self::NAME,
            values,
            self.config.weight.as_deref(),
            self.config.reduction,
            valid.as_ref(),
        )?;
        let valid = valid.map(|v| v.reshape([n, 1, s]).expand([n, c, s]).reshape([n, c * s]));
        let terms = ElementLoss::new(values)
            .weighted(sample_weight_2d(weight, n, c * s))
            .masked(valid);
        let mut shape = input.shape.clone();
        shape[1] = c;
        Ok((terms, shape))
    }
}

/// The checks both focal configs share: `label_smoothing ∈ [0, 1]`, `epsilon ∈ (0, 0.5)`.
fn validate_smoothing_and_epsilon(loss: &'static str, label_smoothing: f64, epsilon: f64) -> LossResult<()> {
    check::in_range(loss, "label_smoothing", label_smoothing, 0.0, 1.0, false)?;
    check::in_open_range(loss, "epsilon", epsilon, 0.0, 0.5)
}

impl crate::loss::LossModule for FocalLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn input_kind(&self) -> crate::loss::InputKind {
        if self.config.from_logits {
            crate::loss::InputKind::Logits
        } else {
            crate::loss::InputKind::SoftmaxProbabilities
        }
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        self.try_forward(input, targets, None)
    }
}
