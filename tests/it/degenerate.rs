//! Degenerate batches, loss by loss: every loss documents its policy (a "Degenerate batches"
//! paragraph in its doc comment, read through `burn_losses::docs::describe`), and each policy is
//! pinned here — the value of each reduction and the gradient for an empty batch, every target
//! ignored or masked, no positives, no valid pair or triplet, a class absent, one class.

use crate::common;

use burn_losses::LossConfig;
use common::cases::{
    Evaluated, HostInput, HostInputs, Lcg, Size, all_configs, sample_inputs, sample_inputs_sized,
    try_evaluate_as,
};
use serde_json::Value;

/// What a degenerate batch must give.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Policy {
    /// An input error naming the argument (and "non-empty" for an empty batch).
    Error(&'static str),
    /// Every value exactly this, and a zero gradient.
    Constant(f64),
    /// `"none"` zeros, `"sum"` 0, `"mean"` NaN (PyTorch's mean of nothing), a zero gradient.
    NothingCounted,
    /// Finite values and finite gradients (the batch is degenerate, the loss still has a value).
    Finite,
}

/// The loss's value(s) and every float input's gradient, or the error.
fn evaluate(config: &Value, inputs: &HostInputs) -> Result<Evaluated, String> {
    let (_, device) = common::test_devices()[0].clone();
    let loss = serde_json::from_value(config.clone()).unwrap();
    try_evaluate_as(&loss, inputs, &device, true, Default::default())
}

fn with(config: &Value, reduction: &str) -> Value {
    let mut c = config.clone();
    c["reduction"] = Value::String(reduction.into());
    c
}

/// Checks `policy` for `config` on `inputs` under every reduction; a message per violation.
fn check(what: &str, config: &Value, inputs: &HostInputs, policy: Policy) -> Vec<String> {
    let mut failures = Vec::new();
    let reductions: &[&str] = if config.get("reduction").is_none() {
        &["its own"] // `sum`: each term has its reduction
    } else if config.get("exponent_after_mean") == Some(&Value::Bool(true)) {
        &["mean"]
    } else {
        &["none", "sum", "mean"]
    };
    for &reduction in reductions {
        let cfg = if config.get("reduction").is_some() {
            with(config, reduction)
        } else {
            config.clone()
        };
        let result = evaluate(&cfg, inputs);
        let problem = match (policy, &result) {
            (Policy::Error(needle), Err(e)) if e.contains(needle) && e.contains("argument `") => None,
            (Policy::Error(needle), other) => {
                Some(format!("expected an error with {needle:?}, got {other:?}"))
            }
            (_, Err(e)) => Some(format!("error {e}")),
            (Policy::Constant(c), Ok((values, grads))) => {
                let zero_grad = grads
                    .iter()
                    .all(|(n, g)| n == "target" || g.iter().all(|v| *v == 0.0));
                (!(values.iter().all(|v| *v == c) && zero_grad))
                    .then(|| format!("expected {c} and a zero gradient, got {values:?} / {grads:?}"))
            }
            (Policy::NothingCounted, Ok((values, grads))) => {
                let zero_grad = grads
                    .iter()
                    .all(|(n, g)| n == "target" || g.iter().all(|v| *v == 0.0));
                let ok = match reduction {
                    "mean" => values.iter().all(|v| v.is_nan()),
                    _ => values.iter().all(|v| *v == 0.0),
                };
                (!(ok && zero_grad)).then(|| format!("expected nothing counted, got {values:?} / {grads:?}"))
            }
            (Policy::Finite, Ok((values, grads))) => {
                let ok = values.iter().all(|v| v.is_finite())
                    && grads.values().all(|g| g.iter().all(|v| v.is_finite()));
                (!ok).then(|| format!("expected finite values and gradients, got {values:?} / {grads:?}"))
            }
        };
        if let Some(p) = problem {
            failures.push(format!("{what} {cfg}: {p}"));
        }
    }
    failures
}

/// Sets every value of the named argument.
fn set(inputs: &mut HostInputs, name: &str, f: impl Fn(usize) -> f64) {
    for (n, input) in inputs.iter_mut() {
        if *n == name {
            match input {
                HostInput::Float(v, _) => v.iter_mut().enumerate().for_each(|(i, x)| *x = f(i) as f32),
                HostInput::Int(v, _) => v.iter_mut().enumerate().for_each(|(i, x)| *x = f(i) as i64),
            }
        }
    }
}

fn has(inputs: &HostInputs, name: &str) -> bool {
    inputs.iter().any(|(n, _)| *n == name)
}

