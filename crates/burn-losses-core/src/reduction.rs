//! The one reducer of the crate: [`Reduction`] (the option) applied by [`ElementLoss`].
//!
//! Every composed loss builds an [`ElementLoss`] (per-element values, optional multiplicative
//! weights, optional validity mask, optional `"mean"` denominator) and ends with
//! [`ElementLoss::reduce`] or [`ElementLoss::unreduced`]; the metric losses reduce their
//! per-anchor sums through it too ([`reduce_per_anchor`]). No loss re-implements mean / sum /
//! mask logic.
//!
//! **Empty batches, one policy per reduction** (documented here once; each loss's "Degenerate
//! batches" paragraph says which applies):
//!
//! | reduction | nothing to average | policy (anchor) |
//! |---|---|---|
//! | `"sum"` | — | 0 (an empty sum) |
//! | `"mean"` over valid elements ([`ElementLoss::masked`]) | every element ignored | NaN, as PyTorch (`0/0`) |
//! | `"mean"` over formed terms ([`ElementLoss::averaged_by_terms`]: pairs, triplets, anchors) | no term formed | 0 with a zero gradient, as pytorch-metric-learning |
//! | `"none"` | — | 0 where ignored |
//!
//! An empty batch (no element at all) is refused before any of this, with an error naming the
//! argument. The fused kernels ([`crate::set_fused_kernels`]) reduce on the host in one pass and
//! mirror these denominators exactly: their `MeanOver::Valid` is the valid count,
//! `MeanOver::ValidWeight` the summed class weights ([`ElementLoss::averaged_by`]) and
//! `MeanOver::Count` a fixed count ([`ElementLoss::averaged_over`]).

use burn::tensor::Float;
use burn::tensor::{Bool, Tensor};
use serde::{Deserialize, Serialize};

use crate::tensor::dynamic::DynTensor;
use crate::tensor::math::ratio_or;

/// How the element-wise loss is reduced to the value `forward` returns.
///
/// Serialised as `"none"`, `"mean"` or `"sum"` (PyTorch's `reduction=` strings), and Keras 3's
/// `"mean_with_sample_weight"`; Keras's `"sum_over_batch_size"` is read as `"mean"`, which it is.
///
/// Keras computes a loss per sample first (the mean over the last axis), then reduces those with
/// these names: the element-wise losses offer the same with `reduce_last_axis: true` (see the
/// crate docs' [Keras reductions](crate#keras-reductions)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// No reduction: one value per element (ignored elements are 0).
    None,
    /// Sum of the weighted element losses divided by the number of valid (non-ignored)
    /// elements. Weights multiply the losses but do not enter the denominator (torchvision /
    /// Keras `sum_over_batch_size` semantics; `"sum_over_batch_size"` is read as `"mean"`). If
    /// every element is ignored the result is NaN, as in PyTorch.
    #[default]
    Mean,
    /// Sum of the weighted element losses.
    Sum,
    /// Keras 3's `"mean_with_sample_weight"`: the sum of the weighted losses divided by the sum of
    /// the `weight` argument as given (not broadcast), 0 when that sum is 0 (Keras's
    /// `divide_no_nan`). Without a `weight` argument, or on a loss that takes none, it is `"mean"`;
    /// `rmse` (a root, not a weighted sum) and user-defined losses refuse it.
    MeanWithSampleWeight,
}

impl burn::config::Config for Reduction {}

/// PyTorch's three names, Keras's `"mean_with_sample_weight"`, and Keras's `"sum_over_batch_size"`
/// read as `"mean"` (an alias the error for an unknown name does not list).
impl<'de> Deserialize<'de> for Reduction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAMES: &[&str] = &["none", "mean", "sum", "mean_with_sample_weight"];
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "none" => Ok(Reduction::None),
            "mean" | "sum_over_batch_size" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            "mean_with_sample_weight" => Ok(Reduction::MeanWithSampleWeight),
            other => Err(serde::de::Error::unknown_variant(other, NAMES)),
        }
    }
}

impl Reduction {
    /// `"mean_with_sample_weight"` read as `"mean"` (what it is without a sample weight); the
    /// other reductions unchanged.
    pub(crate) fn without_sample_weight(self) -> Self {
        match self {
            Reduction::MeanWithSampleWeight => Reduction::Mean,
            other => other,
        }
    }
}

impl core::fmt::Display for Reduction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Reduction::None => "none",
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
            Reduction::MeanWithSampleWeight => "mean_with_sample_weight",
        })
    }
}

