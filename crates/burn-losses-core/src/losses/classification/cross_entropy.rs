//! Cross-entropy, NLL, KL divergence, Poly-1: the family's shared documentation is the crate docs' [Cross-entropy, NLL, KL divergence, Poly-1](crate#cross-entropy-nll-kl-divergence-poly-1).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::declare::loss_config;
use crate::loss::input_target::{keras_mode, keras_reduce, last_axis_reduced};
use crate::reduction::{ElementLoss, Reduction};
use crate::reduction::{reduce_to_dyn, reduce_with_sample_weight, reduced_to_dyn, sample_weight_2d};
use crate::tensor::checks::{
    check_class_weight_count, check_float_range, check_probability_input, check_same_shape_inputs,
    check_sample_weight, class_indices_without_ignored,
};
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::onehot::check_class_target_shape;

/// PyTorch's default `ignore_index`.
fn pytorch_ignore_index() -> Option<i64> {
    Some(-100)
}

/// `input [N, C, …]`: rank >= 2 (the class dimension is 1); returns `(N, C, S)` with `S` the
/// product of the spatial dimensions.
fn class_dims(loss: &'static str, input: &DynTensor<Float>) -> LossResult<(usize, usize, usize)> {
    if input.shape.len() < 2 {
        return Err(LossError::input(
            loss,
            "input",
            "shape [N, C] or [N, C, d1, ...]",
            fmt_shape(&input.shape),
        ));
    }
    let (n, c) = (input.shape[0], input.shape[1]);
    let s = input.numel().checked_div(n * c).unwrap_or(0);
    Ok((n, c, s))
}

/// Class weights `[C]` from a config list whose length must be the input's `C`.
fn class_weights(
    loss: &'static str,
    weight: Option<&Vec<f32>>,
    c: usize,
    like: &Tensor<3>,
) -> LossResult<Option<Tensor<1>>> {
    check_class_weight_count(loss, weight, c)?;
    let Some(weight) = weight else {
        return Ok(None);
    };
    Ok(Some(crate::tensor::values_like(weight, like)))
}

/// The options of the shared negative log-likelihood core.
pub(crate) struct NllOptions<'a> {
    /// Class weights (PyTorch `weight=`).
    pub weight: Option<&'a Vec<f32>>,
    /// Skipped target value (PyTorch `ignore_index`).
    pub ignore_index: Option<i64>,
    /// Label smoothing `s` (PyTorch `label_smoothing=`).
    pub label_smoothing: f64,
}

/// The class-index core of cross-entropy / NLL / Poly-1: `log_p [N, C, S]` against class indices
/// `target [N, S]`, with PyTorch's semantics:
///
/// ```text
/// ℓᵢ  = (1 − s)·w_{tᵢ}·(−log p_{tᵢ}) + (s / C)·Σ_c w_c·(−log p_c)      (0 where tᵢ = ignore_index)
/// mean = Σᵢ ℓᵢ / Σᵢ w_{tᵢ}  over the non-ignored i   (the count of them without weights)
/// ```
///
/// Also returns `log p_t [N, S]` (unweighted) for losses that add to it (Poly-1).
pub(crate) fn class_nll_terms(
    loss: &'static str,
    log_p: Tensor<3>,
    target: &DynTensor<Int>,
    options: &NllOptions,
) -> LossResult<(ElementLoss<2>, Tensor<2>)> {
    let [n, c, s] = log_p.dims();
    let t = target.view([n, s]);
    let (t, valid) = class_indices_without_ignored(loss, t, c, options.ignore_index)?;
    let weight = class_weights(loss, options.weight, c, &log_p)?;
    let log_p_t = log_p
        .clone()
        .gather(1, t.clone().reshape([n, 1, s]))
        .reshape([n, s]);
    let weight_t = weight
        .as_ref()
        .map(|w| w.clone().gather(0, t.clone().reshape([n * s])).reshape([n, s]));
    let mut nll = log_p_t.clone().neg();
    if let Some(w_t) = &weight_t {
        nll = nll * w_t.clone();
    }
    let smoothing = options.label_smoothing;
    let values = if smoothing > 0.0 {
        let weighted = match &weight {
            Some(w) => log_p * w.clone().reshape([1, c, 1]),
            None => log_p,
        };
        let smooth = weighted.sum_dim(1).reshape([n, s]).neg();
        nll * (1.0 - smoothing) + smooth * (smoothing / c as f64)
    } else {
        nll
    };
    let mut terms = ElementLoss::new(values);
    if let Some(w_t) = weight_t {
        let kept = match &valid {
            Some(valid) => w_t.mask_fill(valid.clone().bool_not(), 0.0),
            None => w_t,
        };
        terms = terms.averaged_by(kept.sum());
    }
    Ok((terms.masked(valid), log_p_t))
}

