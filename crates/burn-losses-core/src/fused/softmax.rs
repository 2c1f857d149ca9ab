//! The row-wise kernel: the softmax class losses from logits and class indices,
//! [`CrossEntropyLoss`](crate::CrossEntropyLoss), [`FocalLoss`](crate::FocalLoss),
//! [`Poly1Loss`](crate::Poly1Loss) and [`ClassBalancedLoss`](crate::ClassBalancedLoss)'s softmax
//! base, position by position (a position is one sample, or one pixel of one sample). A loss of
//! this kind declares its per-class term `φ` through [`SoftmaxTerms`] (γ, the Poly-1 ε, class
//! weights, smoothing, what `"mean"` divides by); the kernel does the rest.
//!
//! With `l_c = x_c − logsumexp(x)` (log p), class weights `w`, smoothing `s`, target `t`:
//!
//! ```text
//! φ(l)  = −(1 − eˡ)^γ · l + ε·(1 − eˡ)     (γ = 0, ε = 0: −l, the cross-entropy term;
//!                                          ε: Poly-1's first polynomial term)
//! ℓ     = (1 − s)·w_t·φ(l_t) + (s/C)·Σ_c w_c·φ(l_c)          (0 where t = ignore_index)
//! ∂ℓ/∂x_j = a_j·φ'(l_j) − p_j·Σ_c a_c·φ'(l_c),   a_c = w_c·((1 − s)·[c = t] + s/C)
//! ```
//!
//! — the composed losses term for term (`(1 − p)` floored at `MIN_POSITIVE` before the power,
//! with the floor's zero derivative). The log-sum-exp of every position is kept from the forward
//! for the backward.

use std::sync::Arc;

use burn::tensor::{Int, Tensor};

use super::dispatch::{host_class_indices, row_kernel_constants, run_checked};
use super::kernel::{HostKernel, IGNORED, panel_blocks_mut, reduce_positions, reduced_upstream};
use super::math::{
    FocalPower, GAMMA_ONE, GAMMA_OTHER, GAMMA_TWO, GAMMA_ZERO, exp, exp_m1, lane_max, lane_sum, ln_1p, simd,
};
use crate::error::LossResult;
use crate::reduction::Reduction;
use crate::tensor::dynamic::DynTensor;

/// Elements per rayon task.
const TASK_ELEMENTS: usize = 1 << 14;
/// Positions per step of the panel loops (arrays on the stack).
const SUB: usize = 64;

/// What `"mean"` divides the summed losses by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum MeanOver {
    /// The number of positions whose target is not `ignore_index` (focal).
    Valid,
    /// The summed class weights of those positions (PyTorch `cross_entropy(weight=)`); their
    /// number without weights.
    ValidWeight,
    /// A fixed count (class-balanced: the batch size).
    Count(usize),
}

/// A row kernel's class weights: the config's, or `C` ones.
pub(crate) fn class_weights(weights: Option<&[f32]>, c: usize) -> Arc<[f32]> {
    match weights {
        Some(w) => Arc::from(w),
        None => vec![1.0; c].into(),
    }
}

impl MeanOver {
    /// The denominator for these targets ([`IGNORED`] where ignored) and class weights.
    pub(crate) fn divisor(self, targets: &[u32], weights: &[f32]) -> f64 {
        let valid = || targets.iter().filter(|&&t| t != IGNORED);
        match self {
            MeanOver::Valid => valid().count() as f64,
            MeanOver::ValidWeight => valid().map(|&t| weights[t as usize] as f64).sum(),
            MeanOver::Count(count) => count as f64,
        }
    }
}

/// The log-sum-exp of one position as its maximum `m` and `ln Σ exp(x − m)`: `log p = (x − m) −
/// ln z` keeps the digits of a log-probability near 0 that `x − (m + ln z)` would round away at
/// large `m` (log_softmax's own order).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lse {
    pub max: f32,
    pub log_z: f32,
}

