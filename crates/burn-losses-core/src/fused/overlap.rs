//! The sums every overlap loss is made of (the overlap losses): from `input [N, C, S]`, its
//! activation `p`, the one-hot / soft target `g` and the pixel weight `k` (mask × not ignored),
//! per sample and class
//!
//! ```text
//! I = Σ_s p·g·k²      P = Σ_s p·k  (Σ (p·k)² squared)      G = Σ_s g·k  (Σ (g·k)² squared)
//! ```
//!
//! in one pass (output `[3, N, C]`), and the input gradient from the upstream gradients of `I`
//! and `P` in one more: `∂/∂p = u_I·g·k² + u_P·k` (`2·u_P·p·k²` squared), then through the
//! activation (softmax: `p_c·(∂_c − Σ_j p_j·∂_j)`; sigmoid: `∂·σ(x)σ(−x)`; none: `∂`).

use std::sync::Arc;

use burn::tensor::Tensor;

use super::dispatch::run;
use super::kernel::{HostKernel, IGNORED, PanelBlock, panel_blocks_mut};
use super::math::{exp, exp_m1, lane_sum, sigmoid_pair, simd};
use super::softmax::{Lse, panel_lse};
use crate::error::LossResult;
use crate::tensor::activation::{Activation, INPUT_PROBABILITIES, MASK_VALUES, TARGET_PROBABILITIES};
use crate::tensor::checks::check_host_range;

/// Positions per rayon task.
const TASK_POSITIONS: usize = 1 << 12;
/// Positions per step of the loops (arrays on the stack).
const SUB: usize = 64;

/// The target of the overlap kernel.
#[derive(Debug, Clone)]
pub(crate) enum OverlapKernelTarget {
    /// Class indices `[N·S]` (checked; [`IGNORED`] where ignored); with one channel the index
    /// (0 / 1) is the foreground value itself.
    Classes(Arc<[u32]>),
    /// Probabilities `[N, C, S]`: the first constant tensor.
    Probabilities,
}

/// `[3·N·C]`: the sums `I`, `P`, `G` of every sample and class (see the module docs) of `input`
/// (flat `[N, C, S]`), with `target` and an optional pixel `mask [N·S]` (already shape-checked);
/// `None` when no kernel takes these tensors (the caller takes the composed path).
#[allow(clippy::too_many_arguments)]
pub(crate) fn overlap_sums(
    loss: &'static str,
    input: &Tensor<1>,
    [n, c, s]: [usize; 3],
    activation: Activation,
    squared: bool,
    target: OverlapKernelTarget,
    target_probabilities: Option<&Tensor<1>>,
    mask: Option<&Tensor<1>>,
) -> Option<LossResult<Tensor<1>>> {
    let constants: Vec<Tensor<1>> = target_probabilities.into_iter().chain(mask).cloned().collect();
    let kernel = OverlapKernel {
        loss,
        n,
        c,
        s,
        activation,
        squared,
        target,
        masked: mask.is_some(),
    };
    run(kernel, input, &constants)
}

#[derive(Debug, Clone)]
struct OverlapKernel {
    loss: &'static str,
    n: usize,
    c: usize,
    s: usize,
    activation: Activation,
    squared: bool,
    target: OverlapKernelTarget,
    /// Whether a mask `[N·S]` is the last constant.
    masked: bool,
}

/// The slices one block of positions reads.
struct Block<'a> {
    /// `x` of sample `n`, `[C, S]`.
    panel: &'a [f32],
    /// Target probabilities of sample `n`, `[C, S]`.
    target_panel: Option<&'a [f32]>,
    /// Class indices of the block.
    classes: Option<&'a [u32]>,
    /// Mask of the block.
    mask: Option<&'a [f32]>,
    /// The first position of the block in the sample.
    start: usize,
    len: usize,
}