// ---------------------------------------------------------------------------------------------
// cross_entropy
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`CrossEntropyLoss`] (`"type": "cross_entropy"` in a
    /// [`LossConfig`](crate::LossConfig)).
    CrossEntropyLossConfig("cross_entropy", defaults "no class weights, ignore_index -100, no smoothing, mean") {
        /// Class weights `[C]`, finite and >= 0 (PyTorch `weight=`): with class-index targets the
        /// `"mean"` divides by the summed weights of the non-ignored targets. Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// Target value that is skipped (loss 0, left out of the mean), class-index targets only.
        /// Default `-100` (PyTorch); `null` makes every index count.
        ignore_index: Option<i64> = pytorch_ignore_index() => with_ignore_index,
        /// Label smoothing `s ∈ [0, 1]`: the target becomes `(1 − s)·target + s/C` (PyTorch).
        /// Default `0`.
        label_smoothing: f64 = 0.0 => with_label_smoothing,
        /// `"mean"` (default), `"sum"` or `"none"` (`[N, d1, …]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if let Some(weight) = &self.weight {
            check::weights(Self::NAME, "weight", weight)?;
        }
        check::in_range(Self::NAME, "label_smoothing", self.label_smoothing, 0.0, 1.0, false)
    }
    /// Softmax cross-entropy with PyTorch's semantics (`torch.nn.functional.cross_entropy`), on
    /// logits `input [N, C, d1, …]` and either class indices `target [N, d1, …]` (integers) or
    /// class probabilities `target [N, C, d1, …]` (floats). With `log p = log_softmax(x, 1)`:
    ///
    /// ```text
    /// indices:        ℓ = (1 − s)·w_t·(−log p_t) + (s/C)·Σ_c w_c·(−log p_c);  mean = Σℓ / Σ w_t (non-ignored)
    /// probabilities:  ℓ = −Σ_c w_c·q_c·log p_c,  q = (1 − s)·target + s/C;     mean = Σℓ / (N·d1·…)
    /// ```
    ///
    /// Without weights and smoothing it equals burn-nn's `CrossEntropyLoss`. A per-sample
    /// `weight [N]` argument multiplies ℓ (not the mean's denominator).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every target `ignore_index`: `"none"` is all zeros,
    /// `"sum"` 0 and `"mean"` NaN (0 / 0, as PyTorch), with a zero gradient. With class weights, a
    /// `"mean"` whose targets' weights sum to 0 is NaN too (PyTorch).
    CrossEntropyLoss;
    forward "logits `[N, C, …]` against class indices `[N, …]` (`DT = D − 1`)",
        <const D: usize, const DT: usize> (input: Tensor<D> => with_float, target: Tensor<DT, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<DT>;
}

impl CrossEntropyLoss {
    /// The configured reduction for logits and class probabilities of the same shape.
    #[track_caller]
    pub fn forward_probabilities<const D: usize>(&self, input: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
        let inputs = LossInputs::new()
            .with_float("input", input)
            .with_float("target", target);
        crate::error::or_panic(crate::loss::LossModule::forward_inputs(self, &inputs)).flat
    }

