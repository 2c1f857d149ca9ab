//! The fused path through the loss modules against the composed path on the same tensors: the
//! CPU backends with kernels (plain, autodiff, autodiff with checkpointing), every reduction,
//! non-contiguous inputs, and a downstream op whose gradient reaches the kernel per element.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::fused::{applies, set_fused_kernels};
use crate::{
    Activation, BalancedBceLossConfig, BceLossConfig, BinaryFocalLossConfig, ClassBalancedLossConfig,
    CrossEntropyLossConfig, DiceLossConfig, DynInput, DynTensor, FocalLossConfig, GeneralizedDiceLossConfig,
    LossConfig, LossInputs, Reduction, TverskyLossConfig,
};

/// The CPU devices with kernels in this build, each plain and with autodiff (with and without
/// checkpointing).
#[allow(clippy::vec_init_then_push)] // one push per enabled backend feature
fn devices() -> Vec<Device> {
    let mut base = Vec::new();
    #[cfg(feature = "flex")]
    base.push(Device::flex());
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)] // burn 0.22 deprecates burn-ndarray; it is still one of this crate's backends
    base.push(Device::ndarray());
    base.into_iter()
        .flat_map(|d| {
            [
                d.clone(),
                d.clone().autodiff(),
                d.autodiff().gradient_checkpointing(),
            ]
        })
        .collect()
}

const N: usize = 37;
const C: usize = 6;
const S: usize = 5;

/// `[N, C, S]` logits up to ±30 (±300 with `wide`).
fn logits(device: &Device, wide: bool) -> Tensor<3> {
    let scale = if wide { 600.0 } else { 60.0 };
    let x: Vec<f32> = (0..N * C * S)
        .map(|i| ((i * 7919) % 997) as f32 / 997.0 * scale - scale / 2.0)
        .collect();
    Tensor::from_data(TensorData::new(x, [N, C, S]), device)
}

/// The arguments of `config` besides `input`: binary targets `[N, C, S]`, class indices `[N, S]`
/// (some -100), or class indices `[N]` with an `[N, C]` input (class-balanced).
fn arguments(config: &LossConfig, device: &Device) -> Vec<(&'static str, DynInput)> {
    match config {
        LossConfig::Bce(_) | LossConfig::BalancedBce(_) | LossConfig::BinaryFocal(_) => {
            let y: Vec<f32> = (0..N * C * S).map(|i| [0.0, 1.0, 0.3, 1.0, 0.0][i % 5]).collect();
            let y = Tensor::<3>::from_data(TensorData::new(y, [N, C, S]), device);
            vec![("target", DynInput::Float(DynTensor::from_tensor(y)))]
        }
        LossConfig::ClassBalanced(_) => {
            let t: Vec<i64> = (0..N).map(|i| ((i * 5) % C) as i64).collect();
            let t = Tensor::<1, Int>::from_data(TensorData::new(t, [N]), device);
            vec![("target", DynInput::Int(DynTensor::from_tensor(t)))]
        }
        _ => {
            let ignore =
                matches!(config, LossConfig::Dice(_)) || matches!(config, LossConfig::CrossEntropy(_));
            let t: Vec<i64> = (0..N * S)
                .map(|i| {
                    if ignore && i % 9 == 4 {
                        -100
                    } else {
                        ((i * 5) % C) as i64
                    }
                })
                .collect();
            let t = Tensor::<2, Int>::from_data(TensorData::new(t, [N, S]), device);
            let mut args = vec![("target", DynInput::Int(DynTensor::from_tensor(t)))];
            if matches!(config, LossConfig::Tversky(_)) {
                let m: Vec<f32> = (0..N * S).map(|i| (i % 3) as f32 / 2.0).collect();
                let m = Tensor::<2>::from_data(TensorData::new(m, [N, S]), device);
                args.push(("mask", DynInput::Float(DynTensor::from_tensor(m))));
            }
            args
        }
    }
}

