//! Fused kernels: the forward of a loss in one pass over its inputs and its input gradient in one
//! more, instead of a chain of composed tensor ops (each a full-size kernel and allocation) that
//! autodiff then replays backwards.
//!
//! Today one family is fused, on one backend: the binary cross-entropy family from logits
//! ([`BceLoss`](crate::BceLoss) with `pos_weight` / label smoothing and
//! [`BinaryFocalLoss`](crate::BinaryFocalLoss) with γ / α), `f32`, on the `flex` CPU backend
//! (with or without autodiff), when the crate is built with its `flex` feature. The kernel is a
//! SIMD loop (the widest instruction set the CPU has, picked at run time by `pulp`) split over
//! the cores with `rayon`; its `exp` / `ln` are the Cephes single-precision polynomials
//! (≤ 2 ulp on the ranges used here, tested against `f64`).
//!
//! Everything else — other backends (wgpu and cuda rely on burn's kernel fusion instead, see the
//! facade's features), other dtypes, probability inputs, per-sample weights, a target that
//! requires a gradient — takes the composed path, which stays the reference: the fixture and
//! gradient tests run both and compare them ([`set_fused_kernels`] switches).
//!
//! The autodiff node of a fused loss has the input logits as its only parent: the target (and
//! `pos_weight`) are constants, exactly as in the composed path, where burn never asks for a
//! target gradient unless the target itself requires one (then the composed path is taken).

use std::cell::Cell;

use burn::tensor::{DType, Tensor};

use crate::Reduction;

thread_local! {
    static FUSED_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Turns the fused kernels on (the default) or off for the losses computed on this thread; off,
/// every loss takes its composed tensor-op path (the reference the fused kernels are tested
/// against). Returns the previous setting.
pub fn set_fused_kernels(enabled: bool) -> bool {
    FUSED_ENABLED.with(|flag| flag.replace(enabled))
}

/// Whether the fused kernels are on for this thread (see [`set_fused_kernels`]).
pub fn fused_kernels_enabled() -> bool {
    FUSED_ENABLED.with(Cell::get)
}

/// The element-wise loss of the binary family from a logit `x` and a target `y ∈ [0, 1]`:
///
/// ```text
/// y' = y·(1 − s) + s/2                         label smoothing s
/// bce = pw·y'·softplus(−x) + (1 − y')·softplus(x)
/// q = y'·σ(−x) + (1 − y')·σ(x)                 1 − pₜ
/// ℓ = αₜ · bce · max(q, f32::MIN_POSITIVE)^γ   αₜ = α·y' + (1 − α)·(1 − y'), or 1
/// ```
///
/// — the composed `BceLoss` (γ = 0, no α) and `BinaryFocalLoss` (pw = 1) term for term, including
/// the zero gradient of the `MIN_POSITIVE` clamp.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinaryLogitTerms {
    /// Focusing exponent γ ≥ 0 (0: plain BCE).
    pub gamma: f32,
    /// α of the positive class, or `None` for αₜ = 1.
    pub alpha: Option<f32>,
    /// Label smoothing s.
    pub smoothing: f32,
    /// Positive weight per class of the last dimension (length = that size, or 1 for all).
    pub pos_weight: Option<Vec<f32>>,
    /// Size of the last dimension of the input (the period of `pos_weight`).
    pub classes: usize,
}

/// Whether the fused binary kernel takes flat `x` / `y`: fused kernels on, both f32, a target
/// outside the autodiff graph (neither a leaf that requires grad nor computed from one, e.g. the
/// f32 cast of a half-precision target), and a flex device (with or without autodiff). Cheap: no
/// device work.
pub(crate) fn binary_logit_applies(x: &Tensor<1>, y: &Tensor<1>) -> bool {
    fused_kernels_enabled()
        && x.dtype() == DType::F32
        && y.dtype() == DType::F32
        && !y.is_tracked()
        && on_fused_backend(&x.device())
}

#[cfg(feature = "flex")]
fn on_fused_backend(device: &burn::tensor::Device) -> bool {
    use burn::backend::DispatchDevice;
    #[allow(unreachable_patterns)] // a build with flex as its only backend
    match device.as_dispatch() {
        DispatchDevice::Flex(_) => true,
        DispatchDevice::Autodiff(ad) => matches!(ad.clone().inner(), DispatchDevice::Flex(_)),
        _ => false,
    }
}

#[cfg(not(feature = "flex"))]
fn on_fused_backend(_: &burn::tensor::Device) -> bool {
    false
}

