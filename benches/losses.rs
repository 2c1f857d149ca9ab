//! Forward and forward+backward time of each loss on every enabled device
//! (`cargo bench --bench losses`, `BURN_LOSSES_DEVICES=flex,wgpu` to pick devices), through the
//! config-driven `Loss::forward_inputs` every user path shares.

use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_losses::{LossConfig, LossInputs};
use criterion::{Criterion, criterion_group, criterion_main};

/// Logits `[n, c]`, class indices `[n]`, multi-label 0/1 targets `[n, c]`.
fn data(device: &Device, n: usize, c: usize) -> (Tensor<2>, Tensor<1, Int>, Tensor<2>) {
    let logits: Vec<f32> = (0..n * c)
        .map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    let classes: Vec<i64> = (0..n).map(|i| ((i * 31) % c) as i64).collect();
    let multi: Vec<f32> = (0..n * c).map(|i| ((i * 13) % 5 == 0) as u8 as f32).collect();
    (
        Tensor::from_data(TensorData::new(logits, [n, c]), device),
        Tensor::from_data(TensorData::new(classes, [n]), device),
        Tensor::from_data(TensorData::new(multi, [n, c]), device),
    )
}

/// Benchmarked configurations: (label, config JSON, whether the target is class indices).
fn configs(classes: usize) -> Vec<(&'static str, String, bool)> {
    let counts: Vec<String> = (0..classes).map(|c| (1000 / (c + 1)).to_string()).collect();
    let cb = |base: &str| {
        format!(
            r#"{{"type": "class_balanced", "samples_per_class": [{}], "base": "{base}"}}"#,
            counts.join(", ")
        )
    };
    vec![
        ("focal", r#"{"type": "focal"}"#.to_string(), true),
        ("binary_focal", r#"{"type": "binary_focal"}"#.to_string(), false),
        ("class_balanced softmax", cb("softmax"), true),
        ("class_balanced focal", cb("focal"), true),
        ("class_balanced softmax_bce", cb("softmax_bce"), true),
        (
            "bce pos_weight",
            r#"{"type": "bce", "pos_weight": [3.0]}"#.to_string(),
            false,
        ),
        ("balanced_bce", r#"{"type": "balanced_bce"}"#.to_string(), false),
        (
            "ghm_c",
            r#"{"type": "ghm_c", "bins": 30, "momentum": 0.75}"#.to_string(),
            false,
        ),
        ("ghm_r", r#"{"type": "ghm_r"}"#.to_string(), false),
        ("dsc", r#"{"type": "dsc"}"#.to_string(), true),
    ]
}

/// Segmentation losses on logits `[N, C, H, W]` and class indices `[N, H, W]`.
const DENSE: [(&str, &str); 7] = [
    ("dice softmax", r#"{"type": "dice", "activation": "softmax"}"#),
    (
        "generalized_dice",
        r#"{"type": "generalized_dice", "activation": "softmax"}"#,
    ),
    (
        "tversky",
        r#"{"type": "tversky", "activation": "softmax", "alpha": 0.3, "beta": 0.7}"#,
    ),
    (
        "focal_tversky",
        r#"{"type": "focal_tversky", "activation": "softmax"}"#,
    ),
    (
        "log_cosh_dice",
        r#"{"type": "log_cosh_dice", "activation": "softmax"}"#,
    ),
    ("lovasz softmax", r#"{"type": "lovasz"}"#),
    (
        "sum dice + cross-entropy",
        r#"{"type": "sum", "terms": [{"loss": {"type": "dice", "activation": "softmax"}}, {"loss": {"type": "focal", "gamma": 0.0}}]}"#,
    ),
];

/// Dense logits `[n, c, h, w]` and class indices `[n, h, w]`.
fn dense_data(device: &Device, [n, c, h, w]: [usize; 4]) -> (Tensor<4>, Tensor<3, Int>) {
    let logits: Vec<f32> = (0..n * c * h * w)
        .map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    let classes: Vec<i64> = (0..n * h * w).map(|i| ((i * 31 + i / w) % c) as i64).collect();
    (
        Tensor::from_data(TensorData::new(logits, [n, c, h, w]), device),
        Tensor::from_data(TensorData::new(classes, [n, h, w]), device),
    )
}

fn bench_dense(c: &mut Criterion) {
    let shape = [8, 4, 64, 64];
    for (name, device) in burn_losses::device::test_devices() {
        let mut g = c.benchmark_group(format!("{name}/dense{shape:?}"));
        g.sample_size(10);
        let (x, t) = dense_data(&device, shape);
        let ad = device.clone().autodiff();
        let (xa, ta) = dense_data(&ad, shape);
        for (label, json) in DENSE {
            let loss = LossConfig::parse(json).unwrap().init(&device);
            g.bench_function(format!("{label} forward"), |b| {
                b.iter(|| {
                    loss.dense_loss(x.clone(), t.clone())
                        .unwrap()
                        .into_scalar::<f32>()
                })
            });
            g.bench_function(format!("{label} forward+backward"), |b| {
                b.iter(|| {
                    let x = xa.clone().require_grad();
                    let grads = loss.dense_loss(x.clone(), ta.clone()).unwrap().backward();
                    x.grad(&grads).unwrap().sum().into_scalar::<f32>()
                })
            });
        }
        g.finish();
    }
}

fn bench(c: &mut Criterion) {
    let (n, classes) = (4096, 80);
    for (name, device) in burn_losses::device::test_devices() {
        let mut g = c.benchmark_group(format!("{name}/[{n}x{classes}]"));
        g.sample_size(20);
        let (x, t, y) = data(&device, n, classes);
        let ad = device.clone().autodiff();
        let (xa, ta, ya) = data(&ad, n, classes);
        for (label, json, class_target) in configs(classes) {
            let loss = LossConfig::parse(&json).unwrap().init(&device);
            let inputs = |x: Tensor<2>, t: &Tensor<1, Int>, y: &Tensor<2>| {
                let inputs = LossInputs::new().with_float("input", x);
                if class_target {
                    inputs.with_int("target", t.clone())
                } else {
                    inputs.with_float("target", y.clone())
                }
            };
            g.bench_function(format!("{label} forward"), |b| {
                b.iter(|| {
                    let out = loss.forward_inputs(&inputs(x.clone(), &t, &y)).unwrap();
                    out.flat.sum().into_scalar::<f32>()
                })
            });
            g.bench_function(format!("{label} forward+backward"), |b| {
                b.iter(|| {
                    let x = xa.clone().require_grad();
                    let out = loss.forward_inputs(&inputs(x.clone(), &ta, &ya)).unwrap();
                    let grads = out.flat.sum().backward();
                    x.grad(&grads).unwrap().sum().into_scalar::<f32>()
                })
            });
        }
        g.finish();
    }
}

/// The value checks (class indices in range, targets in `[0, 1]`: one device read-back each)
/// against `set_trusted_inputs(true)`, forward+backward, on every device
/// (`cargo bench --bench losses -- checks`).
fn bench_checks(c: &mut Criterion) {
    let (n, classes) = (4096, 80);
    for (name, device) in burn_losses::device::test_devices() {
        let mut g = c.benchmark_group(format!("{name}/checks [{n}x{classes}]"));
        g.sample_size(20);
        let ad = device.clone().autodiff();
        let (xa, ta, ya) = data(&ad, n, classes);
        for (label, json, class_target) in [
            ("focal", r#"{"type": "focal"}"#, true),
            ("bce", r#"{"type": "bce"}"#, false),
        ] {
            let loss = LossConfig::parse(json).unwrap().init(&device);
            for trusted in [false, true] {
                let id = format!(
                    "{label} forward+backward, {}",
                    if trusted { "trusted" } else { "checked" }
                );
                g.bench_function(id, |b| {
                    let previous = burn_losses::set_trusted_inputs(trusted);
                    b.iter(|| {
                        let x = xa.clone().require_grad();
                        let inputs = LossInputs::new().with_float("input", x.clone());
                        let inputs = if class_target {
                            inputs.with_int("target", ta.clone())
                        } else {
                            inputs.with_float("target", ya.clone())
                        };
                        let grads = loss.forward_inputs(&inputs).unwrap().flat.sum().backward();
                        x.grad(&grads).unwrap().sum().into_scalar::<f32>()
                    });
                    burn_losses::set_trusted_inputs(previous);
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench, bench_dense, bench_checks);
criterion_main!(benches);
