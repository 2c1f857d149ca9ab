//! Margin losses: the family's shared documentation is the crate docs' [Margin losses](crate#margin-losses).

use burn::tensor::{Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::declare::loss_config;
use crate::loss::elementwise::{ElementwiseLoss, elementwise_loss_api};
use crate::loss::input_target::{keras_mode, keras_reduce};
use crate::reduction::{ElementLoss, Reduction};
use crate::reduction::{reduce_to_dyn, reduce_with_sample_weight, reduced_to_dyn, sample_weight_2d};
use crate::tensor::checks::{
    check_class_indices, check_class_weight_count, check_same_dtype, check_same_shape_inputs,
    check_sample_weight,
};
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::math::l2_normalize;
use crate::tensor::math::log_sigmoid;

/// `max(z, 0)` with the gradient ½ at `z = 0` (`torch.maximum`'s tie rule, what Keras' hinges
/// give on the torch backend): `(z + |z|) / 2`, exact in value.
fn max0_half_at_tie<const D: usize>(z: Tensor<D>) -> Tensor<D> {
    (z.clone() + z.abs()) * 0.5
}

/// Reads back whether every element of `t` is 0 or 1 (one device sync).
fn all_zero_or_one(t: &Tensor<2>) -> bool {
    if t.shape().num_elements() == 0 {
        return false;
    }
    let binary = t.clone().equal_elem(0.0).bool_or(t.clone().equal_elem(1.0));
    binary.all().into_data().iter::<bool>().next().unwrap_or(false)
}

/// Keras' `convert_binary_labels_to_hinge`: a target made only of 0s and 1s is read as {0, 1}
/// labels and mapped to {−1, 1} (`2y − 1`); any other target (e.g. ±1) is used as given.
fn hinge_labels(y: Tensor<2>) -> Tensor<2> {
    if all_zero_or_one(&y) { y * 2.0 - 1.0 } else { y }
}

/// `d max(z, 0) / dz` with ½ at `z = 0` ([`max0_half_at_tie`]'s).
#[inline(always)]
fn step_half_at_tie(z: f32) -> f32 {
    (z > 0.0) as u8 as f32 + 0.5 * (z == 0.0) as u8 as f32
}

/// `max(z, 0)` as [`max0_half_at_tie`] computes it.
#[inline(always)]
fn max0(z: f32) -> f32 {
    (z + z.abs()) * 0.5
}

/// A function `f(m)` of the margin `m = y·ŷ`: its value and slope, the composed formula's
/// subgradients at its kinks.
pub(crate) trait MarginFn: Copy + std::fmt::Debug + Send + Sync + 'static {
    fn value(self, m: f32) -> f32;
    fn slope(self, m: f32) -> f32;
}

/// The scalar form of a label-margin loss `ℓ = f(y'·x)` for the element-wise kernel, with Keras's
/// labels `y' = a·y + b`: `(2, −1)` when the call's target is made only of 0s and 1s, `(1, 0)`
/// otherwise ([`hinge_labels`], decided once per call from the host copy of the target).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LabelMargin<F: MarginFn> {
    f: F,
    a: f32,
    b: f32,
}

impl<F: MarginFn> LabelMargin<F> {
    fn new(f: F) -> Self {
        Self { f, a: 1.0, b: 0.0 }
    }
}

impl<F: MarginFn> crate::fused::ScalarLoss for LabelMargin<F> {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        self.f.value((self.a * y + self.b) * x)
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let label = self.a * y + self.b;
        label * self.f.slope(label * x)
    }
    fn for_targets(self, y: &[f32]) -> Self {
        let binary = !y.is_empty() && y.iter().all(|&v| v == 0.0 || v == 1.0);
        let (a, b) = if binary { (2.0, -1.0) } else { (1.0, 0.0) };
        Self { a, b, ..self }
    }
}