/// The fused binary loss of flat `x` / `y` (same length, the loss's checks passed, and
/// [`binary_logit_applies`]): `[numel]` for `"none"`, `[1]` otherwise. `None` if the tensors
/// turn out not to be flex ones after all; the caller then takes the composed path.
pub(crate) fn binary_logit_loss(
    x: &Tensor<1>,
    y: &Tensor<1>,
    terms: &BinaryLogitTerms,
    reduction: Reduction,
) -> Option<Tensor<1>> {
    #[cfg(feature = "flex")]
    {
        flex::binary_logit_loss(x, y, host::BinaryKernel::new(terms, reduction))
    }
    #[cfg(not(feature = "flex"))]
    {
        let _ = (x, y, terms, reduction);
        None
    }
}

/// The fused binary loss of a loss module's `forward` when it applies (logits, no per-sample
/// weight, [`binary_logit_applies`]): `checked` runs the loss's input checks and gives its terms.
/// `None`: the caller takes the composed path.
pub(crate) fn checked_binary_logit_loss(
    input: &crate::DynTensor,
    target: &crate::DynTensor,
    weight: Option<&crate::DynTensor>,
    from_logits: bool,
    reduction: Reduction,
    checked: impl FnOnce() -> crate::LossResult<BinaryLogitTerms>,
) -> Option<crate::LossResult<Tensor<1>>> {
    if !from_logits || weight.is_some() || !binary_logit_applies(&input.flat, &target.flat) {
        return None;
    }
    match checked() {
        Ok(terms) => binary_logit_loss(&input.flat, &target.flat, &terms, reduction).map(Ok),
        Err(e) => Some(Err(e)),
    }
}

/// The CPU kernels on plain slices: SIMD-friendly straight-line element functions, a chunked
/// loop per pass, rayon over the chunks.
#[cfg(any(feature = "flex", test))]
pub(crate) mod host {
    use super::BinaryLogitTerms;
    use crate::Reduction;

    /// Elements per rayon task (a multiple of every SIMD width).
    const CHUNK: usize = 1 << 15;

