//! What every fused kernel shares: the on/off switch, the [`HostKernel`] contract and the
//! blocks of `[N, C, S]` panels the kernels fill in parallel.

use std::cell::Cell;

use super::math::sum_f64;
use crate::error::LossResult;
use crate::reduction::Reduction;

/// A class index equal to `ignore_index`, in the kernels' host copies of the targets.
pub(crate) const IGNORED: u32 = u32::MAX;

thread_local! {
    static FUSED_ENABLED: Cell<bool> = const { Cell::new(true) };
    static FUSED_RUNS: Cell<u64> = const { Cell::new(0) };
}

/// How many losses a fused kernel has computed on this thread so far (a loss whose fused kernel
/// did not apply took its composed tensor ops): the benchmark table and the tests read it to
/// tell which path a loss took.
pub fn fused_kernel_runs() -> u64 {
    FUSED_RUNS.with(Cell::get)
}

/// Counts one loss computed by a fused kernel on this thread.
pub(crate) fn count_fused_run() {
    FUSED_RUNS.with(|runs| runs.set(runs.get() + 1));
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

/// A row kernel's forward output from its per-position losses: the losses (`"none"`), their sum,
/// or their sum over `divisor` (`"mean"`; `"mean_with_sample_weight"` reaches a kernel only
/// without a weight, where it is `"mean"`).
pub(crate) fn reduce_positions(losses: Vec<f32>, reduction: Reduction, divisor: f64) -> Vec<f32> {
    match reduction {
        Reduction::None => losses,
        Reduction::Sum => vec![sum_f64(&losses) as f32],
        Reduction::Mean | Reduction::MeanWithSampleWeight => vec![(sum_f64(&losses) / divisor) as f32],
    }
}

/// The upstream gradient every position of a row kernel gets after a reduction (`None` for
/// `"none"`: each position its own), the counterpart of [`reduce_positions`].
pub(crate) fn reduced_upstream(reduction: Reduction, upstream: &[f32], divisor: f64) -> Option<f32> {
    match reduction {
        Reduction::None => None,
        Reduction::Sum => Some(upstream[0]),
        Reduction::Mean | Reduction::MeanWithSampleWeight => Some((upstream[0] as f64 / divisor) as f32),
    }
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
