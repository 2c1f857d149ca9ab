//! Triplet losses: the family's shared documentation is the crate docs' [Triplet losses](crate#triplet-losses).

use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::losses::metric::embedding::{
    Batch, Distance, LabelPairs, NO_CANDIDATE, count, embeddings_2d, hinge_or_softplus, paired_distances,
    pairwise_distances,
};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::check_same_dtype;
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::{l2_normalize, safe_sqrt};

crate::loss::declare::loss_config! {
    /// Configuration of [`TripletMarginLoss`] (`"type": "triplet_margin"` in a
    /// [`LossConfig`](crate::LossConfig)).
    TripletMarginLossConfig("triplet_margin", defaults "margin 1, p 2, epsilon 1e-6, mean") {
        /// Margin `m >= 0`. Default `1.0` (PyTorch).
        margin: f64 = 1.0 => with_margin,
        /// Norm degree `p >= 1` of the `"euclidean"` distance `‖a − p + ε‖_p`. Default `2`.
        p: f64 = 2.0 => with_p,
        /// `ε >= 0` added to the difference before the norm (PyTorch `pairwise_distance`'s `eps`,
        /// also accepted as `"eps"`). Default `1e-6`.
        #[serde(alias = "eps")]
        epsilon: f64 = 1e-6 => with_epsilon,
        /// Distance swap (Balntas et al. 2016): `d(a, n) ← min(d(a, n), d(p, n))`. Default `false`.
        swap: bool = false => with_swap,
        /// `softplus(d(a, p) − d(a, n) + m)` instead of the hinge (PML `smooth_loss`; Hermans et al.
        /// 2017's soft margin is this with `margin: 0`). Default `false`.
        soft_margin: bool = false => with_soft_margin,
        /// `"euclidean"` (the p-norm, default), `"squared_euclidean"` (`‖a − p + ε‖₂²`) or
        /// `"cosine"` (`1 − cos`, PyTorch `TripletMarginWithDistanceLoss` with that function).
        distance: Distance = Distance::Euclidean => with_distance,
        /// `"mean"` (default), `"sum"` or `"none"` (`[N]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "margin", self.margin)?;
        if !(self.p.is_finite() && self.p >= 1.0) {
            return Err(LossError::config(
                Self::NAME,
                "p",
                "a finite norm degree >= 1",
                self.p,
            ));
        }
        check::non_negative(Self::NAME, "epsilon", self.epsilon)
    }
    /// Triplet margin loss (Schroff et al. 2015, "FaceNet"; Balntas et al. 2016 for the swap):
    ///
    /// ```text
    /// ℓ_i = max(d(a_i, p_i) − d(a_i, n_i) + margin, 0)        (soft_margin: softplus(·))
    /// d(x, y) = ‖x − y + ε‖_p  |  ‖x − y + ε‖₂²  |  1 − cos(x, y)
    /// swap: d(a, n) ← min(d(a, n), d(p, n))
    /// ```
    ///
    /// Equals `torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction)` for the Euclidean
    /// distance and `torch.nn.TripletMarginWithDistanceLoss` for the others.
    ///
    /// # Shapes
    /// - `anchor`, `positive`, `negative`: `[N, D]`
    /// - output: `[1]` (mean, sum) or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element has a loss, so there is no other degenerate
    /// case: a batch of one class, or of negatives only, is an ordinary batch.
    TripletMarginLoss;
    forward "`anchor`, `positive`, `negative` (`[N, D]`)",
        <> (anchor: Tensor<2> => with_float, positive: Tensor<2> => with_float, negative: Tensor<2> => with_float),
        unreduced Tensor<1>;
}

impl TripletMarginLoss {
    /// `[N, 1]` distances between matching rows.
    fn pair_distance(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let [n, _] = x.dims();
        match self.config.distance {
            // PyTorch's cosine_similarity has no ε shift
            Distance::Cosine => paired_distances(x, y, Distance::Cosine).reshape([n, 1]),
            Distance::SquaredEuclidean => (x - y + self.config.epsilon).powi_scalar(2).sum_dim(1),
            Distance::Euclidean => lp_norm(x - y + self.config.epsilon, self.config.p),
        }
    }

    fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = TripletMarginLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let anchor_dyn = inputs.float(name, "anchor")?;
        let anchor = embeddings_2d(name, "anchor", &anchor_dyn)?;
        let mut rows = Vec::with_capacity(2);
        for argument in ["positive", "negative"] {
            let t = inputs.float(name, argument)?;
            if t.shape != anchor_dyn.shape {
                return Err(LossError::input(
                    name,
                    argument,
                    format!("the shape of `anchor` {}", fmt_shape(&anchor_dyn.shape)),
                    fmt_shape(&t.shape),
                ));
            }
            check_same_dtype(name, argument, Some(&t), &anchor_dyn)?;
            rows.push(t.view::<2>([anchor_dyn.shape[0], anchor_dyn.shape[1]]));
        }
        let negative = rows.pop().expect("two rows");
        let positive = rows.pop().expect("two rows");
        let d_ap = self.pair_distance(anchor.clone(), positive.clone());
        let mut d_an = self.pair_distance(anchor, negative.clone());
        if self.config.swap {
            d_an = d_an.min_pair(self.pair_distance(positive, negative));
        }
        let terms = hinge_or_softplus(d_ap - d_an + self.config.margin, self.config.soft_margin);
        let n = terms.dims()[0];
        Ok(reduce_to_dyn(
            ElementLoss::new(terms),
            vec![n],
            self.config.reduction,
        ))
    }
}

