//! Where a fused kernel runs: whether it applies to the tensors at hand ([`applies`]), running it
//! on the host backends ([`run`]), and the class indices it reads.

use burn::tensor::{DType, Int, Tensor};

#[cfg(any(feature = "flex", feature = "ndarray"))]
use super::host;
use super::kernel::{HostKernel, IGNORED, count_fused_run, fused_kernels_enabled};
use crate::error::{LossError, LossResult};

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
        let loss = host::run(kernel, x, constants);
        if loss.is_some() {
            count_fused_run();
        }
        loss
    }
    #[cfg(not(any(feature = "flex", feature = "ndarray")))]
    {
        let _ = (kernel, x, constants);
        None
    }
}

/// [`run`] on a kernel built after the loss's checks (`kernel`: its error, if a check failed, is
/// the result), with the unreduced loss's logical `shape`.
pub(crate) fn run_checked<K: HostKernel>(
    kernel: LossResult<K>,
    x: &Tensor<1>,
    constants: &[Tensor<1>],
    shape: Vec<usize>,
) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
    let loss = match kernel {
        Ok(kernel) => run(kernel, x, constants),
        Err(e) => Some(Err(e)),
    };
    loss.map(|loss| loss.map(|loss| (loss, shape)))
}

/// The constants of a row kernel on `input [N, …]` — none, or its per-sample weight `[N]` — when
/// the kernel applies ([`applies`]: f32, nothing but the input tracked, a CPU backend). A weight
/// of another shape, or with `"mean_with_sample_weight"` (whose divisor is the weights' sum),
/// takes the composed path: `None`. Without a weight that reduction is `"mean"`.
pub(crate) fn row_kernel_constants(
    input: &crate::tensor::dynamic::DynTensor,
    weight: Option<&crate::tensor::dynamic::DynTensor>,
    reduction: crate::reduction::Reduction,
) -> Option<Vec<Tensor<1>>> {
    let constants = match weight {
        None => Vec::new(),
        Some(_) if reduction == crate::reduction::Reduction::MeanWithSampleWeight => return None,
        Some(w) if input.shape.first().is_some_and(|&n| w.shape == [n]) => vec![w.flat.clone()],
        Some(_) => return None,
    };
    applies(&input.flat, &constants.iter().collect::<Vec<_>>()).then_some(constants)
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