/// The degenerate batches of one listed config and the policy its loss documents for each.
fn scenarios(config: &LossConfig) -> Vec<(&'static str, HostInputs, Policy)> {
    let json = serde_json::to_value(config).unwrap();
    let name = config.name();
    let base = || sample_inputs(config, &mut Lcg::new(9), 1.0, false);
    let mut out = vec![(
        "empty batch",
        sample_inputs_sized(
            config,
            &mut Lcg::new(9),
            1.0,
            false,
            &Size {
                batch: Some(0),
                ..Default::default()
            },
        ),
        Policy::Error("non-empty"),
    )];
    let ignore = json.get("ignore_index").and_then(Value::as_i64);
    let per_element_classes = matches!(name, "focal" | "cross_entropy" | "nll" | "poly1");
    match name {
        _ if per_element_classes && ignore.is_some() => {
            let mut inputs = base();
            set(&mut inputs, "target", |_| ignore.unwrap() as f64);
            out.push(("every target ignored", inputs, Policy::NothingCounted));
        }
        "cross_entropy" | "nll" | "poly1" | "focal" | "categorical_hinge" | "multi_margin" => {}
        "balanced_bce" if json["beta"].is_null() => {
            for (what, value) in [("no positives", 0.0), ("no negatives", 1.0)] {
                let mut inputs = base();
                set(&mut inputs, "target", |_| value);
                out.push((what, inputs, Policy::Constant(0.0)));
            }
        }
        "bce" | "binary_focal" | "balanced_bce" => {
            let mut inputs = base();
            set(&mut inputs, "target", |_| 0.0);
            out.push(("no positives", inputs, Policy::Finite));
        }
        "ghm_c" | "ghm_r" => {
            let mut inputs = sample_inputs(config, &mut Lcg::new(9), 1.0, true);
            set(&mut inputs, "mask", |_| 0.0);
            out.push(("every element invalid", inputs, Policy::Constant(0.0)));
        }
        "dice" | "generalized_dice" | "tversky" | "focal_tversky" | "log_cosh_dice" => {
            if let Some(ignore) = ignore {
                let mut inputs = base();
                set(&mut inputs, "target", |_| ignore as f64);
                out.push(("every pixel ignored", inputs, Policy::Finite));
            }
            let mut inputs = base();
            if matches!(inputs[1].1, HostInput::Int(..)) {
                set(&mut inputs, "target", |_| 0.0);
                out.push(("every class but 0 absent", inputs, Policy::Finite));
            }
            let mut masked = sample_inputs(config, &mut Lcg::new(9), 1.0, true);
            if has(&masked, "mask") {
                set(&mut masked, "mask", |_| 0.0);
                out.push(("every pixel masked", masked, Policy::Finite));
            }
        }
        "lovasz" => {
            if let Some(ignore) = ignore {
                let mut inputs = base();
                set(&mut inputs, "target", |_| ignore as f64);
                out.push(("every pixel ignored", inputs, Policy::Constant(0.0)));
            }
            let mut inputs = base();
            set(&mut inputs, "target", |_| 0.0);
            out.push(("one class present", inputs, Policy::Finite));
        }
        "dsc" => {
            let mut masked = sample_inputs(config, &mut Lcg::new(9), 1.0, true);
            set(&mut masked, "mask", |_| 0.0);
            out.push(("every instance masked", masked, Policy::Finite));
        }
        "triplet_mined" | "nt_xent" | "supcon" | "contrastive" if has(&base(), "labels") => {
            // contrastive: the other kind of pair still has its terms
            let policy = if name == "contrastive" {
                Policy::Finite
            } else {
                Policy::Constant(0.0)
            };
            let mut distinct = base();
            set(&mut distinct, "labels", |i| i as f64);
            out.push(("no positive pair", distinct, policy));
            let mut same = base();
            set(&mut same, "labels", |_| 0.0);
            out.push(("no negative pair", same, policy));
        }
        "cosine_similarity" => {
            let mut inputs = base();
            set(&mut inputs, "target", |_| 0.0);
            out.push(("a zero vector", inputs, Policy::Finite));
        }
        _ => {}
    }
    out
}

#[test]
fn every_degenerate_batch_policy_holds() {
    let mut failures = Vec::new();
    let mut pinned = 0;
    for config in all_configs() {
        let json = serde_json::to_value(&config).unwrap();
        for (what, inputs, policy) in scenarios(&config) {
            failures.extend(check(what, &json, &inputs, policy));
            pinned += 1;
        }
    }
    println!("{pinned} degenerate (config, batch) policies pinned");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_loss_documents_its_degenerate_batches() {
    let missing: Vec<&str> = LossConfig::list()
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            !burn_losses::docs::describe(name)
                .unwrap()
                .doc
                .contains("Degenerate batches")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no \"Degenerate batches\" paragraph in the docs of {missing:?}"
    );
}
