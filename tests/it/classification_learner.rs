//! Any classifier plus any classification loss of the crate trains with burn's
//! `SupervisedTraining` / `Learner` through `LossClassifier` (the README's two lines).

use crate::common;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::module::Module;
use burn::nn::{Linear, Relu};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining, TrainingStrategy};
use burn_losses::LossConfig;
use burn_losses::train::{
    ClassificationBatch, Classifier, ConfusionMatrix, EpochLogRenderer, LossClassifier,
};

#[derive(Module, Debug)]
struct Mlp {
    a: Linear,
    b: Linear,
    relu: Relu,
}

impl Classifier for Mlp {
    type Input = Tensor<2>;
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        self.b.forward(self.relu.forward(self.a.forward(x)))
    }
}

#[derive(Clone, Debug)]
struct Point {
    x: [f32; 2],
    label: i64,
}

#[derive(Clone)]
struct PointBatcher;

impl Batcher<Point, ClassificationBatch<Tensor<2>>> for PointBatcher {
    fn batch(&self, items: Vec<Point>, device: &Device) -> ClassificationBatch<Tensor<2>> {
        let n = items.len();
        let xs: Vec<f32> = items.iter().flat_map(|p| p.x).collect();
        let ys: Vec<i64> = items.iter().map(|p| p.label).collect();
        ClassificationBatch {
            inputs: Tensor::from_data(TensorData::new(xs, [n, 2]), device),
            targets: Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), device),
        }
    }
}

