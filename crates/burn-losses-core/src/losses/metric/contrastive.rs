//! Contrastive, NT-Xent, SupCon: the family's shared documentation is the crate docs' [Contrastive, NT-Xent, SupCon](crate#contrastive-nt-xent-supcon).

use burn::tensor::{Int, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::losses::metric::embedding::{
    Batch, Distance, LabelPairs, as_float, count, embeddings_2d, eye, hinge_or_softplus, masked_logsumexp,
    paired_distances, pairwise_distances,
};
use crate::reduction::Reduction;
use crate::tensor::checks::{check_float_range, check_same_dtype};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::l2_normalize;

crate::loss::declare::loss_config! {
    /// Configuration of [`ContrastiveLoss`] (`"type": "contrastive"` in a
    /// [`LossConfig`](crate::LossConfig)).
    ContrastiveLossConfig("contrastive", defaults "margin 1, squared, Euclidean, mean") {
        /// Margin of dissimilar pairs, `>= 0` (PML's `neg_margin`, accepted as an alias). Default
        /// `1.0` (TF-Addons, PML).
        #[serde(alias = "neg_margin")]
        margin: f64 = 1.0 => with_margin,
        /// Margin of similar pairs, `>= 0`: distances below it cost nothing (PML `pos_margin`).
        /// Default `0`.
        pos_margin: f64 = 0.0 => with_pos_margin,
        /// Square the hinge terms (Hadsell et al., TF-Addons). Default `true`; `false` is PML's
        /// `ContrastiveLoss` form.
        squared: bool = true => with_squared,
        /// Distance between embeddings (not used with a `distance` input): `"euclidean"` (default),
        /// `"squared_euclidean"` or `"cosine"`.
        distance: Distance = Distance::Euclidean => with_distance,
        /// L2-normalise the embeddings first. Default `false` (PML's default is `true`).
        normalize_embeddings: bool = false => with_normalize_embeddings,
        /// `"mean"` over the non-zero terms only (PML's default `AvgNonZeroReducer`). Default
        /// `false`.
        nonzero_mean: bool = false => with_nonzero_mean,
        /// `"mean"` (default), `"sum"` or `"none"` (`[N]`: per pair, or per anchor for a labelled
        /// batch).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "margin", self.margin)?;
        check::non_negative(Self::NAME, "pos_margin", self.pos_margin)
    }
    /// Contrastive loss (Hadsell, Chopra & LeCun 2006), TF-Addons convention `y = 1` for a similar
    /// pair:
    ///
    /// ```text
    /// ℓ = y·max(d − pos_margin, 0)^q + (1 − y)·max(margin − d, 0)^q,   q = 2 (squared) or 1
    /// ```
    ///
    /// Three input forms:
    /// - `input1`, `input2` `[N, D]` and `target` `[N]` (floats in [0, 1]): `d` = the configured
    ///   distance of each pair; `"mean"` over the N pairs.
    /// - `distance` `[N]` and `target` `[N]`: `d` given (TF-Addons `contrastive_loss`).
    /// - `embeddings` `[N, D]` and `labels` `[N]`: every ordered pair `i ≠ j` of the batch (PML
    ///   `ContrastiveLoss`), positive = same label; `"mean"` = mean over the positive pairs + mean
    ///   over the negative pairs (PML `MeanReducer`; with `nonzero_mean` each over its non-zero
    ///   terms, PML's default `AvgNonZeroReducer`); `"none"` = each anchor's summed pair terms `[N]`.
    ///
    /// `nonzero_mean` on the pair forms divides by the number of pairs with `ℓ > 0`. A mean over no
    /// term is 0 (zero gradient). The Euclidean distance has a zero gradient at `d = 0`.
    ///
    /// # Shapes
    /// - as above; output: `[1]` (mean, sum) or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A labelled batch without positive pairs has its negative
    /// pairs' terms only, one without negative pairs its positive pairs' only; a single embedding (no
    /// pair): 0 with a zero gradient.
    ContrastiveLoss;
    forward "the pairs `(input1[i], input2[i])` (`[N, D]`) with similarity targets `[N]` (1 = similar)",
        <> (input1: Tensor<2> => with_float, input2: Tensor<2> => with_float, target: Tensor<1> => with_float),
        unreduced Tensor<1>;
        named {
            input1: Float optional, input2: Float optional, target: Float optional, distance: Float optional,
            embeddings: Float optional, labels: Int optional,
        }
}

impl ContrastiveLoss {
    /// Every pair of a labelled batch: `embeddings [N, D]`, `labels [N]`.
    pub fn try_forward_labels(&self, embeddings: Tensor<2>, labels: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let out = self.forward_named(
            &LossInputs::new()
                .with_float("embeddings", embeddings)
                .with_int("labels", labels),
        )?;
        Ok(out.flat)
    }

    fn similar_term(&self, d: Tensor<2>) -> Tensor<2> {
        self.power((d - self.config.pos_margin).clamp_min(0.0))
    }

    fn dissimilar_term(&self, d: Tensor<2>) -> Tensor<2> {
        self.power((d.neg() + self.config.margin).clamp_min(0.0))
    }

    fn power(&self, x: Tensor<2>) -> Tensor<2> {
        if self.config.squared { x.powi_scalar(2) } else { x }
    }

    fn normalized(&self, e: Tensor<2>) -> Tensor<2> {
        if self.config.normalize_embeddings {
            l2_normalize(e, 1, 1e-12)
        } else {
            e
        }
    }

    fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = ContrastiveLossConfig::NAME;
        if inputs.contains("embeddings") {
            inputs.only(name, &["embeddings", "labels"])?;
            return self.labelled_batch(inputs);
        }
        let d = if inputs.contains("distance") {
            inputs.only(name, &["distance", "target"])?;
            let d = inputs.float(name, "distance")?;
            if d.shape.len() != 1 {
                return Err(LossError::input(
                    name,
                    "distance",
                    "distances of shape [N]",
                    fmt_shape(&d.shape),
                ));
            }
            d
        } else if inputs.contains("input1") {
            inputs.only(name, &["input1", "input2", "target"])?;
            let first = inputs.float(name, "input1")?;
            let x1 = embeddings_2d(name, "input1", &first)?;
            let second = inputs.float(name, "input2")?;
            if second.shape != first.shape {
                return Err(LossError::input(
                    name,
                    "input2",
                    format!("the shape of `input1` {}", fmt_shape(&first.shape)),
                    fmt_shape(&second.shape),
                ));
            }
            check_same_dtype(name, "input2", Some(&second), &first)?;
            let x2 = second.view([first.shape[0], first.shape[1]]);
            let d = paired_distances(self.normalized(x1), self.normalized(x2), self.config.distance);
            DynTensor::from_tensor(d)
        } else {
            return Err(LossError::input(
                name,
                "inputs",
                "`input1`, `input2` and `target`; or `distance` and `target`; or `embeddings` and `labels`",
                format!("arguments {:?}", inputs.names().collect::<Vec<_>>()),
            ));
        };
        let n = d.shape[0];
        let target = inputs.float(name, "target")?;
        if target.shape != [n] {
            return Err(LossError::input(
                name,
                "target",
                format!("similarity targets of shape [{n}] (1 = similar, 0 = dissimilar)"),
                fmt_shape(&target.shape),
            ));
        }
        check_same_dtype(name, "target", Some(&target), &d)?;
        check_float_range(
            name,
            "target",
            &target,
            0.0,
            1.0,
            "similarity targets (1 = similar)",
        )?;
        let (d, y) = (d.view([n, 1]), target.view([n, 1]));
        let terms = self.similar_term(d.clone()) * y.clone() + self.dissimilar_term(d) * (y.neg() + 1.0);
        let counted = if self.config.nonzero_mean {
            count(terms.clone().greater_elem(0.0), terms.dtype())
        } else {
            Tensor::<1>::full([1], n as f64, &terms.device()).cast(terms.dtype())
        };
        Ok(crate::reduction::reduce_per_anchor(
            terms.reshape([n]),
            counted,
            self.config.reduction,
        ))
    }

    fn labelled_batch(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let batch = Batch::of(ContrastiveLossConfig::NAME, inputs)?;
        let (e, labels) = (batch.embeddings.clone(), batch.labels.clone());
        let [n, _] = e.dims();
        let dtype = e.dtype();
        let d = pairwise_distances(self.normalized(e), self.config.distance);
        let pairs = LabelPairs::of(&labels);
        let positive = self
            .similar_term(d.clone())
            .mask_fill(pairs.positive.clone().bool_not(), 0.0);
        let negative = self
            .dissimilar_term(d)
            .mask_fill(pairs.negative.clone().bool_not(), 0.0);
        let per_anchor = (positive.clone() + negative.clone()).sum_dim(1).reshape([n]);
        // no sample weight: "mean_with_sample_weight" is "mean"
        let reduction = self.config.reduction.without_sample_weight();
        if reduction != Reduction::Mean {
            return Ok(batch.reduce(per_anchor, count(pairs.positive, dtype), reduction));
        }
        let mean_over = |terms: Tensor<2>, mask: Tensor<2, burn::tensor::Bool>| {
            let counted = if self.config.nonzero_mean {
                terms.clone().greater_elem(0.0)
            } else {
                mask
            };
            terms.sum() / count(counted, dtype).clamp_min(1.0)
        };
        let mean = mean_over(positive, pairs.positive) + mean_over(negative, pairs.negative);
        Ok(DynTensor::new(mean, vec![]))
    }
}

