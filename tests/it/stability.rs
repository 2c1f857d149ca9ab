//! Extreme inputs: finite losses and gradients for logits in [-1e4, 1e4] and every γ in
//! {0, 0.5, 1, 2, 5}; γ = 0 equals burn's own cross-entropy / BCE.

use crate::common;

use burn::nn::loss::{BinaryCrossEntropyLossConfig, CrossEntropyLossConfig};
use burn::tensor::{Int, Tensor, TensorData};
use burn_losses::{BinaryFocalLossConfig, FocalLossConfig, Reduction};

const EXTREMES: [f32; 8] = [-1e4, -1e3, -88.0, -20.0, 20.0, 88.0, 1e3, 1e4];

fn all_finite(t: Tensor<1>) -> bool {
    t.into_data().iter::<f64>().all(f64::is_finite)
}

#[test]
fn binary_focal_is_finite_at_extreme_logits() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        for gamma in [0.0, 0.5, 1.0, 2.0, 5.0] {
            for alpha in [None, Some(0.25)] {
                for smoothing in [0.0, 0.1] {
                    let loss = BinaryFocalLossConfig::new()
                        .with_gamma(gamma)
                        .with_alpha(alpha)
                        .with_label_smoothing(smoothing)
                        .with_reduction(Reduction::Sum)
                        .init(&device);
                    // every extreme logit against target 0, 1 and 0.5
                    let x: Vec<f32> = EXTREMES.iter().flat_map(|&v| [v, v, v]).collect();
                    let y: Vec<f32> = EXTREMES.iter().flat_map(|_| [0.0, 1.0, 0.5]).collect();
                    let n = x.len();
                    let x = Tensor::<1>::from_data(TensorData::new(x, [n]), &ad).require_grad();
                    let y = Tensor::<1>::from_data(TensorData::new(y, [n]), &ad);
                    let value = loss.forward(x.clone(), y);
                    let grads = value.backward();
                    let tag = format!("{name} gamma={gamma} alpha={alpha:?} smoothing={smoothing}");
                    assert!(all_finite(value), "{tag}: loss not finite");
                    assert!(all_finite(x.grad(&grads).unwrap()), "{tag}: gradient not finite");
                }
            }
        }
    }
}

#[test]
fn focal_is_finite_at_extreme_logits() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        for gamma in [0.0, 0.5, 1.0, 2.0, 5.0] {
            for smoothing in [0.0, 0.1] {
                let loss = FocalLossConfig::new()
                    .with_gamma(gamma)
                    .with_label_smoothing(smoothing)
                    .with_reduction(Reduction::Sum)
                    .init(&device);
                // rows: one extreme logit against zeros, target on it / off it
                let rows = EXTREMES.len();
                let mut x = vec![0f32; rows * 3];
                for (r, &v) in EXTREMES.iter().enumerate() {
                    x[r * 3] = v;
                    x[r * 3 + 2] = -v;
                }
                let t: Vec<i64> = (0..rows as i64).map(|r| r % 3).collect();
                let x = Tensor::<2>::from_data(TensorData::new(x, [rows, 3]), &ad).require_grad();
                let t = Tensor::<1, Int>::from_data(TensorData::new(t, [rows]), &ad);
                let value = loss.forward(x.clone(), t);
                let grads = value.backward();
                let tag = format!("{name} gamma={gamma} smoothing={smoothing}");
                assert!(all_finite(value), "{tag}: loss not finite");
                assert!(
                    all_finite(x.grad(&grads).unwrap().flatten(0, 1)),
                    "{tag}: gradient not finite"
                );
            }
        }
    }
}

fn close(a: Tensor<1>, b: Tensor<1>, tol: f64) -> (f64, f64, bool) {
    let a: f64 = a.into_scalar();
    let b: f64 = b.into_scalar();
    (a, b, (a - b).abs() <= tol * (1.0 + b.abs()))
}

