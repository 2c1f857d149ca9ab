//! Property-based tests (proptest) over every loss of the registry, through the configs of
//! `common::cases::all_configs` (a loss added there is covered here with no new test code).
//!
//! Each generated case picks a loss, one of its listed configs, perturbs its numeric and boolean
//! fields and crosses its string options with the other listed configs of that loss (class-sized
//! lists follow the generated class count), and draws input sizes (batch 1–5, one class to 17,
//! up to two trailing dims) and a logit scale up to 1e4. The properties:
//!
//! - an invalid generated config is a config error naming its field; a valid one runs — any panic
//!   fails the property — and gives a finite loss and finite gradients, or an input error naming
//!   the argument (a size the loss does not take, e.g. softmax Dice on one channel);
//! - `"sum"` = Σ `"none"`, and `"mean"` = `"sum"` / the count of valid elements where the loss
//!   defines its mean so ([`mean_divisor`]);
//! - per-sample losses: `"sum"` of the batch = `"sum"` of its two halves, and `"none"` follows a
//!   permutation of the batch;
//! - a sample of per-sample weight 0, or whose targets are all `ignore_index`, contributes 0 to
//!   `"none"` and nothing to the gradient;
//! - the autodiff gradient matches central finite differences (in f64) at random coordinates
//!   (on every lane with exact f64: not wgpu, see `exact_f64`);
//! - the identities between losses (`identities`): focal γ = 0 ≡ cross_entropy, binary_focal
//!   γ = 0 ≡ bce, class_balanced β = 0 ≡ cross_entropy, tversky α = β = ½ ≡ dice (with half
//!   the smoothing), focal_tversky γ = 1 ≡ tversky, huber(δ) ≡ δ·smooth_l1(β = δ), poly1 ε = 0
//!   ≡ cross_entropy, dsc α = 0 ≡ its soft-Dice form (dice with softmax, summed over classes).
//!
//! Profiles: CI runs a fixed seed with `BURN_LOSSES_PROPTEST_CASES` cases per loss (default 24;
//! 4 on the wgpu lane, lavapipe being a CPU emulation); the full profile is
//! `BURN_LOSSES_PROPTEST_CASES=1000 cargo test --release --test it properties::` (see README). A
//! failing case is written to `tests/it/properties.proptest-regressions` and replayed first on every
//! later run.

use crate::common;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use burn::tensor::Device;
use burn_losses::LossConfig;
use burn_losses::eval::InputDtype;
use common::cases::{
    Evaluated, HostInput, HostInputs, Lcg, Size, configs_by_loss, perturbed_config, sample_inputs_sized,
    try_evaluate_as,
};
use proptest::prelude::*;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestRng, TestRunner,
};
use serde_json::Value;

/// Generated cases per loss: `BURN_LOSSES_PROPTEST_CASES`, else 24 (4 on wgpu).
fn cases_per_loss(device_name: &str) -> u32 {
    std::env::var("BURN_LOSSES_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if device_name.starts_with("wgpu") { 4 } else { 24 })
}

/// A runner with a fixed seed (per loss) that replays and records failing cases.
fn runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/it/properties.proptest-regressions",
        ))),
        // a case runs the loss a dozen times: shrinking stays short
        max_shrink_iters: 64,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// One generated case of one loss.
#[derive(Debug, Clone)]
struct Case {
    /// Which listed config of the loss.
    base: usize,
    /// Seeds the perturbation of the config and the input values.
    seed: u64,
    batch: usize,
    classes: usize,
    spatial: Vec<usize>,
    scale: f64,
}

fn case_strategy(bases: usize) -> impl Strategy<Value = Case> {
    (
        0..bases,
        any::<u64>(),
        1usize..=5,
        prop_oneof![4 => 2usize..=6, 1 => Just(1usize), 1 => Just(17usize)],
        prop::collection::vec(1usize..=3, 0..=2),
        prop_oneof![3 => Just(1.0), 2 => Just(4.0), 1 => Just(40.0), 1 => Just(1e4)],
    )
        .prop_map(|(base, seed, batch, classes, spatial, scale)| Case {
            base,
            seed,
            batch,
            classes,
            spatial,
            scale,
        })
}

