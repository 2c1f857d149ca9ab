//! Regression losses: the family's shared documentation is the crate docs' [Regression losses](crate#regression-losses).

use burn::tensor::{Float, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::declare::loss_config;
use crate::loss::elementwise::{ElementwiseLoss, elementwise_loss_api};
use crate::loss::input_target::InputTargetLoss;
use crate::reduction::{ElementLoss, Reduction};
use crate::reduction::{reduce_with_sample_weight, reduced_to_dyn, sample_weight_2d};
use crate::tensor::checks::{
    check_float_range, check_rank_at_least_1, check_same_dtype, check_same_shape_inputs, check_sample_weight,
};
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::log_cosh;

mod charbonnier;
mod scalar;

pub use charbonnier::{CharbonnierLoss, CharbonnierLossConfig};

fn keras_epsilon() -> f64 {
    1e-7
}

/// `x − y` of the `[N, M]` views.
fn error(x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
    x - y
}

/// The Huber function of `|d|` with threshold `δ > 0`: `½d²` for `|d| ≤ δ`, `δ(|d| − ½δ)` beyond,
/// written as `q·(|d| − ½q)` with `q = min(|d|, δ)` (one expression, gradient `clamp(d, −δ, δ)`,
/// 0 at `d = 0`: PyTorch's `huber_loss` backward).
fn huber_of_error(d: Tensor<2>, delta: f64) -> Tensor<2> {
    let a = d.abs();
    let q = a.clone().clamp_max(delta);
    q.clone() * (a - q * 0.5)
}

// ---------------------------------------------------------------------------------------------
// mae, mse, rmse
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`MaeLoss`] (`"type": "mae"` in a [`LossConfig`](crate::LossConfig)).
    MaeLossConfig("mae", defaults "mean") {
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { Ok(()) }
    /// Mean absolute error `ℓ = |ŷ − y|` (PyTorch `l1_loss`, Keras `mean_absolute_error`).
    ///
    /// Subgradient at `ŷ = y`: 0 (PyTorch's `sign(0)`).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    MaeLoss;
    forward same_shape;
}

impl ElementwiseLoss for MaeLoss {
    const NAME: &'static str = "mae";
    type Scalar = scalar::AbsError;

    fn scalar(&self) -> Option<scalar::AbsError> {
        Some(scalar::AbsError)
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        error(x, y).abs()
    }
}
elementwise_loss_api!(MaeLoss);

