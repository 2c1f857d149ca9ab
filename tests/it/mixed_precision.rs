//! Mixed precision: every loss takes `f16` / `bf16` inputs on the devices that support the dtype,
//! computes in `f32` (PyTorch autocast's rule for losses), returns an `f32` loss and gives each
//! half-precision input its gradient in its own dtype.
//!
//! Tolerances per dtype (`HALF`): a half-precision run is compared
//! - with the `f32` run on the same inputs rounded to the dtype: the loss within the fixture's own
//!   `f32` tolerance (the only difference allowed is the rounding of the inputs), the gradient
//!   within that tolerance plus one rounding of the `f32` gradient to the dtype;
//! - with the reference library's value on the unrounded inputs (the fixture): within the
//!   dtype's stated tolerance, for the cases whose inputs the dtype can hold (finite after
//!   rounding); the gradient too, except where the rounding of the inputs alone moves it further
//!   (`GRADIENT_ILL_CONDITIONED`, each with its reason).

use crate::common;

use std::collections::BTreeMap;

use burn::tensor::{DType, Device, Int, Tensor, TensorCreationOptions, TensorData, bf16, f16};
use burn_losses::eval::{EvalRequest, InputDtype, eval_request};
use burn_losses::{DynInput, DynTensor, LossInputs};
use common::cases::{HostInput, Lcg, all_configs, sample_inputs};
use serde_json::Value;

/// A half dtype, its rounding, and its tolerances.
struct Half {
    dtype: InputDtype,
    /// Relative spacing of the dtype (one rounding is at most half of it).
    eps: f64,
    /// Smallest positive normal number (below it the dtype's absolute spacing is fixed).
    tiny: f64,
    /// Tolerance against the reference library's value on the unrounded inputs.
    fixture_rtol: f64,
    fixture_atol: f64,
    round: fn(f64) -> f64,
}

const HALF: [Half; 2] = [
    Half {
        dtype: InputDtype::F16,
        eps: 9.77e-4, // 2^-10
        tiny: 6.1e-5, // 2^-14
        fixture_rtol: 1e-2,
        fixture_atol: 1e-2,
        round: |x| f16::from_f64(x).to_f64(),
    },
    Half {
        dtype: InputDtype::Bf16,
        eps: 7.82e-3,  // 2^-7
        tiny: 1.2e-38, // 2^-126
        fixture_rtol: 5e-2,
        fixture_atol: 5e-2,
        round: |x| bf16::from_f64(x).to_f64(),
    },
];

/// Fixture cases (name prefixes) whose anchor *gradient* the rounding of the inputs to half
/// precision moves beyond the dtype's tolerance, and why; their loss is still checked against the
/// anchor, and loss and gradient against the f32 run on the rounded inputs.
const GRADIENT_ILL_CONDITIONED: [(&str, &str); 2] = [
    // the gradient length |p − y| of an element crosses a bin edge: its harmonizing weight jumps
    ("ghm_r/", "GHM-R's bin assignment of sqrt(d² + μ²) flips"),
    // d/dp of log(p) near p = 0 or 1 is 1/p: half precision holds p = 0.999 only to 5e-4, so the
    // gradient moves by tens of percent (why PyTorch's autocast refuses half-precision
    // binary_cross_entropy on probabilities and asks for the logit form)
    ("binary_focal/keras/probs_", "probabilities near 0 / 1 under 1/p"),
];

fn dtype_of(half: &Half) -> DType {
    half.dtype.dtype()
}

