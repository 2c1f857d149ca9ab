//! Losses of `input` and `target` of one shape computed element by element: the
//! [`ElementwiseLoss`] trait and the API its losses share.

use burn::tensor::{Float, Tensor};

use crate::error::LossResult;
use crate::reduction::sample_weight_2d;
use crate::tensor::checks::{
    check_rank_at_least_1, check_same_dtype, check_sample_weight, check_target_shape,
};
use crate::tensor::dynamic::DynTensor;

/// An element-wise loss of `input` and `target` of one shape: the loss implements
/// [`values`](Self::values) on the `[N, M]` views; [`elementwise_loss_api`] provides its checks,
/// per-sample weights, reductions, typed `forward`s and [`LossModule`](crate::LossModule).
pub(crate) trait ElementwiseLoss {
    /// snake_case loss name used in messages.
    const NAME: &'static str;

    /// The loss's scalar form for the fused element-wise kernel.
    type Scalar: crate::fused::ScalarLoss;

    /// The scalar form of this loss as configured, `None` where the composed path must run.
    fn scalar(&self) -> Option<Self::Scalar>;

    /// Checks of the values of `input` / `target` beyond their shapes (default: none).
    fn check_values(&self, _input: &DynTensor<Float>, _target: &DynTensor<Float>) -> LossResult<()> {
        Ok(())
    }

    /// `target` as an `[N, M]` tensor for an `input` viewed as `[N, M]` (default: the same shape
    /// is required).
    fn target_2d(&self, input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<Tensor<2>> {
        same_shape_target_2d(Self::NAME, input, target)
    }

    /// The element losses of `x`, `y` (`[N, M]`).
    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2>;
}

/// `target` of the shape of `input` (checked), as its `[N, M]` view.
pub(crate) fn same_shape_target_2d(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
) -> LossResult<Tensor<2>> {
    check_target_shape(loss, input, target)?;
    let n = input.shape[0];
    Ok(target.view([n, input.numel().checked_div(n).unwrap_or(0)]))
}

/// The checks of an [`ElementwiseLoss`]'s arguments (the fused and the composed path's), and its
/// target as the `[N, M]` view.
pub(crate) fn elementwise_checks<L: ElementwiseLoss>(
    loss: &L,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
) -> LossResult<Tensor<2>> {
    check_rank_at_least_1(L::NAME, "input", input)?;
    check_sample_weight(L::NAME, weight, input)?;
    check_same_dtype(L::NAME, "target", Some(target), input)?;
    let y = loss.target_2d(input, target)?;
    loss.check_values(input, target)?;
    Ok(y)
}

/// The [`ElementLoss`](crate::ElementLoss) of an [`ElementwiseLoss`]: checks, values, per-sample
/// weights; the logical shape is the input's.
pub(crate) fn elementwise_terms<L: ElementwiseLoss>(
    loss: &L,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
) -> LossResult<(crate::reduction::ElementLoss<2>, Vec<usize>)> {
    let y = elementwise_checks(loss, input, target, weight)?;
    let n = input.shape[0];
    let m = input.numel().checked_div(n).unwrap_or(0);
    let values = loss.values(input.view([n, m]), y);
    let terms = crate::reduction::ElementLoss::new(values).weighted(sample_weight_2d(weight, n, m));
    Ok((terms, input.shape.clone()))
}

/// [`InputTargetLoss`] for an [`ElementwiseLoss`], and its [`LossModule`](crate::LossModule) by
/// [`binary_loss_api`]`(raw)` (the typed API comes from the declaration's `forward same_shape`).
macro_rules! elementwise_loss_api {
    ($loss:ident) => {
        impl $crate::loss::input_target::InputTargetLoss for $loss {
            const NAME: &'static str = <$loss as $crate::loss::elementwise::ElementwiseLoss>::NAME;
            type Target = burn::tensor::Float;

            fn reduction(&self) -> $crate::reduction::Reduction {
                self.config.reduction
            }

            fn reduce_last_axis(&self) -> bool {
                self.config.reduce_last_axis
            }

            fn target_argument(
                inputs: &$crate::tensor::dynamic::LossInputs,
            ) -> $crate::error::LossResult<$crate::tensor::dynamic::DynTensor> {
                inputs.float(
                    <Self as $crate::loss::input_target::InputTargetLoss>::NAME,
                    "target",
                )
            }

            fn element_loss(
                &self,
                input: &$crate::tensor::dynamic::DynTensor,
                target: &$crate::tensor::dynamic::DynTensor,
                weight: Option<&$crate::tensor::dynamic::DynTensor>,
            ) -> $crate::error::LossResult<($crate::reduction::ElementLoss<2>, Vec<usize>)> {
                $crate::loss::elementwise::elementwise_terms(self, input, target, weight)
            }

            /// The fused element-wise kernel on the loss's scalar form, when it has one.
            fn fused_loss(
                &self,
                input: &$crate::tensor::dynamic::DynTensor,
                target: &$crate::tensor::dynamic::DynTensor,
                weight: Option<&$crate::tensor::dynamic::DynTensor>,
                reduction: $crate::reduction::Reduction,
            ) -> Option<$crate::error::LossResult<(burn::tensor::Tensor<1>, Vec<usize>)>> {
                let scalar = $crate::loss::elementwise::ElementwiseLoss::scalar(self)?;
                $crate::fused::checked_elementwise_loss(scalar, input, target, weight, reduction, || {
                    $crate::loss::elementwise::elementwise_checks(self, input, target, weight).map(|_| ())
                })
            }
        }

        $crate::loss::declare::binary_loss_api!($loss, raw);
    };
}
pub(crate) use elementwise_loss_api;
