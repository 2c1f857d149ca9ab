//! User-defined losses (`burn_losses::custom`): the three ways to write one, registered by name,
//! work like a built-in loss — config by name from JSON / TOML with their own parameters, `eval`
//! with gradients, `sum` composites, `classification_loss` — and bad parameters or outputs get
//! errors naming them.

use crate::common;

use burn::tensor::{Int, Tensor};
use burn_losses::custom::{self, CustomLoss};
use burn_losses::{ClassificationLoss, LossConfig, LossInputs};
use common::cases::{HostInput, evaluate};
use serde::{Deserialize, Serialize};

fn huber(error: Tensor<2>, threshold: f64) -> Tensor<2> {
    let small = error.clone().abs().lower_equal_elem(threshold);
    let big = (error.clone().abs() - 0.5 * threshold) * threshold;
    big.mask_where(small, error.powi_scalar(2) * 0.5)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Threshold {
    threshold: f64,
}

impl Default for Threshold {
    fn default() -> Self {
        Self { threshold: 1.0 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ClassHuber {
    threshold: Option<f64>,
}

impl CustomLoss for ClassHuber {
    fn loss(&self, input: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
        huber(target - input, self.threshold.unwrap_or(1.0))
    }
}

/// A loss that returns a shape the framework does not accept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct BadShape {}

impl CustomLoss for BadShape {
    fn loss(&self, input: Tensor<2>, _target: Tensor<2>) -> Tensor<2> {
        input.sum_dim(0)
    }
}

fn register() {
    custom::register_fn("test_rmse", "rmse as a function", |x: Tensor<2>, y: Tensor<2>| {
        (x - y).powi_scalar(2).mean().sqrt().reshape([1, 1])
    });
    custom::register_fn(
        "test_per_sample_mae",
        "per-sample MAE",
        |x: Tensor<2>, y: Tensor<2>| (x - y).abs().mean_dim(1),
    );
    custom::register_with_params("test_huber", "huber wrapper", |p: Threshold| {
        move |x: Tensor<2>, y: Tensor<2>| huber(y - x, p.threshold)
    });
    custom::register::<ClassHuber>("test_class_huber", "huber class");
    custom::register::<BadShape>("test_bad_shape", "returns [1, M]");
}

fn regression_inputs() -> common::cases::HostInputs {
    let x = vec![0.5f32, -1.25, 3.0, 0.1, 2.5, -0.7];
    let y = vec![0.0f32, 0.5, 0.25, 0.1, -1.0, 0.3];
    vec![
        ("input", HostInput::Float(x, vec![2, 3])),
        ("target", HostInput::Float(y, vec![2, 3])),
        ("weight", HostInput::Float(vec![1.0, 0.5], vec![2])),
    ]
}

fn parse(json: &str) -> LossConfig {
    LossConfig::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

#[test]
fn user_losses_equal_the_builtins_they_recreate_with_gradients() {
    register();
    let unweighted: common::cases::HostInputs = regression_inputs().into_iter().take(2).collect();
    for (device_name, device) in common::test_devices() {
        for (user, builtin, inputs) in [
            (
                r#"{"type": "test_rmse"}"#,
                r#"{"type": "rmse", "epsilon": 0.0}"#,
                &unweighted,
            ),
            (
                r#"{"type": "test_huber"}"#,
                r#"{"type": "huber"}"#,
                &regression_inputs(),
            ),
            (
                r#"{"type": "test_huber", "threshold": 0.5, "reduction": "none"}"#,
                r#"{"type": "huber", "delta": 0.5, "reduction": "none"}"#,
                &regression_inputs(),
            ),
            (
                r#"{"type": "test_class_huber", "threshold": 2.0, "reduction": "sum"}"#,
                r#"{"type": "huber", "delta": 2.0, "reduction": "sum"}"#,
                &regression_inputs(),
            ),
            (
                r#"{"type": "test_per_sample_mae", "reduction": "sum"}"#,
                r#"{"type": "mae", "reduction": "sum"}"#,
                &unweighted,
            ),
        ] {
            let (a, ga) = evaluate(&parse(user), inputs, &device, true);
            let (mut b, gb) = evaluate(&parse(builtin), inputs, &device, true);
            if user.contains("per_sample") {
                // Σ of per-sample means = Σ / M of the element sum
                b = b.iter().map(|v| v / 3.0).collect();
            }
            assert_eq!(a.len(), b.len(), "{user} on {device_name}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-5, "{user} on {device_name}: {a:?} vs {b:?}");
            }
            if !user.contains("per_sample") {
                for (x, y) in ga["input"].iter().zip(&gb["input"]) {
                    assert!(
                        (x - y).abs() < 1e-5,
                        "{user} d/dinput on {device_name}: {ga:?} vs {gb:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn user_losses_come_from_json_and_toml_by_name_and_round_trip() {
    register();
    let from_toml: LossConfig =
        toml::from_str("type = \"test_huber\"\nthreshold = 2.0\nreduction = \"sum\"").unwrap();
    assert_eq!(
        from_toml,
        parse(r#"{"type": "test_huber", "threshold": 2.0, "reduction": "sum"}"#)
    );
    assert_eq!(from_toml.name(), "test_huber");
    let json = serde_json::to_string(&from_toml).unwrap();
    assert_eq!(json, r#"{"reduction":"sum","threshold":2.0,"type":"test_huber"}"#);
    assert_eq!(parse(&json), from_toml);
    // by bare name, defaults
    let loss = parse("test_class_huber").init(&burn::tensor::Device::default());
    assert_eq!(loss.name(), "test_class_huber");
    let registered: Vec<_> = custom::registered().into_iter().map(|e| e.0).collect();
    assert!(registered.contains(&"test_huber"), "{registered:?}");
    let defaults = custom::registered()
        .into_iter()
        .find(|e| e.0 == "test_huber")
        .unwrap()
        .2;
    assert_eq!(
        serde_json::Value::Object(defaults),
        serde_json::json!({"threshold": 1.0})
    );
}

#[test]
fn user_losses_compose_and_train_classifiers() {
    register();
    for (_, device) in common::test_devices() {
        let inputs = regression_inputs();
        let sum = parse(
            r#"{"type": "sum", "terms": [{"loss": {"type": "test_huber"}}, {"weight": 0.5, "loss": {"type": "mse"}}]}"#,
        );
        let (total, _) = evaluate(&sum, &inputs, &device, false);
        let (h, _) = evaluate(&parse(r#"{"type": "huber"}"#), &inputs, &device, false);
        let (m, _) = evaluate(&parse(r#"{"type": "mse"}"#), &inputs, &device, false);
        assert!(
            (total[0] - (h[0] + 0.5 * m[0])).abs() < 1e-5,
            "{total:?} {h:?} {m:?}"
        );

        // classification_loss: one-hot targets, like the built-in huber
        let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
        let targets = Tensor::<1, Int>::from_ints([0, 2], &device);
        let user = parse("test_huber")
            .init(&device)
            .classification_loss(logits.clone(), targets.clone())
            .unwrap();
        let builtin = parse("huber")
            .init(&device)
            .classification_loss(logits, targets)
            .unwrap();
        let (a, b) = (user.into_scalar::<f32>(), builtin.into_scalar::<f32>());
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn bad_user_parameters_and_outputs_are_named() {
    register();
    let err = LossConfig::parse(r#"{"type": "test_huber", "treshold": 2.0}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("test_huber: config field `parameters`: expected the fields of the registered loss, got unknown field `treshold`, expected `threshold`"),
        "{err}"
    );
    let err = LossConfig::parse(r#"{"type": "test_huber", "threshold": "big"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("invalid type: string \"big\", expected f64"),
        "{err}"
    );
    let err = LossConfig::parse(r#"{"type": "test_huber", "reduction": "avg"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("test_huber config: expected reduction \"none\", \"mean\" or \"sum\""),
        "{err}"
    );
    let err = LossConfig::parse(r#"{"type": "test_huber", "reduction": "mean_with_sample_weight"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "test_huber config: expected reduction \"none\", \"mean\" or \"sum\", got \"mean_with_sample_weight\" \
             (Keras's reduction is for the built-in losses)"
        ),
        "{err}"
    );
    let err = LossConfig::parse(r#"{"type": "not_registered"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("loss name: expected one of [\"binary_focal\"") && err.contains("\"test_huber\""),
        "{err}"
    );
    assert!(err.ends_with(r#"got "not_registered""#), "{err}");
    let err = LossConfig::parse("not_registered").unwrap_err().to_string();
    assert!(err.ends_with(r#"got "not_registered""#), "{err}");

    let device = &common::test_devices()[0].1;
    let loss = parse("test_bad_shape").init(device);
    let inputs = LossInputs::new()
        .with_float("input", Tensor::<2>::zeros([2, 3], device))
        .with_float("target", Tensor::<2>::zeros([2, 3], device));
    let err = loss.forward_inputs(&inputs).unwrap_err().to_string();
    assert_eq!(
        err,
        "test_bad_shape: argument `input`: expected the user loss to return [2, 3], [2, 1] or [1, 1] for inputs [2, 3], got [1, 3]"
    );
    let inputs = LossInputs::new()
        .with_float("input", Tensor::<2>::zeros([2, 3], device))
        .with_float("target", Tensor::<2>::zeros([3, 2], device));
    let err = parse("test_huber")
        .init(device)
        .forward_inputs(&inputs)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "test_huber: argument `target`: expected the shape of `input` [2, 3], got [3, 2]"
    );
}

#[test]
#[should_panic(expected = "custom loss `focal`: the name of a built-in loss")]
fn a_builtin_name_cannot_be_registered() {
    custom::register_fn("focal", "clash", |x: Tensor<2>, _y: Tensor<2>| x);
}