impl OverlapKernel {
    fn block<'a>(
        &'a self,
        x: &'a [f32],
        constants: &[&'a [f32]],
        n: usize,
        start: usize,
        len: usize,
    ) -> Block<'a> {
        let (c, s) = (self.c, self.s);
        let probabilities = matches!(self.target, OverlapKernelTarget::Probabilities);
        Block {
            panel: &x[n * c * s..(n + 1) * c * s],
            target_panel: probabilities.then(|| &constants[0][n * c * s..(n + 1) * c * s]),
            classes: match &self.target {
                OverlapKernelTarget::Classes(t) => Some(&t[n * s + start..n * s + start + len]),
                OverlapKernelTarget::Probabilities => None,
            },
            mask: self
                .masked
                .then(|| &constants[usize::from(probabilities)][n * s + start..n * s + start + len]),
            start,
            len,
        }
    }

    /// `x` of class `ci` over the block.
    #[inline(always)]
    fn class<'a>(&self, block: &Block<'a>, ci: usize) -> &'a [f32] {
        &block.panel[ci * self.s + block.start..ci * self.s + block.start + block.len]
    }

    /// The pixel weights `k` of the block (mask × not ignored).
    #[inline(always)]
    fn keep(&self, block: &Block<'_>) -> [f32; SUB] {
        let mut k = [1.0f32; SUB];
        if let Some(mask) = block.mask {
            k[..block.len].copy_from_slice(mask);
        }
        if let Some(classes) = block.classes {
            for (k, &t) in k.iter_mut().zip(classes) {
                if t == IGNORED {
                    *k = 0.0;
                }
            }
        }
        k
    }

    /// `g` of class `ci` over the block.
    #[inline(always)]
    fn ground(&self, block: &Block<'_>, ci: usize) -> [f32; SUB] {
        let mut g = [0.0f32; SUB];
        match (block.classes, block.target_panel) {
            (Some(classes), _) if self.c == 1 => {
                for (g, &t) in g.iter_mut().zip(classes) {
                    *g = if t == IGNORED { 0.0 } else { t as f32 };
                }
            }
            (Some(classes), _) => {
                for (g, &t) in g.iter_mut().zip(classes) {
                    *g = if t == ci as u32 { 1.0 } else { 0.0 };
                }
            }
            (None, Some(panel)) => {
                let s = self.s;
                g[..block.len]
                    .copy_from_slice(&panel[ci * s + block.start..ci * s + block.start + block.len]);
            }
            (None, None) => unreachable!("a target"),
        }
        g
    }

    /// The log-sum-exp over the classes of each position and the class of its maximum
    /// (softmax only).
    #[inline(always)]
    fn logsumexp(&self, block: &Block<'_>) -> ([Lse; SUB], [u32; SUB]) {
        panel_lse(block.len, self.c, |ci| self.class(block, ci))
    }

    /// `p` of class `ci` over the block, and `dp/dx` for sigmoid (1 otherwise).
    #[inline(always)]
    fn probabilities(&self, block: &Block<'_>, ci: usize, lse: &[Lse; SUB]) -> ([f32; SUB], [f32; SUB]) {
        let mut p = [0.0f32; SUB];
        let mut dp = [1.0f32; SUB];
        let x = self.class(block, ci);
        match self.activation {
            Activation::Softmax => {
                for ((p, &v), &lse) in p.iter_mut().zip(x).zip(lse) {
                    *p = exp(lse.log_p(v));
                }
            }
            Activation::Sigmoid => {
                for ((p, dp), &v) in p.iter_mut().zip(dp.iter_mut()).zip(x) {
                    let (sig, sig_neg) = sigmoid_pair(v);
                    *p = sig;
                    *dp = sig * sig_neg;
                }
            }
            Activation::Tanh => {
                for ((p, dp), &v) in p.iter_mut().zip(dp.iter_mut()).zip(x) {
                    let t = v.tanh();
                    *p = t;
                    *dp = 1.0 - t * t;
                }
            }
            Activation::Relu => {
                for ((p, dp), &v) in p.iter_mut().zip(dp.iter_mut()).zip(x) {
                    *p = v.max(0.0);
                    *dp = if v > 0.0 { 1.0 } else { 0.0 };
                }
            }
            Activation::None | Activation::Identity => p[..block.len].copy_from_slice(x),
        }
        (p, dp)
    }

    /// The sums of the block, added into `sums [3·C]` (f64).
    #[inline(always)]
    fn block_sums(&self, block: &Block<'_>, sums: &mut [f64]) {
        let (c, len) = (self.c, block.len);
        let k = self.keep(block);
        let (lse, _) = if self.activation == Activation::Softmax {
            self.logsumexp(block)
        } else {
            ([Lse::default(); SUB], [0; SUB])
        };
        for ci in 0..c {
            let (p, _) = self.probabilities(block, ci, &lse);
            let g = self.ground(block, ci);
            let mut terms = [[0.0f32; SUB]; 3];
            for b in 0..len {
                let (pk, gk) = (p[b] * k[b], g[b] * k[b]);
                terms[0][b] = pk * gk;
                terms[1][b] = if self.squared { pk * pk } else { pk };
                terms[2][b] = if self.squared { gk * gk } else { gk };
            }
            for (which, terms) in terms.iter().enumerate() {
                sums[which * c + ci] += lane_sum(&terms[..len], |v| v);
            }
        }
    }

    /// The input gradient of one block from `u_I`, `u_P` of its sample (`[C]` each). Softmax:
    /// `∂x_c = p_c·(∂_c − Σ_j p_j·∂_j)`, for the class of the maximum as
    /// `p_c·(∂_c·(1 − p_c) − Σ_{j ≠ c} p_j·∂_j)` with `1 − p_c` from `log p_c` (no cancellation
    /// when that class is near certain).
    #[inline(always)]
    fn block_gradient(
        &self,
        block: &Block<'_>,
        u_i: &[f32],
        u_p: &[f32],
        out: &mut PanelBlock<'_>,
        offset: usize,
        pb: &mut [f32],
    ) {
        let (c, len) = (self.c, block.len);
        let k = self.keep(block);
        let softmax = self.activation == Activation::Softmax;
        let (lse, top) = if softmax {
            self.logsumexp(block)
        } else {
            ([Lse::default(); SUB], [0; SUB])
        };
        // softmax: Σ_{j ≠ top} p_j·∂_j and p_top·∂_top per position
        let mut rest = [0.0f32; SUB];
        let mut at_top = [0.0f32; SUB];
        for ci in 0..c {
            let (p, dp) = self.probabilities(block, ci, &lse);
            if softmax {
                pb[ci * SUB..(ci + 1) * SUB].copy_from_slice(&p);
            }
            let g = self.ground(block, ci);
            let row = &mut out.rows[ci][offset..offset + len];
            for (b, o) in row.iter_mut().enumerate() {
                let k2 = k[b] * k[b];
                let d = u_i[ci] * g[b] * k2 + u_p[ci] * if self.squared { 2.0 * p[b] * k2 } else { k[b] };
                if softmax {
                    let pd = p[b] * d;
                    let top = top[b] == ci as u32;
                    rest[b] += if top { 0.0 } else { pd };
                    at_top[b] += if top { pd } else { 0.0 };
                }
                *o = d * dp[b];
            }
        }
        if softmax {
            // 1 − p_top = −expm1(log p_top) = −expm1(−ln z)
            let mut below_top = [0.0f32; SUB];
            for (q, lse) in below_top.iter_mut().zip(&lse) {
                *q = -exp_m1(-lse.log_z);
            }
            for ci in 0..c {
                let p = &pb[ci * SUB..(ci + 1) * SUB];
                let row = &mut out.rows[ci][offset..offset + len];
                for (b, o) in row.iter_mut().enumerate() {
                    let top_value = p[b] * (*o * below_top[b] - rest[b]);
                    let other = p[b] * (*o - rest[b] - at_top[b]);
                    *o = if top[b] == ci as u32 { top_value } else { other };
                }
            }
        }
    }
}

