//! The losses every generic test runs over, and random inputs for each. Adding a loss to the
//! crate = adding its configs to `all_configs` and its input shapes to `sample_inputs`.

use std::collections::BTreeMap;

use burn::tensor::Device;
use burn_losses::LossConfig;
use serde_json::Value;

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

/// A loss's values (flattened) and each float input's gradient by name.
pub type Evaluated = (Vec<f64>, BTreeMap<String, Vec<f64>>);

/// The sizes of generated inputs ([`sample_inputs_sized`]); `None` keeps a family's own default
/// (what every fixed-shape test uses, so its random stream does not change).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Size {
    /// The batch N.
    pub batch: Option<usize>,
    /// Classes / channels C (dim 1).
    pub classes: Option<usize>,
    /// The dims after dim 1 (spatial positions; element-wise losses' trailing dims).
    pub spatial: Option<Vec<usize>>,
}

impl Size {
    fn n(&self, default: usize) -> usize {
        self.batch.unwrap_or(default)
    }
    fn c(&self, default: usize) -> usize {
        self.classes.unwrap_or(default)
    }
    fn dims(&self, default: &[usize]) -> Vec<usize> {
        self.spatial.clone().unwrap_or_else(|| default.to_vec())
    }
}

/// Runs `config` on `inputs` through the same `eval_request` path as the CLI and the fixture
/// test; returns the loss values (flattened) and, with `grad`, each float input's gradient by name.
pub fn evaluate(
    config: &LossConfig,
    inputs: &HostInputs,
    device: &Device,
    grad: bool,
) -> (Vec<f64>, BTreeMap<String, Vec<f64>>) {
    evaluate_as(config, inputs, device, grad, Default::default())
}

/// [`evaluate`] with the float inputs in `dtype`.
pub fn evaluate_as(
    config: &LossConfig,
    inputs: &HostInputs,
    device: &Device,
    grad: bool,
    dtype: burn_losses::eval::InputDtype,
) -> Evaluated {
    try_evaluate_as(config, inputs, device, grad, dtype).unwrap_or_else(|e| panic!("{config}: {e}"))
}

