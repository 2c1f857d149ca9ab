//! The shared `forward` machinery of losses called as `(input, target, optional weight)`.

use burn::tensor::{Float, Tensor};

use crate::error::LossResult;
use crate::reduction::reduced_to_dyn;
use crate::tensor::dynamic::DynTensor;
use crate::tensor::dynamic::check_non_empty;

/// The shared `forward` machinery of losses called as `(input, target, optional weight)`.
///
/// A loss implements [`element_loss`](Self::element_loss) once, on rank-erased tensors; the typed
/// `forward` / `try_forward` / `forward_no_reduction` and the named-argument `forward_inputs` of
/// every such loss are the provided methods below.
pub(crate) trait InputTargetLoss {
    /// snake_case loss name used in messages.
    const NAME: &'static str;
    /// `Float` (binary targets) or `Int` (class indices).
    type Target: crate::tensor::dynamic::DynKind;

    /// The configured reduction.
    fn reduction(&self) -> crate::reduction::Reduction;

    /// Checks the inputs and builds the element losses; also returns the logical shape of the
    /// unreduced output.
    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(crate::reduction::ElementLoss<2>, Vec<usize>)>;

    /// Reads the `target` argument of the right kind.
    fn target_argument(inputs: &crate::tensor::dynamic::LossInputs) -> LossResult<DynTensor<Self::Target>>;

    /// The loss by a [fused kernel](crate::fused), checks included, when one applies to these
    /// inputs: flat `[numel]` for `"none"`, `[1]` otherwise, with the logical shape of the
    /// unreduced loss. `None` (the default): the composed [`element_loss`](Self::element_loss)
    /// path.
    fn fused_loss(
        &self,
        _input: &DynTensor<Float>,
        _target: &DynTensor<Self::Target>,
        _weight: Option<&DynTensor<Float>>,
        _reduction: crate::reduction::Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        None
    }

    /// The loss with `reduction`, fused or composed, and the logical shape of the unreduced loss.
    fn loss_with(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
        reduction: crate::reduction::Reduction,
    ) -> LossResult<(Tensor<1>, Vec<usize>)> {
        check_non_empty(Self::NAME, "input", input)?;
        check_non_empty(Self::NAME, "target", target)?;
        if let Some(fused) = self.fused_loss(input, target, weight, reduction) {
            return fused;
        }
        let (terms, shape) = self.element_loss(input, target, weight)?;
        Ok((terms.reduce(reduction), shape))
    }

    fn try_forward_typed<const D: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        weight: Option<Tensor<1>>,
    ) -> LossResult<Tensor<1>> {
        let (loss, _) = self.loss_with(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            weight.map(DynTensor::from_tensor).as_ref(),
            self.reduction(),
        )?;
        Ok(loss)
    }

    fn forward_no_reduction_typed<const D: usize, const DO: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        out_dims: [usize; DO],
    ) -> LossResult<Tensor<DO>> {
        let (loss, _) = self.loss_with(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            None,
            crate::reduction::Reduction::None,
        )?;
        Ok(loss.reshape(out_dims))
    }

    fn forward_named(&self, inputs: &crate::tensor::dynamic::LossInputs) -> LossResult<DynTensor> {
        inputs.only(Self::NAME, &["input", "target", "weight"])?;
        let input = inputs.float(Self::NAME, "input")?;
        let target = Self::target_argument(inputs)?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.reduction();
        let (loss, shape) = self.loss_with(&input, &target, weight.as_ref(), reduction)?;
        Ok(reduced_to_dyn(loss, shape, reduction))
    }
}
