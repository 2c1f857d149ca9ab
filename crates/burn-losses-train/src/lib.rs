//! burn `Learner` glue for burn-losses.
//!
//! Two lines turn any classifier and any classification loss of this crate into something
//! burn's `SupervisedTraining` / `Learner` trains, with `AccuracyMetric`, `LossMetric` and the
//! other `ClassificationOutput` metrics working as usual:
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "focal", "gamma": 2.0}"#)?.try_init(&device)?;
//! let learner_model = LossClassifier::new(model, loss); // model: impl Classifier
//! ```
//!
//! The training batches are [`ClassificationBatch`]es of the model's input and class indices, or
//! any batch type that converts into one — burn's guide batch, for instance:
//!
//! ```ignore
//! impl From<MnistBatch> for ClassificationBatch<Tensor<3>> {
//!     fn from(batch: MnistBatch) -> Self {
//!         ClassificationBatch { inputs: batch.images, targets: batch.targets }
//!     }
//! }
//! ```
//!
//! Save the trained model with `result.model.into_inner().save_file(path)`: the adapter's record
//! prefixes every parameter with `model.`, the inner model's loads into the bare model.
//!
//! A model with several heads trains from one composite config with [`LossMultiHead`] (each
//! head and each target named after the loss argument it fills).
//!
//! Segmentation is the same two lines with [`LossSegmenter`] (model → logits `[N, C, H, W]`,
//! targets `[N, H, W]`); its [`SegmentationOutput`] works with burn's `LossMetric` and
//! `DiceMetric` and with [`PixelAccuracyMetric`] / [`MeanIouMetric`]:
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "dice", "activation": "softmax"}"#)?.try_init(&device)?;
//! let learner_model = LossSegmenter::new(model, loss); // model: impl Segmenter
//! ```

use burn::module::Module;
use burn::tensor::{Int, Tensor};
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use burn_losses_core::{ClassificationLoss, Loss};

pub mod embedding;
mod metrics;
pub mod multihead;
mod renderer;
pub mod segmentation;
pub use burn_losses_core::class_counts;
pub use embedding::{
    Embedder, EmbeddingBatch, EmbeddingInput, EmbeddingOutput, LossEmbedder, LossSiamese, PairAccuracyMetric,
    PairBatch, PairInput, PairOutput, PkDataset, RecallAtOneMetric, best_threshold_accuracy, pk_batches,
    recall_at_1,
};
pub use metrics::ConfusionMatrix;
pub use multihead::{LossMultiHead, MultiHead, MultiHeadBatch};
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