    /// One fused pass forward and one backward on the CPU backends (class-index targets, no
    /// per-sample weight); `None`: the composed path.
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        let name = CrossEntropyLossConfig::NAME;
        crate::fused::checked_softmax_loss(name, input, target, weight, self.config.reduction, || {
            let (_, c, _) = class_dims(name, input)?;
            check_sample_weight(name, weight, input)?;
            check_class_target_shape(
                name,
                &input.shape,
                &target.shape,
                ", or probabilities of the input's shape",
            )?;
            check_class_weight_count(name, self.config.weight.as_ref(), c)?;
            Ok(crate::fused::SoftmaxTerms {
                gamma: 0.0,
                poly_epsilon: 0.0,
                weights: self.config.weight.clone(),
                smoothing: self.config.label_smoothing as f32,
                ignore_index: self.config.ignore_index,
                mean_over: crate::fused::MeanOver::ValidWeight,
            })
        })
    }

    fn terms(
        &self,
        input: &DynTensor<Float>,
        target: &DynInput,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = CrossEntropyLossConfig::NAME;
        let (n, c, s) = class_dims(name, input)?;
        check_sample_weight(name, weight, input)?;
        let log_p = log_softmax(input.view([n, c, s]), 1);
        let smoothing = self.config.label_smoothing;
        let (terms, shape) = match target {
            DynInput::Int(t) => {
                check_class_target_shape(
                    name,
                    &input.shape,
                    &t.shape,
                    ", or probabilities of the input's shape",
                )?;
                let options = NllOptions {
                    weight: self.config.weight.as_ref(),
                    ignore_index: self.config.ignore_index,
                    label_smoothing: smoothing,
                };
                (class_nll_terms(name, log_p, t, &options)?.0, t.shape.clone())
            }
            DynInput::Float(t) => {
                check_same_shape_inputs(name, input, t, None)?;
                check_float_range(name, "target", t, 0.0, 1.0, "class probabilities")?;
                let mut q = t.view([n, c, s]);
                if smoothing > 0.0 {
                    q = q * (1.0 - smoothing) + smoothing / c as f64;
                }
                if let Some(w) = class_weights(name, self.config.weight.as_ref(), c, &log_p)? {
                    q = q * w.reshape([1, c, 1]);
                }
                let values = (q * log_p).sum_dim(1).reshape([n, s]).neg();
                (
                    ElementLoss::new(values),
                    crate::tensor::onehot::pixel_shape(&input.shape),
                )
            }
        };
        Ok((terms.weighted(sample_weight_2d(weight, n, s)), shape))
    }
}

