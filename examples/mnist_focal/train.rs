//! Training and evaluation of the Keras-document CNN through burn's `SupervisedTraining` /
//! `Learner`, shared by the MNIST examples.

use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset;
use burn::optim::AdamConfig;
use burn::tensor::Device;
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining, TrainingStrategy};
use burn_losses::Loss;
use burn_losses::train::{Classifier, ConfusionMatrix, EpochLogRenderer, LossClassifier};

use crate::data::{Digit, DigitBatcher};
use crate::model::KerasDocumentCnn;

/// Optimiser and loop settings (the Keras document's: Adam 1e-3, batch 16, 3 epochs).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    pub workers: usize,
    /// Data-parallel devices (burn-train's `MultiDevice`, optimiser on the first); one device,
    /// or none, trains on `device` alone.
    pub devices: Vec<Device>,
}

/// Trains a fresh model (seeded) with `loss`; prints one line per epoch and split. Returns the
/// trained model and the training wall time.
pub fn train(
    device: &Device,
    loss: Loss,
    train: Arc<dyn Dataset<Digit>>,
    valid: Arc<dyn Dataset<Digit>>,
    options: &TrainOptions,
) -> Result<(KerasDocumentCnn, Duration), String> {
    device.seed(options.seed);
    // burn 0.22: parameters are trainable when created on an autodiff device.
    let model = LossClassifier::new(KerasDocumentCnn::new(&device.clone().autodiff()), loss);
    let loader = |ds: Arc<dyn Dataset<Digit>>, shuffle: bool| {
        let b = DataLoaderBuilder::new(DigitBatcher)
            .batch_size(options.batch_size)
            .num_workers(options.workers);
        if shuffle {
            b.shuffle(options.seed).build(ds)
        } else {
            b.build(ds)
        }
    };
    let artifact_dir = std::env::temp_dir().join(format!(
        "burn-losses-mnist-{}-{}",
        std::process::id(),
        options.seed
    ));
    let training = SupervisedTraining::new(&artifact_dir, loader(train, true), loader(valid, false))
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(EpochLogRenderer::new()))
        .num_epochs(options.epochs);
    // each device trains on its own batches: a loss that depends on the whole batch (batch Dice,
    // mined triplets, NT-Xent, balanced BCE's β) sees the device's batch (see README, "Multi-device
    // training")
    let training = if options.devices.len() > 1 {
        training.with_training_strategy(TrainingStrategy::Default(ExecutionStrategy::multi(
            options.devices.clone(),
            MultiDeviceOptim::OptimMainDevice,
        )))
    } else {
        training
    };
    let started = Instant::now();
    let result = training.launch(Learner::new(model, AdamConfig::new().init(), options.lr));
    let elapsed = started.elapsed();
    std::fs::remove_dir_all(&artifact_dir).ok();
    match result.error {
        Some(error) => Err(format!("training failed: {error}")),
        None => Ok((result.model.model, elapsed)),
    }
}

/// The confusion matrix of `model` on `test`.
pub fn evaluate(model: &KerasDocumentCnn, test: Arc<dyn Dataset<Digit>>, device: &Device) -> ConfusionMatrix {
    let mut confusion = ConfusionMatrix::new(10);
    let test_loader = DataLoaderBuilder::new(DigitBatcher)
        .batch_size(256)
        .set_device(device.clone())
        .build(test);
    for batch in test_loader.iter() {
        let batch = batch.expect("test batch");
        confusion.update(model.logits(batch.inputs), batch.targets);
    }
    confusion
}
