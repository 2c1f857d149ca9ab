//! The binary cross-entropy family from logits: [`BceLoss`](crate::BceLoss) and
//! [`BinaryFocalLoss`](crate::BinaryFocalLoss), element by element.

use std::sync::Arc;

use burn::tensor::Tensor;

use super::dispatch::{applies, run};
use super::kernel::HostKernel;
use super::math::{FocalPower, GAMMA_ONE, GAMMA_OTHER, GAMMA_TWO, GAMMA_ZERO, exp, ln_1p, simd, sum_f64};
use crate::error::LossResult;
use crate::reduction::Reduction;
use crate::tensor::checks::{BINARY_TARGETS, check_host_range};

/// Elements per rayon task (a multiple of every SIMD width).
const CHUNK: usize = 1 << 15;

/// The element-wise loss of the binary family from a logit `x` and a target `y ∈ [0, 1]`:
///
/// ```text
/// y' = y·(1 − s) + s/2                         label smoothing s
/// bce = pw·y'·softplus(−x) + nw·(1 − y')·softplus(x)
/// q = y'·σ(−x) + (1 − y')·σ(x)                 1 − pₜ
/// ℓ = αₜ · bce · max(q, f32::MIN_POSITIVE)^γ   αₜ = α·y' + (1 − α)·(1 − y'), or 1
/// ```
///
/// — the composed `BceLoss` (γ = 0, no α), `BalancedBceLoss` (pw = β, nw = 1 − β) and
/// `BinaryFocalLoss` (pw = nw = 1) term for term, including the zero gradient of the
/// `MIN_POSITIVE` clamp.
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
    /// The weight nw of the negative term (1 but for balanced BCE's 1 − β).
    pub neg_weight: f32,
    /// Size of the last dimension of the input (the period of `pos_weight`).
    pub classes: usize,
}

/// The fused binary loss of a loss module's `forward` when it applies (logits, no per-sample
/// weight, f32 on a CPU backend with kernels): `checked` runs the loss's shape checks and gives
/// its terms; the kernel checks the target range. `None`: the caller takes the composed path.
pub(crate) fn checked_binary_logit_loss(
    loss: &'static str,
    input: &crate::tensor::dynamic::DynTensor,
    target: &crate::tensor::dynamic::DynTensor,
    weight: Option<&crate::tensor::dynamic::DynTensor>,
    from_logits: bool,
    reduction: Reduction,
    checked: impl FnOnce() -> LossResult<BinaryLogitTerms>,
) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
    if !from_logits || weight.is_some() || !applies(&input.flat, &[&target.flat]) {
        return None;
    }
    let loss = match checked() {
        Ok(terms) => run(
            BinaryKernel::new(loss, &terms, reduction),
            &input.flat,
            std::slice::from_ref(&target.flat),
        ),
        Err(e) => Some(Err(e)),
    };
    loss.map(|loss| loss.map(|loss| (loss, input.shape.clone())))
}

/// The scalars of one element's formula, copied into the loops by value (so that the
/// vectoriser sees loop-invariant registers, not loads that the stores might alias).
#[derive(Debug, Clone, Copy)]
struct Coefs {
    power: FocalPower,
    /// αₜ = alpha_pos·y + alpha_neg·(1 − y): (α, 1 − α), or (1, 1) without α.
    alpha_pos: f32,
    alpha_neg: f32,
    y_scale: f32,
    y_shift: f32,
    /// The positive weight of every element when there is no per-class one.
    pw_all: f32,
    /// The weight of the negative term.
    nw: f32,
}

/// [`BinaryLogitTerms`] prepared for the loops, with the reduction; constants: `[target]`.
#[derive(Debug, Clone)]
pub(crate) struct BinaryKernel {
    loss: &'static str,
    coefs: Coefs,
    /// A per-class `pos_weight` (length `classes` ≥ 1); a length-1 one is `coefs.pw_all`.
    pos_weight: Option<Arc<[f32]>>,
    reduction: Reduction,
}

impl BinaryKernel {
    pub(crate) fn new(loss: &'static str, terms: &BinaryLogitTerms, reduction: Reduction) -> Self {
        let (pos_weight, pw_all) = match &terms.pos_weight {
            Some(pw) if pw.len() == 1 => (None, pw[0]),
            Some(pw) => (Some(Arc::from(pw.as_slice())), 1.0),
            None => (None, 1.0),
        };
        debug_assert!(
            pos_weight
                .as_ref()
                .is_none_or(|pw: &Arc<[f32]>| pw.len() == terms.classes)
        );
        let (alpha_pos, alpha_neg) = terms.alpha.map_or((1.0, 1.0), |a| (a, 1.0 - a));
        Self {
            loss,
            coefs: Coefs {
                power: FocalPower::new(terms.gamma),
                alpha_pos,
                alpha_neg,
                y_scale: 1.0 - terms.smoothing,
                y_shift: 0.5 * terms.smoothing,
                pw_all,
                nw: terms.neg_weight,
            },
            pos_weight,
            reduction,
        }
    }
}

