//! Fused kernels: the forward of a loss in one pass over its inputs and its input gradient in one
//! more, instead of a chain of composed tensor ops (each a full-size kernel and allocation) that
//! autodiff then replays backwards.
//!
//! Fused today, for `f32` inputs on the CPU backends `flex` and `ndarray` (with or without
//! autodiff, when the crate is built with their features):
//!
//! | kernel | losses | when |
//! |---|---|---|
//! | binary logit | [`BceLoss`](crate::BceLoss) (`pos_weight`, label smoothing), [`BalancedBceLoss`](crate::BalancedBceLoss) (fixed or batch β), [`BinaryFocalLoss`](crate::BinaryFocalLoss) (γ, α) | logits, no per-sample `weight` |
//! | softmax class | [`CrossEntropyLoss`](crate::CrossEntropyLoss), [`FocalLoss`](crate::FocalLoss), [`ClassBalancedLoss`](crate::ClassBalancedLoss) (`"softmax"` base) | logits and class-index targets (`ignore_index`, class weights, label smoothing), no per-sample `weight` |
//! | pairwise distances | the Euclidean / squared-Euclidean distance matrix of [`TripletMinedLoss`](crate::TripletMinedLoss) and [`ContrastiveLoss`](crate::ContrastiveLoss) (labelled batch) | the element-wise tail after the Gram matrix (burn's matrix product) |
//! | overlap sums | [`DiceLoss`](crate::DiceLoss), [`GeneralizedDiceLoss`](crate::GeneralizedDiceLoss), [`TverskyLoss`](crate::TverskyLoss), [`FocalTverskyLoss`](crate::FocalTverskyLoss), [`LogCoshDiceLoss`](crate::LogCoshDiceLoss) | every activation, target and mask: the per-(sample, class) sums `I, P, G` in one pass; the ratios on the small `[N, C]` sums stay tensor ops |
//!
//! Each kernel is a SIMD loop (the widest instruction set the CPU has, picked at run time by
//! `pulp`) split over the cores with `rayon`; its `exp` / `ln` are the Cephes single-precision
//! polynomials (≤ 2 ulp on the ranges used, tested against `f64`); sums are accumulated in f64.
//! A kernel also does its loss's value checks (class range, `[0, 1]` targets) on the slices it
//! reads anyway, with the composed checks' messages.
//!
//! Everything else — the GPU backends (wgpu and cuda rely on burn's kernel fusion instead, see
//! the facade's features), tch, other dtypes, per-sample weights, a target or mask that takes a
//! gradient — takes the composed path, which stays the reference: the fixture and gradient tests
//! run both and compare them ([`set_fused_kernels`] switches).
//!
//! The autodiff node of a fused loss has the input as its only parent: targets, masks and class
//! weights are constants, exactly as in the composed path, where burn never asks for their
//! gradient unless they require one (then the composed path is taken).

// Without a CPU backend feature the kernels have no tensors to run on (they stay compiled and
// unit-tested on slices).
#![cfg_attr(not(any(feature = "flex", feature = "ndarray")), allow(dead_code))]

use std::cell::Cell;

use burn::tensor::{DType, Tensor};

use burn::tensor::Int;

use crate::error::{LossError, LossResult};

mod binary;
mod distance;
#[cfg(any(feature = "flex", feature = "ndarray"))]
mod host;
pub(crate) mod math;
mod overlap;
mod softmax;

/// A class index equal to `ignore_index`, in the kernels' host copies of the targets.
pub(crate) const IGNORED: u32 = u32::MAX;

pub(crate) use binary::{BinaryLogitTerms, checked_binary_logit_loss};
pub(crate) use distance::distances_from_gram;
pub(crate) use overlap::{OverlapKernelTarget, overlap_sums};
pub(crate) use softmax::{MeanOver, SoftmaxTerms, checked_softmax_loss};

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

/// A loss computed on host slices: checks, a forward pass and a backward pass.
///
/// `x` is the flat f32 input (the only tensor that takes a gradient), `constants` the flat f32
/// tensors the kernel was run with (targets, masks), in the order given to [`run`]; integer
/// data (class indices) lives in the kernel itself.
pub(crate) trait HostKernel: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The value checks of the loss on the slices (before anything is recorded for autodiff).
    fn check(&self, _x: &[f32], _constants: &[&[f32]]) -> LossResult<()> {
        Ok(())
    }
    /// The loss, flat (`[numel]` for `"none"`, `[1]` after a reduction); may keep what the
    /// backward needs (a log-sum-exp per row) in `self`.
    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32>;
    /// The gradient of `x` from the forward output's upstream gradient.
    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32>;
}