impl HostKernel for OverlapKernel {
    fn check(&self, x: &[f32], constants: &[&[f32]]) -> LossResult<()> {
        if self.activation == Activation::None {
            check_host_range(self.loss, "input", x, 0.0, 1.0, INPUT_PROBABILITIES)?;
        }
        let probabilities = matches!(self.target, OverlapKernelTarget::Probabilities);
        if self.masked {
            check_host_range(
                self.loss,
                "mask",
                constants[usize::from(probabilities)],
                0.0,
                1.0,
                MASK_VALUES,
            )?;
        }
        if probabilities {
            check_host_range(self.loss, "target", constants[0], 0.0, 1.0, TARGET_PROBABILITIES)?;
        }
        Ok(())
    }

    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32> {
        use rayon::prelude::*;
        let (n, c, s) = (self.n, self.c, self.s);
        let per_sample: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|ni| {
                (0..s.div_ceil(TASK_POSITIONS))
                    .into_par_iter()
                    .map(|task| {
                        let mut sums = vec![0.0f64; 3 * c];
                        let start = task * TASK_POSITIONS;
                        let end = (start + TASK_POSITIONS).min(s);
                        simd(
                            #[inline(always)]
                            || {
                                for sub in (start..end).step_by(SUB) {
                                    let block = self.block(x, constants, ni, sub, SUB.min(end - sub));
                                    self.block_sums(&block, &mut sums);
                                }
                            },
                        );
                        sums
                    })
                    .reduce(
                        || vec![0.0f64; 3 * c],
                        |mut a, b| {
                            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                            a
                        },
                    )
            })
            .collect();
        // [3, N, C]
        let mut out = vec![0.0f32; 3 * n * c];
        for (ni, sums) in per_sample.iter().enumerate() {
            for which in 0..3 {
                for ci in 0..c {
                    out[which * n * c + ni * c + ci] = sums[which * c + ci] as f32;
                }
            }
        }
        out
    }

    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let (n, c, s) = (self.n, self.c, self.s);
        let mut out = vec![0.0f32; n * c * s];
        panel_blocks_mut(&mut out, c, s, TASK_POSITIONS)
            .into_par_iter()
            .for_each(|mut panel| {
                let ni = panel.n;
                let u_i = &upstream[ni * c..(ni + 1) * c];
                let u_p = &upstream[n * c + ni * c..n * c + (ni + 1) * c];
                let len = panel.rows[0].len();
                let mut pb = vec![0.0f32; c * SUB];
                simd(
                    #[inline(always)]
                    || {
                        for offset in (0..len).step_by(SUB) {
                            let block =
                                self.block(x, constants, ni, panel.s0 + offset, SUB.min(len - offset));
                            self.block_gradient(&block, u_i, u_p, &mut panel, offset, &mut pb);
                        }
                    },
                );
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f64 sums of the module docs for one sample and class, from `p`, `g`, `k` per position.
    fn sums(p: &[f64], g: &[f64], k: &[f64], squared: bool) -> [f64; 3] {
        let mut out = [0.0; 3];
        for ((&p, &g), &k) in p.iter().zip(g).zip(k) {
            out[0] += p * g * k * k;
            out[1] += if squared { (p * k).powi(2) } else { p * k };
            out[2] += if squared { (g * k).powi(2) } else { g * k };
        }
        out
    }

    fn activate(x: &[f64], activation: Activation) -> Vec<f64> {
        match activation {
            Activation::Softmax => {
                let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = x.iter().map(|v| (v - m).exp()).sum();
                x.iter().map(|v| (v - m).exp() / z).collect()
            }
            Activation::Sigmoid => x.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
            Activation::Tanh => x.iter().map(|v| v.tanh()).collect(),
            Activation::Relu => x.iter().map(|v| v.max(0.0)).collect(),
            Activation::None | Activation::Identity => x.to_vec(),
        }
    }

    /// The kernel's sums and the gradient of a weighted sum of them against an f64 reference and
    /// central differences, for every activation, both target kinds, a mask, ignored pixels and
    /// `squared`.
    #[test]
    fn sums_and_gradient_match_f64_reference() {
        let (n, c, s) = (2, 3, 150); // several SUB steps and a ragged end
        for activation in [
            Activation::Softmax,
            Activation::Sigmoid,
            Activation::None,
            Activation::Tanh,
            Activation::Relu,
            Activation::Identity,
        ] {
            for (probabilities, masked, squared) in [
                (false, false, false),
                (false, true, true),
                (true, true, false),
                (true, false, true),
            ] {
                let x: Vec<f32> = (0..n * c * s)
                    .map(|i| {
                        let u = ((i * 7919) % 1009) as f32 / 1009.0;
                        if activation == Activation::None {
                            u
                        } else {
                            u * 12.0 - 6.0
                        }
                    })
                    .collect();
                let classes: Vec<u32> = (0..n * s)
                    .map(|i| {
                        if i % 11 == 5 {
                            IGNORED
                        } else {
                            ((i * 7) % c) as u32
                        }
                    })
                    .collect();
                let soft: Vec<f32> = (0..n * c * s).map(|i| ((i * 31) % 17) as f32 / 16.0).collect();
                let mask: Vec<f32> = (0..n * s).map(|i| ((i * 5) % 4) as f32 / 3.0).collect();
                let kernel = OverlapKernel {
                    loss: "dice",
                    n,
                    c,
                    s,
                    activation,
                    squared,
                    target: if probabilities {
                        OverlapKernelTarget::Probabilities
                    } else {
                        OverlapKernelTarget::Classes(classes.clone().into())
                    },
                    masked,
                };
                let mut constants: Vec<&[f32]> = Vec::new();
                if probabilities {
                    constants.push(&soft);
                }
                if masked {
                    constants.push(&mask);
                }
                let reference = |x: &[f64]| -> Vec<f64> {
                    let mut out = vec![0.0; 3 * n * c];
                    let mut p = vec![0.0; c * s];
                    for ni in 0..n {
                        for si in 0..s {
                            let column: Vec<f64> = (0..c).map(|ci| x[ni * c * s + ci * s + si]).collect();
                            for (ci, v) in activate(&column, activation).into_iter().enumerate() {
                                p[ci * s + si] = v;
                            }
                        }
                        for ci in 0..c {
                            let pos = |si: usize| ni * s + si;
                            let k: Vec<f64> = (0..s)
                                .map(|si| {
                                    let m = if masked { mask[pos(si)] as f64 } else { 1.0 };
                                    let kept = probabilities || classes[pos(si)] != IGNORED;
                                    if kept { m } else { 0.0 }
                                })
                                .collect();
                            let g: Vec<f64> = (0..s)
                                .map(|si| {
                                    if probabilities {
                                        soft[ni * c * s + ci * s + si] as f64
                                    } else {
                                        (classes[pos(si)] == ci as u32) as u8 as f64
                                    }
                                })
                                .collect();
                            let v = sums(&p[ci * s..(ci + 1) * s], &g, &k, squared);
                            for (which, v) in v.into_iter().enumerate() {
                                out[which * n * c + ni * c + ci] = v;
                            }
                        }
                    }
                    out
                };
                let mut kernel = kernel;
                assert!(kernel.check(&x, &constants).is_ok());
                let got = kernel.forward(&x, &constants);
                let xd: Vec<f64> = x.iter().map(|&v| v as f64).collect();
                let want = reference(&xd);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (*g as f64 - w).abs() <= 1e-4 * (1.0 + w.abs()),
                        "{activation} sum {i}: {g} vs {w}"
                    );
                }
                // L = Σ u·sums with u_G = 0 (G does not depend on x)
                let upstream: Vec<f32> = (0..3 * n * c)
                    .map(|i| {
                        if i >= 2 * n * c {
                            0.0
                        } else {
                            0.5 + (i % 5) as f32 * 0.3
                        }
                    })
                    .collect();
                let grad = kernel.backward(&x, &constants, &upstream);
                for i in (0..n * c * s).step_by(7) {
                    let h = 1e-4;
                    let mut plus = xd.clone();
                    plus[i] += h;
                    let mut minus = xd.clone();
                    minus[i] -= h;
                    let l = |v: Vec<f64>| v.iter().zip(&upstream).map(|(a, &u)| a * u as f64).sum::<f64>();
                    let d = (l(reference(&plus)) - l(reference(&minus))) / (2.0 * h);
                    assert!(
                        (grad[i] as f64 - d).abs() <= 1e-4 * (1.0 + d.abs()),
                        "{activation} probabilities {probabilities} masked {masked} squared {squared} grad {i}: {} vs {d}",
                        grad[i]
                    );
                }
            }
        }
    }
}
