//! burn's guide inference, unchanged: the saved record loads into the bare model.

use burn::config::Config;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::vision::MnistItem;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor};

use crate::data::MnistBatcher;
use crate::training::TrainingConfig;

/// The predicted digit of each item (and its logits), from the model saved in `artifact_dir`.
pub fn infer(artifact_dir: &str, device: Device, items: Vec<MnistItem>) -> (Vec<i64>, Tensor<2>) {
    let config = TrainingConfig::load(format!("{artifact_dir}/config.json"))
        .expect("Config should exist for the model; run train first");
    let record = ModuleRecord::load(format!("{artifact_dir}/model"))
        .expect("Trained model should exist; run train first");

    let model = config.model.init(&device).load_record(record);

    let batch = MnistBatcher::default().batch(items, &device);
    let output = model.forward(batch.images);
    let predicted = output
        .clone()
        .argmax(1)
        .flatten::<1>(0, 1)
        .into_data()
        .iter::<i64>()
        .collect();
    (predicted, output)
}
