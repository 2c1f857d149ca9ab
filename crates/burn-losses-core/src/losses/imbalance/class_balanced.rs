//! Class-balanced loss: the family's shared documentation is the crate docs' [Class-balanced loss](crate#class-balanced-loss).

#[cfg(feature = "dataset")]
use burn::data::dataset::Dataset;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::LossModule;
use crate::loss::input_target::InputTargetLoss;
use crate::reduction::sample_weight_2d;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{check_class_index_target, check_class_indices, check_sample_weight};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::log_sigmoid;

#[cfg(feature = "dataset")]
/// Number of items of each class in `dataset` (`label` extracts the class index of an item), in
/// one pass. Labels `>= num_classes` are an error naming the item.
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

/// The loss that the class weights multiply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassBalancedBase {
    /// Softmax cross-entropy, each sample weighted by `w_y`; `"mean"` divides by `N`
    /// (official TF: `sparse_softmax_cross_entropy(labels, logits, weights)`).
    #[default]
    Softmax,
    /// Sigmoid BCE-with-logits on the one-hot target, element `(i, c)` weighted by `w_{yᵢ}`;
    /// `"mean"` over `N·C`: the PyTorch port's `binary_cross_entropy_with_logits(x, onehot,
    /// weight=w)` (as published it passes `weights=` and raises; fixed). The official TF code
    /// divides the same sum by `N` (the number of positive labels): that is `Focal` with `γ = 0`.
    Sigmoid,
    /// Sigmoid focal loss on the one-hot target, `(1 − pₜ)^γ · BCE`, no α/1−α split, weighted by
    /// `w_{yᵢ}`; `"mean"` divides by `N`, the number of positive labels (official TF `focal_loss`).
    Focal,
    /// `binary_cross_entropy(softmax(x), onehot, weight = w_{yᵢ})`, `"mean"` over `N·C`: what the
    /// PyTorch port's `"softmax"` branch computes (not the paper's softmax loss).
    SoftmaxBce,
}

