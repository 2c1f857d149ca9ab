//! A Siamese network on MNIST image pairs with the contrastive loss (Hadsell et al. 2006), through
//! burn's `Learner`: one CNN tower embeds both images of a pair (`LossSiamese`), the
//! `contrastive` loss pulls same-digit pairs together and pushes different-digit pairs at least
//! `margin` apart; half of the pairs are similar. Reports pair-verification accuracy on test
//! pairs at the best distance threshold (and at the threshold chosen on the validation pairs).
//!
//! ```sh
//! cargo run --release --features train --example siamese_mnist                       # -> docs/siamese_mnist.md
//! cargo run --release --features train --example siamese_mnist -- --loss '{"type": "contrastive", "squared": false}'
//! ```

#[allow(dead_code)]
#[path = "../mnist_focal/data.rs"]
mod data;
#[path = "../triplet_mnist/tower.rs"]
mod tower;

use std::path::PathBuf;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, InMemDataset};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor, TensorData};
use burn::train::metric::LossMetric;
use burn::train::{Learner, SupervisedTraining};
use burn_losses::LossConfig;
use burn_losses::device::parse_device;
use burn_losses::train::{
    Embedder, EpochLogRenderer, LossSiamese, PairAccuracyMetric, PairBatch, best_threshold_accuracy,
};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use data::Digit;
use tower::Tower;

#[derive(Parser, Debug)]
#[command(about = "Train a Siamese network on MNIST pairs with the burn-losses contrastive loss")]
struct Args {
    /// A LossConfig JSON of a pair loss (inputs `input1`, `input2`, `target`).
    #[arg(long, default_value = r#"{"type": "contrastive", "margin": 1.0}"#)]
    loss: String,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Training pairs, drawn from the first 30k training images.
    #[arg(long, default_value_t = 12000)]
    train_pairs: usize,
    /// Validation pairs (threshold choice, Learner validation), from training images 30k–60k.
    #[arg(long, default_value_t = 2000)]
    valid_pairs: usize,
    /// Test pairs, drawn from the 10k test images.
    #[arg(long, default_value_t = 10000)]
    test_pairs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Embedding size.
    #[arg(long, default_value_t = 16)]
    dim: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "flex")]
    device: String,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where the results go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

type Pair = (Digit, Digit);

/// `n` pairs of images of `ds[range]`: even pairs share a digit, odd pairs do not (seeded).
fn pairs(ds: &dyn Dataset<Digit>, range: std::ops::Range<usize>, n: usize, seed: u64) -> Vec<Pair> {
    let mut by_digit: Vec<Vec<usize>> = vec![Vec::new(); 10];
    for i in range {
        by_digit[ds.get(i).expect("in range").label as usize].push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|k| {
            let a = rng.random_range(0..10usize);
            let b = if k % 2 == 0 {
                a
            } else {
                (a + rng.random_range(1..10usize)) % 10
            };
            let pick = |d: usize, rng: &mut StdRng| by_digit[d][rng.random_range(0..by_digit[d].len())];
            let (i, j) = (pick(a, &mut rng), pick(b, &mut rng));
            (ds.get(i).expect("in range"), ds.get(j).expect("in range"))
        })
        .collect()
}

#[derive(Clone)]
struct PairBatcher;

impl Batcher<Pair, PairBatch<Tensor<4>>> for PairBatcher {
    fn batch(&self, items: Vec<Pair>, device: &Device) -> PairBatch<Tensor<4>> {
        let (first, second): (Vec<Digit>, Vec<Digit>) = items.into_iter().unzip();
        let target: Vec<f32> = first
            .iter()
            .zip(&second)
            .map(|(a, b)| (a.label == b.label) as u8 as f32)
            .collect();
        let n = target.len();
        PairBatch {
            first: tower::images(&first, device),
            second: tower::images(&second, device),
            target: Tensor::from_data(TensorData::new(target, [n]), device),
        }
    }
}

fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, context: &str) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{context}{e}");
        std::process::exit(2)
    })
}

/// Embedding distances and targets of `pairs`.
fn distances(tower: &Tower, pairs: &[Pair], device: &Device) -> (Vec<f64>, Vec<f64>) {
    let mut d = Vec::new();
    let mut t = Vec::new();
    for chunk in pairs.chunks(500) {
        let first: Vec<Digit> = chunk.iter().map(|p| p.0.clone()).collect();
        let second: Vec<Digit> = chunk.iter().map(|p| p.1.clone()).collect();
        let e1 = tower.embed(tower::images(&first, device)).without_autodiff();
        let e2 = tower.embed(tower::images(&second, device)).without_autodiff();
        d.extend(
            (e1 - e2)
                .powi_scalar(2)
                .sum_dim(1)
                .sqrt()
                .into_data()
                .iter::<f64>(),
        );
        t.extend(chunk.iter().map(|p| (p.0.label == p.1.label) as u8 as f64));
    }
    (d, t)
}