/// Three Gaussian blobs, well separated.
fn blobs(n: usize, seed: u64) -> Vec<Point> {
    let mut rng = common::cases::Lcg::new(seed);
    let centres = [[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]];
    (0..n)
        .map(|i| {
            let c = i % 3;
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

/// Trains the MLP with `loss_json` on `devices` (more than one: burn-train's data-parallel
/// `MultiDevice` strategy, optimiser on the first) and scores it on held-out blobs.
fn train_and_score(loss_json: &str, devices: &[Device]) -> (f64, Vec<f64>, burn_losses::Loss) {
    train_and_score_in(loss_json, devices, burn_losses::LossSettings::default())
}

/// [`train_and_score`] with the adapter's loss `settings` (e.g. the workers' losses joined in a
/// device group, one worker per device).
fn train_and_score_in(
    loss_json: &str,
    devices: &[Device],
    settings: burn_losses::LossSettings,
) -> (f64, Vec<f64>, burn_losses::Loss) {
    let device = &devices[0];
    let loss = LossConfig::parse(loss_json).unwrap().try_init(device).unwrap();
    let ad = device.clone().autodiff();
    let model = Mlp {
        a: common::seeded_linear(2, 16, 11, &ad),
        b: common::seeded_linear(16, 3, 12, &ad),
        relu: Relu::new(),
    };
    // The two lines of the README: wrap model and loss, hand it to the Learner.
    let model = LossClassifier::new(model, loss).with_settings(settings);
    let loader = |points: Vec<Point>| {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(32)
            .shuffle(1)
            .build(InMemDataset::new(points))
    };
    // progress bars on: their code runs in every training here (drawn nowhere, stderr is no
    // terminal), and the per-epoch history must be the same as without them
    let renderer = EpochLogRenderer::new().with_progress(true);
    assert!(renderer.shows_progress());
    let history = renderer.history();
    let dir = common::scratch_path("learner-test");
    let mut training = SupervisedTraining::new(&dir, loader(blobs(600, 1)), loader(blobs(150, 2)))
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .renderer(Box::new(renderer))
        .num_epochs(4);
    if devices.len() > 1 {
        training = training.with_training_strategy(TrainingStrategy::Default(ExecutionStrategy::multi(
            devices.to_vec(),
            MultiDeviceOptim::OptimMainDevice,
        )));
    }
    let result = training.launch(Learner::new(model, AdamConfig::new().init(), 1e-2));
    std::fs::remove_dir_all(&dir).ok();
    assert!(result.error.is_none(), "{:?}", result.error);
    let history = history.lock().unwrap().clone();
    assert_eq!(
        history.len(),
        8,
        "one train and one valid line per epoch: {history:?}"
    );
    let train_losses: Vec<f64> = history
        .iter()
        .filter(|h| h.split == "train")
        .map(|h| h.values.iter().find(|(n, _)| n == "Loss").unwrap().1)
        .collect();

    let mut confusion = ConfusionMatrix::new(3);
    let test = DataLoaderBuilder::new(PointBatcher)
        .batch_size(64)
        .set_device(device.clone())
        .build(InMemDataset::new(blobs(300, 3)));
    for batch in test.iter() {
        let batch = batch.unwrap();
        confusion.update(result.model.model.logits(batch.inputs), batch.targets);
    }
    (confusion.accuracy(), train_losses, result.model.loss)
}

#[test]
fn every_classification_loss_trains_with_the_learner() {
    let device = common::test_devices()[0].1.clone();
    for loss in [
        r#"{"type": "focal", "gamma": 2.0}"#,
        r#"{"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.25, 0.25], "from_logits": false}"#,
        r#"{"type": "binary_focal", "gamma": 2.0}"#,
        r#"{"type": "class_balanced", "samples_per_class": [200, 150, 30], "base": "focal"}"#,
        r#"{"type": "class_balanced", "samples_per_class": [200, 150, 30], "base": "softmax_bce", "beta": 0.99}"#,
        r#"{"type": "bce", "pos_weight": [2.0, 2.0, 2.0]}"#,
        r#"{"type": "balanced_bce"}"#,
        r#"{"type": "ghm_c", "bins": 10}"#,
        r#"{"type": "sum", "terms": [{"loss": {"type": "focal", "gamma": 2.0}}, {"weight": 0.5, "loss": {"type": "binary_focal"}}]}"#,
        r#"{"type": "dsc", "alpha": 0.5}"#,
        r#"{"type": "cross_entropy", "label_smoothing": 0.1, "weight": [1.0, 1.0, 2.0]}"#,
        r#"{"type": "nll"}"#,
        r#"{"type": "poly1", "epsilon": 1.0}"#,
        r#"{"type": "kl_divergence"}"#,
        r#"{"type": "multi_margin"}"#,
        r#"{"type": "categorical_hinge"}"#,
        r#"{"type": "squared_hinge"}"#,
        r#"{"type": "mse"}"#,
        r#"{"type": "learner_test_squared_error"}"#,
    ] {
        // a user-defined loss trains like a built-in one (one-hot targets of the logits)
        burn_losses::custom::register_fn(
            "learner_test_squared_error",
            "squared error, registered by the test",
            |x: burn::tensor::Tensor<2>, y: burn::tensor::Tensor<2>| (x - y).powi_scalar(2),
        );
        let (accuracy, losses, _) = train_and_score(loss, std::slice::from_ref(&device));
        assert!(accuracy > 0.9, "{loss}: test accuracy {accuracy}");
        assert!(
            losses.last().unwrap() < losses.first().unwrap(),
            "{loss}: training loss did not fall: {losses:?}"
        );
    }
}

/// GHM-C's EMA of the bin counts lives in the loss module and carries over the Learner's steps
/// (train and validation, as mmdet updates on every call): a state reset at each step would hold
/// at most (1 − m) = 0.25 of one batch's 32 × 3 = 96 elements, i.e. 24; carried over, the
/// accumulated counts approach a whole batch.
#[test]
fn ghm_momentum_state_survives_the_learner_steps() {
    let device = common::test_devices()[0].1.clone();
    let (accuracy, _, loss) = train_and_score(
        r#"{"type": "ghm_c", "momentum": 0.75}"#,
        std::slice::from_ref(&device),
    );
    assert!(accuracy > 0.9, "test accuracy {accuracy}");
    let burn_losses::Loss::GhmC(ghm) = loss else {
        panic!("ghm_c expected")
    };
    let counts = ghm.state.counts();
    assert_eq!(counts.len(), 10);
    let total: f64 = counts.iter().sum();
    assert!(total > 48.0, "accumulated counts {counts:?} (sum {total})");
}

/// Data-parallel training on two devices (burn-train's `MultiDevice`; two worker threads on the
/// lane's device, see `device_replicas`): the losses whose value depends on the batch (balanced
/// BCE's β, GHM-C's gradient density, Dice over the batch) train as on one device, each worker
/// computing them on its own batch.
#[test]
fn batch_dependent_losses_train_data_parallel_on_two_devices() {
    let (name, _) = common::test_devices()[0];
    let devices = burn_losses::device::device_replicas(name, 2).unwrap();
    for loss in [
        r#"{"type": "balanced_bce"}"#,
        r#"{"type": "ghm_c", "bins": 10, "momentum": 0.75}"#,
        r#"{"type": "dsc", "alpha": 0.5}"#,
        r#"{"type": "focal", "gamma": 2.0}"#,
    ] {
        let (accuracy, losses, _) = train_and_score(loss, &devices);
        assert!(accuracy > 0.9, "{loss} on 2 x {name}: test accuracy {accuracy}");
        assert!(
            losses.last().unwrap() < losses.first().unwrap(),
            "{loss} on 2 x {name}: training loss did not fall: {losses:?}"
        );
    }
}

/// The same data-parallel training with the batch statistics joined across the two workers
/// (`LossClassifier::with_device_group`): 600 training points split 300 / 300, so both workers
/// compute the loss at every step; validation (one device, no autodiff) stays per device.
#[test]
fn batch_statistics_joined_across_two_devices_in_training() {
    let (name, _) = common::test_devices()[0];
    let devices = burn_losses::device::device_replicas(name, 2).unwrap();
    for loss in [
        r#"{"type": "balanced_bce"}"#,
        r#"{"type": "ghm_c", "bins": 10, "momentum": 0.75}"#,
    ] {
        let group = burn_losses::DeviceGroup::new(2);
        let settings = burn_losses::LossSettings::new().with_device_group(Some(group));
        let (accuracy, losses, _) = train_and_score_in(loss, &devices, settings);
        assert!(
            accuracy > 0.9,
            "{loss} on 2 x {name} in a group: test accuracy {accuracy}"
        );
        assert!(
            losses.last().unwrap() < losses.first().unwrap(),
            "{loss} on 2 x {name} in a group: training loss did not fall: {losses:?}"
        );
    }
}

/// The adapter's [`burn_losses::LossSettings`] reach the loss on every worker thread of a
/// data-parallel step: a user-defined loss records the switches it sees (trusted inputs off →
/// on, fused kernels on → off) and the thread it runs on; under `MultiDevice` on two devices every
/// call — on at least two threads other than the test's — sees the adapter's settings, while the
/// test thread's own switches stay at their defaults.
#[test]
fn loss_settings_reach_every_worker_under_multi_device() {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<(bool, bool, std::thread::ThreadId)>> = Mutex::new(Vec::new());
    burn_losses::custom::register_fn(
        "learner_test_settings_probe",
        "squared error that records the loss settings of the thread it runs on",
        |x: burn::tensor::Tensor<2>, y: burn::tensor::Tensor<2>| {
            SEEN.lock().unwrap().push((
                burn_losses::trusted_inputs(),
                burn_losses::fused_kernels_enabled(),
                std::thread::current().id(),
            ));
            (x - y).powi_scalar(2)
        },
    );
    let (name, _) = common::test_devices()[0];
    let devices = burn_losses::device::device_replicas(name, 2).unwrap();
    let settings = burn_losses::LossSettings::new()
        .with_trusted_inputs(true)
        .with_fused_kernels(false);
    let (accuracy, _, _) =
        train_and_score_in(r#"{"type": "learner_test_settings_probe"}"#, &devices, settings);
    assert!(accuracy > 0.9, "test accuracy {accuracy}");
    let seen = SEEN.lock().unwrap().clone();
    let here = std::thread::current().id();
    let workers: std::collections::BTreeSet<String> = seen
        .iter()
        .filter(|s| s.2 != here)
        .map(|s| format!("{:?}", s.2))
        .collect();
    assert!(
        workers.len() >= 2,
        "the loss ran on {} worker threads: {workers:?}",
        workers.len()
    );
    let wrong: Vec<_> = seen.iter().filter(|s| !s.0 || s.1).collect();
    assert!(
        wrong.is_empty(),
        "{} of {} loss calls ran without the adapter's settings: {wrong:?}",
        wrong.len(),
        seen.len()
    );
    assert!(
        !burn_losses::trusted_inputs() && burn_losses::fused_kernels_enabled(),
        "the test thread's switches changed"
    );
}

#[test]
fn class_counts_of_a_dataset() {
    let ds = InMemDataset::new(blobs(10, 1));
    let counts = burn_losses::train::class_counts(&ds, 3, |p: &Point| p.label as usize).unwrap();
    assert_eq!(counts, vec![4, 3, 3]);
    let err = burn_losses::train::class_counts(&ds, 2, |p: &Point| p.label as usize).unwrap_err();
    assert_eq!(err, "item 2: label 2 outside [0, 2)");
}

/// A model with a normalisation layer, for the regularizers' parameter selection.
#[derive(Module, Debug)]
struct NormedMlp {
    a: Linear,
    norm: burn::nn::LayerNorm,
    b: Linear,
}

impl Classifier for NormedMlp {
    type Input = Tensor<2>;
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        self.b.forward(self.norm.forward(self.a.forward(x)))
    }
}

/// `sum`'s regularizers (Keras `L1L2`): the adapter adds `l1·Σ|w| + l2·Σw²` over the selected
/// parameters to the loss, and its gradient reaches them.
#[test]
fn regularizers_add_the_penalty_of_the_selected_parameters() {
    for (_, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let model = || NormedMlp {
            a: common::seeded_linear(2, 4, 21, &ad),
            norm: burn::nn::LayerNormConfig::new(4).init(&ad),
            b: common::seeded_linear(4, 3, 22, &ad),
        };
        let batch = || ClassificationBatch {
            inputs: Tensor::<2>::from_floats([[0.5, -1.0], [2.0, 0.25], [-0.5, 0.75]], &ad),
            targets: Tensor::<1, Int>::from_ints([0, 2, 1], &ad),
        };
        let plain = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
            model(),
            LossConfig::parse(r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}]}"#)
                .unwrap()
                .init(&ad),
        );
        let value = |json: &str| -> (f64, burn::nn::Linear) {
            let adapter = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
                model(),
                LossConfig::parse(json).unwrap().init(&ad),
            );
            let loss = adapter.forward_classification(batch()).loss;
            (loss.into_scalar::<f64>(), adapter.model.a.clone())
        };
        let base = plain.forward_classification(batch()).loss.into_scalar::<f64>();
        let host = |t: Tensor<2>| t.into_data().iter::<f64>().collect::<Vec<f64>>();
        let host1 = |t: Tensor<1>| t.into_data().iter::<f64>().collect::<Vec<f64>>();
        let m = model();
        let (wa, wb) = (host(m.a.weight.val()), host(m.b.weight.val()));
        let (ba, bb) = (
            host1(m.a.bias.clone().unwrap().val()),
            host1(m.b.bias.clone().unwrap().val()),
        );
        let l1 = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>();
        let l2 = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        // the LayerNorm's gamma (ones) and beta (zeros)
        let (gamma, beta) = (4.0, 0.0);
        for (json, penalty) in [
            (
                r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}], "regularizers": [{"l2": 0.01}]}"#,
                0.01 * (l2(&wa) + l2(&wb) + l2(&ba) + l2(&bb) + gamma + beta),
            ),
            (
                r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}],
                    "regularizers": [{"l1": 0.1, "l2": 0.01, "exclude_biases": true, "exclude_norms": true}]}"#,
                0.1 * (l1(&wa) + l1(&wb)) + 0.01 * (l2(&wa) + l2(&wb)),
            ),
            (
                r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}],
                    "regularizers": [{"l1": 0.5, "include": ["b."]}, {"l2": 0.25, "include": ["a.weight"]}]}"#,
                0.5 * (l1(&wb) + l1(&bb)) + 0.25 * l2(&wa),
            ),
        ] {
            let (got, _) = value(json);
            assert!(
                (got - (base + penalty)).abs() < 1e-5 * (1.0 + got.abs()),
                "{json}: {got} vs {}",
                base + penalty
            );
        }
        // the gradient of the L2 penalty reaches the weights: 2·l2·w on top of the loss's
        let grad_a = |json: &str| {
            let adapter = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
                model(),
                LossConfig::parse(json).unwrap().init(&ad),
            );
            let loss = adapter.forward_classification(batch()).loss;
            let grads = loss.backward();
            host(adapter.model.a.weight.grad(&grads).unwrap())
        };
        let without = grad_a(r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}]}"#);
        let with = grad_a(
            r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}}], "regularizers": [{"l2": 0.5}]}"#,
        );
        for ((g0, g1), w) in without.iter().zip(&with).zip(&wa) {
            assert!((g1 - g0 - w).abs() < 1e-5, "{g1} - {g0} vs 2·0.5·{w}");
        }
        // an empty or a negative regularizer is refused, naming it
        for (regularizer, expected) in [
            (
                "{}",
                "sum: config field `regularizers[0]`: expected a term with l1 > 0 or l2 > 0, got l1 = l2 = 0",
            ),
            (
                r#"{"l2": -1}"#,
                "sum: config field `regularizers[0].l2`: expected a finite number >= 0, got -1",
            ),
        ] {
            let json = format!(
                r#"{{"type": "sum", "terms": [{{"loss": {{"type": "mse"}}}}], "regularizers": [{regularizer}]}}"#
            );
            let err = LossConfig::parse(&json)
                .unwrap()
                .try_init(&ad)
                .unwrap_err()
                .to_string();
            assert_eq!(err, expected);
        }
    }
}

