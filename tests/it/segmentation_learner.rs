//! Dense prediction through burn's Learner: `LossSegmenter` with the overlap losses (and a
//! composite), burn's own `LossMetric` and `DiceMetric`, and the crate's pixel accuracy / mean IoU.

use crate::common;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::optim::AdamConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::metric::LossMetric;
use burn::train::metric::vision::DiceMetric;
use burn::train::{Learner, SupervisedTraining};
use burn_losses::LossConfig;
use burn_losses::train::{
    EpochLogRenderer, LossSegmenter, MeanIouMetric, PixelAccuracyMetric, SegmentationBatch,
    SegmentationCounts, SegmentationInput, Segmenter,
};

/// One 3×3 conv: enough to learn "class = which of the two channels is brighter, or none".
#[derive(Module, Debug)]
struct TinyNet {
    conv: Conv2d,
}

impl Segmenter for TinyNet {
    type Input = Tensor<4>;
    fn logits(&self, x: Tensor<4>) -> Tensor<4> {
        self.conv.forward(x)
    }
}

/// An 8×8 two-channel image; class 0 where both channels are dark, else 1 + the brighter channel.
#[derive(Clone, Debug)]
struct Scene {
    pixels: Vec<f32>,
    classes: Vec<i64>,
}

fn scenes(n: usize, seed: u64) -> Vec<Scene> {
    let mut rng = common::cases::Lcg::new(seed);
    (0..n)
        .map(|_| {
            let mut pixels = vec![0f32; 2 * 64];
            let mut classes = vec![0i64; 64];
            for i in 0..64 {
                let (a, b) = (rng.uniform() as f32, rng.uniform() as f32);
                let on = rng.uniform() < 0.3;
                let (a, b) = if on { (a, b) } else { (0.1 * a, 0.1 * b) };
                pixels[i] = a;
                pixels[64 + i] = b;
                classes[i] = if on { 1 + (b > a) as i64 } else { 0 };
            }
            Scene { pixels, classes }
        })
        .collect()
}

#[derive(Clone)]
struct SceneBatcher;

impl Batcher<Scene, SegmentationBatch<Tensor<4>>> for SceneBatcher {
    fn batch(&self, items: Vec<Scene>, device: &Device) -> SegmentationBatch<Tensor<4>> {
        let n = items.len();
        let x: Vec<f32> = items.iter().flat_map(|s| s.pixels.clone()).collect();
        let t: Vec<i64> = items.iter().flat_map(|s| s.classes.clone()).collect();
        SegmentationBatch {
            inputs: Tensor::from_data(TensorData::new(x, [n, 2, 8, 8]), device),
            targets: Tensor::<3, Int>::from_data(TensorData::new(t, [n, 8, 8]), device),
        }
    }
}

