//! Metric learning through burn's `SupervisedTraining` / `Learner`: `LossEmbedder` with every
//! labelled-batch loss on P×K batches (`PkDataset`), `LossMetric` and `RecallAtOneMetric`; the
//! class weights of arcface / cosface train with the model; `LossSiamese` with the contrastive
//! pair loss and `PairAccuracyMetric`.

use crate::common;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::{Linear, Relu};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::LossMetric;
use burn::train::{Learner, SupervisedTraining};
use burn_losses::train::{
    Embedder, EmbeddingBatch, EpochLogRenderer, LossEmbedder, LossSiamese, PairAccuracyMetric, PairBatch,
    PkDataset, RecallAtOneMetric, recall_at_1,
};
use burn_losses::{Distance, LossConfig};

#[derive(Module, Debug)]
struct Mlp {
    a: Linear,
    b: Linear,
    relu: Relu,
}

impl Mlp {
    fn new(device: &Device) -> Self {
        Self {
            a: common::seeded_linear(2, 16, 21, device),
            b: common::seeded_linear(16, 4, 22, device),
            relu: Relu::new(),
        }
    }
}

impl Embedder for Mlp {
    type Input = Tensor<2>;
    fn embed(&self, x: Tensor<2>) -> Tensor<2> {
        self.b.forward(self.relu.forward(self.a.forward(x)))
    }
}

#[derive(Clone, Debug)]
struct Point {
    x: [f32; 2],
    label: i64,
}

/// Four Gaussian blobs.
fn blobs(n: usize, seed: u64) -> Vec<Point> {
    let mut rng = common::cases::Lcg::new(seed);
    let centres = [[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5], [0.0, -2.5]];
    (0..n)
        .map(|i| {
            let c = i % 4;
            Point {
                x: [
                    (centres[c][0] + 0.5 * rng.normal()) as f32,
                    (centres[c][1] + 0.5 * rng.normal()) as f32,
                ],
                label: c as i64,
            }
        })
        .collect()
}

fn points_tensor(items: &[Point], device: &Device) -> Tensor<2> {
    let xs: Vec<f32> = items.iter().flat_map(|p| p.x).collect();
    Tensor::from_data(TensorData::new(xs, [items.len(), 2]), device)
}

#[derive(Clone)]
struct PointBatcher;

impl Batcher<Point, EmbeddingBatch<Tensor<2>>> for PointBatcher {
    fn batch(&self, items: Vec<Point>, device: &Device) -> EmbeddingBatch<Tensor<2>> {
        let ys: Vec<i64> = items.iter().map(|p| p.label).collect();
        EmbeddingBatch {
            inputs: points_tensor(&items, device),
            labels: Tensor::<1, Int>::from_data(TensorData::new(ys, [items.len()]), device),
        }
    }
}

struct Weights(Vec<Vec<f64>>);

impl ModuleVisitor for Weights {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().into_data().iter::<f64>().collect());
    }
}

fn weights<M: Module>(m: &M) -> Vec<Vec<f64>> {
    let mut w = Weights(Vec::new());
    m.visit(&mut w);
    w.0
}

/// Trains an embedder with `loss_json`; returns the test recall@1, the train losses per epoch,
/// and the loss module's parameters before and after.
/// Test recall@1, train losses per epoch, the loss module's parameters before and after.
type Trained = (f64, Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>);

fn train_embedder(loss_json: &str, device: &Device) -> Trained {
    let ad = device.clone().autodiff();
    // arcface / cosface draw their class weights from the backend RNG (lazily, on the default
    // device or the model's): seed both, so that every run of a lane trains the same weights (no
    // other test of this file draws random numbers)
    Device::default().seed(31);
    device.seed(31);
    let loss = LossConfig::parse(loss_json).unwrap().try_init(device).unwrap();
    let model = LossEmbedder::new(Mlp::new(&ad), loss);
    let before = weights(&model.loss);
    let loader = |points: Vec<Point>, seed: u64| {
        let labels = points.iter().map(|p| p.label as usize).collect();
        // P = 4 classes × K = 6 points per batch
        let dataset = PkDataset::new(InMemDataset::new(points), labels, 4, 6, seed);
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(dataset.batch_size())
            .build(dataset)
    };
    let renderer = EpochLogRenderer::new();
    let history = renderer.history();
    let dir = common::scratch_path("embedding-test");
    let distance =
        if loss_json.contains("face") || loss_json.contains("nt_xent") || loss_json.contains("supcon") {
            Distance::Cosine
        } else {
            Distance::Euclidean
        };
    let result = SupervisedTraining::new(&dir, loader(blobs(480, 1), 1), loader(blobs(120, 2), 2))
        .metrics((
            LossMetric::new(),
            RecallAtOneMetric::new().with_distance(distance),
        ))
        .renderer(Box::new(renderer))
        .num_epochs(3)
        .launch(Learner::new(model, AdamConfig::new().init(), 1e-2));
    std::fs::remove_dir_all(&dir).ok();
    assert!(result.error.is_none(), "{loss_json}: {:?}", result.error);
    let history = history.lock().unwrap().clone();
    let metric = |split: &str, name: &str| -> Vec<f64> {
        history
            .iter()
            .filter(|h| h.split == split)
            .map(|h| {
                h.values
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{name} in {h:?}"))
                    .1
            })
            .collect()
    };
    let train_losses = metric("train", "Loss");
    let valid_recall = metric("valid", "Recall@1");
    assert_eq!(valid_recall.len(), 3, "{loss_json}: {history:?}");
    let after = weights(&result.model.loss);
    let test = blobs(200, 3);
    let labels: Vec<i64> = test.iter().map(|p| p.label).collect();
    let embeddings = result.model.model.embed(points_tensor(&test, device));
    let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [200]), device);
    (
        recall_at_1(embeddings, labels, distance),
        train_losses,
        before,
        after,
    )
}

