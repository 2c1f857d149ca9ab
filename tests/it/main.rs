//! The integration tests: one binary (each backend lane links burn once), a module per concern
//! or loss domain. `BURN_LOSSES_DEVICES` picks the devices (see `common::test_devices`); run one
//! module with a filter, e.g. `cargo test --test it parity::`.

mod common;

// every registered loss, by concern
mod catalogue;
mod degenerate;
mod errors;
mod gradients;
mod mixed_precision;
mod parity;
mod properties;
mod reference_fixtures;
mod stability;

// by domain: special cases beyond the reference fixtures
mod classic;
mod custom;
mod imbalance;
mod metric;
mod overlap;

// training through burn's Learner
mod embedding_learner;
mod learner;
mod segmentation;