/// `‖x‖_p` per row `[N, 1]`, with a zero gradient at a zero row (safe root). Other `p` than 1 and
/// 2 as `m·(Σ (|x|/m)^p)^(1/p)` with `m` the row's largest `|x|` (a constant: the value does not
/// depend on it), so that `|x|^p` does not overflow f32 (`p = 20`: from `|x| ≈ 80`).
fn lp_norm(x: Tensor<2>, p: f64) -> Tensor<2> {
    if p == 2.0 {
        return safe_sqrt(x.powi_scalar(2).sum_dim(1));
    }
    if p == 1.0 {
        return x.abs().sum_dim(1);
    }
    let a = x.abs();
    let m = a.clone().max_dim(1).detach();
    let zero = m.clone().lower_equal_elem(0.0);
    let m = m.mask_fill(zero.clone(), 1.0);
    let s = crate::tensor::math::powf(a / m.clone(), p).sum_dim(1);
    (crate::tensor::math::powf(s.mask_fill(zero.clone(), 1.0), 1.0 / p) * m).mask_fill(zero, 0.0)
}

impl crate::loss::LossModule for TripletMarginLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(crate::loss::not_a_classification_loss(
            TripletMarginLossConfig::NAME,
            "anchor, positive, negative embeddings",
        ))
    }
}

/// How [`TripletMinedLoss`] forms triplets from a labelled batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mining {
    /// Every valid `(a, p, n)`: `a ≠ p` of one label, `n` of another (PML `TripletMarginLoss`
    /// without a miner; Hermans et al. 2017's batch-all). Default. Costs `N³` memory.
    #[default]
    BatchAll,
    /// Per anchor, its farthest positive and closest negative (PML `BatchHardMiner`; Hermans et
    /// al.'s batch-hard); anchors lacking either are skipped. `N²` memory.
    BatchHard,
    /// Per positive pair `(a, p)`, the closest negative farther than `p`, else the farthest
    /// negative (FaceNet; TF-Addons `TripletSemiHardLoss`). `N³` memory.
    SemiHard,
}

crate::loss::declare::loss_config! {
    /// Configuration of [`TripletMinedLoss`] (`"type": "triplet_mined"` in a
    /// [`LossConfig`](crate::LossConfig)).
    TripletMinedLossConfig("triplet_mined", defaults "batch-all, margin 1, Euclidean, mean over all mined triplets") {
        /// `"batch_all"` (default), `"batch_hard"` or `"semi_hard"`.
        mining: Mining = Mining::BatchAll => with_mining,
        /// Margin `m >= 0`. Default `1.0` (PyTorch, TF-Addons; PML's default is 0.05 on normalised
        /// embeddings).
        margin: f64 = 1.0 => with_margin,
        /// `"euclidean"` (default), `"squared_euclidean"` or `"cosine"`. TF-Addons'
        /// `TripletSemiHardLoss` uses `distance_metric="L2"` (= `"euclidean"`) by default; the
        /// original `tf.contrib` function used squared distances (`"squared_euclidean"`).
        distance: Distance = Distance::Euclidean => with_distance,
        /// L2-normalise the embeddings first. Default `false` (PML's `LpDistance` default is
        /// `true`: set it to match PML's defaults).
        normalize_embeddings: bool = false => with_normalize_embeddings,
        /// `softplus(d_ap − d_an + m)` instead of the hinge (PML `smooth_loss`). Default `false`.
        soft_margin: bool = false => with_soft_margin,
        /// `"mean"` divides by the number of mined terms with a positive loss (Hermans et al.'s
        /// batch-all, PML's `AvgNonZeroReducer`) instead of all mined terms (PML `MeanReducer`,
        /// TF-Addons). Default `false`.
        nonzero_mean: bool = false => with_nonzero_mean,
        /// `"mean"` (default), `"sum"` or `"none"` (each anchor's summed terms, `[N]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "margin", self.margin)
    }
    /// Triplet loss with online mining over a labelled batch (Hermans et al. 2017, "In Defense of
    /// the Triplet Loss"; Schroff et al. 2015 for semi-hard):
    ///
    /// ```text
    /// D = pairwise distances of the batch, one [N, N] matrix (safe √: zero gradient at 0)
    /// batch_all:  ℓ_apn = max(D_ap − D_an + m, 0)  for every a ≠ p same label, n other label
    /// batch_hard: ℓ_a   = max(max_p D_ap − min_n D_an + m, 0)
    /// semi_hard:  ℓ_ap  = max(D_ap − D_an* + m, 0), n* = argmin {D_an : D_an > D_ap}, else argmax_n D_an
    /// soft_margin: softplus instead of max(·, 0)
    /// mean = Σ ℓ / #terms   (nonzero_mean: / #{ℓ > 0});  none = per-anchor sums [N]
    /// ```
    ///
    /// `batch_all` with the default mean equals PML `TripletMarginLoss(distance=LpDistance(
    /// normalize_embeddings=False), reducer=MeanReducer())` with no miner (PML's
    /// `TripletMarginMiner("all")` would keep only the margin violators, i.e. `nonzero_mean`);
    /// `batch_hard` PML's `BatchHardMiner` followed by that loss; `semi_hard` TF-Addons'
    /// `TripletSemiHardLoss` (which averages over all positive pairs). A batch with no valid
    /// triplet gives 0 with a zero gradient. Triplets are mined within the batch: under data-parallel
    /// training, the device's batch (see [Multi-device training](crate#multi-device-training)), or every device's in a
    /// [device group](crate::DeviceGroup).
    ///
    /// # Shapes
    /// - `embeddings`: `[N, D]`, `labels`: `[N]` integers
    /// - output: `[1]` (mean, sum) or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). No valid triplet (no positive pair, or no negative): 0 with a
    /// zero gradient.
    TripletMinedLoss;
    forward "`embeddings [N, D]` and `labels [N]` (each anchor's summed terms, unreduced)",
        <> (embeddings: Tensor<2> => with_float, labels: Tensor<1, Int> => with_int),
        unreduced Tensor<1>;
}

