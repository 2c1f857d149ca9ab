//! burn 0.22.1's guide (MNIST: model, data, training, inference) with its loss chosen in the
//! training config, through burn-losses: train from a JSON config → save → load into the bare
//! model → infer. The README section "Coming from burn's guide" shows these files' changes.
//!
//! ```text
//! cargo run --release --features train --example burn_guide -- [CONFIG.json] [--device flex] [--artifact-dir DIR]
//! ```
//!
//! Without a config file it writes the guide's defaults (10 epochs over the 60 000 images) with the
//! loss `{"type": "focal", "gamma": 2.0}`. MNIST is read where burn's `MnistDataset` looks
//! (`scripts/place-mnist.sh` puts the shipped copy there; no network).

mod data;
mod inference;
mod model;
mod training;

use burn::config::Config;
use burn::data::dataset::Dataset;
use burn::data::dataset::vision::MnistDataset;
use burn::optim::AdamConfig;
use clap::Parser;

use crate::model::ModelConfig;
use crate::training::TrainingConfig;

#[derive(Parser, Debug)]
#[command(about = "burn's guide with its loss chosen in the training config")]
struct Args {
    /// A training config (JSON, as `TrainingConfig::save` writes it); default: the guide's.
    config: Option<std::path::PathBuf>,
    /// flex, ndarray, wgpu, tch, …
    #[arg(long, default_value = "flex")]
    device: String,
    /// Where the config, checkpoints and model go.
    #[arg(long, default_value = "/tmp/burn-losses-guide")]
    artifact_dir: String,
}

fn main() {
    let args = Args::parse();
    let device = burn_losses::device::parse_device(&args.device).unwrap_or_else(|e| {
        eprintln!("--device: {e}");
        std::process::exit(2)
    });
    let config = match &args.config {
        Some(path) => TrainingConfig::load(path).unwrap_or_else(|e| {
            eprintln!("{}: {e}", path.display());
            std::process::exit(2)
        }),
        None => TrainingConfig::new(ModelConfig::new(10, 512), AdamConfig::new()),
    };
    println!("loss: {}", config.loss.summary());
    let trained = training::train(&args.artifact_dir, config, device.clone());

    // inference on the first test images, with the record loaded into the bare model
    let test = MnistDataset::test();
    let items: Vec<_> = (0..256).filter_map(|i| test.get(i).ok()).collect();
    let labels: Vec<i64> = items.iter().map(|item| item.label as i64).collect();
    let (predicted, loaded_logits) = inference::infer(&args.artifact_dir, device.clone(), items.clone());
    // the round trip: the loaded model computes what the trained one does
    let batch =
        burn::data::dataloader::batcher::Batcher::batch(&data::MnistBatcher::default(), items, &device);
    let trained_logits = burn::module::Module::valid(&trained).forward(batch.images);
    let difference = (trained_logits - loaded_logits).abs().max().into_scalar::<f32>();
    if difference > 1e-5 {
        eprintln!("the loaded model differs from the trained one: max |Δlogit| = {difference}");
        std::process::exit(1);
    }
    println!(
        "save → load → infer: the loaded model's logits equal the trained model's (max |Δ| = {difference})"
    );
    let correct = predicted.iter().zip(&labels).filter(|(p, l)| p == l).count();
    println!(
        "inference from {}/model: {correct}/{} of the first test images right ({:.1} %)",
        args.artifact_dir,
        labels.len(),
        100.0 * correct as f64 / labels.len() as f64
    );
}