/// The case's sizes for the loss: its batch / classes / trailing dims where the loss's inputs
/// have them (`sample_inputs_sized` keeps a loss's own fixed sizes otherwise).
fn size_of(case: &Case) -> Size {
    Size {
        batch: Some(case.batch),
        classes: Some(case.classes),
        spatial: Some(case.spatial.clone()),
    }
}

/// Runs `config` on `inputs` (f32 or f64), catching panics.
fn run(
    config: &Value,
    inputs: &HostInputs,
    device: &Device,
    dtype: InputDtype,
) -> Result<Result<Evaluated, String>, String> {
    let loss: LossConfig = serde_json::from_value(config.clone()).map_err(|e| format!("{config}: {e}"))?;
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        try_evaluate_as(&loss, inputs, device, true, dtype)
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{config}: panicked: {message}")
    })
}

fn with_reduction(config: &Value, reduction: &str) -> Value {
    let mut config = config.clone();
    config["reduction"] = Value::String(reduction.to_string());
    config
}

/// Losses whose value for a sample depends on the rest of the batch (batch statistics, pairs
/// and triplets formed in the batch, sorting over the batch's pixels, a batch sum before a
/// ratio).
fn batch_dependent(config: &Value) -> bool {
    let name = config["type"].as_str().unwrap();
    let flag = |key: &str| config.get(key) == Some(&Value::Bool(true));
    match name {
        "balanced_bce" => config.get("beta").is_none_or(Value::is_null),
        "ghm_c" | "ghm_r" | "triplet_mined" | "nt_xent" | "supcon" | "sum" => true,
        "contrastive" => flag("normalize_embeddings"),
        "dice" | "generalized_dice" | "tversky" | "focal_tversky" | "log_cosh_dice" | "dsc" => {
            flag("batch") || flag("exponent_after_mean")
        }
        "lovasz" => !flag("per_image"),
        // the mean over the batch inside the root
        "rmse" => true,
        _ => false,
    }
}

/// The `"mean"` denominator where the loss's mean is the sum of `"none"` over the count of its
/// valid entries: `Some(count)`; `None` where the loss defines its mean otherwise (each reason
/// below).
fn mean_divisor(config: &Value, inputs: &HostInputs, none_len: usize) -> Option<f64> {
    let name = config["type"].as_str().unwrap();
    let ignored = |ignore: Option<i64>| -> usize {
        let Some(ignore) = ignore else { return 0 };
        inputs
            .iter()
            .filter(|(n, _)| *n == "target")
            .map(|(_, t)| match t {
                HostInput::Int(v, _) => v.iter().filter(|&&t| t == ignore).count(),
                HostInput::Float(..) => 0,
            })
            .sum()
    };
    let ignore_index = config.get("ignore_index").and_then(Value::as_i64);
    let has_weight = config.get("weight").is_some_and(|w| !w.is_null());
    match name {
        // PyTorch's weighted mean divides by Σ w_t
        "cross_entropy" | "nll" | "poly1" if has_weight => None,
        "cross_entropy" | "nll" | "poly1" | "focal" => Some((none_len - ignored(ignore_index)) as f64),
        // GHM divides by tot (valid elements / label weights), the metric losses by their terms,
        // rmse is a root of a mean, kl_divergence's batchmean divides by N, focal_tversky may
        // raise the mean to γ, a sum of losses is a sum of their means, the class-balanced
        // sigmoid bases divide by N·C, quantile lists average over quantiles too
        "ghm_c" | "ghm_r" | "triplet_mined" | "contrastive" | "nt_xent" | "supcon" | "rmse"
        | "kl_divergence" | "focal_tversky" | "sum" | "class_balanced" | "quantile" | "lovasz" | "dsc" => {
            None
        }
        // per-element or per-(sample, class) means over every entry
        _ => Some(none_len as f64),
    }
}

