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
//!
//! # Glossary: one spelling per meaning
//!
//! Every config field and argument of every loss, by name. A name means the same thing wherever
//! it appears; where an anchor library spells it otherwise, the older spelling still parses (a
//! serde alias, or an argument alias) and `list --json` shows the canonical one.
//!
//! | name | where | meaning |
//! |---|---|---|
//! | `reduction` | every loss | `"mean"`, `"sum"` or `"none"` (see [`Reduction`]) |
//! | `weight` (config) | `cross_entropy`, `nll`, `multi_margin`, the Dice family | **per-class** weights `[C]` (PyTorch / MONAI `weight=`) |
//! | `weight` (argument) | every loss of `input` and `target` | **per-sample** weights `[N]`, broadcast over the other dims (Keras `sample_weight`) |
//! | `mask` (argument) | overlap losses, `dsc`, `ghm_c`, `ghm_r` | 0 leaves a position out of the loss (GHM: mmdet's `label_weight`; older spelling `valid`) |
//! | `pos_weight` | `bce` | weight of the positive term per class (PyTorch `pos_weight`) |
//! | `alpha`, `beta`, `gamma`, `delta`, `mu` | per loss | the paper's symbol of that loss (focal α balance and γ focusing, Tversky α / β, class-balanced β, smooth-L1 β, Huber δ, GHM μ); each loss's doc says which |
//! | `epsilon` | `bce`, focal losses, `kl_divergence`, `rmse`, `mape`, `smape`, `msle`, `poisson`, `poly1`, `triplet_margin`, `gaussian_nll` | the small constant of that formula (a clip, a floor or an offset; `poly1`: Leng et al.'s ε); older spelling `eps` (PyTorch) |
//! | `smooth_nr`, `smooth_dr` | the Dice family | added to the numerator / denominator of the overlap ratio (MONAI) |
//! | `smooth` | `dsc` | added to numerator and denominator alike (ShannonAI) |
//! | `squared_pred` | the Dice family, `dsc` | squares in the denominator (MONAI; ShannonAI's `square_denominator`) |
//! | `p` | `triplet_margin`, `multi_margin` | an exponent, always a number (norm degree; hinge power 1 or 2) |
//! | `margin` | margin and metric losses | the margin of the hinge (`arcface`: an angle in degrees) |
//! | `from_logits` | binary and focal losses | `input` holds logits (`true`) or probabilities |
//! | `activation` | the Dice family | how `input` becomes probabilities: `"none"`, `"softmax"`, `"sigmoid"` |
//! | `ignore_index` | class-index losses | a target value left out of the loss |
//! | `label_smoothing` | cross-entropy, focal, `bce` | the smoothing ε of the targets |
//! | `distance` | metric losses | `"euclidean"`, `"squared_euclidean"` or `"cosine"` |
//! | `batch` | the Dice family, `dsc` | sums over the batch before the ratio |
//!
//! Paper symbols are kept as the papers and anchors write them (α is focal's class balance and
//! Tversky's false-positive weight): a loss's doc names its own.
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
