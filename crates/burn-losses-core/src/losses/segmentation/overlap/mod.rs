//! Overlap (region) losses for segmentation: [`DiceLoss`] (with its Jaccard / IoU form),
//! [`GeneralizedDiceLoss`], [`TverskyLoss`], [`FocalTverskyLoss`] and [`LogCoshDiceLoss`].
//!
//! All five share one option vocabulary — MONAI's (`monai.losses.DiceLoss`) — and one code path:
//! the input becomes probabilities `p` (`activation`), the target becomes one-hot / soft `g`, both
//! are multiplied by the pixel mask (`mask` argument, `ignore_index`), channel 0 is dropped without
//! `include_background`, and the per-(sample, class) sums
//!
//! ```text
//! I = Σ p·g      P = Σ p      G = Σ g      (over the spatial positions; also over the batch with batch = true)
//! ```
//!
//! feed each loss's ratio. Inputs: `input [N, C, spatial…]` (or `[N, C]`), `target` class indices
//! `[N, spatial…]` or one-hot / soft probabilities of the shape of `input`, optional `mask`
//! `[N, spatial…]` or `[N, 1, spatial…]` (0 = the pixel is left out of every sum; a constant for
//! autodiff).
//!
//! ```python
//! monai.losses.DiceLoss(softmax=True, to_onehot_y=True, include_background=True, batch=False,
//!                       smooth_nr=1e-5, smooth_dr=1e-5, reduction="mean")(x, t[:, None])      # dice
//! monai.losses.GeneralizedDiceLoss(w_type="square", ...)                                      # generalized_dice
//! monai.losses.TverskyLoss(alpha=0.5, beta=0.5, ...)                                          # tversky
//! segmentation_models_pytorch.losses.TverskyLoss(gamma=γ)        # focal_tversky, exponent_after_mean = true
//! ```
//!
//! **Empty classes.** A class absent from both prediction and target has `I = P = G = 0`: with
//! the default smoothing (`smooth_nr = smooth_dr = 1e-5`) its Dice loss is `1 − 1e-5/1e-5 = 0`
//! (MONAI). With `smooth_dr = 0` the ratio would be `0/0`; such a class — a denominator of at
//! most 1e-18, where the ratio's gradient `num/den²` would overflow f32 — scores loss 0 (a perfect
//! match: nothing to find, nothing predicted) with zero gradient, never NaN or infinity.

mod dice;
mod shared;
mod tversky;

pub use crate::tensor::activation::Activation;

pub use dice::{
    DiceLoss, DiceLossConfig, GeneralizedDiceLoss, GeneralizedDiceLossConfig, GeneralizedDiceWeight,
    LogCoshDiceLoss, LogCoshDiceLossConfig,
};
pub use tversky::{FocalTverskyLoss, FocalTverskyLossConfig, TverskyLoss, TverskyLossConfig};
