//! Forward and forward+backward time of each loss on every enabled device
//! (`cargo bench --bench losses`, `BURN_LOSSES_DEVICES=flex,wgpu` to pick devices).

use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_losses::{BinaryFocalLossConfig, FocalLossConfig};
use criterion::{Criterion, criterion_group, criterion_main};

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

fn bench(c: &mut Criterion) {
    let (n, classes) = (4096, 80);
    for (name, device) in burn_losses::device::test_devices() {
        let focal = FocalLossConfig::new().init();
        let binary = BinaryFocalLossConfig::new().init();
        let (x, t, y) = data(&device, n, classes);
        let mut g = c.benchmark_group(format!("{name}/[{n}x{classes}]"));
        g.sample_size(20);
        g.bench_function("focal forward", |b| {
            b.iter(|| focal.forward(x.clone(), t.clone()).into_scalar::<f32>())
        });
        g.bench_function("binary_focal forward", |b| {
            b.iter(|| binary.forward(x.clone(), y.clone()).into_scalar::<f32>())
        });
        let ad = device.clone().autodiff();
        let (xa, ta, ya) = data(&ad, n, classes);
        g.bench_function("focal forward+backward", |b| {
            b.iter(|| {
                let x = xa.clone().require_grad();
                let grads = focal.forward(x.clone(), ta.clone()).backward();
                x.grad(&grads).unwrap().sum().into_scalar::<f32>()
            })
        });
        g.bench_function("binary_focal forward+backward", |b| {
            b.iter(|| {
                let x = xa.clone().require_grad();
                let grads = binary.forward(x.clone(), ya.clone()).backward();
                x.grad(&grads).unwrap().sum().into_scalar::<f32>()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