/// Declares a label-margin loss `ℓ = f(y·ŷ)` with only a `reduction` field: the composed
/// formula `|m| value` and the scalar form `scalar` ([`MarginFn`]).
macro_rules! label_margin_loss {
    ($(#[$($doc:tt)*])* $config:ident => $loss:ident, $name:literal, |$m:ident| $value:expr,
     scalar $scalar:ident { value: |$sm:ident| $svalue:expr, slope: |$dm:ident| $slope:expr $(,)? }) => {
        #[derive(Debug, Clone, Copy)]
        #[doc = concat!("The scalar form of [`", stringify!($loss), "`] (see [`MarginFn`]).")]
        pub(crate) struct $scalar;

        impl MarginFn for $scalar {
            #[inline(always)]
            fn value(self, $sm: f32) -> f32 {
                $svalue
            }
            #[inline(always)]
            fn slope(self, $dm: f32) -> f32 {
                $slope
            }
        }

        loss_config! {
            #[doc = concat!("Configuration of [`", stringify!($loss), "`] (`\"type\": \"", $name, "\"` in a [`LossConfig`](crate::LossConfig)).")]
            $config($name, defaults "mean") {
                /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
                /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
                reduce_last_axis: bool = false => with_reduce_last_axis,
                /// `"mean"` (default, over all elements), `"sum"` or `"none"` (the input's shape).
                reduction: Reduction = Reduction::Mean => with_reduction,
            }
            validate(&self) { Ok(()) }
            $(#[$($doc)*])*
            ///
            /// Labels `y` (`target`, the shape of `input`): ±1, or a target made only of 0s and 1s,
            /// which is mapped to {−1, 1} (Keras' `convert_binary_labels_to_hinge`). An optional
            /// per-sample `weight [N]` multiplies the terms.
            $loss;
            forward same_shape;
        }

        impl ElementwiseLoss for $loss {
            const NAME: &'static str = $name;
            type Scalar = LabelMargin<$scalar>;

            fn scalar(&self) -> Option<Self::Scalar> {
                Some(LabelMargin::new($scalar))
            }

            fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
                let $m = hinge_labels(y) * x;
                $value
            }
        }
        elementwise_loss_api!($loss);
    };
}

label_margin_loss! {
    /// Hinge loss (Keras `hinge`; SVMs): `ℓ = max(1 − y·ŷ, 0)`, subgradient ½ at `y·ŷ = 1`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    HingeLossConfig => HingeLoss, "hinge", |m| max0_half_at_tie(m.neg() + 1.0),
    scalar HingeMargin { value: |m| max0(1.0 - m), slope: |m| -step_half_at_tie(1.0 - m) }
}

label_margin_loss! {
    /// Squared hinge loss (Keras `squared_hinge`): `ℓ = max(1 − y·ŷ, 0)²`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    SquaredHingeLossConfig => SquaredHingeLoss, "squared_hinge", |m| max0_half_at_tie(m.neg() + 1.0).powi_scalar(2),
    scalar SquaredHingeMargin {
        value: |m| max0(1.0 - m) * max0(1.0 - m),
        slope: |m| -2.0 * max0(1.0 - m) * step_half_at_tie(1.0 - m),
    }
}

label_margin_loss! {
    /// Perceptron loss (Rosenblatt; scikit-learn's `Perceptron`): `ℓ = max(0, −y·ŷ)`,
    /// subgradient ½ at `y·ŷ = 0`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    PerceptronLossConfig => PerceptronLoss, "perceptron", |m| max0_half_at_tie(m.neg()),
    scalar PerceptronMargin { value: |m| max0(-m), slope: |m| -step_half_at_tie(-m) }
}

label_margin_loss! {
    /// Exponential loss (AdaBoost; Friedman, Hastie & Tibshirani 2000): `ℓ = exp(−y·ŷ)`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    ExponentialLossConfig => ExponentialLoss, "exponential", |m| m.neg().exp(),
    scalar ExponentialMargin { value: |m| crate::fused::math::exp(-m), slope: |m| -crate::fused::math::exp(-m) }
}

label_margin_loss! {
    /// Logistic loss: `ℓ = log(1 + exp(−y·ŷ)) = −log σ(y·ŷ)` (the stable two-branch
    /// `log_sigmoid`, finite for any margin).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    LogisticLossConfig => LogisticLoss, "logistic", |m| log_sigmoid(m).neg(),
    scalar LogisticMargin {
        // softplus(−m) = max(−m, 0) + ln(1 + e^{−|m|}); slope −σ(−m)
        value: |m| max0(-m) + crate::fused::math::ln_1p(crate::fused::math::exp(-m.abs())),
        slope: |m| -crate::fused::math::sigmoid_pair(m).1,
    }
}

// ---------------------------------------------------------------------------------------------
// categorical_hinge, multi_margin
// ---------------------------------------------------------------------------------------------

/// The error for a `target` of shape `shape` that is not class indices `[N]` (or, with
/// `one_hot_ok`, one-hot floats `[N, C]`).
fn class_target_error(
    loss: &'static str,
    n: usize,
    c: usize,
    one_hot_ok: bool,
    shape: &[usize],
) -> LossError {
    let alternative = if one_hot_ok {
        format!(" or one-hot floats [{n}, {c}]")
    } else {
        String::new()
    };
    LossError::input(
        loss,
        "target",
        format!("class indices [{n}]{alternative}"),
        format!("shape {}", fmt_shape(shape)),
    )
}

/// What a margin loss of class rows adds to the class-row kernel's call.
struct ClassRows<'a, R> {
    row: R,
    /// The loss also takes one-hot floats (named in the error for another target shape).
    one_hot_ok: bool,
    /// The config's class weights (the target's multiplies its row).
    class_weights: Option<&'a Vec<f32>>,
}

