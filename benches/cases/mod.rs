//! The benchmark cases of `benches/compare.rs` (side by side with PyTorch in `benches/compare.py`):
//! one row per registered loss at its kind's representative shape, plus the in-run baselines
//! (burn-nn's own losses, the composed path with the fused kernels off).
//!
//! Shared with the test binary (`tests/it/bench_rows.rs`), which checks that every registered
//! loss has a row, that every row names an anchor `compare.py` defines, and runs every row once
//! at a small size on each test lane (the CI smoke run of the table).
// each of the two crates that include this file uses a part of it
#![allow(dead_code)]

use burn::tensor::{Device, Int, Tensor, TensorData};
use burn_losses::LossInputs;

/// The inputs of a case, built from [`values`] so that `compare.py` builds the same ones.
/// `roll(k)` below: element `i` takes the value of element `i + k` (cyclic, over the flat
/// vector).
#[derive(Clone, Copy, Debug)]
pub enum Data {
    /// `input [n, c]` and 0/1 `target [n, c]` (multi-label), 1 where `13·i mod 5 = 0`.
    Binary { n: usize, c: usize },
    /// `input [n, c]` and ±1 `target [n, c]`, −1 where `i mod 3 = 0`.
    Signs { n: usize, c: usize },
    /// `input [n, c]` and class indices `target [n]`, `31·i mod c`.
    Classes { n: usize, c: usize },
    /// `input [n, c]` (log-probabilities) and `target [n, c]` the softmax over `c` of `roll(1)`.
    Distributions { n: usize, c: usize },
    /// `input [n, c, h, w]` and class indices `target [n, h, w]`, `(31·i + i / w) mod c`.
    Dense { n: usize, c: usize, h: usize, w: usize },
    /// `embeddings [n, d]` and `labels [n]`, `i mod classes`.
    Embeddings { n: usize, d: usize, classes: usize },
    /// `embeddings [n, d]`, `labels [n]` = `31·i mod classes` and `class_weights [classes, d]`
    /// = the values of `classes·d` elements in reverse order.
    Faces { n: usize, d: usize, classes: usize },
    /// `input`, `target [n, c]` = the values and `roll(1)`, both moved by 2.5 into `[0.5, 4.5)`
    /// when `positive` (rates and counts: MSLE, Poisson).
    Regression { n: usize, c: usize, positive: bool },
    /// `input`, `target` as in `Regression`, and `var [n, c]` = `roll(2)` + 2.5.
    Gaussian { n: usize, c: usize },
    /// `input [n, c]` = the values + 2 (distances in `[0, 4)`) and ±1 `target` as in `Signs`.
    Distances { n: usize, c: usize },
    /// `input1 [n]`, `input2 [n]` = `roll(1)`, ±1 `target [n]` as in `Signs`.
    Ranking { n: usize },
    /// `anchor [n, d]`, `positive` = `roll(2)`, `negative` = `roll(1)` (the negative nearer: every
    /// triplet inside the margin).
    Triplets { n: usize, d: usize },
    /// `input1 [n, d]`, `input2` = `roll(1)`, ±1 `target [n]` as in `Signs`.
    Pairs { n: usize, d: usize },
}

impl Data {
    /// The shape of the float input whose gradient forward+backward computes.
    pub fn shape(&self) -> Vec<usize> {
        match *self {
            Data::Binary { n, c }
            | Data::Signs { n, c }
            | Data::Classes { n, c }
            | Data::Distributions { n, c }
            | Data::Regression { n, c, .. }
            | Data::Gaussian { n, c }
            | Data::Distances { n, c } => vec![n, c],
            Data::Dense { n, c, h, w } => vec![n, c, h, w],
            Data::Embeddings { n, d, .. }
            | Data::Faces { n, d, .. }
            | Data::Triplets { n, d }
            | Data::Pairs { n, d } => vec![n, d],
            Data::Ranking { n } => vec![n],
        }
    }