impl crate::loss::LossModule for CrossEntropyLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = CrossEntropyLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.get(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.config.reduction;
        if let Some(late) = keras_mode(weight.as_ref(), reduction, false) {
            // Keras's per-timestep weights / "mean_with_sample_weight" (composed, never fused)
            let (terms, shape) = self.terms(&input, target, if late { None } else { weight.as_ref() })?;
            let loss = keras_reduce(name, terms, &shape, &input, weight.as_ref(), late, reduction)?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        if let DynInput::Int(t) = target
            && let Some(fused) = self.fused_loss(&input, t, weight.as_ref())
        {
            let (loss, shape) = fused?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        let (terms, shape) = self.terms(&input, target, weight.as_ref())?;
        Ok(reduce_to_dyn(terms, shape, reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Either
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::forward_with_indices(self, input, targets)
    }
}

// ---------------------------------------------------------------------------------------------
// nll
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`NllLoss`] (`"type": "nll"` in a [`LossConfig`](crate::LossConfig)).
    NllLossConfig("nll", defaults "no class weights, ignore_index -100, mean") {
        /// Class weights `[C]` (PyTorch `weight=`); `"mean"` divides by the summed weights of the
        /// non-ignored targets. Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// Target value that is skipped. Default `-100` (PyTorch); `null`: none.
        ignore_index: Option<i64> = pytorch_ignore_index() => with_ignore_index,
        /// `"mean"` (default), `"sum"` or `"none"` (`[N, d1, …]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if let Some(weight) = &self.weight {
            check::weights(Self::NAME, "weight", weight)?;
        }
        Ok(())
    }
    /// Negative log-likelihood of log-probabilities `input [N, C, d1, …]` (e.g. a
    /// `log_softmax` output) against class indices `target [N, d1, …]` (PyTorch `nll_loss`):
    ///
    /// ```text
    /// ℓ = −w_t · input_t;    mean = Σℓ / Σ w_t over the non-ignored targets
    /// ```
    ///
    /// As a classification loss of the Learner adapter, logits are turned into log-probabilities
    /// first (`log_softmax`), which makes it cross-entropy.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every target `ignore_index`: `"none"` is all zeros,
    /// `"sum"` 0 and `"mean"` NaN (0 / 0, as PyTorch), with a zero gradient.
    NllLoss;
    forward "log-probabilities `[N, C, …]` against class indices `[N, …]` (`DT = D − 1`)",
        <const D: usize, const DT: usize> (input: Tensor<D> => with_float, target: Tensor<DT, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<DT>;
}

/// NLL's row for the class-row kernel: `−x_t`.
#[derive(Debug, Clone, Copy)]
struct NllRow;

impl crate::fused::ClassRowLoss for NllRow {
    #[inline(always)]
    fn value(&self, x: &[f32], t: usize) -> f32 {
        -x[t]
    }
    #[inline(always)]
    fn grad(&self, _x: &[f32], t: usize, g: f32, out: &mut [f32]) {
        out.fill(0.0);
        out[t] = -g;
    }
}

impl crate::loss::LossModule for NllLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = NllLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.int(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.config.reduction;
        let fused = crate::fused::checked_class_row_loss(
            name,
            NllRow,
            &input,
            &target,
            weight.as_ref(),
            reduction,
            || {
                let (_, c, _) = class_dims(name, &input)?;
                check_class_target_shape(name, &input.shape, &target.shape, "")?;
                check_sample_weight(name, weight.as_ref(), &input)?;
                check_class_weight_count(name, self.config.weight.as_ref(), c)?;
                Ok(crate::fused::ClassRowTerms {
                    weights: self.config.weight.clone(),
                    ignore_index: self.config.ignore_index,
                    mean_over: crate::fused::MeanOver::ValidWeight,
                })
            },
        );
        if let Some(fused) = fused {
            let (loss, shape) = fused?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        let (n, c, s) = class_dims(name, &input)?;
        check_class_target_shape(name, &input.shape, &target.shape, "")?;
        check_sample_weight(name, weight.as_ref(), &input)?;
        let options = NllOptions {
            weight: self.config.weight.as_ref(),
            ignore_index: self.config.ignore_index,
            label_smoothing: 0.0,
        };
        let (terms, _) = class_nll_terms(name, input.view([n, c, s]), &target, &options)?;
        let terms = terms.weighted(sample_weight_2d(weight.as_ref(), n, s));
        let loss = reduce_with_sample_weight(terms, reduction, weight.as_ref());
        Ok(reduced_to_dyn(loss, target.shape.clone(), reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let inputs = LossInputs::new()
            .with_float("input", log_softmax(input, 1))
            .with_int("target", targets);
        Ok(self.forward_inputs(&inputs)?.flat)
    }
}

// ---------------------------------------------------------------------------------------------
// poly1
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`Poly1Loss`] (`"type": "poly1"` in a [`LossConfig`](crate::LossConfig)).
    Poly1LossConfig("poly1", defaults "epsilon 1, ignore_index -100, mean") {
        /// Coefficient `ε` of the first polynomial term, any finite number (`ε >= −1` keeps the
        /// loss monotone). Default `1.0` (the paper's default).
        epsilon: f64 = 1.0 => with_epsilon,
        /// Target value that is skipped. Default `-100` (PyTorch); `null`: none.
        ignore_index: Option<i64> = pytorch_ignore_index() => with_ignore_index,
        /// `"mean"` (default, over the non-ignored elements), `"sum"` or `"none"` (`[N, d1, …]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if self.epsilon.is_finite() {
            Ok(())
        } else {
            Err(LossError::config(Self::NAME, "epsilon", "a finite number", self.epsilon))
        }
    }
    /// Poly-1 loss (Leng et al., ICLR 2022, "PolyLoss: A Polynomial Expansion Perspective of
    /// Classification Loss Functions", <https://arxiv.org/abs/2204.12511>): cross-entropy plus
    /// the first term of its Taylor expansion in `1 − p_t`, on logits `[N, C, d1, …]` and class
    /// indices `[N, d1, …]`:
    ///
    /// ```text
    /// ℓ = −log p_t + ε·(1 − p_t),   p_t = softmax(x)_t
    /// ```
    ///
    /// `ε = 0` is cross-entropy.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every target `ignore_index`: `"none"` is all zeros,
    /// `"sum"` 0 and `"mean"` NaN (0 / 0, as PyTorch), with a zero gradient.
    Poly1Loss;
    forward "logits `[N, C, …]` against class indices `[N, …]` (`DT = D − 1`)",
        <const D: usize, const DT: usize> (input: Tensor<D> => with_float, target: Tensor<DT, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<DT>;
}

impl Poly1Loss {
    /// The row-wise kernel's pass (cross-entropy's, with `φ` gaining `ε·(1 − p)`) on the CPU
    /// backends; `None`: the composed path.
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        let name = Poly1LossConfig::NAME;
        crate::fused::checked_softmax_loss(name, input, target, weight, self.config.reduction, || {
            class_dims(name, input)?;
            check_class_target_shape(name, &input.shape, &target.shape, "")?;
            check_sample_weight(name, weight, input)?;
            Ok(crate::fused::SoftmaxTerms {
                gamma: 0.0,
                poly_epsilon: self.config.epsilon as f32,
                weights: None,
                smoothing: 0.0,
                ignore_index: self.config.ignore_index,
                mean_over: crate::fused::MeanOver::Valid,
            })
        })
    }
}

