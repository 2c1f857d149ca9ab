//! Input checks: shapes, dtypes, and the value checks that read tensors back to the host (class
//! indices in range, probabilities in `[0, 1]`, …), which [`set_trusted_inputs`] turns off.

use burn::tensor::{Float, Int, Tensor};

use crate::error::{LossError, LossResult, fmt_shape};
use crate::tensor::dynamic::DynTensor;

thread_local! {
    static TRUSTED_INPUTS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Skips (`true`) or runs (`false`, the default) the input checks that read tensor values back
/// to the host, for the losses computed on this thread; returns the previous setting.
///
/// Those checks (class indices in `[0, C)`, targets and probabilities in `[0, 1]`, labels `±1`,
/// …) each cost one device sync, which on a GPU stalls the queue between the forward and the
/// backward; a training loop whose data pipeline already guarantees valid values can switch
/// them off. Shape, rank, length and dtype checks, which read no values, always run. With the
/// checks off, an invalid value is not reported: the loss returns a wrong value, NaN, or fails
/// inside burn, as a plain tensor expression would. The check is per thread (set it on the
/// thread that calls the loss, e.g. the one running burn-train's `fit`).
pub fn set_trusted_inputs(trusted: bool) -> bool {
    TRUSTED_INPUTS.with(|flag| flag.replace(trusted))
}

/// Whether the value checks are off on this thread (see [`set_trusted_inputs`]).
pub fn trusted_inputs() -> bool {
    TRUSTED_INPUTS.with(std::cell::Cell::get)
}

/// Reads back `[min, max]` of a float tensor (one device sync).
pub(crate) fn float_min_max(t: &Tensor<1, Float>) -> (f64, f64) {
    let both = Tensor::cat(vec![t.clone().min(), t.clone().max()], 0);
    let v: Vec<f64> = both.into_data().iter::<f64>().collect();
    (v[0], v[1])
}

/// Reads back `[min, max]` of an integer tensor (one device sync).
pub(crate) fn int_min_max(t: &Tensor<1, Int>) -> (i64, i64) {
    let both = Tensor::cat(vec![t.clone().min(), t.clone().max()], 0);
    let v: Vec<i64> = both.into_data().iter::<i64>().collect();
    (v[0], v[1])
}

/// Checks that every element of `t` lies in `[lo, hi]` (NaN fails too).
pub(crate) fn check_float_range(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<Float>,
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if t.numel() == 0 || trusted_inputs() {
        return Ok(());
    }
    let (min, max) = float_min_max(&t.flat);
    range_result(loss, argument, min, max, lo, hi, what)
}

/// [`check_float_range`] on host values (what the fused kernels read anyway): the same check,
/// the same message, no device work.
pub(crate) fn check_host_range(
    loss: &'static str,
    argument: &str,
    values: &[f32],
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if values.is_empty() || trusted_inputs() {
        return Ok(());
    }
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    let mut nan = false;
    for block in values.chunks(1024) {
        // lane-wise, so that the loop vectorises
        let mut lanes_min = [f32::INFINITY; 8];
        let mut lanes_max = [f32::NEG_INFINITY; 8];
        let mut eights = block.chunks_exact(8);
        for eight in &mut eights {
            for ((lo, hi), &v) in lanes_min.iter_mut().zip(lanes_max.iter_mut()).zip(eight) {
                nan |= v.is_nan();
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        for &v in eights.remainder() {
            nan |= v.is_nan();
            min = min.min(v);
            max = max.max(v);
        }
        min = lanes_min.iter().copied().fold(min, f32::min);
        max = lanes_max.iter().copied().fold(max, f32::max);
    }
    if nan {
        (min, max) = (f32::NAN, f32::NAN);
    }
    range_result(loss, argument, min as f64, max as f64, lo, hi, what)
}

/// `Ok` when `[min, max]` lies in `[lo, hi]` (NaN fails), else the error of the range checks.
fn range_result(
    loss: &'static str,
    argument: &str,
    min: f64,
    max: f64,
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if min >= lo && max <= hi {
        Ok(())
    } else {
        Err(LossError::input(
            loss,
            argument,
            format!("{what} in [{lo}, {hi}]"),
            format!("values in [{min}, {max}]"),
        ))
    }
}

/// A float argument must have the float dtype of `input` (burn does not mix dtypes in one op).
pub(crate) fn check_same_dtype(
    loss: &'static str,
    argument: &str,
    tensor: Option<&DynTensor<Float>>,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    if let Some(t) = tensor
        && t.flat.dtype() != input.flat.dtype()
    {
        return Err(LossError::input(
            loss,
            argument,
            format!("dtype {:?} (the dtype of `input`)", input.flat.dtype()),
            format!("dtype {:?}", t.flat.dtype()),
        ));
    }
    Ok(())
}

/// Checks an optional per-sample weight: shape `[N]` (the batch size of `input`) and the dtype
/// of `input`.
pub(crate) fn check_sample_weight(
    loss: &'static str,
    weight: Option<&DynTensor<Float>>,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    let batch = input.shape[0];
    if let Some(w) = weight
        && w.shape != [batch]
    {
        return Err(LossError::input(
            loss,
            "weight",
            format!("per-sample weights of shape [{batch}] (the batch size)"),
            format!("shape {}", fmt_shape(&w.shape)),
        ));
    }
    check_same_dtype(loss, "weight", weight, input)
}

/// A target of class indices `[N]` for `N` samples.
pub(crate) fn check_class_index_target(
    loss: &'static str,
    target_shape: &[usize],
    n: usize,
) -> LossResult<()> {
    if target_shape == [n] {
        return Ok(());
    }
    Err(LossError::input(
        loss,
        "target",
        format!("class indices of shape [{n}]"),
        fmt_shape(target_shape),
    ))
}

/// A config list of class weights must have one weight per class of the input's dim 1.
pub(crate) fn check_class_weight_count(
    loss: &'static str,
    weight: Option<&Vec<f32>>,
    c: usize,
) -> LossResult<()> {
    match weight {
        Some(weight) if weight.len() != c => Err(LossError::input(
            loss,
            "input",
            format!(
                "{} classes along dim 1 (the length of config field `weight`)",
                weight.len()
            ),
            format!("{c} classes"),
        )),
        _ => Ok(()),
    }
}

/// Every (non-ignored) class index of `t` must lie in `[0, C)`; `ignore` is named in the message
/// (the caller has already pointed ignored positions at a valid class).
pub(crate) fn check_class_indices(
    loss: &'static str,
    t: &Tensor<2, Int>,
    c: usize,
    ignore: Option<i64>,
) -> LossResult<()> {
    if t.shape().num_elements() == 0 || trusted_inputs() {
        return Ok(());
    }
    let (min, max) = int_min_max(&t.clone().flatten(0, 1));
    if min < 0 || max >= c as i64 {
        let ignore = match ignore {
            Some(i) => format!(" (or ignore_index {i})"),
            None => String::new(),
        };
        return Err(LossError::input(
            loss,
            "target",
            format!("class indices in [0, {c}){ignore}"),
            format!("indices in [{min}, {max}]"),
        ));
    }
    Ok(())
}

/// Class indices `[N, S]` with an `ignore_index`: the ignored positions are pointed at class 0
/// (so that gathers and one-hot encodings stay in range) and returned as the mask of the kept
/// positions (`None` without an `ignore_index`); every other index must lie in `[0, classes)`.
pub(crate) fn class_indices_without_ignored(
    loss: &'static str,
    t: Tensor<2, Int>,
    classes: usize,
    ignore: Option<i64>,
) -> LossResult<(Tensor<2, Int>, Option<Tensor<2, burn::tensor::Bool>>)> {
    let valid = ignore.map(|ignore| t.clone().not_equal_elem(ignore));
    let t = match &valid {
        Some(valid) => t.mask_fill(valid.clone().bool_not(), 0),
        None => t,
    };
    check_class_indices(loss, &t, classes, ignore)?;
    Ok((t, valid))
}

/// With `from_logits = false`, `input` must hold probabilities in `[0, 1]`.
pub(crate) fn check_probability_input(
    loss: &'static str,
    from_logits: bool,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    if from_logits {
        return Ok(());
    }
    check_float_range(
        loss,
        "input",
        input,
        0.0,
        1.0,
        "probabilities (from_logits = false)",
    )
}

/// The checks of every loss called as `(input, target, weight)` on one shape: `input` of rank
/// >= 1, `target` of the same shape and dtype, per-sample `weight [N]`.
pub(crate) fn check_same_shape_inputs(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
) -> LossResult<()> {
    check_rank_at_least_1(loss, "input", input)?;
    check_target_shape(loss, input, target)?;
    check_sample_weight(loss, weight, input)?;
    check_same_dtype(loss, "target", Some(target), input)
}

/// A tensor argument must not be a scalar (its dim 0 is the batch).
pub(crate) fn check_rank_at_least_1(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<Float>,
) -> LossResult<()> {
    if t.shape.is_empty() {
        return Err(LossError::input(
            loss,
            argument,
            "a tensor of rank >= 1",
            "a scalar",
        ));
    }
    Ok(())
}

/// The checks of every binary / multi-label loss called as `(input, target, weight)`: those of
/// [`check_same_shape_inputs`], target values in `[0, 1]`, probabilities in `[0, 1]` when
/// `from_logits = false`.
pub(crate) fn check_binary_inputs(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
    from_logits: bool,
) -> LossResult<()> {
    check_same_shape_inputs(loss, input, target, weight)?;
    check_float_range(loss, "target", target, 0.0, 1.0, BINARY_TARGETS)?;
    check_probability_input(loss, from_logits, input)
}

/// What the binary losses' `target` must hold (the range checks' wording).
pub(crate) const BINARY_TARGETS: &str = "target probabilities";

/// `target` of exactly the shape of `input`.
pub(crate) fn check_target_shape(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
) -> LossResult<()> {
    if target.shape == input.shape {
        return Ok(());
    }
    Err(LossError::input(
        loss,
        "target",
        format!("the shape of `input` {}", fmt_shape(&input.shape)),
        fmt_shape(&target.shape),
    ))
}
