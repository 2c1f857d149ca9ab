//! The shared math of the losses, one home each: numerically stable log-sigmoid / sigmoid /
//! softmax, binary log-likelihoods and label smoothing.

use burn::tensor::Tensor;

/// Binary label smoothing `y ← y·(1 − s) + s/2` (Keras); `y` unchanged for `s = 0`.
pub(crate) fn smooth_binary_target<const D: usize>(y: Tensor<D>, smoothing: f64) -> Tensor<D> {
    if smoothing > 0.0 {
        y * (1.0 - smoothing) + 0.5 * smoothing
    } else {
        y
    }
}

/// `(log p, log(1 − p))` of a binary input: from logits `(log_sigmoid(x), log_sigmoid(−x))`
/// (exact, no clipping); from probabilities (`from_logits = false`) the logarithms of `p`
/// clipped to `[epsilon, 1 − epsilon]` (Keras).
pub(crate) fn binary_log_likelihoods<const D: usize>(
    x: Tensor<D>,
    from_logits: bool,
    epsilon: f64,
) -> (Tensor<D>, Tensor<D>) {
    if from_logits {
        (log_sigmoid(x.clone()), log_sigmoid(x.neg()))
    } else {
        let clipped = x.clamp(epsilon, 1.0 - epsilon);
        (clipped.clone().log(), (clipped.neg() + 1.0).log())
    }
}

/// `log σ(x)` with a gradient that is accurate to f32 rounding on every backend.
///
/// Same value as burn's `activation::log_sigmoid`; the derivative `σ(−x)` is formed without the cancellation
/// `1 − σ(x)` that some backends' `log_sigmoid` backward has for large `x` (measured: flex differed
/// from ndarray / wgpu / tch by 2.4e-5 relative). For `x ≥ 0`: `−log1p(exp(−x))`; for `x < 0`:
/// `x − log1p(exp(x))`, each branch fed only its own half of the inputs so nothing overflows.
pub fn log_sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let negative = x.clone().lower_elem(0.0);
    let x_pos = x.clone().mask_fill(negative.clone(), 0.0);
    let x_neg = x.clone().mask_fill(negative.clone().bool_not(), 0.0);
    let upper = x_pos.neg().exp().log1p().neg();
    let lower = x_neg.clone() - x_neg.exp().log1p();
    upper.mask_where(negative, lower)
}

/// `σ(x)` as `exp(log σ(x))`: the same value as burn's `sigmoid`, with a backward pass
/// `σ(x)·σ(−x)` that has no `1 − σ(x)` cancellation, so that every backend agrees to f32 rounding
/// (smp computes its probabilities as `logsigmoid(x).exp()` for the same reason).
pub(crate) fn stable_sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    log_sigmoid(x).exp()
}

/// Softmax over `dim` as `exp(log_softmax(x))` (smp's form), for the same cross-backend
/// agreement of the gradient.
pub(crate) fn stable_softmax<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    burn::tensor::activation::log_softmax(x, dim).exp()
}

/// The focal power `max(x, f32::MIN_POSITIVE)^γ` (Lin et al. 2017's `(1 − p)^γ`, the focal
/// Tversky exponent, the self-adjusting Dice factor): `x` is floored at `f32::MIN_POSITIVE` so
/// that γ < 1 has a finite gradient where `x` underflows to 0 (the floor moves the value by at
/// most `1.2e-38^γ`). The fused kernels' scalar form is `fused::math::FocalPower`.
pub(crate) fn focal_power<const D: usize>(x: Tensor<D>, gamma: f64) -> Tensor<D> {
    powf(x.clamp_min(f32::MIN_POSITIVE), gamma)
}

/// `x^e` for any finite exponent: burn runs an integer-valued scalar exponent as an `i64` and
/// panics beyond its range, so an exponent that large (a config may hold any finite γ, α or p)
/// goes through the element-wise tensor power instead; every other exponent is burn's
/// `powf_scalar`.
pub(crate) fn powf<const D: usize>(x: Tensor<D>, e: f64) -> Tensor<D> {
    if e.fract() == 0.0 && e.abs() >= i64::MAX as f64 {
        let exponent = Tensor::<D>::full(x.shape(), e, &x.device()).cast(x.dtype());
        return x.powf(exponent);
    }
    x.powf_scalar(e)
}

/// The focal modulating factor `(1 − p)^γ` of `1 − p` ([`focal_power`]); `None` for `γ = 0`
/// (a factor of 1: the loss is left untouched).
pub(crate) fn modulating_factor<const D: usize>(one_minus_p: Tensor<D>, gamma: f64) -> Option<Tensor<D>> {
    if gamma == 0.0 {
        None
    } else {
        Some(focal_power(one_minus_p, gamma))
    }
}

/// `log(cosh(x))` without overflow: `|x| + log1p(exp(−2|x|)) − log 2` (finite for |x| up to
/// f32's range, ≈ |x| − log 2 for large |x|; gradient `tanh(x)`).
pub(crate) fn log_cosh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let a = x.abs();
    a.clone() + (a * -2.0).exp().log1p() - core::f64::consts::LN_2
}

/// A denominator at or below this is empty (the probability mass of 1e-18 pixels): below it
/// `num / den²`, a ratio's gradient, overflows f32 for any numerator up to 1.
const EMPTY: f64 = 1e-18;

/// `num / den`, with `1` where `|den| ≤ 1e-18` (an empty class of an overlap ratio with no
/// smoothing: loss 0, no gradient) instead of NaN or an overflowing gradient. A negative
/// denominator (a `tanh` activation's sums) divides as it is, as MONAI's does.
pub(crate) fn safe_ratio<const D: usize>(num: Tensor<D>, den: Tensor<D>) -> Tensor<D> {
    let zero = den.clone().abs().lower_equal_elem(EMPTY);
    num.mask_fill(zero.clone(), 1.0) / den.mask_fill(zero, 1.0)
}

/// `num / den`, with `fallback` and a zero gradient where `den` is exactly 0 (TensorFlow's
/// `divide_no_nan` at `fallback` 0; kornia's loss 1 of a sample with nothing to average).
pub(crate) fn ratio_or<const D: usize>(num: Tensor<D>, den: Tensor<D>, fallback: f64) -> Tensor<D> {
    let zero = den.clone().equal_elem(0.0);
    (num / den.mask_fill(zero.clone(), 1.0)).mask_fill(zero, fallback)
}

/// `√x` with a zero gradient at `x ≤ 0` (instead of the infinite one of `sqrt` at 0).
pub(crate) fn safe_sqrt<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let zero = x.clone().lower_equal_elem(0.0);
    x.mask_fill(zero.clone(), 1.0).sqrt().mask_fill(zero, 0.0)
}

/// `x / max(‖x‖₂, ε)` along `dim` (PyTorch `F.normalize(x, dim, eps)`, Keras 3 `ops.normalize`);
/// the root is [`safe_sqrt`], so a zero vector has the finite gradient `1/ε`, not `∞·0`.
pub(crate) fn l2_normalize<const D: usize>(x: Tensor<D>, dim: usize, eps: f64) -> Tensor<D> {
    let norm = safe_sqrt(x.clone().powi_scalar(2).sum_dim(dim)).clamp_min(eps);
    x / norm
}
