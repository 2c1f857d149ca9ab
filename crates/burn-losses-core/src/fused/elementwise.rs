//! The element-wise kind: a loss of `input` and `target` of one shape, one element at a time.
//! The loss declares its scalar form once — the value `ℓ(x, y)` and the derivative `∂ℓ/∂x` of one
//! element ([`ScalarLoss`], next to the loss's composed formula) — and this kernel does the rest:
//! the pass over the elements, the per-sample weights, the reductions and the gradient.

use burn::tensor::Tensor;

use super::dispatch::{applies, run};
use super::kernel::HostKernel;
use super::math::{LANES, simd};
use crate::error::LossResult;
use crate::reduction::Reduction;
use crate::tensor::dynamic::DynTensor;

/// Elements per rayon task (a multiple of every SIMD width).
const CHUNK: usize = 1 << 15;

/// The scalar form of an element-wise loss: the value and the derivative in `x` (the input) of
/// one element against its target `y`, with the composed formula's subgradients at its kinks.
/// Inlined into the kernel's SIMD loops, so it should be branch-free arithmetic where it can.
pub(crate) trait ScalarLoss: Copy + std::fmt::Debug + Send + Sync + 'static {
    /// `ℓ(x, y)`.
    fn value(&self, x: f32, y: f32) -> f32;
    /// `∂ℓ/∂x (x, y)`.
    fn grad(&self, x: f32, y: f32) -> f32;
    /// This form for one call's targets, read once on the host before the pass (default:
    /// unchanged): what the composed formula decides from the whole target, such as Keras's hinge
    /// labels (a target of only 0s and 1s is read as {−1, 1}).
    fn for_targets(self, _y: &[f32]) -> Self {
        self
    }
}

/// The fused element-wise loss when it applies (f32 on a CPU backend with kernels, fused kernels
/// on, `target` of the input's shape, no per-position weight, nothing but the input tracked):
/// `checked` runs the loss's checks first. `None`: the caller takes the composed path.
pub(crate) fn checked_elementwise_loss<S: ScalarLoss>(
    scalar: S,
    input: &DynTensor,
    target: &DynTensor,
    weight: Option<&DynTensor>,
    reduction: Reduction,
    checked: impl FnOnce() -> LossResult<()>,
) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
    if target.shape != input.shape || weight.is_some_and(|w| w.shape.len() != 1) {
        return None;
    }
    let mut constants = vec![target.flat.clone()];
    constants.extend(weight.map(|w| w.flat.clone()));
    let borrowed: Vec<&Tensor<1>> = constants.iter().collect();
    if !applies(&input.flat, &borrowed) {
        return None;
    }
    if let Err(e) = checked() {
        return Some(Err(e));
    }
    let n = input.shape[0];
    let kernel = ElementwiseKernel {
        scalar,
        reduction,
        per_sample: input.numel().checked_div(n).unwrap_or(0).max(1),
    };
    run(kernel, &input.flat, &constants).map(|loss| loss.map(|loss| (loss, input.shape.clone())))
}

/// A [`ScalarLoss`] with the reduction; constants: `[target]` or `[target, weight [N]]`.
#[derive(Debug, Clone)]
pub(crate) struct ElementwiseKernel<S: ScalarLoss> {
    scalar: S,
    reduction: Reduction,
    /// Elements per sample (the period of the per-sample weight).
    per_sample: usize,
}

#[derive(Clone, Copy)]
enum Upstream<'a> {
    Scalar(f32),
    PerElement(&'a [f32]),
}

impl<S: ScalarLoss> ElementwiseKernel<S> {
    /// `out[i] = g(i)·w(i)·f(x[i], y[i])` over one chunk starting at element `offset`, where `f`
    /// is the loss or its derivative, `g` the upstream gradient and `w` the sample's weight.
    #[inline(always)]
    fn chunk<const GRAD: bool>(
        &self,
        offset: usize,
        x: &[f32],
        y: &[f32],
        weight: Option<&[f32]>,
        upstream: Upstream,
        out: &mut [f32],
    ) {
        let s = self.scalar;
        let f = |x: f32, y: f32| if GRAD { s.grad(x, y) } else { s.value(x, y) };
        let Some(weight) = weight else {
            let xy = x.iter().zip(y);
            match upstream {
                Upstream::Scalar(g) => {
                    for (o, (&x, &y)) in out.iter_mut().zip(xy) {
                        *o = g * f(x, y);
                    }
                }
                Upstream::PerElement(g) => {
                    for ((o, &g), (&x, &y)) in out.iter_mut().zip(g).zip(xy) {
                        *o = g * f(x, y);
                    }
                }
            }
            return;
        };
        // one sample's run of elements at a time: its weight is a loop constant
        for (sample, run) in self.sample_runs(offset, out.len()) {
            let w = weight[sample];
            let xy = x[run.clone()].iter().zip(&y[run.clone()]);
            match upstream {
                Upstream::Scalar(g) => {
                    let gw = g * w;
                    for (o, (&x, &y)) in out[run].iter_mut().zip(xy) {
                        *o = gw * f(x, y);
                    }
                }
                Upstream::PerElement(g) => {
                    for ((o, &g), (&x, &y)) in out[run.clone()].iter_mut().zip(&g[run]).zip(xy) {
                        *o = g * w * f(x, y);
                    }
                }
            }
        }
    }

