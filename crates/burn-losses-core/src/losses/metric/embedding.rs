//! Metric-learning distances: the family's shared documentation is the crate docs' [Metric-learning distances](crate#metric-learning-distances).

use burn::tensor::{Bool, Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, fmt_shape};
use crate::reduction::Reduction;
use crate::tensor::checks::int_min_max;
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::log_sigmoid;
use crate::tensor::math::{l2_normalize, safe_sqrt};

/// The distance between two embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distance {
    /// `‖x − y‖₂` (PML `LpDistance(p=2, power=1)`, PyTorch `pairwise_distance`). Default.
    #[default]
    Euclidean,
    /// `‖x − y‖₂²` (PML `LpDistance(power=2)`, TF-Addons `"squared-L2"`, FaceNet).
    SquaredEuclidean,
    /// `1 − cos(x, y)` (PML `CosineSimilarity`, which PML uses as a similarity `s = cos`). The
    /// triplet losses give the same values (`d_ap − d_an = s_an − s_ap`); a contrastive margin
    /// changes side: PML's similarity margins `pos_margin = a`, `neg_margin = b` are
    /// `pos_margin = 1 − a`, `margin = 1 − b` here.
    Cosine,
}

/// Huge stand-in for "no candidate" in masked min / max selections (finite, so that no
/// `inf − inf` appears in a backward pass).
pub(crate) const NO_CANDIDATE: f64 = 1e30;

/// The `[N, N]` matrix of distances between the rows of `e [N, D]`, from one matrix product
/// (`‖a‖² + ‖b‖² − 2·a·b`, clamped at 0, exact 0 on the diagonal) — never per pair. The
/// Euclidean forms first subtract the batch mean (distances do not change): the expansion loses
/// f32 digits to `‖a‖²` when embeddings lie far from the origin, and centring keeps the norms at
/// the scale of the distances themselves. The mean is a constant for autodiff: its exact gradient
/// is zero (a translation does not change a distance), and a computed one would only add f32
/// noise to rows that take part in no pair.
pub(crate) fn pairwise_distances(e: Tensor<2>, distance: Distance) -> Tensor<2> {
    let [n, _] = e.dims();
    let device = e.device();
    let diagonal = || eye(n, &device);
    match distance {
        Distance::Cosine => {
            let diagonal = diagonal();
            let u = l2_normalize(e, 1, 1e-12);
            (u.clone().matmul(u.transpose()).neg() + 1.0).mask_fill(diagonal, 0.0)
        }
        Distance::Euclidean | Distance::SquaredEuclidean => {
            let e = e.clone() - e.mean_dim(0).detach();
            let sq = e.clone().powi_scalar(2).sum_dim(1);
            let gram = e.clone().matmul(e.transpose());
            let root = distance == Distance::Euclidean;
            if let Some(d) = crate::fused::distances_from_gram(&gram, &sq.clone().reshape([n]), root) {
                return d;
            }
            let squared = (sq.clone() + sq.transpose() - gram * 2.0)
                .clamp_min(0.0)
                .mask_fill(diagonal(), 0.0);
            if distance == Distance::Euclidean {
                safe_sqrt(squared)
            } else {
                squared
            }
        }
    }
}

/// Distances `[N]` between matching rows of `x` and `y` (`[N, D]`): `‖x − y‖₂`, its square or
/// `1 − cos` (norms floored at 1e-8, as PyTorch `cosine_similarity`).
pub(crate) fn paired_distances(x: Tensor<2>, y: Tensor<2>, distance: Distance) -> Tensor<1> {
    let [n, _] = x.dims();
    let d = match distance {
        Distance::Cosine => {
            (l2_normalize(x, 1, 1e-8) * l2_normalize(y, 1, 1e-8))
                .sum_dim(1)
                .neg()
                + 1.0
        }
        Distance::SquaredEuclidean => (x - y).powi_scalar(2).sum_dim(1),
        Distance::Euclidean => safe_sqrt((x - y).powi_scalar(2).sum_dim(1)),
    };
    d.reshape([n])
}

/// Boolean identity `[n, n]`.
pub(crate) fn eye(n: usize, device: &burn::tensor::Device) -> Tensor<2, Bool> {
    let idx = Tensor::<1, Int>::arange(0..n as i64, device);
    idx.clone().reshape([n, 1]).equal(idx.reshape([1, n]))
}

/// The pairs of a labelled batch: `positive[i, j]` = same label and `i ≠ j`, `negative[i, j]` =
/// different labels (PML `get_all_pairs_indices`).
pub(crate) struct LabelPairs {
    pub positive: Tensor<2, Bool>,
    pub negative: Tensor<2, Bool>,
}

impl LabelPairs {
    pub fn of(labels: &Tensor<1, Int>) -> Self {
        let [n] = labels.dims();
        let same = labels
            .clone()
            .reshape([n, 1])
            .equal(labels.clone().reshape([1, n]));
        let diagonal = eye(n, &labels.device());
        Self {
            positive: same.clone().bool_and(diagonal.bool_not()),
            negative: same.bool_not(),
        }
    }
}

/// Float 0/1 of a mask, in `dtype`.
pub(crate) fn as_float<const D: usize>(mask: Tensor<D, Bool>, dtype: burn::tensor::DType) -> Tensor<D> {
    mask.float().cast(dtype)
}

