//! Cross-backend parity: every loss configuration (`common::cases::all_configs`), random inputs
//! with per-sample weights, forward value and input gradients on every enabled device agree with
//! the first enabled device within 1e-5 relative (f32), or within a few f32 roundings of the
//! tensor's largest entry for entries that are differences of such entries. Prints the worst
//! disagreement per loss.
//! With a single backend compiled in there is nothing to compare and the test says so.

mod common;

use std::collections::BTreeMap;

use common::cases::{Lcg, all_configs, evaluate, sample_inputs};

const RTOL: f64 = 1e-5;

/// Loss values and gradients (by input name) on one device.
fn run(
    config: &burn_losses::LossConfig,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
) -> Vec<(String, Vec<f64>)> {
    let (loss, grads) = evaluate(config, inputs, device, true);
    std::iter::once(("loss".to_string(), loss))
        .chain(grads.into_iter().map(|(name, g)| (format!("d/d{name}"), g)))
        .collect()
}

/// An absolute floor of 4 f32 roundings of the tensor's largest entry: an entry that is the
/// difference of entries of that size (a gradient that sums terms of both signs: softmax over
/// similarities, L2 normalisation, a row that cancels to zero) cannot agree better across
/// backends that add in another order. Measured worst for such entries: 1.3 roundings (supcon).
const ROUNDINGS: f64 = 4.0 * f32::EPSILON as f64;

/// Largest |a − b| / max(|b|, 1e-3 · max|b| of the tensor, 1e-7), with the entries within
/// [`ROUNDINGS`] · max|b| of each other counted as agreeing (gap 0).
fn relative_gap(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .filter(|(x, y)| (*x - *y).abs() > ROUNDINGS * scale)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-3 * scale).max(1e-7))
        .fold(0.0, f64::max)
}

#[test]
fn every_loss_agrees_across_backends() {
    let devices = common::test_devices();
    if devices.len() < 2 {
        println!(
            "parity: only {:?} enabled; build with more backend features to compare",
            devices.iter().map(|d| d.0).collect::<Vec<_>>()
        );
        return;
    }
    let (ref_name, ref_device) = &devices[0];
    let mut worst: BTreeMap<String, (f64, String)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (k, config) in all_configs().iter().enumerate() {
        for (scale, seed) in [(1.0, 1u64), (4.0, 2u64)] {
            let mut rng = Lcg::new(1000 + 10 * k as u64 + seed);
            let inputs = sample_inputs(config, &mut rng, scale, true);
            let reference = run(config, &inputs, ref_device);
            for (name, device) in &devices[1..] {
                for ((what, got), (_, want)) in run(config, &inputs, device).iter().zip(&reference) {
                    let gap = relative_gap(got, want);
                    let entry = worst.entry(config.to_string()).or_insert((0.0, String::new()));
                    if gap > entry.0 {
                        *entry = (gap, format!("{name} vs {ref_name}, {what}"));
                    }
                    if gap > RTOL {
                        failures.push(format!(
                            "{config} {what}: {name} vs {ref_name} relative gap {gap:.2e}"
                        ));
                    }
                }
            }
        }
    }
    println!("worst relative disagreement per loss configuration:");
    for (config, (gap, at)) in &worst {
        println!("  {gap:.2e}  ({at})  {config}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fused kernels (`burn_losses::fused`: the binary cross-entropy family on flex) against the
/// composed tensor ops they stand in for, on the same device: every loss configuration without
/// per-sample weights (weighted calls are never fused), at ordinary and at extreme logits (±~100),
/// value and input gradients within the parity tolerance. On a lane without flex there is no fused
/// kernel and the test says so.
#[test]
fn fused_kernels_agree_with_composed_ops() {
    let flex: Vec<_> = common::test_devices()
        .into_iter()
        .filter(|(name, _)| name.starts_with("flex"))
        .collect();
    if flex.is_empty() {
        println!("fused kernels: no flex device enabled, nothing fused to compare");
        return;
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for (device_name, device) in &flex {
        for (k, config) in all_configs().iter().enumerate() {
            let binary = matches!(
                config,
                burn_losses::LossConfig::Bce(_) | burn_losses::LossConfig::BinaryFocal(_)
            );
            let scales: &[f64] = if binary { &[1.0, 4.0, 40.0] } else { &[1.0] };
            for (s, &scale) in scales.iter().enumerate() {
                let mut rng = Lcg::new(5000 + 10 * k as u64 + s as u64);
                let inputs = sample_inputs(config, &mut rng, scale, false);
                let fused = run(config, &inputs, device);
                let previous = burn_losses::set_fused_kernels(false);
                let composed = run(config, &inputs, device);
                burn_losses::set_fused_kernels(previous);
                for ((what, got), (_, want)) in fused.iter().zip(&composed) {
                    let gap = relative_gap(got, want);
                    if gap.is_nan() || gap > RTOL {
                        failures.push(format!(
                            "{device_name} {config} scale {scale} {what}: fused vs composed gap {gap:.2e}"
                        ));
                    }
                }
                compared += 1;
            }
        }
    }
    println!("fused vs composed: {compared} (config, inputs) pairs compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