    /// The runs of one sample each among `len` elements from `offset`: `(sample, range within
    /// the chunk)`.
    fn sample_runs(
        &self,
        offset: usize,
        len: usize,
    ) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> {
        let per_sample = self.per_sample;
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= len {
                return None;
            }
            let sample = (offset + start) / per_sample;
            let end = ((sample + 1) * per_sample - offset).min(len);
            let run = start..end;
            start = end;
            Some((sample, run))
        })
    }

    fn chunk_simd<const GRAD: bool>(
        &self,
        offset: usize,
        x: &[f32],
        y: &[f32],
        weight: Option<&[f32]>,
        upstream: Upstream,
        out: &mut [f32],
    ) {
        simd(
            #[inline(always)]
            || self.chunk::<GRAD>(offset, x, y, weight, upstream, out),
        )
    }

    /// `f` over every element in parallel chunks (`upstream` per element or one scalar).
    fn pass<const GRAD: bool>(
        &self,
        x: &[f32],
        y: &[f32],
        weight: Option<&[f32]>,
        upstream: Upstream,
    ) -> Vec<f32> {
        use rayon::prelude::*;
        let mut out = vec![0.0f32; x.len()];
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
            let range = c * CHUNK..c * CHUNK + out.len();
            let upstream = match upstream {
                Upstream::PerElement(g) => Upstream::PerElement(&g[range.clone()]),
                scalar => scalar,
            };
            self.chunk_simd::<GRAD>(range.start, &x[range.clone()], &y[range], weight, upstream, out)
        });
        out
    }

    /// `Σ w·ℓ` over one chunk starting at element `offset`, without writing the element losses:
    /// blocks of 256 elements summed in eight f32 lanes, the blocks added in f64.
    #[inline(always)]
    fn chunk_sum(&self, offset: usize, x: &[f32], y: &[f32], weight: Option<&[f32]>) -> f64 {
        let s = self.scalar;
        let block_sum = |x: &[f32], y: &[f32]| -> f64 {
            let mut total = 0.0f64;
            for (xb, yb) in x.chunks(256).zip(y.chunks(256)) {
                let mut lanes = [0.0f32; LANES];
                let (mut xs, mut ys) = (xb.chunks_exact(LANES), yb.chunks_exact(LANES));
                for (x8, y8) in (&mut xs).zip(&mut ys) {
                    for ((lane, &x), &y) in lanes.iter_mut().zip(x8).zip(y8) {
                        *lane += s.value(x, y);
                    }
                }
                let rest: f32 = xs
                    .remainder()
                    .iter()
                    .zip(ys.remainder())
                    .map(|(&x, &y)| s.value(x, y))
                    .sum();
                total += lanes.iter().map(|&v| v as f64).sum::<f64>() + rest as f64;
            }
            total
        };
        let Some(weight) = weight else {
            return block_sum(x, y);
        };
        self.sample_runs(offset, x.len())
            .map(|(sample, run)| weight[sample] as f64 * block_sum(&x[run.clone()], &y[run]))
            .sum()
    }

    /// The forward on slices: element losses (`"none"`) or their sum / mean.
    pub(crate) fn forward_values(&self, x: &[f32], y: &[f32], weight: Option<&[f32]>) -> Vec<f32> {
        use rayon::prelude::*;
        if self.reduction == Reduction::None {
            return self.pass::<false>(x, y, weight, Upstream::Scalar(1.0));
        }
        let total: f64 = x
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, xs)| {
                let start = c * CHUNK;
                let ys = &y[start..start + xs.len()];
                simd(
                    #[inline(always)]
                    || self.chunk_sum(start, xs, ys, weight),
                )
            })
            .sum();
        let value = match self.reduction {
            Reduction::Sum => total,
            // the composed mean over every element (the weights stay out of the denominator)
            _ => total / x.len() as f64,
        };
        vec![value as f32]
    }

    /// The input gradient from the upstream gradient of the forward's output.
    pub(crate) fn backward_values(
        &self,
        x: &[f32],
        y: &[f32],
        weight: Option<&[f32]>,
        upstream: &[f32],
    ) -> Vec<f32> {
        let upstream = match self.reduction {
            Reduction::None => Upstream::PerElement(upstream),
            Reduction::Sum => Upstream::Scalar(upstream[0]),
            _ => Upstream::Scalar(upstream[0] / x.len() as f32),
        };
        self.pass::<true>(x, y, weight, upstream)
    }
}

