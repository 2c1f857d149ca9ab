//! Long-tailed MNIST: what the imbalance losses do when the training set is long-tailed.
//!
//! Class `c` keeps `n_c = ⌊n_max · ρ^(−c/9)⌋` training images (the first ones of that digit in
//! the training file; class order 0, 1, …, 9, printed), for imbalance ratios ρ = 100 and 10. The
//! Keras-document CNN is trained with each loss (chosen by its `LossConfig`), through burn's
//! `Learner`, and evaluated on the full, balanced 10k test set: accuracy, balanced accuracy,
//! macro-F1 and per-class recall, mean ± spread over seeds. Cui et al. (CVPR 2019) is the setting
//! this copies (long-tailed CIFAR with the same exponential profile).
//!
//! ```text
//! cargo run --release --features train --example long_tailed_mnist                        # the study -> docs/
//! cargo run --release --features train --example long_tailed_mnist -- --rho 100 --loss cb_focal_0.9999 --seeds 1
//! ```

#[path = "../mnist_focal/data.rs"]
#[allow(dead_code)] // the synthetic data and the download path are mnist_focal's
mod data;
#[path = "../mnist_focal/model.rs"]
mod model;
mod plot;
mod report;
#[path = "../mnist_focal/train.rs"]
mod train;

use std::path::PathBuf;
use std::sync::Arc;

use burn::data::dataset::transform::PartialDataset;
use burn::data::dataset::{Dataset, InMemDataset};
use burn_losses::device::parse_device;
use burn_losses::{ClassBalancedBase, ClassBalancedLossConfig, FocalLossConfig, LossConfig};
use clap::Parser;

use data::Digit;
use report::{RunResult, Study};
use train::TrainOptions;

/// The losses of the study, by name (any `LossConfig` JSON is accepted too).
const STUDY_LOSSES: &[&str] = &[
    "ce",
    "weighted_ce",
    "focal",
    "cb_softmax_0.999",
    "cb_softmax_0.9999",
    "cb_focal_0.999",
    "cb_focal_0.9999",
];

#[derive(Parser, Debug)]
#[command(about = "Long-tailed MNIST: train the Keras-document CNN with imbalance losses and compare them")]
struct Args {
    /// Imbalance ratios ρ = n_max / n_min (repeat the flag for several).
    #[arg(long = "rho", default_values_t = [100.0, 10.0])]
    rhos: Vec<f64>,
    /// Losses: ce, weighted_ce, focal, cb_softmax_<beta>, cb_focal_<beta>, or a LossConfig JSON
    /// (class_balanced's samples_per_class is filled from the training set). Default: the study's.
    #[arg(long = "loss")]
    losses: Vec<String>,
    /// Seeds per (ρ, loss); the table reports mean ± spread (half the min–max range).
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Training images of the most frequent class.
    #[arg(long, default_value_t = 5000)]
    n_max: usize,
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value = "flex")]
    device: String,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Evaluate on the first N test images only (quick runs).
    #[arg(long)]
    test_limit: Option<usize>,
    /// Where the results table, JSON and plots go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

/// `⌊n_max · ρ^(−c/9)⌋` for c = 0..10 (at least 1).
fn long_tailed_counts(n_max: usize, rho: f64) -> Vec<usize> {
    (0..10)
        .map(|c| ((n_max as f64 * rho.powf(-(c as f64) / 9.0)).floor() as usize).max(1))
        .collect()
}

/// The first `counts[c]` images of each digit `c`, in file order.
fn long_tailed_subset(train: &InMemDataset<Digit>, counts: &[usize]) -> Result<Vec<Digit>, String> {
    let mut kept = [0usize; 10];
    let mut items = Vec::with_capacity(counts.iter().sum());
    for i in 0..train.len() {
        let digit = train.get(i).expect("in range");
        let c = digit.label as usize;
        if kept[c] < counts[c] {
            kept[c] += 1;
            items.push(digit);
        }
    }
    if let Some(c) = (0..10).find(|&c| kept[c] < counts[c]) {
        return Err(format!(
            "digit {c}: only {} training images, {} asked (lower --n-max)",
            kept[c], counts[c]
        ));
    }
    Ok(items)
}

