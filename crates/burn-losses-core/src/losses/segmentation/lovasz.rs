//! Lovász: the family's shared documentation is the crate docs' [Lovász](crate#lovász).

use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Bool, Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape, or_panic};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{check_float_range, check_same_dtype, class_indices_without_ignored};
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::onehot::{check_class_target_shape, one_hot_classes, pixel_shape};

/// Multiclass or binary Lovász loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LovaszMode {
    /// Lovász-softmax: `input [N, C, spatial…]` logits (softmax over dim 1), class indices
    /// `[N, spatial…]` (smp `mode="multiclass"`).
    #[default]
    Softmax,
    /// Lovász hinge: `input [N, spatial…]` logits, 0/1 targets of the same shape (smp
    /// `mode="binary"`).
    Hinge,
}

/// Which classes the Lovász-softmax averages over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LovaszClasses {
    /// Only the classes present in the (per-image) target (Berman et al.'s and smp's default).
    #[default]
    Present,
    /// Every class.
    All,
}

crate::loss::declare::loss_config! {
    /// Configuration of [`LovaszLoss`] (`"type": "lovasz"` in a [`LossConfig`](crate::LossConfig)).
    LovaszLossConfig("lovasz", defaults "Lovász-softmax over present classes, whole batch, mean") {
        /// `"softmax"` (default, multiclass) or `"hinge"` (binary).
        mode: LovaszMode = LovaszMode::Softmax => with_mode,
        /// `"present"` (default) or `"all"`: the classes the softmax form averages over (unused by
        /// `"hinge"`).
        classes: LovaszClasses = LovaszClasses::Present => with_classes,
        /// `true`: one loss per image, then the reduction over images; `false` (default): one loss
        /// over all pixels of the batch (smp `per_image`).
        per_image: bool = false => with_per_image,
        /// Pixels whose target equals it are left out (smp `ignore_index`). Default `None`.
        ignore_index: Option<i64> = None => with_ignore_index,
        /// Softmax form: a factor per class (length C) multiplying each class's loss before the
        /// average over the classes, which still divides by their count (kornia
        /// `lovasz_softmax_loss(weight=)`, whose mean divides by C). Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// `"mean"` (default: over images with `per_image`, else the one batch loss), `"sum"`, or
        /// `"none"` (`[N]` with `per_image`, else `[1]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if let Some(w) = &self.weight {
            check::weights(Self::NAME, "weight", w)?;
            if self.mode == LovaszMode::Hinge {
                return Err(LossError::config(
                    Self::NAME,
                    "weight",
                    "null with mode \"hinge\" (one class; kornia's lovasz_hinge_loss has no weight)",
                    format!("{w:?}"),
                ));
            }
        }
        Ok(())
    }
    /// Lovász loss, a convex surrogate of the Jaccard (IoU) loss.
    ///
    /// For each image (or the whole batch) and class `c`, with errors `e_i` sorted in decreasing
    /// order and the ground truth `g` in that order:
    ///
    /// ```text
    /// J(k) = 1 − (G − Σ_{j≤k} g_j) / (G + Σ_{j≤k} (1 − g_j)),   ∇J = J(k) − J(k − 1)
    /// loss_c = Σ_k e_(k) · ∇J(k)
    /// softmax: e = |g_c − p_c|, the loss is the mean of loss_c over the present (or all) classes
    /// hinge:   e = 1 − x·(2y − 1), the loss is Σ_k relu(e_(k)) · ∇J(k)
    /// ```
    ///
    /// Equals smp `LovaszLoss` (multiclass / binary) for every option; ignored pixels are left out of
    /// the sort. An image without pixels (all ignored) scores 0 and still counts in the mean over
    /// images (smp's hinge does this; smp's softmax path fails on such an image).
    ///
    /// # Shapes
    /// - softmax: `input [N, C, spatial…]`, `target [N, spatial…]` class indices
    /// - hinge: `input [N, spatial…]`, `target` 0/1 of the same shape (floats or integers)
    /// - output: `[1]` (mean, sum), `[N]` / `[1]` (none, with / without `per_image`)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every pixel ignored: loss 0 with a zero gradient. With
    /// `classes: "present"`, classes absent from an image's target are left out (an image with none:
    /// 0).
    LovaszLoss;
    forward "logits `[N, C, spatial…]` against class indices `[N, spatial…]` (`DT = D − 1`; `[N]` with `per_image`, else `[1]`, unreduced)",
        <const D: usize, const DT: usize> (input: Tensor<D> => with_float, target: Tensor<DT, Int> => with_int),
        unreduced Tensor<1>;
        named { input: Float required, target: FloatOrInt required }
}