/// `max(x, 0)` or, with `soft`, `softplus(x) = −log σ(−x)` (the two-branch stable
/// [`log_sigmoid`]: no overflow, and the gradient is `σ(x)` everywhere, `½` at a tie `x = 0` as
/// PyTorch's `softplus`; `max(x, 0) + log1p(exp(−|x|))` has the right value but passes gradient 1
/// there).
pub(crate) fn hinge_or_softplus<const D: usize>(x: Tensor<D>, soft: bool) -> Tensor<D> {
    if soft {
        log_sigmoid(x.neg()).neg()
    } else {
        x.clamp_min(0.0)
    }
}

/// Row-wise `log Σ_{j: mask} exp(x_ij)` as `[N, 1]`, computed around the (detached) row maximum;
/// a row with an empty mask gives a value near `−1e30` (its `softplus(· − s)` is exactly 0 with
/// a zero gradient) instead of `−∞`.
pub(crate) fn masked_logsumexp(x: Tensor<2>, mask: Tensor<2, Bool>) -> Tensor<2> {
    let masked = x.mask_fill(mask.bool_not(), -NO_CANDIDATE);
    let max = masked.clone().max_dim(1).detach();
    (masked - max.clone()).exp().sum_dim(1).log() + max
}

/// The `embeddings [N, D]` and integer `labels [N]` arguments of a batch loss, checked.
pub(crate) fn embeddings_and_labels(
    loss: &'static str,
    inputs: &LossInputs,
) -> LossResult<(Tensor<2>, Tensor<1, Int>)> {
    let embeddings = inputs.float(loss, "embeddings")?;
    let labels = inputs.int(loss, "labels")?;
    let e = embeddings_2d(loss, "embeddings", &embeddings)?;
    let n = e.dims()[0];
    if labels.shape != [n] {
        return Err(LossError::input(
            loss,
            "labels",
            format!("integer labels of shape [{n}] (one per embedding)"),
            fmt_shape(&labels.shape),
        ));
    }
    Ok((e, labels.view([n])))
}

/// The embeddings and labels of a loss whose pairs / triplets / negatives are formed within the
/// batch: the device's own, or every worker's in a [device group](crate::DeviceGroup) while training.
pub(crate) struct Batch {
    pub embeddings: Tensor<2>,
    pub labels: Tensor<1, Int>,
    /// This worker's rows of the joined batch (`None`: the batch is this device's own).
    pub own: Option<std::ops::Range<usize>>,
}

impl Batch {
    /// The checked `embeddings [N, D]` and `labels [N]` of `inputs`, joined across the device
    /// group of this thread while training.
    pub fn of(loss: &'static str, inputs: &LossInputs) -> LossResult<Self> {
        let (embeddings, labels) = embeddings_and_labels(loss, inputs)?;
        Ok(match crate::group::training_group(&embeddings) {
            Some(group) => {
                let (embeddings, labels, own) =
                    crate::group::gathered_rows(loss, &group, embeddings, labels)?;
                Self {
                    embeddings,
                    labels,
                    own: Some(own),
                }
            }
            None => Self {
                embeddings,
                labels,
                own: None,
            },
        })
    }

    /// [`reduce_per_anchor`](crate::reduction::reduce_per_anchor) of the per-anchor losses of the (joined) batch; `"none"` returns this
    /// device's own anchors.
    pub fn reduce(&self, per_anchor: Tensor<1>, count: Tensor<1>, reduction: Reduction) -> DynTensor {
        match (&self.own, reduction) {
            (Some(own), Reduction::None) => crate::reduction::reduce_per_anchor(
                per_anchor.narrow(0, own.start, own.len()),
                count,
                reduction,
            ),
            _ => crate::reduction::reduce_per_anchor(per_anchor, count, reduction),
        }
    }
}

/// A float argument of shape `[N, D]` with `N, D >= 1`.
pub(crate) fn embeddings_2d(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<Float>,
) -> LossResult<Tensor<2>> {
    match t.shape.as_slice() {
        &[n, d] if n > 0 && d > 0 => Ok(t.view([n, d])),
        other => Err(LossError::input(
            loss,
            argument,
            "embeddings of shape [N, D] with N, D >= 1",
            fmt_shape(other),
        )),
    }
}

/// Class indices `[N]` must lie in `[0, classes)`.
pub(crate) fn check_label_range(
    loss: &'static str,
    labels: &Tensor<1, Int>,
    classes: usize,
) -> LossResult<()> {
    if crate::tensor::checks::trusted_inputs() {
        return Ok(());
    }
    let (min, max) = int_min_max(labels);
    if min < 0 || max >= classes as i64 {
        return Err(LossError::input(
            loss,
            "labels",
            format!("class indices in [0, {classes}) (num_classes = {classes})"),
            format!("indices in [{min}, {max}]"),
        ));
    }
    Ok(())
}

/// The number of `true` entries of `mask`, as a one-element float tensor of `dtype`.
pub(crate) fn count<const D: usize>(mask: Tensor<D, Bool>, dtype: burn::tensor::DType) -> Tensor<1> {
    as_float(mask, dtype).sum()
}
