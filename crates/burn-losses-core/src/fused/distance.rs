//! The Euclidean distance matrix of the metric losses from its Gram matrix: with `G = E·Eᵀ`
//! (burn's matrix product) and the squared norms `q_i = ‖e_i‖²`,
//!
//! ```text
//! s_ij = max(q_i + q_j − 2·G_ij, 0),   D_ij = √s_ij (0 at s = 0)  or  s_ij (squared),   D_ii = 0
//! ```
//!
//! in one pass, and the gradients of `G` and `q` in one more — the element-wise tail that the
//! composed path runs as about eight `[N, N]` tensor ops each way. The input is `[G | q]`
//! (`N² + N` values, one autodiff parent): `∂G_ij = −2·t_ij`, `∂q_i = Σ_j t_ij + Σ_j t_ji` with
//! `t_ij = u_ij·∂D/∂s` (zero on the diagonal, where `s` was clamped, and — Euclidean — at
//! `s = 0`, the safe square root's convention).

use burn::tensor::Tensor;

use super::dispatch::{applies, run};
use super::kernel::HostKernel;
use super::math::simd;
use crate::error::LossResult;

/// Rows per rayon task.
const ROWS: usize = 16;

#[derive(Debug, Clone)]
struct DistanceKernel {
    n: usize,
    /// `D = √s` (Euclidean) or `s` (squared Euclidean).
    root: bool,
}

/// The `[N, N]` distance matrix (see the module docs) of Gram matrix `gram [N, N]` and squared
/// norms `norms [N]`, or `None` when no kernel takes these tensors.
pub(crate) fn distances_from_gram(gram: &Tensor<2>, norms: &Tensor<1>, root: bool) -> Option<Tensor<2>> {
    let [n, _] = gram.dims();
    if !applies(&gram.clone().reshape([n * n]), &[]) {
        return None;
    }
    let packed = Tensor::cat(vec![gram.clone().reshape([n * n]), norms.clone()], 0);
    let distances: LossResult<Tensor<1>> = run(DistanceKernel { n, root }, &packed, &[])?;
    Some(
        distances
            .expect("the distance kernel checks no values")
            .reshape([n, n]),
    )
}

