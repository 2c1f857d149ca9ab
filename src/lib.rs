//! # burn-losses
//!
//! Backend-agnostic loss modules for [burn](https://burn.dev) 0.22 that burn does not ship —
//! focal, class-balanced, Dice / Tversky / Lovász, GHM, mined triplets, NT-Xent, ArcFace, pinball,
//! log-cosh and more — each a serde-validated config plus a `Module`, selectable by name from a
//! training config ([`LossConfig`]) and trainable with burn's `Learner` (feature `train`).
//!
//! ```no_run
//! use burn::tensor::{Device, Int, Tensor};
//! use burn_losses::prelude::*;
//!
//! let device = Device::default();
//! let loss = FocalLossConfig::new().with_gamma(2.0).init(&device);
//! let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
//! let target = Tensor::<1, Int>::from_ints([0, 2], &device);
//! let value = loss.forward(logits.clone(), target.clone()); // Tensor<1> with one element
//!
//! // The same loss from a training config:
//! let loss = LossConfig::parse(r#"{"type": "focal", "gamma": 2.0}"#).unwrap().init(&device);
//! let value = loss.forward(logits, target);
//! ```
//!
//! `use burn_losses::prelude::*` brings everything but the 18 names `burn::nn::loss` also has
//! (`CrossEntropyLoss`, `HuberLoss`, `MseLoss`, `Reduction`, …), so it sits beside
//! `use burn::nn::loss::*`; those are `burn_losses::CrossEntropyLossConfig` and so on.
//!
//! # Training with burn's Learner (feature `train`)
//!
//! burn's own guide (the MNIST model, `TrainingConfig`, `train` / `infer`) with its loss chosen in
//! the training config. The model keeps its `forward`; three things change: the config holds a
//! [`LossConfig`], the guide's `TrainStep` / `InferenceStep` impls give way to
//! [`train::LossClassifier`] (the guide's `MnistBatch` converts into its batch), and the saved
//! model is the inner one ([`into_inner`](train::LossClassifier::into_inner)), so the guide's
//! `infer` loads it unchanged.
//!
//! ```ignore
//! use burn_losses::prelude::*;
//! use burn_losses::train::{ClassificationBatch, Classifier, LossClassifier};
//!
//! #[derive(Config, Debug)]
//! pub struct TrainingConfig {
//!     pub model: ModelConfig,
//!     pub optimizer: AdamConfig,
//!     #[config(default = r#"loss_json!({"type": "focal", "gamma": 2.0})"#)]
//!     pub loss: LossConfig,
//!     // … the guide's other fields
//! }
//!
//! impl Classifier for Model {
//!     type Input = Tensor<3>;
//!     fn logits(&self, images: Tensor<3>) -> Tensor<2> { self.forward(images) }
//! }
//!
//! impl From<MnistBatch> for ClassificationBatch<Tensor<3>> {
//!     fn from(batch: MnistBatch) -> Self {
//!         ClassificationBatch { inputs: batch.images, targets: batch.targets }
//!     }
//! }
//!
//! // in `train`:
//! let model = LossClassifier::new(config.model.init(&device), config.loss.init(&device));
//! let result = training.launch(Learner::new(model, config.optimizer.init(), config.learning_rate));
//! result.model.into_inner().save_file(format!("{artifact_dir}/model"))?;
//! ```
//!
//! `examples/burn_guide` is this program, run by CI: it trains from a JSON config, saves, loads
//! the record into the bare model and checks the predictions.
//!
//! Backends are this crate's cargo features: `flex` (default), `ndarray`, `wgpu`, `vulkan`,
//! `tch`, `cuda` (see [`device`]). `train` adds the Learner adapters ([`train`]), `vision` the
//! segmentation adapter's `DiceMetric` input.

pub use burn_losses_core::*;
#[cfg(feature = "train")]
pub use burn_losses_train as train;

pub mod device;
pub mod eval;

/// Everything a training program needs, side by side with `use burn::nn::loss::*` (see the
/// [crate docs](crate)): the registry ([`LossConfig`], [`Loss`], [`loss_json!`]), the losses whose
/// names burn does not have, and with feature `train` the Learner adapters.
pub mod prelude {
    pub use burn_losses_core::prelude::*;
    #[cfg(feature = "train")]
    pub use burn_losses_train::{
        ClassificationBatch, Classifier, Embedder, EmbeddingBatch, LossClassifier, LossEmbedder,
        LossMultiHead, LossSegmenter, LossSiamese, MultiHead, MultiHeadBatch, PairBatch, SegmentationBatch,
        Segmenter,
    };
}
