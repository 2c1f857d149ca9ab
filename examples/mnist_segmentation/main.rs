//! Segment MNIST digits with the overlap losses, through burn's `Learner`.
//!
//! Targets come from the shipped MNIST: a pixel is foreground when its intensity is > 0.5 (about
//! 19 % of the pixels). Task `binary`: 2 classes (background, foreground); task `digits`: 11
//! classes (background + the digit's class on its foreground pixels). A small encoder–decoder
//! CNN is trained with each loss (chosen by config) and scored on the 10k test images: pixel
//! accuracy, and Dice / IoU of the foreground classes. Writes `docs/mnist_segmentation.md` and a
//! PNG grid of inputs, targets and predictions.
//!
//! ```sh
//! cargo run --release --features vision --example mnist_segmentation                      # both tasks, 4 losses -> docs/
//! cargo run --release --features vision --example mnist_segmentation -- --task digits --loss dice --epochs 1
//! ```

#[allow(dead_code)]
#[path = "../mnist_focal/data.rs"]
mod data;
mod grid;
mod model;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::LossMetric;
use burn::train::metric::vision::DiceMetric;
use burn::train::{Learner, SupervisedTraining};
use burn_losses::LossConfig;
use burn_losses::device::parse_device;
use burn_losses::train::{
    EpochLogRenderer, LossSegmenter, MeanIouMetric, PixelAccuracyMetric, SegmentationBatch,
    SegmentationCounts, SegmentationInput, Segmenter,
};
use clap::{Parser, ValueEnum};

use data::Digit;
use model::EncoderDecoder;

/// The losses of the study (`--loss` takes these names or any LossConfig JSON).
const LOSSES: [(&str, &str); 4] = [
    ("ce", r#"{"type": "focal", "gamma": 0.0}"#),
    ("dice", r#"{"type": "dice", "activation": "softmax"}"#),
    (
        "dice_ce",
        r#"{"type": "sum", "terms": [{"weight": 1.0, "loss": {"type": "dice", "activation": "softmax"}}, {"weight": 1.0, "loss": {"type": "focal", "gamma": 0.0}}]}"#,
    ),
    (
        "focal_tversky",
        r#"{"type": "focal_tversky", "activation": "softmax", "alpha": 0.3, "beta": 0.7, "gamma": 0.75}"#,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Task {
    /// background / foreground
    Binary,
    /// background + 10 digit classes
    Digits,
}

impl Task {
    fn classes(self) -> usize {
        match self {
            Task::Binary => 2,
            Task::Digits => 11,
        }
    }
}

#[derive(Parser, Debug)]
#[command(about = "Segment MNIST digits with the burn-losses overlap losses")]
struct Args {
    /// Tasks to run (default: both).
    #[arg(long = "task", value_enum)]
    tasks: Vec<Task>,
    /// Losses: ce, dice, dice_ce, focal_tversky, or a LossConfig JSON (repeatable; default all four).
    #[arg(long = "loss")]
    losses: Vec<String>,
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Train on the first N training images.
    #[arg(long, default_value_t = 20000)]
    train_limit: usize,
    /// Evaluate on the first N test images (default: all 10k).
    #[arg(long)]
    test_limit: Option<usize>,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "flex")]
    device: String,
    /// MNIST idx files; default: burn's cache, then the shipped `data/mnist`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where the results table and the PNG grid go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

/// Images `[N, 1, 28, 28]` in [0, 1] and per-pixel class indices `[N, 28, 28]`.
#[derive(Clone)]
struct MaskBatcher {
    task: Task,
}

/// The target of one image: 0 for background, 1 (binary) or digit + 1 (digits) where the pixel
/// is > 0.5.
fn mask(digit: &Digit, task: Task) -> Vec<i64> {
    let foreground = match task {
        Task::Binary => 1,
        Task::Digits => digit.label as i64 + 1,
    };
    digit
        .pixels
        .iter()
        .map(|&p| if p as f32 / 255.0 > 0.5 { foreground } else { 0 })
        .collect()
}

impl Batcher<Digit, SegmentationBatch<Tensor<4>>> for MaskBatcher {
    fn batch(&self, items: Vec<Digit>, device: &Device) -> SegmentationBatch<Tensor<4>> {
        let n = items.len();
        let pixels: Vec<f32> = items
            .iter()
            .flat_map(|d| d.pixels.iter().map(|&p| p as f32 / 255.0))
            .collect();
        let targets: Vec<i64> = items.iter().flat_map(|d| mask(d, self.task)).collect();
        SegmentationBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, 1, 28, 28]), device),
            targets: Tensor::<3, Int>::from_data(TensorData::new(targets, [n, 28, 28]), device),
        }
    }
}