/// The float inputs' dim 0 is the batch for every argument but these.
fn batched(name: &str) -> bool {
    name != "class_weights"
}

/// Rows `range` (dim 0) of every batched input.
fn rows(inputs: &HostInputs, range: std::ops::Range<usize>) -> HostInputs {
    inputs
        .iter()
        .map(|(name, input)| {
            if !batched(name) {
                return (*name, input.clone());
            }
            let cut = |shape: &[usize]| -> (usize, Vec<usize>) {
                let per_row = shape[1..].iter().product::<usize>();
                let mut new = shape.to_vec();
                new[0] = range.len();
                (per_row, new)
            };
            let out = match input {
                HostInput::Float(v, s) => {
                    let (per, shape) = cut(s);
                    HostInput::Float(v[range.start * per..range.end * per].to_vec(), shape)
                }
                HostInput::Int(v, s) => {
                    let (per, shape) = cut(s);
                    HostInput::Int(v[range.start * per..range.end * per].to_vec(), shape)
                }
            };
            (*name, out)
        })
        .collect()
}

/// Every batched input with its dim-0 rows in reverse order.
fn reversed(inputs: &HostInputs) -> HostInputs {
    let reverse =
        |per: usize, v: &[f32]| -> Vec<f32> { v.chunks(per.max(1)).rev().flatten().copied().collect() };
    inputs
        .iter()
        .map(|(name, input)| {
            if !batched(name) {
                return (*name, input.clone());
            }
            let out = match input {
                HostInput::Float(v, s) => HostInput::Float(reverse(s[1..].iter().product(), v), s.clone()),
                HostInput::Int(v, s) => {
                    let per = s[1..].iter().product::<usize>().max(1);
                    HostInput::Int(v.chunks(per).rev().flatten().copied().collect(), s.clone())
                }
            };
            (*name, out)
        })
        .collect()
}

fn batch_of(inputs: &HostInputs) -> usize {
    match &inputs[0].1 {
        HostInput::Float(_, s) | HostInput::Int(_, s) => s.first().copied().unwrap_or(1),
    }
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-4 * scale.max(b.abs()) + 1e-5 || (a.is_nan() && b.is_nan())
}

/// An error is documented when it is one line naming an argument or a config field.
fn documented(error: &str) -> bool {
    !error.contains('\n')
        && (error.contains("argument `") || error.contains("config field `") || error.contains("input `"))
}

/// All properties of one case of `loss` on `device`.
/// Whether `device` computes f64 exactly enough to difference. Not the wgpu lane: WGSL has no
/// f64, and SPIR-V's `exp` / `log` are defined for 16- and 32-bit floats only — lavapipe accepts
/// f64 and returns garbage from them (e.g. `binary_focal` of `[0.2, 0.7, 0.9]` in f64: 21.66 on
/// wgpu, 0.2829 on flex), so its gradients would be differenced against noise.
fn exact_f64(device_name: &str, device: &Device) -> bool {
    !device_name.starts_with("wgpu") && device.supports_dtype(burn::tensor::DType::F64)
}