loss_config! {
    /// Configuration of [`MseLoss`] (`"type": "mse"` in a [`LossConfig`](crate::LossConfig)).
    MseLossConfig("mse", defaults "mean") {
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { Ok(()) }
    /// Mean squared error `ℓ = (ŷ − y)²` (PyTorch `mse_loss`, Keras `mean_squared_error`, burn-nn
    /// `MseLoss`).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    MseLoss;
    forward same_shape;
}

impl ElementwiseLoss for MseLoss {
    const NAME: &'static str = "mse";
    type Scalar = scalar::SquaredError;

    fn scalar(&self) -> Option<scalar::SquaredError> {
        Some(scalar::SquaredError)
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        error(x, y).powi_scalar(2)
    }
}
elementwise_loss_api!(MseLoss);

loss_config! {
    /// Configuration of [`RmseLoss`] (`"type": "rmse"` in a [`LossConfig`](crate::LossConfig)).
    RmseLossConfig("rmse", defaults "epsilon 1e-12, mean") {
        /// `ε >= 0` added under the square root so that the gradient stays finite (0) at zero
        /// error; moves the value by at most `√ε` (1e-6). Default `1e-12`; `0` is the guide's exact
        /// `my_rmse`, whose gradient is NaN when every error is 0.
        epsilon: f64 = 1e-12 => with_epsilon,
        /// `"mean"` (default): `√(mean of the squared errors over all elements + ε)`, one value
        /// for the batch. `"none"`: each sample's RMSE `[N]`; `"sum"`: their sum.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        check::non_negative(Self::NAME, "epsilon", self.epsilon)?;
        if self.reduction == Reduction::MeanWithSampleWeight {
            return Err(LossError::config(
                Self::NAME,
                "reduction",
                "\"mean\", \"sum\" or \"none\" (the root of a mean is not a weighted sum)",
                "\"mean_with_sample_weight\"",
            ));
        }
        Ok(())
    }
    /// Root mean squared error (the TensorFlow 2 custom-loss guide's `my_rmse = K.sqrt(K.mean(K.square(y − ŷ)))`):
    ///
    /// ```text
    /// mean: √(Σ wᵢ·(ŷ − y)² / #elements + ε)
    /// none: RMSEᵢ = √(mean over sample i's elements of wᵢ·(ŷ − y)² + ε)     sum: Σᵢ RMSEᵢ
    /// ```
    ///
    /// Unlike the other losses, `"mean"` is not the mean of `"none"` (the root of a mean is not
    /// the mean of roots).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    RmseLoss;
    forward same_shape;
}

impl InputTargetLoss for RmseLoss {
    const NAME: &'static str = "rmse";
    type Target = Float;

    /// The configured reduction, as for every loss: `"mean"`'s element loss is already the one
    /// value `√(mean + ε)`, whose mean is itself.
    fn reduction(&self) -> Reduction {
        self.config.reduction
    }

    fn takes_keras_weights(&self) -> bool {
        false
    }

    fn target_argument(inputs: &LossInputs) -> LossResult<DynTensor<Float>> {
        inputs.float(Self::NAME, "target")
    }

    /// `"mean"`: MSE's element-wise kernel for the mean, then `√(· + ε)` on the one value.
    fn fused_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        if reduction != Reduction::Mean {
            return None;
        }
        let mse = crate::fused::checked_elementwise_loss(
            scalar::SquaredError,
            input,
            target,
            weight,
            reduction,
            || check_same_shape_inputs(Self::NAME, input, target, weight),
        )?;
        let eps = self.config.epsilon;
        Some(mse.map(|(mse, _)| ((mse + eps).sqrt(), vec![])))
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        check_same_shape_inputs(Self::NAME, input, target, weight)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let squared = ElementLoss::new(error(input.view([n, m]), target.view([n, m])).powi_scalar(2))
            .weighted(sample_weight_2d(weight, n, m))
            .unreduced();
        let eps = self.config.epsilon;
        Ok(match self.config.reduction {
            Reduction::Mean | Reduction::MeanWithSampleWeight => {
                let root = (squared.sum() / (n * m) as f64 + eps).sqrt();
                (ElementLoss::new(root.reshape([1, 1])), vec![])
            }
            Reduction::Sum | Reduction::None => {
                let root = (squared.sum_dim(1) / m as f64 + eps).sqrt();
                (ElementLoss::new(root), vec![n])
            }
        })
    }
}
crate::loss::declare::binary_loss_api!(RmseLoss, raw);

// ---------------------------------------------------------------------------------------------
// huber, smooth_l1, log_cosh
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`HuberLoss`] (`"type": "huber"` in a [`LossConfig`](crate::LossConfig)).
    HuberLossConfig("huber", defaults "delta 1, mean") {
        /// Threshold `δ > 0` between the quadratic and the linear part. Default `1.0` (PyTorch
        /// `HuberLoss`, Keras `Huber`).
        delta: f64 = 1.0 => with_delta,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "delta", self.delta) }
    /// Huber loss (Huber 1964; PyTorch `huber_loss`, Keras `Huber`, burn-nn `HuberLoss`), with
    /// `d = ŷ − y`:
    ///
    /// ```text
    /// ℓ = ½·d²            if |d| ≤ δ
    ///     δ·(|d| − ½·δ)   otherwise
    /// ```
    ///
    /// The derivative `clamp(d, −δ, δ)` is continuous (±δ at the kinks, as PyTorch).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    HuberLoss;
    forward same_shape;
}