    /// The kind's name in `compare.py` (which builds the same inputs).
    pub fn kind(&self) -> &'static str {
        match *self {
            Data::Binary { .. } => "binary",
            Data::Signs { .. } => "signs",
            Data::Classes { .. } => "classes",
            Data::Distributions { .. } => "distributions",
            Data::Dense { .. } => "dense",
            Data::Embeddings { .. } => "embeddings",
            Data::Faces { .. } => "faces",
            Data::Regression { positive: false, .. } => "regression",
            Data::Regression { positive: true, .. } => "rates",
            Data::Gaussian { .. } => "gaussian",
            Data::Distances { .. } => "distances",
            Data::Ranking { .. } => "ranking",
            Data::Triplets { .. } => "triplets",
            Data::Pairs { .. } => "pairs",
        }
    }

    /// The number of label classes of a metric case (the PyTorch side builds the same labels).
    pub fn classes(&self) -> Option<usize> {
        match *self {
            Data::Embeddings { classes, .. } | Data::Faces { classes, .. } => Some(classes),
            _ => None,
        }
    }

    /// The float argument whose gradient forward+backward computes.
    pub fn float_input(&self) -> &'static str {
        match self {
            Data::Embeddings { .. } | Data::Faces { .. } => "embeddings",
            Data::Triplets { .. } => "anchor",
            Data::Ranking { .. } | Data::Pairs { .. } => "input1",
            _ => "input",
        }
    }

    /// The same kind at a size a debug build runs in milliseconds (the smoke run): 16 rows (256
    /// elements of a ranking), 8 × 8 images and 4 label classes of embeddings; the class and
    /// feature sizes a config names (class counts, class weights) stay.
    pub fn small(self) -> Data {
        let n = 16;
        match self {
            Data::Binary { c, .. } => Data::Binary { n, c },
            Data::Signs { c, .. } => Data::Signs { n, c },
            Data::Classes { c, .. } => Data::Classes { n, c },
            Data::Distributions { c, .. } => Data::Distributions { n, c },
            Data::Dense { c, .. } => Data::Dense { n: 2, c, h: 8, w: 8 },
            Data::Embeddings { d, .. } => Data::Embeddings { n, d, classes: 4 },
            Data::Faces { d, classes, .. } => Data::Faces { n, d, classes },
            Data::Regression { c, positive, .. } => Data::Regression { n, c, positive },
            Data::Gaussian { c, .. } => Data::Gaussian { n, c },
            Data::Distances { c, .. } => Data::Distances { n, c },
            Data::Ranking { .. } => Data::Ranking { n: 256 },
            Data::Triplets { d, .. } => Data::Triplets { n, d },
            Data::Pairs { d, .. } => Data::Pairs { n, d },
        }
    }
}

/// What computes the loss: a burn-losses config, or burn-nn's own loss (the in-run baseline).
pub enum Kind {
    Config(String),
    BurnCrossEntropy,
    BurnBinaryCrossEntropy,
    BurnMse,
}

pub struct Case {
    pub name: String,
    pub data: Data,
    pub kind: Kind,
    /// The key of the PyTorch anchor in `compare.py`'s `anchors()`.
    pub anchor: &'static str,
    /// Run with the fused kernels off (`burn_losses::set_fused_kernels(false)`): the composed
    /// tensor-op path, next to the fused one.
    pub composed: bool,
}

impl Case {
    /// The registered loss a config case runs (`None` for burn-nn's own losses).
    pub fn loss_type(&self) -> Option<String> {
        match &self.kind {
            Kind::Config(json) => {
                let v: serde_json::Value = serde_json::from_str(json).expect("case JSON");
                Some(v["type"].as_str().expect("a type").to_string())
            }
            _ => None,
        }
    }
}

/// The representative shapes of the kinds: element-wise 4,096 × 256; row-wise 65,536 × 10 and
/// 4,096 × 1,000; dense 8 × 4 × 128 × 128; pairwise 1,024 × 128.
pub const ROW_SHAPES: [(usize, usize); 2] = [(65_536, 10), (4096, 1000)];

