//! One model, two heads, one composite config: an MNIST CNN with a class head (cross-entropy)
//! and an auxiliary regression head (the digit's ink mass: 10 × the mean pixel intensity, MSE),
//! trained through burn's Learner by `LossMultiHead` from one `sum` config whose second term reads
//! the second head (`"inputs": {"input": "ink_pred", "target": "ink"}`) — once with fixed weights
//! and once with learned uncertainty weights (Kendall, Gal & Cipolla 2018). Reports both heads'
//! test metrics and plots the learned factors over training.
//!
//! ```text
//! cargo run --release --features train --example mnist_multihead            # -> docs/mnist_multihead.md, .png
//! cargo run --release --features train --example mnist_multihead -- --train-limit 512 --test-limit 256 --epochs 1 --out /tmp/x
//! ```
//!
//! MNIST is read where burn's `MnistDataset` looks (`scripts/place-mnist.sh` puts the shipped
//! copy there). Each epoch is one Learner run continuing from the previous model (Adam restarts
//! every epoch), so that the learned factors can be read between epochs.

use std::path::PathBuf;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::data::dataset::vision::{MnistDataset, MnistItem};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use burn_losses::prelude::*;
use burn_losses::train::EpochLogRenderer;
use clap::Parser;
use plotters::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "MNIST with a class head and an ink-mass head from one composite loss config")]
struct Args {
    #[arg(long, default_value = "flex")]
    device: String,
    #[arg(long, default_value_t = 12_000)]
    train_limit: usize,
    #[arg(long, default_value_t = 2_000)]
    test_limit: usize,
    #[arg(long, default_value_t = 8)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Where the report and the plot go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

/// A small CNN trunk with two heads.
#[derive(Module, Debug)]
struct TwoHeads {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    squeeze: AdaptiveAvgPool2d,
    trunk: Linear,
    class_head: Linear,
    ink_head: Linear,
    relu: Relu,
}

impl TwoHeads {
    fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, 8], [3, 3]).init(device),
            conv2: Conv2dConfig::new([8, 16], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            squeeze: AdaptiveAvgPool2dConfig::new([4, 4]).init(),
            trunk: LinearConfig::new(16 * 4 * 4, 64).init(device),
            class_head: LinearConfig::new(64, 10).init(device),
            ink_head: LinearConfig::new(64, 1).init(device),
            relu: Relu::new(),
        }
    }

    /// Class logits `[N, 10]` and ink mass `[N, 1]`.
    fn forward(&self, images: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
        let [n, h, w] = images.dims();
        let x = images.reshape([n, 1, h, w]);
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(x)));
        let x = self.squeeze.forward(self.relu.forward(self.conv2.forward(x)));
        let x = self.relu.forward(self.trunk.forward(x.reshape([n, 16 * 4 * 4])));
        (self.class_head.forward(x.clone()), self.ink_head.forward(x))
    }
}

impl MultiHead for TwoHeads {
    type Input = Tensor<3>;
    fn heads(&self, images: Tensor<3>) -> LossInputs {
        let (logits, ink) = self.forward(images);
        LossInputs::new()
            .with_float("input", logits)
            .with_float("ink_pred", ink)
    }
}

#[derive(Clone, Default)]
struct TwoTargetBatcher;

/// 10 × the mean pixel intensity (0–1): a digit's ink mass, about 1.3 on average.
fn ink_mass(item: &MnistItem) -> f32 {
    let total: f32 = item.image.iter().flatten().sum();
    10.0 * total / (255.0 * 28.0 * 28.0)
}

impl Batcher<MnistItem, MultiHeadBatch<Tensor<3>>> for TwoTargetBatcher {
    fn batch(&self, items: Vec<MnistItem>, device: &Device) -> MultiHeadBatch<Tensor<3>> {
        let n = items.len();
        let pixels: Vec<f32> = items
            .iter()
            .flat_map(|i| i.image.iter().flatten().map(|v| v / 255.0))
            .collect();
        let labels: Vec<i64> = items.iter().map(|i| i.label as i64).collect();
        let ink: Vec<f32> = items.iter().map(ink_mass).collect();
        MultiHeadBatch {
            inputs: Tensor::from_data(TensorData::new(pixels, [n, 28, 28]), device),
            targets: LossInputs::new()
                .with_int(
                    "target",
                    Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device),
                )
                .with_float(
                    "ink",
                    Tensor::<2>::from_data(TensorData::new(ink, [n, 1]), device),
                ),
        }
    }
}