impl crate::loss::LossModule for Poly1Loss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = Poly1LossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.int(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.config.reduction;
        if let Some(fused) = self.fused_loss(&input, &target, weight.as_ref()) {
            let (loss, shape) = fused?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        let (n, c, s) = class_dims(name, &input)?;
        check_class_target_shape(name, &input.shape, &target.shape, "")?;
        check_sample_weight(name, weight.as_ref(), &input)?;
        let options = NllOptions {
            weight: None,
            ignore_index: self.config.ignore_index,
            label_smoothing: 0.0,
        };
        let log_p = log_softmax(input.view([n, c, s]), 1);
        let (mut terms, log_p_t) = class_nll_terms(name, log_p, &target, &options)?;
        terms.values = terms.values + (log_p_t.exp().neg() + 1.0) * self.config.epsilon;
        let terms = terms.weighted(sample_weight_2d(weight.as_ref(), n, s));
        let loss = reduce_with_sample_weight(terms, reduction, weight.as_ref());
        Ok(reduced_to_dyn(loss, target.shape.clone(), reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::forward_with_indices(self, input, targets)
    }
}

// ---------------------------------------------------------------------------------------------
// kl_divergence
// ---------------------------------------------------------------------------------------------

/// The reductions of [`KlDivergenceLoss`]: [`Reduction`]'s three, `"batchmean"` and Keras's
/// `"mean_with_sample_weight"` (`"sum_over_batch_size"` is read as `"mean"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KlReduction {
    /// The pointwise terms, the input's shape.
    None,
    /// Sum over all elements divided by the element count (PyTorch `"mean"`, rarely wanted).
    Mean,
    /// Sum over all elements.
    Sum,
    /// Sum divided by the batch size `N`: the KL divergence per sample (PyTorch `"batchmean"`;
    /// Keras' `kl_divergence` averaged over a batch of `[N, C]`).
    #[default]
    Batchmean,
    /// Keras 3's `"mean_with_sample_weight"`: the weighted sum divided by the sum of the `weight`
    /// argument as given (see [`Reduction::MeanWithSampleWeight`]).
    MeanWithSampleWeight,
}

impl<'de> Deserialize<'de> for KlReduction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: &[&str] = &["none", "mean", "sum", "batchmean", "mean_with_sample_weight"];
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "none" => Ok(KlReduction::None),
            "mean" | "sum_over_batch_size" => Ok(KlReduction::Mean),
            "sum" => Ok(KlReduction::Sum),
            "batchmean" => Ok(KlReduction::Batchmean),
            "mean_with_sample_weight" => Ok(KlReduction::MeanWithSampleWeight),
            other => Err(serde::de::Error::unknown_variant(other, NAMES)),
        }
    }
}

impl crate::loss::declare::Unreduced for KlReduction {
    fn none() -> Self {
        Self::None
    }
}

loss_config! {
    /// Configuration of [`KlDivergenceLoss`] (`"type": "kl_divergence"` in a
    /// [`LossConfig`](crate::LossConfig)).
    KlDivergenceLossConfig("kl_divergence", defaults "log_input true, log_target false, epsilon 1e-7, batchmean") {
        /// `true` (default): `input` holds log-probabilities (PyTorch `kl_div`). `false`:
        /// probabilities, clipped to `[ε, 1]` (Keras `kl_divergence`).
        log_input: bool = true => with_log_input,
        /// `target` holds log-probabilities (PyTorch `log_target=True`). Default `false`.
        log_target: bool = false => with_log_target,
        /// Clipping ε of the probabilities with `log_input = false` (Keras). Default `1e-7`.
        epsilon: f64 = 1e-7 => with_epsilon,
        /// `true`: Keras's per-sample loss, the SUM over the last axis (`keras.losses.kl_divergence`)
        /// before the weight and the reduction (see [Keras reductions](crate#keras-reductions)).
        /// Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"batchmean"` (default: sum / N), `"mean"` (sum / element count), `"sum"`, `"none"` or
        /// `"mean_with_sample_weight"` (Keras).
        reduction: KlReduction = KlReduction::Batchmean => with_reduction,
    }
    validate(&self) { check::in_open_range(Self::NAME, "epsilon", self.epsilon, 0.0, 0.5) }
    /// Kullback–Leibler divergence `KL(target ‖ input)` of a target distribution `t` from the
    /// predicted one, pointwise over `input` / `target` of one shape (class dim anywhere):
    ///
    /// ```text
    /// log_input true  (PyTorch kl_div):   ℓ = t·(log t − input),  0 where t = 0
    /// log_input false (Keras):            ℓ = t̂·log(t̂ / p̂),  p̂ = clip(input, ε, 1), t̂ = clip(t, ε, 1)
    /// ```
    ///
    /// with `t = exp(target)` when `log_target`. The default `"batchmean"` is the divergence per
    /// sample, what both anchors mean by the loss. A per-sample `weight [N]` multiplies the terms.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    KlDivergenceLoss;
    forward same_shape;
}