impl crate::loss::LossModule for ContrastiveLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(crate::loss::not_a_classification_loss(
            ContrastiveLossConfig::NAME,
            "embedding pairs, distances, or embeddings and labels",
        ))
    }
}

/// Configuration of a temperature-scaled softmax over cosine similarities: [`NtXentLoss`]
/// (`"type": "nt_xent"`, temperature 0.07) and [`SupConLoss`] (`"type": "supcon"`, 0.1).
macro_rules! similarity_softmax_loss {
    ($config:ident => $(#[$($loss_meta:tt)*])* $loss:ident, $name:literal, $temperature:literal, $paper:literal) => {
        $crate::loss::declare::loss_config! {
            #[doc = concat!("Configuration of [`", stringify!($loss), "`] (`\"type\": \"", $name, "\"` in a [`LossConfig`](crate::LossConfig)).")]
            $config($name, defaults "τ as in pytorch-metric-learning, mean") {
                #[doc = concat!("Temperature τ > 0 dividing the cosine similarities. Default `", stringify!($temperature), "` (", $paper, ").")]
                temperature: f64 = $temperature => with_temperature,
                /// `"mean"` (default), `"sum"` or `"none"` (each anchor's loss, `[N]`).
                reduction: Reduction = Reduction::Mean => with_reduction,
            }
            validate(&self) {
                check::positive(Self::NAME, "temperature", self.temperature)
            }
            $(#[$($loss_meta)*])*
            $loss;
            forward "`embeddings [N, D]` and `labels [N]` (each anchor's loss, unreduced)",
                <> (embeddings: Tensor<2> => with_float, labels: Tensor<1, Int> => with_int),
                unreduced Tensor<1>;
        }

        impl $loss {
            fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
                inputs.only($config::NAME, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
                let batch = Batch::of($config::NAME, inputs)?;
                let (e, labels) = (batch.embeddings.clone(), batch.labels.clone());
                let u = l2_normalize(e, 1, 1e-12);
                let logits = u.clone().matmul(u.transpose()) / self.config.temperature;
                let (per_anchor, counted) = self.anchor_losses(logits, LabelPairs::of(&labels));
                Ok(batch.reduce(per_anchor, counted, self.config.reduction))
            }
        }

        impl crate::loss::LossModule for $loss {
            fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
                self.forward_named(inputs)
            }

            fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
                Err(crate::loss::not_a_classification_loss($config::NAME, "embeddings and labels"))
            }
        }
    };
}

