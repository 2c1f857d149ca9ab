//! One-hot encodings of class indices, and the shape rules of class-index targets.

use burn::tensor::{Int, Tensor};

use crate::error::{LossError, LossResult, fmt_shape};
use crate::tensor::checks::check_class_indices;
use crate::tensor::dynamic::DynTensor;

/// `[N, C]`: `true` where column `c` is the class index of row `n` (indices `[N]`). Any `C ≥ 1`
/// (burn's `one_hot` refuses `C < 2`).
pub(crate) fn one_hot_mask(t: Tensor<1, Int>, c: usize) -> Tensor<2, burn::tensor::Bool> {
    let [n] = t.dims();
    let classes = Tensor::<1, Int>::arange(0..c as i64, &t.device())
        .reshape([1, c])
        .expand([n, c]);
    t.reshape([n, 1]).expand([n, c]).equal(classes)
}

/// [`one_hot_mask`] as 0 / 1 in `dtype`.
pub(crate) fn one_hot(t: Tensor<1, Int>, c: usize, dtype: burn::tensor::DType) -> Tensor<2> {
    one_hot_mask(t, c).float().cast(dtype)
}

/// One-hot `[N, C]` float targets of class indices `[N]`, in the dtype of `input [N, C]`: the
/// multi-label view of a multiclass problem that the binary losses train on ([`one_hot`]: `C = 1`
/// is a valid, trivial problem here — one output logit; PML's ArcFace with one class scores 0).
pub(crate) fn one_hot_like(input: &Tensor<2>, targets: Tensor<1, Int>) -> Tensor<2> {
    let [_, c] = input.dims();
    one_hot(targets, c, input.dtype())
}

/// One-hot `[N, C, S]` floats of class indices `[N, S]` (all in `[0, C)`), in `dtype`.
pub(crate) fn one_hot_classes(t: Tensor<2, Int>, c: usize, dtype: burn::tensor::DType) -> Tensor<3> {
    let [n, s] = t.dims();
    one_hot(t.reshape([n * s]), c, dtype)
        .reshape([n, s, c])
        .swap_dims(1, 2)
}

/// `[N, spatial…]`: the shape of the class-index target of an input `[N, C, spatial…]`.
pub(crate) fn pixel_shape(input_shape: &[usize]) -> Vec<usize> {
    std::iter::once(input_shape[0])
        .chain(input_shape[2..].iter().copied())
        .collect()
}

/// Class-index targets of an input `[N, C, spatial…]` must have shape `[N, spatial…]`;
/// `alternative` (e.g. ", or probabilities …") is added to the expectation.
pub(crate) fn check_class_target_shape(
    loss: &'static str,
    input_shape: &[usize],
    target_shape: &[usize],
    alternative: &str,
) -> LossResult<()> {
    let expected = pixel_shape(input_shape);
    if target_shape == expected.as_slice() {
        return Ok(());
    }
    Err(LossError::input(
        loss,
        "target",
        format!(
            "class indices of shape {} (input shape {} without the class dim 1){alternative}",
            fmt_shape(&expected),
            fmt_shape(input_shape)
        ),
        fmt_shape(target_shape),
    ))
}

/// One-hot `[N, C, spatial…]` floats (dtype of `input`) of class indices `[N, spatial…]`.
pub(crate) fn one_hot_target(
    name: &'static str,
    input: &DynTensor,
    target: &DynTensor<Int>,
) -> LossResult<DynTensor> {
    if input.shape.len() < 2 {
        return Err(LossError::input(
            name,
            "input",
            "shape [N, C, spatial...] to one-hot the class-index target",
            fmt_shape(&input.shape),
        ));
    }
    let (n, c) = (input.shape[0], input.shape[1]);
    check_class_target_shape(name, &input.shape, &target.shape, "")?;
    let s = target.numel().checked_div(n).unwrap_or(0);
    let t = target.view([n, s]);
    check_class_indices(name, &t, c, None)?;
    let one_hot = one_hot_classes(t, c, input.flat.dtype());
    Ok(DynTensor::new(one_hot.reshape([n * c * s]), input.shape.clone()))
}