/// The `LossConfig` of a study loss name (or a JSON config) for a training set with `counts`.
fn loss_config(name: &str, counts: &[usize], train: &dyn Dataset<Digit>) -> Result<LossConfig, String> {
    let class_balanced = |base: ClassBalancedBase, beta: &str| -> Result<LossConfig, String> {
        let beta: f64 = beta.parse().map_err(|_| format!("{name}: bad beta `{beta}`"))?;
        // One pass over the dataset, as a user would: ClassBalancedLossConfig::from_dataset.
        let config = ClassBalancedLossConfig::from_dataset(train, 10, |d: &Digit| d.label as usize)
            .map_err(|e| e.to_string())?
            .with_beta(beta)
            .with_base(base)
            .with_gamma(2.0);
        Ok(LossConfig::ClassBalanced(config))
    };
    Ok(match name {
        "ce" => LossConfig::Focal(FocalLossConfig::new().with_gamma(0.0)),
        "weighted_ce" => {
            // inverse class frequency, normalised to sum to C (the scale of plain CE)
            let inverse: Vec<f64> = counts.iter().map(|&n| 1.0 / n as f64).collect();
            let total: f64 = inverse.iter().sum();
            let alpha = inverse.iter().map(|w| (w / total * 10.0) as f32).collect();
            LossConfig::Focal(FocalLossConfig::new().with_gamma(0.0).with_alpha(Some(alpha)))
        }
        "focal" => LossConfig::Focal(FocalLossConfig::new().with_gamma(2.0)),
        _ if name.starts_with("cb_softmax_") => {
            class_balanced(ClassBalancedBase::Softmax, &name["cb_softmax_".len()..])?
        }
        _ if name.starts_with("cb_focal_") => {
            class_balanced(ClassBalancedBase::Focal, &name["cb_focal_".len()..])?
        }
        json => {
            let mut config = LossConfig::parse(json).map_err(|e| e.to_string())?;
            if let LossConfig::ClassBalanced(cb) = &mut config {
                cb.samples_per_class = counts.iter().map(|&n| n as u64).collect();
            }
            config
        }
    })
}

fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, context: &str) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{context}{e}");
        std::process::exit(2)
    })
}

fn main() {
    let args = Args::parse();
    let device = or_exit(parse_device(&args.device), "--device: ");
    let losses: Vec<String> = if args.losses.is_empty() {
        STUDY_LOSSES.iter().map(|s| s.to_string()).collect()
    } else {
        args.losses.clone()
    };
    let (train_dir, test_dir, source) = match data::locate(args.data_dir.as_deref()) {
        Some(found) => found,
        None => or_exit(Err("no MNIST idx files found (use --data-dir)"), "data: "),
    };
    let full_train = or_exit(data::read_split(&train_dir, "train"), "data: ");
    let test = or_exit(data::read_split(&test_dir, "test"), "data: ");
    let test: Arc<dyn Dataset<Digit>> = match args.test_limit {
        Some(n) if n < test.len() => Arc::new(PartialDataset::new(test, 0, n)),
        _ => Arc::new(test),
    };
    // A small fixed validation split for the Learner's per-epoch line; the scores come from `test`.
    let valid: Arc<dyn Dataset<Digit>> = Arc::new(PartialDataset::new(test.clone(), 0, 1000.min(test.len())));
    println!(
        "data: MNIST from {source}; test set: {} images (balanced)",
        test.len()
    );
    println!("class order (most to least frequent): 0 1 2 3 4 5 6 7 8 9");

    let mut study = Study::default();
    for &rho in &args.rhos {
        let counts = long_tailed_counts(args.n_max, rho);
        let train: Arc<dyn Dataset<Digit>> = Arc::new(InMemDataset::new(or_exit(
            long_tailed_subset(&full_train, &counts),
            "data: ",
        )));
        println!(
            "\n== rho = {rho}: {} training images, n_c = {counts:?}",
            train.len()
        );
        for name in &losses {
            let config = or_exit(loss_config(name, &counts, train.as_ref()), "--loss: ");
            println!("-- loss {name}: {config}");
            for seed in 1..=args.seeds {
                let loss = or_exit(config.try_init(&device), "--loss: ");
                let options = TrainOptions {
                    epochs: args.epochs,
                    batch_size: args.batch_size,
                    lr: args.lr,
                    seed,
                    workers: args.workers,
                    devices: Vec::new(),
                };
                let (model, time) = or_exit(
                    train::train(&device, loss, train.clone(), valid.clone(), &options),
                    "",
                );
                let confusion = train::evaluate(&model, test.clone(), &device);
                let run = RunResult::new(rho, name, &config, seed, &confusion, time.as_secs_f64());
                println!("   seed {seed}: {}", run.summary());
                study.runs.push(run);
            }
        }
    }
    study.counts = args
        .rhos
        .iter()
        .map(|&rho| (rho, long_tailed_counts(args.n_max, rho)))
        .collect();
    study.settings = format!(
        "n_max {}, {} epochs, batch {}, Adam lr {}, {} seed(s), device {}",
        args.n_max, args.epochs, args.batch_size, args.lr, args.seeds, args.device
    );
    or_exit(std::fs::create_dir_all(&args.out), "--out: ");
    let table = study.markdown();
    println!("\n{table}");
    or_exit(report::write(&study, &args.out), "writing results: ");
    or_exit(plot::recall_plots(&study, &args.out), "plotting: ");
    println!(
        "wrote {0}/long_tailed_mnist.md, .json, _recall.png, _recall.svg",
        args.out.display()
    );
}