impl DistanceKernel {
    /// `∂D/∂s` at `s` (before the clamp).
    #[inline(always)]
    fn slope(&self, s: f32) -> f32 {
        if self.root {
            // safe √: value and gradient 0 at s ≤ 0
            if s > 0.0 { 0.5 / s.sqrt() } else { 0.0 }
        } else if s >= 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

impl HostKernel for DistanceKernel {
    fn forward(&mut self, x: &[f32], _constants: &[&[f32]]) -> Vec<f32> {
        use rayon::prelude::*;
        let n = self.n;
        let (gram, norms) = x.split_at(n * n);
        let mut out = vec![0.0f32; n * n];
        let root = self.root;
        out.par_chunks_mut(ROWS * n).enumerate().for_each(|(task, rows)| {
            simd(
                #[inline(always)]
                || {
                    for (k, row) in rows.chunks_exact_mut(n).enumerate() {
                        let i = task * ROWS + k;
                        let g = &gram[i * n..(i + 1) * n];
                        let qi = norms[i];
                        for ((d, &g), &qj) in row.iter_mut().zip(g).zip(norms) {
                            let s = (qi + qj - 2.0 * g).max(0.0);
                            *d = if root { s.sqrt() } else { s };
                        }
                        row[i] = 0.0;
                    }
                },
            )
        });
        out
    }

    fn backward(&self, x: &[f32], _constants: &[&[f32]], upstream: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let n = self.n;
        let (gram, norms) = x.split_at(n * n);
        let mut out = vec![0.0f32; n * n + n];
        let (d_gram, d_norms) = out.split_at_mut(n * n);
        // t_ij into ∂G (as −2·t), the row sums Σ_j t_ij, and each task's column sums Σ_i t_ij
        let (row_sums, column_sums): (Vec<Vec<f64>>, Vec<Vec<f64>>) = d_gram
            .par_chunks_mut(ROWS * n)
            .enumerate()
            .map(|(task, rows)| {
                let mut row_sums = Vec::with_capacity(ROWS);
                let mut columns = vec![0.0f64; n];
                for (k, row) in rows.chunks_exact_mut(n).enumerate() {
                    let i = task * ROWS + k;
                    let (g, u) = (&gram[i * n..(i + 1) * n], &upstream[i * n..(i + 1) * n]);
                    let qi = norms[i];
                    let mut sum = 0.0f64;
                    for (j, ((dg, &g), &u)) in row.iter_mut().zip(g).zip(u).enumerate() {
                        let t = if j == i {
                            0.0
                        } else {
                            u * self.slope(qi + norms[j] - 2.0 * g)
                        };
                        *dg = -2.0 * t;
                        sum += t as f64;
                        columns[j] += t as f64;
                    }
                    row_sums.push(sum);
                }
                (row_sums, columns)
            })
            .unzip();
        let row_sums: Vec<f64> = row_sums.concat();
        for (i, dq) in d_norms.iter_mut().enumerate() {
            let column: f64 = column_sums.iter().map(|c| c[i]).sum();
            *dq = (row_sums[i] + column) as f32;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values and gradients against an f64 evaluation and central differences, both forms, with
    /// a duplicate row (s = 0 off the diagonal) and a row far from the others.
    #[test]
    fn matches_f64_formula_and_derivative() {
        let (n, d) = (5, 3);
        let mut e: Vec<f64> = (0..n * d).map(|i| ((i * 37) % 11) as f64 / 5.0 - 1.0).collect();
        e.copy_within(0..d, 2 * d); // row 2 = row 0
        e[4 * d] += 6.0;
        let gram = |e: &[f64]| -> Vec<f64> {
            (0..n * n)
                .map(|k| (0..d).map(|c| e[k / n * d + c] * e[k % n * d + c]).sum())
                .collect()
        };
        let packed = |e: &[f64]| -> Vec<f64> {
            let g = gram(e);
            let q: Vec<f64> = (0..n).map(|i| g[i * n + i]).collect();
            [g, q].concat()
        };
        for root in [true, false] {
            let reference = |x: &[f64]| -> Vec<f64> {
                (0..n * n)
                    .map(|k| {
                        let (i, j) = (k / n, k % n);
                        let s = (x[n * n + i] + x[n * n + j] - 2.0 * x[k]).max(0.0);
                        if i == j {
                            0.0
                        } else if root {
                            s.sqrt()
                        } else {
                            s
                        }
                    })
                    .collect()
            };
            let x = packed(&e);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut kernel = DistanceKernel { n, root };
            let got = kernel.forward(&x32, &[]);
            for (g, w) in got.iter().zip(reference(&x)) {
                assert!((*g as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()), "{g} vs {w}");
            }
            let upstream: Vec<f32> = (0..n * n).map(|k| 0.5 + (k % 7) as f32 * 0.25).collect();
            let grad = kernel.backward(&x32, &[], &upstream);
            let loss = |x: &[f64]| -> f64 {
                reference(x)
                    .iter()
                    .zip(&upstream)
                    .map(|(v, &u)| v * u as f64)
                    .sum()
            };
            for k in 0..n * n + n {
                // finite differences away from the clamp (the duplicate pair sits at s = 0)
                let (i, j) = if k < n * n {
                    (k / n, k % n)
                } else {
                    (k - n * n, k - n * n)
                };
                if k < n * n && ((i == 0 && j == 2) || (i == 2 && j == 0)) {
                    // s = 0: the safe √ has no gradient there; the squared form's clamp lets it
                    // through at s = 0 exactly (and not below), so f32 rounding decides
                    if root {
                        assert_eq!(grad[k], 0.0, "clamped pair");
                    }
                    continue;
                }
                let h = 1e-6;
                let (mut plus, mut minus) = (x.clone(), x.clone());
                plus[k] += h;
                minus[k] -= h;
                let want = (loss(&plus) - loss(&minus)) / (2.0 * h);
                if k >= n * n && (i == 0 || i == 2) {
                    continue; // q_0, q_2 move s_02 across the kink at s = 0
                }
                assert!(
                    (grad[k] as f64 - want).abs() <= 1e-3 * (1.0 + want.abs()),
                    "root {root} grad {k}: {} vs {want}",
                    grad[k]
                );
            }
        }
    }
}
