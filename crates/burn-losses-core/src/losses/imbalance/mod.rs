//! Class imbalance: the class-balanced loss, gradient harmonizing (GHM), self-adjusting Dice.

mod class_balanced;
mod dsc;
mod ghm;

#[cfg(feature = "dataset")]
pub use class_balanced::class_counts;
pub use class_balanced::{ClassBalancedBase, ClassBalancedLoss, ClassBalancedLossConfig};
pub use dsc::{DscLoss, DscLossConfig};
pub use ghm::{GhmCLoss, GhmCLossConfig, GhmRLoss, GhmRLossConfig, GhmState};