/// `inputs` with every float array (one that is not all JSON integers, as `eval` reads them)
/// rounded to the dtype.
fn round_inputs(inputs: &BTreeMap<String, Value>, round: fn(f64) -> f64) -> BTreeMap<String, Value> {
    fn all_integers(v: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().all(all_integers),
            Value::Number(n) => n.is_i64() || n.is_u64(),
            _ => false,
        }
    }
    fn walk(v: &Value, round: fn(f64) -> f64) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, round)).collect()),
            Value::Number(n) => {
                let r = round(n.as_f64().unwrap());
                serde_json::Number::from_f64(r)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(format!("{r}")))
            }
            other => other.clone(),
        }
    }
    inputs
        .iter()
        .map(|(name, v)| {
            let v = if all_integers(v) {
                v.clone()
            } else {
                walk(v, round)
            };
            (name.clone(), v)
        })
        .collect()
}

/// Whether every float input is finite after rounding (the dtype can hold the case).
fn representable(rounded: &BTreeMap<String, Value>) -> bool {
    rounded
        .values()
        .all(|v| common::flatten(v).0.iter().all(|x| x.is_finite()))
}

/// Compares `got` with `want` as the dtype holds it (`round`: identity for an f32 value such as
/// the loss, the dtype's rounding for a gradient), an infinity matching the same infinity: a
/// gradient beyond the dtype's range (65504 for f16) is ±inf in it, as in PyTorch.
#[allow(clippy::too_many_arguments)]
fn check(
    failures: &mut Vec<String>,
    tag: &str,
    what: &str,
    got: &Value,
    want: &Value,
    round: fn(f64) -> f64,
    rtol: f64,
    atol: f64,
) {
    let ((g, gs), (w, ws)) = (common::flatten(got), common::flatten(want));
    if gs != ws {
        failures.push(format!("{tag}: {what}: shape {gs:?} != expected {ws:?}"));
        return;
    }
    let mut worst = 0.0f64;
    for (x, y) in g.iter().zip(w.iter().map(|&y| round(y))) {
        let r = if x.is_nan() || y.is_nan() {
            if x.is_nan() && y.is_nan() {
                0.0
            } else {
                f64::INFINITY
            }
        } else if x.is_infinite() || y.is_infinite() {
            if *x == y { 0.0 } else { f64::INFINITY }
        } else {
            (x - y).abs() / (atol + rtol * y.abs())
        };
        worst = worst.max(r);
    }
    if worst > 1.0 {
        failures.push(format!(
            "{tag}: {what} off by {worst:.2}x tolerance: got {got} expected {want}"
        ));
    }
}

fn exact(x: f64) -> f64 {
    x
}