/// The class-row kernel's pass for scores `[N, C]` and class indices `[N]`; `None`: the
/// composed path.
fn fused_class_rows<R: crate::fused::ClassRowLoss>(
    loss: &'static str,
    rows: ClassRows<'_, R>,
    input: &DynTensor<Float>,
    target: &DynInput,
    weight: Option<&DynTensor<Float>>,
    reduction: Reduction,
) -> Option<LossResult<DynTensor>> {
    let ClassRows {
        row,
        one_hot_ok,
        class_weights,
    } = rows;
    let DynInput::Int(t) = target else {
        return None;
    };
    let fused = crate::fused::checked_class_row_loss(loss, row, input, t, weight, reduction, || {
        let (n, c) = (input.shape[0], input.shape[1]);
        if t.shape != [n] {
            return Err(class_target_error(loss, n, c, one_hot_ok, &t.shape));
        }
        check_sample_weight(loss, weight, input)?;
        check_class_weight_count(loss, class_weights, c)?;
        Ok(crate::fused::ClassRowTerms {
            weights: class_weights.cloned(),
            ignore_index: None,
            mean_over: crate::fused::MeanOver::Count(n),
        })
    })?;
    Some(fused.map(|(loss, shape)| reduced_to_dyn(loss, shape, reduction)))
}

/// Scores `[N, C]` and a target of class indices `[N]` (or, with `one_hot_ok`, one-hot floats
/// `[N, C]`), as the one-hot floats `[N, C]`.
fn scores_and_one_hot(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynInput,
    one_hot_ok: bool,
) -> LossResult<(Tensor<2>, Tensor<2>)> {
    if input.shape.len() != 2 {
        return Err(LossError::input(
            loss,
            "input",
            "scores of shape [N, C]",
            fmt_shape(&input.shape),
        ));
    }
    let (n, c) = (input.shape[0], input.shape[1]);
    let x = input.view([n, c]);
    let one_hot = match target {
        DynInput::Int(t) if t.shape == [n] => {
            check_class_indices(loss, &t.view([n, 1]), c, None)?;
            crate::tensor::onehot::one_hot_like(&x, t.view([n]))
        }
        DynInput::Float(t) if one_hot_ok && t.shape == input.shape => {
            check_same_dtype(loss, "target", Some(t), input)?;
            t.view([n, c])
        }
        other => return Err(class_target_error(loss, n, c, one_hot_ok, other.shape())),
    };
    Ok((x, one_hot))
}

