//! [`Activation`]: how a loss turns its `input` into probabilities, and the wording of the range
//! checks of probability inputs.

use serde::{Deserialize, Serialize};

/// How `input` becomes the probabilities `p` of the overlap losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `input` already holds probabilities in `[0, 1]` (MONAI's default: neither `sigmoid` nor
    /// `softmax`). Checked: logits give a clear error.
    #[default]
    None,
    /// Softmax over the class dim 1 (needs `C >= 2`; MONAI `softmax=True`, smp multiclass).
    Softmax,
    /// Independent sigmoid per channel (MONAI `sigmoid=True`, smp binary / multilabel).
    Sigmoid,
    /// `tanh` per element (MONAI `other_act=torch.tanh`): values in `(−1, 1)`, so the loss may
    /// leave `[0, 1]`, as MONAI's does.
    Tanh,
    /// `max(x, 0)` per element (MONAI `other_act=torch.relu`).
    Relu,
    /// `input` as it is, unchecked (MONAI `other_act=lambda x: x`; `"none"` checks that `input`
    /// holds probabilities).
    Identity,
}

impl Activation {
    /// Whether the loss takes the model's raw output (logits) rather than probabilities.
    pub(crate) fn takes_logits(self) -> bool {
        self != Activation::None
    }
}

impl core::fmt::Display for Activation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Activation::None => "none",
            Activation::Softmax => "softmax",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Identity => "identity",
        })
    }
}

/// What `input` must hold with activation `"none"` (the range check's wording).
pub(crate) const INPUT_PROBABILITIES: &str =
    "probabilities (activation \"none\"; set \"softmax\" or \"sigmoid\" for logits)";
/// What `mask` must hold.
pub(crate) const MASK_VALUES: &str = "mask values";
/// What a float `target` must hold.
pub(crate) const TARGET_PROBABILITIES: &str = "target probabilities";
