//! The shared `forward` machinery of losses called as `(input, target, optional weight)`.

use burn::tensor::{Float, Tensor};

use crate::error::{LossError, LossResult, fmt_shape};
use crate::reduction::{ElementLoss, Reduction, reduce_with_sample_weight, reduced_to_dyn};
use crate::tensor::checks::check_same_dtype;
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

    /// Keras's per-sample loss: `true` when the config's `reduce_last_axis` is set (the
    /// element-wise losses and the BCE / focal family have the field; default `false`).
    fn reduce_last_axis(&self) -> bool {
        false
    }

    /// Whether the loss takes Keras's per-position sample weights and `"mean_with_sample_weight"`
    /// divisor (default `true`; RMSE, whose root is not a sum of terms, does not).
    fn takes_keras_weights(&self) -> bool {
        true
    }

    /// The loss with `reduction`, fused or composed, and the logical shape of the unreduced loss.
    fn loss_with(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
    ) -> LossResult<(Tensor<1>, Vec<usize>)> {
        check_non_empty(Self::NAME, "input", input)?;
        check_non_empty(Self::NAME, "target", target)?;
        let per_sample = self.reduce_last_axis();
        if self.takes_keras_weights()
            && let Some(late) = keras_mode(weight, reduction, per_sample)
        {
            return self.keras_loss_with(input, target, weight, reduction, per_sample, late);
        }
        if let Some(fused) = self.fused_loss(input, target, weight, reduction) {
            return fused;
        }
        let (terms, shape) = self.element_loss(input, target, weight)?;
        Ok((terms.reduce(reduction), shape))
    }

    /// Keras 3's `Loss.__call__` on this loss's element losses (never fused): with `per_sample`,
    /// the mean over the last axis first (`keras.losses.mean_squared_error` and its kin), whose
    /// shape (the input's without its last axis) is the `"none"` shape; then the sample weight —
    /// `[N]` or `[N, 1]` per sample, or one weight per loss position (the `"none"` shape: Keras's
    /// per-timestep `[N, T]`); then the reduction, `"mean_with_sample_weight"` dividing by the
    /// sum of the weights as given (0 when it is 0: Keras's `divide_no_nan`).
    fn keras_loss_with(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
        reduction: Reduction,
        per_sample: bool,
        late_weight: bool,
    ) -> LossResult<(Tensor<1>, Vec<usize>)> {
        let (terms, shape) = self.element_loss(input, target, if late_weight { None } else { weight })?;
        let (terms, shape) = if per_sample {
            last_axis_reduced(Self::NAME, terms, &shape, false)?
        } else {
            (terms, shape)
        };
        let loss = keras_reduce(Self::NAME, terms, &shape, input, weight, late_weight, reduction)?;
        Ok((loss, shape))
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

/// Keras 3's weighting and reduction of element losses `terms` of logical `shape`: `weight`
/// applied here when `late` (per sample `[N]` / `[N, 1]` or per position; otherwise the loss has
/// applied it), then `reduction`, `"mean_with_sample_weight"` dividing by Σ `weight` as given
/// (0 when that is 0, Keras's `divide_no_nan`).
pub(crate) fn keras_reduce(
    loss: &'static str,
    terms: ElementLoss<2>,
    shape: &[usize],
    input: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
    late: bool,
    reduction: Reduction,
) -> LossResult<Tensor<1>> {
    let terms = match weight {
        Some(w) if late => {
            check_same_dtype(loss, "weight", Some(w), input)?;
            terms.weighted(Some(position_weights(loss, w, shape)?))
        }
        _ => terms,
    };
    Ok(reduce_with_sample_weight(terms, reduction, weight))
}

/// Whether a call takes the Keras path ([`keras_reduce`]) — Keras's per-sample loss
/// (`per_sample`), a per-position sample weight (rank ≥ 2) or the `"mean_with_sample_weight"`
/// divisor — and if so whether the weight is applied after the loss's own terms (`Some(true)`:
/// per sample or per position) or by the loss (`Some(false)`: a `[N]` weight on the loss's
/// terms).
pub(crate) fn keras_mode(
    weight: Option<&DynTensor<Float>>,
    reduction: Reduction,
    per_sample: bool,
) -> Option<bool> {
    let per_position = weight.is_some_and(|w| w.shape.len() > 1);
    let divisor = weight.is_some() && reduction == Reduction::MeanWithSampleWeight;
    (per_sample || per_position || divisor).then_some(per_sample || per_position)
}

/// The element losses `[N, M]` of logical `shape` `[N, …, K]` averaged over the last axis (summed
/// with `sum`: Keras's `kl_divergence`): Keras's per-sample loss `[N, M / K]`, of logical shape
/// `[N, …]`. Masked elements count as 0 (in the mean's denominator too) and per-loss `"mean"`
/// denominators are replaced by Keras's.
pub(crate) fn last_axis_reduced(
    loss: &'static str,
    terms: ElementLoss<2>,
    shape: &[usize],
    sum: bool,
) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
    if shape.len() < 2 {
        return Err(LossError::input(
            loss,
            "input",
            "rank >= 2 with reduce_last_axis (Keras reduces each sample's last axis: [N, …, K])",
            format!("shape {}", fmt_shape(shape)),
        ));
    }
    let (n, k) = (shape[0], shape[shape.len() - 1]);
    let rows = shape[1..shape.len() - 1].iter().product::<usize>();
    let per_row = terms.unreduced().reshape([n * rows, k]);
    let values = if sum {
        per_row.sum_dim(1)
    } else {
        per_row.mean_dim(1)
    }
    .reshape([n, rows]);
    Ok((ElementLoss::new(values), shape[..shape.len() - 1].to_vec()))
}

/// Keras's sample weights on losses of logical `shape` (viewed `[N, R]`): `[N]` or `[N, 1]` per
/// sample, or the loss's own shape (one weight per position, e.g. per timestep `[N, T]`).
fn position_weights(loss: &'static str, weight: &DynTensor<Float>, shape: &[usize]) -> LossResult<Tensor<2>> {
    let n = shape[0];
    let r = shape[1..].iter().product::<usize>();
    if weight.shape == [n] || weight.shape == [n, 1] {
        Ok(weight.view([n, 1]).expand([n, r]))
    } else if weight.shape == shape {
        Ok(weight.view([n, r]))
    } else {
        Err(LossError::input(
            loss,
            "weight",
            format!(
                "per-sample weights [{n}] or [{n}, 1], or one weight per loss position {}",
                fmt_shape(shape)
            ),
            format!("shape {}", fmt_shape(&weight.shape)),
        ))
    }
}