similarity_softmax_loss!(
    NtXentLossConfig =>
    /// NT-Xent / InfoNCE loss (Chen et al. 2020, "SimCLR"; Oord et al. 2018), PML `NTXentLoss`: for
    /// every ordered positive pair `(a, p)` of the batch, with `s` the cosine similarity of the
    /// L2-normalised embeddings,
    ///
    /// ```text
    /// ℓ_ap = −log( exp(s_ap/τ) / (exp(s_ap/τ) + Σ_{n: label ≠ label_a} exp(s_an/τ)) )
    ///      = softplus( logsumexp_n(s_an/τ) − s_ap/τ )          (stable form used)
    /// mean = over positive pairs (PML MeanReducer);  none = per-anchor sums [N]
    /// ```
    ///
    /// SimCLR batches give the two views of an image one label. An anchor without negatives
    /// contributes 0; a batch without positive pairs gives 0. The negatives come from the batch:
    /// under data-parallel training, the device's batch (see
    /// [Multi-device training](crate#multi-device-training)), or every device's in a
    /// [device group](crate::DeviceGroup).
    ///
    /// # Shapes
    /// - `embeddings`: `[N, D]`, `labels`: `[N]` integers; output `[1]` or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). An anchor without positives contributes 0; a batch without
    /// positive pairs, or without any negative, gives 0 with a zero gradient.
    NtXentLoss, "nt_xent", 0.07, "PML NTXentLoss"
);
similarity_softmax_loss!(
    SupConLossConfig =>
    /// Supervised contrastive loss (Khosla et al. 2020, "Supervised Contrastive Learning", L_out),
    /// PML `SupConLoss`: per anchor `i` with positives `P(i)` (same label, `j ≠ i`),
    ///
    /// ```text
    /// ℓ_i = −(1/|P(i)|) Σ_{p ∈ P(i)} ( s_ip/τ − logsumexp_{k ≠ i} s_ik/τ )
    /// mean = over anchors with ℓ_i > 0 (PML's default AvgNonZeroReducer);  none = [N]
    /// ```
    ///
    /// An anchor without positives contributes 0; a batch without any negative pair gives 0 (as PML).
    /// Pairs come from the batch: under data-parallel training, the device's batch (see
    /// [Multi-device training](crate#multi-device-training)), or every device's in a
    /// [device group](crate::DeviceGroup).
    ///
    /// # Shapes
    /// - `embeddings`: `[N, D]`, `labels`: `[N]` integers; output `[1]` or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). An anchor without positives contributes 0; a batch without
    /// positive pairs, or without any negative, gives 0 with a zero gradient.
    SupConLoss, "supcon", 0.1, "PML SupConLoss"
);