/// [`evaluate_as`], with the error of `eval_request` (a config or input error) returned.
pub fn try_evaluate_as(
    config: &LossConfig,
    inputs: &HostInputs,
    device: &Device,
    grad: bool,
    dtype: burn_losses::eval::InputDtype,
) -> Result<Evaluated, String> {
    let request = burn_losses::eval::EvalRequest {
        loss: config.clone(),
        inputs: inputs.iter().map(|(n, i)| (n.to_string(), i.to_json())).collect(),
        grad,
        dtype,
    };
    let response = burn_losses::eval::eval_request(&request, device)?;
    let grads = response
        .grad
        .unwrap_or_default()
        .iter()
        .map(|(name, g)| (name.clone(), super::flatten(g).0))
        .collect();
    Ok((super::flatten(&response.loss).0, grads))
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
        r#"{"type": "class_balanced", "samples_per_class": [500, 120, 30, 7], "beta": 0.999}"#,
        r#"{"type": "class_balanced", "samples_per_class": [500, 120, 30, 7], "base": "sigmoid", "reduction": "sum"}"#,
        r#"{"type": "class_balanced", "samples_per_class": [500, 120, 30, 7], "base": "focal", "gamma": 0.5, "reduction": "none"}"#,
        r#"{"type": "class_balanced", "samples_per_class": [500, 120, 30, 7], "base": "softmax_bce", "beta": 0.0}"#,
        r#"{"type": "bce"}"#,
        r#"{"type": "bce", "pos_weight": [3.0, 0.5], "label_smoothing": 0.1, "reduction": "sum"}"#,
        r#"{"type": "bce", "pos_weight": [2.0], "from_logits": false, "reduction": "none"}"#,
        r#"{"type": "balanced_bce"}"#,
        r#"{"type": "balanced_bce", "beta": 0.3, "from_logits": false, "reduction": "sum"}"#,
        r#"{"type": "ghm_c"}"#,
        r#"{"type": "ghm_c", "bins": 30, "momentum": 0.75, "reduction": "sum"}"#,
        r#"{"type": "ghm_c", "bins": 5, "reduction": "none"}"#,
        r#"{"type": "ghm_r", "mu": 0.5}"#,
        r#"{"type": "ghm_r", "mu": 1.0, "bins": 5, "momentum": 0.5, "reduction": "none"}"#,
        r#"{"type": "dice", "activation": "softmax"}"#,
        r#"{"type": "dice", "activation": "sigmoid", "squared_pred": true, "batch": true, "reduction": "sum"}"#,
        r#"{"type": "dice", "jaccard": true, "include_background": false, "weight": [1.0, 2.0], "reduction": "none"}"#,
        r#"{"type": "dice", "activation": "softmax", "ignore_index": 255, "smooth_nr": 0.0, "smooth_dr": 1.0}"#,
        r#"{"type": "generalized_dice", "activation": "softmax"}"#,
        r#"{"type": "generalized_dice", "w_type": "simple", "batch": true, "reduction": "none"}"#,
        r#"{"type": "generalized_dice", "activation": "sigmoid", "w_type": "uniform", "reduction": "sum"}"#,
        r#"{"type": "tversky", "activation": "softmax", "alpha": 0.3, "beta": 0.7}"#,
        r#"{"type": "tversky", "batch": true, "include_background": false, "reduction": "none"}"#,
        r#"{"type": "focal_tversky", "activation": "softmax", "gamma": 1.5, "ignore_index": -1}"#,
        r#"{"type": "focal_tversky", "activation": "sigmoid", "exponent_after_mean": true, "batch": true}"#,
        r#"{"type": "log_cosh_dice", "activation": "softmax"}"#,
        r#"{"type": "log_cosh_dice", "squared_pred": true, "reduction": "none"}"#,
        r#"{"type": "lovasz"}"#,
        r#"{"type": "lovasz", "classes": "all", "per_image": true, "ignore_index": 255, "reduction": "none"}"#,
        r#"{"type": "lovasz", "mode": "hinge", "per_image": true, "reduction": "sum"}"#,
        r#"{"type": "dsc"}"#,
        r#"{"type": "dsc", "alpha": 0.5, "smooth": 1e-4, "squared_pred": true, "batch": true}"#,
        r#"{"type": "dsc", "alpha": 0.0, "reduction": "none"}"#,
        r#"{"type": "sum", "terms": [{"loss": {"type": "dice", "activation": "softmax"}}, {"weight": 0.5, "loss": {"type": "focal", "gamma": 0.0}}]}"#,
        r#"{"type": "sum", "terms": [{"loss": {"type": "dice", "activation": "softmax", "include_background": false}}, {"loss": {"type": "binary_focal", "alpha": null}}]}"#,
        r#"{"type": "triplet_margin"}"#,
        r#"{"type": "triplet_margin", "p": 1.0, "swap": true, "margin": 0.5, "reduction": "sum"}"#,
        r#"{"type": "triplet_margin", "p": 3.0, "eps": 0.0, "distance": "euclidean"}"#,
        r#"{"type": "triplet_margin", "distance": "cosine", "soft_margin": true, "reduction": "none"}"#,
        r#"{"type": "triplet_margin", "distance": "squared_euclidean", "swap": true}"#,
        r#"{"type": "triplet_mined"}"#,
        r#"{"type": "triplet_mined", "mining": "batch_hard", "soft_margin": true, "reduction": "sum"}"#,
        r#"{"type": "triplet_mined", "mining": "semi_hard", "distance": "squared_euclidean", "nonzero_mean": true}"#,
        r#"{"type": "triplet_mined", "distance": "cosine", "normalize_embeddings": true, "margin": 0.2, "reduction": "none"}"#,
        r#"{"type": "contrastive"}"#,
        r#"{"type": "contrastive", "squared": false, "pos_margin": 0.1, "normalize_embeddings": true, "nonzero_mean": true}"#,
        r#"{"type": "contrastive", "distance": "squared_euclidean", "margin": 2.0, "reduction": "none"}"#,
        r#"{"type": "contrastive", "normalize_embeddings": true, "reduction": "sum"}"#,
        r#"{"type": "nt_xent", "temperature": 0.5}"#,
        r#"{"type": "nt_xent", "reduction": "none"}"#,
        r#"{"type": "supcon", "temperature": 0.5, "reduction": "sum"}"#,
        r#"{"type": "supcon"}"#,
        r#"{"type": "arcface", "num_classes": 4, "embedding_size": 3, "scale": 8.0}"#,
        r#"{"type": "arcface", "num_classes": 4, "embedding_size": 3, "margin": 10.0, "scale": 16.0, "reduction": "none"}"#,
        r#"{"type": "cosface", "num_classes": 4, "embedding_size": 3, "scale": 8.0, "reduction": "sum"}"#,
        r#"{"type": "mae"}"#,
        r#"{"type": "mae", "reduction": "sum"}"#,
        r#"{"type": "mse", "reduction": "none"}"#,
        r#"{"type": "rmse"}"#,
        r#"{"type": "rmse", "epsilon": 1e-3, "reduction": "none"}"#,
        r#"{"type": "rmse", "reduction": "sum"}"#,
        r#"{"type": "huber", "delta": 0.5}"#,
        r#"{"type": "huber", "reduction": "sum"}"#,
        r#"{"type": "smooth_l1", "beta": 0.5, "reduction": "none"}"#,
        r#"{"type": "smooth_l1", "beta": 0.0}"#,
        r#"{"type": "log_cosh"}"#,
        r#"{"type": "quantile", "quantile": 0.9}"#,
        r#"{"type": "quantile", "quantile": [0.1, 0.5, 0.9, 0.7], "reduction": "none"}"#,
        r#"{"type": "mape"}"#,
        r#"{"type": "smape", "reduction": "sum"}"#,
        r#"{"type": "msle"}"#,
        r#"{"type": "poisson"}"#,
        r#"{"type": "poisson", "log_input": true, "full": true, "reduction": "none"}"#,
        r#"{"type": "gaussian_nll"}"#,
        r#"{"type": "gaussian_nll", "full": true, "eps": 1e-3, "reduction": "sum"}"#,
        r#"{"type": "cross_entropy"}"#,
        r#"{"type": "cross_entropy", "weight": [0.2, 1.0, 0.5, 2.0], "label_smoothing": 0.1, "ignore_index": 255}"#,
        r#"{"type": "cross_entropy", "reduction": "none"}"#,
        r#"{"type": "nll", "weight": [0.2, 1.0, 0.5, 2.0], "reduction": "sum"}"#,
        r#"{"type": "kl_divergence"}"#,
        r#"{"type": "kl_divergence", "log_input": false, "reduction": "sum"}"#,
        r#"{"type": "kl_divergence", "log_target": true, "reduction": "none"}"#,
        r#"{"type": "poly1"}"#,
        r#"{"type": "poly1", "epsilon": -1.0, "ignore_index": 255, "reduction": "none"}"#,
        r#"{"type": "hinge"}"#,
        r#"{"type": "squared_hinge", "reduction": "sum"}"#,
        r#"{"type": "categorical_hinge"}"#,
        r#"{"type": "multi_margin"}"#,
        r#"{"type": "multi_margin", "p": 2, "margin": 0.5, "weight": [0.2, 1.0, 0.5, 2.0], "reduction": "none"}"#,
        r#"{"type": "perceptron"}"#,
        r#"{"type": "exponential", "reduction": "none"}"#,
        r#"{"type": "logistic"}"#,
        r#"{"type": "cosine_similarity"}"#,
        r#"{"type": "cosine_similarity", "axis": 1, "form": "one_minus", "reduction": "none"}"#,
        r#"{"type": "cosine_embedding", "margin": 0.2}"#,
        r#"{"type": "margin_ranking", "margin": 0.5, "reduction": "sum"}"#,
        r#"{"type": "hinge_embedding", "reduction": "none"}"#,
        // new losses go last: the suites seed each config by its index in this list
        r#"{"type": "charbonnier"}"#,
        r#"{"type": "charbonnier", "epsilon": 0.5, "reduction": "none"}"#,
        // smp SoftBCEWithLogitsLoss's ignore_index (the sampled targets hold none: the kept path)
        r#"{"type": "bce", "ignore_index": 255, "label_smoothing": 0.2, "reduction": "sum"}"#,
        // MONAI soft_label, smp's zeroed absent classes, MONAI other_act
        r#"{"type": "dice", "activation": "sigmoid", "soft_label": true, "absent_classes": "zero"}"#,
        r#"{"type": "tversky", "activation": "softmax", "batch": true, "absent_classes": "zero", "soft_label": true, "reduction": "sum"}"#,
        // Keras 3's per-sample reductions, MONAI FocalLoss's channel layout, kornia's averaging
        r#"{"type": "mse", "reduce_last_axis": true, "reduction": "sum"}"#,
        r#"{"type": "huber", "reduce_last_axis": true, "reduction": "mean_with_sample_weight"}"#,
        r#"{"type": "bce", "reduce_last_axis": true}"#,
        r#"{"type": "cross_entropy", "reduction": "mean_with_sample_weight"}"#,
        r#"{"type": "focal", "per_channel": true, "reduction": "sum"}"#,
        r#"{"type": "binary_focal", "per_channel": true, "include_background": false, "alpha": null}"#,
        r#"{"type": "dice", "activation": "softmax", "average": "micro", "weight": [1.0]}"#,
        r#"{"type": "dice", "activation": "softmax", "absent_classes": "skip", "smooth_nr": 0.0, "smooth_dr": 1e-6}"#,
        r#"{"type": "tversky", "activation": "softmax", "alpha": 0.3, "beta": 0.7, "absent_classes": "skip", "reduction": "sum"}"#,
        r#"{"type": "kl_divergence", "log_input": false, "reduce_last_axis": true, "reduction": "sum"}"#,
        r#"{"type": "tversky", "activation": "sigmoid", "average": "micro", "batch": true}"#,
    ]
    .iter()
    .map(|s| parse(s))
    .collect()
}