fn main() {
    let args = Args::parse();
    let device = or_exit(parse_device(&args.device), "--device: ");
    let config = or_exit(LossConfig::parse(&args.loss), "--loss: ");
    let loss = or_exit(config.try_init(&device), "--loss: ");
    let (train_dir, test_dir, source) = match data::locate(args.data_dir.as_deref()) {
        Some(found) => found,
        None => or_exit(Err("no MNIST idx files found (use --data-dir)"), "data: "),
    };
    let train_images = or_exit(data::read_split(&train_dir, "train"), "data: ");
    let test_images = or_exit(data::read_split(&test_dir, "test"), "data: ");
    let train = pairs(&train_images, 0..30_000, args.train_pairs, args.seed);
    // validation pairs from training images the training pairs do not use
    let valid = pairs(
        &train_images,
        30_000..train_images.len(),
        args.valid_pairs,
        args.seed + 1,
    );
    let test = pairs(&test_images, 0..test_images.len(), args.test_pairs, args.seed + 2);
    println!(
        "data: MNIST from {source}; {} training / {} validation / {} test pairs (half similar); loss {config}",
        train.len(),
        valid.len(),
        test.len()
    );

    device.seed(args.seed);
    let started = Instant::now();
    let model = LossSiamese::new(Tower::new(args.dim, &device.clone().autodiff()), loss);
    let loader = |p: Vec<Pair>, shuffle: bool| {
        let b = DataLoaderBuilder::new(PairBatcher)
            .batch_size(args.batch_size)
            .num_workers(2);
        let ds = InMemDataset::new(p);
        if shuffle {
            b.shuffle(args.seed).build(ds)
        } else {
            b.build(ds)
        }
    };
    let artifact_dir = std::env::temp_dir().join(format!("burn-losses-siamese-{}", std::process::id()));
    let result = SupervisedTraining::new(&artifact_dir, loader(train, true), loader(valid.clone(), false))
        .metrics((LossMetric::new(), PairAccuracyMetric::new()))
        .renderer(Box::new(EpochLogRenderer::new()))
        .num_epochs(args.epochs)
        .launch(Learner::new(model, AdamConfig::new().init(), args.lr));
    std::fs::remove_dir_all(&artifact_dir).ok();
    if let Some(error) = result.error {
        or_exit(Err(error), "training failed: ")
    }
    let seconds = started.elapsed().as_secs_f64();
    let tower = result.model.model;

    let (valid_d, valid_t) = distances(&tower, &valid, &device);
    let (valid_threshold, _) = best_threshold_accuracy(&valid_d, &valid_t);
    let (test_d, test_t) = distances(&tower, &test, &device);
    let (best_threshold, best) = best_threshold_accuracy(&test_d, &test_t);
    let at_valid = test_d
        .iter()
        .zip(&test_t)
        .filter(|&(&d, &t)| (d <= valid_threshold) == (t >= 0.5))
        .count() as f64
        / test_d.len() as f64;
    println!(
        "test pair accuracy ({} pairs): {:.2} % at the best threshold {best_threshold:.3}; {:.2} % at the validation \
         threshold {valid_threshold:.3}  (training {seconds:.0} s)",
        test_d.len(),
        100.0 * best,
        100.0 * at_valid
    );
    or_exit(std::fs::create_dir_all(&args.out), "--out: ");
    let md = format!(
        "# Siamese network on MNIST pairs\n\n\
         Reproduce: `cargo run --release --features train --example siamese_mnist` (writes this file).\n\n\
         Settings: loss `{config}`; {} training pairs (half same digit) from the first 30k training images, \
         {} epochs, batch {}, Adam lr {}, embedding size {}, seed {}, device {}. Verification: a pair is \
         \"same digit\" when the Euclidean distance of its embeddings is at most a threshold.\n\n\
         | test pairs | accuracy at the best threshold | accuracy at the validation threshold | training time |\n\
         |---|---|---|---|\n| {} | {:.2} % (t = {best_threshold:.3}) | {:.2} % (t = {valid_threshold:.3}) | {seconds:.0} s |\n",
        args.train_pairs,
        args.epochs,
        args.batch_size,
        args.lr,
        args.dim,
        args.seed,
        args.device,
        test_d.len(),
        100.0 * best,
        100.0 * at_valid
    );
    or_exit(std::fs::write(args.out.join("siamese_mnist.md"), md), "--out: ");
    println!("wrote {}/siamese_mnist.md", args.out.display());
}