crate::loss::declare::loss_config! {
    /// Configuration of [`ClassBalancedLoss`] (`"type": "class_balanced"` in a
    /// [`LossConfig`](crate::LossConfig)).
    ///
    /// ```json
    /// {"type": "class_balanced", "samples_per_class": [5000, 2997, 1796, 1077, 645], "beta": 0.9999, "base": "focal", "gamma": 2.0}
    /// ```
    ClassBalancedLossConfig("class_balanced", defaults "β = 0.9999, softmax, γ = 2, mean", new(samples_per_class: Vec<u64>)) {
        /// Training samples of each class, `n_c ≥ 1` (required; its length is the number of classes
        /// `C ≥ 2`). See [`from_dataset`](Self::from_dataset).
        samples_per_class: Vec<u64> = Vec::new(),
        /// β ∈ [0, 1). Default `0.9999` (the paper's best on long-tailed CIFAR). `0` = uniform
        /// weights (the plain base loss), close to 1 ≈ inverse class frequency.
        beta: f64 = 0.9999 => with_beta,
        /// The base loss: `"softmax"` (default), `"sigmoid"`, `"focal"` or `"softmax_bce"`.
        base: ClassBalancedBase = ClassBalancedBase::Softmax => with_base,
        /// Focusing γ ≥ 0 of the `"focal"` base (ignored by the others). Default `2.0`.
        gamma: f64 = 2.0 => with_gamma,
        /// `"mean"` (default; the base's denominator: `N` for softmax and focal, `N·C` for sigmoid and
        /// softmax_bce), `"sum"` (the same terms, not divided) or `"none"` (per sample `[N]`, the
        /// one-hot bases summed over classes).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        let c = self.samples_per_class.len();
        if c < 2 {
            return Err(LossError::config(
                Self::NAME,
                "samples_per_class",
                "one training-sample count per class, at least 2 classes (required)",
                if c == 0 {
                    "nothing".to_string()
                } else {
                    format!("{:?}", self.samples_per_class)
                },
            ));
        }
        if let Some(class) = self.samples_per_class.iter().position(|&n| n == 0) {
            return Err(LossError::config(
                Self::NAME,
                format!("samples_per_class[{class}]"),
                format!(
                    "a count >= 1 (class {class} has no samples: its weight (1 − β)/(1 − β^0) would be infinite)"
                ),
                0,
            ));
        }
        check::in_range(Self::NAME, "beta", self.beta, 0.0, 1.0, true)?;
        check::non_negative(Self::NAME, "gamma", self.gamma)
    }
    /// Class-balanced loss: `input [N, C]` logits, `target [N]` class indices, optional per-sample
    /// weights `[N]` (multiplied in).
    ///
    /// With `wᵢ = w_{yᵢ}` (see [`ClassBalancedLossConfig::class_weights`]), `y = onehot(target)`,
    /// `pₜ` the sigmoid probability of the one-hot label and `σ` the sigmoid:
    ///
    /// ```text
    /// softmax:     ℓᵢ = wᵢ · (−log_softmax(xᵢ)_{yᵢ})                     mean = Σᵢ ℓᵢ / N
    /// sigmoid:     ℓᵢ = wᵢ · Σ_c BCE(x_ic, y_ic)                          mean = Σᵢ ℓᵢ / (N·C)
    /// focal:       ℓᵢ = wᵢ · Σ_c (1 − pₜ)^γ · BCE(x_ic, y_ic)             mean = Σᵢ ℓᵢ / N
    /// softmax_bce: ℓᵢ = wᵢ · Σ_c −[y log s_ic + (1 − y) log(1 − s_ic)],  s = softmax(xᵢ)   mean = Σᵢ ℓᵢ / (N·C)
    /// ```
    ///
    /// `"none"` returns `ℓ` `[N]`, `"sum"` `Σᵢ ℓᵢ`. Everything is computed in log space
    /// (`log_softmax`, `log_sigmoid`, `(1 − pₜ)^γ = exp(γ·log_sigmoid(−sₜ))`, and `log(1 − s)` of the
    /// largest class from a log-sum-exp over the others), so the loss and its gradient are finite for
    /// logits of any size; unlike PyTorch's `binary_cross_entropy` no logarithm is clamped at −100
    /// (identical wherever it is above −100).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element has a loss, so there is no other degenerate
    /// case: a batch of one class, or of negatives only, is an ordinary batch.
    ClassBalancedLoss {
        /// `w_c`, normalised to sum to `C`.
        class_weights: Vec<f64> = self.class_weights(),
    };
    forward "logits `[N, C]` against class indices `[N]`",
        <> (input: Tensor<2> => with_float, target: Tensor<1, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<1>;
}

impl ClassBalancedLossConfig {
    #[cfg(feature = "dataset")]
    /// Counts the labels of `dataset` in one pass ([`class_counts`]) and uses them as
    /// `samples_per_class`, with the other fields at their defaults.
    pub fn from_dataset<I, D: Dataset<I> + ?Sized>(
        dataset: &D,
        num_classes: usize,
        label: impl Fn(&I) -> usize,
    ) -> LossResult<Self> {
        let counts = class_counts(dataset, num_classes, label).map_err(|e| {
            LossError::input(Self::NAME, "dataset", format!("labels in [0, {num_classes})"), e)
        })?;
        Ok(Self::new(counts.into_iter().map(|n| n as u64).collect()))
    }

    /// The class weights `w_c = (1 − β) / (1 − β^{n_c})`, normalised to sum to `C` (in f64;
    /// `1 − β^n` is formed as `−expm1(n·ln β)`, exact for β close to 1).
    pub fn class_weights(&self) -> Vec<f64> {
        let raw: Vec<f64> = self
            .samples_per_class
            .iter()
            .map(|&n| {
                let effective = if self.beta == 0.0 {
                    1.0
                } else {
                    -(n as f64 * self.beta.ln()).exp_m1()
                };
                (1.0 - self.beta) / effective
            })
            .collect();
        let total: f64 = raw.iter().sum();
        let c = raw.len() as f64;
        raw.into_iter().map(|w| w / total * c).collect()
    }
}

/// `log(1 − softmax(x))` over dim 1 without cancellation: `log1p(−sₖ)` for every class but the
/// largest (there `sₖ ≤ 1/2`), and `logsumexp_{j≠k}(x_j) − logsumexp(x)` for the largest.
/// Needs `C ≥ 2`.
pub(crate) fn log_one_minus_softmax(x: Tensor<2>) -> Tensor<2> {
    let [_, c] = x.dims();
    let log_s = log_softmax(x.clone(), 1);
    let is_max: Tensor<2, Bool> =
        crate::tensor::onehot::one_hot_mask(x.clone().argmax(1).squeeze_dim::<1>(1), c);
    let others = log_s.clone().exp().mask_fill(is_max.clone(), 0.0).neg().log1p();
    // logsumexp over the classes other than the largest, minus logsumexp over all of them
    let rest = x.clone().mask_fill(is_max.clone(), f32::NEG_INFINITY);
    let rest_max = rest.clone().max_dim(1).detach();
    let log_rest = (rest - rest_max.clone()).exp().sum_dim(1).log() + rest_max;
    let at_max = log_rest - (x - log_s.clone()).slice([0..log_s.dims()[0], 0..1]);
    others.mask_where(is_max, at_max.expand([log_s.dims()[0], c]))
}

impl InputTargetLoss for ClassBalancedLoss {
    const NAME: &'static str = "class_balanced";
    type Target = Int;

    fn reduction(&self) -> Reduction {
        self.config.reduction
    }

    fn target_argument(inputs: &LossInputs) -> LossResult<DynTensor<Int>> {
        inputs.int(Self::NAME, "target")
    }

    /// The softmax base in one fused pass forward and one backward on the CPU backends (no
    /// per-sample weight).
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        if self.config.base != ClassBalancedBase::Softmax {
            return None;
        }
        crate::fused::checked_softmax_loss(Self::NAME, input, target, weight, reduction, || {
            let n = self.check_shapes(input, target, weight)?;
            Ok(crate::fused::SoftmaxTerms {
                gamma: 0.0,
                poly_epsilon: 0.0,
                weights: Some(self.class_weights.iter().map(|&w| w as f32).collect()),
                smoothing: 0.0,
                ignore_index: None,
                mean_over: crate::fused::MeanOver::Count(n),
            })
        })
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = Self::NAME;
        let classes = self.class_weights.len();
        let n = self.check_shapes(input, target, weight)?;
        let t = target.view([n, 1]);
        check_class_indices(name, &t, classes, None)?;
        let x = input.view([n, classes]);
        let class_weights = crate::tensor::values_like(&self.class_weights, &x);
        let sample_weight = class_weights.gather(0, t.clone().reshape([n])).reshape([n, 1]);
        let dtype = x.dtype();
        let one_hot = || crate::tensor::onehot::one_hot(t.clone().reshape([n]), classes, dtype);
        let (per_sample, mean_count) = match self.config.base {
            ClassBalancedBase::Softmax => (log_softmax(x, 1).gather(1, t).neg(), n),
            ClassBalancedBase::Sigmoid | ClassBalancedBase::Focal => {
                // s = (2y − 1)·x: BCE = −log σ(s), log(1 − pₜ) = log σ(−s)
                let signed = x * (one_hot() * 2.0 - 1.0);
                let mut bce = log_sigmoid(signed.clone()).neg();
                if self.config.base == ClassBalancedBase::Focal {
                    if self.config.gamma > 0.0 {
                        bce = bce * (log_sigmoid(signed.neg()) * self.config.gamma).exp();
                    }
                    (bce.sum_dim(1), n)
                } else {
                    (bce.sum_dim(1), n * classes)
                }
            }
            ClassBalancedBase::SoftmaxBce => {
                let y = one_hot();
                let log_s = log_softmax(x.clone(), 1);
                let log_1ms = log_one_minus_softmax(x);
                let bce = (y.clone() * log_s + (y.neg() + 1.0) * log_1ms).neg();
                (bce.sum_dim(1), n * classes)
            }
        };
        let terms = ElementLoss::new(per_sample)
            .weighted(Some(sample_weight))
            .weighted(sample_weight_2d(weight, n, 1))
            .averaged_over(mean_count as f64);
        Ok((terms, vec![n]))
    }
}

impl ClassBalancedLoss {
    /// The checks that read no values: `input [N, C]` with `C` the configured classes,
    /// `target [N]`, the per-sample weight. Returns `N`.
    fn check_shapes(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Int>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<usize> {
        let name = ClassBalancedLossConfig::NAME;
        let classes = self.class_weights.len();
        if input.shape.len() != 2 || input.shape[1] != classes {
            return Err(LossError::input(
                name,
                "input",
                format!(
                    "logits of shape [N, {classes}] ({classes} = the length of config field `samples_per_class`)"
                ),
                fmt_shape(&input.shape),
            ));
        }
        let n = input.shape[0];
        check_class_index_target(name, &target.shape, n)?;
        check_sample_weight(name, weight, input)?;
        Ok(n)
    }
}

impl LossModule for ClassBalancedLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        self.try_forward(input, targets, None)
    }
}
