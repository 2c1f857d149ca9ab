//! burn's guide training, with the loss chosen in the training config: the `loss` field, the
//! adapter in place of the guide's `TrainStep` / `InferenceStep` impls, and `into_inner()` before
//! saving.

use burn::config::Config;
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::transform::PartialDataset;
use burn::data::dataset::vision::MnistDataset;
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::Device;
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use burn_losses::prelude::*;

use crate::data::MnistBatcher;
use crate::model::{Model, ModelConfig};

#[derive(Config, Debug)]
pub struct TrainingConfig {
    pub model: ModelConfig,
    pub optimizer: AdamConfig,
    #[config(default = r#"loss_json!({"type": "focal", "gamma": 2.0})"#)]
    pub loss: LossConfig,
    #[config(default = 10)]
    pub num_epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 4)]
    pub num_workers: usize,
    #[config(default = 42)]
    pub seed: u64,
    #[config(default = 1.0e-4)]
    pub learning_rate: f64,
    /// Train on the first `limit` images of each split only (CI's smoke run); not in the guide.
    #[config(default = "None")]
    pub limit: Option<usize>,
}

fn create_artifact_dir(artifact_dir: &str) {
    // Remove existing artifacts before to get an accurate learner summary
    std::fs::remove_dir_all(artifact_dir).ok();
    std::fs::create_dir_all(artifact_dir).ok();
}

/// Trains and saves the model; returns it (not in the guide: to check the saved record against it).
pub fn train(artifact_dir: &str, config: TrainingConfig, device: Device) -> Model {
    create_artifact_dir(artifact_dir);
    config
        .save(format!("{artifact_dir}/config.json"))
        .expect("Config should be saved successfully");

    device.seed(config.seed);
    let device_ad = device.clone().autodiff();

    let limited = |dataset: MnistDataset| {
        let n = config
            .limit
            .map_or(dataset_len(&dataset), |l| l.min(dataset_len(&dataset)));
        PartialDataset::new(dataset, 0, n)
    };
    let dataloader_train = DataLoaderBuilder::new(MnistBatcher::default())
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .num_workers(config.num_workers)
        .build(limited(MnistDataset::train()));
    let dataloader_test = DataLoaderBuilder::new(MnistBatcher::default())
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .num_workers(config.num_workers)
        .build(limited(MnistDataset::test()));

    // burn-losses: the model and the configured loss, as one Learner model
    let model = LossClassifier::new(config.model.init(&device_ad), config.loss.init(&device_ad));
    let training = SupervisedTraining::new(artifact_dir, dataloader_train, dataloader_test)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .num_epochs(config.num_epochs)
        .summary();
    let result = training.launch(Learner::new(model, config.optimizer.init(), config.learning_rate));

    // burn-losses: save the inner model, so that `infer` loads it into the bare model
    let model_trained = result.model.into_inner();
    model_trained
        .clone()
        .save_file(format!("{artifact_dir}/model"))
        .expect("Trained model should be saved successfully");
    model_trained
}

fn dataset_len(dataset: &MnistDataset) -> usize {
    burn::data::dataset::Dataset::len(dataset)
}
