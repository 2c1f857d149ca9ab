//! Cross-backend parity: every loss configuration (`common::cases::all_configs`), random inputs
//! with per-sample weights, forward value and input gradients on every enabled device agree with
//! the first enabled device within 1e-5 relative (f32), or within a few f32 roundings of the
//! tensor's largest entry for entries that are differences of such entries. Prints the worst
//! disagreement per loss.
//! With a single backend compiled in there is nothing to compare and the test says so.

use crate::common;

use std::collections::BTreeMap;

use common::cases::{Lcg, all_configs, sample_inputs, try_evaluate_as};

const RTOL: f64 = 1e-5;

/// Loss values and gradients (by input name) on one device.
fn run(
    config: &burn_losses::LossConfig,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
) -> Vec<(String, Vec<f64>)> {
    run_as(config, inputs, device, Default::default())
}

/// [`run`] with the float inputs in `dtype`.
fn run_as(
    config: &burn_losses::LossConfig,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
    dtype: burn_losses::eval::InputDtype,
) -> Vec<(String, Vec<f64>)> {
    try_run_as(config, inputs, device, dtype).unwrap_or_else(|e| panic!("{config}: {e}"))
}

/// [`run_as`], with the error of a config or input the loss refuses returned.
fn try_run_as(
    config: &burn_losses::LossConfig,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
    dtype: burn_losses::eval::InputDtype,
) -> Result<Vec<(String, Vec<f64>)>, String> {
    let (loss, grads) = try_evaluate_as(config, inputs, device, true, dtype)?;
    Ok(std::iter::once(("loss".to_string(), loss))
        .chain(grads.into_iter().map(|(name, g)| (format!("d/d{name}"), g)))
        .collect())
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

/// The element-wise and row-wise losses, where their kernels run in training: the target and the
/// per-sample weight are data (not tracked; a tracked target or weight takes the composed path,
/// as in the eval path the other tests use), the input takes the gradient.
#[test]
fn kernels_with_data_targets_agree_with_composed_ops() {
    use burn_losses::LossConfig as L;
    let cpu: Vec<_> = common::test_devices()
        .into_iter()
        .filter(|(name, _)| name.starts_with("flex") || name.starts_with("ndarray"))
        .collect();
    let mut failures = Vec::new();
    let mut compared = 0;
    // the losses whose kernel ran with a per-sample weight
    let mut weighted_kernels = std::collections::BTreeSet::new();
    for (device_name, device) in &cpu {
        for (k, config) in all_configs().iter().enumerate() {
            if !element_wise(config) && !row_wise(config) {
                continue;
            }
            for (w, with_weight) in [false, true].into_iter().enumerate() {
                for reduction in ["none", "sum", "mean"] {
                    let mut json = serde_json::to_value(config).unwrap();
                    json["reduction"] = reduction.into();
                    let config: L = serde_json::from_value(json).unwrap();
                    let mut rng = Lcg::new(7000 + 10 * k as u64 + w as u64);
                    let inputs = sample_inputs(&config, &mut rng, 4.0, with_weight);
                    // the label-margin losses also with {0, 1} labels (Keras's hinge labels)
                    let label_margin = matches!(
                        config,
                        L::Hinge(_)
                            | L::SquaredHinge(_)
                            | L::Perceptron(_)
                            | L::Exponential(_)
                            | L::Logistic(_)
                    );
                    let mut variants = vec![("±1 targets", inputs.clone())];
                    if label_margin {
                        variants.push(("0/1 targets", zero_one_targets(&inputs)));
                    }
                    for (targets, inputs) in variants {
                        let runs = burn_losses::fused_kernel_runs();
                        let fused = with_data_targets(&config, &inputs, device);
                        if with_weight && burn_losses::fused_kernel_runs() > runs {
                            weighted_kernels.insert(config.name().to_string());
                        }
                        let previous = burn_losses::set_fused_kernels(false);
                        let composed = with_data_targets(&config, &inputs, device);
                        burn_losses::set_fused_kernels(previous);
                        for (what, (got, want)) in ["loss", "input gradient"]
                            .iter()
                            .zip([(&fused.0, &composed.0), (&fused.1, &composed.1)])
                        {
                            let gap = relative_gap(got, want);
                            if gap.is_nan() || gap > RTOL {
                                failures.push(format!(
                                    "{device_name} {config} weight {with_weight} {targets} {what}: fused vs composed gap {gap:.2e}"
                                ));
                            }
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    println!("element-wise and row kernels vs composed: {compared} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cpu.is_empty() || compared > 0);
    if !cpu.is_empty() {
        let want = [
            "mse",
            "cross_entropy",
            "focal",
            "poly1",
            "class_balanced",
            // (nll's generated cases are [N, C, d]: the class-row kernel takes [N, C] only)
            "multi_margin",
            "categorical_hinge",
        ];
        let missing: Vec<_> = want.iter().filter(|n| !weighted_kernels.contains(**n)).collect();
        assert!(
            missing.is_empty(),
            "no kernel ran with a per-sample weight for {missing:?}"
        );
    }
}

/// `inputs` with a ±1 `target` as 0/1 labels.
fn zero_one_targets(inputs: &common::cases::HostInputs) -> common::cases::HostInputs {
    use common::cases::HostInput;
    inputs
        .iter()
        .map(|(name, input)| match input {
            HostInput::Float(v, shape) if *name == "target" => (
                *name,
                HostInput::Float(v.iter().map(|&y| (y + 1.0) / 2.0).collect(), shape.clone()),
            ),
            other => (*name, other.clone()),
        })
        .collect()
}

/// The losses of the fused element-wise kernel kind.
fn element_wise(config: &burn_losses::LossConfig) -> bool {
    use burn_losses::LossConfig as L;
    matches!(
        config,
        L::Mae(_)
            | L::Mse(_)
            | L::Huber(_)
            | L::SmoothL1(_)
            | L::LogCosh(_)
            | L::Charbonnier(_)
            | L::Quantile(_)
            | L::Mape(_)
            | L::Smape(_)
            | L::Msle(_)
            | L::Poisson(_)
            | L::Hinge(_)
            | L::SquaredHinge(_)
            | L::Perceptron(_)
            | L::Exponential(_)
            | L::Logistic(_)
            | L::HingeEmbedding(_)
            | L::Rmse(_)
    )
}

/// The losses of the row kernels, which take per-sample weights too.
fn row_wise(config: &burn_losses::LossConfig) -> bool {
    use burn_losses::LossConfig as L;
    matches!(
        config,
        L::CrossEntropy(_)
            | L::Focal(_)
            | L::Poly1(_)
            | L::ClassBalanced(_)
            | L::Nll(_)
            | L::MultiMargin(_)
            | L::CategoricalHinge(_)
    )
}

/// The loss (flattened) and the input's gradient, with only `input` tracked.
fn with_data_targets(
    config: &burn_losses::LossConfig,
    inputs: &common::cases::HostInputs,
    device: &burn::tensor::Device,
) -> (Vec<f64>, Vec<f64>) {
    use burn::tensor::{Int, Tensor, TensorData};
    use burn_losses::{DynInput, DynTensor, LossInputs};
    let ad = device.clone().autodiff();
    let mut args = LossInputs::new();
    let mut x = None;
    for (name, input) in inputs {
        match input {
            common::cases::HostInput::Float(v, shape) => {
                let t = Tensor::<1>::from_data(TensorData::new(v.clone(), [v.len()]), &ad);
                let t = if *name == "input" {
                    let t = t.require_grad();
                    x = Some(t.clone());
                    t
                } else {
                    t
                };
                args.insert(name, DynInput::Float(DynTensor::new(t, shape.clone())));
            }
            common::cases::HostInput::Int(v, shape) => {
                let t = Tensor::<1, Int>::from_data(TensorData::new(v.clone(), [v.len()]), &ad);
                args.insert(name, DynInput::Int(DynTensor::new(t, shape.clone())));
            }
        }
    }
    let loss = config.init(&ad).forward_inputs(&args).expect("a valid case").flat;
    let grads = loss.clone().sum().backward();
    let x = x.expect("an input");
    let host = |t: Tensor<1>| -> Vec<f64> { t.into_data().convert::<f64>().try_to_vec::<f64>().unwrap() };
    (host(loss), host(x.grad(&grads).expect("the input's gradient")))
}

/// The fused kernels (`burn_losses::fused`: the binary cross-entropy family, the softmax and
/// class-row losses, the overlap sums and the metric losses' distance matrix on the CPU backends
/// flex and ndarray) against the composed tensor ops they stand in for, on the same device,
/// through the eval path (every float input tracked): every loss configuration without per-sample
/// weights (those, and the kernels that need data targets, are the test above), at ordinary and,
/// for the fused families, at extreme logits (±~100), value and input gradients within the parity
/// tolerance. On a lane without a CPU backend there is no fused kernel and the test says so.
#[test]
fn fused_kernels_agree_with_composed_ops() {
    use burn_losses::LossConfig as L;
    let cpu: Vec<_> = common::test_devices()
        .into_iter()
        .filter(|(name, _)| name.starts_with("flex") || name.starts_with("ndarray"))
        .collect();
    if cpu.is_empty() {
        println!("fused kernels: no flex / ndarray device enabled, nothing fused to compare");
        return;
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for (device_name, device) in &cpu {
        for (k, config) in all_configs().iter().enumerate() {
            let fused_family = matches!(
                config,
                L::Bce(_)
                    | L::BalancedBce(_)
                    | L::BinaryFocal(_)
                    | L::Focal(_)
                    | L::CrossEntropy(_)
                    | L::Poly1(_)
                    | L::Nll(_)
                    | L::MultiMargin(_)
                    | L::CategoricalHinge(_)
                    | L::Dsc(_)
                    | L::ClassBalanced(_)
                    | L::Dice(_)
                    | L::GeneralizedDice(_)
                    | L::Tversky(_)
                    | L::FocalTversky(_)
                    | L::LogCoshDice(_)
                    | L::TripletMined(_)
                    | L::Contrastive(_)
            ) || element_wise(config);
            let scales: &[f64] = if fused_family { &[1.0, 4.0, 40.0] } else { &[1.0] };
            for (s, &scale) in scales.iter().enumerate() {
                let mut rng = Lcg::new(5000 + 10 * k as u64 + s as u64);
                let inputs = sample_inputs(config, &mut rng, scale, false);
                let fused = run(config, &inputs, device);
                let previous = burn_losses::set_fused_kernels(false);
                let composed = run(config, &inputs, device);
                burn_losses::set_fused_kernels(previous);
                // where the two f32 paths differ, the f64 composed values (no kernel takes f64)
                // judge: the fused path must be as exact as the composed one (within a factor 2)
                let mut exact = None;
                for (i, ((what, got), (_, want))) in fused.iter().zip(&composed).enumerate() {
                    let gap = relative_gap(got, want);
                    if gap <= RTOL {
                        continue;
                    }
                    let exact = exact.get_or_insert_with(|| {
                        run_as(config, &inputs, device, burn_losses::eval::InputDtype::F64)
                    });
                    let (fused_error, composed_error) =
                        (relative_gap(got, &exact[i].1), relative_gap(want, &exact[i].1));
                    if gap.is_nan() || (fused_error > RTOL && fused_error > 2.0 * composed_error) {
                        failures.push(format!(
                            "{device_name} {config} scale {scale} {what}: fused vs composed gap {gap:.2e}; \
                             against f64: fused {fused_error:.2e}, composed {composed_error:.2e}"
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

/// Host inputs of two batches joined along dim 0 (the batch a single device would see).
fn join_batches(a: &common::cases::HostInputs, b: &common::cases::HostInputs) -> common::cases::HostInputs {
    use common::cases::HostInput;
    a.iter()
        .zip(b)
        .map(|((name, x), (_, y))| {
            let joined = match (x, y) {
                (HostInput::Float(u, s), HostInput::Float(v, t)) => {
                    let mut shape = s.clone();
                    shape[0] += t[0];
                    HostInput::Float([u.as_slice(), v].concat(), shape)
                }
                (HostInput::Int(u, s), HostInput::Int(v, t)) => {
                    let mut shape = s.clone();
                    shape[0] += t[0];
                    HostInput::Int([u.as_slice(), v].concat(), shape)
                }
                _ => unreachable!("one kind per argument"),
            };
            (*name, joined)
        })
        .collect()
}

/// Data-parallel semantics (burn-train's `MultiDevice`: one worker thread per device, each with a
/// clone of the model and its loss, each on its own batch): a loss whose value depends on the
/// whole batch — balanced BCE's β, batch Dice, mined triplets, NT-Xent — is computed per device.
/// Two workers on the first two devices, running at the same time with clones of one module,
/// each get exactly the single-device value of their own batch; and the mean of the two
/// per-device values differs from the value on the joined batch (for the per-sample focal loss,
/// the control, it is the same). GHM-C's EMA is kept per device: after two calls on each worker
/// the counts on each device are those of that device's batches alone.
#[test]
fn batch_dependent_losses_are_computed_per_device() {
    use burn_losses::eval::eval_inputs;
    let devices = common::test_devices();
    if devices.len() < 2 {
        println!(
            "per-device semantics: needs two devices, enabled {:?}",
            devices.iter().map(|d| d.0).collect::<Vec<_>>()
        );
        return;
    }
    let (d0, d1) = (
        (devices[0].0, devices[0].1.clone()),
        (devices[1].0, devices[1].1.clone()),
    );
    let json = |inputs: &common::cases::HostInputs| -> std::collections::BTreeMap<String, serde_json::Value> {
        inputs.iter().map(|(n, i)| (n.to_string(), i.to_json())).collect()
    };
    let scalar = |r: burn_losses::eval::EvalResponse| r.loss.as_f64().expect("a mean");
    let configs = [
        (r#"{"type": "balanced_bce"}"#, true),
        (
            r#"{"type": "dice", "activation": "softmax", "batch": true}"#,
            true,
        ),
        (r#"{"type": "triplet_mined", "mining": "batch_hard"}"#, true),
        (r#"{"type": "nt_xent", "temperature": 0.5}"#, true),
        (r#"{"type": "focal", "gamma": 2.0}"#, false),
    ];
    for (text, batch_dependent) in configs {
        let config = burn_losses::LossConfig::parse(text).unwrap();
        let a = sample_inputs(&config, &mut Lcg::new(71), 1.0, false);
        let b = sample_inputs(&config, &mut Lcg::new(72), 1.0, false);
        let alone_a = scalar(
            eval_inputs(
                &config.try_init(&burn::tensor::Device::default()).unwrap(),
                &json(&a),
                false,
                &d0.1,
            )
            .unwrap(),
        );
        let alone_b = scalar(
            eval_inputs(
                &config.try_init(&burn::tensor::Device::default()).unwrap(),
                &json(&b),
                false,
                &d1.1,
            )
            .unwrap(),
        );
        let joined = scalar(
            eval_inputs(
                &config.try_init(&burn::tensor::Device::default()).unwrap(),
                &json(&join_batches(&a, &b)),
                false,
                &d0.1,
            )
            .unwrap(),
        );
        let loss = config.try_init(&burn::tensor::Device::default()).unwrap();
        let (worker_a, worker_b) = std::thread::scope(|s| {
            let (ja, jb) = (json(&a), json(&b));
            let (la, lb) = (loss.clone(), loss.clone());
            let (da, db) = (&d0.1, &d1.1);
            let ta = s.spawn(move || scalar(eval_inputs(&la, &ja, false, da).unwrap()));
            let tb = s.spawn(move || scalar(eval_inputs(&lb, &jb, false, db).unwrap()));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * y.abs().max(1.0);
        assert!(
            close(worker_a, alone_a) && close(worker_b, alone_b),
            "{text}: workers {worker_a} {worker_b} vs alone {alone_a} {alone_b}"
        );
        let mean = 0.5 * (alone_a + alone_b);
        println!(
            "{text}: per device {alone_a:.6} ({}) / {alone_b:.6} ({}), joined batch {joined:.6}",
            d0.0, d1.0
        );
        if batch_dependent {
            assert!(
                !close(mean, joined),
                "{text}: the per-device mean {mean} equals the joined-batch value {joined}"
            );
        } else {
            assert!(
                (mean - joined).abs() < 1e-5 * joined.abs().max(1.0),
                "{text}: per-sample loss {mean} vs {joined}"
            );
        }
    }

    // GHM-C's EMA: one accumulator per device
    let config =
        burn_losses::LossConfig::parse(r#"{"type": "ghm_c", "bins": 10, "momentum": 0.75}"#).unwrap();
    let a = sample_inputs(&config, &mut Lcg::new(81), 2.0, false);
    let b = sample_inputs(&config, &mut Lcg::new(82), 2.0, false);
    let counts_alone = |inputs: &common::cases::HostInputs, device: &burn::tensor::Device| {
        let loss = config.try_init(device).unwrap();
        for _ in 0..2 {
            eval_inputs(&loss, &json(inputs), false, device).unwrap();
        }
        let burn_losses::Loss::GhmC(ghm) = loss else {
            unreachable!()
        };
        ghm.state.counts()
    };
    let (alone_a, alone_b) = (counts_alone(&a, &d0.1), counts_alone(&b, &d1.1));
    let loss = config.try_init(&burn::tensor::Device::default()).unwrap();
    std::thread::scope(|s| {
        for (inputs, device) in [(&a, &d0.1), (&b, &d1.1)] {
            let (loss, inputs) = (loss.clone(), json(inputs));
            s.spawn(move || {
                for _ in 0..2 {
                    eval_inputs(&loss, &inputs, false, device).unwrap();
                }
            });
        }
    });
    let burn_losses::Loss::GhmC(ghm) = loss else {
        unreachable!()
    };
    let (on_a, on_b) = (ghm.state.counts_on(&d0.1), ghm.state.counts_on(&d1.1));
    let close =
        |x: &[f64], y: &[f64]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-9);
    assert!(
        close(&on_a, &alone_a),
        "GHM EMA on {}: {on_a:?} vs its batches alone {alone_a:?}",
        d0.0
    );
    assert!(
        close(&on_b, &alone_b),
        "GHM EMA on {}: {on_b:?} vs its batches alone {alone_b:?}",
        d1.0
    );
    assert!(
        !close(&alone_a, &alone_b),
        "the two devices' batches should bin differently"
    );
}

/// A [`DeviceGroup`](burn_losses::DeviceGroup) of two workers (the first two devices, or two
/// workers on the one device), each with half of a batch, while training: every batch-dependent
/// loss sees the joined batch. The mean of the two workers' values is the single-device value of
/// the joined batch, and each worker's input gradient is twice (two workers) the joined-batch
/// gradient of its own rows (pytorch-metric-learning's `DistributedLossWrapper` scale: summed by
/// `MultiDevice`, averaged by DDP). Without the group (the per-device test above) the values
/// differ; a per-sample loss (focal) is the same either way.
#[test]
fn a_device_group_joins_the_batch_statistics() {
    use burn_losses::eval::eval_inputs;
    let devices = common::test_devices();
    let (d0, d1) = (devices[0].clone(), devices.get(1).unwrap_or(&devices[0]).clone());
    let json = |inputs: &common::cases::HostInputs| -> std::collections::BTreeMap<String, serde_json::Value> {
        inputs.iter().map(|(n, i)| (n.to_string(), i.to_json())).collect()
    };
    let flat = |v: &serde_json::Value| common::flatten(v).0;
    let configs = [
        r#"{"type": "balanced_bce"}"#,
        r#"{"type": "dice", "activation": "softmax", "batch": true}"#,
        r#"{"type": "tversky", "activation": "sigmoid", "batch": true, "alpha": 0.3, "beta": 0.7, "reduction": "sum"}"#,
        r#"{"type": "generalized_dice", "activation": "softmax", "batch": true}"#,
        r#"{"type": "ghm_c", "bins": 10}"#,
        r#"{"type": "ghm_c", "bins": 10, "momentum": 0.75}"#,
        r#"{"type": "ghm_r", "mu": 0.5, "bins": 5}"#,
        r#"{"type": "triplet_mined", "mining": "batch_hard"}"#,
        r#"{"type": "triplet_mined", "mining": "batch_all", "reduction": "sum"}"#,
        r#"{"type": "nt_xent", "temperature": 0.5}"#,
        r#"{"type": "supcon", "temperature": 0.3}"#,
        r#"{"type": "contrastive", "normalize_embeddings": true}"#,
        r#"{"type": "focal", "gamma": 2.0}"#,
    ];
    let mut failures = Vec::new();
    for text in configs {
        let config = burn_losses::LossConfig::parse(text).unwrap();
        let a = sample_inputs(&config, &mut Lcg::new(91), 1.0, false);
        let b = sample_inputs(&config, &mut Lcg::new(92), 1.0, false);
        let joined = eval_inputs(
            &config.try_init(&burn::tensor::Device::default()).unwrap(),
            &json(&join_batches(&a, &b)),
            true,
            &d0.1,
        )
        .unwrap();
        let group = burn_losses::DeviceGroup::new(2);
        let loss = config.try_init(&burn::tensor::Device::default()).unwrap();
        let (worker_a, worker_b) = std::thread::scope(|s| {
            let run = |inputs: &common::cases::HostInputs, device: &burn::tensor::Device| {
                let (loss, inputs, group, device) =
                    (loss.clone(), json(inputs), group.clone(), device.clone());
                s.spawn(move || {
                    burn_losses::in_device_group(Some(&group), || {
                        eval_inputs(&loss, &inputs, true, &device).unwrap()
                    })
                })
            };
            let (ta, tb) = (run(&a, &d0.1), run(&b, &d1.1));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let value = flat(&joined.loss)[0];
        let mean = 0.5 * (flat(&worker_a.loss)[0] + flat(&worker_b.loss)[0]);
        if (mean - value).abs() > 1e-5 * value.abs().max(1.0) {
            failures.push(format!(
                "{text}: mean of the workers {mean} vs joined batch {value}"
            ));
        }
        for (name, g) in joined.grad.as_ref().expect("gradients") {
            let g = flat(g);
            let (ga, gb) = (
                flat(&worker_a.grad.as_ref().unwrap()[name]),
                flat(&worker_b.grad.as_ref().unwrap()[name]),
            );
            let want: Vec<f64> = g.iter().map(|v| 2.0 * v).collect();
            let got = [ga, gb].concat();
            let gap = relative_gap(&got, &want);
            if gap > RTOL {
                failures.push(format!(
                    "{text}: d/d{name} gap {gap:.2e} to twice the joined-batch gradient"
                ));
            }
        }
        println!("{text}: joined {value:.6}, mean of the two workers {mean:.6}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // outside training (no autodiff) the group is not used: each worker's own batch
    let config =
        burn_losses::LossConfig::parse(r#"{"type": "dice", "activation": "softmax", "batch": true}"#)
            .unwrap();
    let a = sample_inputs(&config, &mut Lcg::new(93), 1.0, false);
    let alone = eval_inputs(
        &config.try_init(&burn::tensor::Device::default()).unwrap(),
        &json(&a),
        false,
        &d0.1,
    )
    .unwrap();
    let in_group = burn_losses::in_device_group(Some(&burn_losses::DeviceGroup::new(2)), || {
        eval_inputs(
            &config.try_init(&burn::tensor::Device::default()).unwrap(),
            &json(&a),
            false,
            &d0.1,
        )
        .unwrap()
    });
    assert_eq!(flat(&alone.loss), flat(&in_group.loss));
}

/// The generated cases of `tests/properties.rs` (perturbed configs of every loss, random sizes)
/// across every enabled device: values and input gradients agree with the first device within
/// the parity tolerance. `BURN_LOSSES_PARITY_CASES` cases per loss (default 3).
#[test]
fn generated_cases_agree_across_backends() {
    use common::cases::{Size, configs_by_loss, perturbed_config, sample_inputs_sized};
    let devices = common::test_devices();
    if devices.len() < 2 {
        println!(
            "generated parity: only {:?} enabled",
            devices.iter().map(|d| d.0).collect::<Vec<_>>()
        );
        return;
    }
    let cases: usize = std::env::var("BURN_LOSSES_PARITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (ref_name, ref_device) = &devices[0];
    let mut failures = Vec::new();
    let mut compared = 0;
    for (k, (name, bases)) in configs_by_loss().into_iter().enumerate() {
        let mut rng = Lcg::new(7000 + k as u64);
        for _ in 0..cases {
            let size = Size {
                batch: Some(1 + rng.below(4)),
                classes: Some(1 + rng.below(6)),
                spatial: Some((0..rng.below(3)).map(|_| 1 + rng.below(3)).collect()),
            };
            let config_json = perturbed_config(&bases, rng.below(bases.len()), &mut rng, &size);
            let Ok(config) = serde_json::from_value::<burn_losses::LossConfig>(config_json.clone()) else {
                continue;
            };
            if config.try_init(&burn::tensor::Device::default()).is_err() {
                continue; // an invalid perturbation: the property test checks its error
            }
            let scale = [1.0, 4.0][rng.below(2)];
            let weighted = rng.below(2) == 0;
            let inputs = sample_inputs_sized(&config, &mut rng, scale, weighted, &size);
            let request = |device| try_run_as(&config, &inputs, device, Default::default());
            let Ok(reference) = request(ref_device) else {
                continue; // sizes the loss refuses (the property test checks the error)
            };
            for (device_name, device) in &devices[1..] {
                let other = match request(device) {
                    Ok(o) => o,
                    Err(e) => {
                        failures.push(format!(
                            "{device_name} {name} {config_json}: {e} (fine on {ref_name})"
                        ));
                        continue;
                    }
                };
                let names =
                    |run: &[(String, Vec<f64>)]| run.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
                assert_eq!(names(&other), names(&reference), "{device_name} {config_json}");
                for ((what, want), (_, got)) in reference.iter().zip(&other) {
                    let gap = relative_gap(got, want);
                    if gap.is_nan() || gap > RTOL {
                        failures.push(format!(
                            "{device_name} vs {ref_name} {config_json} sizes {size:?} scale {scale} {what}: gap {gap:.2e}"
                        ));
                    }
                }
                compared += 1;
            }
        }
    }
    println!("generated parity: {compared} (case, device) pairs compared against {ref_name}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
