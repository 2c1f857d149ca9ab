//! User-defined losses, the three ways of the TensorFlow 2 guide (Arjun Sarkar, "Creating custom loss functions using TensorFlow 2"), in Rust: a function
//! (`my_rmse`, `my_huber_loss` with threshold 1), a wrapper function with a parameter
//! (`my_huber_loss_with_threshold(threshold)`, `contrastive_loss_with_margin(margin)`) and a
//! struct ("class" `MyHuberLoss`). Each is registered under a name, then used exactly like a
//! built-in loss — a `LossConfig` from JSON and TOML, a `sum` composite, `eval` (the CLI's JSON
//! path, with gradients), the Learner adapter's `classification_loss` — and checked against the
//! built-in loss it re-creates.
//!
//! ```text
//! cargo run --example custom_losses
//! ```

use burn::tensor::{Device, Int, Tensor};
use burn_losses::custom::{self, CustomLoss};
use burn_losses::{ClassificationLoss, LossConfig, LossInputs};
use clap::Parser;
use serde::{Deserialize, Serialize};

/// (1) the TensorFlow 2 custom-loss guide's `my_rmse`: `sqrt(mean(square(y_true − y_pred)))`, one value for the batch.
fn my_rmse(y_pred: Tensor<2>, y_true: Tensor<2>) -> Tensor<2> {
    (y_true - y_pred).powi_scalar(2).mean().sqrt().reshape([1, 1])
}

/// The Huber function of the TensorFlow 2 custom-loss guide: `½e²` where `|e| ≤ threshold`, `threshold·(|e| − ½threshold)`
/// elsewhere, element-wise.
fn huber_with_threshold(y_pred: Tensor<2>, y_true: Tensor<2>, threshold: f64) -> Tensor<2> {
    let error = y_true - y_pred;
    let is_small_error = error.clone().abs().lower_equal_elem(threshold);
    let small_error_loss = error.clone().powi_scalar(2) * 0.5;
    let big_error_loss = (error.abs() - 0.5 * threshold) * threshold;
    big_error_loss.mask_where(is_small_error, small_error_loss)
}

/// (1) the TensorFlow 2 custom-loss guide's `my_huber_loss` (threshold 1).
fn my_huber_loss(y_pred: Tensor<2>, y_true: Tensor<2>) -> Tensor<2> {
    huber_with_threshold(y_pred, y_true, 1.0)
}

/// The parameter of the wrappers.
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

/// (2) the TensorFlow 2 custom-loss guide's wrapper `my_huber_loss_with_threshold(threshold)`: returns the loss function.
fn my_huber_loss_with_threshold(p: Threshold) -> impl Fn(Tensor<2>, Tensor<2>) -> Tensor<2> {
    move |y_pred, y_true| huber_with_threshold(y_pred, y_true, p.threshold)
}

/// The parameter of the contrastive wrapper.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Margin {
    margin: f64,
}

impl Default for Margin {
    fn default() -> Self {
        Self { margin: 1.0 }
    }
}

/// (2) the TensorFlow 2 custom-loss guide's `contrastive_loss_with_margin(margin)` on predicted distances `y_pred` and
/// similarity labels `y_true` (1 = similar): `y·d² + (1 − y)·max(margin − d, 0)²`, mean.
fn contrastive_loss_with_margin(p: Margin) -> impl Fn(Tensor<2>, Tensor<2>) -> Tensor<2> {
    move |y_pred, y_true| {
        let square_pred = y_pred.clone().powi_scalar(2);
        let margin_square = (y_pred.neg() + p.margin).clamp_min(0.0).powi_scalar(2);
        y_true.clone() * square_pred + (y_true.neg() + 1.0) * margin_square
    }
}

/// (3) the TensorFlow 2 custom-loss guide's class `MyHuberLoss(threshold)`: the struct's fields are its parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MyHuberLoss {
    threshold: f64,
}

impl Default for MyHuberLoss {
    fn default() -> Self {
        Self { threshold: 1.0 }
    }
}

impl CustomLoss for MyHuberLoss {
    fn loss(&self, y_pred: Tensor<2>, y_true: Tensor<2>) -> Tensor<2> {
        huber_with_threshold(y_pred, y_true, self.threshold)
    }
}

/// Registers the five losses (a program does this once, at start-up).
fn register_all() {
    custom::register_fn(
        "my_rmse",
        "the TensorFlow 2 custom-loss guide's my_rmse (a function)",
        my_rmse,
    );
    custom::register_fn(
        "my_huber_loss",
        "the TensorFlow 2 custom-loss guide's my_huber_loss, threshold 1 (a function)",
        my_huber_loss,
    );
    custom::register_with_params(
        "my_huber_loss_with_threshold",
        "the TensorFlow 2 custom-loss guide's wrapper my_huber_loss_with_threshold(threshold)",
        my_huber_loss_with_threshold,
    );
    custom::register_with_params(
        "contrastive_loss_with_margin",
        "the TensorFlow 2 custom-loss guide's wrapper contrastive_loss_with_margin(margin)",
        contrastive_loss_with_margin,
    );
    custom::register::<MyHuberLoss>(
        "my_huber_class",
        "the TensorFlow 2 custom-loss guide's class MyHuberLoss(threshold)",
    );
}

/// User-defined losses from the TensorFlow 2 custom-loss guide, registered and checked against the built-ins.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Device: flex, ndarray, wgpu, tch or cuda (those built in).
    #[arg(long, default_value = "flex")]
    device: String,
}

