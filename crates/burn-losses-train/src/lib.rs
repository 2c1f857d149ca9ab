//! burn `Learner` glue for burn-losses.
//!
//! Two lines turn any classifier and any classification loss of this crate into something
//! burn's `SupervisedTraining` / `Learner` trains, with `AccuracyMetric`, `LossMetric` and the
//! other `ClassificationOutput` metrics working as usual:
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "focal", "gamma": 2.0}"#)?.try_init()?;
//! let learner_model = LossClassifier::new(model, loss); // model: impl Classifier
//! ```
//!
//! The training batches are [`ClassificationBatch`]es of the model's input and class indices.
//!
//! Segmentation is the same two lines with [`LossSegmenter`] (model → logits `[N, C, H, W]`,
//! targets `[N, H, W]`); its [`SegmentationOutput`] works with burn's `LossMetric` and
//! `DiceMetric` and with [`PixelAccuracyMetric`] / [`MeanIouMetric`]:
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "dice", "activation": "softmax"}"#)?.try_init()?;
//! let learner_model = LossSegmenter::new(model, loss); // model: impl Segmenter
//! ```

use burn::module::Module;
use burn::tensor::{Int, Tensor};
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use burn_losses_core::{ClassificationLoss, Loss, LossSettings};

pub mod embedding;
mod metrics;
mod renderer;
pub mod segmentation;
pub use burn_losses_core::class_counts;
pub use embedding::{
    Embedder, EmbeddingBatch, EmbeddingInput, EmbeddingOutput, LossEmbedder, LossSiamese, PairAccuracyMetric,
    PairBatch, PairInput, PairOutput, PkDataset, RecallAtOneMetric, best_threshold_accuracy, pk_batches,
    recall_at_1,
};
pub use metrics::ConfusionMatrix;
pub use renderer::{EpochLogRenderer, EpochMetrics};
pub use segmentation::{
    LossSegmenter, MeanIouMetric, PixelAccuracyMetric, SegmentationBatch, SegmentationCounts,
    SegmentationInput, SegmentationOutput, Segmenter,
};

/// A model that maps its input to class logits `[N, C]`.
pub trait Classifier: Module + burn::module::ModuleDisplay {
    /// The batch input (e.g. images `Tensor<4>`).
    type Input: Send + 'static;
    /// Class logits `[N, C]` (no softmax: the adapter applies what the loss expects).
    fn logits(&self, input: Self::Input) -> Tensor<2>;
}

/// One training / validation batch: model input and class indices `[N]`.
#[derive(Debug, Clone)]
pub struct ClassificationBatch<I> {
    /// Model input.
    pub inputs: I,
    /// Class indices `[N]`.
    pub targets: Tensor<1, Int>,
}

/// A classifier trained with a burn-losses [`Loss`]: implements burn's [`TrainStep`] and
/// [`InferenceStep`] with [`ClassificationOutput`].
///
/// If the loss was configured with `from_logits = false`, the logits are turned into the
/// probabilities it expects (softmax for `focal`, sigmoid for `binary_focal`) before the loss, as a
/// Keras model with a final softmax layer would; `output` (for the metrics) stays the logits.
#[derive(Module, Debug)]
pub struct LossClassifier<M> {
    /// The wrapped model.
    pub model: M,
    /// The loss.
    #[module(skip)]
    pub loss: Loss,
    /// How the loss runs on every worker: trusted inputs, fused kernels, the device group whose
    /// batches it joins while training (see [`LossSettings`]); default: checks on, kernels on,
    /// per device.
    #[module(skip)]
    pub settings: LossSettings,
}

impl<M: Classifier> LossClassifier<M> {
    /// Wraps `model` with `loss`.
    pub fn new(model: M, loss: Loss) -> Self {
        Self {
            model,
            loss,
            settings: LossSettings::default(),
        }
    }

    /// Logits, loss and targets of one batch. Panics with the loss's message on bad targets
    /// (e.g. a class index outside `[0, C)`).
    pub fn forward_classification(&self, batch: ClassificationBatch<M::Input>) -> ClassificationOutput {
        let logits = self.model.logits(batch.inputs);
        let loss = self
            .settings
            .scope(|| {
                self.loss
                    .classification_loss(logits.clone(), batch.targets.clone())
            })
            .unwrap_or_else(|e| panic!("{e}"));
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

/// The setters of an adapter's [`LossSettings`] (its `settings` field, applied around every
/// loss call on whichever worker thread computes it).
macro_rules! settings_setters {
    ($adapter:ident, $bound:path) => {
        impl<M: $bound> $adapter<M> {
            /// Runs the loss with `settings` (trusted inputs, fused kernels, device group) on every
            /// worker: the per-thread switches of the main thread do not reach the worker threads
            /// of a data-parallel strategy.
            pub fn with_settings(mut self, settings: burn_losses_core::LossSettings) -> Self {
                self.settings = settings;
                self
            }

            /// Skips (`true`) the loss's value checks on every worker (see
            /// [`burn_losses_core::set_trusted_inputs`]).
            pub fn with_trusted_inputs(mut self, trusted: bool) -> Self {
                self.settings.trusted_inputs = trusted;
                self
            }

            /// Turns the fused kernels on (default) or off on every worker (see
            /// [`burn_losses_core::set_fused_kernels`]).
            pub fn with_fused_kernels(mut self, enabled: bool) -> Self {
                self.settings.fused_kernels = enabled;
                self
            }

            /// Joins the batch statistics of the loss (batch Dice, GHM, mined triplets, …) across
            /// the workers of `group` while training — one clone of this module per device of a
            /// data-parallel strategy, all with the same group (see [`burn_losses_core::DeviceGroup`]).
            pub fn with_device_group(mut self, group: burn_losses_core::DeviceGroup) -> Self {
                self.settings.device_group = Some(group);
                self
            }
        }
    };
}
pub(crate) use settings_setters;

settings_setters!(LossClassifier, Classifier);

impl<M: Classifier> TrainStep for LossClassifier<M> {
    type Input = ClassificationBatch<M::Input>;
    type Output = ClassificationOutput;

    fn step(&self, batch: Self::Input) -> TrainOutput<ClassificationOutput> {
        let item = self.forward_classification(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl<M: Classifier> InferenceStep for LossClassifier<M> {
    type Input = ClassificationBatch<M::Input>;
    type Output = ClassificationOutput;

    fn step(&self, batch: Self::Input) -> ClassificationOutput {
        self.forward_classification(batch)
    }
}