impl Lse {
    /// The log-sum-exp of a row: `ln z = ln_1p(Σ_{x_j < m} exp(x_j − m) + ties − 1)`, the
    /// maximum's own `exp(0) = 1` kept out of the f32 sum (so that `ln z` keeps its digits when one
    /// class dominates).
    #[inline(always)]
    pub(crate) fn of_row(row: &[f32]) -> Self {
        let m = lane_max(row);
        // branch-free, so that the loops vectorise
        let below = lane_sum(row, |v| exp(v - m) * ((v != m) as u8 as f32));
        let ties = lane_sum(row, |v| (v == m) as u8 as f32);
        Self {
            max: m,
            log_z: ln_1p((below + ties - 1.0).max(0.0) as f32),
        }
    }

    /// `log p` of the value `v`.
    #[inline(always)]
    pub(crate) fn log_p(self, v: f32) -> f32 {
        (v - self.max) - self.log_z
    }
}

/// The options of one softmax class loss.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SoftmaxTerms {
    /// Focusing γ ≥ 0 (0: cross-entropy).
    pub gamma: f32,
    /// Poly-1's ε (the coefficient of `1 − p`; 0: none).
    pub poly_epsilon: f32,
    /// Class weights `[C]` (focal α, cross-entropy `weight`, class-balanced weights).
    pub weights: Option<Vec<f32>>,
    /// Label smoothing `s ∈ [0, 1]`.
    pub smoothing: f32,
    /// The skipped target value.
    pub ignore_index: Option<i64>,
    /// The `"mean"` denominator.
    pub mean_over: MeanOver,
}

/// The fused loss of logits `input [N, C, …]` and class indices `target [N, …]` when it applies
/// (f32 on a CPU backend with kernels; a per-sample `weight [N]` multiplies its positions' losses
/// and gradients, outside the `"mean"` denominator as in the composed path), with the unreduced shape (the
/// target's): `checked` runs the loss's shape checks and gives its terms; the class range is
/// checked here, on the host copy of the targets. `None`: the caller takes the composed path.
pub(crate) fn checked_softmax_loss(
    loss: &'static str,
    input: &DynTensor,
    target: &DynTensor<Int>,
    weight: Option<&DynTensor>,
    reduction: Reduction,
    checked: impl FnOnce() -> LossResult<SoftmaxTerms>,
) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
    if input.shape.len() < 2 {
        return None;
    }
    let constants = row_kernel_constants(input, weight, reduction)?;
    let kernel = checked().and_then(|terms| {
        let (n, c) = (input.shape[0], input.shape[1]);
        let s = input.numel().checked_div(n * c).unwrap_or(0);
        let targets = host_class_indices(loss, &target.flat, c, terms.ignore_index)?;
        Ok(SoftmaxKernel::new(n, c, s, &terms, targets, reduction))
    });
    run_checked(kernel, &input.flat, &constants, target.shape.clone())
}

/// [`SoftmaxTerms`] prepared for the loops; no constants (the targets are held here).
#[derive(Debug, Clone)]
pub(crate) struct SoftmaxKernel {
    n: usize,
    c: usize,
    s: usize,
    power: FocalPower,
    /// Poly-1's ε.
    poly_epsilon: f32,
    /// Class weights, all 1 without.
    weights: Arc<[f32]>,
    /// Σ_c w_c.
    weight_total: f32,
    smoothing: f32,
    /// `[N·S]` class indices, [`IGNORED`] where ignored.
    targets: Arc<[u32]>,
    reduction: Reduction,
    /// The `"mean"` denominator.
    divisor: f64,
    /// `[N·S]` log-sum-exp of each position, from the forward.
    lse: Arc<[Lse]>,
}

impl SoftmaxKernel {
    pub(crate) fn new(
        n: usize,
        c: usize,
        s: usize,
        terms: &SoftmaxTerms,
        targets: Vec<u32>,
        reduction: Reduction,
    ) -> Self {
        let weights = class_weights(terms.weights.as_deref(), c);
        let divisor = terms.mean_over.divisor(&targets, &weights);
        Self {
            n,
            c,
            s,
            power: FocalPower::new(terms.gamma),
            poly_epsilon: terms.poly_epsilon,
            weight_total: weights.iter().sum(),
            weights,
            smoothing: terms.smoothing,
            targets: targets.into(),
            reduction,
            divisor,
            lse: Arc::from(Vec::new()),
        }
    }

