//! The integration tests: one binary (each backend lane links burn once), a module per concern
//! or loss domain. `BURN_LOSSES_DEVICES` picks the devices (see `common::test_devices`); run one
//! module with a filter, e.g. `cargo test --test it parity::`.

mod common;

// the benchmark table's rows (shared with benches/compare.rs): one per loss, each runs
#[path = "../../benches/cases/mod.rs"]
mod bench_cases;
mod bench_rows;

// every registered loss, by concern
mod catalogue;
mod degenerate;
mod errors;
mod gradients;
mod layers;
mod mixed_precision;
mod parity;
mod properties;
mod reference_fixtures;
mod stability;

// by domain (the folders of burn-losses-core's `losses/`, the fixtures' file names): special
// cases beyond the reference fixtures; `classic` covers the classic losses of the classification,
// regression and margin domains together (equalities with burn-nn, PyTorch's subgradients)
mod classic;
mod imbalance;
mod metric;
mod segmentation;

// the anchors' own reduction and averaging conventions as options: Keras 3's reductions,
// MONAI FocalLoss's per-channel layout, kornia's Dice / Tversky averaging
mod anchor_conventions;

// user-defined losses (the registry's open end)
mod custom;

// burn's conventions: the prelude beside burn's losses, inherent forward, init(&device), Display,
// a loss in a `#[derive(Config)]` training config
mod conventions;

// training through burn's Learner, by domain (feature `train`)
#[cfg(feature = "train")]
mod classification_learner;
#[cfg(feature = "train")]
mod metric_learner;
#[cfg(feature = "vision")]
mod segmentation_learner;