fn configs() -> Vec<LossConfig> {
    let mut out = Vec::new();
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        out.push(LossConfig::BinaryFocal(
            BinaryFocalLossConfig::new().with_reduction(reduction),
        ));
        out.push(LossConfig::BinaryFocal(
            BinaryFocalLossConfig::new()
                .with_gamma(0.7)
                .with_alpha(None)
                .with_label_smoothing(0.1)
                .with_reduction(reduction),
        ));
        out.push(LossConfig::Bce(
            BceLossConfig::new()
                .with_pos_weight(Some(vec![0.5, 1.0, 2.0, 3.0, 4.0]))
                .with_label_smoothing(0.05)
                .with_reduction(reduction),
        ));
        out.push(LossConfig::BalancedBce(
            BalancedBceLossConfig::new().with_reduction(reduction),
        ));
        out.push(LossConfig::BalancedBce(
            BalancedBceLossConfig::new()
                .with_beta(Some(0.3))
                .with_reduction(reduction),
        ));
        out.push(LossConfig::Focal(
            FocalLossConfig::new().with_reduction(reduction),
        ));
        out.push(LossConfig::Focal(
            FocalLossConfig::new()
                .with_gamma(0.5)
                .with_alpha(Some(vec![0.5, 1.0, 2.0, 1.5, 0.25, 1.0]))
                .with_label_smoothing(0.1)
                .with_reduction(reduction),
        ));
        out.push(LossConfig::CrossEntropy(
            CrossEntropyLossConfig::new()
                .with_weight(Some(vec![0.5, 1.0, 2.0, 1.5, 0.25, 1.0]))
                .with_reduction(reduction),
        ));
        out.push(LossConfig::CrossEntropy(
            CrossEntropyLossConfig::new()
                .with_label_smoothing(0.2)
                .with_reduction(reduction),
        ));
        out.push(LossConfig::ClassBalanced(
            ClassBalancedLossConfig::new(vec![500, 200, 100, 50, 20, 10]).with_reduction(reduction),
        ));
        let mut dice = DiceLossConfig::new();
        dice.activation = Activation::Softmax;
        dice.ignore_index = Some(-100);
        dice.include_background = false;
        dice.squared_pred = true;
        dice.reduction = reduction;
        out.push(LossConfig::Dice(dice));
        let mut tversky = TverskyLossConfig::new();
        tversky.activation = Activation::Sigmoid;
        tversky.alpha = 0.3;
        tversky.beta = 0.7;
        tversky.batch = true;
        tversky.reduction = reduction;
        out.push(LossConfig::Tversky(tversky));
        let mut generalized = GeneralizedDiceLossConfig::new();
        generalized.activation = Activation::Softmax;
        generalized.reduction = reduction;
        out.push(LossConfig::GeneralizedDice(generalized));
    }
    out
}

/// Loss values and input gradient, fused or composed, in f32 or (`f64`, the reference: no
/// kernel takes f64) in f64. The input is the permutation of a `[S, C, N]` tensor (not
/// contiguous) — `[N, C]` for class-balanced — and the loss is weighted per element before the
/// backward (a per-element upstream gradient for `"none"`).
fn run(
    config: &LossConfig,
    device: &Device,
    fused: bool,
    wide: bool,
    f64: bool,
) -> (Vec<f64>, Option<Vec<f64>>) {
    let previous = set_fused_kernels(fused);
    let x = logits(device, wide);
    let x = if f64 { x.cast(burn::tensor::DType::F64) } else { x };
    let x = if matches!(config, LossConfig::ClassBalanced(_)) {
        x.narrow(2, 0, 1).reshape([N, C, 1])
    } else {
        x
    };
    let dims = x.dims();
    let leaf = x.permute([2, 1, 0]);
    let leaf = if device.is_autodiff() {
        leaf.require_grad()
    } else {
        leaf
    };
    let input = leaf.clone().permute([2, 1, 0]);
    let input = if matches!(config, LossConfig::ClassBalanced(_)) {
        DynTensor::new(input.reshape([-1]), vec![dims[0], dims[1]])
    } else {
        DynTensor::from_tensor(input)
    };
    let mut inputs = LossInputs::new();
    inputs.insert("input", DynInput::Float(input));
    for (name, value) in arguments(config, device) {
        let value = match value {
            DynInput::Float(t) if f64 => {
                DynInput::Float(DynTensor::new(t.flat.cast(burn::tensor::DType::F64), t.shape))
            }
            other => other,
        };
        inputs.insert(name, value);
    }
    let loss = config
        .init(device)
        .forward_inputs(&inputs)
        .expect("valid inputs")
        .flat;
    let numel = loss.dims()[0];
    let weights: Vec<f32> = (0..numel).map(|i| 1.0 + 0.25 * i as f32).collect();
    let weights = Tensor::<1>::from_data(TensorData::new(weights, [numel]), (device, loss.dtype()));
    let values = |t: Tensor<1>| t.into_data().iter::<f64>().collect::<Vec<f64>>();
    let grad = if device.is_autodiff() {
        let grads = (loss.clone() * weights).sum().backward();
        Some(values(leaf.grad(&grads).expect("input gradient").reshape([-1])))
    } else {
        None
    };
    set_fused_kernels(previous);
    (values(loss), grad)
}