/// An unreduced loss: per-element values plus what the reduction needs to know about them.
#[derive(Debug, Clone)]
pub struct ElementLoss<const D: usize> {
    /// Per-element loss before weighting.
    pub values: Tensor<D>,
    /// Multiplicative per-element weights (class weights × sample weights), same shape.
    pub weights: Option<Tensor<D>>,
    /// `true` where the element counts; `false` where it is ignored (e.g. `ignore_index`).
    pub valid: Option<Tensor<D, Bool>>,
    /// The `"mean"` denominator when it is not the number of valid elements: e.g. a loss that
    /// reports per-sample sums over `C` classes but averages over `N·C` elements (PyTorch's
    /// `binary_cross_entropy` on a one-hot target), or mmdet's `avg_factor`.
    pub mean_count: Option<f64>,
    /// The `"mean"` denominator as a tensor `[1]` computed from the batch: PyTorch's
    /// `cross_entropy(weight=)` divides by the summed class weights of the valid targets.
    pub mean_denominator: Option<Tensor<1>>,
}

impl<const D: usize> ElementLoss<D> {
    /// Plain element losses, every element valid, no weights.
    pub fn new(values: Tensor<D>) -> Self {
        Self {
            values,
            weights: None,
            valid: None,
            mean_count: None,
            mean_denominator: None,
        }
    }

    /// Multiplies the element weights by `weights` (broadcast to the loss shape).
    pub fn weighted(mut self, weights: Option<Tensor<D>>) -> Self {
        if let Some(w) = weights {
            self.weights = Some(match self.weights.take() {
                Some(existing) => existing * w,
                None => w,
            });
        }
        self
    }

    /// Marks elements as valid (`true`) or ignored (`false`).
    pub fn masked(mut self, valid: Option<Tensor<D, Bool>>) -> Self {
        if let Some(v) = valid {
            self.valid = Some(match self.valid.take() {
                Some(existing) => existing.bool_and(v),
                None => v,
            });
        }
        self
    }

    /// Sets the `"mean"` denominator instead of the number of valid elements.
    pub fn averaged_over(mut self, count: f64) -> Self {
        self.mean_count = Some(count);
        self
    }

    /// Sets the `"mean"` denominator to a batch statistic `[1]` (e.g. Σ of the weights of the valid
    /// targets).
    pub fn averaged_by(mut self, denominator: Tensor<1>) -> Self {
        self.mean_denominator = Some(denominator);
        self
    }

    /// Sets the `"mean"` denominator to the number of terms the loss formed, `count [1]`, floored
    /// at 1: a batch that formed no term (no positive pair, no valid triplet) has mean 0 with a
    /// zero gradient instead of `0/0` (pytorch-metric-learning's `MeanReducer`).
    pub fn averaged_by_terms(self, count: Tensor<1>) -> Self {
        self.averaged_by(count.clamp_min(1.0))
    }

    /// Weighted element losses, 0 where ignored. Same shape as the input loss.
    pub fn unreduced(self) -> Tensor<D> {
        let mut loss = self.values;
        if let Some(weights) = self.weights {
            loss = loss * weights;
        }
        if let Some(valid) = self.valid {
            loss = loss.mask_fill(valid.bool_not(), 0.0);
        }
        loss
    }

    /// Applies `reduction`. `Reduction::None` returns the [`unreduced`](Self::unreduced) values
    /// flattened in row-major order; `Mean` and `Sum` return a one-element tensor.
    pub fn reduce(self, reduction: Reduction) -> Tensor<1> {
        // without a sample-weight sum (the Keras path of `InputTargetLoss` divides by it itself),
        // "mean_with_sample_weight" is "mean"
        let reduction = reduction.without_sample_weight();
        let count = match (&self.valid, reduction) {
            (Some(valid), Reduction::Mean)
                if self.mean_count.is_none() && self.mean_denominator.is_none() =>
            {
                Some(valid.clone().float().cast(self.values.dtype()).sum())
            }
            _ => None,
        };
        let numel = self.values.shape().num_elements();
        let denominator = self.mean_count.unwrap_or(numel as f64);
        let tensor_denominator = self.mean_denominator.clone();
        let loss = self.unreduced();
        match reduction {
            Reduction::None => loss.reshape([numel]),
            Reduction::Sum => loss.sum(),
            Reduction::Mean | Reduction::MeanWithSampleWeight => match (tensor_denominator, count) {
                (Some(denominator), _) => loss.sum() / denominator,
                (None, Some(count)) => loss.sum() / count,
                (None, None) => loss.sum() / denominator,
            },
        }
    }
}

#[cfg(all(test, any(feature = "flex", feature = "ndarray")))]
mod tests {
    //! The reduction contract on small tensors: weights compound, masks zero and leave the
    //! `"mean"` count, an explicit denominator wins over the valid count (found by mutation
    //! testing: no loss combined a mask with `averaged_over`, so nothing pinned the precedence).

    use burn::tensor::{Bool, Device, Tensor};

    use super::{ElementLoss, Reduction};

    fn device() -> Device {
        #[cfg(feature = "flex")]
        return Device::flex();
        #[cfg(not(feature = "flex"))]
        #[allow(deprecated)]
        // burn 0.22 deprecates burn-ndarray; it is still one of this crate's backends
        return Device::ndarray();
    }

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Per-element losses 1, 2, 3, 4; the third ignored; weights 2 × 0.5 on the first two.
    fn terms() -> ElementLoss<1> {
        let d = device();
        ElementLoss::new(Tensor::<1>::from_floats([1.0, 2.0, 3.0, 4.0], &d))
            .weighted(Some(Tensor::<1>::from_floats([2.0, 2.0, 1.0, 1.0], &d)))
            .weighted(Some(Tensor::<1>::from_floats([0.5, 3.0, 1.0, 1.0], &d)))
            .masked(Some(Tensor::<1, Bool>::from_bool([true, true, false, true], &d)))
    }

