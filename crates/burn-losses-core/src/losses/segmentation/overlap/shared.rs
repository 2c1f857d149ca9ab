//! What the overlap losses share: the options, the sums `I, P, G`, the Dice and Tversky scores,
//! and the macros that declare their configs and API.

use burn::tensor::{Float, Int, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::activation::Activation;
use crate::tensor::activation::{INPUT_PROBABILITIES, MASK_VALUES, TARGET_PROBABILITIES};
use crate::tensor::checks::{check_float_range, check_same_dtype, class_indices_without_ignored};
use crate::tensor::dynamic::DynTensor;
use crate::tensor::math::{ratio_or, safe_ratio};
use crate::tensor::math::{stable_sigmoid, stable_softmax};
use crate::tensor::onehot::{check_class_target_shape, one_hot_classes, pixel_shape};

/// The options every overlap loss shares (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OverlapOptions {
    pub activation: Activation,
    pub smooth_nr: f64,
    pub smooth_dr: f64,
    pub include_background: bool,
    pub batch: bool,
    pub ignore_index: Option<i64>,
    pub soft_label: bool,
    pub absent_classes: AbsentClasses,
    pub reduction: Reduction,
}

/// What an overlap loss does with a class absent from the target (its `G = 0` over the summed
/// pixels: per sample, or over the batch with `batch: true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AbsentClasses {
    /// Scored like any class (MONAI): with the default smoothing, 0 when the prediction is empty
    /// too and close to 1 otherwise.
    #[default]
    Score,
    /// Loss 0, still counted in the mean (segmentation_models_pytorch's Dice / Jaccard / Tversky,
    /// which always do this, over the batch).
    Zero,
    /// Left out: each sample's loss is the (class-weighted) mean over the classes present in its
    /// target, `Σ_c w_c·f_c / Σ_c w_c` over `G_c > 0`, and a sample with no present class has loss
    /// 1 with a zero gradient (kornia's `dice_loss(average="macro")` and `tversky_loss`). The loss
    /// is then per sample: `"none"` returns `[N]`. Dice and Tversky only.
    Skip,
}

impl core::fmt::Display for AbsentClasses {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AbsentClasses::Score => "score",
            AbsentClasses::Zero => "zero",
            AbsentClasses::Skip => "skip",
        })
    }
}

impl OverlapOptions {
    /// `f` with the classes absent from the target (`G = 0`) zeroed when `absent_classes` is
    /// `"zero"` (`"skip"` leaves them to [`present_mean`]).
    pub(super) fn absent_zeroed(&self, f: Tensor<2>, ground: &Tensor<2>) -> Tensor<2> {
        match self.absent_classes {
            AbsentClasses::Score | AbsentClasses::Skip => f,
            AbsentClasses::Zero => f * ground.clone().greater_elem(0.0).float().cast(ground.dtype()),
        }
    }

    /// `absent_classes: "skip"` is kornia's Dice and Tversky: the other overlap losses refuse it.
    pub(super) fn refuse_skip(&self, loss: &'static str) -> LossResult<()> {
        if self.absent_classes == AbsentClasses::Skip {
            return Err(LossError::config(
                loss,
                "absent_classes",
                "\"score\" or \"zero\" (\"skip\" is kornia's dice_loss and tversky_loss)",
                "\"skip\"",
            ));
        }
        Ok(())
    }

    /// `average: "micro"` pools the classes into one ratio: nothing is left to skip.
    pub(super) fn check_average(&self, loss: &'static str, average: ClassAverage) -> LossResult<()> {
        if average == ClassAverage::Micro && self.absent_classes == AbsentClasses::Skip {
            return Err(LossError::config(
                loss,
                "absent_classes",
                "\"score\" or \"zero\" with average \"micro\" (one ratio over all classes: no class to skip)",
                "\"skip\"",
            ));
        }
        Ok(())
    }

    pub(super) fn validate(&self, loss: &'static str) -> LossResult<()> {
        check::non_negative(loss, "smooth_nr", self.smooth_nr)?;
        check::non_negative(loss, "smooth_dr", self.smooth_dr)
    }
}

