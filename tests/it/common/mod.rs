//! Test helpers shared by the integration tests: fixture loading and tolerant comparison.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

pub use burn_losses::device::test_devices;

pub mod cases;

/// A directory (or file) path under the system's temp dir that no other test of this process
/// uses: the Learner tests run in parallel threads and burn-train writes and removes its
/// artifact directory, so two runs must never share one (a name built from the loss's JSON length
/// once let one test delete another's directory mid-training).
pub fn scratch_path(prefix: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "burn-losses-{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A `Linear` layer initialised as burn's default (`U(-k, k)`, `k = 1/sqrt(d_input)`) from the
/// tests' own generator instead of the backend's global RNG: the Learner tests train the same
/// model on every lane and in every run (the backend RNG differs between backends and is shared
/// by the tests that run in parallel threads, so an unlucky draw made a run fail now and then).
pub fn seeded_linear(
    d_input: usize,
    d_output: usize,
    seed: u64,
    device: &burn::tensor::Device,
) -> burn::nn::Linear {
    use burn::module::Param;
    use burn::tensor::TensorData;
    let mut rng = cases::Lcg::new(seed);
    let k = 1.0 / (d_input as f64).sqrt();
    let mut draw =
        |n: usize| -> Vec<f32> { (0..n).map(|_| (k * (2.0 * rng.uniform() - 1.0)) as f32).collect() };
    burn::nn::Linear {
        weight: Param::from_data(
            TensorData::new(draw(d_input * d_output), [d_input, d_output]),
            device,
        ),
        bias: Some(Param::from_data(
            TensorData::new(draw(d_output), [d_output]),
            device,
        )),
    }
}

/// The workspace's `tests/fixtures/<family>.json`, parsed (also from a member crate's tests,
/// which include this module by path: the nearest ancestor of the manifest dir that has them).
pub fn load_fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("tests/fixtures"))
        .find(|d| d.is_dir())
        .expect("tests/fixtures in the workspace");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

/// Flattens a number or nested array (NaN / inf spelled as strings) into values + shape.
pub fn flatten(v: &Value) -> (Vec<f64>, Vec<usize>) {
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Number(n) => out.push(n.as_f64().unwrap()),
            Value::String(s) => out.push(s.parse().expect("NaN / inf spelled as a string")),
            other => panic!("not a number: {other}"),
        }
    }
    fn shape(v: &Value) -> Vec<usize> {
        match v {
            Value::Array(items) => {
                let mut s = vec![items.len()];
                if let Some(f) = items.first() {
                    s.extend(shape(f));
                }
                s
            }
            _ => vec![],
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    (out, shape(v))
}

/// Largest `|a − e| / (atol + rtol·|e|)` (≤ 1 means within tolerance) and the shapes' agreement.
pub fn worst_ratio(actual: &Value, expected: &Value, rtol: f64, atol: f64) -> Result<f64, String> {
    let (a, sa) = flatten(actual);
    let (e, se) = flatten(expected);
    if sa != se {
        return Err(format!("shape {sa:?} != expected {se:?}"));
    }
    let mut worst = 0.0f64;
    for (x, y) in a.iter().zip(&e) {
        let r = if x.is_nan() || y.is_nan() {
            if x.is_nan() && y.is_nan() {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            (x - y).abs() / (atol + rtol * y.abs())
        };
        worst = worst.max(r);
    }
    Ok(worst)
}
