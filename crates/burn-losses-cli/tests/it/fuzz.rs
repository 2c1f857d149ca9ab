//! A bounded fuzz test of everything a user can hand the losses as text: `eval` requests and
//! loss configs in JSON and TOML. From the reference fixtures' requests and the configs of every
//! loss (`tests/common/cases.rs`), a deterministic generator derives more than 10,000 mutated
//! requests and configs — wrong types, huge / negative / non-finite numbers, numbers written as
//! strings ("NaN", "inf"), ragged and deeply nested arrays, empty arrays and objects, unknown
//! fields, missing fields, other loss names, truncated and garbled text — and each must get either
//! a response or a one-line error that names the argument or config field (or, for text that is
//! not JSON / TOML, the position), never a panic, an abort or a hang (a watchdog bounds the run).
//! A sample of the rejected requests then goes through the `burn-losses` binary: exit code 2 and
//! one line on stderr.
//!
//! `BURN_LOSSES_FUZZ_CASES` sets the number of generated requests (default 10,000; 2,000 on the
//! wgpu lane, where lavapipe emulates the GPU on the CPU).

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;

use common::cases::{Lcg, all_configs};

/// A value that breaks the expectations of whatever field it lands in.
fn hostile_value(rng: &mut Lcg) -> Value {
    let deep = (0..rng.below(300) + 2).fold(json!(1.0), |v, _| json!([v]));
    let choices = [
        json!("NaN"),
        json!("inf"),
        json!("-inf"),
        json!("1e400"),
        json!(""),
        json!(null),
        json!(true),
        json!({}),
        json!([]),
        json!([[]]),
        json!(1e308),
        json!(-1e308),
        json!(f64::MAX),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(-1),
        json!(0),
        json!(1e12),
        json!(-0.5),
        json!(2.5),
        json!([[1.0, 2.0], [3.0]]),
        json!([1.0, "x", 3.0]),
        json!([[[1.0]], [2.0]]),
        json!({"type": "focal"}),
        json!("focal"),
        json!([1e30, -1e30, 0.0]),
        deep,
    ];
    choices[rng.below(choices.len())].clone()
}

/// Every value position in `v` (as JSON pointers).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| pointers(c, format!("{at}/{k}"), out)),
        Value::Array(a) if a.len() <= 8 => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// One mutation of a request or config.
fn mutate(seed: &Value, rng: &mut Lcg, loss_names: &[&str]) -> Value {
    let mut v = seed.clone();
    let mut at = Vec::new();
    pointers(&v, String::new(), &mut at);
    let target = at[rng.below(at.len())].clone();
    match rng.below(6) {
        // replace a value
        0 | 1 => {
            if let Some(slot) = v.pointer_mut(&target) {
                *slot = hostile_value(rng);
            }
        }
        // add an unknown field to an object
        2 => {
            if let Some(Value::Object(m)) = v.pointer_mut(&target) {
                m.insert(format!("no_such_field_{}", rng.below(100)), hostile_value(rng));
            } else if let Value::Object(m) = &mut v {
                m.insert("extra".into(), json!(1));
            }
        }
        // remove a field
        3 => {
            let (parent, key) = target.rsplit_once('/').unwrap_or(("", ""));
            if let Some(Value::Object(m)) = v.pointer_mut(parent) {
                m.remove(key);
            }
        }
        // another loss's name (fields that do not belong to it)
        4 => {
            let at = if v.pointer("/loss/type").is_some() {
                "/loss/type"
            } else {
                "/type"
            };
            if let Some(t) = v.pointer_mut(at) {
                *t = json!(loss_names[rng.below(loss_names.len())]);
            }
        }
        // reshape an array: drop an element, nest it, or empty it
        _ => {
            if let Some(Value::Array(a)) = v.pointer_mut(&target) {
                match rng.below(3) {
                    0 if !a.is_empty() => {
                        a.pop();
                    }
                    1 => {
                        let inner = a.clone();
                        a.push(Value::Array(inner));
                    }
                    _ => a.clear(),
                }
            } else if let Some(slot) = v.pointer_mut(&target) {
                *slot = hostile_value(rng);
            }
        }
    }
    v
}

/// A text-level mutation: truncated, garbled, or a bare non-object.
fn garble(text: &str, rng: &mut Lcg) -> String {
    let chars: Vec<char> = text.chars().collect();
    match rng.below(4) {
        0 => chars[..rng.below(chars.len().max(1))].iter().collect(),
        1 => {
            let mut c = chars.clone();
            let at = rng.below(c.len().max(1));
            c.insert(
                at.min(c.len()),
                ['{', ']', '"', ',', ':', '\u{0}', 'é'][rng.below(7)],
            );
            c.into_iter().collect()
        }
        2 => ["", " ", "null", "[]", "42", "\"focal\"", "{}", "{\"loss\": {}}"][rng.below(8)].to_string(),
        _ => text.replace(':', "="),
    }
}

