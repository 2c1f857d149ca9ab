//! Learn a digit embedding on MNIST with batch-hard mined triplets (Hermans et al. 2017), through
//! burn's `Learner`: P×K batches (`PkDataset`), the `triplet_mined` loss (or any labelled-batch
//! loss by config), recall@1 on the validation images as a burn metric. Reports recall@1 over the
//! whole test set (each test image's nearest other test image has its digit) and draws the test
//! embeddings (first two principal components) coloured by digit.
//!
//! ```sh
//! cargo run --release --features train --example triplet_mnist                     # -> docs/triplet_mnist.{md,png,svg}
//! cargo run --release --features train --example triplet_mnist -- --loss '{"type": "supcon"}' --distance cosine
//! ```

#[allow(dead_code)]
#[path = "../mnist_focal/data.rs"]
mod data;
mod plot;
mod tower;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::LossMetric;
use burn::train::{Learner, SupervisedTraining};
use burn_losses::device::parse_device;
use burn_losses::train::{
    Embedder, EmbeddingBatch, EpochLogRenderer, LossEmbedder, PkDataset, RecallAtOneMetric, recall_at_1,
};
use burn_losses::{Distance, LossConfig};
use clap::{Parser, ValueEnum};

use data::Digit;
use tower::Tower;

const DEFAULT_LOSS: &str = r#"{"type": "triplet_mined", "mining": "batch_hard", "margin": 0.5}"#;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Metric {
    Euclidean,
    Cosine,
}

#[derive(Parser, Debug)]
#[command(about = "Learn an MNIST embedding with mined triplets (or any burn-losses batch loss)")]
struct Args {
    /// A LossConfig JSON of a labelled-batch loss.
    #[arg(long, default_value = DEFAULT_LOSS)]
    loss: String,
    /// Distance of the nearest-neighbour search (recall@1).
    #[arg(long, value_enum, default_value_t = Metric::Euclidean)]
    distance: Metric,
    #[arg(long, default_value_t = 15)]
    epochs: usize,
    /// Train on the first N training images.
    #[arg(long, default_value_t = 12000)]
    train_limit: usize,
    /// Evaluate on the first N test images (default: all 10k).
    #[arg(long)]
    test_limit: Option<usize>,
    /// Classes per batch (P).
    #[arg(long, default_value_t = 10)]
    p: usize,
    /// Images per class in a batch (K).
    #[arg(long, default_value_t = 8)]
    k: usize,
    /// Embedding size.
    #[arg(long, default_value_t = 16)]
    dim: usize,
    /// Learning rate (Adam). Batch-hard with the hinge collapses every embedding to one point at
    /// 1e-3 from a random start (the loss sticks at the margin); 1e-4 does not.
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "flex")]
    device: String,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where the results and the pictures go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

#[derive(Clone)]
struct DigitBatcher;

impl Batcher<Digit, EmbeddingBatch<Tensor<4>>> for DigitBatcher {
    fn batch(&self, items: Vec<Digit>, device: &Device) -> EmbeddingBatch<Tensor<4>> {
        let labels: Vec<i64> = items.iter().map(|d| d.label as i64).collect();
        EmbeddingBatch {
            inputs: tower::images(&items, device),
            labels: Tensor::<1, Int>::from_data(TensorData::new(labels, [items.len()]), device),
        }
    }
}

fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, context: &str) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{context}{e}");
        std::process::exit(2)
    })
}

/// P×K batches of a split, loaded in order by one worker (as `PkDataset` requires).
fn pk_loader(
    ds: Arc<dyn Dataset<Digit>>,
    p: usize,
    k: usize,
    seed: u64,
) -> Arc<dyn burn::data::dataloader::DataLoader<EmbeddingBatch<Tensor<4>>>> {
    let labels = (0..ds.len())
        .map(|i| ds.get(i).expect("in range").label as usize)
        .collect();
    let pk = PkDataset::new(ds, labels, p, k, seed);
    DataLoaderBuilder::new(DigitBatcher)
        .batch_size(pk.batch_size())
        .build(pk)
}