loss_config! {
    /// Configuration of [`CategoricalHingeLoss`] (`"type": "categorical_hinge"` in a
    /// [`LossConfig`](crate::LossConfig)).
    CategoricalHingeLossConfig("categorical_hinge", defaults "mean") {
        /// `"mean"` (default, over the N samples), `"sum"` or `"none"` (`[N]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { Ok(()) }
    /// Categorical hinge loss (Keras `categorical_hinge`; Crammer & Singer 2001) of scores
    /// `input [N, C]` and a one-hot `target [N, C]` (or class indices `[N]`):
    ///
    /// ```text
    /// pos = Σ_c y_c·ŷ_c,   neg = max_c (1 − y_c)·ŷ_c,   ℓ = max(neg − pos + 1, 0)
    /// ```
    ///
    /// As in Keras the true class enters `neg` as 0. Subgradients as Keras runs in PyTorch: ½ at
    /// the tie `neg − pos = −1` (`torch.maximum`), and the gradient of `neg` shared evenly by the
    /// classes that tie for the max (`torch.amax`).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    CategoricalHingeLoss;
    forward "scores `[N, C]` against one-hot targets `[N, C]` (class indices through `forward_inputs`)",
        <> (input: Tensor<2> => with_float, target: Tensor<2> => with_float),
        optional weight: Tensor<1> => with_float, unreduced Tensor<1>;
}

/// The max of each row of `x [N, C]`, `[N, 1]`, whose gradient is shared evenly by the entries
/// equal to it (`torch.amax`'s subgradient; burn's `max_dim` gives it all to one entry).
fn max_dim1_split_at_ties(x: Tensor<2>) -> Tensor<2> {
    let [n, c] = x.dims();
    let at_max = x
        .clone()
        .equal(x.clone().max_dim(1).expand([n, c]))
        .float()
        .cast(x.dtype());
    (x * at_max.clone()).sum_dim(1) / at_max.sum_dim(1)
}

/// Categorical hinge's row for the class-row kernel: `max(m − x_t + 1, 0)` with `m` the max of
/// the row with the true class's entry 0; the slope ½ at the tie, `m`'s gradient shared by the
/// entries equal to it (the true class's 0 among them, which passes none on).
#[derive(Debug, Clone, Copy)]
struct CategoricalHingeRow;

impl CategoricalHingeRow {
    /// `(m, the number of entries equal to m)`.
    #[inline(always)]
    fn max_and_ties(x: &[f32], t: usize) -> (f32, f32) {
        let entry = |j: usize, v: f32| if j == t { 0.0 } else { v };
        let m = x
            .iter()
            .enumerate()
            .fold(f32::NEG_INFINITY, |m, (j, &v)| m.max(entry(j, v)));
        let ties = x
            .iter()
            .enumerate()
            .map(|(j, &v)| (entry(j, v) == m) as u8 as f32)
            .sum();
        (m, ties)
    }
}

impl crate::fused::ClassRowLoss for CategoricalHingeRow {
    #[inline(always)]
    fn value(&self, x: &[f32], t: usize) -> f32 {
        max0(Self::max_and_ties(x, t).0 - x[t] + 1.0)
    }
    #[inline(always)]
    fn grad(&self, x: &[f32], t: usize, g: f32, out: &mut [f32]) {
        let (m, ties) = Self::max_and_ties(x, t);
        let slope = g * step_half_at_tie(m - x[t] + 1.0);
        let share = slope / ties;
        for (j, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            *o = if j != t && v == m { share } else { 0.0 };
        }
        out[t] = -slope;
    }
}

impl crate::loss::LossModule for CategoricalHingeLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = CategoricalHingeLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let weight = inputs.float_opt("weight")?;
        let target = inputs.get(name, "target")?;
        let reduction = self.config.reduction;
        let rows = ClassRows {
            row: CategoricalHingeRow,
            one_hot_ok: true,
            class_weights: None,
        };
        if let Some(fused) = fused_class_rows(name, rows, &input, target, weight.as_ref(), reduction) {
            return fused;
        }
        let (x, y) = scores_and_one_hot(name, &input, target, true)?;
        let keras = keras_mode(weight.as_ref(), reduction, false).is_some();
        if !keras {
            check_sample_weight(name, weight.as_ref(), &input)?;
        }
        let n = input.shape[0];
        let pos = (y.clone() * x.clone()).sum_dim(1);
        let neg = max_dim1_split_at_ties((y.neg() + 1.0) * x);
        let values = max0_half_at_tie(neg - pos + 1.0);
        if keras {
            let loss = keras_reduce(
                name,
                ElementLoss::new(values),
                &[n],
                &input,
                weight.as_ref(),
                true,
                reduction,
            )?;
            return Ok(reduced_to_dyn(loss, vec![n], reduction));
        }
        let terms = ElementLoss::new(values).weighted(sample_weight_2d(weight.as_ref(), n, 1));
        Ok(reduce_to_dyn(terms, vec![n], reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Either
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::forward_with_indices(self, input, targets)
    }
}

loss_config! {
    /// Configuration of [`MultiMarginLoss`] (`"type": "multi_margin"` in a
    /// [`LossConfig`](crate::LossConfig)).
    MultiMarginLossConfig("multi_margin", defaults "p 1, margin 1, no class weights, mean") {
        /// Exponent `p`: 1 (default) or 2 (PyTorch `MultiMarginLoss(p=)`). A number, as every `p`
        /// of this crate (`triplet_margin`'s norm degree).
        p: f64 = 1.0 => with_p,
        /// Margin, finite. Default `1.0`.
        margin: f64 = 1.0 => with_margin,
        /// Class weights `[C]`: the weight of the target class multiplies its terms (PyTorch
        /// `weight=`; the mean does not divide by them). Default `None`.
        weight: Option<Vec<f32>> = None => with_weight,
        /// `"mean"` (default, over the N samples), `"sum"` or `"none"` (`[N]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if self.p != 1.0 && self.p != 2.0 {
            return Err(LossError::config(Self::NAME, "p", "1 or 2", self.p));
        }
        if !self.margin.is_finite() {
            return Err(LossError::config(Self::NAME, "margin", "a finite number", self.margin));
        }
        if let Some(weight) = &self.weight {
            check::weights(Self::NAME, "weight", weight)?;
        }
        Ok(())
    }
    /// Multiclass margin loss (PyTorch `MultiMarginLoss`; Weston & Watkins 1999) of scores
    /// `input [N, C]` and class indices `target [N]`:
    ///
    /// ```text
    /// ℓᵢ = Σ_{j ≠ t} w_t · max(0, margin − ŷ_t + ŷ_j)^p / C
    /// ```
    ///
    /// Subgradient 0 at a tie `margin − ŷ_t + ŷ_j = 0` (PyTorch's kernel counts `z > 0` only).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    MultiMarginLoss;
    forward "scores `[N, C]` against class indices `[N]`",
        <> (input: Tensor<2> => with_float, target: Tensor<1, Int> => with_int),
        optional weight: Tensor<1> => with_float, unreduced Tensor<1>;
}