/// Declares an overlap loss through [`loss_config`](crate::loss::declare::loss_config): the
/// options every overlap loss shares (MONAI's vocabulary: `activation`, `smooth_nr`, `smooth_dr`,
/// `include_background`, `batch`, `ignore_index`, and `reduction` last) around the loss's own
/// fields, `options()` (the shared ones as [`OverlapOptions`]) and the family's arguments and
/// typed API ([`overlap_loss_api`]): the loss itself writes only `scores` and `reduce`.
macro_rules! overlap_config {
    (
        $(#[$($meta:tt)*])*
        $config:ident ($name:literal) {
            $($fields:tt)*
        }
        validate(&$this:ident) $validate:block
        $(#[$($loss_meta:tt)*])*
        $loss:ident;
    ) => {
        $crate::loss::declare::loss_config! {
            $(#[$($meta)*])*
            $config($name, defaults "MONAI's: no activation, smooth_nr = smooth_dr = 1e-5, background included, per sample, mean") {
                /// `"none"` (default, MONAI: `input` holds probabilities), `"softmax"` (over dim 1),
                /// `"sigmoid"`, or MONAI's `other_act` choices `"tanh"`, `"relu"`, `"identity"`
                /// (applied to every channel before `include_background`, as MONAI does).
                activation: Activation = Activation::None => with_activation,
                /// Added to the numerator of the ratio, >= 0. Default `1e-5` (MONAI).
                smooth_nr: f64 = 1e-5 => with_smooth_nr,
                /// Added to the denominator of the ratio, >= 0. Default `1e-5` (MONAI).
                smooth_dr: f64 = 1e-5 => with_smooth_dr,
                /// `false` drops channel 0 (after the activation) from the loss. Default `true`
                /// (MONAI); ignored with a single channel, as MONAI does.
                include_background: bool = true => with_include_background,
                /// `true` sums over the batch too before the ratio (one score per class, MONAI
                /// `batch=True`; smp always does this). Default `false`. Under data-parallel
                /// training the batch is the device's batch (see
                /// [Multi-device training](crate#multi-device-training)), or every device's in a
                /// [device group](crate::DeviceGroup).
                batch: bool = false => with_batch,
                /// Class-index targets only: pixels whose target equals it are left out of every
                /// sum (smp `ignore_index`). Default `None`.
                ignore_index: Option<i64> = None => with_ignore_index,
                /// `true`: the sums of soft labels as MONAI 1.6 computes them (`soft_label=True`):
                /// `I = (Σ|p| + Σ|g| − Σ|p − g|) / 2`, `P = Σ|p|`, `G = Σ|g|`, so that
                /// `I = Σ min(p, g)` for soft targets (the same as `Σ p·g` for 0/1 targets);
                /// no effect with `squared_pred`, as in MONAI. Default `false` (`I = Σ p·g`).
                soft_label: bool = false => with_soft_label,
                /// `"score"` (default, MONAI) or `"zero"`: a class absent from the target (per
                /// sample, or over the batch with `batch`) has loss 0 and still counts in the mean
                /// (segmentation_models_pytorch's Dice / Jaccard / Tversky always do this).
                absent_classes: AbsentClasses = AbsentClasses::Score => with_absent_classes,
                $($fields)*
                /// `"mean"` (default: over samples × classes, MONAI), `"sum"` or `"none"`.
                reduction: Reduction = Reduction::Mean => with_reduction,
            }
            validate(&$this) {
                $this.options().validate(Self::NAME)?;
                $validate
            }
            $(#[$($loss_meta)*])*
            $loss;
        }

        overlap_loss_api!($loss, $config);

        impl $config {
            fn options(&self) -> OverlapOptions {
                OverlapOptions {
                    activation: self.activation,
                    smooth_nr: self.smooth_nr,
                    smooth_dr: self.smooth_dr,
                    include_background: self.include_background,
                    batch: self.batch,
                    ignore_index: self.ignore_index,
                    soft_label: self.soft_label,
                    absent_classes: self.absent_classes,
                    reduction: self.reduction,
                }
            }
        }
    };
}

/// The target of an overlap loss.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OverlapTarget<'a> {
    /// Class indices `[N, spatial…]`.
    Classes(&'a DynTensor<Int>),
    /// One-hot / soft probabilities of the shape of `input`.
    Probabilities(&'a DynTensor<Float>),
}

/// The sums every overlap loss is made of, per sample and class (`[N, C']`, or `[1, C']` with
/// `batch`), after activation, one-hot, masking and `include_background`: `I = Σ p·g`, `P = Σ p`
/// and `G = Σ g` (`Σ p²`, `Σ g²` when squared).
pub(crate) struct OverlapSums {
    /// `I`.
    pub intersection: Tensor<2>,
    /// `P`.
    pub pred: Tensor<2>,
    /// `G`.
    pub target: Tensor<2>,
}

/// Checks the arguments and sums them ([`OverlapSums`]): one pass of the fused kernel where it
/// applies ([`crate::fused`]), the composed tensor ops otherwise.
pub(crate) fn overlap_sums(
    loss: &'static str,
    options: &OverlapOptions,
    input: &DynTensor<Float>,
    target: OverlapTarget<'_>,
    mask: Option<&DynTensor<Float>>,
    squared: bool,
) -> LossResult<OverlapSums> {
    crate::tensor::dynamic::check_non_empty(loss, "input", input)?;
    if input.shape.len() < 2 {
        return Err(LossError::input(
            loss,
            "input",
            "shape [N, C, spatial...] (or [N, C])",
            fmt_shape(&input.shape),
        ));
    }
    let (n, c) = (input.shape[0], input.shape[1]);
    let spatial = &input.shape[2..];
    let s: usize = spatial.iter().product();
    let pixel_shape = pixel_shape(&input.shape);
    if options.activation == Activation::Softmax && c < 2 {
        return Err(LossError::input(
            loss,
            "input",
            "at least 2 channels along dim 1 for activation \"softmax\" (use \"sigmoid\" for one channel)",
            format!("{c} channel (input shape {})", fmt_shape(&input.shape)),
        ));
    }
    if let Some(m) = mask {
        let with_channel: Vec<usize> = [n, 1].iter().chain(spatial).copied().collect();
        if m.shape != pixel_shape && m.shape != with_channel {
            return Err(LossError::input(
                loss,
                "mask",
                format!(
                    "shape {} or {} (input shape {} without / with a single channel)",
                    fmt_shape(&pixel_shape),
                    fmt_shape(&with_channel),
                    fmt_shape(&input.shape)
                ),
                fmt_shape(&m.shape),
            ));
        }
        check_same_dtype(loss, "mask", Some(m), input)?;
    }
    match target {
        OverlapTarget::Classes(t) => check_class_target_shape(
            loss,
            &input.shape,
            &t.shape,
            ", or probabilities of the shape of `input`",
        )?,
        OverlapTarget::Probabilities(t) => {
            if t.shape != input.shape {
                return Err(LossError::input(
                    loss,
                    "target",
                    format!(
                        "one-hot / soft probabilities of the shape of `input` {}, or class indices of shape {}",
                        fmt_shape(&input.shape),
                        fmt_shape(&pixel_shape)
                    ),
                    fmt_shape(&t.shape),
                ));
            }
            if let Some(ignore) = options.ignore_index {
                return Err(LossError::input(
                    loss,
                    "target",
                    format!("class indices (config field `ignore_index` is {ignore})"),
                    format!("float probabilities of shape {}", fmt_shape(&t.shape)),
                ));
            }
            check_same_dtype(loss, "target", Some(t), input)?;
        }
    }
    // a single channel: the indices (0 / 1) are the foreground itself (MONAI ignores
    // `to_onehot_y` for one channel)
    let classes = if c == 1 { 2 } else { c };

    let target_probabilities = match target {
        OverlapTarget::Probabilities(t) => Some(&t.flat),
        OverlapTarget::Classes(_) => None,
    };
    let mask_flat = mask.map(|m| &m.flat);
    let constants: Vec<&Tensor<1>> = target_probabilities.into_iter().chain(mask_flat).collect();
    let soft = options.soft_label && !squared;
    let fused = if !soft && crate::fused::applies(&input.flat, &constants) {
        let kernel_target = match target {
            OverlapTarget::Classes(t) => {
                crate::fused::host_class_indices(loss, &t.flat, classes, options.ignore_index)
                    .map(|t| crate::fused::OverlapKernelTarget::Classes(t.into()))
            }
            OverlapTarget::Probabilities(_) => Ok(crate::fused::OverlapKernelTarget::Probabilities),
        };
        match kernel_target {
            Ok(kernel_target) => crate::fused::overlap_sums(
                loss,
                &input.flat,
                [n, c, s],
                options.activation,
                squared,
                kernel_target,
                target_probabilities,
                mask_flat,
            ),
            Err(e) => Some(Err(e)),
        }
    } else {
        None
    };
    let [intersection, pred, ground] = match fused {
        Some(sums) => {
            let sums = sums?.reshape([3, n, c]);
            [0, 1, 2].map(|which| sums.clone().narrow(0, which, 1).reshape([n, c]))
        }
        None => composed_sums(loss, options, input, target, mask, classes, squared)?,
    };
    let finish = |t: Tensor<2>| {
        let t = if !options.include_background && c > 1 {
            t.narrow(1, 1, c - 1)
        } else {
            t
        };
        if options.batch { t.sum_dim(0) } else { t }
    };
    let sums = [intersection, pred, ground].map(finish);
    // in a device group while training, the batch sums are every worker's
    let [intersection, pred, target] = match crate::group::training_group(&input.flat) {
        Some(group) if options.batch => crate::group::joined(loss, &group, sums.to_vec())?
            .try_into()
            .expect("three sums"),
        _ => sums,
    };
    Ok(OverlapSums {
        intersection,
        pred,
        target,
    })
}

/// The sums `[I, P, G]` (`[N, C]` each) by tensor ops, with the value checks of the arguments
/// (their shapes are checked).
pub(super) fn composed_sums(
    loss: &'static str,
    options: &OverlapOptions,
    input: &DynTensor<Float>,
    target: OverlapTarget<'_>,
    mask: Option<&DynTensor<Float>>,
    classes: usize,
    squared: bool,
) -> LossResult<[Tensor<2>; 3]> {
    // MONAI's soft-label sums (no effect on the squared ones, as in MONAI)
    let soft_label = options.soft_label && !squared;
    let (n, c) = (input.shape[0], input.shape[1]);
    let s = input.numel().checked_div(n * c).unwrap_or(0);
    let x = input.view([n, c, s]);
    let mut pred = match options.activation {
        Activation::Softmax => stable_softmax(x, 1),
        Activation::Sigmoid => stable_sigmoid(x),
        Activation::Tanh => x.tanh(),
        Activation::Relu => burn::tensor::activation::relu(x),
        Activation::Identity => x,
        Activation::None => {
            check_float_range(loss, "input", input, 0.0, 1.0, INPUT_PROBABILITIES)?;
            x
        }
    };
    // Pixels that count: the mask argument times the non-ignored pixels.
    let mut keep: Option<Tensor<2>> = None;
    if let Some(m) = mask {
        check_float_range(loss, "mask", m, 0.0, 1.0, MASK_VALUES)?;
        // which pixels count is data, like the target: no gradient flows into the mask
        keep = Some(m.view([n, s]).detach());
    }
    let mut onehot = match target {
        OverlapTarget::Classes(t) => {
            let (t, valid) =
                class_indices_without_ignored(loss, t.view([n, s]), classes, options.ignore_index)?;
            if let Some(valid) = valid {
                let valid = valid.float().cast(pred.dtype());
                keep = Some(match keep.take() {
                    Some(k) => k * valid,
                    None => valid,
                });
            }
            if c == 1 {
                t.float().cast(pred.dtype()).reshape([n, 1, s])
            } else {
                one_hot_classes(t, c, pred.dtype())
            }
        }
        OverlapTarget::Probabilities(t) => {
            check_float_range(loss, "target", t, 0.0, 1.0, TARGET_PROBABILITIES)?;
            t.view([n, c, s])
        }
    };
    if let Some(keep) = keep {
        let keep = keep.reshape([n, 1, s]);
        pred = pred * keep.clone();
        onehot = onehot * keep;
    }
    let sum = |t: Tensor<3>| t.sum_dim(2).reshape([n, c]);
    if soft_label {
        // MONAI's compute_tp_fp_fn with soft_label: the L1 norms
        let p = sum(pred.clone().abs());
        let g = sum(onehot.clone().abs());
        let difference = sum((pred - onehot).abs());
        let intersection = (p.clone() + g.clone() - difference) * 0.5;
        return Ok([intersection, p, g]);
    }
    let intersection = sum(pred.clone() * onehot.clone());
    Ok(if squared {
        [intersection, sum(pred.powi_scalar(2)), sum(onehot.powi_scalar(2))]
    } else {
        [intersection, sum(pred), sum(onehot)]
    })
}

/// A per-class weight list (length `C'` or 1) as a `[1, C']` tensor, or an error naming the field.
pub(super) fn class_weights(
    loss: &'static str,
    field: &str,
    weights: &[f32],
    scores: &Tensor<2>,
    include_background: bool,
) -> LossResult<Tensor<2>> {
    let c = scores.dims()[1];
    if weights.len() != c && weights.len() != 1 {
        let note = if include_background {
            ""
        } else {
            " without the background channel 0"
        };
        return Err(LossError::input(
            loss,
            "input",
            format!(
                "{} classes{note} (the length of config field `{field}`)",
                weights.len()
            ),
            format!("{c} classes{note}"),
        ));
    }
    let w = crate::tensor::values_like(weights, scores);
    Ok(w.reshape([1, -1]).expand([1, c]))
}

/// The Dice-specific options shared by [`DiceLoss`] and [`LogCoshDiceLoss`].
pub(super) struct DiceForm<'a> {
    pub(super) squared_pred: bool,
    pub(super) jaccard: bool,
    pub(super) weight: Option<&'a [f32]>,
    pub(super) average: ClassAverage,
}

/// How [`DiceLoss`](crate::DiceLoss) and [`TverskyLoss`](crate::TverskyLoss) average over classes
/// (kornia's `average`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassAverage {
    /// One Dice per sample and class (MONAI; kornia `average="macro"` with `absent_classes:
    /// "skip"`).
    #[default]
    Macro,
    /// One ratio per sample over all classes and pixels: the (class-weighted) sums
    /// `Σ_c w_c·I_c`, `Σ_c w_c·P_c`, `Σ_c w_c·G_c` (kornia `average="micro"`, Keras's `Dice` /
    /// `Tversky`).
    Micro,
}

impl core::fmt::Display for ClassAverage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ClassAverage::Macro => "macro",
            ClassAverage::Micro => "micro",
        })
    }
}