pub fn cases() -> Vec<Case> {
    let case = |name: &str, data, anchor, json: &str| Case {
        name: name.into(),
        data,
        kind: Kind::Config(json.into()),
        anchor,
        composed: false,
    };
    let baseline = |name: String, data, anchor, kind| Case {
        name,
        data,
        kind,
        anchor,
        composed: false,
    };
    let counts = |c: usize| {
        (0..c)
            .map(|k| (10_000 / (k + 1)).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let million = Data::Binary { n: 4096, c: 256 };
    let mut all = vec![
        case(
            "binary_focal_1m",
            million,
            "binary_focal",
            r#"{"type": "binary_focal"}"#,
        ),
        Case {
            composed: true,
            ..case(
                "binary_focal_composed_1m",
                million,
                "binary_focal",
                r#"{"type": "binary_focal"}"#,
            )
        },
        case("bce_1m", million, "bce", r#"{"type": "bce"}"#),
        Case {
            composed: true,
            ..case("bce_composed_1m", million, "bce", r#"{"type": "bce"}"#)
        },
        baseline("burn_bce_1m".into(), million, "bce", Kind::BurnBinaryCrossEntropy),
    ];
    // the element-wise kind at 4,096 × 256
    let signs = Data::Signs { n: 4096, c: 256 };
    for (name, anchor, json) in [
        ("balanced_bce", "balanced_bce", r#"{"type": "balanced_bce"}"#),
        ("ghm_c", "ghm_c", r#"{"type": "ghm_c"}"#),
    ] {
        all.push(case(&format!("{name}_4096x256"), million, anchor, json));
    }
    for name in ["hinge", "squared_hinge", "perceptron", "exponential", "logistic"] {
        all.push(case(
            &format!("{name}_4096x256"),
            signs,
            name,
            &format!(r#"{{"type": "{name}"}}"#),
        ));
    }
    for (n, c) in ROW_SHAPES {
        let data = Data::Classes { n, c };
        all.push(case(
            &format!("focal_{n}x{c}"),
            data,
            "focal",
            r#"{"type": "focal"}"#,
        ));
        all.push(case(
            &format!("cross_entropy_{n}x{c}"),
            data,
            "cross_entropy",
            r#"{"type": "cross_entropy"}"#,
        ));
        let cb = format!(
            r#"{{"type": "class_balanced", "samples_per_class": [{}], "base": "softmax"}}"#,
            counts(c)
        );
        all.push(case(
            &format!("class_balanced_{n}x{c}"),
            data,
            "class_balanced",
            &cb,
        ));
        all.push(baseline(
            format!("burn_cross_entropy_{n}x{c}"),
            data,
            "cross_entropy",
            Kind::BurnCrossEntropy,
        ));
        // the rest of the row-wise kind
        for name in ["nll", "poly1", "categorical_hinge", "multi_margin", "dsc"] {
            all.push(case(
                &format!("{name}_{n}x{c}"),
                data,
                name,
                &format!(r#"{{"type": "{name}"}}"#),
            ));
        }
        all.push(case(
            &format!("kl_divergence_{n}x{c}"),
            Data::Distributions { n, c },
            "kl_divergence",
            r#"{"type": "kl_divergence"}"#,
        ));
    }
    let regression = Data::Regression {
        n: 4096,
        c: 256,
        positive: false,
    };
    let rates = Data::Regression {
        n: 4096,
        c: 256,
        positive: true,
    };
    for (name, data, json) in [
        ("mse", regression, r#"{"type": "mse"}"#),
        ("mae", regression, r#"{"type": "mae"}"#),
        ("rmse", regression, r#"{"type": "rmse"}"#),
        ("huber", regression, r#"{"type": "huber"}"#),
        ("smooth_l1", regression, r#"{"type": "smooth_l1"}"#),
        ("log_cosh", regression, r#"{"type": "log_cosh"}"#),
        ("charbonnier", regression, r#"{"type": "charbonnier"}"#),
        ("quantile", regression, r#"{"type": "quantile", "quantile": 0.9}"#),
        ("mape", regression, r#"{"type": "mape"}"#),
        ("smape", regression, r#"{"type": "smape"}"#),
        ("msle", rates, r#"{"type": "msle"}"#),
        ("poisson", rates, r#"{"type": "poisson"}"#),
        ("ghm_r", regression, r#"{"type": "ghm_r"}"#),
        (
            "cosine_similarity",
            regression,
            r#"{"type": "cosine_similarity"}"#,
        ),
        (
            "gaussian_nll",
            Data::Gaussian { n: 4096, c: 256 },
            r#"{"type": "gaussian_nll"}"#,
        ),
        (
            "hinge_embedding",
            Data::Distances { n: 4096, c: 256 },
            r#"{"type": "hinge_embedding"}"#,
        ),
    ] {
        all.push(case(&format!("{name}_4096x256"), data, name, json));
    }
    all.push(Case {
        composed: true,
        ..case("mse_composed_4096x256", regression, "mse", r#"{"type": "mse"}"#)
    });
    all.push(baseline(
        "burn_mse_4096x256".into(),
        regression,
        "mse",
        Kind::BurnMse,
    ));
    all.push(case(
        "margin_ranking_1m",
        Data::Ranking { n: 4096 * 256 },
        "margin_ranking",
        r#"{"type": "margin_ranking"}"#,
    ));
    // the dense kind at 8 × 4 × 128 × 128
    let dense = Data::Dense {
        n: 8,
        c: 4,
        h: 128,
        w: 128,
    };
    for name in [
        "dice",
        "generalized_dice",
        "tversky",
        "focal_tversky",
        "log_cosh_dice",
    ] {
        all.push(case(
            &format!("{name}_8x4x128x128"),
            dense,
            name,
            &format!(r#"{{"type": "{name}", "activation": "softmax"}}"#),
        ));
    }
    all.push(case(
        "lovasz_8x4x128x128",
        dense,
        "lovasz",
        r#"{"type": "lovasz"}"#,
    ));
    all.push(case(
        "sum_dice_ce_8x4x128x128",
        dense,
        "sum",
        // MONAI's DiceCELoss: the softmax as dice's own option (the overlap kernel's activation)
        r#"{"type": "sum", "terms": [{"weight": 1.0, "loss": {"type": "dice", "activation": "softmax"}}, {"weight": 1.0, "loss": {"type": "cross_entropy"}}]}"#,
    ));
    // the pairwise kind at 1,024 × 128
    let labelled = |classes| Data::Embeddings {
        n: 1024,
        d: 128,
        classes,
    };
    all.push(case(
        "triplet_batch_hard_1024x128",
        labelled(32),
        "triplet_batch_hard",
        r#"{"type": "triplet_mined", "mining": "batch_hard", "margin": 0.05, "normalize_embeddings": true}"#,
    ));
    all.push(case(
        "nt_xent_1024x128",
        labelled(512),
        "nt_xent",
        r#"{"type": "nt_xent", "temperature": 0.07}"#,
    ));
    all.push(case(
        "contrastive_1024x128",
        labelled(32),
        "contrastive",
        r#"{"type": "contrastive", "squared": false, "normalize_embeddings": true, "nonzero_mean": true}"#,
    ));
    all.push(case(
        "supcon_1024x128",
        labelled(32),
        "supcon",
        r#"{"type": "supcon"}"#,
    ));
    let faces = Data::Faces {
        n: 1024,
        d: 128,
        classes: 100,
    };
    for name in ["arcface", "cosface"] {
        all.push(case(
            &format!("{name}_1024x128"),
            faces,
            name,
            &format!(r#"{{"type": "{name}", "num_classes": 100, "embedding_size": 128}}"#),
        ));
    }
    all.push(case(
        "triplet_margin_1024x128",
        Data::Triplets { n: 1024, d: 128 },
        "triplet_margin",
        r#"{"type": "triplet_margin"}"#,
    ));
    all.push(case(
        "cosine_embedding_1024x128",
        Data::Pairs { n: 1024, d: 128 },
        "cosine_embedding",
        r#"{"type": "cosine_embedding"}"#,
    ));
    all
}

/// Deterministic values in [-2, 2) (the same on every run; no RNG needed for timing).
pub fn values(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i.wrapping_mul(7919) + i / 3) % 1000) as f32 / 250.0 - 2.0)
        .collect()
}

/// `v` with element `i` taking element `i + k` (cyclic).
fn roll(v: &[f32], k: usize) -> Vec<f32> {
    (0..v.len()).map(|i| v[(i + k) % v.len()]).collect()
}

/// ±1 labels, −1 where `i mod 3 = 0`.
fn signs(len: usize) -> Vec<f32> {
    (0..len).map(|i| if i % 3 == 0 { -1.0 } else { 1.0 }).collect()
}

/// The case's inputs on `device`, as named arguments.
pub fn inputs(data: Data, device: &Device) -> LossInputs {
    fn float<const D: usize>(v: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::from_data(TensorData::new(v, shape), device)
    }
    let ints = |v: Vec<i64>, n: usize| Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device);
    let shift = |v: Vec<f32>, by: f32| -> Vec<f32> { v.into_iter().map(|x| x + by).collect() };
    let two = |name: &str, x: Vec<f32>, target_name: &str, y: Vec<f32>, n: usize, c: usize| {
        LossInputs::new()
            .with_float(name, float(x, [n, c], device))
            .with_float(target_name, float(y, [n, c], device))
    };
    match data {
        Data::Binary { n, c } => {
            let y = (0..n * c).map(|i| ((i * 13) % 5 == 0) as u8 as f32).collect();
            two("input", values(n * c), "target", y, n, c)
        }
        Data::Signs { n, c } => two("input", values(n * c), "target", signs(n * c), n, c),
        Data::Distances { n, c } => two("input", shift(values(n * c), 2.0), "target", signs(n * c), n, c),
        Data::Classes { n, c } => {
            let t = ints((0..n).map(|i| ((i * 31) % c) as i64).collect(), n);
            LossInputs::new()
                .with_float("input", float(values(n * c), [n, c], device))
                .with_int("target", t)
        }
        Data::Distributions { n, c } => {
            let mut p = roll(&values(n * c), 1);
            for row in p.chunks_mut(c) {
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f32 = row
                    .iter_mut()
                    .map(|v| {
                        *v = (*v - max).exp();
                        *v
                    })
                    .sum();
                row.iter_mut().for_each(|v| *v /= sum);
            }
            two("input", values(n * c), "target", p, n, c)
        }
        Data::Dense { n, c, h, w } => {
            let t: Vec<i64> = (0..n * h * w).map(|i| ((i * 31 + i / w) % c) as i64).collect();
            LossInputs::new()
                .with_float("input", float(values(n * c * h * w), [n, c, h, w], device))
                .with_int(
                    "target",
                    Tensor::<3, Int>::from_data(TensorData::new(t, [n, h, w]), device),
                )
        }
        Data::Embeddings { n, d, classes } => LossInputs::new()
            .with_float("embeddings", float(values(n * d), [n, d], device))
            .with_int("labels", ints((0..n).map(|i| (i % classes) as i64).collect(), n)),
        Data::Faces { n, d, classes } => {
            let mut w = values(classes * d);
            w.reverse();
            LossInputs::new()
                .with_float("embeddings", float(values(n * d), [n, d], device))
                .with_int(
                    "labels",
                    ints((0..n).map(|i| ((i * 31) % classes) as i64).collect(), n),
                )
                .with_float("class_weights", float(w, [classes, d], device))
        }
        Data::Regression { n, c, positive } => {
            let by = if positive { 2.5 } else { 0.0 };
            let v = values(n * c);
            two(
                "input",
                shift(v.clone(), by),
                "target",
                shift(roll(&v, 1), by),
                n,
                c,
            )
        }
        Data::Gaussian { n, c } => {
            let v = values(n * c);
            two("input", v.clone(), "target", roll(&v, 1), n, c)
                .with_float("var", float(shift(roll(&v, 2), 2.5), [n, c], device))
        }
        Data::Ranking { n } => {
            let v = values(n);
            LossInputs::new()
                .with_float("input1", float(v.clone(), [n], device))
                .with_float("input2", float(roll(&v, 1), [n], device))
                .with_float("target", float(signs(n), [n], device))
        }
        Data::Triplets { n, d } => {
            let v = values(n * d);
            LossInputs::new()
                .with_float("anchor", float(v.clone(), [n, d], device))
                .with_float("positive", float(roll(&v, 2), [n, d], device))
                .with_float("negative", float(roll(&v, 1), [n, d], device))
        }
        Data::Pairs { n, d } => {
            let v = values(n * d);
            LossInputs::new()
                .with_float("input1", float(v.clone(), [n, d], device))
                .with_float("input2", float(roll(&v, 1), [n, d], device))
                .with_float("target", float(signs(n), [n], device))
        }
    }
}