const CONFIG_FIXED: &str = r#"{"type": "sum", "terms": [
  {"loss": {"type": "cross_entropy"}},
  {"loss": {"type": "mse"}, "inputs": {"input": "ink_pred", "target": "ink"}}]}"#;
const CONFIG_LEARNED: &str = r#"{"type": "sum", "weighting": "uncertainty", "terms": [
  {"weight": 2.0, "loss": {"type": "cross_entropy"}},
  {"loss": {"type": "mse"}, "inputs": {"input": "ink_pred", "target": "ink"}}]}"#;

/// The outcome of one run.
struct Run {
    name: &'static str,
    config: &'static str,
    accuracy: f64,
    ink_mae: f64,
    /// The terms' factors after each epoch (epoch 0: at the start).
    factors: Vec<Vec<f64>>,
    seconds: f64,
}

fn factors_of(loss: &Loss) -> Vec<f64> {
    match loss {
        Loss::Sum(sum) => sum.term_factors(),
        _ => vec![],
    }
}

fn train(
    args: &Args,
    device: &Device,
    name: &'static str,
    config: &'static str,
    train_items: &PartialDataset<MnistDataset, MnistItem>,
    test_items: &[MnistItem],
) -> Run {
    device.seed(args.seed);
    let ad = device.clone().autodiff();
    let loss = LossConfig::parse(config).expect("a valid config").init(&ad);
    let mut model: LossMultiHead<TwoHeads, MultiHeadBatch<Tensor<3>>> =
        LossMultiHead::new(TwoHeads::new(&ad), loss);
    println!("{name}: {}", model.loss);
    let mut factors = vec![factors_of(&model.loss)];
    let started = std::time::Instant::now();
    let artifacts = std::env::temp_dir().join(format!("burn-losses-multihead-{}-{name}", std::process::id()));
    for epoch in 1..=args.epochs {
        println!("{name}: epoch {epoch}/{} (one Learner run)", args.epochs);
        let loader = |items: Vec<MnistItem>, shuffle: bool| {
            let b = DataLoaderBuilder::new(TwoTargetBatcher)
                .batch_size(args.batch_size)
                .num_workers(args.workers);
            let b = if shuffle { b.shuffle(args.seed) } else { b };
            b.build(burn::data::dataset::InMemDataset::new(items))
        };
        let train_vec: Vec<MnistItem> = (0..train_items.len())
            .filter_map(|i| train_items.get(i).ok())
            .collect();
        let training = SupervisedTraining::new(
            &artifacts,
            loader(train_vec, true),
            loader(test_items.to_vec(), false),
        )
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(EpochLogRenderer::new()))
        .num_epochs(1);
        let result = training.launch(Learner::new(model, AdamConfig::new().init(), args.lr));
        if let Some(e) = result.error {
            panic!("training failed: {e}");
        }
        // the Learner hands the model back in validation mode: on with training for the next epoch
        model = result.model.train();
        factors.push(factors_of(&model.loss));
    }
    std::fs::remove_dir_all(&artifacts).ok();
    let seconds = started.elapsed().as_secs_f64();
    // both heads on the test images
    let net = model.model().valid();
    let batch = TwoTargetBatcher.batch(test_items.to_vec(), device);
    let (logits, ink) = net.forward(batch.inputs);
    let labels: Vec<i64> = test_items.iter().map(|i| i.label as i64).collect();
    let predicted: Vec<i64> = logits
        .argmax(1)
        .flatten::<1>(0, 1)
        .into_data()
        .iter::<i64>()
        .collect();
    let accuracy =
        100.0 * predicted.iter().zip(&labels).filter(|(p, l)| p == l).count() as f64 / labels.len() as f64;
    let ink_pred: Vec<f64> = ink.into_data().iter::<f64>().collect();
    let ink_mae = ink_pred
        .iter()
        .zip(test_items)
        .map(|(p, i)| (p - ink_mass(i) as f64).abs())
        .sum::<f64>()
        / test_items.len() as f64;
    Run {
        name,
        config,
        accuracy,
        ink_mae,
        factors,
        seconds,
    }
}