/// Multi-margin's row for the class-row kernel: `Σ_{j ≠ t} h(margin − x_t + x_j) / C` with
/// `h(z) = max(z, 0)` (`p = 1`) or its square (`p = 2`), slope 0 at the tie.
#[derive(Debug, Clone, Copy)]
struct MultiMarginRow {
    margin: f32,
    squared: bool,
}

impl MultiMarginRow {
    /// `(h(z), h'(z))`.
    #[inline(always)]
    fn h(self, z: f32) -> (f32, f32) {
        let r = z.max(0.0);
        if self.squared {
            (r * r, 2.0 * r)
        } else {
            (r, (z > 0.0) as u8 as f32)
        }
    }
}

impl crate::fused::ClassRowLoss for MultiMarginRow {
    #[inline(always)]
    fn value(&self, x: &[f32], t: usize) -> f32 {
        let shift = self.margin - x[t];
        let total: f32 = x
            .iter()
            .enumerate()
            .map(|(j, &v)| if j == t { 0.0 } else { self.h(shift + v).0 })
            .sum();
        total / x.len() as f32
    }
    #[inline(always)]
    fn grad(&self, x: &[f32], t: usize, g: f32, out: &mut [f32]) {
        let shift = self.margin - x[t];
        let scale = g / x.len() as f32;
        let mut at_t = 0.0;
        for (j, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            *o = if j == t { 0.0 } else { scale * self.h(shift + v).1 };
            at_t += *o;
        }
        out[t] = -at_t;
    }
}

impl crate::loss::LossModule for MultiMarginLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = MultiMarginLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let weight = inputs.float_opt("weight")?;
        let target = inputs.get(name, "target")?;
        if let DynInput::Float(t) = target {
            return Err(LossError::input(
                name,
                "target",
                "integer class indices [N]",
                format!("a float tensor of shape {}", fmt_shape(&t.shape)),
            ));
        }
        let row = MultiMarginRow {
            margin: self.config.margin as f32,
            squared: self.config.p == 2.0,
        };
        let reduction = self.config.reduction;
        let rows = ClassRows {
            row,
            one_hot_ok: false,
            class_weights: self.config.weight.as_ref(),
        };
        if let Some(fused) = fused_class_rows(name, rows, &input, target, weight.as_ref(), reduction) {
            return fused;
        }
        let (x, one_hot) = scores_and_one_hot(name, &input, target, false)?;
        check_sample_weight(name, weight.as_ref(), &input)?;
        let [n, c] = x.dims();
        check_class_weight_count(name, self.config.weight.as_ref(), c)?;
        let x_t = (x.clone() * one_hot.clone()).sum_dim(1);
        let z = (x - x_t + self.config.margin).mask_fill(one_hot.clone().bool(), 0.0);
        let mut hinge = burn::tensor::activation::relu(z);
        if self.config.p == 2.0 {
            hinge = hinge.powi_scalar(2);
        }
        let mut values = hinge.sum_dim(1) / c as f64;
        if let Some(w) = &self.config.weight {
            let w = crate::tensor::values_like(w, &values);
            values = values * (one_hot * w.reshape([1, c])).sum_dim(1);
        }
        let terms = ElementLoss::new(values).weighted(sample_weight_2d(weight.as_ref(), n, 1));
        let loss = reduce_with_sample_weight(terms, reduction, weight.as_ref());
        Ok(reduced_to_dyn(loss, vec![n], reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::ClassIndices
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::forward_with_indices(self, input, targets)
    }
}

// ---------------------------------------------------------------------------------------------
// cosine_similarity
// ---------------------------------------------------------------------------------------------

/// What [`CosineSimilarityLoss`] returns for a cosine `cos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CosineForm {
    /// `−cos` ∈ [−1, 1] (Keras `cosine_similarity`).
    #[default]
    Negative,
    /// `1 − cos` ∈ [0, 2] (the cosine distance).
    OneMinus,
}

