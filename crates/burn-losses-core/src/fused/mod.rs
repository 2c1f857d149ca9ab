//! Fused kernels: the forward of a loss in one pass over its inputs and its input gradient in one
//! more, instead of a chain of composed tensor ops (each a full-size kernel and allocation) that
//! autodiff then replays backwards.
//!
//! Fused today, for `f32` inputs on the CPU backends `flex` and `ndarray` (with or without
//! autodiff, when the crate is built with their features):
//!
//! | kernel | losses | when |
//! |---|---|---|
//! | element-wise | every loss declared element-wise, by its scalar form ([`MaeLoss`](crate::MaeLoss), [`MseLoss`](crate::MseLoss), [`HuberLoss`](crate::HuberLoss), [`SmoothL1Loss`](crate::SmoothL1Loss), [`LogCoshLoss`](crate::LogCoshLoss), [`CharbonnierLoss`](crate::CharbonnierLoss), [`QuantileLoss`](crate::QuantileLoss) with one τ, [`MapeLoss`](crate::MapeLoss), [`SmapeLoss`](crate::SmapeLoss), [`MsleLoss`](crate::MsleLoss), [`PoissonLoss`](crate::PoissonLoss), [`HingeLoss`](crate::HingeLoss), [`SquaredHingeLoss`](crate::SquaredHingeLoss), [`PerceptronLoss`](crate::PerceptronLoss), [`ExponentialLoss`](crate::ExponentialLoss), [`LogisticLoss`](crate::LogisticLoss), [`HingeEmbeddingLoss`](crate::HingeEmbeddingLoss)): the loss gives `ℓ(x, y)` and `∂ℓ/∂x` of one element, the kernel the pass, the weights and the reductions | a target of the input's shape; per-sample `weight [N]` included |
//! | binary logit | [`BceLoss`](crate::BceLoss) (`pos_weight`, label smoothing), [`BalancedBceLoss`](crate::BalancedBceLoss) (fixed or batch β), [`BinaryFocalLoss`](crate::BinaryFocalLoss) (γ, α) | logits, no per-sample `weight` |
//! | softmax class (row-wise) | [`CrossEntropyLoss`](crate::CrossEntropyLoss), [`FocalLoss`](crate::FocalLoss), [`Poly1Loss`](crate::Poly1Loss), [`ClassBalancedLoss`](crate::ClassBalancedLoss) (`"softmax"` base): the loss gives its per-class term `φ(log p)` (γ, Poly-1's ε), the kernel the log-sum-exp, weights, smoothing and reductions | logits and class-index targets (`ignore_index`, class weights, label smoothing); per-sample `weight [N]` included |
//! | class row (row-wise) | [`NllLoss`](crate::NllLoss), [`MultiMarginLoss`](crate::MultiMarginLoss), [`CategoricalHingeLoss`](crate::CategoricalHingeLoss), [`DscLoss`](crate::DscLoss) (softmax, per instance): the loss gives one row's value and gradient against its class, the kernel the target's class weight, `ignore_index` and reductions | scores `[N, C]` and class indices `[N]`; per-sample `weight [N]` included (DSC: no `mask`) |
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
//! the facade's features), tch, other dtypes, per-sample weights in the binary kernel, a target, weight or mask that takes a
//! gradient — takes the composed path, which stays the reference: the fixture and gradient tests
//! run both and compare them ([`set_fused_kernels`] switches).
//!
//! The autodiff node of a fused loss has the input as its only parent: targets, masks and class
//! weights are constants, exactly as in the composed path, where burn never asks for their
//! gradient unless they require one (then the composed path is taken).

// Without a CPU backend feature the kernels have no tensors to run on (they stay compiled and
// unit-tested on slices).
#![cfg_attr(not(any(feature = "flex", feature = "ndarray")), allow(dead_code))]

mod binary;
mod dispatch;
mod distance;
mod elementwise;
#[cfg(any(feature = "flex", feature = "ndarray"))]
mod host;
mod kernel;
pub(crate) mod math;
mod overlap;
mod rows;
mod softmax;

pub(crate) use binary::{BinaryLogitTerms, checked_binary_logit_loss};
pub(crate) use distance::distances_from_gram;
pub(crate) use elementwise::{ScalarLoss, checked_elementwise_loss};
pub(crate) use overlap::{OverlapKernelTarget, overlap_sums};
pub(crate) use rows::{ClassRowLoss, ClassRowTerms, checked_class_row_loss};
pub(crate) use softmax::{Lse, MeanOver, SoftmaxTerms, checked_softmax_loss};

pub(crate) use dispatch::{applies, host_class_indices};
pub use kernel::{fused_kernel_runs, fused_kernels_enabled, set_fused_kernels};