/// One trained (task, loss) and its test scores.
struct Run {
    task: Task,
    loss: String,
    counts: SegmentationCounts,
    seconds: f64,
    model: EncoderDecoder,
}

impl Run {
    /// Mean over the foreground classes (1..C) of a per-class score.
    fn foreground_mean(values: Vec<f64>) -> f64 {
        let defined: Vec<f64> = values.into_iter().skip(1).filter(|v| !v.is_nan()).collect();
        defined.iter().sum::<f64>() / defined.len() as f64
    }

    fn row(&self) -> String {
        format!(
            "| {:?} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
            self.task,
            self.loss,
            100.0 * self.counts.pixel_accuracy(),
            100.0 * Self::foreground_mean(self.counts.per_class_dice()),
            100.0 * self.counts.mean_iou(1),
            self.seconds
        )
    }
}

fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, context: &str) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{context}{e}");
        std::process::exit(2)
    })
}

fn train(
    args: &Args,
    device: &Device,
    task: Task,
    loss: burn_losses::Loss,
    train: Arc<dyn Dataset<Digit>>,
    valid: Arc<dyn Dataset<Digit>>,
) -> Result<EncoderDecoder, String> {
    device.seed(args.seed);
    let model = LossSegmenter::new(
        EncoderDecoder::new(task.classes(), &device.clone().autodiff()),
        loss,
    );
    let loader = |ds: Arc<dyn Dataset<Digit>>, shuffle: bool| {
        let b = DataLoaderBuilder::new(MaskBatcher { task })
            .batch_size(args.batch_size)
            .num_workers(args.workers);
        if shuffle {
            b.shuffle(args.seed).build(ds)
        } else {
            b.build(ds)
        }
    };
    let artifact_dir = std::env::temp_dir().join(format!("burn-losses-segmentation-{}", std::process::id()));
    let training = SupervisedTraining::new(&artifact_dir, loader(train, true), loader(valid, false))
        .metrics((
            LossMetric::new(),
            DiceMetric::<4>::new(),
            PixelAccuracyMetric::new(),
            MeanIouMetric::new().with_background(false),
        ))
        .renderer(Box::new(EpochLogRenderer::new()))
        .num_epochs(args.epochs);
    let result = training.launch(Learner::new(model, AdamConfig::new().init(), args.lr));
    std::fs::remove_dir_all(&artifact_dir).ok();
    match result.error {
        Some(error) => Err(format!("training failed: {error}")),
        None => Ok(result.model.model),
    }
}

fn evaluate(
    model: &EncoderDecoder,
    task: Task,
    test: Arc<dyn Dataset<Digit>>,
    device: &Device,
) -> SegmentationCounts {
    let loader = DataLoaderBuilder::new(MaskBatcher { task })
        .batch_size(500)
        .set_device(device.clone())
        .build(test);
    let mut counts = SegmentationCounts::default();
    for batch in loader.iter() {
        let batch = batch.expect("test batch");
        let output = model.logits(batch.inputs);
        counts.add(&SegmentationCounts::of(&SegmentationInput {
            output,
            targets: batch.targets,
        }));
    }
    counts
}