/// The per-(sample, class) Dice loss `1 − (2I + s_nr) / (G + P + s_dr)` (Jaccard:
/// `1 − (2I + s_nr) / (2(G + P − I) + s_dr)`), optionally from squared sums, weighted per class.
pub(super) fn dice_scores(
    loss: &'static str,
    options: &OverlapOptions,
    form: &DiceForm<'_>,
    input: &DynTensor<Float>,
    target: OverlapTarget<'_>,
    mask: Option<&DynTensor<Float>>,
) -> LossResult<Tensor<2>> {
    let sums = overlap_sums(loss, options, input, target, mask, form.squared_pred)?;
    // MONAI weighs the classes only when more than one channel is scored (after
    // `include_background: false` dropped channel 0): one channel ignores `weight`
    let weights = match form.weight {
        Some(w) if sums.intersection.dims()[1] > 1 => Some(class_weights(
            loss,
            "weight",
            w,
            &sums.intersection,
            options.include_background,
        )?),
        _ => None,
    };
    let (intersection, pred, ground) = match form.average {
        ClassAverage::Macro => (sums.intersection, sums.pred, sums.target),
        ClassAverage::Micro => {
            let pool = |t: Tensor<2>| match &weights {
                Some(w) => (t * w.clone()).sum_dim(1),
                None => t.sum_dim(1),
            };
            (pool(sums.intersection), pool(sums.pred), pool(sums.target))
        }
    };
    let mut denominator = pred + ground.clone();
    if form.jaccard {
        denominator = (denominator - intersection.clone()) * 2.0;
    }
    let f = safe_ratio(
        intersection * 2.0 + options.smooth_nr,
        denominator + options.smooth_dr,
    )
    .neg()
        + 1.0;
    if options.absent_classes == AbsentClasses::Skip && form.average == ClassAverage::Macro {
        return Ok(present_mean(f, &ground, weights));
    }
    let f = options.absent_zeroed(f, &ground);
    Ok(match weights {
        Some(w) if form.average == ClassAverage::Macro => f * w,
        _ => f,
    })
}

