//! Input gradients of every loss configuration (`common::cases::all_configs`) against central
//! finite differences, on every enabled device.

use crate::common;

use common::cases::{HostInput, Lcg, all_configs, evaluate, sample_inputs};

#[test]
fn autodiff_gradients_match_central_differences() {
    let mut failures = Vec::new();
    let mut worst = 0.0f64;
    for (device_name, device) in common::test_devices() {
        for (k, config) in all_configs().iter().enumerate() {
            let loss = config.init(&device);
            // Probability inputs are small and curved: a smaller step keeps truncation error low.
            // Lovász is piecewise linear in its inputs (a sort): a smaller step, and a one-sided
            // difference is accepted where the step crosses a kink (autodiff gives one side).
            // The metric-learning losses have hinge kinks and min / max selections (mined
            // triplets) too, and steep softmaxes (temperature, scale): the same treatment.
            let piecewise_linear =
                matches!(config, burn_losses::LossConfig::Lovasz(_)) || common::cases::is_metric_loss(config);
            let h: f32 = if loss.input_kind() == burn_losses::InputKind::Logits && !piecewise_linear {
                1e-2
            } else {
                1e-3
            };
            let mut rng = Lcg::new(100 + k as u64);
            let inputs = sample_inputs(config, &mut rng, 1.5, true);
            let (_, grads) = evaluate(config, &inputs, &device, true);
            for (name, auto) in grads {
                if name == "target" || name == "mask" {
                    continue; // targets and masks are data, not parameters
                }
                let pos = inputs.iter().position(|(n, _)| *n == name.as_str()).unwrap();
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
                    let loss_sum = |i: &common::cases::HostInputs| {
                        evaluate(config, i, &device, false).0.iter().sum::<f64>()
                    };
                    let (f_plus, f_minus) = (loss_sum(&plus), loss_sum(&minus));
                    let fd = (f_plus - f_minus) / (2.0 * h as f64);
                    let tolerance = |d: f64| (auto[i] - d).abs() / (2e-3 + 2e-2 * d.abs());
                    let mut err = tolerance(fd);
                    if piecewise_linear && err > 1.0 {
                        let f0 = loss_sum(&inputs);
                        let one_sided = [(f_plus - f0) / h as f64, (f0 - f_minus) / h as f64];
                        err = one_sided.into_iter().map(tolerance).fold(err, f64::min);
                    }
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