#[test]
fn fixtures_pass_in_half_precision_on_every_device_that_has_the_dtype() {
    let devices = common::test_devices();
    let mut failures = Vec::new();
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    let (mut against_anchor, mut loss_only) = (0, 0);
    for (file, fixture) in common::load_fixtures() {
        for case in fixture["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let request: EvalRequest = serde_json::from_value(case["request"].clone()).unwrap();
            let tol = &case["tolerance"];
            let f = |k: &str| tol[k].as_f64().unwrap();
            let (rtol, atol, grtol, gatol) = (f("rtol"), f("atol"), f("grad_rtol"), f("grad_atol"));
            for (device_name, device) in &devices {
                for half in &HALF {
                    if !device.supports_dtype(dtype_of(half)) {
                        continue;
                    }
                    let tag = format!("{file}/{name} on {device_name} in {:?}", half.dtype);
                    let rounded_inputs = round_inputs(&request.inputs, half.round);
                    let in_f32 = EvalRequest {
                        inputs: rounded_inputs.clone(),
                        ..request.clone()
                    };
                    let in_half = EvalRequest {
                        dtype: half.dtype,
                        ..request.clone()
                    };
                    let (got, reference) =
                        match (eval_request(&in_half, device), eval_request(&in_f32, device)) {
                            (Ok(g), Ok(r)) => (g, r),
                            (g, r) => {
                                failures.push(format!(
                                    "{tag}: half {:?} / f32 on rounded {:?}",
                                    g.err(),
                                    r.err()
                                ));
                                continue;
                            }
                        };
                    *runs.entry(format!("{device_name} {:?}", half.dtype)).or_default() += 1;
                    // 1. the f32 computation on the rounded inputs, exactly
                    check(
                        &mut failures,
                        &tag,
                        "loss vs f32 on rounded inputs",
                        &got.loss,
                        &reference.loss,
                        exact,
                        rtol,
                        atol,
                    );
                    let (grads, reference_grads) =
                        (got.grad.as_ref().unwrap(), reference.grad.as_ref().unwrap());
                    for (input, want) in reference_grads {
                        let Some(g) = grads.get(input) else {
                            failures.push(format!("{tag}: no gradient for `{input}`"));
                            continue;
                        };
                        let what = format!("d/d{input} vs f32 on rounded inputs");
                        let (r, a) = (grtol + half.eps, gatol + half.tiny * half.eps);
                        check(&mut failures, &tag, &what, g, want, half.round, r, a);
                    }
                    // 2. the anchor's value on the unrounded inputs, at the dtype's tolerance
                    if representable(&rounded_inputs) {
                        let ill_conditioned = GRADIENT_ILL_CONDITIONED
                            .iter()
                            .any(|(prefix, _)| name.starts_with(prefix));
                        let expected = &case["expected"];
                        let (r, a) = (half.fixture_rtol, half.fixture_atol);
                        check(
                            &mut failures,
                            &tag,
                            "loss vs anchor",
                            &got.loss,
                            &expected["loss"],
                            exact,
                            r,
                            a,
                        );
                        for (input, want) in expected["grad"].as_object().unwrap() {
                            if let Some(g) = grads.get(input).filter(|_| !ill_conditioned) {
                                let what = format!("d/d{input} vs anchor");
                                check(&mut failures, &tag, &what, g, want, half.round, r, a);
                            }
                        }
                        against_anchor += 1;
                        loss_only += ill_conditioned as usize;
                    }
                }
            }
        }
    }
    println!(
        "half-precision fixture runs per (device, dtype): {runs:?}; {against_anchor} also against the \
         anchor ({loss_only} of them the loss only: {GRADIENT_ILL_CONDITIONED:?})"
    );
    #[cfg(feature = "flex")]
    if devices.iter().any(|(n, _)| *n == "flex") {
        assert!(
            runs.get("flex F16").is_some_and(|&n| n > 100),
            "flex ran no f16 fixtures: {runs:?}"
        );
        assert!(
            runs.get("flex Bf16").is_some_and(|&n| n > 100),
            "flex ran no bf16 fixtures: {runs:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every registry config on random inputs given in each half dtype: the loss is `f32`, finite,
/// equal to the `f32` run on the rounded inputs, and each half-precision input's gradient is in its
/// dtype.
#[test]
fn every_loss_computes_half_inputs_in_f32_and_returns_their_gradient_in_their_dtype() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (device_name, device) in common::test_devices() {
        for half in &HALF {
            let dtype = dtype_of(half);
            if !device.supports_dtype(dtype) {
                continue;
            }
            let ad = device.clone().autodiff();
            for (k, config) in all_configs().iter().enumerate() {
                let host = sample_inputs(config, &mut Lcg::new(k as u64), 2.0, true);
                let tag = format!("{config} on {device_name} in {dtype:?}");
                let loss = config.try_init(&device).unwrap();
                let (inputs, leaves) = build_inputs(&host, Some(dtype), &ad, half.round);
                let out = match loss.forward_inputs(&inputs) {
                    Ok(out) => out,
                    Err(e) => {
                        failures.push(format!("{tag}: {e}"));
                        continue;
                    }
                };
                if out.flat.dtype() != DType::F32 {
                    failures.push(format!("{tag}: loss in {:?}, expected F32", out.flat.dtype()));
                }
                let (reference_inputs, _) = build_inputs(&host, None, &device, half.round);
                // a fresh module: GHM's EMA state must not carry over from the half run
                let reference = config
                    .try_init(&device)
                    .unwrap()
                    .forward_inputs(&reference_inputs)
                    .unwrap();
                let (got, want) = (values(out.flat.clone()), values(reference.flat));
                let off = got
                    .iter()
                    .zip(&want)
                    .any(|(g, w)| !(g.is_finite() && (g - w).abs() <= 1e-5 + 1e-5 * w.abs()));
                if off {
                    failures.push(format!("{tag}: {got:?} vs f32 on rounded inputs {want:?}"));
                }
                if out.flat.is_tracked() {
                    let grads = out.flat.sum().backward();
                    for (name, leaf) in &leaves {
                        if let Some(g) = leaf.grad(&grads) {
                            if g.dtype() != dtype {
                                failures.push(format!("{tag}: d/d{name} in {:?}", g.dtype()));
                            }
                            if values(g).iter().any(|x| !x.is_finite()) {
                                failures.push(format!("{tag}: d/d{name} not finite"));
                            }
                        }
                    }
                }
                checked += 1;
            }
        }
    }
    println!("checked {checked} (config, device, dtype) triples");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn values(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// `host` as loss inputs on `device`: floats in `dtype` (tracked leaves, returned by name) or,
/// for `None`, in f32 after rounding with `round`; integers as they are.
fn build_inputs(
    host: &[(&'static str, HostInput)],
    dtype: Option<DType>,
    device: &Device,
    round: fn(f64) -> f64,
) -> (LossInputs, Vec<(&'static str, Tensor<1>)>) {
    let mut inputs = LossInputs::new();
    let mut leaves = Vec::new();
    for (name, input) in host {
        match input {
            HostInput::Float(v, shape) => {
                let flat = match dtype {
                    Some(dtype) => {
                        let options = TensorCreationOptions::new(device.clone()).with_dtype(dtype);
                        Tensor::<1>::from_data(TensorData::new(v.clone(), [v.len()]), options).require_grad()
                    }
                    None => {
                        let rounded: Vec<f32> = v.iter().map(|&x| round(x as f64) as f32).collect();
                        Tensor::<1>::from_data(TensorData::new(rounded, [v.len()]), device)
                    }
                };
                leaves.push((*name, flat.clone()));
                inputs.insert(name, DynInput::Float(DynTensor::new(flat, shape.clone())));
            }
            HostInput::Int(v, shape) => {
                let flat = Tensor::<1, Int>::from_data(TensorData::new(v.clone(), [v.len()]), device);
                inputs.insert(name, DynInput::Int(DynTensor::new(flat, shape.clone())));
            }
        }
    }
    (inputs, leaves)
}

/// The typed API: a half-precision model output into `forward` gives an `f32` loss and a
/// gradient in the output's dtype; the module's own f32 parameters (ArcFace's class weights) meet
/// half and f64 embeddings.
#[test]
fn typed_forwards_take_half_inputs() {
    for (device_name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        for half in &HALF {
            let dtype = dtype_of(half);
            if !device.supports_dtype(dtype) {
                continue;
            }
            let options = || TensorCreationOptions::new(ad.clone()).with_dtype(dtype);
            let x = Tensor::<2>::from_data([[2.0f32, -1.0], [0.5, 3.0]], options()).require_grad();
            let y = Tensor::<2>::from_data([[1.0f32, 0.0], [0.0, 1.0]], options());
            let loss = burn_losses::BinaryFocalLossConfig::new()
                .init(&device)
                .forward(x.clone(), y);
            assert_eq!(loss.dtype(), DType::F32, "{device_name} {dtype:?}");
            let g = x.grad(&loss.backward()).expect("gradient");
            assert_eq!(g.dtype(), dtype, "{device_name}");

            let e = Tensor::<2>::from_data([[1.0f32, 0.5], [-0.5, 2.0]], options()).require_grad();
            let arcface = burn_losses::ArcFaceLossConfig::new(3, 2).try_init(&ad).unwrap();
            let labels = Tensor::<1, Int>::from_data([0, 2], &ad);
            let loss = arcface.forward(e.clone(), labels);
            assert_eq!(loss.dtype(), DType::F32);
            assert!(values(loss.clone()).iter().all(|v| v.is_finite()));
            assert_eq!(e.grad(&loss.backward()).unwrap().dtype(), dtype);
        }
        if device.supports_dtype(DType::F64) {
            // f64 is computed in f64; the module's f32 class weights join it
            let options = TensorCreationOptions::new(ad.clone()).with_dtype(DType::F64);
            let e = Tensor::<2>::from_data([[1.0f64, 0.5], [-0.5, 2.0]], options).require_grad();
            let arcface = burn_losses::ArcFaceLossConfig::new(3, 2).try_init(&ad).unwrap();
            let loss = arcface.forward(e.clone(), Tensor::<1, Int>::from_data([0, 2], &ad));
            assert_eq!(loss.dtype(), DType::F64, "{device_name}");
            assert_eq!(e.grad(&loss.backward()).unwrap().dtype(), DType::F64);
        }
    }
}

/// A dtype the device cannot hold is an error naming the dtype, not a panic inside burn.
#[test]
fn unsupported_dtype_is_an_error_naming_it() {
    for (device_name, device) in common::test_devices() {
        for half in &HALF {
            if device.supports_dtype(dtype_of(half)) {
                continue;
            }
            let request: EvalRequest = serde_json::from_value(serde_json::json!({
                "loss": {"type": "bce"}, "inputs": {"input": [0.5], "target": [1.0]}, "dtype": half.dtype
            }))
            .unwrap();
            let err = eval_request(&request, &device).unwrap_err();
            assert!(
                err.starts_with("dtype:") && err.contains("not supported"),
                "{device_name}: {err}"
            );
        }
    }
    let bad = serde_json::from_value::<EvalRequest>(serde_json::json!({
        "loss": {"type": "bce"}, "inputs": {}, "dtype": "f8"
    }))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("f8") && bad.contains("bf16"), "{bad}");
}

/// Targets written as integers join float inputs in the inputs' dtype: an f64 request with
/// `"target": [0, 1, 1]` gives the same loss as with `[0.0, 1.0, 1.0]` (it was a dtype-mismatch
/// error, the integers becoming f32). Not on wgpu, whose f64 `log` is not exact (see
/// `tests/properties.rs`, `exact_f64`).
#[test]
fn integer_targets_take_the_dtype_of_the_float_inputs() {
    for (device_name, device) in common::test_devices() {
        if device_name.starts_with("wgpu") || !device.supports_dtype(DType::F64) {
            continue;
        }
        let request = |target: Value| -> EvalRequest {
            serde_json::from_value(serde_json::json!({
                "loss": {"type": "binary_focal", "alpha": null, "gamma": 0.0, "from_logits": false, "reduction": "sum"},
                "inputs": {"input": [[0.2, 0.7, 0.9]], "target": target},
                "grad": true, "dtype": "f64"
            }))
            .unwrap()
        };
        let ints = eval_request(&request(serde_json::json!([[0, 1, 1]])), &device)
            .unwrap_or_else(|e| panic!("{device_name}: {e}"));
        let floats = eval_request(&request(serde_json::json!([[0.0, 1.0, 1.0]])), &device).unwrap();
        let value = |r: &burn_losses::eval::EvalResponse| r.loss.as_f64().unwrap();
        // BCE of probabilities: −ln 0.8 − ln 0.7 − ln 0.9, in f64
        let want = -(0.8f64.ln() + 0.7f64.ln() + 0.9f64.ln());
        assert!(
            (value(&ints) - want).abs() < 1e-12,
            "{device_name}: {}",
            value(&ints)
        );
        assert_eq!(value(&ints), value(&floats), "{device_name}");
    }
}
