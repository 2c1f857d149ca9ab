//! Backend-agnostic loss modules for [burn](https://burn.dev) 0.22.
//!
//! Every loss is a config (`XConfig`: serde, validated by `try_init`) and a module (`X`) whose
//! `forward` runs on any burn `Device` — flex, ndarray, wgpu, tch, cuda — through one code path.
//! The crate is layered, each layer importing only those below it:
//!
//! 1. `error` — one error type ([`LossError`]) whose messages name the field or argument;
//! 2. `tensor` (rank-erased arguments [`DynTensor`] / [`LossInputs`], input checks, one-hot,
//!    the shared math), `reduction` ([`Reduction`], [`ElementLoss`]), `group` ([`DeviceGroup`]),
//!    `fused` (the host kernels);
//! 3. `loss` — the contract every loss implements ([`LossModule`], [`InputKind`], [`TargetKind`])
//!    and the macros a loss is declared with;
//! 4. `losses/<domain>/` — `classification`, `imbalance`, `segmentation`, `metric`, `regression`,
//!    `margin`: one file per loss or small family;
//! 5. `registry` — [`LossConfig`] / [`Loss`], one line per loss, with the composite [`SumLoss`]
//!    (a sum of losses is a loss: the one pair of types that name each other), and [`custom`]
//!    losses; [`docs`], the catalogue `list` / `describe` print.
//!
//! Modules are private; this page is the public surface.
//!
//! # Mixed precision
//!
//! `f16` and `bf16` inputs (what burn's GPU backends train in) work for every loss on every device
//! that has the dtype: each float argument is cast to `f32` when it enters the loss
//! (`DynTensor`), the loss is computed and returned in `f32` — PyTorch's autocast rule for losses —
//! and the gradient reaching a half-precision input comes back in its dtype (the cast is an
//! autodiff op). A gradient beyond the dtype's range (65 504 for f16) is ±inf in it, as in
//! PyTorch. Probabilities near 0 / 1 lose precision in half (`p = 0.999` is held to ±5e-4): use
//! the logit forms (`from_logits: true`), as autocast does for `binary_cross_entropy`. `f64`
//! inputs are computed in `f64`.
//!
//! # Multi-device training
//!
//! The losses run unchanged under burn-train's data-parallel strategies (`MultiDevice`, tested;
//! `DistributedDataParallel`): each device computes the loss on its own batch, so a loss whose
//! value depends on the whole batch is per device — [`BalancedBceLoss`]' β (the device batch's
//! positive fraction), the overlap losses with `batch: true`, [`TripletMinedLoss`]' mining and
//! [`NtXentLoss`]' / [`SupConLoss`]' negatives (within the device batch), [`GhmCLoss`] /
//! [`GhmRLoss`]' gradient density — as it is for each process of a PyTorch DDP run. GHM's EMA
//! (`momentum > 0`) is kept per device ([`GhmState::counts_on`]). To compute these statistics
//! over every device's batch instead, run the loss in a [`DeviceGroup`] of the workers
//! ([`in_device_group`]; burn-losses-train's adapters take one with `with_device_group`): see
//! [`DeviceGroup`].
//!
//! # Trusted inputs
//!
//! The checks that read values back (class indices, `[0, 1]` ranges, `±1` labels) cost one
//! device sync each; [`set_trusted_inputs`] turns them off on the current thread for a training
//! loop whose data is known to be valid. Shape and dtype checks always run.
//!
//! # Settings are explicit
//!
//! The three switches — trusted inputs, the fused kernels ([`set_fused_kernels`]) and the device
//! group ([`in_device_group`]) — act on the thread that computes the loss. A data-parallel
//! worker thread does not see what the main thread set, so carry them as one
//! [`LossSettings`] value: [`LossSettings::scope`] applies it around any code, and
//! burn-losses-train's adapters hold one and apply it around every loss call, on every worker.
#![warn(missing_docs)]

pub mod docs;
mod error;
mod fused;
#[cfg(all(test, any(feature = "flex", feature = "ndarray")))]
mod fused_tests;
mod group;
mod loss;
mod losses;
mod reduction;
mod registry;
mod settings;
mod tensor;

pub use error::{ErrorKind, LossError, LossResult};
pub use fused::{fused_kernels_enabled, set_fused_kernels};
pub use group::{DeviceGroup, in_device_group};
pub use loss::{ClassificationLoss, InputKind, LossModule, TargetKind};
pub use losses::*;
pub use reduction::{ElementLoss, Reduction};
pub use registry::custom;
pub use registry::{Loss, LossConfig, SumLoss, SumLossConfig, SumTerm};
pub use settings::LossSettings;
pub use tensor::checks::{set_trusted_inputs, trusted_inputs};
pub use tensor::dynamic::{DynInput, DynKind, DynTensor, LossInputs, compute_dtype};