/// Binary / multi-label inputs `[n, c, d]` (logits of scale `scale`, or probabilities) and
/// targets (a third soft, the rest 0/1).
fn binary_inputs(from_logits: bool, rng: &mut Lcg, scale: f64, shape: &[usize]) -> HostInputs {
    let numel: usize = shape.iter().product();
    let input: Vec<f32> = if from_logits {
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
    vec![
        ("input", HostInput::Float(input, shape.to_vec())),
        ("target", HostInput::Float(target, shape.to_vec())),
    ]
}

/// Gradient-harmonizing inputs `[n, c]` whose gradient lengths sit at bin centres, so that a
/// finite-difference step does not move an element to another bin (at `scale >= 100`: extreme
/// values instead). `(x, y)` for GHM-C (`g = |σ(x) − y|`), GHM-R (`g = |d|/√(d² + μ²)`).
fn ghm_inputs(rng: &mut Lcg, scale: f64, bins: usize, mu: Option<f64>, shape: [usize; 2]) -> HostInputs {
    let numel = shape[0] * shape[1];
    let mut x = Vec::with_capacity(numel);
    let mut y = Vec::with_capacity(numel);
    for _ in 0..numel {
        let g = (rng.below(bins) as f64 + 0.5) / bins as f64;
        let positive = rng.uniform() > 0.5;
        let (xi, yi) = match mu {
            _ if scale >= 100.0 => (if positive { scale } else { -scale }, positive as u8 as f64),
            // σ(x) = 1 − g for a positive, g for a negative
            None => {
                let p = if positive { 1.0 - g } else { g };
                ((p / (1.0 - p)).ln(), positive as u8 as f64)
            }
            Some(mu) => {
                let target = rng.normal();
                let d = mu * g / (1.0 - g * g).sqrt();
                (target + if positive { d } else { -d }, target)
            }
        };
        x.push(xi as f32);
        y.push(yi as f32);
    }
    vec![
        ("input", HostInput::Float(x, shape.to_vec())),
        ("target", HostInput::Float(y, shape.to_vec())),
    ]
}

/// Softmax over dim 1 of `[n, c, s]` values, in place.
fn softmax_dim1(values: &mut [f32], n: usize, c: usize, s: usize) {
    for i in 0..n {
        for k in 0..s {
            let idx = |j: usize| i * c * s + j * s + k;
            let m = (0..c).map(|j| values[idx(j)]).fold(f32::MIN, f32::max);
            let z: f32 = (0..c).map(|j| (values[idx(j)] - m).exp()).sum();
            for j in 0..c {
                values[idx(j)] = (values[idx(j)] - m).exp() / z;
            }
        }
    }
}

/// Segmentation inputs `[n, c, h, w]`: logits (or softmax probabilities for activation
/// "none"), class-index targets `[n, h, w]` (sigmoid: soft / binary float targets of the input
/// shape), one pixel set to `ignore_index` when there is one.
fn overlap_inputs(
    activation: burn_losses::Activation,
    ignore_index: Option<i64>,
    rng: &mut Lcg,
    scale: f64,
    size: &Size,
) -> HostInputs {
    let (n, c, spatial) = (size.n(2), size.c(3), size.dims(&[2, 3]));
    let s: usize = spatial.iter().product();
    let mut x: Vec<f32> = (0..n * c * s).map(|_| (rng.normal() * scale) as f32).collect();
    let shape: Vec<usize> = [n, c].iter().chain(&spatial).copied().collect();
    let pixel_shape: Vec<usize> = std::iter::once(n).chain(spatial.iter().copied()).collect();
    let target = match activation {
        burn_losses::Activation::Sigmoid => {
            let y = (0..n * c * s)
                .map(|i| {
                    if i % 4 == 0 {
                        rng.uniform() as f32
                    } else {
                        (rng.uniform() > 0.6) as u8 as f32
                    }
                })
                .collect();
            HostInput::Float(y, shape.clone())
        }
        _ => {
            if activation == burn_losses::Activation::None {
                // probabilities kept >= 0.1/c so that finite-difference steps stay in [0, 1]
                softmax_dim1(&mut x, n, c, s);
                x.iter_mut()
                    .for_each(|p| *p = (0.9 * *p + 0.1 / c as f32).min(1.0));
                if c == 1 {
                    // one channel: a probability of its own, not the softmax's 1
                    x.iter_mut().for_each(|p| *p = (0.1 + 0.8 * rng.uniform()) as f32);
                }
            }
            // one channel: the index is the foreground (0 / 1)
            let mut t: Vec<i64> = (0..n * s).map(|_| rng.below(c.max(2)) as i64).collect();
            if let Some(ignore) = ignore_index
                && t.len() > 1
            {
                t[1] = ignore;
            }
            HostInput::Int(t, pixel_shape)
        }
    };
    vec![("input", HostInput::Float(x, shape)), ("target", target)]
}

/// The activation and ignore_index of a dense (segmentation) loss config, `None` for other
/// losses. Lovász-softmax and sums take logits and class targets.
fn overlap_options(config: &LossConfig) -> Option<(burn_losses::Activation, Option<i64>)> {
    use burn_losses::Activation;
    Some(match config {
        LossConfig::Dice(c) => (c.activation, c.ignore_index),
        LossConfig::GeneralizedDice(c) => (c.activation, c.ignore_index),
        LossConfig::Tversky(c) => (c.activation, c.ignore_index),
        LossConfig::FocalTversky(c) => (c.activation, c.ignore_index),
        LossConfig::LogCoshDice(c) => (c.activation, c.ignore_index),
        LossConfig::Lovasz(c) if c.mode == burn_losses::LovaszMode::Softmax => {
            (Activation::Softmax, c.ignore_index)
        }
        LossConfig::Sum(_) => (Activation::Softmax, None),
        _ => return None,
    })
}

/// `[rows, cols]` normal values of scale `scale`.
fn normal_rows(rng: &mut Lcg, scale: f64, rows: usize, cols: usize) -> HostInput {
    let v = (0..rows * cols).map(|_| (rng.normal() * scale) as f32).collect();
    HostInput::Float(v, vec![rows, cols])
}

/// Labels of a metric-learning batch of 8: classes of 3, 2, 2 members and a singleton (an anchor
/// without positives).
const BATCH_LABELS: [i64; 8] = [0, 2, 0, 1, 2, 0, 1, 3];

/// Inputs of the metric-learning losses (embeddings of scale `scale`, D = 3), `None` for other
/// losses. `contrastive` takes a labelled batch when `normalize_embeddings` is set, precomputed
/// distances with `"squared_euclidean"`, else two embedding rows and 0/1 targets.
fn metric_inputs(config: &LossConfig, rng: &mut Lcg, scale: f64, size: &Size) -> Option<HostInputs> {
    let n = size.n(BATCH_LABELS.len());
    let labels = || {
        HostInput::Int(
            (0..n).map(|i| BATCH_LABELS[i % BATCH_LABELS.len()]).collect(),
            vec![n],
        )
    };
    let pairs = size.n(5);
    Some(match config {
        LossConfig::TripletMargin(_) => {
            let rows = size.n(4);
            vec![
                ("anchor", normal_rows(rng, scale, rows, 3)),
                ("positive", normal_rows(rng, scale, rows, 3)),
                ("negative", normal_rows(rng, scale, rows, 3)),
            ]
        }
        LossConfig::TripletMined(_) | LossConfig::NtXent(_) | LossConfig::SupCon(_) => {
            vec![
                ("embeddings", normal_rows(rng, scale, n, 3)),
                ("labels", labels()),
            ]
        }
        LossConfig::Contrastive(cfg) => {
            let target = HostInput::Float((0..pairs).map(|i| (i % 2) as f32).collect(), vec![pairs]);
            if cfg.normalize_embeddings {
                vec![
                    ("embeddings", normal_rows(rng, scale, n, 3)),
                    ("labels", labels()),
                ]
            } else if cfg.distance == burn_losses::Distance::SquaredEuclidean {
                let d = (0..pairs)
                    .map(|_| (0.05 + 2.0 * rng.uniform()) as f32 * scale as f32)
                    .collect();
                vec![("distance", HostInput::Float(d, vec![pairs])), ("target", target)]
            } else {
                vec![
                    ("input1", normal_rows(rng, scale, pairs, 3)),
                    ("input2", normal_rows(rng, scale, pairs, 3)),
                    ("target", target),
                ]
            }
        }
        LossConfig::ArcFace(_) | LossConfig::CosFace(_) => {
            let (classes, dim) = match config {
                LossConfig::ArcFace(c) => (c.num_classes, c.embedding_size),
                LossConfig::CosFace(c) => (c.num_classes, c.embedding_size),
                _ => unreachable!(),
            };
            let batch = size.n(5);
            let labels = (0..batch).map(|_| rng.below(classes) as i64).collect();
            vec![
                ("embeddings", normal_rows(rng, scale, batch, dim)),
                ("labels", HostInput::Int(labels, vec![batch])),
                ("class_weights", normal_rows(rng, 1.0, classes, dim)),
            ]
        }
        _ => return None,
    })
}

/// `len` values `lo + (hi − lo)·u`, each nudged away from `kinks` by at least `gap` (so that a
/// finite-difference step never crosses a kink).
fn away_from(rng: &mut Lcg, len: usize, lo: f64, hi: f64, kinks: &[f64], gap: f64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            let mut v = lo + (hi - lo) * rng.uniform();
            for &k in kinks {
                if (v - k).abs() < gap {
                    v = k + gap.copysign(v - k);
                }
            }
            v as f32
        })
        .collect()
}

