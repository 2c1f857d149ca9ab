//! Classification: cross-entropy and its relatives on class scores, the focal losses, binary
//! cross-entropy.

mod bce;
mod cross_entropy;
mod focal;

pub use bce::{BalancedBceLoss, BalancedBceLossConfig, BceLoss, BceLossConfig};
pub use cross_entropy::{
    CrossEntropyLoss, CrossEntropyLossConfig, KlDivergenceLoss, KlDivergenceLossConfig, KlReduction, NllLoss,
    NllLossConfig, Poly1Loss, Poly1LossConfig,
};
pub use focal::{BinaryFocalLoss, BinaryFocalLossConfig, FocalLoss, FocalLossConfig};
