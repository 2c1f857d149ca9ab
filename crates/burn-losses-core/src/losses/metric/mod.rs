//! Metric learning: triplet, contrastive, NT-Xent / SupCon and the angular-margin softmax losses,
//! on embeddings and labels; [`embedding`] holds what they share (distances, label pairs).

mod angular_margin;
mod contrastive;
pub(crate) mod embedding;
mod triplet;

pub use angular_margin::{ArcFaceLoss, ArcFaceLossConfig, CosFaceLoss, CosFaceLossConfig};
pub use contrastive::{
    ContrastiveLoss, ContrastiveLossConfig, NtXentLoss, NtXentLossConfig, SupConLoss, SupConLossConfig,
};
pub use embedding::Distance;
pub use triplet::{
    Mining, TripletMarginLoss, TripletMarginLossConfig, TripletMinedLoss, TripletMinedLossConfig,
};