impl TripletMinedLoss {
    fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = TripletMinedLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let batch = Batch::of(name, inputs)?;
        let (e, labels) = (batch.embeddings.clone(), batch.labels.clone());
        let [n, _] = e.dims();
        let dtype = e.dtype();
        let e = if self.config.normalize_embeddings {
            l2_normalize(e, 1, 1e-12)
        } else {
            e
        };
        let d = pairwise_distances(e, self.config.distance);
        let pairs = LabelPairs::of(&labels);
        let (margin, soft) = (self.config.margin, self.config.soft_margin);
        // (terms, which terms exist), both [N, M]: summed per anchor over M
        let (terms, kept): (Tensor<2>, Tensor<2, burn::tensor::Bool>) = match self.config.mining {
            Mining::BatchAll => {
                let d_ap = d.clone().reshape([n, n, 1]).expand([n, n, n]);
                let d_an = d.reshape([n, 1, n]).expand([n, n, n]);
                let valid = pairs
                    .positive
                    .reshape([n, n, 1])
                    .expand([n, n, n])
                    .bool_and(pairs.negative.reshape([n, 1, n]).expand([n, n, n]));
                let terms = hinge_or_softplus(d_ap - d_an + margin, soft);
                (terms.reshape([n, n * n]), valid.reshape([n, n * n]))
            }
            Mining::BatchHard => {
                let hardest_positive = d
                    .clone()
                    .mask_fill(pairs.positive.clone().bool_not(), -1.0)
                    .max_dim(1);
                let hardest_negative = d
                    .mask_fill(pairs.negative.clone().bool_not(), NO_CANDIDATE)
                    .min_dim(1);
                let kept = pairs.positive.any_dim(1).bool_and(pairs.negative.any_dim(1));
                let terms = hinge_or_softplus(hardest_positive - hardest_negative + margin, soft);
                (terms, kept)
            }
            Mining::SemiHard => {
                let d_ap = d.clone().reshape([n, n, 1]);
                let d_an = d.clone().reshape([n, 1, n]).expand([n, n, n]);
                let negative = pairs.negative.clone().reshape([n, 1, n]).expand([n, n, n]);
                let farther = d_an
                    .clone()
                    .greater(d_ap.clone().expand([n, n, n]))
                    .bool_and(negative);
                let has_semi_hard = farther.clone().any_dim(2);
                let semi_hard = d_an.mask_fill(farther.bool_not(), NO_CANDIDATE).min_dim(2);
                let farthest = d
                    .mask_fill(pairs.negative.clone().bool_not(), -1.0)
                    .max_dim(1)
                    .reshape([n, 1, 1])
                    .expand([n, n, 1]);
                let chosen = semi_hard.mask_where(has_semi_hard.bool_not(), farthest);
                let terms = hinge_or_softplus(d_ap - chosen + margin, soft).reshape([n, n]);
                let kept = pairs.positive.bool_and(pairs.negative.any_dim(1).expand([n, n]));
                (terms, kept)
            }
        };
        let terms = terms.mask_fill(kept.clone().bool_not(), 0.0);
        let counted = if self.config.nonzero_mean {
            terms.clone().greater_elem(0.0).bool_and(kept)
        } else {
            kept
        };
        let per_anchor = terms.sum_dim(1).reshape([n]);
        Ok(batch.reduce(per_anchor, count(counted, dtype), self.config.reduction))
    }
}

impl crate::loss::LossModule for TripletMinedLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(crate::loss::not_a_classification_loss(
            TripletMinedLossConfig::NAME,
            "embeddings and labels",
        ))
    }
}
