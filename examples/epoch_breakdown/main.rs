//! Where one epoch of the MNIST example's training goes: the same model, data, batch size,
//! optimiser and loss as `mnist_focal`, timed through burn's `Learner` and through plain loops
//! that leave out one part at a time (the Learner, our loss, the data loader). One epoch of
//! `--train` images plus a validation pass over `--test` images per variant, each from the same
//! seeded initial model:
//!
//! - `learner`: `mnist_focal`'s path — `SupervisedTraining` with `LossClassifier`, the accuracy
//!   and loss metrics and `EpochLogRenderer`;
//! - `loop`: a plain loop over the same data loader: `LossClassifier::forward_classification`,
//!   `backward`, Adam's step; a forward-only validation pass;
//! - `loop, burn-nn CE`: the same loop with burn-nn's `CrossEntropyLoss` on the logits instead of
//!   the focal loss (what the model and the optimiser cost without our loss);
//! - `loop, batches ready`: `loop` over batches built before the timing (without the loader's
//!   batching and host-to-device copies).
//!
//! ```sh
//! cargo run --release --features train --example epoch_breakdown -- --device flex
//! ```
//!
//! `benches/epoch_torch.py` times the same epoch in a plain PyTorch loop (README, Performance).

// mnist_focal's modules (this example uses a part of each)
#[path = "../mnist_focal/data.rs"]
#[allow(dead_code)]
mod data;
#[path = "../mnist_focal/model.rs"]
mod model;
#[path = "../mnist_focal/train.rs"]
#[allow(dead_code)]
mod train;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use burn_losses::LossConfig;
use burn_losses::train::{ClassificationBatch, Classifier, LossClassifier};
use clap::Parser;

use data::{Digit, DigitBatcher};
use model::KerasDocumentCnn;
use train::TrainOptions;

/// `mnist_focal`'s default loss: the Keras document's focal loss on softmax outputs.
const DOCUMENT_LOSS: &str = r#"{"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], "from_logits": false}"#;