#[test]
fn dense_losses_train_with_the_learner_and_burn_metrics() {
    let device = common::test_devices()[0].1.clone();
    for loss_json in [
        r#"{"type": "dice", "activation": "softmax"}"#,
        r#"{"type": "sum", "terms": [{"loss": {"type": "dice", "activation": "softmax"}}, {"loss": {"type": "focal", "gamma": 0.0}}]}"#,
        r#"{"type": "focal_tversky", "activation": "softmax", "alpha": 0.3, "beta": 0.7}"#,
        r#"{"type": "lovasz"}"#,
        r#"{"type": "binary_focal", "alpha": null}"#,
    ] {
        let loss = LossConfig::parse(loss_json).unwrap().try_init(&device).unwrap();
        let ad = device.clone().autodiff();
        device.seed(7);
        let model = TinyNet {
            conv: Conv2dConfig::new([2, 3], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(&ad),
        };
        let model = LossSegmenter::new(model, loss);
        let loader = |s: Vec<Scene>| {
            DataLoaderBuilder::new(SceneBatcher)
                .batch_size(16)
                .shuffle(3)
                .build(InMemDataset::new(s))
        };
        let renderer = EpochLogRenderer::new();
        let history = renderer.history();
        let dir = common::scratch_path("seg-test");
        let result = SupervisedTraining::new(&dir, loader(scenes(256, 1)), loader(scenes(64, 2)))
            .metrics((
                LossMetric::new(),
                DiceMetric::<4>::new(),
                PixelAccuracyMetric::new(),
                MeanIouMetric::new().with_background(false),
            ))
            .renderer(Box::new(renderer))
            .num_epochs(6)
            .launch(Learner::new(model, AdamConfig::new().init(), 5e-2));
        std::fs::remove_dir_all(&dir).ok();
        assert!(result.error.is_none(), "{loss_json}: {:?}", result.error);
        let history = history.lock().unwrap().clone();
        let valid = history.iter().rfind(|h| h.split == "valid").unwrap();
        let metric = |name: &str| {
            valid
                .values
                .iter()
                .find(|(n, _)| n.contains(name))
                .unwrap_or_else(|| panic!("{loss_json}: no {name} in {:?}", valid.values))
                .1
        };
        // burn's DiceMetric (foreground classes, a fraction) and ours (from the same counts, %)
        let (burn_dice, accuracy, iou) = (metric("Dice"), metric("Pixel Accuracy"), metric("Mean IoU"));
        assert!(
            accuracy > 85.0,
            "{loss_json}: pixel accuracy {accuracy} %: {history:?}"
        );
        assert!(iou > 60.0, "{loss_json}: mean IoU {iou} %");
        assert!(burn_dice > 0.6, "{loss_json}: burn DiceMetric {burn_dice}");

        // the trained model scored outside the Learner agrees with the validation metrics
        let test = DataLoaderBuilder::new(SceneBatcher)
            .batch_size(64)
            .set_device(device.clone())
            .build(InMemDataset::new(scenes(64, 2)));
        let mut counts = SegmentationCounts::default();
        for batch in test.iter() {
            let batch = batch.unwrap();
            counts.add(&SegmentationCounts::of(&SegmentationInput {
                output: result.model.model.logits(batch.inputs),
                targets: batch.targets,
            }));
        }
        assert!(
            (100.0 * counts.pixel_accuracy() - accuracy).abs() < 1e-6,
            "{loss_json}"
        );
        assert!((100.0 * counts.mean_iou(1) - iou).abs() < 1e-6, "{loss_json}");
        let dice_fg: f64 = {
            let i: f64 = counts.intersection[1..].iter().sum();
            let p: f64 = counts.predicted[1..].iter().sum();
            let t: f64 = counts.truth[1..].iter().sum();
            2.0 * i / (p + t)
        };
        assert!(
            (dice_fg - burn_dice).abs() < 1e-3,
            "{loss_json}: burn Dice {burn_dice} vs counts {dice_fg}"
        );
    }
}

#[test]
fn segmentation_counts_are_exact_on_a_known_case() {
    let device = common::test_devices()[0].1.clone();
    // 1 image, 2×2 pixels, 3 classes; predictions (argmax) 0, 1, 1, 2 vs targets 0, 1, 2, 2
    let logits = Tensor::<4>::from_data(
        TensorData::new(
            vec![5.0f32, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 5.0],
            [1, 3, 2, 2],
        ),
        &device,
    );
    let targets = Tensor::<3, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 2], [1, 2, 2]), &device);
    let counts = SegmentationCounts::of(&SegmentationInput {
        output: logits,
        targets,
    });
    assert_eq!(counts.intersection, vec![1.0, 1.0, 1.0]);
    assert_eq!(counts.predicted, vec![1.0, 2.0, 1.0]);
    assert_eq!(counts.truth, vec![1.0, 1.0, 2.0]);
    assert_eq!(counts.pixel_accuracy(), 0.75);
    assert_eq!(counts.per_class_iou(), vec![1.0, 0.5, 0.5]);
    assert_eq!(counts.mean_iou(1), 0.5);
    assert_eq!(counts.per_class_dice()[1], 2.0 / 3.0);
}