/// The adapter of a model and a loss: the struct (the model, the loss, its [`LossSettings`] and
/// the batch type `B` it trains on), `new`, `model` / `into_inner`, the settings' setters, a
/// one-line entry for the loss in burn's model summary, and burn's [`TrainStep`] /
/// [`InferenceStep`] on any batch `B` that converts into the adapter's own batch type (through
/// `From` / `Into`), each step calling the adapter's `forward_*` method.
macro_rules! loss_adapter {
    (
        $(#[$doc:meta])*
        $adapter:ident<M: $bound:ident>, batch $batch:ident, output $output:ident, step $forward:ident,
        loss $(#[$loss_attr:meta])* $loss_doc:literal, prepare $prepare:path $(,)?
    ) => {
        $(#[$doc])*
        ///
        /// `B` is the batch type the Learner's dataloader yields, inferred from it: the adapter's
        /// own batch type, or any type it converts from (`impl From<YourBatch> for` the adapter's
        /// batch; burn's guide has `MnistBatch { images, targets }`, see the crate docs). Save the trained model with
        /// [`into_inner`](Self::into_inner) (`.into_inner().save_file(…)`): the adapter's own
        /// record prefixes every parameter with `model.`.
        #[derive(Module, Debug)]
        #[module(custom_display)]
        pub struct $adapter<M, B> {
            /// The wrapped model.
            pub model: M,
            #[doc = $loss_doc]
            $(#[$loss_attr])*
            pub loss: burn_losses_core::Loss,
            /// How the loss runs on every worker: trusted inputs, fused kernels, the device
            /// group whose batches it joins while training (see [`LossSettings`](burn_losses_core::LossSettings)); default:
            /// checks on, kernels on, per device.
            #[module(skip)]
            pub settings: burn_losses_core::LossSettings,
            #[module(skip)]
            batch: core::marker::PhantomData<fn() -> B>,
        }

        impl<M: $bound, B> $adapter<M, B> {
            /// Wraps `model` with `loss`.
            pub fn new(model: M, loss: burn_losses_core::Loss) -> Self {
                let loss = $prepare(&model, loss);
                Self {
                    model,
                    loss,
                    settings: burn_losses_core::LossSettings::default(),
                    batch: core::marker::PhantomData,
                }
            }

            /// The wrapped model.
            pub fn model(&self) -> &M {
                &self.model
            }

            /// The wrapped model, without the loss: what to save after training
            /// (`learner_model.into_inner().save_file(path)`), so that the record
            /// loads into the bare model.
            pub fn into_inner(self) -> M {
                self.model
            }

            /// Runs the loss with `settings` (trusted inputs, fused kernels, device group) on
            /// every worker: the per-thread switches of the main thread do not reach the worker
            /// threads of a data-parallel strategy.
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
            /// data-parallel strategy, all with the same group (see
            /// [`burn_losses_core::DeviceGroup`]).
            pub fn with_device_group(mut self, group: burn_losses_core::DeviceGroup) -> Self {
                self.settings.device_group = Some(group);
                self
            }
        }

        impl<M: Module + burn::module::ModuleDisplay, B: Clone + core::fmt::Debug + Send> burn::module::ModuleDisplay for $adapter<M, B> {
            fn custom_content(&self, content: burn::module::Content) -> Option<burn::module::Content> {
                let content = content
                    .set_top_level_type(stringify!($adapter))
                    .add("model", &self.model)
                    .add("loss", &self.loss);
                let content = if self.settings.is_default() {
                    content
                } else {
                    content.add_debug_attribute("settings", &self.settings)
                };
                content.optional()
            }
        }

        impl<M: $bound, B> TrainStep for $adapter<M, B>
        where
            B: Into<$batch<M::Input>> + Clone + core::fmt::Debug + Send + 'static,
        {
            type Input = B;
            type Output = $output;

            fn step(&self, batch: B) -> TrainOutput<$output> {
                let item = self.$forward(batch.into());
                // one training step for the loss's weight schedules
                self.loss.advance();
                TrainOutput::new(self, item.loss.backward(), item)
            }
        }

        impl<M: $bound, B> InferenceStep for $adapter<M, B>
        where
            B: Into<$batch<M::Input>> + Clone + core::fmt::Debug + Send + 'static,
        {
            type Input = B;
            type Output = $output;

            fn step(&self, batch: B) -> $output {
                self.$forward(batch.into())
            }
        }
    };
}
pub(crate) use loss_adapter;

/// The scalar training loss (`[1]`) of named arguments, under `settings` on this worker: a
/// `"none"` reduction averaged, plus the penalty on `model`'s parameters the loss asks for.
/// Panics with the loss's message on bad arguments.
pub(crate) fn step_loss<M: Module>(
    settings: &burn_losses_core::LossSettings,
    loss: &Loss,
    model: &M,
    inputs: &burn_losses_core::LossInputs,
) -> Tensor<1> {
    let out = settings
        .scope(|| loss.forward_inputs(inputs))
        .unwrap_or_else(|e| panic!("{e}"))
        .flat;
    let value = if out.dims()[0] == 1 { out } else { out.mean() };
    regularized(value, loss, model)
}

/// `value` plus the penalty on `model`'s parameters that `loss` asks for (a `sum` with
/// `regularizers`, see [`Loss::regularization`]).
pub(crate) fn regularized<M: Module>(value: Tensor<1>, loss: &Loss, model: &M) -> Tensor<1> {
    match loss.regularization(model) {
        Some(penalty) => {
            let dtype = value.dtype();
            value + penalty.cast(dtype)
        }
        None => value,
    }
}

/// Moves a loss to the device of `model` (`fork`), with autodiff on when the model has it, so
/// that its parameters (ArcFace's class weights, a `sum`'s learned weights) train with the
/// model's.
pub(crate) fn loss_on_device_of<M: Module>(model: &M, loss: Loss) -> Loss {
    match model.devices().into_iter().next() {
        Some(device) if device.is_autodiff() => loss.fork(&device).train(),
        Some(device) => loss.fork(&device),
        None => loss,
    }
}

loss_adapter! {
    /// A classifier trained with a burn-losses [`Loss`]: implements burn's [`TrainStep`] and
    /// [`InferenceStep`] with [`ClassificationOutput`].
    ///
    /// If the loss was configured with `from_logits = false`, the logits are turned into the
    /// probabilities it expects (softmax for `focal`, sigmoid for `binary_focal`) before the loss,
    /// as a Keras model with a final softmax layer would; `output` (for the metrics) stays the
    /// logits.
    LossClassifier<M: Classifier>, batch ClassificationBatch, output ClassificationOutput,
    step forward_classification,
    loss "The loss (a sub-module: learned term weights and class weights train with the model; moved to the model's device by `new`).",
    prepare loss_on_device_of,
}

impl<M: Classifier, B> LossClassifier<M, B> {
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
        let loss = regularized(loss, &self.loss, &self.model);
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}