/// `∇J` of the Lovász extension of sorted ground truth `g [B, C, M]` (constants).
fn lovasz_grad(g: Tensor<3>) -> Tensor<3> {
    let [b, c, m] = g.dims();
    let total = g.clone().sum_dim(2);
    let intersection = total.clone() - g.clone().cumsum(2);
    let union = total + (g.neg() + 1.0).cumsum(2);
    let jaccard = (intersection / union).neg() + 1.0;
    if m <= 1 {
        return jaccard;
    }
    let step = jaccard.clone().narrow(2, 1, m - 1) - jaccard.clone().narrow(2, 0, m - 1);
    let out = Tensor::cat(vec![jaccard.narrow(2, 0, 1), step], 2);
    debug_assert_eq!(out.dims(), [b, c, m]);
    out
}

/// `Σ_k e_(k)·∇J(k)` over the last dim of errors `[B, C, M]`, ground truth `g` and `valid`
/// pixels; ignored pixels are sorted last and contribute nothing.
fn lovasz_sorted_sum(errors: Tensor<3>, g: Tensor<3>, valid: Tensor<3, Bool>, hinge: bool) -> Tensor<2> {
    let [b, c, _] = errors.dims();
    let key = errors
        .clone()
        .mask_fill(valid.clone().bool_not(), f32::MIN as f64);
    let order = key.argsort_descending(2);
    let mut sorted = errors.gather(2, order.clone());
    if hinge {
        sorted = relu(sorted);
    }
    let valid_sorted = valid.float().cast(sorted.dtype()).gather(2, order.clone());
    let g_sorted = g.gather(2, order);
    (sorted * valid_sorted * lovasz_grad(g_sorted))
        .sum_dim(2)
        .reshape([b, c])
}

impl LovaszLoss {
    /// Lovász hinge (mode `"hinge"`) of logits against 0/1 targets of the same shape.
    #[track_caller]
    pub fn forward_hinge<const D: usize>(&self, input: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
        or_panic(self.try_forward_hinge(input, target))
    }

