//! Backend-agnostic loss modules for [burn](https://burn.dev) 0.22.
//!
//! Every loss is a config (`XConfig`: serde, validated by `try_init`) and a module (`X`) whose
//! `forward` runs on any burn `Device` — flex, ndarray, wgpu, tch, cuda — through one code path.
//! Each family lives in its own module; [`reduction`] holds the reduction / weighting / masking
//! every loss shares, [`error`] the one error type, [`config`] the serde-tagged [`LossConfig`].
//!
//! # Mixed precision
//!
//! `f16` and `bf16` inputs (what burn's GPU backends train in) work for every loss on every device
//! that has the dtype: each float argument is cast to `f32` when it enters the loss
//! ([`dynamic`]), the loss is computed and returned in `f32` — PyTorch's autocast rule for losses —
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
//! [`group`].
//!
//! # Trusted inputs
//!
//! The checks that read values back (class indices, `[0, 1]` ranges, `±1` labels) cost one
//! device sync each; [`set_trusted_inputs`] turns them off on the current thread for a training
//! loop whose data is known to be valid. Shape and dtype checks always run.
#![warn(missing_docs)]

pub mod angular_margin;
pub mod bce;
pub mod class_balanced;
pub mod classification;
pub mod composite;
pub mod config;
pub mod contrastive;
pub mod custom;
pub mod docs;
pub mod dsc;
pub mod dynamic;
pub mod embedding;
pub mod error;
pub mod focal;
pub mod fused;
pub mod ghm;
pub mod group;
pub mod lovasz;
pub mod margin;
pub mod overlap;
pub mod reduction;
pub mod regression;
pub mod triplet;

mod common;

pub use angular_margin::{ArcFaceLoss, ArcFaceLossConfig, CosFaceLoss, CosFaceLossConfig};
pub use bce::{BalancedBceLoss, BalancedBceLossConfig, BceLoss, BceLossConfig};
pub use class_balanced::{ClassBalancedBase, ClassBalancedLoss, ClassBalancedLossConfig, class_counts};
pub use classification::{
    CrossEntropyLoss, CrossEntropyLossConfig, KlDivergenceLoss, KlDivergenceLossConfig, KlReduction, NllLoss,
    NllLossConfig, Poly1Loss, Poly1LossConfig,
};
pub use common::{set_trusted_inputs, trusted_inputs};
pub use composite::{SumLoss, SumLossConfig, SumTerm};
pub use config::{ClassificationLoss, InputKind, Loss, LossConfig, LossModule, TargetKind};
pub use contrastive::{
    ContrastiveLoss, ContrastiveLossConfig, NtXentLoss, NtXentLossConfig, SupConLoss, SupConLossConfig,
};
pub use dsc::{DscLoss, DscLossConfig};
pub use dynamic::{DynInput, DynTensor, LossInputs};
pub use embedding::Distance;
pub use error::{ErrorKind, LossError, LossResult};
pub use focal::{BinaryFocalLoss, BinaryFocalLossConfig, FocalLoss, FocalLossConfig};
pub use fused::{fused_kernels_enabled, set_fused_kernels};
pub use ghm::{GhmCLoss, GhmCLossConfig, GhmRLoss, GhmRLossConfig, GhmState};
pub use group::{DeviceGroup, in_device_group};
pub use lovasz::{LovaszClasses, LovaszLoss, LovaszLossConfig, LovaszMode};
pub use margin::{
    CategoricalHingeLoss, CategoricalHingeLossConfig, CosineEmbeddingLoss, CosineEmbeddingLossConfig,
    CosineForm, CosineSimilarityLoss, CosineSimilarityLossConfig, ExponentialLoss, ExponentialLossConfig,
    HingeEmbeddingLoss, HingeEmbeddingLossConfig, HingeLoss, HingeLossConfig, LogisticLoss,
    LogisticLossConfig, MarginRankingLoss, MarginRankingLossConfig, MultiMarginLoss, MultiMarginLossConfig,
    PerceptronLoss, PerceptronLossConfig, SquaredHingeLoss, SquaredHingeLossConfig,
};
pub use overlap::{
    Activation, DiceLoss, DiceLossConfig, FocalTverskyLoss, FocalTverskyLossConfig, GeneralizedDiceLoss,
    GeneralizedDiceLossConfig, GeneralizedDiceWeight, LogCoshDiceLoss, LogCoshDiceLossConfig, TverskyLoss,
    TverskyLossConfig,
};
pub use reduction::{ElementLoss, Reduction};
pub use regression::{
    GaussianNllLoss, GaussianNllLossConfig, HuberLoss, HuberLossConfig, LogCoshLoss, LogCoshLossConfig,
    MaeLoss, MaeLossConfig, MapeLoss, MapeLossConfig, MseLoss, MseLossConfig, MsleLoss, MsleLossConfig,
    PoissonLoss, PoissonLossConfig, QuantileLoss, QuantileLossConfig, Quantiles, RmseLoss, RmseLossConfig,
    SmapeLoss, SmapeLossConfig, SmoothL1Loss, SmoothL1LossConfig,
};
pub use triplet::{
    Mining, TripletMarginLoss, TripletMarginLossConfig, TripletMinedLoss, TripletMinedLossConfig,
};