impl<S: ScalarLoss> HostKernel for ElementwiseKernel<S> {
    fn forward(&mut self, x: &[f32], constants: &[&[f32]]) -> Vec<f32> {
        self.scalar = self.scalar.for_targets(constants[0]);
        self.forward_values(x, constants[0], constants.get(1).copied())
    }

    fn backward(&self, x: &[f32], constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        self.backward_values(x, constants[0], constants.get(1).copied(), upstream)
    }
}

#[cfg(test)]
mod tests {
    //! The kernel's bookkeeping on slices: per-sample weights across chunk and sample boundaries,
    //! the reductions, and the gradient against central differences of the kernel's own value.

    use super::*;

    #[derive(Debug, Clone, Copy)]
    struct Square;

    impl ScalarLoss for Square {
        fn value(&self, x: f32, y: f32) -> f32 {
            (x - y) * (x - y)
        }
        fn grad(&self, x: f32, y: f32) -> f32 {
            2.0 * (x - y)
        }
    }

    fn kernel(reduction: Reduction, per_sample: usize) -> ElementwiseKernel<Square> {
        ElementwiseKernel {
            scalar: Square,
            reduction,
            per_sample,
        }
    }

    #[test]
    fn weights_follow_their_samples_across_chunks() {
        // 3 samples of CHUNK − 1 elements: every chunk boundary falls inside a sample
        let m = CHUNK - 1;
        let x: Vec<f32> = (0..3 * m).map(|i| (i % 7) as f32 * 0.5).collect();
        let y = vec![0.25f32; 3 * m];
        let w = [2.0f32, 0.0, 0.5];
        let none = kernel(Reduction::None, m).forward_values(&x, &y, Some(&w));
        for (i, v) in none.iter().enumerate() {
            let expected = w[i / m] * (x[i] - y[i]) * (x[i] - y[i]);
            assert_eq!(*v, expected, "element {i}");
        }
        let sum = kernel(Reduction::Sum, m).forward_values(&x, &y, Some(&w))[0] as f64;
        let total: f64 = none.iter().map(|&v| v as f64).sum();
        assert!((sum - total).abs() <= 1e-6 * total, "{sum} vs {total}");
        let mean = kernel(Reduction::Mean, m).forward_values(&x, &y, Some(&w))[0] as f64;
        assert!((mean - total / (3 * m) as f64).abs() <= 1e-6 * mean, "{mean}");
        let grad = kernel(Reduction::None, m).backward_values(&x, &y, Some(&w), &vec![1.5; 3 * m]);
        for (i, g) in grad.iter().enumerate() {
            assert_eq!(*g, 1.5 * w[i / m] * 2.0 * (x[i] - y[i]), "element {i}");
        }
    }

    #[test]
    fn the_mean_gradient_is_the_sum_gradient_over_the_count() {
        let x = [0.5f32, -1.0, 2.0, 3.0, 0.0, 1.0];
        let y = [0.0f32; 6];
        let w = [1.0f32, 3.0];
        let sum = kernel(Reduction::Sum, 3).backward_values(&x, &y, Some(&w), &[2.0]);
        let mean = kernel(Reduction::Mean, 3).backward_values(&x, &y, Some(&w), &[2.0]);
        for (s, m) in sum.iter().zip(&mean) {
            assert!((s / 6.0 - m).abs() < 1e-6, "{s} / 6 vs {m}");
        }
        assert_eq!(sum[4], 0.0);
        assert_eq!(sum[5], 2.0 * 3.0 * 2.0);
    }
}