/// Whether a fused kernel may take `x` and `constants`: fused kernels on, every tensor f32, no
/// constant in the autodiff graph (neither a leaf that requires grad nor computed from one, e.g.
/// the f32 cast of a half-precision target), and a CPU backend with kernels (with or without
/// autodiff). Cheap: no device work.
pub(crate) fn applies(x: &Tensor<1>, constants: &[&Tensor<1>]) -> bool {
    fused_kernels_enabled()
        && x.dtype() == DType::F32
        && constants
            .iter()
            .all(|c| c.dtype() == DType::F32 && !c.is_tracked())
        && on_host_backend(&x.device())
}

#[cfg(any(feature = "flex", feature = "ndarray"))]
fn on_host_backend(device: &burn::tensor::Device) -> bool {
    host::on_host_backend(device)
}

#[cfg(not(any(feature = "flex", feature = "ndarray")))]
fn on_host_backend(_: &burn::tensor::Device) -> bool {
    false
}

/// `kernel` on `x` and `constants` when they live on a CPU backend with kernels ([`applies`]);
/// `None` otherwise (the caller takes the composed path).
pub(crate) fn run<K: HostKernel>(
    kernel: K,
    x: &Tensor<1>,
    constants: &[Tensor<1>],
) -> Option<LossResult<Tensor<1>>> {
    #[cfg(any(feature = "flex", feature = "ndarray"))]
    {
        host::run(kernel, x, constants)
    }
    #[cfg(not(any(feature = "flex", feature = "ndarray")))]
    {
        let _ = (kernel, x, constants);
        None
    }
}

/// One block of positions `[s0, s0 + len)` of sample `n` of an `[N, C, S]` tensor: `rows[c]` is
/// class `c`'s slice of the block (the classes lie `S` apart, so a block is `C` slices).
pub(crate) struct PanelBlock<'a> {
    pub n: usize,
    pub s0: usize,
    pub rows: Vec<&'a mut [f32]>,
}

/// `out [N, C, S]` as disjoint blocks of at most `per_block` positions of one sample each (for
/// rayon: every block is written by one task).
pub(crate) fn panel_blocks_mut(out: &mut [f32], c: usize, s: usize, per_block: usize) -> Vec<PanelBlock<'_>> {
    let mut blocks = Vec::new();
    if c == 0 || s == 0 {
        return blocks;
    }
    for (n, panel) in out.chunks_mut(c * s).enumerate() {
        let mut rows: Vec<_> = panel.chunks_mut(s).map(|row| row.chunks_mut(per_block)).collect();
        for b in 0..s.div_ceil(per_block) {
            blocks.push(PanelBlock {
                n,
                s0: b * per_block,
                rows: rows
                    .iter_mut()
                    .map(|row| row.next().expect("one block per class row"))
                    .collect(),
            });
        }
    }
    blocks
}

/// The class indices on the host, `ignore_index` as [`IGNORED`]; every other index must lie in
/// `[0, C)` — the composed check's message, with ignored positions counted as class 0 as there.
/// Checked even with [trusted inputs](crate::set_trusted_inputs): the kernel indexes with them.
pub(crate) fn host_class_indices(
    loss: &'static str,
    target: &Tensor<1, Int>,
    c: usize,
    ignore: Option<i64>,
) -> LossResult<Vec<u32>> {
    #[cfg(feature = "ndarray")]
    let values = host::ndarray_indices(target);
    #[cfg(not(feature = "ndarray"))]
    let values: Option<Vec<i64>> = None;
    let values = values.unwrap_or_else(|| target.clone().into_data().iter::<i64>().collect());
    let (mut min, mut max) = (i64::MAX, i64::MIN);
    let indices: Vec<u32> = values
        .into_iter()
        .map(|t| {
            if Some(t) == ignore {
                (min, max) = (min.min(0), max.max(0));
                IGNORED
            } else {
                (min, max) = (min.min(t), max.max(t));
                t as u32
            }
        })
        .collect();
    if !indices.is_empty() && (min < 0 || max >= c as i64) {
        let ignore = ignore.map_or(String::new(), |i| format!(" (or ignore_index {i})"));
        return Err(LossError::input(
            loss,
            "target",
            format!("class indices in [0, {c}){ignore}"),
            format!("indices in [{min}, {max}]"),
        ));
    }
    Ok(indices)
}
