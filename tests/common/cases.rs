//! The losses every generic test runs over, and random inputs for each. Adding a loss to the
//! crate = adding its configs to `all_configs` and its input shapes to `sample_inputs`.

use std::collections::BTreeMap;

use burn::tensor::Device;
use burn_losses::LossConfig;

/// Small deterministic generator (tests need no `rand`).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Approximately standard normal (sum of uniforms).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n
    }
}

/// Host-side data of one named input.
#[derive(Debug, Clone)]
pub enum HostInput {
    Float(Vec<f32>, Vec<usize>),
    Int(Vec<i64>, Vec<usize>),
}

impl HostInput {
    /// The nested JSON array of the CLI / `eval_request` format (floats stay floats: `1.0`,
    /// class indices integers).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            HostInput::Float(v, s) => burn_losses::eval::nest(v, s),
            HostInput::Int(v, s) => burn_losses::eval::nest(v, s),
        }
    }
}

/// Named host inputs of one call.
pub type HostInputs = Vec<(&'static str, HostInput)>;

/// Runs `config` on `inputs` through the same `eval_request` path as the CLI and the fixture
/// test; returns the loss values (flattened) and, with `grad`, each float input's gradient by name.
pub fn evaluate(
    config: &LossConfig,
    inputs: &HostInputs,
    device: &Device,
    grad: bool,
) -> (Vec<f64>, BTreeMap<String, Vec<f64>>) {
    let request = burn_losses::eval::EvalRequest {
        loss: config.clone(),
        inputs: inputs.iter().map(|(n, i)| (n.to_string(), i.to_json())).collect(),
        grad,
    };
    let response =
        burn_losses::eval::eval_request(&request, device).unwrap_or_else(|e| panic!("{config}: {e}"));
    let grads = response
        .grad
        .unwrap_or_default()
        .iter()
        .map(|(name, g)| (name.clone(), super::flatten(g).0))
        .collect();
    (super::flatten(&response.loss).0, grads)
}

fn parse(json: &str) -> LossConfig {
    LossConfig::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// Configurations covering every option of every loss.
pub fn all_configs() -> Vec<LossConfig> {
    [
        r#"{"type": "binary_focal"}"#,
        r#"{"type": "binary_focal", "gamma": 0.0, "alpha": null, "reduction": "sum"}"#,
        r#"{"type": "binary_focal", "gamma": 0.5, "alpha": 0.75, "label_smoothing": 0.1, "reduction": "none"}"#,
        r#"{"type": "binary_focal", "gamma": 5.0, "from_logits": false, "reduction": "mean"}"#,
        r#"{"type": "focal"}"#,
        r#"{"type": "focal", "gamma": 0.0, "reduction": "sum"}"#,
        r#"{"type": "focal", "gamma": 0.5, "alpha": [0.2, 1.0, 0.5, 2.0], "label_smoothing": 0.1, "reduction": "none"}"#,
        r#"{"type": "focal", "gamma": 1.0, "ignore_index": 255, "reduction": "mean"}"#,
        r#"{"type": "focal", "gamma": 2.0, "from_logits": false, "alpha": [0.25, 0.25, 0.25, 0.25]}"#,
    ]
    .iter()
    .map(|s| parse(s))
    .collect()
}

/// Random inputs suited to `config` (logit scale `scale`), with per-sample weights when
/// `with_weight`.
pub fn sample_inputs(config: &LossConfig, rng: &mut Lcg, scale: f64, with_weight: bool) -> HostInputs {
    let (n, c, d) = (3usize, 4usize, 2usize);
    let mut inputs: HostInputs = Vec::new();
    match config {
        LossConfig::BinaryFocal(cfg) => {
            let shape = vec![n, c, d];
            let numel = n * c * d;
            let input: Vec<f32> = if cfg.from_logits {
                (0..numel).map(|_| (rng.normal() * scale) as f32).collect()
            } else {
                (0..numel).map(|_| (0.05 + 0.9 * rng.uniform()) as f32).collect()
            };
            let target: Vec<f32> = (0..numel)
                .map(|i| {
                    if i % 3 == 0 {
                        rng.uniform() as f32
                    } else {
                        (rng.uniform() > 0.5) as u8 as f32
                    }
                })
                .collect();
            inputs.push(("input", HostInput::Float(input, shape.clone())));
            inputs.push(("target", HostInput::Float(target, shape)));
        }
        LossConfig::Focal(cfg) => {
            let mut logits: Vec<f32> = (0..n * c * d).map(|_| (rng.normal() * scale) as f32).collect();
            if !cfg.from_logits {
                // softmax over the class dim of [n, c, d]
                for i in 0..n {
                    for k in 0..d {
                        let idx = |j: usize| i * c * d + j * d + k;
                        let m = (0..c).map(|j| logits[idx(j)]).fold(f32::MIN, f32::max);
                        let z: f32 = (0..c).map(|j| (logits[idx(j)] - m).exp()).sum();
                        for j in 0..c {
                            logits[idx(j)] = (logits[idx(j)] - m).exp() / z;
                        }
                    }
                }
            }
            let mut target: Vec<i64> = (0..n * d).map(|_| rng.below(c) as i64).collect();
            if let Some(ignore) = cfg.ignore_index {
                target[1] = ignore;
            }
            inputs.push(("input", HostInput::Float(logits, vec![n, c, d])));
            inputs.push(("target", HostInput::Int(target, vec![n, d])));
        }
    }
    if with_weight {
        let w: Vec<f32> = (0..n).map(|_| (0.5 + rng.uniform()) as f32).collect();
        inputs.push(("weight", HostInput::Float(w, vec![n])));
    }
    inputs
}
