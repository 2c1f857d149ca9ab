//! The Keras-document MNIST example, trained with burn's `Learner` and a burn-losses focal loss.
//!
//! Model: Conv2D(1→32, 3×3, ReLU) → MaxPool 2×2 → Flatten → Dense(128, ReLU) → Dense(10, softmax);
//! loss: focal γ = 2, α = 0.25 on the softmax outputs (the document's `focal_loss(gamma=2., alpha=.25)`);
//! Adam (lr 1e-3), 3 epochs, batch 16.
//!
//! ```text
//! cargo run --release --features train --example mnist_focal                      # real MNIST, 60k/10k, flex
//! cargo run --release --features train --example mnist_focal -- --synthetic       # the document's 100 random images
//! cargo run --release --features train --example mnist_focal -- --device ndarray --train-limit 2000 \
//!     --loss '{"type": "focal", "gamma": 1.0}'
//! cargo run --release --features train --example mnist_focal -- --devices 2      # data-parallel on two workers
//! ```

mod data;
mod model;
mod train;

use std::path::PathBuf;
use std::sync::Arc;

use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn_losses::LossConfig;
use burn_losses::device::{BACKENDS, device_replicas};
use clap::Parser;

use data::{Digit, Digits};
use train::TrainOptions;

/// The document's loss: focal γ = 2, α = 0.25 for every class, on softmax probabilities.
const DOCUMENT_LOSS: &str = r#"{"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], "from_logits": false}"#;

#[derive(Parser, Debug)]
#[command(
    about = "The Keras-document MNIST example, trained with burn's Learner and a burn-losses focal loss"
)]
struct Args {
    /// Train and evaluate on the document's 100 random images instead of MNIST.
    #[arg(long)]
    synthetic: bool,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A LossConfig JSON, or a loss name (its defaults). Default: the document's focal loss.
    #[arg(long, value_name = "JSON|NAME", default_value = DOCUMENT_LOSS, hide_default_value = true)]
    loss: String,
    /// Backend: flex | ndarray | wgpu | vulkan | tch | cuda.
    #[arg(long, value_name = "NAME", default_value = "flex")]
    device: String,
    /// Train on the first N training images.
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Evaluate on the first N test images.
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Learning rate (Adam).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Data-loader worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Data-parallel training on N devices of `--device` (burn-train's MultiDevice strategy):
    /// cuda:0..N-1 for cuda, N worker threads on the one device of any other backend.
    #[arg(long, value_name = "N", default_value_t = 1)]
    devices: usize,
}

fn load(args: &Args) -> Result<(Digits, Digits, String), String> {
    if args.synthetic {
        // The document fits on its 100 random images; we evaluate on the same images.
        return Ok((
            data::synthetic(100, args.seed),
            data::synthetic(100, args.seed),
            "synthetic (100 random images)".into(),
        ));
    }
    match data::locate(args.data_dir.as_deref()) {
        Some((train, test, source)) => Ok((
            data::read_split(&train, "train")?,
            data::read_split(&test, "test")?,
            format!("MNIST from {source} ({})", train.display()),
        )),
        None if args.data_dir.is_some() => Err(format!(
            "--data-dir {}: no MNIST idx files (train-images-idx3-ubyte[.gz], ...)",
            args.data_dir.as_ref().unwrap().display()
        )),
        None => Ok((
            data::burn_download("train"),
            data::burn_download("test"),
            "MNIST via burn MnistDataset".into(),
        )),
    }
}

/// The value, or `context` + the error on stderr and exit code 2.
fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, context: &str) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{context}{e}");
        std::process::exit(2)
    })
}

/// The first `limit` items of `digits` (all of them without a limit).
fn first(digits: Digits, limit: Option<usize>) -> Arc<dyn Dataset<Digit>> {
    match limit {
        Some(n) if n < digits.len() => Arc::new(PartialDataset::new(digits, 0, n)),
        _ => Arc::new(digits),
    }
}

fn main() {
    let args = Args::parse();
    let devices = or_exit(
        device_replicas(&args.device, args.devices)
            .map_err(|e| format!("{e} (known: {})", BACKENDS.join(", "))),
        "--device / --devices: ",
    );
    let device = devices[0].clone();
    let loss_config = or_exit(LossConfig::parse(&args.loss), "--loss: ");
    let loss = or_exit(loss_config.try_init(&device), "--loss: ");
    let (train, test, source) = or_exit(load(&args), "data: ");
    let (train, test) = (first(train, args.train_limit), first(test, args.test_limit));
    println!(
        "data: {source}: {} train / {} test images",
        train.len(),
        test.len()
    );
    println!("device: {} x{}  loss: {loss_config}", args.device, devices.len());

    let options = TrainOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        seed: args.seed,
        workers: args.workers,
        devices,
    };
    let (model, train_time) = or_exit(train::train(&device, loss, train, test.clone(), &options), "");
    let confusion = train::evaluate(&model, test, &device);
    println!(
        "train time: {:.1} s ({} epochs, {:.1} s/epoch)",
        train_time.as_secs_f64(),
        args.epochs,
        train_time.as_secs_f64() / args.epochs.max(1) as f64
    );
    println!(
        "test accuracy: {:.2}% ({} images)",
        100.0 * confusion.accuracy(),
        confusion.total()
    );
    println!("balanced accuracy: {:.2}%", 100.0 * confusion.balanced_accuracy());
    let recall: Vec<String> = confusion
        .per_class_recall()
        .iter()
        .enumerate()
        .map(|(c, r)| format!("{c}:{:.1}", 100.0 * r))
        .collect();
    println!("per-class recall (%): {}", recall.join(" "));
}
