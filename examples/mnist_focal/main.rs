//! The Keras-document MNIST example, trained with burn's `Learner` and a burn-losses focal loss.
//!
//! Model: Conv2D(1→32, 3×3, ReLU) → MaxPool 2×2 → Flatten → Dense(128, ReLU) → Dense(10, softmax);
//! loss: focal γ = 2, α = 0.25 on the softmax outputs (the document's `focal_loss(gamma=2., alpha=.25)`);
//! Adam (lr 1e-3), 3 epochs, batch 16.
//!
//! ```text
//! cargo run --release --example mnist_focal                      # real MNIST, 60k/10k, flex
//! cargo run --release --example mnist_focal -- --synthetic       # the document's 100 random images
//! cargo run --release --example mnist_focal -- --device ndarray --train-limit 2000 \
//!     --loss '{"type": "focal", "gamma": 1.0}'
//! ```

mod data;
mod model;
mod train;

use std::path::PathBuf;
use std::sync::Arc;

use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn_losses::LossConfig;
use burn_losses::device::{BACKENDS, parse_device};

use data::{Digit, Digits};
use train::TrainOptions;

/// The document's loss: focal γ = 2, α = 0.25 for every class, on softmax probabilities.
const DOCUMENT_LOSS: &str = r#"{"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], "from_logits": false}"#;

struct Args {
    synthetic: bool,
    data_dir: Option<PathBuf>,
    loss: String,
    device: String,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
    epochs: usize,
    batch_size: usize,
    lr: f64,
    seed: u64,
    workers: usize,
}

const USAGE: &str = "usage: mnist_focal [--synthetic] [--data-dir DIR] [--loss JSON|NAME] [--device NAME]
                   [--train-limit N] [--test-limit N] [--epochs 3] [--batch-size 16] [--lr 1e-3] [--seed 42] [--workers 2]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        synthetic: false,
        data_dir: None,
        loss: DOCUMENT_LOSS.to_string(),
        device: "flex".to_string(),
        train_limit: None,
        test_limit: None,
        epochs: 3,
        batch_size: 16,
        lr: 1e-3,
        seed: 42,
        workers: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        let num = |name: &str, v: String| v.parse::<f64>().map_err(|_| format!("{name}: not a number: {v}"));
        match flag.as_str() {
            "--synthetic" => a.synthetic = true,
            "--data-dir" => a.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--loss" => a.loss = value("--loss")?,
            "--device" => a.device = value("--device")?,
            "--train-limit" => a.train_limit = Some(num("--train-limit", value("--train-limit")?)? as usize),
            "--test-limit" => a.test_limit = Some(num("--test-limit", value("--test-limit")?)? as usize),
            "--epochs" => a.epochs = num("--epochs", value("--epochs")?)? as usize,
            "--batch-size" => a.batch_size = num("--batch-size", value("--batch-size")?)? as usize,
            "--lr" => a.lr = num("--lr", value("--lr")?)?,
            "--seed" => a.seed = num("--seed", value("--seed")?)? as u64,
            "--workers" => a.workers = num("--workers", value("--workers")?)? as usize,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(a)
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
    let args = or_exit(parse_args(), "");
    let device = or_exit(
        parse_device(&args.device).map_err(|e| format!("{e} (known: {})", BACKENDS.join(", "))),
        "--device: ",
    );
    let loss_config = or_exit(LossConfig::parse(&args.loss), "--loss: ");
    let loss = or_exit(loss_config.try_init(), "--loss: ");
    let (train, test, source) = or_exit(load(&args), "data: ");
    let (train, test) = (first(train, args.train_limit), first(test, args.test_limit));
    println!(
        "data: {source}: {} train / {} test images",
        train.len(),
        test.len()
    );
    println!("device: {}  loss: {loss_config}", args.device);

    let options = TrainOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        seed: args.seed,
        workers: args.workers,
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