    /// `exp(x)` in f32, Cephes `expf`: x = n·ln 2 + r, |r| ≤ ln2/2, a degree-5 polynomial in r,
    /// n added to the exponent bits. Inputs are clamped to [−87.33, 88] (results in
    /// [MIN_POSITIVE, 1.65e38]); below that it returns ~MIN_POSITIVE rather than a subnormal.
    #[inline(always)]
    pub(crate) fn exp(x: f32) -> f32 {
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
        const ROUND: f32 = 12_582_912.0;
        let x = x.clamp(-87.336_55, 88.0);
        let t = x * LOG2E + ROUND;
        let n_int = t.to_bits() as i32 - ROUND.to_bits() as i32;
        let n = t - ROUND;
        let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
        let z = r * r;
        let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
            + 1.666_666_5e-1)
            * r
            + 5.0e-1; // Cephes: 5.0000001201e-1, the same f32
        let y = p * z + r + 1.0;
        y * f32::from_bits(((n_int + 127) << 23) as u32)
    }

    /// `ln(x)` in f32 for normal positive `x`, Cephes `logf`: x = m·2^e with m ∈ [√½, √2), a
    /// degree-9 polynomial in m − 1.
    #[inline(always)]
    pub(crate) fn ln(x: f32) -> f32 {
        const SQRT_HALF_BITS: i32 = 0x3F35_04F3;
        let bits = x.to_bits() as i32;
        let e = (bits - SQRT_HALF_BITS) >> 23;
        let m = f32::from_bits((bits - (e << 23)) as u32);
        let t = m - 1.0;
        let z = t * t;
        let mut y = 7.037_683_6e-2 * t - 1.151_461e-1;
        y = y * t + 1.167_699_9e-1;
        y = y * t - 1.242_014_1e-1;
        y = y * t + 1.424_932_3e-1;
        y = y * t - 1.666_805_8e-1;
        y = y * t + 2.000_071_5e-1;
        y = y * t - 2.499_999_4e-1;
        y = y * t + 3.333_333e-1; // Cephes: 3.3333331174e-1, the same f32
        let ef = e as f32;
        let y = y * t * z + -2.121_944_4e-4 * ef - 0.5 * z;
        t + y + 0.693_359_4 * ef
    }

    /// `ln(1 + e)` for `e ∈ [0, 1]`, accurate for small `e` (Goldberg's `ln(u)·e/(u − 1)`).
    #[inline(always)]
    pub(crate) fn ln_1p(e: f32) -> f32 {
        let u = 1.0 + e;
        let d = u - 1.0;
        if d == 0.0 { e } else { ln(u) * (e / d) }
    }

    /// How the modulating factor `q^γ` is computed: γ ∈ {0, 1, 2} exactly, any other γ as
    /// `exp(γ·ln q)`. A const parameter of the loops, so that they carry no branch on it.
    const GAMMA_ZERO: u8 = 0;
    const GAMMA_ONE: u8 = 1;
    const GAMMA_TWO: u8 = 2;
    const GAMMA_OTHER: u8 = 3;

    /// The scalars of one element's formula, copied into the loops by value (so that the
    /// vectoriser sees loop-invariant registers, not loads that the stores might alias).
    #[derive(Debug, Clone, Copy)]
    struct Coefs {
        gamma: f32,
        /// αₜ = alpha_pos·y + alpha_neg·(1 − y): (α, 1 − α), or (1, 1) without α.
        alpha_pos: f32,
        alpha_neg: f32,
        y_scale: f32,
        y_shift: f32,
        /// The positive weight of every element when there is no per-class one.
        pw_all: f32,
    }

    /// [`BinaryLogitTerms`] prepared for the loops, with the reduction.
    #[derive(Debug, Clone)]
    pub(crate) struct BinaryKernel {
        coefs: Coefs,
        kind: u8,
        /// A per-class `pos_weight` (length `classes` ≥ 1); a length-1 one is `coefs.pw_all`.
        pos_weight: Option<Vec<f32>>,
        pub(crate) reduction: Reduction,
    }

    impl BinaryKernel {
        pub(crate) fn new(terms: &BinaryLogitTerms, reduction: Reduction) -> Self {
            let kind = match terms.gamma {
                0.0 => GAMMA_ZERO,
                1.0 => GAMMA_ONE,
                2.0 => GAMMA_TWO,
                _ => GAMMA_OTHER,
            };
            let (pos_weight, pw_all) = match &terms.pos_weight {
                Some(pw) if pw.len() == 1 => (None, pw[0]),
                Some(pw) => (Some(pw.clone()), 1.0),
                None => (None, 1.0),
            };
            debug_assert!(pos_weight.as_ref().is_none_or(|pw| pw.len() == terms.classes));
            let (alpha_pos, alpha_neg) = terms.alpha.map_or((1.0, 1.0), |a| (a, 1.0 - a));
            Self {
                coefs: Coefs {
                    gamma: terms.gamma,
                    alpha_pos,
                    alpha_neg,
                    y_scale: 1.0 - terms.smoothing,
                    y_shift: 0.5 * terms.smoothing,
                    pw_all,
                },
                kind,
                pos_weight,
                reduction,
            }
        }
    }

    impl Coefs {
        /// The loss (`GRAD = false`) or its derivative in `x` (`GRAD = true`) of one element;
        /// `KIND` is `self.kind`.
        #[inline(always)]
        fn element<const GRAD: bool, const KIND: u8>(&self, x: f32, y: f32, pw: f32) -> f32 {
            let y = y * self.y_scale + self.y_shift;
            let e = exp(-x.abs());
            let softplus_abs = ln_1p(e);
            let r = 1.0 / (1.0 + e);
            let er = e * r;
            let positive = x >= 0.0;
            let sig = if positive { r } else { er }; // σ(x)
            let sig_neg = if positive { er } else { r }; // σ(−x)
            let softplus = x.max(0.0) + softplus_abs; // −log(1 − p)
            let softplus_neg = (-x).max(0.0) + softplus_abs; // −log p
            let one_minus_y = 1.0 - y;
            let bce = pw * y * softplus_neg + one_minus_y * softplus;
            let alpha_t = self.alpha_pos * y + self.alpha_neg * one_minus_y;
            let dbce = one_minus_y * sig - pw * y * sig_neg;
            if KIND == GAMMA_ZERO {
                return alpha_t * if GRAD { dbce } else { bce };
            }
            let q = y * sig_neg + one_minus_y * sig;
            let qc = q.max(f32::MIN_POSITIVE);
            let factor = match KIND {
                GAMMA_ONE => qc,
                GAMMA_TWO => qc * qc,
                _ => exp(self.gamma * ln(qc)),
            };
            if !GRAD {
                return alpha_t * bce * factor;
            }
            // d qᵞ/dx = γ·q^(γ−1)·(1 − 2y)·σ(x)σ(−x), zero below the clamp
            let pow_minus_one = match KIND {
                GAMMA_ONE => 1.0,
                GAMMA_TWO => qc,
                _ => factor / qc,
            };
            let dq = (1.0 - 2.0 * y) * sig * sig_neg;
            let dfactor = if q >= f32::MIN_POSITIVE {
                self.gamma * pow_minus_one * dq
            } else {
                0.0
            };
            alpha_t * (dbce * factor + bce * dfactor)
        }
    }

    impl BinaryKernel {
        /// One element through the run-time `kind` (tests).
        #[cfg(test)]
        fn element_any<const GRAD: bool>(&self, x: f32, y: f32, pw: f32) -> f32 {
            let c = self.coefs;
            match self.kind {
                GAMMA_ZERO => c.element::<GRAD, GAMMA_ZERO>(x, y, pw),
                GAMMA_ONE => c.element::<GRAD, GAMMA_ONE>(x, y, pw),
                GAMMA_TWO => c.element::<GRAD, GAMMA_TWO>(x, y, pw),
                _ => c.element::<GRAD, GAMMA_OTHER>(x, y, pw),
            }
        }

        /// `out[i] = g(i)·f(x[i], y[i])` over one chunk starting at element `offset`, where `f`
        /// is the loss or its derivative and `g` the upstream gradient (a scalar or per element).
        #[inline(always)]
        fn chunk<const GRAD: bool, const KIND: u8>(
            &self,
            offset: usize,
            x: &[f32],
            y: &[f32],
            upstream: Upstream,
            out: &mut [f32],
        ) {
            let xy = x.iter().zip(y);
            let c = self.coefs;
            let pw_all = c.pw_all;
            match (self.pos_weight.as_deref(), upstream) {
                (None, Upstream::Scalar(s)) => {
                    for (o, (&x, &y)) in out.iter_mut().zip(xy) {
                        *o = s * c.element::<GRAD, KIND>(x, y, pw_all);
                    }
                }
                (None, Upstream::PerElement(g)) => {
                    for ((o, &g), (&x, &y)) in out.iter_mut().zip(g).zip(xy) {
                        *o = g * c.element::<GRAD, KIND>(x, y, pw_all);
                    }
                }
                (Some(row), upstream) => {
                    let mut class = offset % row.len();
                    for (i, (o, (&x, &y))) in out.iter_mut().zip(xy).enumerate() {
                        let g = match upstream {
                            Upstream::Scalar(s) => s,
                            Upstream::PerElement(g) => g[i],
                        };
                        *o = g * c.element::<GRAD, KIND>(x, y, row[class]);
                        class += 1;
                        if class == row.len() {
                            class = 0;
                        }
                    }
                }
            }
        }

        /// [`chunk`](Self::chunk) compiled for the CPU's widest SIMD level (pulp's run-time
        /// dispatch), monomorphised on γ's kind.
        fn chunk_dispatch<const GRAD: bool>(
            &self,
            offset: usize,
            x: &[f32],
            y: &[f32],
            upstream: Upstream,
            out: &mut [f32],
        ) {
            let arch = pulp::Arch::new();
            match self.kind {
                GAMMA_ZERO => arch.dispatch(
                    #[inline(always)]
                    || self.chunk::<GRAD, GAMMA_ZERO>(offset, x, y, upstream, out),
                ),
                GAMMA_ONE => arch.dispatch(
                    #[inline(always)]
                    || self.chunk::<GRAD, GAMMA_ONE>(offset, x, y, upstream, out),
                ),
                GAMMA_TWO => arch.dispatch(
                    #[inline(always)]
                    || self.chunk::<GRAD, GAMMA_TWO>(offset, x, y, upstream, out),
                ),
                _ => arch.dispatch(
                    #[inline(always)]
                    || self.chunk::<GRAD, GAMMA_OTHER>(offset, x, y, upstream, out),
                ),
            }
        }

        /// The forward: element losses (`"none"`) or their sum / mean, as one f32 vector.
        pub(crate) fn forward(&self, x: &[f32], y: &[f32]) -> Vec<f32> {
            use rayon::prelude::*;
            let n = x.len();
            match self.reduction {
                Reduction::None => {
                    let mut out = vec![0.0f32; n];
                    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
                        let range = c * CHUNK..c * CHUNK + out.len();
                        self.chunk_dispatch::<false>(
                            range.start,
                            &x[range.clone()],
                            &y[range],
                            Upstream::Scalar(1.0),
                            out,
                        )
                    });
                    out
                }
                Reduction::Sum | Reduction::Mean => {
                    let total: f64 = x
                        .par_chunks(CHUNK)
                        .enumerate()
                        .map(|(c, xs)| {
                            let start = c * CHUNK;
                            let mut buf = vec![0.0f32; xs.len()];
                            self.chunk_dispatch::<false>(
                                start,
                                xs,
                                &y[start..start + xs.len()],
                                Upstream::Scalar(1.0),
                                &mut buf,
                            );
                            sum_f64(&buf)
                        })
                        .sum();
                    let value = if self.reduction == Reduction::Mean && n > 0 {
                        total / n as f64
                    } else if self.reduction == Reduction::Mean {
                        f64::NAN // the composed mean of nothing: 0 / 0
                    } else {
                        total
                    };
                    vec![value as f32]
                }
            }
        }

        /// The input gradient from the upstream gradient of the forward's output (`[1]` after a
        /// reduction, `[numel]` for `"none"`).
        pub(crate) fn backward(&self, x: &[f32], y: &[f32], upstream: &[f32]) -> Vec<f32> {
            use rayon::prelude::*;
            let n = x.len();
            let scalar = match self.reduction {
                Reduction::None => None,
                Reduction::Sum => Some(upstream[0]),
                Reduction::Mean => Some(upstream[0] / n as f32),
            };
            let mut out = vec![0.0f32; n];
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
                let range = c * CHUNK..c * CHUNK + out.len();
                let g = match scalar {
                    Some(s) => Upstream::Scalar(s),
                    None => Upstream::PerElement(&upstream[range.clone()]),
                };
                self.chunk_dispatch::<true>(range.start, &x[range.clone()], &y[range], g, out)
            });
            out
        }
    }

    #[derive(Clone, Copy)]
    pub(crate) enum Upstream<'a> {
        Scalar(f32),
        PerElement(&'a [f32]),
    }

    /// Σ of a chunk in f64 (blocks of eight f32 lanes, each block added in f64).
    fn sum_f64(values: &[f32]) -> f64 {
        let mut total = 0.0f64;
        for block in values.chunks(256) {
            let mut lanes = [0.0f32; 8];
            let mut it = block.chunks_exact(8);
            for eight in &mut it {
                for (lane, v) in lanes.iter_mut().zip(eight) {
                    *lane += v;
                }
            }
            let rest: f32 = it.remainder().iter().sum();
            total += lanes.iter().map(|&v| v as f64).sum::<f64>() + rest as f64;
        }
        total
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Relative error in units of f32 epsilon.
        fn ulps(got: f32, want: f64) -> f64 {
            ((got as f64 - want) / want.abs().max(f32::MIN_POSITIVE as f64)).abs() / f32::EPSILON as f64
        }

        #[test]
        fn exp_within_two_ulps_on_the_used_range() {
            let mut worst = 0.0f64;
            for i in 0..=200_000 {
                let x = -87.0 + 87.0 * i as f32 / 200_000.0;
                worst = worst.max(ulps(exp(x), (x as f64).exp()));
            }
            assert!(worst < 2.0, "exp: worst {worst} ulp");
            assert_eq!(exp(0.0), 1.0);
            assert!(exp(-1e4) > 0.0 && exp(-1e4) <= 1.2e-38);
            assert!(exp(-f32::INFINITY) <= 1.2e-38);
        }

        #[test]
        fn ln_and_ln_1p_within_two_ulps() {
            let mut worst = 0.0f64;
            for i in 1..=200_000 {
                // q from MIN_POSITIVE to 1 (log-spaced), and 1 + e for e in (0, 1]
                let q = (f32::MIN_POSITIVE as f64).powf(1.0 - i as f64 / 200_000.0) as f32;
                worst = worst.max(ulps(ln(q), (q as f64).ln()).min(1e9) * if q == 1.0 { 0.0 } else { 1.0 });
                let e = q;
                worst = worst.max(ulps(ln_1p(e), (e as f64).ln_1p()));
            }
            assert!(worst < 2.0, "ln / ln_1p: worst {worst} ulp");
            assert_eq!(ln(1.0), 0.0);
        }

        /// The kernel against an f64 evaluation of the same formula and its derivative by
        /// central differences (in f64).
        #[test]
        fn element_matches_f64_formula_and_derivative() {
            fn reference(x: f64, y: f64, pw: f64, gamma: f64, alpha: Option<f64>, s: f64) -> f64 {
                let y = y * (1.0 - s) + 0.5 * s;
                let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
                let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
                let bce = pw * y * sp(-x) + (1.0 - y) * sp(x);
                let q = y * sig(-x) + (1.0 - y) * sig(x);
                let at = alpha.map_or(1.0, |a| a * y + (1.0 - a) * (1.0 - y));
                at * bce * q.max(f32::MIN_POSITIVE as f64).powf(gamma)
            }
            for (gamma, alpha, s, pw) in [
                (0.0, None, 0.0, 1.0),
                (0.0, None, 0.1, 3.0),
                (2.0, Some(0.25), 0.0, 1.0),
                (1.0, None, 0.2, 1.0),
                (0.5, Some(0.6), 0.0, 1.0),
                (3.7, None, 0.05, 1.0),
            ] {
                let terms = BinaryLogitTerms {
                    gamma,
                    alpha,
                    smoothing: s,
                    pos_weight: Some(vec![pw]),
                    classes: 1,
                };
                let k = BinaryKernel::new(&terms, Reduction::None);
                for &x in &[-30.0f32, -8.0, -2.5, -0.3, 0.0, 0.4, 1.7, 6.0, 25.0] {
                    for &y in &[0.0f32, 0.3, 1.0] {
                        let (xd, yd) = (x as f64, y as f64);
                        let (a, g, sd, p) = (alpha.map(|a| a as f64), gamma as f64, s as f64, pw as f64);
                        let want = reference(xd, yd, p, g, a, sd);
                        let got = k.element_any::<false>(x, y, pw);
                        assert!(
                            (got as f64 - want).abs() <= 1e-6 + 1e-5 * want.abs(),
                            "loss γ={gamma} α={alpha:?} s={s} x={x} y={y}: {got} vs {want}"
                        );
                        let h = 1e-5;
                        let dwant = (reference(xd + h, yd, p, g, a, sd) - reference(xd - h, yd, p, g, a, sd))
                            / (2.0 * h);
                        let dgot = k.element_any::<true>(x, y, pw);
                        assert!(
                            (dgot as f64 - dwant).abs() <= 1e-6 + 1e-4 * dwant.abs(),
                            "grad γ={gamma} α={alpha:?} s={s} x={x} y={y}: {dgot} vs {dwant}"
                        );
                    }
                }
            }
        }

        #[test]
        fn forward_reductions_and_backward_agree_with_elements() {
            let n = 3 * CHUNK + 17; // several chunks and a ragged end
            let x: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 2001) as f32 / 100.0 - 10.0)
                .collect();
            let y: Vec<f32> = (0..n).map(|i| ((i * 31) % 5) as f32 / 4.0).collect();
            let terms = BinaryLogitTerms {
                gamma: 2.0,
                alpha: Some(0.25),
                smoothing: 0.0,
                pos_weight: Some(vec![0.5, 1.0, 2.0, 4.0, 8.0]),
                classes: 5,
            };
            let none = BinaryKernel::new(&terms, Reduction::None);
            let values = none.forward(&x, &y);
            for i in [0, 1, CHUNK - 1, CHUNK, n - 1] {
                let pw = [0.5, 1.0, 2.0, 4.0, 8.0][i % 5];
                assert_eq!(values[i], none.element_any::<false>(x[i], y[i], pw));
            }
            let exact: f64 = values.iter().map(|&v| v as f64).sum();
            let sum = BinaryKernel::new(&terms, Reduction::Sum).forward(&x, &y)[0] as f64;
            let mean = BinaryKernel::new(&terms, Reduction::Mean).forward(&x, &y)[0] as f64;
            assert!((sum - exact).abs() <= 1e-6 * exact.abs());
            assert!((mean - exact / n as f64).abs() <= 1e-6 * (exact / n as f64).abs());

            let upstream: Vec<f32> = (0..n).map(|i| (i % 3) as f32 - 1.0).collect();
            let grad = none.backward(&x, &y, &upstream);
            let grad_mean = BinaryKernel::new(&terms, Reduction::Mean).backward(&x, &y, &[2.0]);
            for i in [0, 5, CHUNK + 3, n - 1] {
                let pw = [0.5, 1.0, 2.0, 4.0, 8.0][i % 5];
                let d = none.element_any::<true>(x[i], y[i], pw);
                assert_eq!(grad[i], upstream[i] * d);
                assert_eq!(grad_mean[i], (2.0 / n as f32) * d);
            }
        }
    }
}