#[test]
fn gamma_zero_equals_burn_cross_entropy_and_bce() {
    for (name, device) in common::test_devices() {
        let mut rng = common::cases::Lcg::new(5);
        let x: Vec<f32> = (0..40).map(|_| (rng.normal() * 3.0) as f32).collect();
        let t: Vec<i64> = (0..10).map(|_| rng.below(4) as i64).collect();
        let logits = Tensor::<2>::from_data(TensorData::new(x.clone(), [10, 4]), &device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(t.clone(), [10]), &device);
        let ours = FocalLossConfig::new()
            .with_gamma(0.0)
            .init(&device)
            .forward(logits.clone(), targets.clone());
        let burn_ce = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits.clone(), targets.clone());
        let (a, b, ok) = close(ours, burn_ce, 1e-6);
        assert!(ok, "{name}: focal(gamma=0) {a} != burn CrossEntropyLoss {b}");

        let binary_targets = Tensor::<2, Int>::from_data(
            TensorData::new(
                t.iter()
                    .flat_map(|&c| (0..4).map(move |j| (j == c) as i64))
                    .collect::<Vec<_>>(),
                [10, 4],
            ),
            &device,
        );
        let ours = BinaryFocalLossConfig::new()
            .with_gamma(0.0)
            .with_alpha(None)
            .init(&device)
            .forward(logits.clone(), binary_targets.clone().float());
        let burn_bce = BinaryCrossEntropyLossConfig::new()
            .with_logits(true)
            .init(&device)
            .forward(logits, binary_targets);
        let (a, b, ok) = close(ours, burn_bce, 1e-6);
        assert!(
            ok,
            "{name}: binary_focal(gamma=0, alpha=None) {a} != burn BinaryCrossEntropyLoss {b}"
        );
    }
}

#[test]
fn every_loss_is_finite_at_extreme_inputs() {
    use common::cases::{all_configs, evaluate, sample_inputs};
    for (name, device) in common::test_devices() {
        for (k, config) in all_configs().iter().enumerate() {
            for scale in [1e2, 1e3, 1e4] {
                let mut rng = common::cases::Lcg::new(70 + k as u64);
                let inputs = sample_inputs(config, &mut rng, scale, true);
                let (loss, grads) = evaluate(config, &inputs, &device, true);
                let tag = format!("{name} {config} at scale {scale}");
                assert!(loss.iter().all(|v| v.is_finite()), "{tag}: loss {loss:?}");
                for (input, g) in grads {
                    assert!(g.iter().all(|v| v.is_finite()), "{tag}: d/d{input} {g:?}");
                }
            }
        }
    }
}

/// Any finite exponent a config accepts computes: an integer-valued γ, α or p beyond `i64` (a
/// mutated config found by the fuzz test, `{"type": "dsc", "alpha": 18446744073709551615}`)
/// panicked inside burn, which runs integer-valued scalar powers as `i64`.
#[test]
fn huge_integer_exponents_compute() {
    use burn_losses::LossInputs;
    let (device_name, device) = common::test_devices()[0].clone();
    let huge = 18446744073709551615.0f64;
    let x = burn::tensor::Tensor::<2>::from_floats([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], &device);
    let idx = burn::tensor::Tensor::<1, burn::tensor::Int>::from_ints([2, 0], &device);
    for (json, inputs) in [
        (
            format!(r#"{{"type": "dsc", "alpha": {huge}}}"#),
            LossInputs::new()
                .with_float("input", x.clone())
                .with_int("target", idx.clone()),
        ),
        (
            format!(r#"{{"type": "focal", "gamma": {huge}}}"#),
            LossInputs::new()
                .with_float("input", x.clone())
                .with_int("target", idx.clone()),
        ),
        (
            format!(r#"{{"type": "triplet_margin", "p": {huge}}}"#),
            LossInputs::new()
                .with_float("anchor", x.clone())
                .with_float("positive", x.clone() * 0.5)
                .with_float("negative", x.clone().neg()),
        ),
    ] {
        let loss = burn_losses::LossConfig::parse(&json).unwrap().init(&device);
        let out = loss
            .forward_inputs(&inputs)
            .unwrap_or_else(|e| panic!("{json}: {e}"));
        let value: Vec<f64> = out.flat.into_data().iter::<f64>().collect();
        assert!(
            value.iter().all(|v| !v.is_nan()),
            "{json} on {device_name}: {value:?}"
        );
    }
}