impl ElementwiseLoss for HuberLoss {
    const NAME: &'static str = "huber";
    type Scalar = scalar::Huber;

    fn scalar(&self) -> Option<scalar::Huber> {
        Some(scalar::Huber::new(self.config.delta, 1.0))
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        huber_of_error(error(x, y), self.config.delta)
    }
}
elementwise_loss_api!(HuberLoss);

loss_config! {
    /// Configuration of [`SmoothL1Loss`] (`"type": "smooth_l1"` in a
    /// [`LossConfig`](crate::LossConfig)).
    SmoothL1LossConfig("smooth_l1", defaults "beta 1, mean") {
        /// Width `β >= 0` of the quadratic zone; `0` is the L1 loss. Default `1.0` (PyTorch
        /// `SmoothL1Loss`).
        beta: f64 = 1.0 => with_beta,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::non_negative(Self::NAME, "beta", self.beta) }
    /// Smooth L1 loss (Fast R-CNN; PyTorch `smooth_l1_loss`), `d = ŷ − y`:
    ///
    /// ```text
    /// ℓ = ½·d² / β      if |d| < β
    ///     |d| − ½·β     otherwise          (β = 0: |d|)
    /// ```
    ///
    /// It is the Huber loss with `δ = β` divided by `β` (computed so). Subgradient at `d = 0` for
    /// `β = 0`: 0.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    SmoothL1Loss;
    forward same_shape;
}

impl ElementwiseLoss for SmoothL1Loss {
    const NAME: &'static str = "smooth_l1";
    type Scalar = scalar::Huber;

    fn scalar(&self) -> Option<scalar::Huber> {
        Some(scalar::Huber::smooth_l1(self.config.beta))
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let beta = self.config.beta;
        if beta == 0.0 {
            error(x, y).abs()
        } else {
            huber_of_error(error(x, y), beta) / beta
        }
    }
}
elementwise_loss_api!(SmoothL1Loss);

loss_config! {
    /// Configuration of [`LogCoshLoss`] (`"type": "log_cosh"` in a
    /// [`LossConfig`](crate::LossConfig)).
    LogCoshLossConfig("log_cosh", defaults "mean") {
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { Ok(()) }
    /// Log-cosh loss (Keras `log_cosh`), `d = ŷ − y`:
    ///
    /// ```text
    /// ℓ = log(cosh(d)) = |d| + log1p(exp(−2·|d|)) − log 2
    /// ```
    ///
    /// The right-hand form never overflows (finite for |d| up to f32's range, ≈ |d| − log 2 for
    /// large errors); its gradient is `tanh(d)`. Keras computes `d + softplus(−2d) − log 2`, the
    /// same value.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    LogCoshLoss;
    forward same_shape;
}

impl ElementwiseLoss for LogCoshLoss {
    const NAME: &'static str = "log_cosh";
    type Scalar = scalar::LogCosh;

    fn scalar(&self) -> Option<scalar::LogCosh> {
        Some(scalar::LogCosh)
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        log_cosh(error(x, y))
    }
}
elementwise_loss_api!(LogCoshLoss);

// ---------------------------------------------------------------------------------------------
// quantile (pinball)
// ---------------------------------------------------------------------------------------------

/// The quantile level(s) of [`QuantileLoss`]: one τ, or one per output column (JSON: a number or
/// a list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantiles {
    /// One τ for every element.
    One(f64),
    /// τ of each of the `Q` columns of an input `[N, Q]`.
    Each(Vec<f64>),
}