impl Coefs {
    /// The loss (`GRAD = false`) or its derivative in `x` (`GRAD = true`) of one element;
    /// `KIND` is `self.power.kind`.
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
        let bce = pw * y * softplus_neg + self.nw * one_minus_y * softplus;
        let alpha_t = self.alpha_pos * y + self.alpha_neg * one_minus_y;
        let dbce = self.nw * one_minus_y * sig - pw * y * sig_neg;
        if KIND == GAMMA_ZERO {
            return alpha_t * if GRAD { dbce } else { bce };
        }
        let q = y * sig_neg + one_minus_y * sig;
        let (factor, dfactor_dq) = self.power.eval::<KIND>(q);
        if !GRAD {
            return alpha_t * bce * factor;
        }
        // d q/dx = (1 − 2y)·σ(x)σ(−x)
        let dq = (1.0 - 2.0 * y) * sig * sig_neg;
        alpha_t * (dbce * factor + bce * dfactor_dq * dq)
    }
}

#[derive(Clone, Copy)]
enum Upstream<'a> {
    Scalar(f32),
    PerElement(&'a [f32]),
}

impl BinaryKernel {
    /// One element through the run-time kind of γ (tests).
    #[cfg(test)]
    fn element_any<const GRAD: bool>(&self, x: f32, y: f32, pw: f32) -> f32 {
        let c = self.coefs;
        match c.power.kind {
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

    /// [`chunk`](Self::chunk) compiled for the CPU's widest SIMD level, monomorphised on γ's
    /// kind.
    fn chunk_dispatch<const GRAD: bool>(
        &self,
        offset: usize,
        x: &[f32],
        y: &[f32],
        upstream: Upstream,
        out: &mut [f32],
    ) {
        match self.coefs.power.kind {
            GAMMA_ZERO => simd(
                #[inline(always)]
                || self.chunk::<GRAD, GAMMA_ZERO>(offset, x, y, upstream, out),
            ),
            GAMMA_ONE => simd(
                #[inline(always)]
                || self.chunk::<GRAD, GAMMA_ONE>(offset, x, y, upstream, out),
            ),
            GAMMA_TWO => simd(
                #[inline(always)]
                || self.chunk::<GRAD, GAMMA_TWO>(offset, x, y, upstream, out),
            ),
            _ => simd(
                #[inline(always)]
                || self.chunk::<GRAD, GAMMA_OTHER>(offset, x, y, upstream, out),
            ),
        }
    }

    /// The forward on slices: element losses (`"none"`) or their sum / mean.
    pub(crate) fn forward_values(&self, x: &[f32], y: &[f32]) -> Vec<f32> {
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
            Reduction::Sum | Reduction::Mean | Reduction::MeanWithSampleWeight => {
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
                let value = match self.reduction {
                    // the composed mean of nothing: 0 / 0
                    Reduction::Mean | Reduction::MeanWithSampleWeight => total / n as f64,
                    _ => total,
                };
                vec![value as f32]
            }
        }
    }

    /// The input gradient from the upstream gradient of the forward's output (`[1]` after a
    /// reduction, `[numel]` for `"none"`).
    pub(crate) fn backward_values(&self, x: &[f32], y: &[f32], upstream: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let n = x.len();
        let scalar = match self.reduction {
            Reduction::None => None,
            Reduction::Sum => Some(upstream[0]),
            Reduction::Mean | Reduction::MeanWithSampleWeight => Some(upstream[0] / n as f32),
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

impl HostKernel for BinaryKernel {
    fn check(&self, _x: &[f32], constants: &[&[f32]]) -> LossResult<()> {
        check_host_range(self.loss, "target", constants[0], 0.0, 1.0, BINARY_TARGETS)
    }

    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32> {
        self.forward_values(x, constants[0])
    }

    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        self.backward_values(x, constants[0], upstream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel against an f64 evaluation of the same formula and its derivative by
    /// central differences (in f64).
    #[test]
    fn element_matches_f64_formula_and_derivative() {
        fn reference(x: f64, y: f64, pw: f64, nw: f64, gamma: f64, alpha: Option<f64>, s: f64) -> f64 {
            let y = y * (1.0 - s) + 0.5 * s;
            let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
            let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
            let bce = pw * y * sp(-x) + nw * (1.0 - y) * sp(x);
            let q = y * sig(-x) + (1.0 - y) * sig(x);
            let at = alpha.map_or(1.0, |a| a * y + (1.0 - a) * (1.0 - y));
            at * bce * q.max(f32::MIN_POSITIVE as f64).powf(gamma)
        }
        for (gamma, alpha, s, pw, nw) in [
            (0.0, None, 0.0, 1.0, 1.0),
            (0.0, None, 0.1, 3.0, 1.0),
            (0.0, None, 0.0, 0.7, 0.3),
            (2.0, Some(0.25), 0.0, 1.0, 1.0),
            (1.0, None, 0.2, 1.0, 1.0),
            (0.5, Some(0.6), 0.0, 1.0, 1.0),
            (3.7, None, 0.05, 1.0, 1.0),
        ] {
            let terms = BinaryLogitTerms {
                gamma,
                alpha,
                smoothing: s,
                pos_weight: Some(vec![pw]),
                neg_weight: nw,
                classes: 1,
            };
            let k = BinaryKernel::new("test", &terms, Reduction::None);
            for &x in &[-30.0f32, -8.0, -2.5, -0.3, 0.0, 0.4, 1.7, 6.0, 25.0] {
                for &y in &[0.0f32, 0.3, 1.0] {
                    let (xd, yd) = (x as f64, y as f64);
                    let (a, g, sd, p, q) = (
                        alpha.map(|a| a as f64),
                        gamma as f64,
                        s as f64,
                        pw as f64,
                        nw as f64,
                    );
                    let want = reference(xd, yd, p, q, g, a, sd);
                    let got = k.element_any::<false>(x, y, pw);
                    assert!(
                        (got as f64 - want).abs() <= 1e-6 + 1e-5 * want.abs(),
                        "loss γ={gamma} α={alpha:?} s={s} x={x} y={y}: {got} vs {want}"
                    );
                    let h = 1e-5;
                    let dwant = (reference(xd + h, yd, p, q, g, a, sd)
                        - reference(xd - h, yd, p, q, g, a, sd))
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
            neg_weight: 1.0,
            classes: 5,
        };
        let kernel = |reduction| BinaryKernel::new("test", &terms, reduction);
        let none = kernel(Reduction::None);
        let values = none.forward_values(&x, &y);
        for i in [0, 1, CHUNK - 1, CHUNK, n - 1] {
            let pw = [0.5, 1.0, 2.0, 4.0, 8.0][i % 5];
            assert_eq!(values[i], none.element_any::<false>(x[i], y[i], pw));
        }
        let exact: f64 = values.iter().map(|&v| v as f64).sum();
        let sum = kernel(Reduction::Sum).forward_values(&x, &y)[0] as f64;
        let mean = kernel(Reduction::Mean).forward_values(&x, &y)[0] as f64;
        assert!((sum - exact).abs() <= 1e-6 * exact.abs());
        assert!((mean - exact / n as f64).abs() <= 1e-6 * (exact / n as f64).abs());

        let upstream: Vec<f32> = (0..n).map(|i| (i % 3) as f32 - 1.0).collect();
        let grad = none.backward_values(&x, &y, &upstream);
        let grad_mean = kernel(Reduction::Mean).backward_values(&x, &y, &[2.0]);
        for i in [0, 5, CHUNK + 3, n - 1] {
            let pw = [0.5, 1.0, 2.0, 4.0, 8.0][i % 5];
            let d = none.element_any::<true>(x[i], y[i], pw);
            assert_eq!(grad[i], upstream[i] * d);
            assert_eq!(grad_mean[i], (2.0 / n as f32) * d);
        }
    }

    #[test]
    fn target_range_is_checked_on_the_host() {
        let terms = BinaryLogitTerms {
            gamma: 0.0,
            alpha: None,
            smoothing: 0.0,
            pos_weight: None,
            neg_weight: 1.0,
            classes: 1,
        };
        let kernel = BinaryKernel::new("bce", &terms, Reduction::Mean);
        assert!(kernel.check(&[0.0; 3], &[&[0.0, 0.5, 1.0]]).is_ok());
        let err = kernel
            .check(&[0.0; 3], &[&[0.0, 1.5, -0.25]])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("target")
                && err.contains("target probabilities in [0, 1]")
                && err.contains("[-0.25, 1.5]"),
            "{err}"
        );
        let err = kernel
            .check(&[0.0; 2], &[&[0.5, f32::NAN]])
            .unwrap_err()
            .to_string();
        assert!(err.contains("NaN"), "{err}");
    }
}