    #[test]
    fn weights_compound_and_masks_zero_the_ignored_elements() {
        // weights 1, 6, 1, 1: losses 1, 12, (ignored) 0, 4
        assert_eq!(values(terms().reduce(Reduction::None)), [1.0f32, 12.0, 0.0, 4.0]);
        assert_eq!(values(terms().reduce(Reduction::Sum)), [17.0f32]);
        // mean over the three valid elements; weights do not enter the denominator
        assert_eq!(values(terms().reduce(Reduction::Mean)), [17.0f32 / 3.0]);
    }

    #[test]
    fn an_explicit_mean_denominator_wins_over_the_valid_count() {
        assert_eq!(
            values(terms().averaged_over(10.0).reduce(Reduction::Mean)),
            [1.7f32]
        );
        let by = Tensor::<1>::from_floats([4.0], &device());
        assert_eq!(values(terms().averaged_by(by).reduce(Reduction::Mean)), [4.25f32]);
        // the denominators leave "sum" and "none" alone
        assert_eq!(
            values(terms().averaged_over(10.0).reduce(Reduction::Sum)),
            [17.0f32]
        );
        let plain = ElementLoss::new(Tensor::<1>::from_floats([1.0, 3.0], &device()));
        assert_eq!(values(plain.clone().reduce(Reduction::Mean)), [2.0f32]);
        assert_eq!(values(plain.averaged_over(4.0).reduce(Reduction::Mean)), [1.0f32]);
    }

    #[test]
    fn reductions_print_as_pytorch_spells_them() {
        let names = [Reduction::None, Reduction::Mean, Reduction::Sum].map(|r| r.to_string());
        assert_eq!(names, ["none", "mean", "sum"]);
    }
}

/// `terms` (already weighted by the `weight` argument) reduced with `reduction`:
/// `"mean_with_sample_weight"` divides the weighted sum by the sum of `weight` as given (0 when
/// that is 0: TensorFlow's `divide_no_nan`), and is `"mean"` without a weight.
pub(crate) fn reduce_with_sample_weight(
    terms: ElementLoss<2>,
    reduction: Reduction,
    weight: Option<&DynTensor<Float>>,
) -> Tensor<1> {
    match (reduction, weight) {
        (Reduction::MeanWithSampleWeight, Some(w)) => {
            ratio_or(terms.reduce(Reduction::Sum), w.flat.clone().sum(), 0.0)
        }
        _ => terms.reduce(reduction),
    }
}

/// Per-sample weights `[N]` broadcast to `[N, M]`.
pub(crate) fn sample_weight_2d(weight: Option<&DynTensor<Float>>, n: usize, m: usize) -> Option<Tensor<2>> {
    weight.map(|w| w.view([n, 1]).expand([n, m]))
}

/// The reduction of a loss over the pairs / triplets formed in a batch: `per_anchor [N]` holds
/// each anchor's summed terms (`"none"` returns it), `"sum"` adds them, `"mean"` divides the sum
/// by `count`, the number of terms formed ([`ElementLoss::averaged_by_terms`]: none formed gives
/// 0).
pub(crate) fn reduce_per_anchor(per_anchor: Tensor<1>, count: Tensor<1>, reduction: Reduction) -> DynTensor {
    let [n] = per_anchor.dims();
    let terms = ElementLoss::new(per_anchor.reshape([n, 1])).averaged_by_terms(count);
    reduce_to_dyn(terms, vec![n], reduction)
}

/// Reduces element losses to what the named-argument form returns: the unreduced values with
/// their logical `shape` for `"none"`, a scalar (shape `[]`) for `"mean"` / `"sum"`.
pub(crate) fn reduce_to_dyn(
    terms: crate::reduction::ElementLoss<2>,
    shape: Vec<usize>,
    reduction: crate::reduction::Reduction,
) -> DynTensor {
    reduced_to_dyn(terms.reduce(reduction), shape, reduction)
}

/// A loss already reduced with `reduction` as a [`DynTensor`]: the unreduced `shape` for
/// `"none"`, a scalar otherwise.
pub(crate) fn reduced_to_dyn(
    loss: Tensor<1>,
    shape: Vec<usize>,
    reduction: crate::reduction::Reduction,
) -> DynTensor {
    match reduction {
        crate::reduction::Reduction::None => DynTensor::new(loss, shape),
        crate::reduction::Reduction::Mean
        | crate::reduction::Reduction::Sum
        | crate::reduction::Reduction::MeanWithSampleWeight => DynTensor::new(loss, vec![]),
    }
}
