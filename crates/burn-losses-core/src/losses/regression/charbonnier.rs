//! [`CharbonnierLoss`]: the robust L1 penalty of image restoration.

use burn::tensor::Tensor;

use crate::error::check;
use crate::loss::declare::loss_config;
use crate::loss::elementwise::{ElementwiseLoss, elementwise_loss_api};
use crate::reduction::Reduction;

loss_config! {
    /// Configuration of [`CharbonnierLoss`] (`"type": "charbonnier"` in a
    /// [`LossConfig`](crate::LossConfig)).
    CharbonnierLossConfig("charbonnier", defaults "epsilon 1e-3, mean") {
        /// `ε > 0` under the root: the penalty is quadratic for `|d| ≪ ε` and `≈ |d|` beyond.
        /// Default `1e-3` (Lai et al. 2017, LapSRN).
        epsilon: f64 = 1e-3 => with_epsilon,
        /// `true`: Keras's per-sample loss, the mean over the last axis before the weight and the
        /// reduction (see [Keras reductions](crate#keras-reductions)). Default `false`.
        reduce_last_axis: bool = false => with_reduce_last_axis,
        /// `"mean"` (default, over all elements), `"sum"` or `"none"` (the input's shape).
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) { check::positive(Self::NAME, "epsilon", self.epsilon) }
    /// Charbonnier loss (Charbonnier et al. 1994; the robust L1 of Lai et al. 2017, "Deep
    /// Laplacian Pyramid Networks for Fast and Accurate Super-Resolution"), `d = ŷ − y`:
    ///
    /// ```text
    /// ℓ = √(d² + ε²)
    /// ```
    ///
    /// Smooth everywhere (gradient `d / √(d² + ε²)`, 0 at `d = 0`), `≈ |d|` for `|d| ≫ ε`. kornia
    /// 0.9's `charbonnier_loss` is the same penalty at `ε = 1` minus 1 (`√(d² + 1) − 1`).
    ///
    /// # Shapes
    /// - `input`, `target`: any shape, the same; optional per-sample `weight [N]`
    /// - output: `[1]` (mean, sum); the input's shape (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss: there is no other degenerate
    /// case.
    CharbonnierLoss;
    forward same_shape;
}

impl ElementwiseLoss for CharbonnierLoss {
    const NAME: &'static str = "charbonnier";
    type Scalar = super::scalar::Charbonnier;

    fn scalar(&self) -> Option<super::scalar::Charbonnier> {
        Some(super::scalar::Charbonnier {
            epsilon: self.config.epsilon as f32,
        })
    }

    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let epsilon = self.config.epsilon;
        ((x - y).powi_scalar(2) + epsilon * epsilon).sqrt()
    }
}
elementwise_loss_api!(CharbonnierLoss);