loss_config! {
    /// Configuration of [`QuantileLoss`] (`"type": "quantile"` in a
    /// [`LossConfig`](crate::LossConfig)).
    QuantileLossConfig("quantile", defaults "quantile 0.5, mean") {
        /// τ ∈ [0, 1] (a number), or a list of `Q` levels for a multi-quantile output `[N, Q]`.
        /// Default `0.5` (half the MAE). TF-Addons `pinball_loss(tau=)`, which accepts the ends:
        /// τ = 0 is `max(ŷ − y, 0)`, τ = 1 is `max(y − ŷ, 0)`.
        quantile: Quantiles = Quantiles::One(0.5) => with_quantile,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"` (the input's shape).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        let levels = match &self.quantile {
            Quantiles::One(tau) => std::slice::from_ref(tau),
            Quantiles::Each(taus) if taus.is_empty() => {
                return Err(LossError::config(
                    Self::NAME,
                    "quantile",
                    "a number in [0, 1] or a non-empty list of them",
                    "an empty list",
                ));
            }
            Quantiles::Each(taus) => taus.as_slice(),
        };
        for (j, &tau) in levels.iter().enumerate() {
            let field = match self.quantile {
                Quantiles::One(_) => "quantile".to_string(),
                Quantiles::Each(_) => format!("quantile[{j}]"),
            };
            check::in_range(Self::NAME, &field, tau, 0.0, 1.0, false)?;
        }
        Ok(())
    }
    /// Pinball (quantile) loss (Koenker & Bassett 1978; TF-Addons `pinball_loss`), with
    /// `d = y − ŷ`:
    ///
    /// ```text
    /// ℓ = τ·d          if d ≥ 0
    ///     (τ − 1)·d    otherwise
    /// ```
    ///
    /// Minimised by the τ-quantile of `y`. With a list of `Q` levels, `input` is `[N, Q]` and
    /// column `j` uses `τⱼ`; `target` is `[N, Q]` or `[N]` (one target for every quantile).
    /// Subgradient at `d = 0`: the `τ·d` branch (`∂ℓ/∂ŷ = −τ`), TF's `maximum` convention that
    /// TF-Addons inherits.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    QuantileLoss;
    forward same_shape;
}

impl ElementwiseLoss for QuantileLoss {
    const NAME: &'static str = "quantile";
    type Scalar = scalar::Pinball;

    fn scalar(&self) -> Option<scalar::Pinball> {
        match self.config.quantile {
            Quantiles::One(tau) => Some(scalar::Pinball { tau: tau as f32 }),
            Quantiles::Each(_) => None,
        }
    }

    fn target_2d(&self, input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<Tensor<2>> {
        let Quantiles::Each(taus) = &self.config.quantile else {
            return crate::loss::elementwise::same_shape_target_2d(QuantileLossConfig::NAME, input, target);
        };
        let q = taus.len();
        if input.shape.len() != 2 || input.shape[1] != q {
            return Err(LossError::input(
                QuantileLossConfig::NAME,
                "input",
                format!("shape [N, {q}] (one column per level of config field `quantile`)"),
                fmt_shape(&input.shape),
            ));
        }
        let n = input.shape[0];
        if target.shape == [n] {
            Ok(target.view([n, 1]).expand([n, q]))
        } else if target.shape == input.shape {
            Ok(target.view([n, q]))
        } else {
            Err(LossError::input(
                QuantileLossConfig::NAME,
                "target",
                format!("shape [{n}, {q}] or [{n}]"),
                fmt_shape(&target.shape),
            ))
        }
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let d = y - x;
        let [n, m] = d.dims();
        let (upper, lower) = match &self.config.quantile {
            Quantiles::One(tau) => (d.clone() * *tau, d.clone() * (*tau - 1.0)),
            Quantiles::Each(taus) => {
                let tau = Tensor::<1>::from_data(
                    TensorData::new(taus.iter().map(|&t| t as f32).collect(), [m]),
                    (&d.device(), d.dtype()),
                )
                .reshape([1, m])
                .expand([n, m]);
                (d.clone() * tau.clone(), d.clone() * (tau - 1.0))
            }
        };
        lower.mask_where(d.greater_equal_elem(0.0), upper)
    }
}
elementwise_loss_api!(QuantileLoss);

// ---------------------------------------------------------------------------------------------
// mape, smape, msle
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`MapeLoss`] (`"type": "mape"` in a [`LossConfig`](crate::LossConfig)).
    MapeLossConfig("mape", defaults "epsilon 1e-7, mean") {
        /// Floor `ε > 0` of the denominator `|y|`. Default `1e-7` (Keras).
        epsilon: f64 = keras_epsilon() => with_epsilon,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Mean absolute percentage error (Keras `mean_absolute_percentage_error`):
    ///
    /// ```text
    /// ℓ = 100 · |y − ŷ| / max(|y|, ε)
    /// ```
    ///
    /// The denominator depends on the target only. Subgradient at `ŷ = y`: 0.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    MapeLoss;
    forward same_shape;
}