/// Fused f32 against the f64 reference: within 2e-5 relative (the entry, or 1e-3 of the
/// tensor's largest), or at most twice the composed f32 path's own error on that entry (a
/// gradient that cancels terms larger than itself is only as exact as f32 makes those terms).
fn assert_close(what: &str, fused: &[f64], composed: &[f64], reference: &[f64]) {
    assert_eq!(fused.len(), reference.len(), "{what}: lengths");
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, ((f, c), r)) in fused.iter().zip(composed).zip(reference).enumerate() {
        let error = (f - r).abs();
        assert!(
            error <= 2e-5 * r.abs().max(1e-3 * scale) + 1e-7 || error <= 2.0 * (c - r).abs(),
            "{what}[{i}]: fused {f} vs f64 {r} (composed f32 {c})"
        );
    }
}

#[test]
fn fused_matches_composed_through_the_modules() {
    let devices = devices();
    assert!(!devices.is_empty());
    for device in &devices {
        for config in configs() {
            for wide in [false, true] {
                let (fused_loss, fused_grad) = run(&config, device, true, wide, false);
                let (loss, grad) = run(&config, device, false, wide, false);
                let (reference_loss, reference_grad) = run(&config, device, false, wide, true);
                let what = format!("{device:?} {config} wide {wide}");
                assert_close(&format!("{what} loss"), &fused_loss, &loss, &reference_loss);
                if let (Some(fused_grad), Some(grad), Some(reference_grad)) =
                    (fused_grad, grad, reference_grad)
                {
                    assert_close(&format!("{what} grad"), &fused_grad, &grad, &reference_grad);
                }
            }
        }
    }
}

#[test]
fn not_applied_to_other_dtypes_or_tracked_constants() {
    for device in devices().into_iter().filter(Device::is_autodiff) {
        let x = logits(&device, false).reshape([-1]);
        let y = burn::tensor::activation::sigmoid(x.clone().detach());
        assert!(applies(&x, &[&y]));
        assert!(!applies(&x, &[&y.clone().require_grad()]));
        // a target computed from a tracked tensor (a cast, a sigmoid of another output) is tracked
        // without requiring grad itself: its gradient must flow, so the composed path takes it
        let tracked = burn::tensor::activation::sigmoid(y.clone().require_grad());
        assert!(!tracked.is_require_grad() && tracked.is_tracked());
        assert!(!applies(&x, &[&tracked]));
        assert!(!applies(&x.clone().cast(burn::tensor::DType::F64), &[&y]));
        let previous = set_fused_kernels(false);
        assert!(!applies(&x, &[&y]));
        set_fused_kernels(previous);
    }
}

/// The kernels' own value checks give the composed checks' errors.
#[test]
fn fused_value_checks_match_the_composed_messages() {
    for device in devices() {
        let x = logits(&device, false);
        let bad_target = Tensor::<2, Int>::from_data(TensorData::new(vec![7i64; N * S], [N, S]), &device);
        let config = LossConfig::Focal(FocalLossConfig::new());
        let message = |fused: bool| {
            let previous = set_fused_kernels(fused);
            let inputs = LossInputs::new()
                .with_float("input", x.clone())
                .with_int("target", bad_target.clone());
            let err = config
                .init(&device)
                .forward_inputs(&inputs)
                .unwrap_err()
                .to_string();
            set_fused_kernels(previous);
            err
        };
        assert_eq!(message(true), message(false));
        let bce = LossConfig::Bce(BceLossConfig::new());
        let y = Tensor::<3>::from_data(TensorData::new(vec![1.5f32; N * C * S], [N, C, S]), &device);
        let message = |fused: bool| {
            let previous = set_fused_kernels(fused);
            let inputs = LossInputs::new()
                .with_float("input", x.clone())
                .with_float("target", y.clone());
            let err = bce.init(&device).forward_inputs(&inputs).unwrap_err().to_string();
            set_fused_kernels(previous);
            err
        };
        assert_eq!(message(true), message(false));
    }
}