/// `sum`'s `weighting: "uncertainty"` (Kendall et al. 2018): `Σ ½·exp(−s_k)·w_k·L_k + ½·s_k` with
/// learned `s_k` (0 at the start) that the classification adapter trains with the model.
#[test]
fn uncertainty_weights_are_learned_with_the_model() {
    for (_, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let model = || Mlp {
            a: common::seeded_linear(2, 4, 31, &ad),
            b: common::seeded_linear(4, 3, 32, &ad),
            relu: Relu::new(),
        };
        let batch = || ClassificationBatch {
            inputs: Tensor::<2>::from_floats([[0.5, -1.0], [2.0, 0.25], [-0.5, 0.75]], &ad),
            targets: Tensor::<1, Int>::from_ints([0, 2, 1], &ad),
        };
        let json = r#"{"type": "sum", "weighting": "uncertainty", "terms": [
            {"loss": {"type": "cross_entropy"}}, {"weight": 2.0, "loss": {"type": "focal", "gamma": 2.0}}]}"#;
        let adapter = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
            model(),
            LossConfig::parse(json).unwrap().init(&ad),
        );
        assert_eq!(
            adapter.loss.to_string(),
            "sum(1*cross_entropy + 2*focal; weighting=uncertainty)"
        );
        let ce = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
            model(),
            LossConfig::parse("cross_entropy").unwrap().init(&ad),
        )
        .forward_classification(batch())
        .loss
        .into_scalar::<f64>();
        let focal = LossClassifier::<_, ClassificationBatch<Tensor<2>>>::new(
            model(),
            LossConfig::parse("focal").unwrap().init(&ad),
        )
        .forward_classification(batch())
        .loss
        .into_scalar::<f64>();
        let loss = adapter.forward_classification(batch()).loss;
        let value = loss.clone().into_scalar::<f64>();
        // s = 0: ½·(1·CE + 2·focal)
        assert!(
            (value - 0.5 * (ce + 2.0 * focal)).abs() < 1e-5,
            "{value} vs {}",
            0.5 * (ce + 2.0 * focal)
        );
        let grads = loss.backward();
        let burn_losses::Loss::Sum(sum) = &adapter.loss else {
            unreachable!()
        };
        assert_eq!(sum.term_factors(), vec![0.5, 1.0]);
        let s = sum.log_variances.as_ref().expect("learned log-variances");
        let grad: Vec<f64> = s
            .grad(&grads)
            .expect("the log-variances are trained")
            .into_data()
            .iter::<f64>()
            .collect();
        // ∂/∂s_k = ½·(1 − w_k·L_k) at s = 0
        for (g, expected) in grad.iter().zip([0.5 * (1.0 - ce), 0.5 * (1.0 - 2.0 * focal)]) {
            assert!((g - expected).abs() < 1e-5, "{grad:?}");
        }
    }
}