impl ElementwiseLoss for MapeLoss {
    const NAME: &'static str = "mape";
    type Scalar = scalar::Mape;

    fn scalar(&self) -> Option<scalar::Mape> {
        Some(scalar::Mape {
            epsilon: self.config.epsilon as f32,
        })
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let denominator = y.clone().abs().clamp_min(self.config.epsilon);
        error(x, y).abs() / denominator * 100.0
    }
}
elementwise_loss_api!(MapeLoss);

loss_config! {
    /// Configuration of [`SmapeLoss`] (`"type": "smape"` in a [`LossConfig`](crate::LossConfig)).
    SmapeLossConfig("smape", defaults "epsilon 1e-7, mean") {
        /// Floor `ε > 0` of the denominator `|y| + |ŷ|`. Default `1e-7` (Keras' epsilon).
        epsilon: f64 = keras_epsilon() => with_epsilon,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Symmetric mean absolute percentage error (Makridakis 1993; the M3/M4 competitions' sMAPE),
    /// in percent: the absolute error over the mean of `|y|` and `|ŷ|`:
    ///
    /// ```text
    /// ℓ = 200 · |y − ŷ| / max(|y| + |ŷ|, ε)          (0 ≤ ℓ ≤ 200)
    /// ```
    ///
    /// The gradient flows through `|ŷ|` in the denominator too; subgradients at `ŷ = y` and
    /// `ŷ = 0`: 0 for the `|·|` there.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    SmapeLoss;
    forward same_shape;
}

impl ElementwiseLoss for SmapeLoss {
    const NAME: &'static str = "smape";
    type Scalar = scalar::Smape;

    fn scalar(&self) -> Option<scalar::Smape> {
        Some(scalar::Smape {
            epsilon: self.config.epsilon as f32,
        })
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let denominator = (y.clone().abs() + x.clone().abs()).clamp_min(self.config.epsilon);
        error(x, y).abs() / denominator * 200.0
    }
}
elementwise_loss_api!(SmapeLoss);

loss_config! {
    /// Configuration of [`MsleLoss`] (`"type": "msle"` in a [`LossConfig`](crate::LossConfig)).
    MsleLossConfig("msle", defaults "epsilon 1e-7, mean") {
        /// Floor `ε > 0` of `ŷ` and `y` inside the logarithms. Default `1e-7` (Keras).
        epsilon: f64 = keras_epsilon() => with_epsilon,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Mean squared logarithmic error (Keras `mean_squared_logarithmic_error`):
    ///
    /// ```text
    /// ℓ = (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²
    /// ```
    ///
    /// Computed as `log1p((ŷ' − y') / (1 + y'))²` (`ŷ' = max(ŷ, ε)`, `y' = max(y, ε)`), the same
    /// value without the cancellation of two close logarithms. Predictions below ε get no
    /// gradient (the floor is flat there).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    MsleLoss;
    forward same_shape;
}

impl ElementwiseLoss for MsleLoss {
    const NAME: &'static str = "msle";
    type Scalar = scalar::Msle;

    fn scalar(&self) -> Option<scalar::Msle> {
        Some(scalar::Msle {
            epsilon: self.config.epsilon as f32,
        })
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let eps = self.config.epsilon;
        let (x, y) = (x.clamp_min(eps), y.clamp_min(eps));
        // log1p(x) − log1p(y) as one log1p((x − y) / (1 + y)): no cancellation when ŷ ≈ y
        ((x - y.clone()) / (y + 1.0)).log1p().powi_scalar(2)
    }
}
elementwise_loss_api!(MsleLoss);

// ---------------------------------------------------------------------------------------------
// poisson, gaussian_nll
// ---------------------------------------------------------------------------------------------

loss_config! {
    /// Configuration of [`PoissonLoss`] (`"type": "poisson"` in a
    /// [`LossConfig`](crate::LossConfig)).
    PoissonLossConfig("poisson", defaults "log_input false, full false, epsilon 1e-7, mean") {
        /// `false` (default): `input` is the rate `λ >= 0` (Keras `poisson`). `true`: `input` is
        /// `log λ` (PyTorch `PoissonNLLLoss()`'s default).
        log_input: bool = false => with_log_input,
        /// Add Stirling's approximation of `log(y!)` for `y > 1`, making the loss the full
        /// negative log-likelihood (PyTorch `full=True`). Default `false`.
        full: bool = false => with_full,
        /// `ε > 0` in `log(λ + ε)` (log_input false). Default `1e-7` (Keras; PyTorch uses `1e-8`).
        epsilon: f64 = keras_epsilon() => with_epsilon,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Poisson negative log-likelihood of counts `y >= 0`, up to `log(y!)`:
    ///
    /// ```text
    /// log_input false:  ℓ = λ − y·log(λ + ε)           (Keras poisson; PyTorch log_input=False)
    /// log_input true:   ℓ = exp(x) − y·x               (PyTorch PoissonNLLLoss)
    /// full:             ℓ += y·log y − y + ½·log(2π·y)   where y > 1
    /// ```
    ///
    /// Rates `λ` must be `>= 0` and targets `>= 0` (checked).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    PoissonLoss;
    forward same_shape;
}

impl ElementwiseLoss for PoissonLoss {
    const NAME: &'static str = "poisson";
    type Scalar = scalar::Poisson;

    fn scalar(&self) -> Option<scalar::Poisson> {
        Some(scalar::Poisson {
            log_input: self.config.log_input,
            full: self.config.full,
            epsilon: self.config.epsilon as f32,
        })
    }

    fn check_values(&self, input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<()> {
        check_float_range(
            PoissonLossConfig::NAME,
            "target",
            target,
            0.0,
            f64::INFINITY,
            "counts >= 0",
        )?;
        if self.config.log_input {
            return Ok(());
        }
        check_float_range(
            PoissonLossConfig::NAME,
            "input",
            input,
            0.0,
            f64::INFINITY,
            "rates >= 0 (log_input = false)",
        )
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let nll = if self.config.log_input {
            x.clone().exp() - y.clone() * x
        } else {
            x.clone() - y.clone() * (x + self.config.epsilon).log()
        };
        if !self.config.full {
            return nll;
        }
        // Stirling's term, 0 for y ≤ 1 (evaluated at max(y, 1) so the masked side stays finite)
        let at_least_1 = y.clone().clamp_min(1.0);
        let stirling = at_least_1.clone() * at_least_1.clone().log() - at_least_1.clone()
            + (at_least_1 * (2.0 * core::f64::consts::PI)).log() * 0.5;
        nll + stirling.mask_fill(y.lower_equal_elem(1.0), 0.0)
    }
}
elementwise_loss_api!(PoissonLoss);

loss_config! {
    /// Configuration of [`GaussianNllLoss`] (`"type": "gaussian_nll"` in a
    /// [`LossConfig`](crate::LossConfig)).
    GaussianNllLossConfig("gaussian_nll", defaults "full false, epsilon 1e-6, mean") {
        /// Add the constant `½·log(2π)`. Default `false` (PyTorch).
        full: bool = false => with_full,
        /// Floor `ε > 0` of the variance, for stability (PyTorch's `eps`, also accepted as
        /// `"eps"`). Default `1e-6` (PyTorch).
        #[serde(alias = "eps")]
        epsilon: f64 = 1e-6 => with_epsilon,
        /// `"mean"` (default, over all elements of `input`), `"sum"` or `"none"` (the input's
        /// shape).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Gaussian negative log-likelihood (PyTorch `GaussianNLLLoss`) of `target` under
    /// `N(input, var)`, with the extra input `var` (predicted variances, `>= 0`):
    ///
    /// ```text
    /// ℓ = ½·(log(max(var, ε)) + (input − target)² / max(var, ε))   (+ ½·log(2π) if full)
    /// ```
    ///
    /// `var` has the shape of `input`, or that shape with the last dimension 1 (one variance per
    /// row), or that shape without its last dimension (PyTorch's homoscedastic forms). As in
    /// PyTorch the floor is applied without gradient: `∂ℓ/∂var` is evaluated at the floored
    /// value and passed through as if unclamped.
    ///
    /// # Shapes
    /// - `input`, `target`: `[N, …]`; `var`: as above; optional `weight` `[N]`
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    GaussianNllLoss;
    forward "`target` under `N(input, var)` (`var` of the shape of `input`; the broadcast forms through `forward_inputs`)",
        <const D: usize> (input: Tensor<D> => with_float, target: Tensor<D> => with_float, var: Tensor<D> => with_float),
        optional weight: Tensor<1> => with_float, unreduced Tensor<D>;
}

impl GaussianNllLoss {
    fn terms(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        var: &DynTensor<Float>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<ElementLoss<2>> {
        const NAME: &str = "gaussian_nll";
        check_same_shape_inputs(NAME, input, target, weight)?;
        check_same_dtype(NAME, "var", Some(var), input)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let rank = input.shape.len();
        let last = input.shape[rank - 1];
        let without_last = &input.shape[..rank - 1];
        let rows = m.checked_div(last).unwrap_or(0);
        let var_2d = if var.shape == input.shape {
            var.view([n, m])
        } else if var.shape.len() == rank
            && &var.shape[..rank - 1] == without_last
            && var.shape[rank - 1] == 1
            || rank > 1 && var.shape == without_last
        {
            var.view([n * rows, 1]).expand([n * rows, last]).reshape([n, m])
        } else {
            return Err(LossError::input(
                NAME,
                "var",
                format!(
                    "the shape of `input` {}, that shape with the last dimension 1, or without it",
                    fmt_shape(&input.shape)
                ),
                fmt_shape(&var.shape),
            ));
        };
        check_float_range(NAME, "var", var, 0.0, f64::INFINITY, "variances >= 0")?;
        // PyTorch clamps under no_grad: the floored value, the unclamped gradient
        let floored = var_2d.clone() + (var_2d.clone().clamp_min(self.config.epsilon) - var_2d).detach();
        let d = error(input.view([n, m]), target.view([n, m]));
        let mut loss = (floored.clone().log() + d.powi_scalar(2) / floored) * 0.5;
        if self.config.full {
            loss = loss + 0.5 * (2.0 * core::f64::consts::PI).ln();
        }
        Ok(ElementLoss::new(loss).weighted(sample_weight_2d(weight, n, m)))
    }
}

impl crate::loss::LossModule for GaussianNllLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        const NAME: &str = "gaussian_nll";
        inputs.only(NAME, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(NAME, "input")?;
        check_rank_at_least_1(NAME, "input", &input)?;
        let target = inputs.float(NAME, "target")?;
        let var = inputs.float(NAME, "var")?;
        let weight = inputs.float_opt("weight")?;
        check_sample_weight(NAME, weight.as_ref(), &input)?;
        let terms = self.terms(&input, &target, &var, weight.as_ref())?;
        let reduction = self.config.reduction;
        let loss = reduce_with_sample_weight(terms, reduction, weight.as_ref());
        Ok(reduced_to_dyn(loss, input.shape.clone(), reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Probabilities
    }

    fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(crate::loss::not_a_classification_loss(
            "gaussian_nll",
            "`input`, `target` and the predicted variances `var` of a regression",
        ))
    }
}