/// Keras' `normalize` epsilon.
const KERAS_NORM_EPSILON: f64 = 1e-7;

loss_config! {
    /// Configuration of [`CosineSimilarityLoss`] (`"type": "cosine_similarity"` in a
    /// [`LossConfig`](crate::LossConfig)).
    CosineSimilarityLossConfig("cosine_similarity", defaults "axis -1, negative, mean") {
        /// The axis along which the vectors lie, negative from the end; not the batch axis 0.
        /// Default `-1` (Keras).
        axis: i64 = -1 => with_axis,
        /// `"negative"` (default): `−cos` (Keras). `"one_minus"`: `1 − cos`.
        form: CosineForm = CosineForm::Negative => with_form,
        /// `"mean"` (default, over the vectors), `"sum"` or `"none"` (the input's shape without
        /// `axis`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { Ok(()) }
    /// Cosine similarity loss of `input` and `target` of one shape along `axis`:
    ///
    /// ```text
    /// cos = Σ_axis x̂·ŷ,   x̂ = x / max(‖x‖, ε), ŷ = y / max(‖y‖, ε),  ε = 1e-7
    /// ℓ = −cos  (form "negative", Keras cosine_similarity)   or   1 − cos  ("one_minus")
    /// ```
    ///
    /// A zero vector has cosine 0 with everything. An optional per-sample `weight [N]`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch. A zero
    /// vector is divided by ε rather than its norm (Keras): its cosine is 0, its gradient finite.
    CosineSimilarityLoss;
    forward "`input` against `target` of one shape (rank >= 2), along `axis`",
        <const D: usize> (input: Tensor<D> => with_float, target: Tensor<D> => with_float),
        optional weight: Tensor<1> => with_float, unreduced @ <const DO: usize> Tensor<DO>;
}

impl crate::loss::LossModule for CosineSimilarityLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = CosineSimilarityLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.float(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.config.reduction;
        let keras = keras_mode(weight.as_ref(), reduction, false).is_some();
        check_same_shape_inputs(name, &input, &target, if keras { None } else { weight.as_ref() })?;
        let rank = input.shape.len() as i64;
        let axis = if self.config.axis < 0 {
            self.config.axis + rank
        } else {
            self.config.axis
        };
        if axis <= 0 || axis >= rank {
            return Err(LossError::input(
                name,
                "input",
                format!(
                    "a rank > 1 with config field `axis` {} inside it and not the batch axis 0",
                    self.config.axis
                ),
                format!("shape {}", fmt_shape(&input.shape)),
            ));
        }
        let axis = axis as usize;
        let a: usize = input.shape[..axis].iter().product();
        let k = input.shape[axis];
        let b: usize = input.shape[axis + 1..].iter().product();
        let cos = (l2_normalize(input.view([a, k, b]), 1, KERAS_NORM_EPSILON)
            * l2_normalize(target.view([a, k, b]), 1, KERAS_NORM_EPSILON))
        .sum_dim(1);
        let n = input.shape[0];
        let per_sample = a * b / n.max(1);
        let cos = cos.reshape([n, per_sample]);
        let values = match self.config.form {
            CosineForm::Negative => cos.neg(),
            CosineForm::OneMinus => cos.neg() + 1.0,
        };
        let mut shape = input.shape.clone();
        shape.remove(axis);
        if keras {
            let loss = keras_reduce(
                name,
                ElementLoss::new(values),
                &shape,
                &input,
                weight.as_ref(),
                true,
                reduction,
            )?;
            return Ok(reduced_to_dyn(loss, shape, reduction));
        }
        let terms = ElementLoss::new(values).weighted(sample_weight_2d(weight.as_ref(), n, per_sample));
        Ok(reduce_to_dyn(terms, shape, reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Probabilities
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::classification_with_one_hot(self, input, targets)
    }
}

// ---------------------------------------------------------------------------------------------
// cosine_embedding, margin_ranking, hinge_embedding (PyTorch)
// ---------------------------------------------------------------------------------------------

/// Labels `±1` (PyTorch's pair losses): every element of `target` must be −1 or 1.
fn check_plus_minus_one(loss: &'static str, target: &DynTensor<Float>) -> LossResult<()> {
    if target.numel() == 0 || crate::tensor::checks::trusted_inputs() {
        return Ok(());
    }
    let t = &target.flat;
    let ok = t
        .clone()
        .equal_elem(1.0)
        .bool_or(t.clone().equal_elem(-1.0))
        .all();
    if ok.into_data().iter::<bool>().next().unwrap_or(false) {
        Ok(())
    } else {
        let (min, max) = crate::tensor::checks::float_min_max(t);
        Err(LossError::input(
            loss,
            "target",
            "labels 1 or -1",
            format!("values in [{min}, {max}]"),
        ))
    }
}

/// The arguments `input1`, `input2` (one shape, rank >= 1) and `target` `[N]` of a pair loss,
/// each pair's row being dim 0 (`row_shape` says what `target` must be: the batch only, or the
/// whole input shape).
fn pair_arguments<L: crate::loss::DeclaredArguments>(
    loss: &'static str,
    inputs: &LossInputs,
    target_is_batch: bool,
) -> LossResult<(DynTensor<Float>, DynTensor<Float>, DynTensor<Float>)> {
    inputs.only(loss, L::ARGUMENT_NAMES)?;
    let x1 = inputs.float(loss, "input1")?;
    let x2 = inputs.float(loss, "input2")?;
    let target = inputs.float(loss, "target")?;
    crate::tensor::checks::check_rank_at_least_1(loss, "input1", &x1)?;
    if x2.shape != x1.shape {
        return Err(LossError::input(
            loss,
            "input2",
            format!("the shape of `input1` {}", fmt_shape(&x1.shape)),
            fmt_shape(&x2.shape),
        ));
    }
    let expected = if target_is_batch {
        vec![x1.shape[0]]
    } else {
        x1.shape.clone()
    };
    if target.shape != expected {
        return Err(LossError::input(
            loss,
            "target",
            format!("shape {}", fmt_shape(&expected)),
            fmt_shape(&target.shape),
        ));
    }
    check_same_dtype(loss, "input2", Some(&x2), &x1)?;
    check_same_dtype(loss, "target", Some(&target), &x1)?;
    check_plus_minus_one(loss, &target)?;
    Ok((x1, x2, target))
}

/// The error of a pair loss asked to score class logits.
fn pair_loss_is_not_classification(loss: &'static str) -> LossError {
    crate::loss::not_a_classification_loss(loss, "`input1`, `input2` and ±1 labels `target`")
}

loss_config! {
    /// Configuration of [`CosineEmbeddingLoss`] (`"type": "cosine_embedding"` in a
    /// [`LossConfig`](crate::LossConfig)).
    CosineEmbeddingLossConfig("cosine_embedding", defaults "margin 0, mean") {
        /// Margin of dissimilar pairs, in [−1, 1]. Default `0` (PyTorch).
        margin: f64 = 0.0 => with_margin,
        /// `"mean"` (default, over the N pairs), `"sum"` or `"none"` (`[N]`).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::in_range(Self::NAME, "margin", self.margin, -1.0, 1.0, false) }
    /// Cosine embedding loss (PyTorch `CosineEmbeddingLoss`, burn-nn `CosineEmbeddingLoss`) of
    /// pairs `input1`, `input2` `[N, D]` with labels `target [N]` (1 similar, −1 dissimilar):
    ///
    /// ```text
    /// cos = Σ x₁·x₂ / √((Σ x₁² + 1e-12)·(Σ x₂² + 1e-12))      (PyTorch's ε)
    /// ℓ = 1 − cos  if y = 1;   max(0, cos − margin)  if y = −1   (full gradient at the tie)
    /// ```
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    CosineEmbeddingLoss;
    forward "embedding pairs `input1`, `input2` `[N, D]` with labels `target` `[N]` of ±1",
        <> (input1: Tensor<2> => with_float, input2: Tensor<2> => with_float, target: Tensor<1> => with_float),
        unreduced Tensor<1>;
}

impl crate::loss::LossModule for CosineEmbeddingLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = CosineEmbeddingLossConfig::NAME;
        let (x1, x2, target) = pair_arguments::<Self>(name, inputs, true)?;
        if x1.shape.len() != 2 {
            return Err(LossError::input(
                name,
                "input1",
                "shape [N, D]",
                fmt_shape(&x1.shape),
            ));
        }
        let [n, d] = [x1.shape[0], x1.shape[1]];
        let (a, b) = (x1.view([n, d]), x2.view([n, d]));
        const EPS: f64 = 1e-12;
        let dot = (a.clone() * b.clone()).sum_dim(1);
        let norms = ((a.powi_scalar(2).sum_dim(1) + EPS) * (b.powi_scalar(2).sum_dim(1) + EPS)).sqrt();
        let cos = dot / norms;
        let y = target.view([n, 1]);
        let similar = cos.clone().neg() + 1.0;
        let dissimilar = (cos - self.config.margin).clamp_min(0.0);
        let values = dissimilar.mask_where(y.equal_elem(1.0), similar);
        Ok(reduce_to_dyn(
            ElementLoss::new(values),
            vec![n],
            self.config.reduction,
        ))
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(pair_loss_is_not_classification(CosineEmbeddingLossConfig::NAME))
    }
}

loss_config! {
    /// Configuration of [`MarginRankingLoss`] (`"type": "margin_ranking"` in a
    /// [`LossConfig`](crate::LossConfig)).
    MarginRankingLossConfig("margin_ranking", defaults "margin 0, mean") {
        /// Margin, finite. Default `0` (PyTorch).
        margin: f64 = 0.0 => with_margin,
        /// `"mean"` (default), `"sum"` or `"none"` (the inputs' shape).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if self.margin.is_finite() { Ok(()) } else { Err(LossError::config(Self::NAME, "margin", "a finite number", self.margin)) }
    }
    /// Margin ranking loss (PyTorch `MarginRankingLoss`, burn-nn `MarginRankingLoss`) of scores
    /// `input1`, `input2` and labels `target` of the same shape (1: `input1` should rank higher,
    /// −1: lower):
    ///
    /// ```text
    /// ℓ = max(0, −y·(x₁ − x₂) + margin)        (PyTorch clamp_min: the full gradient at the tie)
    /// ```
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    MarginRankingLoss;
    forward "score pairs `input1`, `input2` with labels `target` of ±1, all of one shape",
        <const D: usize> (input1: Tensor<D> => with_float, input2: Tensor<D> => with_float, target: Tensor<D> => with_float),
        unreduced Tensor<D>;
}

impl crate::loss::LossModule for MarginRankingLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = MarginRankingLossConfig::NAME;
        let (x1, x2, target) = pair_arguments::<Self>(name, inputs, false)?;
        let values = ((x1.flat - x2.flat) * target.flat.neg() + self.config.margin).clamp_min(0.0);
        let numel = x1.shape.iter().product();
        Ok(reduce_to_dyn(
            ElementLoss::new(values.reshape([1, numel])),
            x1.shape,
            self.config.reduction,
        ))
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(pair_loss_is_not_classification(MarginRankingLossConfig::NAME))
    }
}

