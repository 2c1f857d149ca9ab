//! The anchors' conventions offered as options — Keras 3's reductions (`reduce_last_axis`,
//! `"mean_with_sample_weight"`, per-position sample weights), MONAI `FocalLoss`'s per-channel
//! layout, kornia's Dice / Tversky averaging (`average: "micro"`, `absent_classes: "skip"`):
//! their config and input errors, and what the reference fixtures cannot show (the typed API,
//! spellings, the equalities that define them).

use burn::tensor::{Int, Tensor};
use burn_losses::{LossConfig, LossInputs, MseLossConfig, Reduction};

use crate::common;
use crate::errors::{config_error, input_error};

fn values(t: Tensor<1>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

fn eval(loss: &str, inputs: &LossInputs) -> (Vec<f32>, Vec<usize>) {
    let loss = LossConfig::parse(loss)
        .unwrap()
        .init(&burn::tensor::Device::default());
    let out = loss.forward_inputs(inputs).unwrap();
    let shape = out.shape.clone();
    (values(out.flat), shape)
}

#[test]
fn invalid_anchor_options_name_the_field() {
    let cases = [
        (
            r#"{"type": "focal", "include_background": false}"#,
            "focal: config field `include_background`: expected true without per_channel (MONAI FocalLoss's \
             option: set \"per_channel\": true), got false",
        ),
        (
            r#"{"type": "binary_focal", "weight": [1.0, 2.0]}"#,
            "binary_focal: config field `weight`: expected null without per_channel (MONAI FocalLoss's option: \
             set \"per_channel\": true), got a list of 2 weights",
        ),
        (
            r#"{"type": "focal", "per_channel": true, "weight": [1.0, -1.0]}"#,
            "focal: config field `weight[1]`: expected a finite weight >= 0, got -1",
        ),
        (
            r#"{"type": "focal", "per_channel": true, "label_smoothing": 0.1}"#,
            "focal: config field `label_smoothing`: expected 0 with per_channel (MONAI's FocalLoss has no \
             smoothing), got 0.1",
        ),
        (
            r#"{"type": "binary_focal", "per_channel": true, "label_smoothing": 0.2}"#,
            "binary_focal: config field `label_smoothing`: expected 0 with per_channel (MONAI's FocalLoss has no \
             smoothing), got 0.2",
        ),
        (
            r#"{"type": "rmse", "reduction": "mean_with_sample_weight"}"#,
            "rmse: config field `reduction`: expected \"mean\", \"sum\" or \"none\" (the root of a mean is not a \
             weighted sum), got \"mean_with_sample_weight\"",
        ),
        (
            r#"{"type": "dice", "average": "micro", "absent_classes": "skip"}"#,
            "dice: config field `absent_classes`: expected \"score\" or \"zero\" with average \"micro\" (one ratio \
             over all classes: no class to skip), got \"skip\"",
        ),
        (
            r#"{"type": "tversky", "average": "micro", "absent_classes": "skip"}"#,
            "tversky: config field `absent_classes`: expected \"score\" or \"zero\" with average \"micro\" (one \
             ratio over all classes: no class to skip), got \"skip\"",
        ),
        (
            r#"{"type": "binary_focal", "per_channel": true, "reduce_last_axis": true}"#,
            "binary_focal: config field `reduce_last_axis`: expected false with per_channel (MONAI's layout \
             reduces the channel and spatial axes itself), got true",
        ),
        (
            r#"{"type": "log_cosh_dice", "average": "micro"}"#,
            "log_cosh_dice: config field `average`: expected \"macro\" (the log cosh applies to each class's \
             Dice loss), got \"micro\"",
        ),
        (
            r#"{"type": "log_cosh_dice", "absent_classes": "skip"}"#,
            "log_cosh_dice: config field `absent_classes`: expected \"score\" or \"zero\" (\"skip\" is kornia's \
             dice_loss and tversky_loss), got \"skip\"",
        ),
        (
            r#"{"type": "focal_tversky", "absent_classes": "skip"}"#,
            "focal_tversky: config field `absent_classes`: expected \"score\" or \"zero\" (\"skip\" is kornia's \
             dice_loss and tversky_loss), got \"skip\"",
        ),
        (
            r#"{"type": "generalized_dice", "absent_classes": "skip"}"#,
            "generalized_dice: config field `absent_classes`: expected \"score\" (one ratio over all classes: its \
             weights already give absent classes the largest finite weight), got \"skip\"",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(config_error(json), expected, "{json}");
    }
    for bad in [
        r#"{"type": "mse", "reduction": "batch"}"#,
        r#"{"type": "dice", "average": "weighted"}"#,
        r#"{"type": "mse", "reduce_last_axis": 1}"#,
    ] {
        let e = LossConfig::parse(bad).unwrap_err().to_string();
        assert!(e.contains("config field"), "{bad}: {e}");
    }
}

#[test]
fn bad_anchor_inputs_name_the_argument() {
    for (device_name, device) in common::test_devices() {
        let x = |shape: [usize; 3]| Tensor::<3>::ones(shape, &device);
        let cases = [
            (
                input_error(
                    r#"{"type": "mse", "reduce_last_axis": true}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<1>::ones([4], &device))
                        .with_float("target", Tensor::<1>::ones([4], &device)),
                ),
                "mse: argument `input`: expected rank >= 2 with reduce_last_axis (Keras reduces each sample's \
                 last axis: [N, …, K]), got shape [4]",
            ),
            (
                input_error(
                    r#"{"type": "mse", "reduce_last_axis": true, "reduction": "sum"}"#,
                    LossInputs::new()
                        .with_float("input", x([2, 3, 4]))
                        .with_float("target", x([2, 3, 4]))
                        .with_float("weight", Tensor::<2>::ones([2, 4], &device)),
                ),
                "mse: argument `weight`: expected per-sample weights [2] or [2, 1], or one weight per loss position \
                 [2, 3], got shape [2, 4]",
            ),
            (
                input_error(
                    r#"{"type": "cross_entropy", "reduction": "mean_with_sample_weight"}"#,
                    LossInputs::new()
                        .with_float("input", x([2, 3, 5]))
                        .with_int("target", Tensor::<2, Int>::zeros([2, 5], &device))
                        .with_float("weight", Tensor::<2>::ones([2, 3], &device)),
                ),
                "cross_entropy: argument `weight`: expected per-sample weights [2] or [2, 1], or one weight per loss \
                 position [2, 5], got shape [2, 3]",
            ),
            (
                input_error(
                    r#"{"type": "focal", "per_channel": true, "weight": [1.0, 2.0]}"#,
                    LossInputs::new()
                        .with_float("input", x([2, 3, 5]))
                        .with_int("target", Tensor::<2, Int>::zeros([2, 5], &device)),
                ),
                "focal: argument `input`: expected 2 scored channels along dim 1 (the length of config field \
                 `weight`), got 3 scored channels",
            ),
            (
                input_error(
                    r#"{"type": "focal", "per_channel": true, "include_background": false, "alpha": [0.2, 0.3, 0.5]}"#,
                    LossInputs::new()
                        .with_float("input", x([2, 3, 5]))
                        .with_int("target", Tensor::<2, Int>::zeros([2, 5], &device)),
                ),
                "focal: argument `input`: expected 3 classes along dim 1 without the background channel 0 (the \
                 length of config field `alpha`), got 2 classes without the background channel 0 (input shape [2, \
                 3, 5])",
            ),
            (
                input_error(
                    r#"{"type": "focal", "per_channel": true, "include_background": false, "weight": [1.0]}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<3>::ones([2, 2, 5], &device))
                        .with_int("target", Tensor::<2, Int>::zeros([2, 5], &device)),
                ),
                "focal: argument `input`: expected more than one scored channel with a per-channel `weight` (MONAI \
                 raises: \"Per-class class_weight is not supported for single-channel outputs\"), got 1 scored \
                 channel",
            ),
            (
                input_error(
                    r#"{"type": "rmse"}"#,
                    LossInputs::new()
                        .with_float("input", x([2, 3, 4]))
                        .with_float("target", x([2, 3, 4]))
                        .with_float("weight", Tensor::<2>::ones([2, 1], &device)),
                ),
                "rmse: argument `weight`: expected per-sample weights of shape [2] (the batch size), got shape [2, 1]",
            ),
            (
                input_error(
                    r#"{"type": "binary_focal", "per_channel": true}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<1>::zeros([4], &device))
                        .with_float("target", Tensor::<1>::zeros([4], &device)),
                ),
                "binary_focal: argument `input`: expected shape [N, C, spatial...] with per_channel, got [4]",
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected, "on {device_name}");
        }
    }
}

#[test]
fn keras_spellings_parse_and_print() {
    let alias = LossConfig::parse(r#"{"type": "mse", "reduction": "sum_over_batch_size"}"#).unwrap();
    assert_eq!(
        alias,
        LossConfig::parse(r#"{"type": "mse", "reduction": "mean"}"#).unwrap()
    );
    let weighted = LossConfig::parse(r#"{"type": "mse", "reduction": "mean_with_sample_weight"}"#).unwrap();
    let written = serde_json::to_value(&weighted).unwrap();
    assert_eq!(written["reduction"], "mean_with_sample_weight");
    assert_eq!(
        Reduction::MeanWithSampleWeight.to_string(),
        "mean_with_sample_weight"
    );
}

/// Keras 3's reductions are defined by the element losses: with `reduce_last_axis`, `"sum"` is
/// the element sum divided by the last axis' length, `"none"` the per-sample means, and without a
/// weight `"mean_with_sample_weight"` is `"mean"`; the typed `forward_no_reduction` keeps the
/// averaged axis with size 1.
#[test]
fn keras_reductions_follow_from_the_element_losses() {
    for (device_name, device) in common::test_devices() {
        let input = Tensor::<3>::from_floats(
            [
                [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]],
                [[3.0, 1.0, -2.0], [0.25, 0.75, 1.0]],
            ],
            &device,
        );
        let target = Tensor::<3>::zeros([2, 2, 3], &device);
        let elements = MseLossConfig::new().with_reduction(Reduction::Sum).init(&device);
        let total = values(elements.forward(input.clone(), target.clone()))[0];
        let keras = |r: Reduction| {
            MseLossConfig::new()
                .with_reduce_last_axis(true)
                .with_reduction(r)
                .init(&device)
        };
        let sum = values(keras(Reduction::Sum).forward(input.clone(), target.clone()))[0];
        assert!(
            (sum - total / 3.0).abs() < 1e-5,
            "on {device_name}: {sum} vs {total} / 3"
        );
        let mean = values(keras(Reduction::Mean).forward(input.clone(), target.clone()))[0];
        let unweighted =
            values(keras(Reduction::MeanWithSampleWeight).forward(input.clone(), target.clone()))[0];
        assert!(
            (mean - total / 12.0).abs() < 1e-5 && (unweighted - mean).abs() < 1e-6,
            "on {device_name}"
        );
        let none: Tensor<3> = keras(Reduction::None).forward_no_reduction(input.clone(), target.clone());
        assert_eq!(none.dims(), [2, 2, 1], "on {device_name}");
        let per_sample = values(none.reshape([4]));
        assert!(
            (per_sample[0] - (0.25 + 1.0 + 4.0) / 3.0).abs() < 1e-5,
            "on {device_name}: {per_sample:?}"
        );
        // a per-timestep weight through the named form: [N, T] on inputs [N, T, K]
        let w = Tensor::<2>::from_floats([[1.0, 0.0], [2.0, 0.5]], &device);
        let inputs = LossInputs::new()
            .with_float("input", input.clone())
            .with_float("target", target.clone())
            .with_float("weight", w);
        let (weighted, shape) = eval(
            r#"{"type": "mse", "reduce_last_axis": true, "reduction": "mean_with_sample_weight"}"#,
            &inputs,
        );
        assert!(shape.is_empty(), "on {device_name}");
        let expected = (per_sample[0] + 2.0 * per_sample[2] + 0.5 * per_sample[3]) / 3.5;
        assert!(
            (weighted[0] - expected).abs() < 1e-5,
            "on {device_name}: {weighted:?} vs {expected}"
        );
        // all-zero weights: Keras's divide_no_nan gives 0
        let zero = LossInputs::new()
            .with_float("input", input.clone())
            .with_float("target", target.clone())
            .with_float("weight", Tensor::<1>::zeros([2], &device));
        let (zero, _) = eval(
            r#"{"type": "mse", "reduce_last_axis": true, "reduction": "mean_with_sample_weight"}"#,
            &zero,
        );
        assert_eq!(zero, [0.0], "on {device_name}");
    }
}

/// Keras's `kl_divergence` sums each sample's last axis: with `reduce_last_axis`, `"none"` is the
/// row sums of the element losses, `"batchmean"` (the default) their mean over the samples.
#[test]
fn keras_kl_divergence_sums_the_last_axis() {
    for (device_name, device) in common::test_devices() {
        let input = Tensor::<2>::from_floats([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], &device);
        let target = Tensor::<2>::from_floats([[0.1, 0.6, 0.3], [0.0, 0.5, 0.5]], &device);
        let inputs = LossInputs::new()
            .with_float("input", input)
            .with_float("target", target);
        let elements = r#"{"type": "kl_divergence", "log_input": false, "reduction": "none"}"#;
        let (elements, _) = eval(elements, &inputs);
        let rows: Vec<f32> = elements.chunks(3).map(|r| r.iter().sum()).collect();
        let (per_sample, shape) = eval(
            r#"{"type": "kl_divergence", "log_input": false, "reduce_last_axis": true, "reduction": "none"}"#,
            &inputs,
        );
        assert_eq!(shape, [2], "on {device_name}");
        for (a, b) in per_sample.iter().zip(&rows) {
            assert!(
                (a - b).abs() < 1e-6,
                "on {device_name}: {per_sample:?} vs {rows:?}"
            );
        }
        let (batchmean, _) = eval(
            r#"{"type": "kl_divergence", "log_input": false, "reduce_last_axis": true}"#,
            &inputs,
        );
        assert!(
            (batchmean[0] - (rows[0] + rows[1]) / 2.0).abs() < 1e-6,
            "on {device_name}"
        );
    }
}

/// `"mean_with_sample_weight"` on the losses Keras does not have: the weighted sum over Σ weight
/// where a loss takes a weight (nll), `"mean"` where it takes none (contrastive's own mean).
#[test]
fn mean_with_sample_weight_elsewhere() {
    for (device_name, device) in common::test_devices() {
        let log_p = Tensor::<2>::from_floats([[-0.5, -1.0, -2.0], [-1.5, -0.25, -3.0]], &device);
        let inputs = LossInputs::new()
            .with_float("input", log_p)
            .with_int("target", Tensor::<1, Int>::from_ints([0, 1], &device))
            .with_float("weight", Tensor::<1>::from_floats([3.0, 1.0], &device));
        let (weighted, _) = eval(
            r#"{"type": "nll", "reduction": "mean_with_sample_weight"}"#,
            &inputs,
        );
        assert!(
            (weighted[0] - (3.0 * 0.5 + 0.25) / 4.0).abs() < 1e-6,
            "on {device_name}: {weighted:?}"
        );
        let embeddings = Tensor::<2>::from_floats([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0], [0.9, 0.2]], &device);
        let labels = LossInputs::new()
            .with_float("embeddings", embeddings)
            .with_int("labels", Tensor::<1, Int>::from_ints([0, 0, 1, 1], &device));
        let (mean, _) = eval(r#"{"type": "contrastive", "margin": 2.0}"#, &labels);
        let (keras, _) = eval(
            r#"{"type": "contrastive", "margin": 2.0, "reduction": "mean_with_sample_weight"}"#,
            &labels,
        );
        assert_eq!(mean, keras, "on {device_name}");
    }
}

/// kornia's micro Dice is one ratio over the pooled classes, and `"skip"` averages the present
/// classes: a class absent from every target changes neither.
#[test]
fn kornia_averaging_leaves_absent_classes_out() {
    for (device_name, device) in common::test_devices() {
        let logits = Tensor::<3>::from_floats(
            [[
                [0.5, -1.0, 2.0, 0.0],
                [1.5, 0.0, -0.5, 1.0],
                [0.2, 0.3, 0.1, -0.4],
            ]],
            &device,
        );
        let target = Tensor::<2, Int>::from_ints([[0, 1, 1, 0]], &device);
        let p_target = burn::tensor::activation::softmax(logits.clone(), 1)
            .gather(1, target.clone().reshape([1, 1, 4]))
            .mean();
        let p_target = values(p_target)[0];
        let inputs = LossInputs::new()
            .with_float("input", logits)
            .with_int("target", target);
        let skip = r#"{"type": "dice", "activation": "softmax", "smooth_nr": 0.0, "smooth_dr": 1e-8,
                       "absent_classes": "skip", "reduction": "none"}"#;
        let per_class = r#"{"type": "dice", "activation": "softmax", "smooth_nr": 0.0, "smooth_dr": 1e-8,
                            "reduction": "none"}"#;
        let (skipped, shape) = eval(skip, &inputs);
        assert_eq!(shape, [1], "on {device_name}");
        let (classes, _) = eval(per_class, &inputs);
        // class 2 is absent: the mean of classes 0 and 1 only
        assert!(
            (skipped[0] - (classes[0] + classes[1]) / 2.0).abs() < 1e-6,
            "on {device_name}"
        );
        let (micro, shape) = eval(
            r#"{"type": "dice", "activation": "softmax", "average": "micro", "smooth_nr": 0.0,
                "smooth_dr": 1e-8, "reduction": "none"}"#,
            &inputs,
        );
        assert_eq!(shape, [1], "on {device_name}");
        // pooled over classes, P = G = #pixels (a softmax sums to 1): the Dice is the mean
        // probability of the target class
        assert!(
            (micro[0] - (1.0 - p_target)).abs() < 1e-6,
            "on {device_name}: {micro:?} vs {p_target}"
        );
    }
}
