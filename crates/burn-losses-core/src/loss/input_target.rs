//! The shared `forward` machinery of losses called as `(input, target, optional weight)`.

use burn::tensor::{Float, Tensor};

use crate::error::LossResult;
use crate::reduction::reduced_to_dyn;
use crate::tensor::dynamic::DynTensor;
use crate::tensor::dynamic::check_non_empty;

/// The shared `forward` machinery of losses called as `(input, target, optional weight)`.
///
/// A loss implements [`element_loss`](Self::element_loss) once, on rank-erased tensors; its
/// named-argument `forward_inputs` is [`forward_named`](Self::forward_named) below, and its typed
/// API comes from the `forward` clause of its declaration.
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

    fn forward_named(&self, inputs: &crate::tensor::dynamic::LossInputs) -> LossResult<DynTensor>
    where
        Self: crate::loss::DeclaredArguments,
    {
        inputs.only(
            Self::NAME,
            <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES,
        )?;
        let input = inputs.float(Self::NAME, "input")?;
        let target = Self::target_argument(inputs)?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.reduction();
        let (loss, shape) = self.loss_with(&input, &target, weight.as_ref(), reduction)?;
        Ok(reduced_to_dyn(loss, shape, reduction))
    }
}