/// Runs `config` on `inputs` through `eval` (the CLI's path) and returns the loss.
fn eval_loss(config: &str, inputs: serde_json::Value, device: &Device) -> f64 {
    let request: burn_losses::eval::EvalRequest = serde_json::from_value(serde_json::json!({
        "loss": serde_json::from_str::<serde_json::Value>(config).unwrap(),
        "inputs": inputs,
        "grad": true,
    }))
    .unwrap();
    let response =
        burn_losses::eval::eval_request(&request, device).unwrap_or_else(|e| panic!("{config}: {e}"));
    response.loss.as_f64().unwrap()
}

fn main() {
    let args = Args::parse();
    let device = burn_losses::device::parse_device(&args.device).unwrap_or_else(|e| {
        eprintln!("error: --device: {e}");
        std::process::exit(2)
    });
    register_all();

    // The guide's regression data y = 2x − 1, predicted by the line 1.5x + 0.5: errors from −2
    // to 0.5, on both sides of every threshold below.
    let xs = [-1.0f32, 0.0, 1.0, 2.0, 3.0, 4.0];
    let y_true: Vec<f32> = xs.iter().map(|x| 2.0 * x - 1.0).collect();
    let y_pred: Vec<f32> = xs.iter().map(|x| 1.5 * x + 0.5).collect();
    let regression = serde_json::json!({"input": y_pred, "target": y_true});
    // contrastive: distances and similarity labels
    let distances = serde_json::json!({"input": [0.2, 1.4, 0.7, 0.1, 2.0, 0.9], "target": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]});
    let distance_form = serde_json::json!({"distance": [0.2, 1.4, 0.7, 0.1, 2.0, 0.9], "target": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]});

    let checks = [
        (
            r#"{"type": "my_rmse"}"#,
            &regression,
            r#"{"type": "rmse", "epsilon": 0.0}"#,
            &regression,
        ),
        (
            r#"{"type": "my_huber_loss"}"#,
            &regression,
            r#"{"type": "huber"}"#,
            &regression,
        ),
        (
            r#"{"type": "my_huber_loss_with_threshold", "threshold": 0.5}"#,
            &regression,
            r#"{"type": "huber", "delta": 0.5}"#,
            &regression,
        ),
        (
            r#"{"type": "my_huber_class", "threshold": 2.0}"#,
            &regression,
            r#"{"type": "huber", "delta": 2.0}"#,
            &regression,
        ),
        (
            r#"{"type": "contrastive_loss_with_margin", "margin": 1.5}"#,
            &distances,
            r#"{"type": "contrastive", "margin": 1.5}"#,
            &distance_form,
        ),
    ];
    println!(
        "{:<58} {:>12} {:>12} {:>10}",
        "user-defined loss (eval, the CLI's path)", "value", "built-in", "|diff|"
    );
    let mut worst = 0.0f64;
    for (custom, inputs, builtin, builtin_inputs) in checks {
        let a = eval_loss(custom, inputs.clone(), &device);
        let b = eval_loss(builtin, builtin_inputs.clone(), &device);
        worst = worst.max((a - b).abs());
        println!("{custom:<58} {a:>12.6} {b:>12.6} {:>10.1e}", (a - b).abs());
    }
    assert!(
        worst < 1e-5,
        "a user-defined loss disagrees with its built-in: {worst}"
    );

    // From a TOML training config, by name, with its own parameter.
    let toml_config: LossConfig =
        toml::from_str("type = \"my_huber_class\"\nthreshold = 2.0\nreduction = \"sum\"").unwrap();
    println!("\nfrom TOML: {toml_config}");
    let x = Tensor::<2>::from_floats([[0.5, -1.0, 3.0]], &device);
    let y = Tensor::<2>::from_floats([[0.0, 0.0, 0.0]], &device);
    let value = toml_config
        .init(&device)
        .forward_inputs(&LossInputs::new().with_float("input", x).with_float("target", y))
        .unwrap();
    println!(
        "  sum over [0.5, -1, 3] = {:.4} (0.125 + 0.5 + 2·(3 − 1) = 4.625)",
        value.flat.into_scalar::<f32>()
    );

    // A composite: the user's Huber plus half the built-in MSE.
    let sum = r#"{"type": "sum", "terms": [{"loss": {"type": "my_huber_loss"}}, {"weight": 0.5, "loss": {"type": "mse"}}]}"#;
    let total = eval_loss(sum, regression.clone(), &device);
    let parts = eval_loss(r#"{"type": "huber"}"#, regression.clone(), &device)
        + 0.5 * eval_loss(r#"{"type": "mse"}"#, regression.clone(), &device);
    println!("sum composite: {total:.6} = huber + 0.5·mse = {parts:.6}");
    assert!((total - parts).abs() < 1e-5);

    // The Learner adapter's classification loss (one-hot targets for a user loss).
    let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
    let targets = Tensor::<1, Int>::from_ints([0, 2], &device);
    let loss = LossConfig::parse(r#"{"type": "my_huber_class"}"#)
        .unwrap()
        .init(&device);
    let train_loss = loss.classification_loss(logits, targets).unwrap();
    println!(
        "classification_loss (one-hot targets): {:.6}",
        train_loss.into_scalar::<f32>()
    );

    // A bad parameter is reported when the config is read.
    let err = LossConfig::parse(r#"{"type": "my_huber_class", "treshold": 2.0}"#).unwrap_err();
    println!("bad field: {err}");
    println!(
        "\nregistered: {:?}",
        custom::registered().iter().map(|e| e.0).collect::<Vec<_>>()
    );
}