    /// `φ(l)` from `l = log p`.
    #[inline(always)]
    fn phi<const KIND: u8>(&self, l: f32) -> f32 {
        let focal = if KIND == GAMMA_ZERO {
            -l
        } else {
            let (factor, _) = self.power.eval::<KIND>(-exp_m1(l));
            -factor * l
        };
        if self.poly_epsilon == 0.0 {
            focal
        } else {
            // ε·(1 − p) = −ε·expm1(l)
            focal - self.poly_epsilon * exp_m1(l)
        }
    }

    /// `φ'(l)` from `l = log p`: `(φ'(l), p)`.
    #[inline(always)]
    fn dphi<const KIND: u8>(&self, l: f32) -> (f32, f32) {
        let p = exp(l);
        let focal = if KIND == GAMMA_ZERO {
            -1.0
        } else {
            let (factor, derivative) = self.power.eval::<KIND>(-exp_m1(l));
            -factor + l * p * derivative
        };
        (focal - self.poly_epsilon * p, p)
    }

    /// The loss of one position from its target's `φ` and, with smoothing, `Σ_c w_c·φ(l_c)`.
    #[inline(always)]
    fn combine(&self, t: u32, phi_t: f32, soft: f32) -> f32 {
        let hard = self.weights[t as usize] * phi_t;
        if self.smoothing == 0.0 {
            hard
        } else {
            (1.0 - self.smoothing) * hard + self.smoothing / self.c as f32 * soft
        }
    }

    /// Rows mode (`S = 1`, each position's classes contiguous): the loss and log-sum-exp of
    /// `rows` rows starting at row `r0`.
    #[inline(always)]
    fn rows_forward<const KIND: u8>(&self, x: &[f32], r0: usize, losses: &mut [f32], lse: &mut [Lse]) {
        let c = self.c;
        for (i, (loss, lse)) in losses.iter_mut().zip(lse.iter_mut()).enumerate() {
            let r = r0 + i;
            let row = &x[r * c..(r + 1) * c];
            *lse = Lse::of_row(row);
            let t = self.targets[r];
            if t == IGNORED {
                *loss = 0.0;
                continue;
            }
            let lse = *lse;
            let soft = if self.smoothing == 0.0 {
                0.0
            } else {
                weighted_lane_sum(row, &self.weights, |v| self.phi::<KIND>(lse.log_p(v))) as f32
            };
            *loss = self.combine(t, self.phi::<KIND>(lse.log_p(row[t as usize])), soft);
        }
    }