impl NtXentLoss {
    fn anchor_losses(&self, logits: Tensor<2>, pairs: LabelPairs) -> (Tensor<1>, Tensor<1>) {
        let n = logits.dims()[0];
        let dtype = logits.dtype();
        let negatives = masked_logsumexp(logits.clone(), pairs.negative);
        let terms =
            hinge_or_softplus(negatives - logits, true).mask_fill(pairs.positive.clone().bool_not(), 0.0);
        (terms.sum_dim(1).reshape([n]), count(pairs.positive, dtype))
    }
}

impl SupConLoss {
    fn anchor_losses(&self, logits: Tensor<2>, pairs: LabelPairs) -> (Tensor<1>, Tensor<1>) {
        let n = logits.dims()[0];
        let dtype = logits.dtype();
        let others = eye(n, &logits.device()).bool_not();
        let log_prob = logits.clone() - masked_logsumexp(logits, others);
        let positives = as_float(pairs.positive.clone(), dtype).sum_dim(1).clamp_min(1.0);
        let any_negative = as_float(pairs.negative.any(), dtype).reshape([1, 1]);
        let per_anchor =
            (log_prob.mask_fill(pairs.positive.bool_not(), 0.0).sum_dim(1) / positives).neg() * any_negative;
        let per_anchor = per_anchor.reshape([n]);
        let counted = count(per_anchor.clone().greater_elem(0.0), dtype);
        (per_anchor, counted)
    }
}
