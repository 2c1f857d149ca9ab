//! Input gradients of every loss configuration (`common::cases::all_configs`) against central
//! finite differences, on every enabled device.

mod common;

use burn_losses::DynInput;
use common::cases::{HostInput, Lcg, all_configs, sample_inputs, to_loss_inputs};

/// Sum of the loss output for host inputs.
fn loss_sum(
    loss: &burn_losses::Loss,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
) -> f64 {
    let out = loss.forward_inputs(&to_loss_inputs(inputs, device)).unwrap();
    out.flat.sum().into_scalar::<f64>()
}

#[test]
fn autodiff_gradients_match_central_differences() {
    let mut failures = Vec::new();
    let mut worst = 0.0f64;
    for (device_name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        for (k, config) in all_configs().iter().enumerate() {
            let loss = config.init();
            // Probability inputs are small and curved: a smaller step keeps truncation error low.
            let h: f32 = if loss.input_kind() == burn_losses::InputKind::Logits {
                1e-2
            } else {
                1e-3
            };
            let mut rng = Lcg::new(100 + k as u64);
            let inputs = sample_inputs(config, &mut rng, 1.5, true);
            // autodiff on every float input
            let mut named = burn_losses::LossInputs::new();
            let mut leaves = Vec::new();
            for (name, input) in &inputs {
                let d = input.to_dyn(&ad, true);
                if let DynInput::Float(t) = &d {
                    leaves.push((*name, t.clone()));
                }
                named.insert(name, d);
            }
            let grads = loss.forward_inputs(&named).unwrap().flat.sum().backward();
            for (name, leaf) in leaves {
                if name == "target" {
                    continue; // targets are data, not parameters
                }
                let auto: Vec<f64> = leaf
                    .flat
                    .grad(&grads)
                    .unwrap()
                    .into_data()
                    .iter::<f64>()
                    .collect();
                let pos = inputs.iter().position(|(n, _)| *n == name).unwrap();
                let HostInput::Float(values, shape) = inputs[pos].1.clone() else {
                    unreachable!()
                };
                for i in 0..values.len() {
                    let mut plus = inputs.clone();
                    let mut minus = inputs.clone();
                    let mut vp = values.clone();
                    let mut vm = values.clone();
                    vp[i] += h;
                    vm[i] -= h;
                    plus[pos].1 = HostInput::Float(vp, shape.clone());
                    minus[pos].1 = HostInput::Float(vm, shape.clone());
                    let fd = (loss_sum(&loss, &plus, &device) - loss_sum(&loss, &minus, &device))
                        / (2.0 * h as f64);
                    let err = (auto[i] - fd).abs() / (2e-3 + 2e-2 * fd.abs());
                    worst = worst.max(err);
                    if err > 1.0 {
                        failures.push(format!(
                            "{device_name} {config} d/d{name}[{i}]: autodiff {} vs finite difference {fd}",
                            auto[i]
                        ));
                    }
                }
            }
        }
    }
    println!("worst |autodiff - fd| / tolerance = {worst:.3}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
