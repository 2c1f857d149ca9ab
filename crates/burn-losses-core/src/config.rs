//! [`LossConfig`]: every loss config in one serde-tagged enum, so that a training config
//! (JSON / TOML) can name its loss, and [`Loss`], the module it builds.
//!
//! ```json
//! {"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.75], "reduction": "mean"}
//! ```
//!
//! Adding a loss = one variant in [`LossConfig`], one in [`Loss`], one line in each `match`.

use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::dynamic::{DynTensor, LossInputs};
use crate::error::{LossError, LossResult, or_panic};
use crate::focal::{BinaryFocalLoss, BinaryFocalLossConfig, FocalLoss, FocalLossConfig};

/// Any loss of this crate, by its snake_case name in the `"type"` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LossConfig {
    /// [`BinaryFocalLoss`]: sigmoid focal loss (binary / multi-label).
    BinaryFocal(BinaryFocalLossConfig),
    /// [`FocalLoss`]: softmax focal loss (multiclass).
    Focal(FocalLossConfig),
}

impl burn::config::Config for LossConfig {}

impl core::fmt::Display for LossConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| core::fmt::Error)?)
    }
}

/// What a loss expects in its `input` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Raw scores.
    Logits,
    /// Softmax probabilities over dim 1.
    SoftmaxProbabilities,
    /// Independent sigmoid probabilities.
    SigmoidProbabilities,
}

impl LossConfig {
    /// Every loss name accepted in `"type"`.
    pub const NAMES: &'static [&'static str] = &["binary_focal", "focal"];

    /// The snake_case name of this loss.
    pub fn name(&self) -> &'static str {
        match self {
            LossConfig::BinaryFocal(_) => "binary_focal",
            LossConfig::Focal(_) => "focal",
        }
    }

    /// The default configuration of the loss called `name`.
    pub fn from_name(name: &str) -> LossResult<Self> {
        match name {
            "binary_focal" => Ok(LossConfig::BinaryFocal(Default::default())),
            "focal" => Ok(LossConfig::Focal(Default::default())),
            other => Err(LossError::parse(
                "loss name",
                format!("one of {:?}", Self::NAMES),
                format!("{other:?}"),
            )),
        }
    }

    /// Parses a loss name (`focal`) or a JSON config (`{"type": "focal", "gamma": 1}`).
    pub fn parse(text: &str) -> LossResult<Self> {
        let text = text.trim();
        if text.starts_with('{') {
            serde_json::from_str(text).map_err(|e| {
                LossError::parse(
                    "loss config JSON",
                    format!("{{\"type\": one of {:?}, <fields of that loss>}}", Self::NAMES),
                    e,
                )
            })
        } else {
            Self::from_name(text)
        }
    }

    /// Validates the config and builds the loss.
    pub fn try_init(&self) -> LossResult<Loss> {
        Ok(match self {
            LossConfig::BinaryFocal(c) => Loss::BinaryFocal(c.try_init()?),
            LossConfig::Focal(c) => Loss::Focal(c.try_init()?),
        })
    }

    /// Builds the loss; panics with the [`try_init`](Self::try_init) message on a bad field.
    #[track_caller]
    pub fn init(&self) -> Loss {
        or_panic(self.try_init())
    }
}

/// A loss built from a [`LossConfig`].
#[derive(burn::module::Module, Debug)]
pub enum Loss {
    /// See [`BinaryFocalLoss`].
    BinaryFocal(BinaryFocalLoss),
    /// See [`FocalLoss`].
    Focal(FocalLoss),
}

impl Loss {
    /// The snake_case name of this loss.
    pub fn name(&self) -> &'static str {
        match self {
            Loss::BinaryFocal(_) => "binary_focal",
            Loss::Focal(_) => "focal",
        }
    }

    /// Runs the loss on named arguments (`input`, `target`, optional `weight`). The output holds
    /// its logical shape: `[]` for `mean`/`sum`, the element shape for `none`.
    pub fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        match self {
            Loss::BinaryFocal(l) => l.forward_inputs(inputs),
            Loss::Focal(l) => l.forward_inputs(inputs),
        }
    }

    /// What the loss expects in `input`.
    pub fn input_kind(&self) -> InputKind {
        match self {
            Loss::BinaryFocal(l) if !l.config.from_logits => InputKind::SigmoidProbabilities,
            Loss::Focal(l) if !l.config.from_logits => InputKind::SoftmaxProbabilities,
            _ => InputKind::Logits,
        }
    }
}

/// A loss that scores class logits `[N, C]` against class indices `[N]`: what the Learner
/// adapter of `burn-losses-train` needs.
pub trait ClassificationLoss {
    /// The scalar training loss (`[1]`) from model logits `[N, C]` and class indices `[N]`.
    /// Logits are turned into the probabilities the loss expects when it was configured with
    /// `from_logits = false`; a `"none"` reduction is averaged.
    fn classification_loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>>;
}

impl ClassificationLoss for Loss {
    fn classification_loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let input = match self.input_kind() {
            InputKind::Logits => logits,
            InputKind::SoftmaxProbabilities => softmax(logits, 1),
            InputKind::SigmoidProbabilities => sigmoid(logits),
        };
        let loss = match self {
            Loss::Focal(l) => l.try_forward(input, targets, None)?,
            Loss::BinaryFocal(l) => {
                // Multi-label view of a multiclass problem: one sigmoid per class, one-hot target.
                let [_, c] = input.dims();
                let one_hot = targets.one_hot::<2>(c).float().cast(input.dtype());
                l.try_forward(input, one_hot, None)?
            }
        };
        Ok(if loss.dims()[0] == 1 { loss } else { loss.mean() })
    }
}