fn plot(runs: &[Run], path: &std::path::Path) -> Result<(), String> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    )
    .map_err(|_| "the embedded Ubuntu font could not be read".to_string())?;
    let root = BitMapBackend::new(path, (900, 480)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| format!("{e:?}");
    root.fill(&WHITE).map_err(err)?;
    let epochs = runs.iter().map(|r| r.factors.len()).max().unwrap_or(1).max(2) - 1;
    let top = runs
        .iter()
        .flat_map(|r| r.factors.iter().flatten())
        .fold(1.0f64, |a, &b| a.max(b))
        * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "term factors over training (learned: ½·exp(−s_k)·w_k)",
            ("sans-serif", 22),
        )
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..epochs as f64, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(epochs + 1)
        .x_desc("epoch")
        .y_desc("factor of the term's loss")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    let terms = ["class head (cross-entropy)", "ink head (MSE)"];
    for (r, run) in runs.iter().enumerate() {
        for (k, term) in terms.iter().enumerate() {
            let color = Palette99::pick(2 * k + r).to_rgba();
            let points: Vec<(f64, f64)> = run
                .factors
                .iter()
                .enumerate()
                .filter_map(|(e, f)| f.get(k).map(|v| (e as f64, *v)))
                .collect();
            let style = if r == 0 {
                color.stroke_width(1)
            } else {
                color.stroke_width(3)
            };
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(err)?
                .label(format!("{}: {term}", run.name))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

fn main() {
    let args = Args::parse();
    let device = burn_losses::device::parse_device(&args.device).unwrap_or_else(|e| {
        eprintln!("--device: {e}");
        std::process::exit(2)
    });
    let train_set = MnistDataset::train();
    let n_train = args.train_limit.min(train_set.len());
    let train_items = PartialDataset::new(train_set, 0, n_train);
    let test = MnistDataset::test();
    let test_items: Vec<MnistItem> = (0..args.test_limit.min(test.len()))
        .filter_map(|i| test.get(i).ok())
        .collect();
    let runs = [
        train(&args, &device, "fixed", CONFIG_FIXED, &train_items, &test_items),
        train(
            &args,
            &device,
            "learned",
            CONFIG_LEARNED,
            &train_items,
            &test_items,
        ),
    ];
    std::fs::create_dir_all(&args.out).expect("output directory");
    let png = args.out.join("mnist_multihead.png");
    plot(&runs, &png).expect("plot");
    let mut md = String::from("# MNIST with two heads from one composite config\n\n");
    md += "Reproduce: `cargo run --release --features train --example mnist_multihead` (writes this file and the plot).\n\n";
    md += &format!(
        "A CNN trunk with a class head (cross-entropy) and an ink-mass head (10 × mean pixel intensity, MSE), \
         trained through burn's Learner by `LossMultiHead` on the first {n_train} MNIST training images, {} epochs \
         (one Learner run per epoch, Adam {} restarting each epoch), batch {}, seed {}, device {}; tested on the first {} \
         test images.\n\n",
        args.epochs,
        args.lr,
        args.batch_size,
        args.seed,
        args.device,
        test_items.len()
    );
    md += "| weights | config | test accuracy % (class head) | test MAE (ink head; mean ink mass ≈ 1.3) | final factors (class, ink) | training s |\n";
    md += "|---|---|---|---|---|---|\n";
    for run in &runs {
        let last = run.factors.last().cloned().unwrap_or_default();
        md += &format!(
            "| {} | `{}` | {:.2} | {:.4} | {} | {:.1} |\n",
            run.name,
            run.config.split_whitespace().collect::<Vec<_>>().join(" "),
            run.accuracy,
            run.ink_mae,
            last.iter()
                .map(|f| format!("{f:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            run.seconds
        );
        println!(
            "{}: test accuracy {:.2} %, ink MAE {:.4}, factors per epoch {:?}",
            run.name, run.accuracy, run.ink_mae, run.factors
        );
    }
    md += "\n![term factors over training](mnist_multihead.png)\n";
    std::fs::write(args.out.join("mnist_multihead.md"), md).expect("report");
    println!(
        "wrote {} and {}",
        args.out.join("mnist_multihead.md").display(),
        png.display()
    );
}