/// The flex backend: slices of its tensors, and one autodiff node whose backward is the fused
/// gradient.
#[cfg(feature = "flex")]
mod flex {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::{
        BalancedCheckpointing, CheckpointStrategy, NoCheckpointing,
    };
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
    use burn::backend::flex::FlexTensor;
    use burn::backend::{Autodiff, DispatchKindConversion, DispatchTensor, Flex};
    use burn::tensor::{Tensor, TensorData};
    use std::borrow::Cow;

    use super::host::BinaryKernel;

    fn f32_slice(t: &FlexTensor) -> Cow<'_, [f32]> {
        match t.as_slice::<f32>() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(
                t.to_contiguous()
                    .as_slice::<f32>()
                    .expect("contiguous f32")
                    .to_vec(),
            ),
        }
    }

    fn flex_tensor(values: Vec<f32>) -> FlexTensor {
        let n = values.len();
        FlexTensor::from_data(TensorData::new(values, [n]))
    }

    fn forward(x: &FlexTensor, y: &FlexTensor, kernel: &BinaryKernel) -> FlexTensor {
        flex_tensor(kernel.forward(&f32_slice(x), &f32_slice(y)))
    }

    #[derive(Debug)]
    struct BinaryBackward;

    impl Backward<Flex, 1> for BinaryBackward {
        type State = (FlexTensor, FlexTensor, BinaryKernel);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let (x, y, kernel) = ops.state;
            unary::<Flex, _>(ops.parents, ops.node, grads, |upstream| {
                flex_tensor(kernel.backward(&f32_slice(&x), &f32_slice(&y), &f32_slice(&upstream)))
            });
        }
    }

    /// The fused loss on an autodiff flex tensor with checkpointing strategy `C`, or `None` when
    /// `x` is not one.
    fn autodiff<C>(x: &Tensor<1>, y: &Tensor<1>, kernel: &BinaryKernel) -> Option<Tensor<1>>
    where
        C: CheckpointStrategy,
        DispatchTensor: DispatchKindConversion<Autodiff<Flex, C>>,
    {
        let x = x.clone().try_into_primitive::<Autodiff<Flex, C>>().ok()?;
        let y = y
            .clone()
            .try_into_primitive::<Autodiff<Flex, C>>()
            .ok()?
            .into_primitive();
        let (x, node) = x.into_parts();
        let out = match BinaryBackward.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = forward(&x, &y, kernel);
                prep.finish((x, y, kernel.clone()), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&x, &y, kernel)),
        };
        Some(Tensor::from_primitive::<Autodiff<Flex, C>>(out))
    }

    pub(super) fn binary_logit_loss(x: &Tensor<1>, y: &Tensor<1>, kernel: BinaryKernel) -> Option<Tensor<1>> {
        if let (Ok(xp), Ok(yp)) = (
            x.clone().try_into_primitive::<Flex>(),
            y.clone().try_into_primitive::<Flex>(),
        ) {
            return Some(Tensor::from_primitive::<Flex>(forward(&xp, &yp, &kernel)));
        }
        autodiff::<NoCheckpointing>(x, y, &kernel)
            .or_else(|| autodiff::<BalancedCheckpointing>(x, y, &kernel))
    }
}