#[test]
fn every_batch_loss_trains_an_embedder_with_the_learner() {
    let device = common::test_devices()[0].1.clone();
    for loss in [
        r#"{"type": "triplet_mined", "mining": "batch_hard"}"#,
        r#"{"type": "triplet_mined", "mining": "semi_hard"}"#,
        r#"{"type": "triplet_mined", "nonzero_mean": true}"#,
        r#"{"type": "contrastive", "squared": false, "nonzero_mean": true}"#,
        r#"{"type": "nt_xent", "temperature": 0.1}"#,
        r#"{"type": "supcon"}"#,
        r#"{"type": "arcface", "num_classes": 4, "embedding_size": 4, "scale": 16}"#,
        r#"{"type": "cosface", "num_classes": 4, "embedding_size": 4, "scale": 16}"#,
    ] {
        let (recall, losses, before, after) = train_embedder(loss, &device);
        assert!(recall > 0.9, "{loss}: test recall@1 {recall}");
        // with nonzero_mean the mean runs over the still-violating terms only, so it need not fall
        if !loss.contains("nonzero_mean") {
            assert!(
                losses.last().unwrap() < losses.first().unwrap(),
                "{loss}: training loss did not fall: {losses:?}"
            );
        }
        if loss.contains("face") {
            // the class-weight matrix is a parameter of the trained module: the optimizer moved it
            assert_eq!(before.len(), 1, "{loss}: one parameter");
            let moved = before[0]
                .iter()
                .zip(&after[0])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(moved > 1e-2, "{loss}: class weights moved by at most {moved}");
        } else {
            assert!(before.is_empty(), "{loss}: no parameter");
        }
    }
}

#[derive(Clone)]
struct PairBatcher;

impl Batcher<(Point, Point), PairBatch<Tensor<2>>> for PairBatcher {
    fn batch(&self, items: Vec<(Point, Point)>, device: &Device) -> PairBatch<Tensor<2>> {
        let (first, second): (Vec<Point>, Vec<Point>) = items.into_iter().unzip();
        let target: Vec<f32> = first
            .iter()
            .zip(&second)
            .map(|(a, b)| (a.label == b.label) as u8 as f32)
            .collect();
        let n = target.len();
        PairBatch {
            first: points_tensor(&first, device),
            second: points_tensor(&second, device),
            target: Tensor::from_data(TensorData::new(target, [n]), device),
        }
    }
}

/// Pairs of consecutive points: every other pair from one blob.
fn pairs(n: usize, seed: u64) -> Vec<(Point, Point)> {
    let a = blobs(2 * n, seed);
    (0..n)
        .map(|i| {
            let first = a[2 * i].clone();
            let second = if i % 2 == 0 {
                a[(2 * i + 4) % (2 * n)].clone()
            } else {
                a[2 * i + 1].clone()
            };
            (first, second)
        })
        .collect()
}

#[test]
fn siamese_contrastive_trains_with_the_learner() {
    let device = common::test_devices()[0].1.clone();
    let ad = device.clone().autodiff();
    let loss = LossConfig::parse(r#"{"type": "contrastive"}"#)
        .unwrap()
        .try_init(&device)
        .unwrap();
    let model = LossSiamese::new(Mlp::new(&ad), loss);
    let loader = |p: Vec<(Point, Point)>| {
        DataLoaderBuilder::new(PairBatcher)
            .batch_size(32)
            .shuffle(3)
            .build(InMemDataset::new(p))
    };
    let renderer = EpochLogRenderer::new();
    let history = renderer.history();
    let dir = common::scratch_path("siamese-test");
    let result = SupervisedTraining::new(&dir, loader(pairs(400, 1)), loader(pairs(200, 2)))
        .metrics((LossMetric::new(), PairAccuracyMetric::new()))
        .renderer(Box::new(renderer))
        .num_epochs(3)
        .launch(Learner::new(model, AdamConfig::new().init(), 1e-2));
    std::fs::remove_dir_all(&dir).ok();
    assert!(result.error.is_none(), "{:?}", result.error);
    let history = history.lock().unwrap().clone();
    let accuracy: Vec<f64> = history
        .iter()
        .filter(|h| h.split == "valid")
        .map(|h| h.values.iter().find(|(n, _)| n == "Pair Accuracy").unwrap().1)
        .collect();
    assert_eq!(accuracy.len(), 3, "{history:?}");
    assert!(
        *accuracy.last().unwrap() > 90.0,
        "validation pair accuracy {accuracy:?}"
    );
}