#[derive(Parser, Debug)]
#[command(about = "Times one epoch of the MNIST example through the Learner and through plain loops")]
struct Args {
    /// Backend: flex | ndarray | tch | wgpu | cuda.
    #[arg(long, default_value = "flex")]
    device: String,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A LossConfig JSON (default: the example's focal loss).
    #[arg(long, default_value = DOCUMENT_LOSS, hide_default_value = true)]
    loss: String,
    /// Training images (the first N).
    #[arg(long, default_value_t = 12_000)]
    train: usize,
    /// Validation images (the first N of the test split).
    #[arg(long, default_value_t = 1000)]
    test: usize,
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Data-loader worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

type Adapter = LossClassifier<KerasDocumentCnn, ClassificationBatch<Tensor<4>>>;
type Batch = ClassificationBatch<Tensor<4>>;

/// One epoch of Adam steps over `batches` with `loss_of`, then a forward pass over `valid`;
/// returns the final model (its weights read back, so that the work is done) and the time.
fn plain_epoch(
    mut model: Adapter,
    batches: impl Iterator<Item = Batch>,
    valid: impl Iterator<Item = Batch>,
    lr: f64,
    loss_of: impl Fn(&Adapter, Batch) -> Tensor<1>,
) -> Duration {
    let started = Instant::now();
    let mut optim = AdamConfig::new().init();
    for batch in batches {
        let loss = loss_of(&model, batch);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
    }
    let inference = model.valid();
    let mut correct = 0i64;
    for batch in valid {
        let predicted = inference.model.logits(batch.inputs).argmax(1).flatten::<1>(0, 1);
        correct += predicted.equal(batch.targets).int().sum().into_scalar::<i64>();
    }
    std::hint::black_box(correct);
    started.elapsed()
}

fn main() {
    let args = Args::parse();
    let device = burn_losses::device::parse_device(&args.device).unwrap_or_else(|e| {
        eprintln!("--device: {e}");
        std::process::exit(2);
    });
    let loss_config = LossConfig::parse(&args.loss).unwrap_or_else(|e| {
        eprintln!("--loss: {e}");
        std::process::exit(2);
    });
    let (train_dir, test_dir, _) = data::locate(args.data_dir.as_deref()).unwrap_or_else(|| {
        eprintln!("data: no MNIST idx files found (use --data-dir)");
        std::process::exit(2);
    });
    let read = |dir: &PathBuf, split: &str| data::read_split(dir, split).unwrap_or_else(|e| panic!("{e}"));
    let train_set: Arc<dyn Dataset<Digit>> =
        Arc::new(PartialDataset::new(read(&train_dir, "train"), 0, args.train));
    let valid_set: Arc<dyn Dataset<Digit>> =
        Arc::new(PartialDataset::new(read(&test_dir, "test"), 0, args.test));
    let lr = 1e-3;
    let ad = device.clone().autodiff();
    let fresh = || {
        device.seed(args.seed);
        let loss = loss_config.try_init(&device).unwrap_or_else(|e| panic!("{e}"));
        Adapter::new(KerasDocumentCnn::new(&ad), loss)
    };
    let loader = |set: Arc<dyn Dataset<Digit>>, shuffle: bool, on: &Device| {
        let builder = DataLoaderBuilder::new(DigitBatcher)
            .batch_size(args.batch_size)
            .num_workers(args.workers)
            .set_device(on.clone());
        if shuffle {
            builder.shuffle(args.seed).build(set)
        } else {
            builder.build(set)
        }
    };
    let batches = |set: Arc<dyn Dataset<Digit>>, shuffle: bool, on: &Device| {
        loader(set, shuffle, on)
            .iter()
            .map(|b| b.expect("batch"))
            .collect::<Vec<Batch>>()
    };
    println!(
        "device {}  {} train / {} valid images, batch {}, {} loader workers  loss: {loss_config}",
        args.device, args.train, args.test, args.batch_size, args.workers
    );
    let mut rows: Vec<(&str, Duration)> = Vec::new();

    // 1. the example's path
    device.seed(args.seed);
    let options = TrainOptions {
        epochs: 1,
        batch_size: args.batch_size,
        lr,
        seed: args.seed,
        workers: args.workers,
        devices: vec![],
    };
    let loss = loss_config.try_init(&device).unwrap_or_else(|e| panic!("{e}"));
    let (_, learner) = train::train(&device, loss, train_set.clone(), valid_set.clone(), &options)
        .unwrap_or_else(|e| panic!("{e}"));
    rows.push(("learner (SupervisedTraining, metrics, renderer)", learner));

    // 2. a plain loop over the same loader, our adapter and loss
    let ours = |m: &Adapter, b: Batch| m.forward_classification(b).loss;
    let train_iter = loader(train_set.clone(), true, &ad);
    let valid_iter = loader(valid_set.clone(), false, &device);
    let time = plain_epoch(
        fresh(),
        train_iter.iter().map(|b| b.expect("batch")),
        valid_iter.iter().map(|b| b.expect("batch")),
        lr,
        ours,
    );
    rows.push(("loop (adapter + focal loss)", time));

    // 3. the same loop with burn-nn's cross-entropy on the logits
    let ce = CrossEntropyLossConfig::new().init(&ad);
    let burn_ce = |m: &Adapter, b: Batch| ce.forward(m.model.logits(b.inputs), b.targets);
    let time = plain_epoch(
        fresh(),
        train_iter.iter().map(|b| b.expect("batch")),
        valid_iter.iter().map(|b| b.expect("batch")),
        lr,
        burn_ce,
    );
    rows.push(("loop, burn-nn CrossEntropyLoss instead", time));

    // 4. the loop over batches built beforehand
    let ready = batches(train_set, true, &ad);
    let ready_valid = batches(valid_set, false, &device);
    let time = plain_epoch(fresh(), ready.into_iter(), ready_valid.into_iter(), lr, ours);
    rows.push(("loop, batches built before the timing", time));

    println!("\n| variant | epoch + validation |\n|---|---:|");
    for (name, time) in &rows {
        println!("| {name} | {:.2} s |", time.as_secs_f64());
    }
}