fn check_case(bases: &[Value], case: &Case, device_name: &str, device: &Device) -> Result<(), TestCaseError> {
    let mut rng = Lcg::new(case.seed);
    let size = size_of(case);
    let config = perturbed_config(bases, case.base, &mut rng, &size);
    let parsed: LossConfig = match serde_json::from_value(config.clone()) {
        Ok(c) => c,
        Err(e) => return Err(TestCaseError::fail(format!("{config}: not a config: {e}"))),
    };
    if let Err(e) = parsed.try_init(device) {
        // an invalid perturbation: a config error naming the field
        prop_assert!(
            documented(&e.to_string()),
            "{config}: undocumented config error {e}"
        );
        return Ok(());
    }
    let inputs = sample_inputs_sized(&parsed, &mut rng, case.scale, true, &size);
    let fail = |what: String| {
        TestCaseError::fail(format!("{config} (sizes {size:?}, scale {}): {what}", case.scale))
    };
    let has_reduction = config.get("reduction").is_some();
    let reductions: &[&str] = if !has_reduction {
        &["as configured"]
    } else if config.get("exponent_after_mean") == Some(&Value::Bool(true)) {
        &["mean"]
    } else {
        &["none", "sum", "mean"]
    };
    // every target ignored: the mean of nothing is NaN (PyTorch), the documented policy
    let all_ignored = config
        .get("ignore_index")
        .and_then(Value::as_i64)
        .is_some_and(|ignore| {
            inputs.iter().any(|(n, i)| {
                *n == "target"
                    && matches!(i, HostInput::Int(t, _) if !t.is_empty() && t.iter().all(|&v| v == ignore))
            })
        });
    let mut results = BTreeMap::new();
    for &reduction in reductions {
        let cfg = if has_reduction && reduction != "as configured" {
            with_reduction(&config, reduction)
        } else {
            config.clone()
        };
        match run(&cfg, &inputs, device, InputDtype::F32).map_err(fail)? {
            Err(e) => {
                // a size the loss does not take: an input error naming the argument
                prop_assert!(documented(&e), "{cfg}: undocumented error {e}");
                return Ok(());
            }
            Ok((loss, grads)) => {
                let nan_mean = all_ignored && reduction == "mean" && loss.iter().all(|v| v.is_nan());
                let finite = (nan_mean || loss.iter().all(|v| v.is_finite()))
                    && grads.values().all(|g| g.iter().all(|v| v.is_finite()));
                if !finite {
                    return Err(fail(format!(
                        "{reduction}: not finite: loss {loss:?}, grads {grads:?}"
                    )));
                }
                results.insert(reduction, (loss, grads));
            }
        }
    }
    if reductions.len() < 3 {
        return Ok(());
    }
    let none = &results["none"].0;
    let (sum, mean) = (results["sum"].0[0], results["mean"].0[0]);
    let total: f64 = none.iter().sum();
    let magnitude: f64 = none.iter().map(|v| v.abs()).sum();
    // MONAI's per-channel "sum" adds spatial means, not the "none" terms (a documented layout)
    let spatial_means = config.get("per_channel") == Some(&Value::Bool(true));
    if !spatial_means && !close(sum, total, magnitude) {
        return Err(fail(format!("sum {sum} vs Σ none {total}")));
    }
    if let Some(count) = mean_divisor(&config, &inputs, none.len())
        && !spatial_means
        && count > 0.0
        && !all_ignored
        && !close(mean * count, sum, magnitude)
    {
        return Err(fail(format!("mean {mean} × {count} vs sum {sum}")));
    }

    let batch = batch_of(&inputs);
    let per_sample = !batch_dependent(&config) && none.len() % batch.max(1) == 0 && none.len() >= batch;
    let sum_config = with_reduction(&config, "sum");
    let none_config = with_reduction(&config, "none");
    let value = |cfg: &Value, inputs: &HostInputs| -> Result<Evaluated, TestCaseError> {
        match run(cfg, inputs, device, InputDtype::F32).map_err(fail)? {
            Ok(v) => Ok(v),
            Err(e) => Err(fail(format!("{cfg}: {e}"))),
        }
    };
    if per_sample && batch >= 2 {
        // batch-split additivity of "sum"
        let half = batch / 2;
        let (a, b) = (rows(&inputs, 0..half), rows(&inputs, half..batch));
        let parts = value(&sum_config, &a)?.0[0] + value(&sum_config, &b)?.0[0];
        if !close(parts, sum, magnitude) {
            return Err(fail(format!("sum of the batch {sum} vs of its halves {parts}")));
        }
        // permutation equivariance of "none"
        let flipped = value(&none_config, &reversed(&inputs))?.0;
        let per = none.len() / batch;
        let unflipped: Vec<f64> = flipped.chunks(per).rev().flatten().copied().collect();
        for (i, (u, v)) in unflipped.iter().zip(none).enumerate() {
            if !close(*u, *v, v.abs()) {
                return Err(fail(format!("none[{i}] {v} vs {u} with the batch reversed")));
            }
        }
    }
    if per_sample {
        // a zero per-sample weight, and a sample whose targets are all ignored, contribute nothing
        let per = none.len() / batch;
        let mut zeroed = Vec::new();
        if let Some(pos) = inputs.iter().position(|(n, _)| *n == "weight") {
            let mut with_zero = inputs.clone();
            if let HostInput::Float(w, _) = &mut with_zero[pos].1 {
                w[0] = 0.0;
            }
            zeroed.push(("weight 0", with_zero));
        }
        // (an overlap loss scores an all-ignored sample by its empty-class policy instead)
        let per_element = matches!(
            config["type"].as_str(),
            Some("focal" | "cross_entropy" | "nll" | "poly1")
        );
        if let (true, Some(ignore), Some(pos)) = (
            per_element,
            config.get("ignore_index").and_then(Value::as_i64),
            inputs
                .iter()
                .position(|(n, i)| *n == "target" && matches!(i, HostInput::Int(..))),
        ) {
            let mut ignored = inputs.clone();
            if let HostInput::Int(t, s) = &mut ignored[pos].1 {
                let per_row = s[1..].iter().product::<usize>();
                t[..per_row].iter_mut().for_each(|v| *v = ignore);
            }
            zeroed.push(("ignored", ignored));
        }
        for (what, inputs) in zeroed {
            let (values, grads) = value(&none_config, &inputs)?;
            if values[..per].iter().any(|v| *v != 0.0) {
                return Err(fail(format!("{what}: none of sample 0 = {:?}", &values[..per])));
            }
            for (name, g) in &grads {
                if matches!(name.as_str(), "weight" | "target") || !batched(name) {
                    continue;
                }
                let per_row = g.len() / batch;
                if g[..per_row].iter().any(|v| *v != 0.0) {
                    return Err(fail(format!(
                        "{what}: d/d{name} of sample 0 = {:?}",
                        &g[..per_row]
                    )));
                }
            }
        }
    }
    if case.scale <= 4.0 && exact_f64(device_name, device) {
        finite_differences(&config, &inputs, device, &mut rng).map_err(fail)?;
    }
    Ok(())
}