fn main() {
    let args = Args::parse();
    let device = or_exit(parse_device(&args.device), "--device: ");
    let config = or_exit(LossConfig::parse(&args.loss), "--loss: ");
    let loss = or_exit(config.try_init(&device), "--loss: ");
    let distance = match args.distance {
        Metric::Euclidean => Distance::Euclidean,
        Metric::Cosine => Distance::Cosine,
    };
    let data::LimitedSplits {
        train,
        valid,
        test,
        source,
    } = or_exit(
        data::limited_splits(args.data_dir.as_deref(), args.train_limit, args.test_limit),
        "data: ",
    );
    println!(
        "data: MNIST from {source}; {} training / {} test images; loss {config}; P = {}, K = {}, D = {}",
        train.len(),
        test.len(),
        args.p,
        args.k,
        args.dim
    );

    device.seed(args.seed);
    let started = Instant::now();
    let model = LossEmbedder::new(Tower::new(args.dim, &device.clone().autodiff()), loss);
    let artifact_dir = std::env::temp_dir().join(format!("burn-losses-triplet-{}", std::process::id()));
    let result = SupervisedTraining::new(
        &artifact_dir,
        pk_loader(train.clone(), args.p, args.k, args.seed),
        pk_loader(valid, args.p, args.k, args.seed + 1),
    )
    .metrics((
        LossMetric::new(),
        RecallAtOneMetric::new().with_distance(distance),
    ))
    .renderer(Box::new(EpochLogRenderer::new()))
    .num_epochs(args.epochs)
    .launch(Learner::new(model, AdamConfig::new().init(), args.lr));
    std::fs::remove_dir_all(&artifact_dir).ok();
    if let Some(error) = result.error {
        or_exit(Err(error), "training failed: ")
    }
    let seconds = started.elapsed().as_secs_f64();

    // every test image embedded, then recall@1 over the whole test set
    let tower = result.model.model;
    let mut embeddings = Vec::new();
    let mut labels = Vec::new();
    for start in (0..test.len()).step_by(500) {
        let items: Vec<Digit> = (start..(start + 500).min(test.len()))
            .map(|i| test.get(i).expect("in range"))
            .collect();
        embeddings.push(tower.embed(tower::images(&items, &device)).without_autodiff());
        labels.extend(items.iter().map(|d| d.label));
    }
    let embeddings = Tensor::cat(embeddings, 0);
    let n = labels.len();
    let label_tensor = Tensor::<1, Int>::from_data(
        TensorData::new(labels.iter().map(|&l| l as i64).collect::<Vec<_>>(), [n]),
        &device,
    );
    let recall = 100.0 * recall_at_1(embeddings.clone(), label_tensor, distance);
    println!(
        "test recall@1 ({n} images, {:?} distance): {recall:.2} %  (training {seconds:.0} s)",
        args.distance
    );

    let values: Vec<f32> = embeddings.into_data().iter::<f32>().collect();
    let points = plot::pca_2d(&values, n, args.dim);
    or_exit(std::fs::create_dir_all(&args.out), "--out: ");
    let title = format!("MNIST test embeddings (D = {}), recall@1 {recall:.2} %", args.dim);
    or_exit(
        plot::embedding_plots(&points, &labels, &title, &args.out, "triplet_mnist_embeddings"),
        "plot: ",
    );
    let md = format!(
        "# MNIST embedding with mined triplets\n\n\
         Reproduce: `cargo run --release --features train --example triplet_mnist` (writes this file and the pictures).\n\n\
         Settings: loss `{config}`; {} training images in P×K batches (P = {}, K = {}), {} epochs, Adam lr {}, \
         embedding size {}, seed {}, device {}.\n\n\
         | test images | recall@1 ({:?}) | training time |\n|---|---|---|\n| {n} | {recall:.2} % | {seconds:.0} s |\n\n\
         ![test embeddings](triplet_mnist_embeddings.png)\n",
        train.len(),
        args.p,
        args.k,
        args.epochs,
        args.lr,
        args.dim,
        args.seed,
        args.device,
        args.distance
    );
    or_exit(std::fs::write(args.out.join("triplet_mnist.md"), md), "--out: ");
    println!(
        "wrote {}/triplet_mnist.{{md}} and triplet_mnist_embeddings.{{png,svg}}",
        args.out.display()
    );
}