/// The per-(sample, class) Tversky loss `1 − (I + s_nr) / (I + α·FP + β·FN + s_dr)` with
/// `FP = Σ p·(1 − g) = P − I`, `FN = Σ (1 − p)·g = G − I`.
pub(super) fn tversky_scores(
    options: &OverlapOptions,
    alpha: f64,
    beta: f64,
    sums: OverlapSums,
) -> Tensor<2> {
    let tp = sums.intersection;
    let fp = sums.pred - tp.clone();
    let fn_ = sums.target.clone() - tp.clone();
    let denominator = tp.clone() + fp * alpha + fn_ * beta + options.smooth_dr;
    let f = safe_ratio(tp + options.smooth_nr, denominator).neg() + 1.0;
    options.absent_zeroed(f, &sums.target)
}

/// Each sample's mean of the per-class losses `f [N, C']` over the classes present in its target
/// (`ground [N, C'] > 0`), weighted by the class `weights [1, C']`: `[N, 1]`, 1 with a zero
/// gradient for a sample with no present class (or only weight-0 ones), as kornia's
/// `dice_loss(average="macro")` / `tversky_loss`.
pub(super) fn present_mean(f: Tensor<2>, ground: &Tensor<2>, weights: Option<Tensor<2>>) -> Tensor<2> {
    let [n, c] = f.dims();
    let present = ground.clone().greater_elem(0.0).float().cast(f.dtype());
    let w = match weights {
        Some(w) => w.expand([n, c]) * present,
        None => present,
    };
    let denominator = w.clone().sum_dim(1);
    ratio_or((f * w).sum_dim(1), denominator, 1.0)
}