    /// Rows mode backward: the gradient of `out.len() / C` rows starting at row `r0`, with the
    /// upstream gradient `g(r)` of each row.
    ///
    /// `∂ℓ/∂x_j = g·(s/C·(w_j·φ'_j − p_j·Σ_c w_c·φ'_c) + hard·([j = t] − p_j))`, `hard = (1 − s)·w_t·φ'_t`,
    /// with `1 − p_t` from `log p_t` (no cancellation when the target is near certain).
    #[inline(always)]
    fn rows_backward<const KIND: u8>(&self, x: &[f32], r0: usize, g: impl Fn(usize) -> f32, out: &mut [f32]) {
        let c = self.c;
        let s = self.smoothing;
        let soft_scale = s / c as f32;
        for (i, out) in out.chunks_exact_mut(c).enumerate() {
            let r = r0 + i;
            let t = self.targets[r] as usize;
            if t == IGNORED as usize {
                out.fill(0.0);
                continue;
            }
            let row = &x[r * c..(r + 1) * c];
            let lse = self.lse[r];
            let g = g(r);
            let l_t = lse.log_p(row[t]);
            let hard = g * (1.0 - s) * self.weights[t] * self.dphi::<KIND>(l_t).0;
            // φ' = −1: cross-entropy's smoothing terms without a φ' per class
            let constant = KIND == GAMMA_ZERO && self.poly_epsilon == 0.0;
            let own = |j: usize, l: f32| -> f32 {
                if constant {
                    -soft_scale * self.weights[j]
                } else {
                    soft_scale * self.weights[j] * self.dphi::<KIND>(l).0
                }
            };
            let soft_t = if s == 0.0 {
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = -hard * exp(lse.log_p(v));
                }
                0.0
            } else {
                // Σ_c (s/C)·w_c·φ'_c
                let soft = if constant {
                    -soft_scale * self.weight_total
                } else {
                    soft_scale
                        * weighted_lane_sum(row, &self.weights, |v| self.dphi::<KIND>(lse.log_p(v)).0) as f32
                };
                for (j, (o, &v)) in out.iter_mut().zip(row).enumerate() {
                    let l = lse.log_p(v);
                    let p = exp(l);
                    *o = g * (own(j, l) - p * soft) - hard * p;
                }
                g * (own(t, l_t) - exp(l_t) * soft)
            };
            // the target: its smoothing term + hard·(1 − p_t)
            out[t] = soft_t - hard * exp_m1(l_t);
        }
    }

    /// Block mode: the losses and log-sum-exps of `len ≤ SUB` positions gathered into `xb`
    /// (class `c`'s values at `xb[c·SUB..]`), their targets `targets`.
    #[inline(always)]
    fn block_forward<const KIND: u8>(
        &self,
        xb: &[f32],
        targets: &[u32],
        losses: &mut [f32],
        lse: &mut [Lse],
    ) {
        let c = self.c;
        let len = targets.len();
        let class = |ci: usize| &xb[ci * SUB..ci * SUB + len];
        let (all, _) = panel_lse(len, c, class);
        lse.copy_from_slice(&all[..len]);
        let mut soft = [0.0f32; SUB];
        if self.smoothing != 0.0 {
            for (ci, &w) in self.weights.iter().enumerate() {
                for ((acc, &v), &lse) in soft.iter_mut().zip(class(ci)).zip(lse.iter()) {
                    *acc += w * self.phi::<KIND>(lse.log_p(v));
                }
            }
        }
        for (b, (loss, &t)) in losses.iter_mut().zip(targets).enumerate() {
            *loss = if t == IGNORED {
                0.0
            } else {
                self.combine(t, self.phi::<KIND>(lse[b].log_p(class(t as usize)[b])), soft[b])
            };
        }
    }

    /// Block mode backward: the gradient of the positions of [`block_forward`](Self::block_forward)
    /// into `gb` (same layout as `xb`), with the upstream gradient `gs[b]` of each position; the
    /// formula of [`rows_backward`](Self::rows_backward).
    #[inline(always)]
    fn block_backward<const KIND: u8>(
        &self,
        xb: &[f32],
        targets: &[u32],
        lse: &[Lse],
        gs: &[f32],
        gb: &mut [f32],
    ) {
        let c = self.c;
        let len = targets.len();
        let class = |ci: usize| &xb[ci * SUB..ci * SUB + len];
        let smoothing = self.smoothing;
        let soft_scale = smoothing / c as f32;
        // per position: g·(1 − s)·w_t·φ'(l_t) (0 where ignored), Σ_c (s/C)·w_c·φ'(l_c)
        let mut gs_kept = [0.0f32; SUB];
        let mut hard = [0.0f32; SUB];
        for (b, (&t, &lse)) in targets.iter().zip(lse).enumerate() {
            if t != IGNORED {
                gs_kept[b] = gs[b];
                let l = lse.log_p(class(t as usize)[b]);
                hard[b] = gs[b] * (1.0 - smoothing) * self.weights[t as usize] * self.dphi::<KIND>(l).0;
            }
        }
        let mut soft = [0.0f32; SUB];
        if smoothing != 0.0 {
            for (ci, &w) in self.weights.iter().enumerate() {
                for ((acc, &v), &lse) in soft.iter_mut().zip(class(ci)).zip(lse) {
                    *acc += soft_scale * w * self.dphi::<KIND>(lse.log_p(v)).0;
                }
            }
        }
        for (ci, &w) in self.weights.iter().enumerate() {
            let out = &mut gb[ci * SUB..ci * SUB + len];
            for (b, (o, &v)) in out.iter_mut().zip(class(ci)).enumerate() {
                let (own, p) = if smoothing == 0.0 {
                    (0.0, exp(lse[b].log_p(v)))
                } else {
                    let (d, p) = self.dphi::<KIND>(lse[b].log_p(v));
                    (soft_scale * w * d, p)
                };
                *o = gs_kept[b] * (own - p * soft[b]) - hard[b] * p;
            }
        }
        for (b, &t) in targets.iter().enumerate() {
            if t != IGNORED {
                // the target: its smoothing term, + hard·(1 − p_t)
                let t = t as usize;
                let l_t = lse[b].log_p(class(t)[b]);
                let own = if smoothing == 0.0 {
                    0.0
                } else {
                    let (d, p) = self.dphi::<KIND>(l_t);
                    gs_kept[b] * (soft_scale * self.weights[t] * d - p * soft[b])
                };
                gb[t * SUB + b] = own - hard[b] * exp_m1(l_t);
            }
        }
    }

    /// Whether a position's classes are processed as one contiguous row (`S = 1` and enough
    /// classes to fill the SIMD lanes) rather than gathered in blocks of positions.
    fn rows_mode(&self) -> bool {
        self.s == 1 && self.c >= 32
    }

    /// The per-position losses, keeping the log-sum-exps.
    fn positions_forward<const KIND: u8>(&mut self, x: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let (n, c, s) = (self.n, self.c, self.s);
        let mut losses = vec![0.0f32; n * s];
        let mut lse = vec![Lse::default(); n * s];
        let this = &*self;
        if self.rows_mode() {
            let rows = (TASK_ELEMENTS / c).max(1);
            losses
                .par_chunks_mut(rows)
                .zip(lse.par_chunks_mut(rows))
                .enumerate()
                .for_each(|(i, (losses, lse))| {
                    simd(
                        #[inline(always)]
                        || this.rows_forward::<KIND>(x, i * rows, losses, lse),
                    )
                });
        } else {
            let per_task = (TASK_ELEMENTS / c.max(1)).div_ceil(SUB).max(1) * SUB;
            losses
                .par_chunks_mut(per_task)
                .zip(lse.par_chunks_mut(per_task))
                .enumerate()
                .for_each(|(task, (losses, lse))| {
                    let mut xb = vec![0.0f32; c * SUB];
                    let first = task * per_task;
                    for (k, (losses, lse)) in losses.chunks_mut(SUB).zip(lse.chunks_mut(SUB)).enumerate() {
                        let positions = first + k * SUB..first + k * SUB + losses.len();
                        this.gather(x, positions.clone(), &mut xb);
                        simd(
                            #[inline(always)]
                            || this.block_forward::<KIND>(&xb, &this.targets[positions], losses, lse),
                        );
                    }
                });
        }
        self.lse = lse.into();
        losses
    }

    /// The values of `positions` (global indices `n·S + s`) into `xb` (class `c` at `xb[c·SUB..]`).
    #[inline(always)]
    fn gather(&self, x: &[f32], positions: std::ops::Range<usize>, xb: &mut [f32]) {
        let (c, s) = (self.c, self.s);
        for (b, p) in positions.enumerate() {
            let base = p / s * c * s + p % s;
            for ci in 0..c {
                xb[ci * SUB + b] = x[base + ci * s];
            }
        }
    }

    /// The input gradient from the forward output's upstream gradient, each position's scaled by
    /// its sample's weight.
    fn gradient<const KIND: u8>(
        &self,
        x: &[f32],
        upstream: &[f32],
        sample_weight: Option<&[f32]>,
    ) -> Vec<f32> {
        use rayon::prelude::*;
        let (n, c, s) = (self.n, self.c, self.s);
        let scale = reduced_upstream(self.reduction, upstream, self.divisor);
        let g = |position: usize| {
            let sw = sample_weight.map_or(1.0, |w| w[position / s]);
            scale.unwrap_or_else(|| upstream[position]) * sw
        };
        let mut out = vec![0.0f32; n * c * s];
        if self.rows_mode() {
            let rows = (TASK_ELEMENTS / c).max(1);
            out.par_chunks_mut(rows * c).enumerate().for_each(|(i, out)| {
                simd(
                    #[inline(always)]
                    || self.rows_backward::<KIND>(x, i * rows, g, out),
                )
            });
            return out;
        }
        // one block of positions: gather into `xb`, its gradient into `gb` (the callers scatter)
        let block = |positions: std::ops::Range<usize>, xb: &mut [f32], gb: &mut [f32]| {
            self.gather(x, positions.clone(), xb);
            let mut gs = [0.0f32; SUB];
            for (b, g_b) in gs[..positions.len()].iter_mut().enumerate() {
                *g_b = g(positions.start + b);
            }
            let lse = &self.lse[positions.clone()];
            simd(
                #[inline(always)]
                || self.block_backward::<KIND>(xb, &self.targets[positions.clone()], lse, &gs, gb),
            );
        };
        if s == 1 {
            // rows of a few classes: tasks of whole rows, each a contiguous piece of `out`
            let rows = (TASK_ELEMENTS / c.max(1)).div_ceil(SUB).max(1) * SUB;
            out.par_chunks_mut(rows * c).enumerate().for_each(|(task, out)| {
                let (mut xb, mut gb) = (vec![0.0f32; c * SUB], vec![0.0f32; c * SUB]);
                for (k, piece) in out.chunks_mut(SUB * c).enumerate() {
                    let first = task * rows + k * SUB;
                    let len = piece.len() / c;
                    block(first..first + len, &mut xb, &mut gb);
                    for (b, row) in piece.chunks_exact_mut(c).enumerate() {
                        for (ci, o) in row.iter_mut().enumerate() {
                            *o = gb[ci * SUB + b];
                        }
                    }
                }
            });
        } else {
            let per_task = (TASK_ELEMENTS / c.max(1)).div_ceil(SUB).max(1) * SUB;
            panel_blocks_mut(&mut out, c, s, per_task)
                .into_par_iter()
                .for_each(|mut panel| {
                    let (mut xb, mut gb) = (vec![0.0f32; c * SUB], vec![0.0f32; c * SUB]);
                    let len = panel.rows[0].len();
                    for offset in (0..len).step_by(SUB) {
                        let first = panel.n * s + panel.s0 + offset;
                        let sub = SUB.min(len - offset);
                        block(first..first + sub, &mut xb, &mut gb);
                        for (ci, row) in panel.rows.iter_mut().enumerate() {
                            row[offset..offset + sub].copy_from_slice(&gb[ci * SUB..ci * SUB + sub]);
                        }
                    }
                });
        }
        out
    }
}