/// The fused path through the loss modules on flex, against the composed path on the same
/// tensors: both devices (plain and autodiff, with and without checkpointing), every reduction,
/// non-contiguous inputs, and a downstream op whose gradient reaches the kernel broadcast.
#[cfg(all(test, feature = "flex"))]
mod flex_tests {
    use burn::tensor::{Device, Tensor, TensorData};

    use super::{binary_logit_applies, set_fused_kernels};
    use crate::{
        BceLossConfig, BinaryFocalLossConfig, DynInput, DynTensor, LossConfig, LossInputs, Reduction,
    };

    fn logits_and_targets(device: &Device) -> (Tensor<2>, Tensor<2>) {
        let (n, m) = (37, 6);
        let x: Vec<f32> = (0..n * m)
            .map(|i| ((i * 7919) % 997) as f32 / 997.0 * 60.0 - 30.0)
            .collect();
        let y: Vec<f32> = (0..n * m).map(|i| [0.0, 1.0, 0.3, 1.0, 0.0][i % 5]).collect();
        (
            Tensor::from_data(TensorData::new(x, [n, m]), device),
            Tensor::from_data(TensorData::new(y, [n, m]), device),
        )
    }

    fn forward(config: &LossConfig, x: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
        let mut inputs = LossInputs::new();
        inputs.insert("input", DynInput::Float(DynTensor::from_tensor(x)));
        inputs.insert("target", DynInput::Float(DynTensor::from_tensor(y)));
        config.init().forward_inputs(&inputs).expect("valid inputs").flat
    }

