//! Overlap losses: the family's shared documentation is the crate docs' [Overlap losses](crate#overlap-losses).

mod dice;
mod shared;
mod tversky;

pub use crate::tensor::activation::Activation;
pub use shared::{AbsentClasses, ClassAverage};

pub use dice::{
    DiceLoss, DiceLossConfig, GeneralizedDiceLoss, GeneralizedDiceLossConfig, GeneralizedDiceWeight,
    LogCoshDiceLoss, LogCoshDiceLossConfig,
};
pub use tversky::{FocalTverskyLoss, FocalTverskyLossConfig, TverskyLoss, TverskyLossConfig};