/// One loss per sample `[N, 1]` (`[1, 1]` with `batch`) as element losses of shape `[N]` (`[1]`).
pub(super) fn scored_per_sample(scores: Tensor<2>) -> (ElementLoss<2>, Vec<usize>) {
    let [n, _] = scores.dims();
    (ElementLoss::new(scores), vec![n])
}

/// The unreduced scores of an overlap loss as element losses, with their logical shape.
pub(super) fn scored(scores: Tensor<2>, batch: bool) -> (ElementLoss<2>, Vec<usize>) {
    let [n, c] = scores.dims();
    let shape = if batch { vec![c] } else { vec![n, c] };
    (ElementLoss::new(scores), shape)
}

/// The typed and named-argument API of an overlap loss whose `scores` method builds the
/// unreduced `[N, C']` (or `[1, C']`) element losses. Its declared arguments: `input`, `target`
/// (class indices or probabilities) and the optional `mask`; the typed API has a method per target
/// form and a mask of either rank, so it is written here for the family rather than generated by
/// a `forward` clause.
macro_rules! overlap_loss_api {
    ($loss:ident, $config:ident) => {
        $crate::loss::declare::typed_api!(@arguments $loss, [
            input: $crate::loss::ArgumentKind::Float; required,
            target: $crate::loss::ArgumentKind::FloatOrInt; required,
            mask: $crate::loss::ArgumentKind::Float; optional,
        ]);

        impl $loss {
            /// The configured reduction for class-index targets `[N, spatial…]` (`DT = D − 1`).
            #[track_caller]
            pub fn forward<const D: usize, const DT: usize>(
                &self,
                input: Tensor<D>,
                target: Tensor<DT, Int>,
            ) -> Tensor<1> {
                or_panic(self.try_forward(input, target, None::<Tensor<DT>>))
            }

            /// The configured reduction for one-hot / soft targets of the shape of `input`.
            #[track_caller]
            pub fn forward_probabilities<const D: usize>(
                &self,
                input: Tensor<D>,
                target: Tensor<D>,
            ) -> Tensor<1> {
                or_panic(self.try_forward_probabilities(input, target, None::<Tensor<D>>))
            }

            /// As [`forward`](Self::forward) with an optional pixel `mask` (`[N, spatial…]` or
            /// `[N, 1, spatial…]`, 0 = left out), returning an error instead of panicking.
            pub fn try_forward<const D: usize, const DT: usize, const DM: usize>(
                &self,
                input: Tensor<D>,
                target: Tensor<DT, Int>,
                mask: Option<Tensor<DM>>,
            ) -> LossResult<Tensor<1>> {
                let target = DynTensor::from_tensor(target);
                self.reduce_typed(input, OverlapTarget::Classes(&target), mask)
            }

            /// As [`forward_probabilities`](Self::forward_probabilities) with an optional pixel
            /// `mask`, returning an error instead of panicking.
            pub fn try_forward_probabilities<const D: usize, const DM: usize>(
                &self,
                input: Tensor<D>,
                target: Tensor<D>,
                mask: Option<Tensor<DM>>,
            ) -> LossResult<Tensor<1>> {
                let target = DynTensor::from_tensor(target);
                self.reduce_typed(input, OverlapTarget::Probabilities(&target), mask)
            }

            /// The unreduced loss for class-index targets: `[N, C']` per (sample, class), `[1, C']`
            /// with `batch`; `[N, 1]` (`[1, 1]` with `batch`) for the per-sample losses of
            /// `average: "micro"` and `absent_classes: "skip"` (see the `"none"` shape in the loss
            /// docs).
            #[track_caller]
            pub fn forward_no_reduction<const D: usize, const DT: usize>(
                &self,
                input: Tensor<D>,
                target: Tensor<DT, Int>,
            ) -> Tensor<2> {
                let target = DynTensor::from_tensor(target);
                let (terms, _) = or_panic(self.scores(
                    &DynTensor::from_tensor(input),
                    OverlapTarget::Classes(&target),
                    None,
                ));
                let dims = terms.values.dims();
                terms.reduce(Reduction::None).reshape(dims)
            }

            fn reduce_typed<const D: usize, const DM: usize>(
                &self,
                input: Tensor<D>,
                target: OverlapTarget<'_>,
                mask: Option<Tensor<DM>>,
            ) -> LossResult<Tensor<1>> {
                let mask = mask.map(DynTensor::from_tensor);
                let (terms, _) = self.scores(&DynTensor::from_tensor(input), target, mask.as_ref())?;
                Ok(self.reduce(terms))
            }
        }

        impl $crate::loss::LossModule for $loss {
            fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
                let name = $config::NAME;
                inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
                let input = inputs.float(name, "input")?;
                let mask = inputs.float_opt("mask")?;
                let (terms, shape) = match inputs.get(name, "target")? {
                    DynInput::Int(t) => self.scores(&input, OverlapTarget::Classes(t), mask.as_ref())?,
                    DynInput::Float(t) => {
                        self.scores(&input, OverlapTarget::Probabilities(t), mask.as_ref())?
                    }
                };
                let reduction = self.config.reduction;
                Ok(match reduction {
                    Reduction::None => reduce_to_dyn(terms, shape, reduction),
                    _ => DynTensor::new(self.reduce(terms), vec![]),
                })
            }

            fn input_kind(&self) -> $crate::loss::InputKind {
                if self.config.activation.takes_logits() {
                    $crate::loss::InputKind::Logits
                } else {
                    $crate::loss::InputKind::SoftmaxProbabilities
                }
            }

            fn classification_loss(
                &self,
                input: Tensor<2>,
                targets: Tensor<1, Int>,
            ) -> LossResult<Tensor<1>> {
                self.try_forward(input, targets, None::<Tensor<1>>)
            }
        }
    };
}

pub(crate) use {overlap_config, overlap_loss_api};