impl crate::loss::LossModule for KlDivergenceLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = KlDivergenceLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.float(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        let reduction = match self.config.reduction {
            KlReduction::None => Reduction::None,
            KlReduction::Mean | KlReduction::Batchmean => Reduction::Mean,
            KlReduction::Sum => Reduction::Sum,
            KlReduction::MeanWithSampleWeight => Reduction::MeanWithSampleWeight,
        };
        let per_sample = self.config.reduce_last_axis;
        let keras = keras_mode(weight.as_ref(), reduction, per_sample);
        let late = keras == Some(true);
        check_same_shape_inputs(name, &input, &target, if late { None } else { weight.as_ref() })?;
        if !self.config.log_target {
            check_float_range(
                name,
                "target",
                &target,
                0.0,
                1.0,
                "probabilities (log_target = false)",
            )?;
        }
        check_probability_input(name, self.config.log_input, &input)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let (x, y) = (input.view([n, m]), target.view([n, m]));
        let values = if self.config.log_input {
            if self.config.log_target {
                y.clone().exp() * (y - x)
            } else {
                // xlogy: t·log t is 0 at t = 0
                let log_t = y.clone().mask_fill(y.clone().lower_equal_elem(0.0), 1.0).log();
                y * (log_t - x)
            }
        } else {
            let eps = self.config.epsilon;
            let t = if self.config.log_target { y.exp() } else { y }.clamp(eps, 1.0);
            let p = x.clamp(eps, 1.0);
            t.clone() * (t / p).log()
        };
        let early_weight = if late { None } else { weight.as_ref() };
        let terms = ElementLoss::new(values).weighted(sample_weight_2d(early_weight, n, m));
        let shape = input.shape.clone();
        // Keras's per-sample sums (`reduce_last_axis` always takes the Keras path below)
        let (terms, shape) = if per_sample {
            last_axis_reduced(name, terms, &shape, true)?
        } else {
            (terms, shape)
        };
        let terms = if self.config.reduction == KlReduction::Batchmean {
            terms.averaged_over(n as f64)
        } else {
            terms
        };
        if keras.is_some() {
            let loss = keras_reduce(name, terms, &shape, &input, weight.as_ref(), late, reduction)?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        // without a weight, "mean_with_sample_weight" reduces as "mean"
        Ok(reduce_to_dyn(terms, shape, reduction))
    }

    fn reduces_last_axis(&self) -> bool {
        self.config.reduce_last_axis
    }

    fn input_kind(&self) -> crate::loss::InputKind {
        if self.config.log_input {
            crate::loss::InputKind::Logits
        } else {
            crate::loss::InputKind::SoftmaxProbabilities
        }
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Probabilities
    }

    /// Logits become log-probabilities (`log_input`), class indices one-hot targets: the
    /// divergence from a one-hot target is the cross-entropy.
    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let one_hot = crate::tensor::onehot::one_hot_like(&input, targets);
        let input = if self.config.log_input {
            log_softmax(input, 1)
        } else {
            input
        };
        let one_hot = if self.config.log_target {
            // log of a one-hot target: 0 for the class, a very negative number elsewhere
            one_hot.clamp_min(1e-30).log()
        } else {
            one_hot
        };
        let inputs = LossInputs::new()
            .with_float("input", input)
            .with_float("target", one_hot);
        Ok(self.forward_inputs(&inputs)?.flat)
    }
}