/// ±1 labels.
fn plus_minus_one(rng: &mut Lcg, len: usize) -> Vec<f32> {
    (0..len)
        .map(|_| if rng.uniform() > 0.5 { 1.0 } else { -1.0 })
        .collect()
}

/// Inputs of the regression, classification and margin losses, `None` for other
/// losses; `with_weight` adds per-sample weights `[N]` where the loss takes them. Losses whose
/// value is an exponential of the input (`exponential`, `poisson` with `log_input`) get their
/// scale capped — `exponential`'s draws (within ±2·scale) at 40, `poisson`'s normal draws (up to
/// ~4σ) at 20 — to stay below `exp(88)`, f32's range (overflow beyond is the function's, not the
/// implementation's).
fn classic_inputs(
    config: &LossConfig,
    rng: &mut Lcg,
    scale: f64,
    with_weight: bool,
    size: &Size,
) -> Option<HostInputs> {
    use LossConfig as L;
    let (n, c, spatial) = (size.n(3), size.c(4), size.dims(&[2]));
    let d: usize = spatial.iter().product();
    let shape: Vec<usize> = [n, c].iter().chain(&spatial).copied().collect();
    let target_shape: Vec<usize> = std::iter::once(n).chain(spatial.iter().copied()).collect();
    let numel = n * c * d;
    let float = |v: Vec<f32>, s: &[usize]| HostInput::Float(v, s.to_vec());
    let normal =
        |rng: &mut Lcg, len: usize, scale: f64| (0..len).map(|_| (rng.normal() * scale) as f32).collect();
    let mut weighted = true;
    let mut inputs: HostInputs = match config {
        // positive targets and predictions (rates, percentages, logarithms), errors >= 0.05 away
        // from 0 and predictions >= 0.05 away from 0
        L::Mae(_)
        | L::Mse(_)
        | L::Rmse(_)
        | L::Huber(_)
        | L::SmoothL1(_)
        | L::LogCosh(_)
        | L::Charbonnier(_)
        | L::Mape(_)
        | L::Smape(_)
        | L::Msle(_) => {
            let y = away_from(rng, numel, 0.5, 3.0 * scale.max(1.0), &[], 0.0);
            let x: Vec<f32> = y
                .iter()
                .map(|&t| {
                    let e = away_from(rng, 1, -0.4, 0.4, &[0.0], 0.05)[0];
                    t + e * scale.max(1.0) as f32
                })
                .collect();
            vec![("input", float(x, &shape)), ("target", float(y, &shape))]
        }
        L::Quantile(cfg) => {
            let (x_shape, y_shape) = match &cfg.quantile {
                burn_losses::Quantiles::One(_) => (shape.clone(), shape.clone()),
                burn_losses::Quantiles::Each(t) => (vec![n, t.len()], vec![n]),
            };
            let y: Vec<f32> = normal(rng, y_shape.iter().product(), scale);
            let x_len: usize = x_shape.iter().product();
            let x = (0..x_len)
                .map(|i| {
                    let target = y[if y_shape.len() == 1 { i / (x_len / n) } else { i }];
                    target + away_from(rng, 1, -1.0, 1.0, &[0.0], 0.05)[0] * scale as f32
                })
                .collect();
            vec![("input", float(x, &x_shape)), ("target", float(y, &y_shape))]
        }
        L::Poisson(cfg) => {
            let counts = (0..numel).map(|i| [0.0, 1.0, 2.0, 3.0, 5.0][i % 5]).collect();
            let x = if cfg.log_input {
                normal(rng, numel, scale.min(20.0))
            } else {
                away_from(rng, numel, 0.1, 4.0 * scale.max(1.0), &[], 0.0)
            };
            vec![("input", float(x, &shape)), ("target", float(counts, &shape))]
        }
        L::GaussianNll(_) => {
            // one variance per row of the last dim (its size 1)
            let mut var_shape = shape.clone();
            *var_shape.last_mut().expect("rank >= 2") = 1;
            let var = away_from(rng, numel / shape[shape.len() - 1], 0.5, 2.0, &[], 0.0);
            vec![
                ("input", float(normal(rng, numel, scale), &shape)),
                ("target", float(normal(rng, numel, scale), &shape)),
                ("var", float(var, &var_shape)),
            ]
        }
        L::CrossEntropy(_) | L::Nll(_) | L::Poly1(_) => {
            let ignore = match config {
                L::CrossEntropy(cfg) => cfg.ignore_index,
                L::Nll(cfg) => cfg.ignore_index,
                L::Poly1(cfg) => cfg.ignore_index,
                _ => unreachable!(),
            };
            let mut t: Vec<i64> = (0..n * d).map(|_| rng.below(c) as i64).collect();
            if ignore == Some(255) && t.len() > 1 {
                t[1] = 255;
            }
            vec![
                ("input", float(normal(rng, numel, scale), &shape)),
                ("target", HostInput::Int(t, target_shape.clone())),
            ]
        }
        L::KlDivergence(cfg) => {
            let mut p: Vec<f32> = normal(rng, n * c, 1.0);
            softmax_dim1(&mut p, n, c, 1);
            let target = if cfg.log_target {
                p.iter().map(|v| v.ln()).collect()
            } else {
                p
            };
            let input = if cfg.log_input {
                normal(rng, n * c, scale)
            } else {
                away_from(rng, n * c, 0.05, 0.95, &[], 0.0)
            };
            vec![
                ("input", float(input, &[n, c])),
                ("target", float(target, &[n, c])),
            ]
        }
        // scores 0.05 away from the kinks y·ŷ ∈ {0, ±1}
        L::Hinge(_) | L::SquaredHinge(_) | L::Perceptron(_) | L::Exponential(_) | L::Logistic(_) => {
            let s = if matches!(config, L::Exponential(_)) {
                scale.min(40.0)
            } else {
                scale
            };
            let x = away_from(rng, numel, -2.0 * s, 2.0 * s, &[-1.0, 0.0, 1.0], 0.05);
            vec![
                ("input", float(x, &shape)),
                ("target", float(plus_minus_one(rng, numel), &shape)),
            ]
        }
        L::CategoricalHinge(_) | L::MultiMargin(_) => {
            let batch = size.n(5);
            let t = (0..batch).map(|_| rng.below(c) as i64).collect();
            vec![
                ("input", float(normal(rng, batch * c, scale), &[batch, c])),
                ("target", HostInput::Int(t, vec![batch])),
            ]
        }
        L::CosineSimilarity(_) => vec![
            ("input", float(normal(rng, numel, scale), &shape)),
            ("target", float(normal(rng, numel, 1.0), &shape)),
        ],
        L::CosineEmbedding(_) | L::MarginRanking(_) => {
            weighted = false;
            let pairs = size.n(5);
            let rows = if matches!(config, L::CosineEmbedding(_)) {
                vec![pairs, 3]
            } else {
                vec![pairs]
            };
            let len = rows.iter().product();
            vec![
                ("input1", float(normal(rng, len, scale), &rows)),
                ("input2", float(normal(rng, len, scale), &rows)),
                ("target", float(plus_minus_one(rng, pairs), &[pairs])),
            ]
        }
        L::HingeEmbedding(cfg) => {
            let x = away_from(rng, n * c, 0.05, 3.0 * scale.max(1.0), &[cfg.margin], 0.05);
            vec![
                ("input", float(x, &[n, c])),
                ("target", float(plus_minus_one(rng, n * c), &[n, c])),
            ]
        }
        _ => return None,
    };
    if with_weight && weighted {
        let batch = match &inputs[0].1 {
            HostInput::Float(_, shape) | HostInput::Int(_, shape) => shape[0],
        };
        let w: Vec<f32> = (0..batch).map(|_| (0.5 + rng.uniform()) as f32).collect();
        inputs.push(("weight", HostInput::Float(w, vec![batch])));
    }
    Some(inputs)
}