/// The log-sum-exps ([`Lse::of_row`]) of `len ≤ SUB` positions whose class `c` values are
/// `class(c)`, and the class of each position's maximum.
#[inline(always)]
pub(crate) fn panel_lse<'a>(
    len: usize,
    c: usize,
    class: impl Fn(usize) -> &'a [f32],
) -> ([Lse; SUB], [u32; SUB]) {
    let mut m = [f32::NEG_INFINITY; SUB];
    let mut at = [0u32; SUB];
    for ci in 0..c {
        for ((m, at), &v) in m[..len].iter_mut().zip(at.iter_mut()).zip(class(ci)) {
            // the first maximum; NaN propagates (f32::max would drop it)
            if v > *m || (v.is_nan() && !m.is_nan()) {
                *m = v;
                *at = ci as u32;
            }
        }
    }
    let mut rest = [0.0f32; SUB];
    for ci in 0..c {
        for (((rest, &v), &m), &at) in rest.iter_mut().zip(class(ci)).zip(&m).zip(&at) {
            let e = exp(v - m);
            *rest += if at == ci as u32 { 0.0 } else { e };
        }
    }
    let mut lse = [Lse::default(); SUB];
    for ((lse, &m), &rest) in lse.iter_mut().zip(&m).zip(&rest) {
        *lse = Lse {
            max: m,
            log_z: ln_1p(rest),
        };
    }
    (lse, at)
}

