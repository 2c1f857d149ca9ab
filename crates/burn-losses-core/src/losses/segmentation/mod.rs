//! Segmentation: the overlap (region) losses sharing MONAI's option vocabulary, and Lovász.

mod lovasz;
pub(crate) mod overlap;

pub use lovasz::{LovaszClasses, LovaszLoss, LovaszLossConfig, LovaszMode};
pub use overlap::{
    AbsentClasses, Activation, ClassAverage, DiceLoss, DiceLossConfig, FocalTverskyLoss,
    FocalTverskyLossConfig, GeneralizedDiceLoss, GeneralizedDiceLossConfig, GeneralizedDiceWeight,
    LogCoshDiceLoss, LogCoshDiceLossConfig, TverskyLoss, TverskyLossConfig,
};
