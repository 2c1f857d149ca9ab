//! Every built-in loss, one folder per domain; each file holds one loss or a small family:
//! its declaration and its math, nothing else. The registry ([`crate::registry`]) lists them.

pub(crate) mod classification;
pub(crate) mod imbalance;
pub(crate) mod margin;
pub(crate) mod metric;
pub(crate) mod regression;
pub(crate) mod segmentation;

pub use classification::*;
pub use imbalance::*;
pub use margin::{
    CategoricalHingeLoss, CategoricalHingeLossConfig, CosineEmbeddingLoss, CosineEmbeddingLossConfig,
    CosineForm, CosineSimilarityLoss, CosineSimilarityLossConfig, ExponentialLoss, ExponentialLossConfig,
    HingeEmbeddingLoss, HingeEmbeddingLossConfig, HingeLoss, HingeLossConfig, LogisticLoss,
    LogisticLossConfig, MarginRankingLoss, MarginRankingLossConfig, MultiMarginLoss, MultiMarginLossConfig,
    PerceptronLoss, PerceptronLossConfig, SquaredHingeLoss, SquaredHingeLossConfig,
};
pub use metric::*;
pub use regression::{
    CharbonnierLoss, CharbonnierLossConfig, GaussianNllLoss, GaussianNllLossConfig, HuberLoss,
    HuberLossConfig, LogCoshLoss, LogCoshLossConfig, MaeLoss, MaeLossConfig, MapeLoss, MapeLossConfig,
    MseLoss, MseLossConfig, MsleLoss, MsleLossConfig, PoissonLoss, PoissonLossConfig, QuantileLoss,
    QuantileLossConfig, Quantiles, RmseLoss, RmseLossConfig, SmapeLoss, SmapeLossConfig, SmoothL1Loss,
    SmoothL1LossConfig,
};
pub use segmentation::*;