/// Losses with kinks or selections (hinges, max / min mining, sorting, bins): a finite
/// difference that crosses one gives either side, so a one-sided match is accepted.
fn piecewise(config: &Value) -> bool {
    let name = config["type"].as_str().unwrap();
    matches!(
        name,
        "lovasz"
            | "ghm_c"
            | "ghm_r"
            | "triplet_mined"
            | "triplet_margin"
            | "contrastive"
            | "mae"
            | "huber"
            | "smooth_l1"
            | "quantile"
            | "mape"
            | "smape"
            | "hinge"
            | "squared_hinge"
            | "perceptron"
            | "categorical_hinge"
            | "multi_margin"
            | "margin_ranking"
            | "hinge_embedding"
            | "cosine_embedding"
            | "arcface"
            | "sum"
    )
}

/// The f64 autodiff gradient of `"sum"` against central differences at three random
/// coordinates of each float input that takes one.
fn finite_differences(
    config: &Value,
    inputs: &HostInputs,
    device: &Device,
    rng: &mut Lcg,
) -> Result<(), String> {
    let config = if config.get("reduction").is_some()
        && config.get("exponent_after_mean") != Some(&Value::Bool(true))
    {
        with_reduction(config, "sum")
    } else {
        config.clone()
    };
    let eval = |inputs: &HostInputs| -> Result<(f64, BTreeMap<String, Vec<f64>>), String> {
        match run(&config, inputs, device, InputDtype::F64)? {
            Ok((loss, grads)) => Ok((loss.iter().sum(), grads)),
            Err(e) => Err(e),
        }
    };
    if !eval(inputs).map(|(f, _)| f.is_finite()).unwrap_or(false) {
        return Ok(()); // all ignored (NaN mean), or out of f64's domain: nothing to difference
    }
    let (f0, grads) = eval(inputs)?;
    for (pos, (name, input)) in inputs.iter().enumerate() {
        let HostInput::Float(values, shape) = input else {
            continue;
        };
        if matches!(*name, "target" | "mask" | "weight") || values.is_empty() {
            continue;
        }
        // PyTorch's gaussian_nll clamps var at eps outside autograd: below eps the gradient is
        // the clamped point's, not the (flat) function's
        let eps = config.get("epsilon").and_then(Value::as_f64).unwrap_or(0.0);
        if *name == "var" && values.iter().any(|&v| (v as f64) < eps * 1.01) {
            continue;
        }
        let Some(auto) = grads.get(*name) else { continue };
        for _ in 0..3 {
            let i = rng.below(values.len());
            let x = values[i] as f64;
            // a step relative to the value (probabilities near 0 are steep); absolute near 0
            let h = if x.abs() >= 1e-6 { 1e-3 * x.abs() } else { 1e-9 };
            // the inputs are f32: evaluate where the step actually lands
            let at = |delta: f64| -> Result<(f64, f64), String> {
                let mut moved = inputs.clone();
                let mut v = values.clone();
                v[i] = (x + delta) as f32;
                let taken = v[i] as f64 - x;
                moved[pos].1 = HostInput::Float(v, shape.clone());
                Ok((eval(&moved)?.0, taken))
            };
            // a step out of the loss's domain (a probability past 1) is no finite difference
            let (Ok((plus, up)), Ok((minus, down))) = (at(h), at(-h)) else {
                continue;
            };
            let central = (plus - minus) / (up - down);
            let tolerance =
                |d: f64| (auto[i] - d).abs() <= 1e-3 * d.abs().max(auto[i].abs()) + 1e-6 * (1.0 + f0.abs());
            let ok = tolerance(central)
                || (piecewise(&config) && (tolerance((plus - f0) / up) || tolerance((f0 - minus) / -down)));
            if !ok {
                return Err(format!(
                    "d/d{name}[{i}] at {x}: autodiff {} vs finite difference {central}",
                    auto[i]
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_loss_holds_its_properties_on_generated_cases() {
    let (device_name, device) = common::test_devices()[0].clone();
    let cases = cases_per_loss(device_name);
    let mut failures = Vec::new();
    let mut ran = 0;
    for (k, (name, bases)) in configs_by_loss().into_iter().enumerate() {
        let mut runner = runner(cases, 0xB0_55E5 + k as u64);
        let result = runner.run(&case_strategy(bases.len()), |case| {
            check_case(&bases, &case, device_name, &device)
        });
        ran += cases;
        if let Err(e) = result {
            failures.push(format!("{name}: {e}"));
        }
    }
    println!("properties: {ran} generated cases on {device_name}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// One identity between two losses: `lhs = factor · rhs` on the same inputs (values of every
/// reduction listed, and the input gradient).
struct Identity {
    what: &'static str,
    lhs: Value,
    rhs: Value,
    factor: f64,
    reductions: &'static [&'static str],
    /// Compares the `input` gradients too.
    gradients: bool,
}

/// The identities of the module docs, with options drawn from `rng`.
fn identities(rng: &mut Lcg, size: &Size) -> Vec<Identity> {
    use serde_json::json;
    let all: &'static [&'static str] = &["none", "sum", "mean"];
    let smoothing = [0.0, 0.1, 0.3][rng.below(3)];
    let ignore = [Value::Null, json!(-100), json!(0)][rng.below(3)].clone();
    let activation = ["softmax", "sigmoid"][rng.below(2)];
    let batch = rng.uniform() < 0.5;
    let background = rng.uniform() < 0.5;
    let (smooth_nr, smooth_dr): (f64, f64) = ([1e-5, 0.0, 1.0][rng.below(3)], [1e-5, 1.0][rng.below(2)]);
    let delta = [0.5, 1.0, 2.5][rng.below(3)];
    let classes = size.classes.unwrap();
    let overlap = |kind: &str| {
        json!({"type": kind, "activation": activation, "batch": batch, "include_background": background,
               "smooth_nr": smooth_nr, "smooth_dr": smooth_dr})
    };
    let with = |mut base: Value, extra: Value| {
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    };
    let dsc_smooth = [1.0, 1e-4][rng.below(2)];
    let squared = rng.uniform() < 0.5;
    vec![
        Identity {
            what: "focal γ = 0 ≡ cross_entropy",
            lhs: json!({"type": "focal", "gamma": 0.0, "alpha": null, "ignore_index": ignore, "label_smoothing": smoothing}),
            rhs: json!({"type": "cross_entropy", "ignore_index": ignore, "label_smoothing": smoothing}),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            what: "binary_focal γ = 0 (no α) ≡ bce",
            lhs: json!({"type": "binary_focal", "gamma": 0.0, "alpha": null, "label_smoothing": smoothing}),
            rhs: json!({"type": "bce", "label_smoothing": smoothing}),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            what: "class_balanced β = 0 ≡ cross_entropy",
            lhs: json!({"type": "class_balanced", "beta": 0.0, "samples_per_class": (1..=classes as u64).map(|k| 10 * k).collect::<Vec<_>>()}),
            rhs: json!({"type": "cross_entropy", "ignore_index": null}),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            // (I + s/2) / (½(P + G) + s'/2) = (2I + s) / (P + G + s'): the smoothing halves
            what: "tversky α = β = ½ (half the smoothing) ≡ dice",
            lhs: with(
                overlap("tversky"),
                json!({"alpha": 0.5, "beta": 0.5, "smooth_nr": smooth_nr / 2.0, "smooth_dr": smooth_dr / 2.0}),
            ),
            rhs: overlap("dice"),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            // while 1 − TI ≥ 0 (smooth_nr ≤ smooth_dr): below, focal_tversky floors it at
            // MIN_POSITIVE before the power
            what: "focal_tversky γ = 1 ≡ tversky",
            lhs: with(
                overlap("focal_tversky"),
                json!({"alpha": 0.3, "beta": 0.7, "gamma": 1.0, "smooth_nr": smooth_nr.min(smooth_dr)}),
            ),
            rhs: with(
                overlap("tversky"),
                json!({"alpha": 0.3, "beta": 0.7, "smooth_nr": smooth_nr.min(smooth_dr)}),
            ),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            what: "huber(δ) ≡ δ·smooth_l1(β = δ)",
            lhs: json!({"type": "huber", "delta": delta}),
            rhs: json!({"type": "smooth_l1", "beta": delta}),
            factor: delta,
            reductions: all,
            gradients: true,
        },
        Identity {
            what: "poly1 ε = 0 ≡ cross_entropy",
            lhs: json!({"type": "poly1", "epsilon": 0.0, "ignore_index": ignore}),
            rhs: json!({"type": "cross_entropy", "ignore_index": ignore}),
            factor: 1.0,
            reductions: all,
            gradients: true,
        },
        Identity {
            what: "dsc α = 0 ≡ its Dice form (softmax, sums over classes)",
            lhs: json!({"type": "dsc", "alpha": 0.0, "smooth": dsc_smooth, "square_denominator": squared, "batch": batch}),
            rhs: json!({"type": "dice", "activation": "softmax", "smooth_nr": dsc_smooth, "smooth_dr": dsc_smooth,
                        "squared_pred": squared, "batch": batch}),
            factor: 1.0,
            reductions: &["sum"],
            gradients: true,
        },
    ]
}

#[test]
fn identities_between_losses_hold_on_generated_cases() {
    let (device_name, device) = common::test_devices()[0].clone();
    let cases = cases_per_loss(device_name) * 2;
    let mut runner = runner(cases, 0x1DE_0001);
    let strategy = (
        any::<u64>(),
        1usize..=5,
        2usize..=6,
        prop::collection::vec(1usize..=3, 0..=2),
        prop_oneof![Just(1.0), Just(4.0)],
    );
    let result = runner.run(&strategy, |(seed, batch, classes, spatial, scale)| {
        let mut rng = Lcg::new(seed);
        let size = Size {
            batch: Some(batch),
            classes: Some(classes),
            spatial: Some(spatial.clone()),
        };
        for identity in identities(&mut rng, &size) {
            let lhs_config: LossConfig = serde_json::from_value(identity.lhs.clone()).unwrap();
            let size = size.clone();
            let mut inputs = if identity.what.starts_with("dsc") {
                // the softmax form: logits [N, C] and class indices [N] (the listed dsc inputs with
                // α = 0 are the binary [N] form)
                let (n, c) = (size.batch.unwrap(), size.classes.unwrap());
                vec![
                    (
                        "input",
                        HostInput::Float(
                            (0..n * c).map(|_| (rng.normal() * scale) as f32).collect(),
                            vec![n, c],
                        ),
                    ),
                    (
                        "target",
                        HostInput::Int((0..n).map(|_| rng.below(c) as i64).collect(), vec![n]),
                    ),
                ]
            } else {
                sample_inputs_sized(&lhs_config, &mut rng, scale, false, &size)
            };
            inputs.retain(|(n, _)| *n != "weight");
            for &reduction in identity.reductions {
                let (lhs, rhs) = (
                    with_reduction(&identity.lhs, reduction),
                    with_reduction(&identity.rhs, reduction),
                );
                let left = run(&lhs, &inputs, &device, InputDtype::F32).map_err(TestCaseError::fail)?;
                let right = run(&rhs, &inputs, &device, InputDtype::F32).map_err(TestCaseError::fail)?;
                let ((lv, lg), (rv, rg)) = match (left, right) {
                    (Ok(l), Ok(r)) => (l, r),
                    (Err(a), Err(b)) => {
                        // both refuse these inputs (e.g. softmax on one channel): no identity to check
                        prop_assert!(documented(&a) && documented(&b), "{}: {a} / {b}", identity.what);
                        continue;
                    }
                    (l, r) => {
                        return Err(TestCaseError::fail(format!(
                            "{}: {reduction}: {l:?} vs {r:?}",
                            identity.what
                        )));
                    }
                };
                prop_assert_eq!(lv.len(), rv.len(), "{}: {}", identity.what, reduction);
                let magnitude = rv.iter().map(|v| v.abs()).sum::<f64>() * identity.factor;
                for (a, b) in lv.iter().zip(&rv) {
                    prop_assert!(
                        close(*a, identity.factor * b, magnitude / rv.len().max(1) as f64),
                        "{} ({reduction}, sizes {size:?}): {lhs} = {a} vs {rhs} = {b}",
                        identity.what
                    );
                }
                if identity.gradients
                    && let (Some(a), Some(b)) = (lg.get("input"), rg.get("input"))
                {
                    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())) * identity.factor;
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        prop_assert!(
                            close(*x, identity.factor * y, scale),
                            "{} ({reduction}): d/dinput[{i}] {x} vs {y}",
                            identity.what
                        );
                    }
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