/// Whether `config` is a metric-learning loss (inputs from [`metric_inputs`]).
pub fn is_metric_loss(config: &LossConfig) -> bool {
    metric_inputs(config, &mut Lcg::new(0), 1.0, &Size::default()).is_some()
}

/// Random inputs suited to `config` (logit scale `scale`), with per-sample weights (GHM: a
/// `valid` mask with one zero; overlap losses: a pixel `mask` with one zero) when `with_weight`.
pub fn sample_inputs(config: &LossConfig, rng: &mut Lcg, scale: f64, with_weight: bool) -> HostInputs {
    sample_inputs_sized(config, rng, scale, with_weight, &Size::default())
}

/// [`sample_inputs`] of the given sizes (where the loss's inputs have them: batch, classes /
/// channels, trailing dims).
pub fn sample_inputs_sized(
    config: &LossConfig,
    rng: &mut Lcg,
    scale: f64,
    with_weight: bool,
    size: &Size,
) -> HostInputs {
    let (n, c, spatial) = (size.n(3), size.c(4), size.dims(&[2]));
    let d: usize = spatial.iter().product();
    let shape: Vec<usize> = [n, c].iter().chain(&spatial).copied().collect();
    let target_shape: Vec<usize> = std::iter::once(n).chain(spatial.iter().copied()).collect();
    let mut inputs: HostInputs = Vec::new();
    if let Some(inputs) = metric_inputs(config, rng, scale, size) {
        return inputs;
    }
    if let Some(inputs) = classic_inputs(config, rng, scale, with_weight, size) {
        return inputs;
    }
    if let Some((activation, ignore_index)) = overlap_options(config) {
        let mut inputs = overlap_inputs(activation, ignore_index, rng, scale, size);
        let takes_mask = !matches!(config, LossConfig::Lovasz(_) | LossConfig::Sum(_));
        if with_weight && takes_mask {
            let HostInput::Float(_, input_shape) = &inputs[0].1 else {
                unreachable!("float input")
            };
            let mask_shape: Vec<usize> = std::iter::once(input_shape[0])
                .chain(input_shape[2..].iter().copied())
                .collect();
            let mut mask = vec![1.0f32; mask_shape.iter().product()];
            let off = rng.below(mask.len());
            mask[off] = 0.0;
            inputs.push(("mask", HostInput::Float(mask, mask_shape)));
        }
        return inputs;
    }
    match config {
        LossConfig::BinaryFocal(cfg) => inputs = binary_inputs(cfg.from_logits, rng, scale, &shape),
        LossConfig::Bce(cfg) => inputs = binary_inputs(cfg.from_logits, rng, scale, &shape),
        LossConfig::BalancedBce(cfg) => inputs = binary_inputs(cfg.from_logits, rng, scale, &shape),
        LossConfig::ClassBalanced(cfg) => {
            let classes = cfg.samples_per_class.len();
            let batch = size.n(5);
            let logits: Vec<f32> = (0..batch * classes)
                .map(|_| (rng.normal() * scale) as f32)
                .collect();
            let target: Vec<i64> = (0..batch).map(|_| rng.below(classes) as i64).collect();
            inputs.push(("input", HostInput::Float(logits, vec![batch, classes])));
            inputs.push(("target", HostInput::Int(target, vec![batch])));
        }
        LossConfig::GhmC(cfg) => inputs = ghm_inputs(rng, scale, cfg.bins, None, [n, c]),
        LossConfig::GhmR(cfg) => inputs = ghm_inputs(rng, scale, cfg.bins, Some(cfg.mu), [n, c]),
        LossConfig::Focal(cfg) => {
            let mut logits: Vec<f32> = (0..n * c * d).map(|_| (rng.normal() * scale) as f32).collect();
            if !cfg.from_logits {
                softmax_dim1(&mut logits, n, c, d);
            }
            let mut target: Vec<i64> = (0..n * d).map(|_| rng.below(c) as i64).collect();
            if let Some(ignore) = cfg.ignore_index
                && target.len() > 1
            {
                target[1] = ignore;
            }
            inputs.push(("input", HostInput::Float(logits, shape.clone())));
            inputs.push(("target", HostInput::Int(target, target_shape.clone())));
        }
        LossConfig::Lovasz(_) => {
            // hinge: logits [n, c, d] against 0/1 targets
            let x: Vec<f32> = (0..n * c * d).map(|_| (rng.normal() * scale) as f32).collect();
            let y: Vec<f32> = (0..n * c * d)
                .map(|_| (rng.uniform() > 0.6) as u8 as f32)
                .collect();
            inputs.push(("input", HostInput::Float(x, shape.clone())));
            inputs.push(("target", HostInput::Float(y, shape.clone())));
        }
        LossConfig::Dsc(cfg) => {
            let batch = size.n(6);
            // binary ([N] logits) when alpha = 0 (the TF dice_loss form), else [N, C]
            let (x, t, shape) = if cfg.alpha == 0.0 {
                let x = (0..batch).map(|_| (rng.normal() * scale) as f32).collect();
                let t = (0..batch).map(|i| (i % 3 == 0) as i64).collect();
                (x, t, vec![batch])
            } else {
                let x = (0..batch * c).map(|_| (rng.normal() * scale) as f32).collect();
                let t = (0..batch).map(|_| rng.below(c) as i64).collect();
                (x, t, vec![batch, c])
            };
            inputs.push(("input", HostInput::Float(x, shape)));
            inputs.push(("target", HostInput::Int(t, vec![batch])));
            if with_weight {
                let mut mask = vec![1.0f32; batch];
                let off = rng.below(batch);
                mask[off] = 0.0;
                inputs.push(("mask", HostInput::Float(mask, vec![batch])));
            }
            return inputs;
        }
        other => unreachable!("{other}: overlap losses take their inputs above"),
    }
    if with_weight && !matches!(config, LossConfig::Lovasz(_)) {
        if let LossConfig::GhmC(_) | LossConfig::GhmR(_) = config {
            let mut valid = vec![1.0f32; n * c];
            valid[rng.below(n * c)] = 0.0;
            inputs.push(("mask", HostInput::Float(valid, vec![n, c])));
        } else {
            let batch = match &inputs[0].1 {
                HostInput::Float(_, shape) | HostInput::Int(_, shape) => shape[0],
            };
            let w: Vec<f32> = (0..batch).map(|_| (0.5 + rng.uniform()) as f32).collect();
            inputs.push(("weight", HostInput::Float(w, vec![batch])));
        }
    }
    inputs
}