/// A one-line message that names what it rejects: an argument, a config field, a request key
/// (`` `name` ``), the loss name, or a position in text that is not JSON / TOML.
fn names_something(message: &str) -> bool {
    !message.contains('\n')
        && (message.contains('`')
            || message.contains("line ")
            || message.contains("column")
            || message.contains("loss name"))
}

/// The seeds: every fixture request, and a request of every listed config on small inputs.
fn seeds() -> Vec<Value> {
    let mut out: Vec<Value> = common::load_fixtures()
        .into_iter()
        .flat_map(|(_, f)| {
            f["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["request"].clone())
                .collect::<Vec<_>>()
        })
        .collect();
    for (k, config) in all_configs().into_iter().enumerate() {
        let inputs = common::cases::sample_inputs(&config, &mut Lcg::new(k as u64), 1.0, k % 2 == 0);
        let inputs: BTreeMap<String, Value> =
            inputs.iter().map(|(n, i)| (n.to_string(), i.to_json())).collect();
        out.push(json!({"loss": config, "inputs": inputs, "grad": k % 3 == 0}));
    }
    out
}

#[test]
fn mutated_requests_and_configs_get_a_response_or_a_one_line_error() {
    let (device_name, device) = common::test_devices()[0].clone();
    // lavapipe (the wgpu lane) is a CPU emulation: fewer requests there, 10,000 on every other lane
    let cases: usize = std::env::var("BURN_LOSSES_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if device_name.starts_with("wgpu") {
            2_000
        } else {
            10_000
        });
    let seeds = seeds();
    let loss_names: Vec<&str> = burn_losses::LossConfig::list().iter().map(|(n, _)| *n).collect();
    // the request in flight, for the watchdog's report
    let current = Arc::new(Mutex::new(String::new()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = {
        let current = current.clone();
        std::thread::spawn(move || {
            let mut rng = Lcg::new(2026);
            let mut failures = Vec::new();
            let mut rejected = Vec::new();
            let (mut answered, mut refused) = (0usize, 0usize);
            for i in 0..cases {
                let seed = &seeds[rng.below(seeds.len())];
                let mut value = seed.clone();
                for _ in 0..1 + rng.below(3) {
                    value = mutate(&value, &mut rng, &loss_names);
                }
                let text = if i % 10 == 9 {
                    garble(&value.to_string(), &mut rng)
                } else {
                    value.to_string()
                };
                *current.lock().unwrap() = text.chars().take(300).collect();
                let started = Instant::now();
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| burn_losses_cli::respond(&text, &device)));
                let took = started.elapsed();
                match outcome {
                    Err(_) => failures.push(format!("panicked on {text}")),
                    Ok(Ok(_)) => answered += 1,
                    Ok(Err(message)) => {
                        refused += 1;
                        if !names_something(&message) {
                            failures.push(format!("{message:?} names nothing, for {text:.300}"));
                        }
                        if rejected.len() < 40 && i % 37 == 0 {
                            rejected.push(text.clone());
                        }
                    }
                }
                if took > Duration::from_secs(10) {
                    failures.push(format!("{took:?} on {text:.300}"));
                }
                // configs alone: JSON through LossConfig::parse, and TOML
                if i % 4 == 0 {
                    let config = value.get("loss").cloned().unwrap_or(value.clone());
                    let json_text = config.to_string();
                    let toml_text = toml::to_string(&config).unwrap_or_else(|_| garble(&json_text, &mut rng));
                    let parsed = std::panic::catch_unwind(|| {
                        let a = burn_losses::LossConfig::parse(&json_text)
                            .and_then(|c| c.try_init(&device).map(|_| ()));
                        let b = toml::from_str::<burn_losses::LossConfig>(&toml_text)
                            .map_err(|e| e.to_string())
                            .and_then(|c| c.try_init(&device).map(|_| ()).map_err(|e| e.to_string()));
                        (a.map_err(|e| e.to_string()), b)
                    });
                    match parsed {
                        Err(_) => failures.push(format!("config parsing panicked on {json_text:.300}")),
                        Ok((a, b)) => {
                            for message in [a.err(), b.err()].into_iter().flatten() {
                                let first = message.lines().next().unwrap_or("");
                                // TOML's parser quotes the offending line below its message
                                if !names_something(first) {
                                    failures.push(format!("config error {message:?} names nothing"));
                                }
                            }
                        }
                    }
                }
            }
            done_tx.send(()).ok();
            (failures, rejected, answered, refused)
        })
    };
    if done_rx.recv_timeout(Duration::from_secs(900)).is_err() {
        panic!("the fuzz run hung on: {}", current.lock().unwrap());
    }
    let (failures, rejected, answered, refused) = worker.join().unwrap();
    println!("fuzz: {cases} requests, {answered} answered, {refused} refused with a one-line error");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // through the binary: exit code 2, one line on stderr
    for text in rejected {
        let mut child = Command::new(env!("CARGO_BIN_EXE_burn-losses"))
            .args(["eval", "--device", device_name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:.300}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{text:.300}: {stderr}");
    }
}
