//! # burn-losses
//!
//! Backend-agnostic loss modules for [burn](https://burn.dev) 0.22 that burn does not ship —
//! focal losses first — each a serde-validated config plus a `Module`, selectable by name from a
//! training config ([`LossConfig`]) and trainable with burn's `Learner` through
//! [`train::LossClassifier`].
//!
//! ```no_run
//! use burn_losses::{FocalLossConfig, LossConfig};
//! use burn::tensor::{Device, Int, Tensor};
//!
//! let device = Device::default();
//! let loss = FocalLossConfig::new().with_gamma(2.0).init();
//! let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
//! let target = Tensor::<1, Int>::from_ints([0, 2], &device);
//! let value = loss.forward(logits, target); // Tensor<1> with one element
//!
//! // The same loss from a training config:
//! let cfg: LossConfig = serde_json::from_str(r#"{"type": "focal", "gamma": 2.0}"#).unwrap();
//! let loss = cfg.init();
//! ```
//!
//! Backends are this crate's cargo features: `flex` (default), `ndarray`, `wgpu`, `vulkan`,
//! `tch`, `cuda` (see [`device`]).

pub use burn_losses_core::*;
pub use burn_losses_train as train;

pub mod device;
pub mod eval;