    /// As [`forward_hinge`](Self::forward_hinge), returning an error instead of panicking.
    pub fn try_forward_hinge<const D: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<D>,
    ) -> LossResult<Tensor<1>> {
        let (terms, _) = self.element_loss(
            &DynTensor::from_tensor(input),
            &DynInput::Float(DynTensor::from_tensor(target)),
        )?;
        Ok(terms.reduce(self.config.reduction))
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynInput,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        crate::tensor::dynamic::check_non_empty(LovaszLossConfig::NAME, "input", input)?;
        let per_image_loss = match self.config.mode {
            LovaszMode::Softmax => self.softmax_loss(input, target)?,
            LovaszMode::Hinge => self.hinge_loss(input, target)?,
        };
        let b = per_image_loss.dims()[0];
        Ok((ElementLoss::new(per_image_loss.reshape([b, 1])), vec![b]))
    }

    /// Per image (or batch) Lovász-softmax `[B]`.
    fn softmax_loss(&self, input: &DynTensor<Float>, target: &DynInput) -> LossResult<Tensor<1>> {
        let name = LovaszLossConfig::NAME;
        if input.shape.len() < 2 {
            return Err(LossError::input(
                name,
                "input",
                "logits of shape [N, C, spatial...] (mode \"softmax\")",
                fmt_shape(&input.shape),
            ));
        }
        let (n, c) = (input.shape[0], input.shape[1]);
        let DynInput::Int(target) = target else {
            return Err(LossError::input(
                name,
                "target",
                format!(
                    "class indices of shape {} (mode \"softmax\")",
                    fmt_shape(&pixel_shape(&input.shape))
                ),
                format!("a float tensor of shape {}", fmt_shape(target.shape())),
            ));
        };
        check_class_target_shape(name, &input.shape, &target.shape, "")?;
        let s = target.numel().checked_div(n).unwrap_or(0);
        let t = target.view([n, s]);
        let (t, valid) = class_indices_without_ignored(name, t, c, self.config.ignore_index)?;
        let valid = valid.unwrap_or_else(|| t.clone().ones_like().equal_elem(1));

        let p = softmax(input.view([n, c, s]), 1);
        let fg = one_hot_classes(t, c, p.dtype()) * valid.clone().float().cast(p.dtype()).reshape([n, 1, s]);
        // [B, C, M]: B = N images of S pixels, or one image of N·S pixels
        let b = if self.config.per_image { n } else { 1 };
        let to_images = |x: Tensor<3>| {
            if self.config.per_image {
                x
            } else {
                x.swap_dims(0, 1).reshape([1, c, n * s])
            }
        };
        let p = to_images(p);
        let fg = to_images(fg);
        let valid = to_images(
            valid
                .float()
                .cast(fg.dtype())
                .reshape([n, 1, s])
                .expand([n, c, s]),
        )
        .greater_elem(0.5);
        let errors = (fg.clone() - p).abs();
        let mut per_class = lovasz_sorted_sum(errors, fg.clone(), valid, false);
        if let Some(w) = &self.config.weight {
            if w.len() != c {
                return Err(LossError::input(
                    name,
                    "input",
                    format!("{} classes (the length of config field `weight`)", w.len()),
                    format!("{c} classes (input shape {})", fmt_shape(&input.shape)),
                ));
            }
            let w = crate::tensor::values_like(w, &per_class);
            per_class = per_class * w.reshape([1, c]);
        }
        Ok(match self.config.classes {
            LovaszClasses::All => per_class.mean_dim(1).reshape([b]),
            LovaszClasses::Present => {
                let present = fg
                    .sum_dim(2)
                    .reshape([b, c])
                    .greater_elem(0.0)
                    .float()
                    .cast(per_class.dtype());
                let count = present.clone().sum_dim(1);
                let none_present = count.clone().equal_elem(0.0);
                let sum = (per_class * present).sum_dim(1);
                (sum.mask_fill(none_present.clone(), 0.0) / count.mask_fill(none_present, 1.0)).reshape([b])
            }
        })
    }

    /// Per image (or batch) Lovász hinge `[B]`.
    fn hinge_loss(&self, input: &DynTensor<Float>, target: &DynInput) -> LossResult<Tensor<1>> {
        let name = LovaszLossConfig::NAME;
        if input.shape.is_empty() {
            return Err(LossError::input(
                name,
                "input",
                "logits of shape [N, spatial...] (mode \"hinge\")",
                "a scalar",
            ));
        }
        if target.shape() != input.shape.as_slice() {
            return Err(LossError::input(
                name,
                "target",
                format!(
                    "0/1 targets of the shape of `input` {} (mode \"hinge\")",
                    fmt_shape(&input.shape)
                ),
                fmt_shape(target.shape()),
            ));
        }
        let y = match target {
            DynInput::Float(t) => {
                check_same_dtype(name, "target", Some(t), input)?;
                t.flat.clone()
            }
            DynInput::Int(t) => t.flat.clone().float().cast(input.flat.dtype()),
        };
        let n = input.shape[0];
        let s = input.numel().checked_div(n).unwrap_or(0);
        let valid = match self.config.ignore_index {
            Some(ignore) => y.clone().not_equal_elem(ignore as f64),
            None => y.clone().ones_like().equal_elem(1.0),
        };
        let y = y.mask_fill(valid.clone().bool_not(), 0.0);
        let what = match self.config.ignore_index {
            Some(i) => format!("binary targets in [0, 1] (or ignore_index {i})"),
            None => "binary targets".to_string(),
        };
        check_float_range(
            name,
            "target",
            &DynTensor::new(y.clone(), vec![y.dims()[0]]),
            0.0,
            1.0,
            &what,
        )?;
        let (b, m) = if self.config.per_image { (n, s) } else { (1, n * s) };
        let x = input.flat.clone().reshape([b, 1, m]);
        let y = y.reshape([b, 1, m]);
        let signs = y.clone() * 2.0 - 1.0;
        let errors = (x * signs).neg() + 1.0;
        Ok(lovasz_sorted_sum(errors, y, valid.reshape([b, 1, m]), true).reshape([b]))
    }
}

impl crate::loss::LossModule for LovaszLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = LovaszLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.get(name, "target")?;
        let (terms, shape) = self.element_loss(&input, target)?;
        Ok(reduce_to_dyn(terms, shape, self.config.reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        match self.config.mode {
            LovaszMode::Softmax => crate::loss::TargetKind::ClassIndices,
            LovaszMode::Hinge => crate::loss::TargetKind::Either,
        }
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        match self.config.mode {
            LovaszMode::Softmax => self.try_forward(input, targets),
            LovaszMode::Hinge => {
                let one_hot = crate::tensor::onehot::one_hot_like(&input, targets);
                self.try_forward_hinge(input, one_hot)
            }
        }
    }
}