fn main() {
    let args = Args::parse();
    let device = or_exit(parse_device(&args.device), "--device: ");
    let tasks = if args.tasks.is_empty() {
        vec![Task::Binary, Task::Digits]
    } else {
        args.tasks.clone()
    };
    let losses: Vec<(String, LossConfig)> = if args.losses.is_empty() {
        LOSSES
            .iter()
            .map(|(n, j)| (n.to_string(), LossConfig::parse(j).expect("study config")))
            .collect()
    } else {
        args.losses
            .iter()
            .map(|l| {
                let json = LOSSES.iter().find(|(n, _)| n == l).map(|(_, j)| *j).unwrap_or(l);
                (l.clone(), or_exit(LossConfig::parse(json), "--loss: "))
            })
            .collect()
    };
    let data::LimitedSplits {
        train: train_set,
        valid,
        test,
        source,
    } = or_exit(
        data::limited_splits(args.data_dir.as_deref(), args.train_limit, args.test_limit),
        "data: ",
    );
    let foreground: f64 = (0..test.len())
        .map(|i| {
            mask(&test.get(i).expect("in range"), Task::Binary)
                .iter()
                .sum::<i64>() as f64
                / 784.0
        })
        .sum::<f64>()
        / test.len() as f64;
    println!(
        "data: MNIST from {source}; {} training / {} test images; foreground (pixel > 0.5) = {:.1} % of test pixels",
        train_set.len(),
        test.len(),
        100.0 * foreground
    );

    let mut runs = Vec::new();
    for &task in &tasks {
        for (name, config) in &losses {
            println!(
                "\n== task {task:?} ({} classes), loss {name}: {config}",
                task.classes()
            );
            let loss = or_exit(config.try_init(&device), "--loss: ");
            let started = Instant::now();
            let model = or_exit(
                train(&args, &device, task, loss, train_set.clone(), valid.clone()),
                "",
            );
            let seconds = started.elapsed().as_secs_f64();
            let counts = evaluate(&model, task, test.clone(), &device);
            let run = Run {
                task,
                loss: name.clone(),
                counts,
                seconds,
                model,
            };
            println!("{}", run.row());
            runs.push(run);
        }
    }

    let mut md = String::from("# MNIST segmentation\n\n");
    md += "Reproduce: `cargo run --release --features vision --example mnist_segmentation` (writes this file and the PNG grid).\n\n";
    md += &format!(
        "Settings: {} training images, {} epochs, batch {}, Adam lr {}, seed {}, device {}; test: {} images, \
         foreground {:.1} % of the pixels.\n\n",
        train_set.len(),
        args.epochs,
        args.batch_size,
        args.lr,
        args.seed,
        args.device,
        test.len(),
        100.0 * foreground
    );
    md += "| task | loss | pixel accuracy % | Dice % (foreground classes) | IoU % (foreground classes) | training s |\n";
    md += "|---|---|---|---|---|---|\n";
    for run in &runs {
        md += &run.row();
        md += "\n";
    }
    md += "\n![inputs, targets and predictions](mnist_segmentation.png)\n";
    println!("\n{md}");
    or_exit(std::fs::create_dir_all(&args.out), "--out: ");
    or_exit(
        std::fs::write(args.out.join("mnist_segmentation.md"), &md),
        "writing results: ",
    );
    let shown: Vec<Digit> = (0..8.min(test.len()))
        .map(|i| test.get(i).expect("in range"))
        .collect();
    let rows: Vec<(String, Task, &EncoderDecoder)> = runs
        .iter()
        .map(|r| (format!("{:?} {}", r.task, r.loss), r.task, &r.model))
        .collect();
    or_exit(
        grid::draw(
            &args.out.join("mnist_segmentation.png"),
            &shown,
            &rows,
            &device,
            mask,
        ),
        "drawing: ",
    );
    println!("wrote {0}/mnist_segmentation.md and .png", args.out.display());
}