/// `Σ_c w_c·f(v_c)` in eight lanes, added in f64.
#[inline(always)]
fn weighted_lane_sum(values: &[f32], weights: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    use super::math::LANES;
    let mut lanes = [0.0f32; LANES];
    let mut it = values.chunks_exact(LANES).zip(weights.chunks_exact(LANES));
    for (v8, w8) in &mut it {
        for ((lane, &v), &w) in lanes.iter_mut().zip(v8).zip(w8) {
            *lane += w * f(v);
        }
    }
    let done = values.len() / LANES * LANES;
    let rest: f32 = values[done..]
        .iter()
        .zip(&weights[done..])
        .map(|(&v, &w)| w * f(v))
        .sum();
    lanes.iter().map(|&v| v as f64).sum::<f64>() + rest as f64
}

macro_rules! by_gamma_kind {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self.power.kind {
            GAMMA_ZERO => $self.$method::<GAMMA_ZERO>($($arg),*),
            GAMMA_ONE => $self.$method::<GAMMA_ONE>($($arg),*),
            GAMMA_TWO => $self.$method::<GAMMA_TWO>($($arg),*),
            _ => $self.$method::<GAMMA_OTHER>($($arg),*),
        }
    };
}

impl HostKernel for SoftmaxKernel {
    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32> {
        let mut losses = by_gamma_kind!(self.positions_forward(x));
        if let Some(w) = constants.first() {
            // the per-sample weight multiplies its positions' losses (not the "mean" denominator)
            for (sample, losses) in losses.chunks_mut(self.s.max(1)).enumerate() {
                losses.iter_mut().for_each(|l| *l *= w[sample]);
            }
        }
        reduce_positions(losses, self.reduction, self.divisor)
    }

    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        by_gamma_kind!(self.gradient(x, upstream, constants.first().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f64 reference of one position's loss (the formula of the module docs).
    fn reference(row: &[f64], t: usize, w: &[f64], (gamma, epsilon): (f64, f64), s: f64) -> f64 {
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
        let phi = |l: f64| {
            -(1.0 - l.exp()).max(f32::MIN_POSITIVE as f64).powf(gamma) * l + epsilon * (1.0 - l.exp())
        };
        let c = row.len() as f64;
        (1.0 - s) * w[t] * phi(row[t] - lse)
            + s / c * (0..row.len()).map(|k| w[k] * phi(row[k] - lse)).sum::<f64>()
    }

    /// Logits `[n, c, s]`, targets `[n, s]` (every 7th ignored).
    fn case(n: usize, c: usize, s: usize) -> (Vec<f32>, Vec<u32>) {
        let x = (0..n * c * s)
            .map(|i| ((i * 7919) % 1009) as f32 / 1009.0 * 16.0 - 8.0)
            .collect();
        let t = (0..n * s)
            .map(|i| {
                if i % 7 == 3 {
                    IGNORED
                } else {
                    ((i * 13) % c) as u32
                }
            })
            .collect();
        (x, t)
    }

    /// Kernel losses and gradients (`"none"`, upstream 1) against the f64 formula and central
    /// differences, in both modes, for every kind of γ, with weights, smoothing and Poly-1's ε.
    #[test]
    fn matches_f64_formula_and_derivative_in_both_modes() {
        // block mode (few classes, or S > 1) and rows mode (S = 1, C ≥ 32)
        for (n, c, s) in [(5, 7, 1), (2, 3, 70), (3, 40, 1), (3, 2, 5)] {
            let (x, targets) = case(n, c, s);
            let at = |ni: usize, ci: usize, si: usize| ni * c * s + ci * s + si;
            for (gamma, poly_epsilon, smoothing, weighted) in [
                (0.0, 0.0, 0.0, false),
                (0.0, 0.0, 0.1, true),
                (2.0, 0.0, 0.0, true),
                (1.0, 0.0, 0.2, false),
                (0.5, 0.0, 0.3, true),
                (3.7, 0.0, 0.0, false),
                (0.0, 1.0, 0.0, false),
                (0.0, -0.5, 0.1, true),
                (2.0, 2.0, 0.0, true),
            ] {
                let weights: Vec<f32> = (0..c)
                    .map(|k| if weighted { 0.5 + k as f32 * 0.25 } else { 1.0 })
                    .collect();
                let terms = SoftmaxTerms {
                    gamma,
                    poly_epsilon,
                    weights: weighted.then(|| weights.clone()),
                    smoothing,
                    ignore_index: None,
                    mean_over: MeanOver::Valid,
                };
                let mut kernel = SoftmaxKernel::new(n, c, s, &terms, targets.clone(), Reduction::None);
                let losses = kernel.forward(&x, &[]);
                let upstream = vec![1.0f32; n * s];
                let grad = kernel.backward(&x, &[], &upstream);
                let wd: Vec<f64> = weights.iter().map(|&w| w as f64).collect();
                for ni in 0..n {
                    for si in 0..s {
                        let pos = ni * s + si;
                        let row = |delta: Option<(usize, f64)>| -> Vec<f64> {
                            (0..c)
                                .map(|ci| {
                                    let v = x[at(ni, ci, si)] as f64;
                                    match delta {
                                        Some((k, h)) if k == ci => v + h,
                                        _ => v,
                                    }
                                })
                                .collect()
                        };
                        let t = targets[pos];
                        if t == IGNORED {
                            assert_eq!(losses[pos], 0.0);
                            assert!((0..c).all(|ci| grad[at(ni, ci, si)] == 0.0));
                            continue;
                        }
                        let (g, sm) = ((gamma as f64, poly_epsilon as f64), smoothing as f64);
                        let want = reference(&row(None), t as usize, &wd, g, sm);
                        assert!(
                            (losses[pos] as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "[{n},{c},{s}] γ={gamma} ε={poly_epsilon} s={smoothing} pos {pos}: {} vs {want}",
                            losses[pos]
                        );
                        for ci in 0..c {
                            let h = 1e-5;
                            let d = (reference(&row(Some((ci, h))), t as usize, &wd, g, sm)
                                - reference(&row(Some((ci, -h))), t as usize, &wd, g, sm))
                                / (2.0 * h);
                            let got = grad[at(ni, ci, si)] as f64;
                            assert!(
                                (got - d).abs() <= 1e-5 + 1e-4 * d.abs(),
                                "[{n},{c},{s}] γ={gamma} ε={poly_epsilon} s={smoothing} pos {pos} class {ci}: {got} vs {d}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn reductions_and_their_gradients() {
        let (n, c, s) = (6, 5, 40);
        let (x, targets) = case(n, c, s);
        let terms = |mean_over| SoftmaxTerms {
            gamma: 2.0,
            poly_epsilon: 0.0,
            weights: Some(vec![1.0, 2.0, 0.5, 1.5, 3.0]),
            smoothing: 0.0,
            ignore_index: Some(-100),
            mean_over,
        };
        let none = SoftmaxKernel::new(n, c, s, &terms(MeanOver::Valid), targets.clone(), Reduction::None)
            .forward(&x, &[]);
        let total: f64 = none.iter().map(|&v| v as f64).sum();
        let valid: Vec<u32> = targets.iter().copied().filter(|&t| t != IGNORED).collect();
        let weight_sum: f64 = valid.iter().map(|&t| [1.0, 2.0, 0.5, 1.5, 3.0][t as usize]).sum();
        for (mean_over, divisor) in [
            (MeanOver::Valid, valid.len() as f64),
            (MeanOver::ValidWeight, weight_sum),
            (MeanOver::Count(n), n as f64),
        ] {
            let mut kernel = SoftmaxKernel::new(n, c, s, &terms(mean_over), targets.clone(), Reduction::Mean);
            let mean = kernel.forward(&x, &[])[0] as f64;
            assert!(
                (mean - total / divisor).abs() <= 1e-6 * mean.abs(),
                "{mean_over:?}"
            );
            let grad = kernel.backward(&x, &[], &[3.0]);
            let mut unreduced =
                SoftmaxKernel::new(n, c, s, &terms(mean_over), targets.clone(), Reduction::None);
            unreduced.forward(&x, &[]);
            let each = unreduced.backward(&x, &[], &vec![(3.0 / divisor) as f32; n * s]);
            for (a, b) in grad.iter().zip(&each) {
                assert!((a - b).abs() <= 1e-7 + 1e-6 * b.abs());
            }
        }
        let mut sum = SoftmaxKernel::new(n, c, s, &terms(MeanOver::Valid), targets, Reduction::Sum);
        assert!((sum.forward(&x, &[])[0] as f64 - total).abs() <= 1e-6 * total.abs());
    }

    #[test]
    fn class_indices_are_checked_with_the_composed_message() {
        let device = burn::tensor::Device::default();
        let t = Tensor::<1, Int>::from_data([0, 3, -100, 2], &device);
        assert_eq!(
            host_class_indices("ce", &t, 4, Some(-100)).unwrap(),
            vec![0, 3, IGNORED, 2]
        );
        let err = host_class_indices("ce", &t, 3, Some(-100))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("class indices in [0, 3) (or ignore_index -100)")
                && err.contains("indices in [0, 3]"),
            "{err}"
        );
        let err = host_class_indices("focal", &t, 4, None).unwrap_err().to_string();
        assert!(
            err.contains("class indices in [0, 4)") && err.contains("indices in [-100, 3]"),
            "{err}"
        );
    }
}