    fn configs() -> Vec<LossConfig> {
        let mut out = Vec::new();
        for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            out.push(LossConfig::BinaryFocal(
                BinaryFocalLossConfig::new().with_reduction(reduction),
            ));
            out.push(LossConfig::BinaryFocal(
                BinaryFocalLossConfig::new()
                    .with_gamma(0.7)
                    .with_alpha(None)
                    .with_label_smoothing(0.1)
                    .with_reduction(reduction),
            ));
            out.push(LossConfig::Bce(
                BceLossConfig::new()
                    .with_pos_weight(Some(vec![0.5, 1.0, 2.0, 3.0, 4.0, 5.0]))
                    .with_label_smoothing(0.05)
                    .with_reduction(reduction),
            ));
            out.push(LossConfig::Bce(BceLossConfig::new().with_reduction(reduction)));
        }
        out
    }

    /// Loss values and input gradient, fused or composed; the input is the transpose of a
    /// `[6, 37]` tensor (not contiguous), and the reduced output is weighted per element before
    /// the backward (a broadcast upstream gradient for `"none"`).
    fn run(config: &LossConfig, device: &Device, fused: bool) -> (Vec<f32>, Vec<f32>) {
        let previous = set_fused_kernels(fused);
        let (x, y) = logits_and_targets(device);
        let leaf = x.transpose().require_grad();
        let loss = forward(config, leaf.clone().transpose(), y);
        let numel = loss.dims()[0];
        let weights: Vec<f32> = (0..numel).map(|i| 1.0 + 0.25 * i as f32).collect();
        let weights = Tensor::<1>::from_data(TensorData::new(weights, [numel]), device);
        let out = loss.clone() * weights;
        let grads = out.sum().backward();
        let grad = leaf.grad(&grads).expect("input gradient");
        set_fused_kernels(previous);
        (
            loss.into_data().try_to_vec::<f32>().unwrap(),
            grad.into_data().try_to_vec::<f32>().unwrap(),
        )
    }

    fn assert_close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6 + 2e-5 * w.abs(),
                "{what}[{i}]: fused {g} vs composed {w}"
            );
        }
    }

    #[test]
    fn fused_matches_composed_on_flex_autodiff() {
        for device in [
            Device::flex().autodiff(),
            Device::flex().autodiff().gradient_checkpointing(),
        ] {
            let (x, y) = logits_and_targets(&device);
            assert!(binary_logit_applies(&x.reshape([-1]), &y.reshape([-1])));
            for config in configs() {
                let (fused_loss, fused_grad) = run(&config, &device, true);
                let (loss, grad) = run(&config, &device, false);
                assert_close(&format!("{config} loss"), &fused_loss, &loss);
                assert_close(&format!("{config} grad"), &fused_grad, &grad);
            }
        }
    }

    #[test]
    fn fused_matches_composed_on_flex_without_autodiff() {
        let device = Device::flex();
        for config in configs() {
            let loss_of = |fused: bool| {
                let previous = set_fused_kernels(fused);
                let (x, y) = logits_and_targets(&device);
                let loss = forward(&config, x.transpose().transpose(), y);
                set_fused_kernels(previous);
                loss.into_data().try_to_vec::<f32>().unwrap()
            };
            assert_close(&format!("{config}"), &loss_of(true), &loss_of(false));
        }
    }

    #[test]
    fn not_applied_to_other_dtypes_or_trainable_targets() {
        let device = Device::flex().autodiff();
        let (x, y) = logits_and_targets(&device);
        let (x, y) = (x.reshape([-1]), y.reshape([-1]));
        assert!(!binary_logit_applies(&x, &y.clone().require_grad()));
        // a target computed from a tracked tensor (a cast, a sigmoid of another output) is tracked
        // without requiring grad itself: its gradient must flow, so the composed path takes it
        let tracked = burn::tensor::activation::sigmoid(y.clone().require_grad());
        assert!(!tracked.is_require_grad() && tracked.is_tracked());
        assert!(!binary_logit_applies(&x, &tracked));
        assert!(!binary_logit_applies(
            &x.clone().cast(burn::tensor::DType::F64),
            &y
        ));
        let previous = set_fused_kernels(false);
        assert!(!binary_logit_applies(&x, &y));
        set_fused_kernels(previous);
    }
}