loss_config! {
    /// Configuration of [`HingeEmbeddingLoss`] (`"type": "hinge_embedding"` in a
    /// [`LossConfig`](crate::LossConfig)).
    HingeEmbeddingLossConfig("hinge_embedding", defaults "margin 1, mean") {
        /// Margin of dissimilar pairs, finite. Default `1.0` (PyTorch).
        margin: f64 = 1.0 => with_margin,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"` (the input's shape).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if self.margin.is_finite() { Ok(()) } else { Err(LossError::config(Self::NAME, "margin", "a finite number", self.margin)) }
    }
    /// Hinge embedding loss (PyTorch `HingeEmbeddingLoss`, burn-nn `HingeEmbeddingLoss`) of
    /// distances `input` and labels `target` (±1) of the same shape:
    ///
    /// ```text
    /// ℓ = x                   if y = 1
    ///     max(0, margin − x)  if y = −1      (PyTorch clamp_min: the full gradient at the tie)
    /// ```
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    HingeEmbeddingLoss;
    forward same_shape;
}

/// The scalar form of [`HingeEmbeddingLoss`]: `x` where `y = 1`, else `max(0, margin − x)` with
/// the full slope at the tie (`clamp_min`'s).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HingeEmbeddingScalar {
    margin: f32,
}

impl crate::fused::ScalarLoss for HingeEmbeddingScalar {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let dissimilar = (self.margin - x).max(0.0);
        if y == 1.0 { x } else { dissimilar }
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let dissimilar = -(((self.margin - x) >= 0.0) as u8 as f32);
        if y == 1.0 { 1.0 } else { dissimilar }
    }
}

impl ElementwiseLoss for HingeEmbeddingLoss {
    const NAME: &'static str = "hinge_embedding";
    type Scalar = HingeEmbeddingScalar;

    fn scalar(&self) -> Option<Self::Scalar> {
        Some(HingeEmbeddingScalar {
            margin: self.config.margin as f32,
        })
    }

    fn check_values(&self, _input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<()> {
        check_plus_minus_one(HingeEmbeddingLossConfig::NAME, target)
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let dissimilar = (x.clone().neg() + self.config.margin).clamp_min(0.0);
        dissimilar.mask_where(y.equal_elem(1.0), x)
    }
}
elementwise_loss_api!(HingeEmbeddingLoss);