/// The listed configs of every loss, by name.
pub fn configs_by_loss() -> BTreeMap<&'static str, Vec<Value>> {
    let mut out: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for config in all_configs() {
        out.entry(config.name())
            .or_default()
            .push(serde_json::to_value(&config).unwrap());
    }
    out
}

/// A perturbed copy of `bases[base]`: each number ×{0, ½, 2, 10} or +1 with probability ⅓, each
/// bool flipped with probability ¼, each string option taken from another listed config of the
/// loss with probability ⅓; class-sized lists fitted to `size` ([`fit_to_size`]). Nested configs
/// (`sum` terms) and the reduction are left as they are. The result may be an invalid config.
pub fn perturbed_config(bases: &[Value], base: usize, rng: &mut Lcg, size: &Size) -> Value {
    let mut config = bases[base].clone();
    let object = config.as_object_mut().unwrap();
    for (key, value) in object.iter_mut() {
        if key == "type" || key == "reduction" || key == "terms" {
            continue;
        }
        match value {
            Value::Number(n) if rng.uniform() < 1.0 / 3.0 => {
                let x = n.as_f64().unwrap();
                let y = [0.0, 0.5 * x, 2.0 * x, 10.0 * x, x + 1.0][rng.below(5)];
                *value = if n.is_f64() {
                    serde_json::json!(y)
                } else {
                    serde_json::json!(y.round().max(0.0) as u64)
                };
            }
            Value::Bool(b) if rng.uniform() < 0.25 => *b = !*b,
            Value::String(_) if rng.uniform() < 1.0 / 3.0 => {
                let other = &bases[rng.below(bases.len())];
                if let Some(v) = other.get(key.as_str()) {
                    *value = v.clone();
                }
            }
            _ => {}
        }
    }
    fit_to_size(&mut config, size);
    config
}

/// The config fields whose length is the class count (or, for `bce`'s `pos_weight`, the last
/// dim; for Dice's `weight`, the classes scored), cycled / cut to the case's sizes.
fn fit_to_size(config: &mut Value, size: &Size) {
    let name = config["type"].as_str().unwrap().to_string();
    let classes = size.classes.unwrap();
    let last = size
        .spatial
        .as_ref()
        .and_then(|s| s.last().copied())
        .unwrap_or(classes);
    let scored = if config.get("include_background") == Some(&Value::Bool(false)) && classes > 1 {
        classes - 1
    } else {
        classes
    };
    let fields: &[(&str, usize)] = match name.as_str() {
        "focal" => &[("alpha", classes)],
        "cross_entropy" | "nll" | "multi_margin" => &[("weight", classes)],
        "class_balanced" => &[("samples_per_class", classes)],
        "bce" => &[("pos_weight", last)],
        "dice" | "log_cosh_dice" => &[("weight", scored)],
        _ => &[],
    };
    for &(field, len) in fields {
        if let Some(Value::Array(values)) = config.get_mut(field)
            && values.len() > 1
        {
            let cycled: Vec<Value> = (0..len).map(|i| values[i % values.len()].clone()).collect();
            *values = cycled;
        }
    }
}
