//! The classic losses (regression, classification, margin): equality with burn-nn
//! where burn-nn has the loss, the documented subgradients at the kinks (PyTorch's), identities
//! between losses, stability at extreme errors, and an error naming the field or argument for
//! every invalid config and input.

use crate::common;

use burn::tensor::{Int, Tensor, TensorData};
use burn_losses::{ErrorKind, LossConfig, LossInputs};
use common::cases::{HostInput, HostInputs, evaluate};

fn parse(json: &str) -> LossConfig {
    LossConfig::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn float(v: &[f32], shape: &[usize]) -> HostInput {
    HostInput::Float(v.to_vec(), shape.to_vec())
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

const X: [f32; 8] = [0.3, -1.7, 2.2, 0.05, -0.4, 1.1, -2.6, 0.9];
const Y: [f32; 8] = [0.0, -1.0, 0.5, 0.5, 1.5, 1.0, -0.5, 2.0];
const SIGNS: [f32; 8] = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0];

fn scalar(t: Tensor<1>) -> f64 {
    t.into_data().iter::<f64>().next().unwrap()
}

#[test]
fn equal_to_burn_nn_where_burn_nn_has_the_loss() {
    use burn::nn::loss as nn;
    for (device_name, device) in common::test_devices() {
        let t = |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [2, 4]), &device);
        let (x, y, s) = (t(&X), t(&Y), t(&SIGNS));
        let ours = |json: &str, inputs: HostInputs| evaluate(&parse(json), &inputs, &device, false).0[0];
        let pair = || vec![("input", float(&X, &[2, 4])), ("target", float(&Y, &[2, 4]))];
        let mean = nn::Reduction::Mean;
        let checks = [
            (
                "mse",
                ours(r#"{"type": "mse"}"#, pair()),
                scalar(nn::MseLoss::new().forward(x.clone(), y.clone(), mean.clone())),
            ),
            (
                "huber",
                ours(r#"{"type": "huber", "delta": 0.5}"#, pair()),
                scalar(
                    nn::HuberLossConfig::new(0.5)
                        .init()
                        .forward(x.clone(), y.clone(), mean.clone()),
                ),
            ),
            (
                "smooth_l1",
                ours(r#"{"type": "smooth_l1", "beta": 0.5}"#, pair()),
                scalar(
                    nn::SmoothL1LossConfig::new()
                        .with_beta(0.5)
                        .init()
                        .forward(x.clone(), y.clone())
                        .mean()
                        .reshape([1]),
                ),
            ),
            (
                "hinge_embedding",
                ours(
                    r#"{"type": "hinge_embedding", "margin": 1.5}"#,
                    vec![
                        ("input", float(&X.map(f32::abs), &[2, 4])),
                        ("target", float(&SIGNS, &[2, 4])),
                    ],
                ),
                scalar(
                    nn::HingeEmbeddingLossConfig::new()
                        .with_margin(1.5)
                        .init()
                        .forward(x.clone().abs(), s.clone(), mean.clone()),
                ),
            ),
            (
                "margin_ranking",
                ours(
                    r#"{"type": "margin_ranking", "margin": 0.3}"#,
                    vec![
                        ("input1", float(&X, &[2, 4])),
                        ("input2", float(&Y, &[2, 4])),
                        ("target", float(&SIGNS, &[2, 4])),
                    ],
                ),
                scalar(
                    nn::MarginRankingLossConfig::new()
                        .with_margin(0.3)
                        .init()
                        .forward(x.clone(), y.clone(), s.clone(), mean.clone()),
                ),
            ),
            (
                "kl_divergence",
                ours(
                    r#"{"type": "kl_divergence", "log_target": true, "reduction": "mean"}"#,
                    vec![("input", float(&X, &[2, 4])), ("target", float(&Y, &[2, 4]))],
                ),
                scalar(nn::KLDivLossConfig::new().with_log_target(true).init().forward(
                    x.clone(),
                    y.clone(),
                    mean.clone(),
                )),
            ),
            (
                "poisson",
                ours(
                    r#"{"type": "poisson", "log_input": true, "full": true}"#,
                    vec![
                        ("input", float(&X, &[2, 4])),
                        ("target", float(&Y.map(f32::abs), &[2, 4])),
                    ],
                ),
                scalar(nn::PoissonNllLossConfig::new().with_full(true).init().forward(
                    x.clone(),
                    y.clone().abs(),
                    mean.clone(),
                )),
            ),
            (
                "gaussian_nll",
                ours(
                    r#"{"type": "gaussian_nll", "full": true}"#,
                    vec![
                        ("input", float(&X, &[2, 4])),
                        ("target", float(&Y, &[2, 4])),
                        ("var", float(&X.map(|v| v.abs() + 0.1), &[2, 4])),
                    ],
                ),
                scalar(nn::GaussianNLLLossConfig::new().with_full(true).init().forward(
                    x.clone(),
                    y.clone(),
                    x.clone().abs() + 0.1,
                    mean.clone(),
                )),
            ),
        ];
        for (name, a, b) in checks {
            assert!(
                close(&[a], &[b], 1e-5),
                "{name} on {device_name}: ours {a} vs burn-nn {b}"
            );
        }
        // cosine embedding and multi-margin take [N, D] / [N, C] with integer targets in burn-nn
        let labels = Tensor::<1, Int>::from_ints([1, -1], &device);
        let a = ours(
            r#"{"type": "cosine_embedding", "margin": 0.1}"#,
            vec![
                ("input1", float(&X, &[2, 4])),
                ("input2", float(&Y, &[2, 4])),
                ("target", float(&[1.0, -1.0], &[2])),
            ],
        );
        let b = scalar(
            nn::CosineEmbeddingLossConfig::new()
                .with_margin(0.1)
                .init()
                .forward(x.clone(), y.clone(), labels),
        );
        assert!(
            close(&[a], &[b], 1e-5),
            "cosine_embedding on {device_name}: {a} vs {b}"
        );
        let classes = Tensor::<1, Int>::from_ints([2, 0], &device);
        let a = ours(
            r#"{"type": "multi_margin", "p": 2, "margin": 0.7}"#,
            vec![
                ("input", float(&X, &[2, 4])),
                ("target", HostInput::Int(vec![2, 0], vec![2])),
            ],
        );
        let b = scalar(
            nn::MultiMarginLossConfig::new()
                .with_p(2)
                .with_margin(0.7)
                .init()
                .forward(x.clone(), classes, mean.clone()),
        );
        assert!(
            close(&[a], &[b], 1e-5),
            "multi_margin on {device_name}: {a} vs {b}"
        );
        // cross-entropy (no weights, no smoothing) = burn-nn's CrossEntropyLoss
        let targets = Tensor::<1, Int>::from_ints([3, 1], &device);
        let a = ours(
            r#"{"type": "cross_entropy"}"#,
            vec![
                ("input", float(&X, &[2, 4])),
                ("target", HostInput::Int(vec![3, 1], vec![2])),
            ],
        );
        let b = scalar(
            nn::CrossEntropyLossConfig::new()
                .init(&device)
                .forward(x.clone(), targets),
        );
        assert!(
            close(&[a], &[b], 1e-5),
            "cross_entropy on {device_name}: {a} vs {b}"
        );
    }
}

/// `(value, gradient of the input named `wrt`)` of one call.
fn with_grad(
    json: &str,
    inputs: &HostInputs,
    wrt: &str,
    device: &burn::tensor::Device,
) -> (Vec<f64>, Vec<f64>) {
    let (v, g) = evaluate(&parse(json), inputs, device, true);
    (v, g[wrt].clone())
}

#[test]
fn subgradients_at_the_kinks_are_pytorchs() {
    for (device_name, device) in common::test_devices() {
        let d = &device;
        let one = |x: f32, y: f32| vec![("input", float(&[x], &[1])), ("target", float(&[y], &[1]))];
        let cases: Vec<(&str, HostInputs, &str, f64)> = vec![
            // |0|: sign(0) = 0 (PyTorch l1_loss)
            (r#"{"type": "mae"}"#, one(0.5, 0.5), "input", 0.0),
            // Huber at |d| = δ: ±δ (continuous)
            (r#"{"type": "huber", "delta": 0.5}"#, one(1.0, 0.5), "input", 0.5),
            (
                r#"{"type": "smooth_l1", "beta": 0.0}"#,
                one(0.5, 0.5),
                "input",
                0.0,
            ),
            // pinball at d = 0: the τ branch (TF-Addons), ∂/∂ŷ = −τ
            (
                r#"{"type": "quantile", "quantile": 0.3}"#,
                one(0.5, 0.5),
                "input",
                -0.3,
            ),
            // Keras hinges on torch: torch.maximum's ½ at the tie
            (r#"{"type": "hinge"}"#, one(1.0, 1.0), "input", -0.5),
            (r#"{"type": "hinge"}"#, one(-1.0, -1.0), "input", 0.5),
            (r#"{"type": "perceptron"}"#, one(0.0, 1.0), "input", -0.5),
            (r#"{"type": "squared_hinge"}"#, one(1.0, 1.0), "input", 0.0),
            // PyTorch clamp_min: the full gradient at the tie
            (
                r#"{"type": "hinge_embedding", "margin": 1.0}"#,
                one(1.0, -1.0),
                "input",
                -1.0,
            ),
            (
                r#"{"type": "margin_ranking", "margin": 0.5}"#,
                vec![
                    ("input1", float(&[1.0], &[1])),
                    ("input2", float(&[0.5], &[1])),
                    ("target", float(&[1.0], &[1])),
                ],
                "input1",
                -1.0,
            ),
        ];
        for (json, inputs, wrt, expected) in cases {
            let (_, g) = with_grad(json, &inputs, wrt, d);
            assert!(
                (g[0] - expected).abs() < 1e-6,
                "{json} on {device_name}: d/d{wrt} = {} expected {expected}",
                g[0]
            );
        }
        // multi_margin: PyTorch's kernel counts z > 0 only: the tie z = 0 has no gradient
        let inputs = vec![
            ("input", float(&[1.0, 0.0, -3.0], &[1, 3])),
            ("target", HostInput::Int(vec![0], vec![1])),
        ];
        let (v, g) = with_grad(r#"{"type": "multi_margin"}"#, &inputs, "input", d);
        assert!(
            v[0].abs() < 1e-7 && g.iter().all(|g| g.abs() < 1e-7),
            "multi_margin tie: {v:?} {g:?}"
        );
    }
}

#[test]
fn identities_between_losses() {
    for (device_name, device) in common::test_devices() {
        let d = &device;
        let pair = vec![("input", float(&X, &[2, 4])), ("target", float(&Y, &[2, 4]))];
        let v = |json: &str, inputs: &HostInputs| evaluate(&parse(json), inputs, d, false).0;
        // Huber(δ) / δ = smooth L1(β = δ)
        let huber = v(r#"{"type": "huber", "delta": 0.7, "reduction": "none"}"#, &pair);
        let smooth = v(
            r#"{"type": "smooth_l1", "beta": 0.7, "reduction": "none"}"#,
            &pair,
        );
        assert!(
            close(&huber.iter().map(|h| h / 0.7).collect::<Vec<_>>(), &smooth, 1e-6),
            "{device_name}"
        );
        // quantile 0.5 = MAE / 2
        let pinball = v(r#"{"type": "quantile", "quantile": 0.5}"#, &pair);
        let mae = v(r#"{"type": "mae"}"#, &pair);
        assert!(close(&pinball, &[mae[0] / 2.0], 1e-6), "{device_name}");
        // rmse (ε = 0) = √mse
        let rmse = v(r#"{"type": "rmse", "epsilon": 0.0}"#, &pair);
        let mse = v(r#"{"type": "mse"}"#, &pair);
        assert!(close(&rmse, &[mse[0].sqrt()], 1e-6), "{device_name}");
        // classification: poly1 ε = 0 = CE = nll(log_softmax) = KL from one-hot; focal γ = 0 with
        // α = weights and the same smoothing = CE "sum"
        let logits = float(&X, &[2, 4]);
        let classes = HostInput::Int(vec![3, 1], vec![2]);
        let ci = vec![("input", logits.clone()), ("target", classes.clone())];
        let ce = v(r#"{"type": "cross_entropy"}"#, &ci);
        assert!(
            close(&v(r#"{"type": "poly1", "epsilon": 0.0}"#, &ci), &ce, 1e-6),
            "{device_name}"
        );
        let log_p: Vec<f32> = X
            .chunks(4)
            .flat_map(|row| {
                let m = row.iter().fold(f32::MIN, |a, &b| a.max(b));
                let z: f32 = row.iter().map(|r| (r - m).exp()).sum();
                row.iter().map(move |r| r - m - z.ln()).collect::<Vec<_>>()
            })
            .collect();
        let nll = v(
            r#"{"type": "nll"}"#,
            &vec![("input", float(&log_p, &[2, 4])), ("target", classes.clone())],
        );
        assert!(close(&nll, &ce, 1e-5), "{device_name}: nll {nll:?} ce {ce:?}");
        let one_hot = float(&[0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0], &[2, 4]);
        let kl = v(
            r#"{"type": "kl_divergence"}"#,
            &vec![("input", float(&log_p, &[2, 4])), ("target", one_hot.clone())],
        );
        assert!(close(&kl, &ce, 1e-5), "{device_name}: kl {kl:?} ce {ce:?}");
        let ce_w = v(
            r#"{"type": "cross_entropy", "weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.2, "reduction": "sum"}"#,
            &ci,
        );
        let focal = v(
            r#"{"type": "focal", "gamma": 0.0, "alpha": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.2, "reduction": "sum"}"#,
            &ci,
        );
        assert!(close(&ce_w, &focal, 1e-5), "{device_name}: {ce_w:?} vs {focal:?}");
        // probability targets: a one-hot target = its class index
        let ce_p = v(
            r#"{"type": "cross_entropy"}"#,
            &vec![("input", logits.clone()), ("target", one_hot.clone())],
        );
        assert!(close(&ce_p, &ce, 1e-6), "{device_name}");
        // categorical hinge: class indices = their one-hot
        let a = v(r#"{"type": "categorical_hinge"}"#, &ci);
        let b = v(
            r#"{"type": "categorical_hinge"}"#,
            &vec![("input", logits.clone()), ("target", one_hot)],
        );
        assert!(close(&a, &b, 1e-7), "{device_name}");
        // hinge on 0/1 targets = hinge on their ±1 form
        let zero_one = SIGNS.map(|s| (s + 1.0) / 2.0);
        let a = v(
            r#"{"type": "hinge"}"#,
            &vec![("input", logits.clone()), ("target", float(&zero_one, &[2, 4]))],
        );
        let b = v(
            r#"{"type": "hinge"}"#,
            &vec![("input", logits), ("target", float(&SIGNS, &[2, 4]))],
        );
        assert!(close(&a, &b, 1e-7), "{device_name}");
    }
}

#[test]
fn stable_at_extreme_errors() {
    for (device_name, device) in common::test_devices() {
        let big = [1e4f32, -1e4, 3e4, -8e3];
        let zeros = [0.0f32; 4];
        let inputs = vec![("input", float(&big, &[4])), ("target", float(&zeros, &[4]))];
        let (v, g) = evaluate(
            &parse(r#"{"type": "log_cosh", "reduction": "none"}"#),
            &inputs,
            &device,
            true,
        );
        let expected: Vec<f64> = big
            .iter()
            .map(|&b| (b as f64).abs() - std::f64::consts::LN_2)
            .collect();
        assert!(close(&v, &expected, 1e-6), "{device_name}: log_cosh {v:?}");
        assert!(
            close(&g["input"], &[1.0, -1.0, 1.0, -1.0], 1e-6),
            "{device_name}: {g:?}"
        );
        let margins = vec![
            ("input", float(&[50.0, -50.0, 1e4, -1e4], &[4])),
            ("target", float(&[1.0; 4], &[4])),
        ];
        let (v, g) = evaluate(
            &parse(r#"{"type": "logistic", "reduction": "none"}"#),
            &margins,
            &device,
            true,
        );
        assert!(
            close(&v, &[0.0, 50.0, 0.0, 1e4], 1e-6),
            "{device_name}: logistic {v:?}"
        );
        assert!(g["input"].iter().all(|x| x.is_finite()), "{device_name}: {g:?}");
        // rmse at zero error: finite (zero) gradient through ε
        let same = vec![
            ("input", float(&[0.5, 0.5], &[2])),
            ("target", float(&[0.5, 0.5], &[2])),
        ];
        let (v, g) = evaluate(&parse(r#"{"type": "rmse"}"#), &same, &device, true);
        assert!(
            (v[0] - 1e-6).abs() < 1e-9 && g["input"].iter().all(|x| *x == 0.0),
            "{device_name}: {v:?} {g:?}"
        );
    }
}

fn config_error(json: &str) -> String {
    let err = parse(json)
        .try_init(&burn::tensor::Device::default())
        .expect_err(json);
    assert_eq!(err.kind, ErrorKind::Config, "{json}");
    err.to_string()
}

#[test]
fn invalid_configs_name_the_field() {
    for (json, message) in [
        (
            r#"{"type": "rmse", "epsilon": -1}"#,
            "rmse: config field `epsilon`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "huber", "delta": 0}"#,
            "huber: config field `delta`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "smooth_l1", "beta": -0.5}"#,
            "smooth_l1: config field `beta`: expected a finite number >= 0, got -0.5",
        ),
        (
            r#"{"type": "quantile", "quantile": 1.5}"#,
            "quantile: config field `quantile`: expected a number in [0, 1], got 1.5",
        ),
        (
            r#"{"type": "quantile", "quantile": [0.5, -0.1]}"#,
            "quantile: config field `quantile[1]`: expected a number in [0, 1], got -0.1",
        ),
        (
            r#"{"type": "quantile", "quantile": []}"#,
            "quantile: config field `quantile`: expected a number in [0, 1] or a non-empty list of them, got an empty list",
        ),
        (
            r#"{"type": "mape", "epsilon": 0}"#,
            "mape: config field `epsilon`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "smape", "epsilon": -1}"#,
            "smape: config field `epsilon`: expected a finite number > 0, got -1",
        ),
        (
            r#"{"type": "msle", "epsilon": 0}"#,
            "msle: config field `epsilon`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "poisson", "epsilon": 0}"#,
            "poisson: config field `epsilon`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "gaussian_nll", "eps": 0}"#,
            "gaussian_nll: config field `epsilon`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "cross_entropy", "weight": [1.0, -1.0]}"#,
            "cross_entropy: config field `weight[1]`: expected a finite weight >= 0, got -1",
        ),
        (
            r#"{"type": "cross_entropy", "label_smoothing": 1.5}"#,
            "cross_entropy: config field `label_smoothing`: expected a number in [0, 1], got 1.5",
        ),
        (
            r#"{"type": "nll", "weight": []}"#,
            "nll: config field `weight`: expected one weight per class, got an empty list",
        ),
        (
            r#"{"type": "kl_divergence", "epsilon": 0.9}"#,
            "kl_divergence: config field `epsilon`: expected a number in (0, 0.5), got 0.9",
        ),
        (
            r#"{"type": "multi_margin", "p": 3}"#,
            "multi_margin: config field `p`: expected 1 or 2, got 3",
        ),
        (
            r#"{"type": "multi_margin", "weight": [-1.0]}"#,
            "multi_margin: config field `weight[0]`: expected a finite weight >= 0, got -1",
        ),
        (
            r#"{"type": "cosine_embedding", "margin": 2}"#,
            "cosine_embedding: config field `margin`: expected a number in [-1, 1], got 2",
        ),
    ] {
        assert_eq!(config_error(json), message);
    }
    // non-finite numbers (not writable in JSON) through the builders
    let err = |r: burn_losses::LossResult<()>| r.unwrap_err().to_string();
    assert_eq!(
        err(burn_losses::Poly1LossConfig::new()
            .with_epsilon(f64::INFINITY)
            .try_init(&burn::tensor::Device::default())
            .map(|_| ())),
        "poly1: config field `epsilon`: expected a finite number, got inf"
    );
    assert_eq!(
        err(burn_losses::MarginRankingLossConfig::new()
            .with_margin(f64::NAN)
            .try_init(&burn::tensor::Device::default())
            .map(|_| ())),
        "margin_ranking: config field `margin`: expected a finite number, got NaN"
    );
    assert_eq!(
        err(burn_losses::HingeEmbeddingLossConfig::new()
            .with_margin(f64::NEG_INFINITY)
            .try_init(&burn::tensor::Device::default())
            .map(|_| ())),
        "hinge_embedding: config field `margin`: expected a finite number, got -inf"
    );
    assert_eq!(
        err(burn_losses::MultiMarginLossConfig::new()
            .with_margin(f64::NAN)
            .try_init(&burn::tensor::Device::default())
            .map(|_| ())),
        "multi_margin: config field `margin`: expected a finite number, got NaN"
    );
    // parse errors name the field
    for (json, part) in [
        (
            r#"{"type": "huber", "delta": "one"}"#,
            "invalid type: string \"one\", expected f64",
        ),
        (
            r#"{"type": "mse", "beta": 1}"#,
            "unknown field `beta`, expected `reduce_last_axis` or `reduction`",
        ),
        (
            r#"{"type": "kl_divergence", "reduction": "batch"}"#,
            "unknown variant `batch`, expected one of `none`, `mean`, `sum`, `batchmean`, `mean_with_sample_weight`",
        ),
        (
            r#"{"type": "cosine_similarity", "form": "minus"}"#,
            "unknown variant `minus`, expected `negative` or `one_minus`",
        ),
        (
            r#"{"type": "quantile", "quantile": "median"}"#,
            "data did not match any variant of untagged enum Quantiles",
        ),
    ] {
        let err = LossConfig::parse(json).unwrap_err().to_string();
        assert!(err.contains(part), "{json}: {err}");
    }
}

fn input_error(json: &str, inputs: LossInputs) -> String {
    let err = parse(json)
        .init(&burn::tensor::Device::default())
        .forward_inputs(&inputs)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Input, "{json}");
    err.to_string()
}

#[test]
fn bad_inputs_name_the_argument() {
    for (_, device) in common::test_devices() {
        let d = &device;
        let z = |shape: [usize; 2]| Tensor::<2>::zeros(shape, d);
        let pair =
            |x: Tensor<2>, y: Tensor<2>| LossInputs::new().with_float("input", x).with_float("target", y);
        let ints = |v: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(v.clone(), [v.len()]), d);
        let cases = [
            (
                input_error("mse", pair(z([2, 3]), z([3, 2]))),
                "mse: argument `target`: expected the shape of `input` [2, 3], got [3, 2]",
            ),
            (
                input_error(
                    "huber",
                    pair(z([2, 3]), z([2, 3])).with_float("weight", Tensor::<1>::ones([3], d)),
                ),
                "huber: argument `weight`: expected per-sample weights of shape [2] (the batch size), got shape [3]",
            ),
            (
                input_error("mae", pair(z([2, 3]), z([2, 3])).with_float("mask", z([2, 3]))),
                "mae: argument `mask`: expected one of the arguments [\"input\", \"target\", \"weight\"], got unknown argument `mask`",
            ),
            (
                input_error(
                    r#"{"type": "quantile", "quantile": [0.1, 0.9]}"#,
                    pair(z([2, 3]), z([2, 3])),
                ),
                "quantile: argument `input`: expected shape [N, 2] (one column per level of config field `quantile`), got [2, 3]",
            ),
            (
                input_error(
                    r#"{"type": "quantile", "quantile": [0.1, 0.9]}"#,
                    pair(z([2, 2]), z([3, 1])),
                ),
                "quantile: argument `target`: expected shape [2, 2] or [2], got [3, 1]",
            ),
            (
                input_error("poisson", pair(z([2, 2]) - 1.0, z([2, 2]))),
                "poisson: argument `input`: expected rates >= 0 (log_input = false) in [0, inf], got values in [-1, -1]",
            ),
            (
                input_error("poisson", pair(z([2, 2]), z([2, 2]) - 2.0)),
                "poisson: argument `target`: expected counts >= 0 in [0, inf], got values in [-2, -2]",
            ),
            (
                input_error(
                    "gaussian_nll",
                    pair(z([2, 3]), z([2, 3])).with_float("var", z([3, 2])),
                ),
                "gaussian_nll: argument `var`: expected the shape of `input` [2, 3], that shape with the last dimension 1, or without it, got [3, 2]",
            ),
            (
                input_error(
                    "gaussian_nll",
                    pair(z([2, 3]), z([2, 3])).with_float("var", z([2, 3]) - 1.0),
                ),
                "gaussian_nll: argument `var`: expected variances >= 0 in [0, inf], got values in [-1, -1]",
            ),
            (
                input_error("gaussian_nll", pair(z([2, 3]), z([2, 3]))),
                "gaussian_nll: argument `var`: expected a float tensor, got nothing (missing argument)",
            ),
            (
                input_error(
                    "cross_entropy",
                    LossInputs::new()
                        .with_float("input", z([2, 3]))
                        .with_int("target", ints(vec![0, 3])),
                ),
                "cross_entropy: argument `target`: expected class indices in [0, 3) (or ignore_index -100), got indices in [0, 3]",
            ),
            (
                input_error(
                    "cross_entropy",
                    LossInputs::new()
                        .with_float("input", z([2, 3]))
                        .with_int("target", ints(vec![0, 1, 2])),
                ),
                "cross_entropy: argument `target`: expected class indices of shape [2] (input shape [2, 3] without the class dim 1), or probabilities of the input's shape, got [3]",
            ),
            (
                input_error(
                    r#"{"type": "cross_entropy", "weight": [1.0, 2.0]}"#,
                    LossInputs::new()
                        .with_float("input", z([2, 3]))
                        .with_int("target", ints(vec![0, 1])),
                ),
                "cross_entropy: argument `input`: expected 2 classes along dim 1 (the length of config field `weight`), got 3 classes",
            ),
            (
                input_error("cross_entropy", pair(z([2, 3]), z([2, 3]) + 2.0)),
                "cross_entropy: argument `target`: expected class probabilities in [0, 1], got values in [2, 2]",
            ),
            (
                input_error(
                    "nll",
                    LossInputs::new()
                        .with_float("input", Tensor::<1>::zeros([3], d))
                        .with_int("target", ints(vec![0])),
                ),
                "nll: argument `input`: expected shape [N, C] or [N, C, d1, ...], got [3]",
            ),
            (
                input_error("kl_divergence", pair(z([2, 3]), z([2, 3]) - 0.5)),
                "kl_divergence: argument `target`: expected probabilities (log_target = false) in [0, 1], got values in [-0.5, -0.5]",
            ),
            (
                input_error(
                    r#"{"type": "kl_divergence", "log_input": false}"#,
                    pair(z([2, 3]) + 2.0, z([2, 3])),
                ),
                "kl_divergence: argument `input`: expected probabilities (from_logits = false) in [0, 1], got values in [2, 2]",
            ),
            (
                input_error("categorical_hinge", pair(z([2, 3]), z([2, 2]))),
                "categorical_hinge: argument `target`: expected class indices [2] or one-hot floats [2, 3], got shape [2, 2]",
            ),
            (
                input_error("multi_margin", pair(z([2, 3]), z([2, 3]))),
                "multi_margin: argument `target`: expected integer class indices [N], got a float tensor of shape [2, 3]",
            ),
            (
                input_error(
                    "multi_margin",
                    LossInputs::new()
                        .with_float("input", z([2, 3]))
                        .with_int("target", ints(vec![0, 5])),
                ),
                "multi_margin: argument `target`: expected class indices in [0, 3), got indices in [0, 5]",
            ),
            (
                input_error(
                    "cosine_similarity",
                    pair(Tensor::<1>::zeros([3], d).reshape([3, 1]), z([3, 1]))
                        .with_float("weight", Tensor::<1>::ones([2], d)),
                ),
                "cosine_similarity: argument `weight`: expected per-sample weights of shape [3] (the batch size), got shape [2]",
            ),
            (
                input_error(
                    r#"{"type": "cosine_similarity", "axis": 0}"#,
                    pair(z([2, 3]), z([2, 3])),
                ),
                "cosine_similarity: argument `input`: expected a rank > 1 with config field `axis` 0 inside it and not the batch axis 0, got shape [2, 3]",
            ),
            (
                input_error(
                    "cosine_embedding",
                    LossInputs::new()
                        .with_float("input1", z([2, 3]))
                        .with_float("input2", z([2, 3]))
                        .with_float("target", Tensor::<1>::zeros([2], d)),
                ),
                "cosine_embedding: argument `target`: expected labels 1 or -1, got values in [0, 0]",
            ),
            (
                input_error(
                    "margin_ranking",
                    LossInputs::new()
                        .with_float("input1", z([2, 3]))
                        .with_float("input2", z([3, 2]))
                        .with_float("target", z([2, 3])),
                ),
                "margin_ranking: argument `input2`: expected the shape of `input1` [2, 3], got [3, 2]",
            ),
            (
                input_error("hinge_embedding", pair(z([2, 3]), z([2, 3]) + 0.5)),
                "hinge_embedding: argument `target`: expected labels 1 or -1, got values in [0.5, 0.5]",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
        // the pair losses do not score class logits
        use burn_losses::ClassificationLoss;
        let err = parse("margin_ranking")
            .init(&device)
            .classification_loss(z([2, 3]), ints(vec![0, 1]))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("it is not a loss of class logits against class indices"),
            "{err}"
        );
    }
}

/// The losses that once had only `forward_inputs` have the typed API of every loss: `forward`
/// equals the named path, `try_forward` with per-sample weights equals the named path with
/// `weight`, and `forward_no_reduction` is the named `"none"` output in its logical shape
/// (never flattened), whatever the configured reduction.
#[test]
fn the_typed_api_matches_the_named_arguments() {
    use burn_losses::{
        CategoricalHingeLossConfig, CosineEmbeddingLossConfig, CosineSimilarityLossConfig,
        KlDivergenceLossConfig, MarginRankingLossConfig, MultiMarginLossConfig, Poly1LossConfig,
    };
    fn named(json: &str, inputs: &LossInputs) -> (Vec<f64>, Vec<usize>) {
        let out = parse(json)
            .init(&burn::tensor::Device::default())
            .forward_inputs(inputs)
            .unwrap();
        (out.flat.into_data().iter::<f64>().collect(), out.shape)
    }
    fn host<const D: usize>(t: Tensor<D>) -> (Vec<f64>, Vec<usize>) {
        let dims = t.dims().to_vec();
        (t.into_data().iter::<f64>().collect(), dims)
    }
    let assert_same = |what: &str, typed: (Vec<f64>, Vec<usize>), named: (Vec<f64>, Vec<usize>)| {
        assert!(close(&typed.0, &named.0, 1e-6), "{what}: {typed:?} != {named:?}");
    };
    for (device_name, device) in common::test_devices() {
        let d = &device;
        let x3 = || Tensor::<3>::from_data(TensorData::new(X.repeat(3)[..12].to_vec(), [2, 3, 2]), d);
        let t2 = || Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 2, 1, 1], [2, 2]), d);
        let x2 = || Tensor::<2>::from_data(TensorData::new(X.to_vec(), [2, 4]), d);
        let y2 = || Tensor::<2>::from_data(TensorData::new(Y.to_vec(), [2, 4]), d);
        let p2 = || burn::tensor::activation::softmax(y2(), 1);
        let idx = || Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 0], [2]), d);
        let one_hot =
            || Tensor::<2>::from_data(TensorData::new(vec![0f32, 0., 0., 1., 1., 0., 0., 0.], [2, 4]), d);
        let w = || Tensor::<1>::from_data(TensorData::new(vec![0.5f32, 2.0], [2]), d);
        let s2 = || Tensor::<2>::from_data(TensorData::new(SIGNS.to_vec(), [2, 4]), d);
        let s1 = || Tensor::<1>::from_data(TensorData::new(vec![1f32, -1.0], [2]), d);
        let with = |inputs: LossInputs| inputs.with_float("weight", w());
        let what = |loss: &str| format!("{loss} on {device_name}");

        let loss = Poly1LossConfig::new().init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input", x3())
                .with_int("target", t2())
        };
        assert_same(
            &what("poly1"),
            host(loss.forward(x3(), t2())),
            named(r#"{"type": "poly1"}"#, &inputs()),
        );
        assert_same(
            &what("poly1 weighted"),
            host(loss.try_forward(x3(), t2(), Some(w())).unwrap()),
            named(r#"{"type": "poly1"}"#, &with(inputs())),
        );
        let none = loss.forward_no_reduction(x3(), t2());
        assert_eq!(none.dims(), [2, 2]);
        assert_same(
            &what("poly1 none"),
            host(none),
            named(r#"{"type": "poly1", "reduction": "none"}"#, &inputs()),
        );

        let loss = KlDivergenceLossConfig::new().init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input", burn::tensor::activation::log_softmax(x2(), 1))
                .with_float("target", p2())
        };
        assert_same(
            &what("kl_divergence"),
            host(loss.forward(burn::tensor::activation::log_softmax(x2(), 1), p2())),
            named(r#"{"type": "kl_divergence"}"#, &inputs()),
        );
        let none = loss.forward_no_reduction(burn::tensor::activation::log_softmax(x2(), 1), p2());
        assert_eq!(none.dims(), [2, 4]);
        assert_same(
            &what("kl_divergence none"),
            host(none),
            named(r#"{"type": "kl_divergence", "reduction": "none"}"#, &inputs()),
        );

        let loss = CategoricalHingeLossConfig::new().init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input", x2())
                .with_float("target", one_hot())
        };
        assert_same(
            &what("categorical_hinge"),
            host(loss.try_forward(x2(), one_hot(), Some(w())).unwrap()),
            named(r#"{"type": "categorical_hinge"}"#, &with(inputs())),
        );
        assert_eq!(loss.forward_no_reduction(x2(), one_hot()).dims(), [2]);

        let loss = MultiMarginLossConfig::new().with_p(2.0).init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input", x2())
                .with_int("target", idx())
        };
        assert_same(
            &what("multi_margin"),
            host(loss.forward(x2(), idx())),
            named(r#"{"type": "multi_margin", "p": 2}"#, &inputs()),
        );
        assert_same(
            &what("multi_margin none"),
            host(loss.forward_no_reduction(x2(), idx())),
            named(
                r#"{"type": "multi_margin", "p": 2, "reduction": "none"}"#,
                &inputs(),
            ),
        );

        let loss = CosineSimilarityLossConfig::new().init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input", x3())
                .with_float("target", x3().flip([2]))
        };
        assert_same(
            &what("cosine_similarity"),
            host(loss.forward(x3(), x3().flip([2]))),
            named(r#"{"type": "cosine_similarity"}"#, &inputs()),
        );
        let none = loss.forward_no_reduction::<3, 2>(x3(), x3().flip([2]));
        assert_eq!(none.dims(), [2, 3], "the axis is reduced away");
        assert_same(
            &what("cosine_similarity none"),
            host(none),
            named(r#"{"type": "cosine_similarity", "reduction": "none"}"#, &inputs()),
        );

        let loss = CosineEmbeddingLossConfig::new().with_margin(0.2).init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input1", x2())
                .with_float("input2", y2())
                .with_float("target", s1())
        };
        assert_same(
            &what("cosine_embedding"),
            host(loss.forward(x2(), y2(), s1())),
            named(r#"{"type": "cosine_embedding", "margin": 0.2}"#, &inputs()),
        );
        assert_eq!(loss.forward_no_reduction(x2(), y2(), s1()).dims(), [2]);

        let loss = MarginRankingLossConfig::new().with_margin(0.5).init(&device);
        let inputs = || {
            LossInputs::new()
                .with_float("input1", x2())
                .with_float("input2", y2())
                .with_float("target", s2())
        };
        assert_same(
            &what("margin_ranking"),
            host(loss.forward(x2(), y2(), s2())),
            named(r#"{"type": "margin_ranking", "margin": 0.5}"#, &inputs()),
        );
        let none = loss.forward_no_reduction(x2(), y2(), s2());
        assert_eq!(none.dims(), [2, 4]);
        assert_same(
            &what("margin_ranking none"),
            host(none),
            named(
                r#"{"type": "margin_ranking", "margin": 0.5, "reduction": "none"}"#,
                &inputs(),
            ),
        );
        // a rank that is not the loss's logical one is an error, not a wrong reshape
        let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            CosineSimilarityLossConfig::new()
                .init(&device)
                .forward_no_reduction::<3, 3>(x3(), x3())
        }));
        assert!(wrong.is_err(), "rank 3 for an unreduced loss of rank 2");
    }
}

/// smp's `SoftBCEWithLogitsLoss(ignore_index=)`: the ignored targets may lie outside `[0, 1]`, the
/// others may not, and the ignored elements are zeros that still count in the mean.
#[test]
fn bce_ignore_index_checks_only_the_kept_targets() {
    for (_, device) in common::test_devices() {
        let loss = LossConfig::parse(r#"{"type": "bce", "ignore_index": -100}"#)
            .unwrap()
            .init(&device);
        let x = Tensor::<2>::from_floats([[0.5, -1.0], [2.0, 0.0]], &device);
        let kept = Tensor::<2>::from_floats([[1.0, -100.0], [0.0, -100.0]], &device);
        let value: f64 = loss.forward(x.clone(), kept).into_scalar::<f64>();
        // the two kept elements' BCE with logits, divided by all four elements
        let softplus = |z: f64| (1.0 + z.exp()).ln();
        let expected = (softplus(-0.5) + softplus(2.0)) / 4.0;
        assert!((value - expected).abs() < 1e-6, "{value} vs {expected}");
        let bad = Tensor::<2>::from_floats([[1.0, 2.0], [0.0, -100.0]], &device);
        let err = loss.try_forward(x, bad).unwrap_err().to_string();
        assert!(
            err.contains("argument `target`") && err.contains("[0, 1]"),
            "{err}"
        );
    }
}
