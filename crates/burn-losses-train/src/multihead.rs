//! Models with several heads trained from one composite config: [`LossMultiHead`] feeds each
//! output of the model ([`MultiHead::heads`], named after the loss argument it fills) and each
//! named target of the batch to the loss — a `sum` whose terms read their own arguments
//! (`"inputs": {"input": "ink_pred", "target": "ink"}`) — and reports the `input` head as class
//! logits with the `target` class indices ([`ClassificationOutput`]), so burn's accuracy and loss
//! metrics work unchanged.
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "sum", "weighting": "uncertainty", "terms": [
//!     {"loss": {"type": "cross_entropy"}},
//!     {"loss": {"type": "mse"}, "inputs": {"input": "ink_pred", "target": "ink"}}]}"#)?.init(&device);
//! let learner_model = LossMultiHead::new(model, loss); // model: impl MultiHead
//! ```

use burn::module::Module;
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor};
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use burn_losses_core::{DynInput, DynTensor, InputKind, LossInputs};

/// A model with several outputs, each named after the loss argument it feeds.
pub trait MultiHead: Module + burn::module::ModuleDisplay {
    /// The batch input (e.g. images `Tensor<3>`).
    type Input: Send + 'static;
    /// The model's outputs by argument name: `input` holds the class logits `[N, C]` (what the
    /// classification metrics read); the other heads take any names the loss config routes.
    fn heads(&self, input: Self::Input) -> LossInputs;
}

/// One batch: the model's input and the targets by argument name (`target` the class indices
/// `[N]`, and the other heads' targets).
#[derive(Debug, Clone)]
pub struct MultiHeadBatch<I> {
    /// Model input.
    pub inputs: I,
    /// Targets by argument name.
    pub targets: LossInputs,
}

crate::loss_adapter! {
    /// A multi-head model trained with one burn-losses [`Loss`](burn_losses_core::Loss) over all
    /// its heads: burn's [`TrainStep`] / [`InferenceStep`] with a [`ClassificationOutput`] of the
    /// `input` head and the `target` class indices.
    LossMultiHead<M: MultiHead>, batch MultiHeadBatch, output ClassificationOutput, step forward_heads,
    loss "The loss (a sub-module: learned term weights train with the model; moved to the model's device by `new`).",
    prepare crate::loss_on_device_of,
}

impl<M: MultiHead, B> LossMultiHead<M, B> {
    /// The loss of all heads, with the class logits (`input`) and class indices (`target`).
    /// Panics with the loss's message on bad heads or targets.
    pub fn forward_heads(&self, batch: MultiHeadBatch<M::Input>) -> ClassificationOutput {
        const NAME: &str = "LossMultiHead";
        let mut inputs = self.model.heads(batch.inputs);
        for name in batch.targets.names() {
            if inputs.contains(name) {
                panic!(
                    "{NAME}: target `{name}`: expected a name that no head of the model has, got a head's name"
                );
            }
            let target = batch.targets.get(NAME, name).unwrap_or_else(|e| panic!("{e}"));
            inputs.insert(name, target.clone());
        }
        let logits: Tensor<2> = match inputs.get(NAME, "input") {
            Ok(DynInput::Float(t)) if t.shape.len() == 2 => t.clone().into_tensor(),
            Ok(other) => panic!(
                "{NAME}: head `input`: expected float class logits [N, C], got a tensor of shape {:?}",
                other.shape()
            ),
            Err(e) => panic!("{e}"),
        };
        let targets: Tensor<1, Int> = match inputs.get(NAME, "target") {
            Ok(DynInput::Int(t)) if t.shape.len() == 1 => t.clone().into_tensor(),
            Ok(other) => panic!(
                "{NAME}: target `target`: expected integer class indices [N], got a tensor of shape {:?}",
                other.shape()
            ),
            Err(e) => panic!("{e}"),
        };
        // the class head as the loss takes it (softmax / sigmoid probabilities for a loss
        // configured with from_logits = false), as LossClassifier does
        let class_input = match self.loss.input_kind() {
            InputKind::Logits => None,
            InputKind::SoftmaxProbabilities => Some(softmax(logits.clone(), 1)),
            InputKind::SigmoidProbabilities => Some(sigmoid(logits.clone())),
        };
        if let Some(p) = class_input {
            inputs.insert("input", DynInput::Float(DynTensor::from_tensor(p)));
        }
        let loss = crate::step_loss(&self.settings, &self.loss, &self.model, &inputs);
        ClassificationOutput::new(loss, logits, targets)
    }
}
