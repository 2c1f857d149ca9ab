//! The metric-learning losses beyond the reference fixtures: zero and near-zero distances,
//! batches without a valid triplet / pair, the class-weight parameter of arcface / cosface,
//! equality with burn-nn's bare triplet loss, and the P×K batches, recall@1 and best-threshold
//! accuracy of `burn-losses-train`.

use crate::common;

use burn::module::Module;
use burn::tensor::{Int, Tensor, TensorData};
use burn_losses::{LossConfig, LossInputs};
use burn_losses_train::{best_threshold_accuracy, pk_batches, recall_at_1};

fn values(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn rows(v: &[f32], n: usize, d: usize, device: &burn::tensor::Device) -> Tensor<2> {
    Tensor::<2>::from_data(TensorData::new(v.to_vec(), [n, d]), device)
}

fn ints(v: &[i64], device: &burn::tensor::Device) -> Tensor<1, Int> {
    Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// Every labelled-batch loss: the loss value and the embedding gradient.
fn batch_loss(
    json: &str,
    e: &[f32],
    n: usize,
    d: usize,
    labels: &[i64],
    device: &burn::tensor::Device,
) -> (f64, Vec<f64>) {
    let ad = device.clone().autodiff();
    let loss = LossConfig::parse(json).unwrap().init(device);
    let x = rows(e, n, d, &ad).require_grad();
    let out = loss.embedding_loss(x.clone(), ints(labels, &ad)).unwrap();
    let grads = out.backward();
    let g = values(x.grad(&grads).unwrap().reshape([n * d]));
    (values(out)[0], g)
}

const BATCH_LOSSES: [&str; 9] = [
    r#"{"type": "triplet_mined"}"#,
    r#"{"type": "triplet_mined", "mining": "batch_hard"}"#,
    r#"{"type": "triplet_mined", "mining": "semi_hard", "soft_margin": true}"#,
    r#"{"type": "triplet_mined", "mining": "batch_hard", "nonzero_mean": true}"#,
    r#"{"type": "contrastive", "squared": false}"#,
    r#"{"type": "contrastive", "nonzero_mean": true}"#,
    r#"{"type": "nt_xent"}"#,
    r#"{"type": "supcon"}"#,
    r#"{"type": "contrastive", "distance": "squared_euclidean"}"#,
];

#[test]
fn zero_distances_give_finite_gradients() {
    // rows 0, 1 and 3 coincide (distance exactly 0, same and different labels), rows 0 and 2 are
    // 1e-4 apart: the safe square root keeps every gradient finite
    let e = [
        0.5f32, -1.0, 0.25, 0.5, -1.0, 0.25, 0.5001, -1.0, 0.25, 0.5, -1.0, 0.25, 2.0, 1.0, -1.0, -1.5, 0.5,
        0.0,
    ];
    let labels = [0i64, 0, 0, 1, 1, 2];
    for (name, device) in common::test_devices() {
        for json in BATCH_LOSSES {
            let (value, grad) = batch_loss(json, &e, 6, 3, &labels, &device);
            assert!(value.is_finite(), "{name} {json}: loss {value}");
            assert!(
                grad.iter().all(|g| g.is_finite()),
                "{name} {json}: gradient {grad:?}"
            );
        }
        // triplet_margin with eps 0 on identical anchor and positive
        let loss = LossConfig::parse(r#"{"type": "triplet_margin", "eps": 0.0}"#)
            .unwrap()
            .init(&device);
        let ad = device.clone().autodiff();
        let a = rows(&e[..6], 2, 3, &ad).require_grad();
        let inputs = LossInputs::new()
            .with_float("anchor", a.clone())
            .with_float("positive", a.clone().detach())
            .with_float("negative", rows(&e[12..], 2, 3, &ad));
        let out = loss.forward_inputs(&inputs).unwrap().flat;
        let g = values(a.grad(&out.backward()).unwrap().reshape([6]));
        assert!(g.iter().all(|v| v.is_finite()), "{name} triplet_margin: {g:?}");
    }
}

#[test]
fn near_zero_distances_match_finite_differences() {
    // two similar pairs 0.02 and 0.05 apart, two dissimilar pairs 0.03 and 0.5 apart: the
    // Euclidean distance is steep near 0 (its gradient is a unit vector) and must still be exact
    let x1 = [0.1f32, 0.2, -0.3, 1.0, 0.0, 0.5, -0.2, 0.4, 0.3, 0.7, -0.1, 0.2];
    let x2 = [0.12f32, 0.2, -0.3, 1.0, 0.05, 0.5, -0.2, 0.43, 0.3, 0.7, 0.4, 0.2];
    let target = [1.0f32, 1.0, 0.0, 0.0];
    for (name, device) in common::test_devices() {
        for json in [
            r#"{"type": "contrastive"}"#,
            r#"{"type": "contrastive", "squared": false, "margin": 0.2}"#,
        ] {
            let loss = LossConfig::parse(json).unwrap().init(&device);
            let eval = |input1: Tensor<2>, device: &burn::tensor::Device| {
                let inputs = LossInputs::new()
                    .with_float("input1", input1)
                    .with_float("input2", rows(&x2, 4, 3, device))
                    .with_float("target", Tensor::<1>::from_floats(target, device));
                loss.forward_inputs(&inputs).unwrap().flat
            };
            let ad = device.clone().autodiff();
            let a = rows(&x1, 4, 3, &ad).require_grad();
            let auto = values(a.grad(&eval(a.clone(), &ad).backward()).unwrap().reshape([12]));
            let h = 1e-3f32;
            for i in 0..12 {
                let mut plus = x1;
                let mut minus = x1;
                plus[i] += h;
                minus[i] -= h;
                let f = |v: &[f32]| values(eval(rows(v, 4, 3, &device), &device))[0];
                let fd = (f(&plus) - f(&minus)) / (2.0 * h as f64);
                assert!(
                    (auto[i] - fd).abs() <= 2e-3 + 2e-2 * fd.abs(),
                    "{name} {json} d/dinput1[{i}]: autodiff {} vs finite difference {fd}",
                    auto[i]
                );
            }
        }
    }
}

#[test]
fn batches_without_valid_terms_give_zero_and_zero_gradient() {
    let e = [0.3f32, -0.2, 0.9, 1.1, -0.4, 0.0, 0.2, 0.8, -0.7, 0.5, 0.5, 0.5];
    for (name, device) in common::test_devices() {
        for json in BATCH_LOSSES {
            // every label distinct: no positive pair, so no triplet and nothing for nt_xent / supcon
            let (value, grad) = batch_loss(json, &e, 4, 3, &[0, 1, 2, 3], &device);
            let only_negative_pairs = json.contains("contrastive");
            if only_negative_pairs {
                // contrastive still has its negative pairs: finite, not NaN
                assert!(value.is_finite(), "{name} {json}: {value}");
            } else {
                assert_eq!(value, 0.0, "{name} {json}");
                assert!(grad.iter().all(|&g| g == 0.0), "{name} {json}: {grad:?}");
            }
        }
        // one class only: no negative, so no triplet, and supcon / nt_xent are 0 (as PML)
        for json in BATCH_LOSSES.iter().filter(|j| !j.contains("contrastive")) {
            let (value, grad) = batch_loss(json, &e, 4, 3, &[5, 5, 5, 5], &device);
            assert_eq!(value, 0.0, "{name} {json}");
            assert!(grad.iter().all(|&g| g == 0.0), "{name} {json}: {grad:?}");
        }
    }
}

#[test]
fn class_weights_input_replaces_the_parameter() {
    for (name, device) in common::test_devices() {
        for json in [
            r#"{"type": "arcface", "num_classes": 3, "embedding_size": 4, "scale": 8}"#,
            r#"{"type": "cosface", "num_classes": 3, "embedding_size": 4}"#,
        ] {
            let loss = LossConfig::parse(json).unwrap().init(&device).fork(&device);
            let e = rows(&[0.1, 0.5, -0.3, 0.2, 1.0, 0.0, 0.4, -0.6], 2, 4, &device);
            let labels = ints(&[2, 0], &device);
            let own = values(loss.embedding_loss(e.clone(), labels.clone()).unwrap());
            // the parameter's own value given as `class_weights`: the same loss
            let mut params = Vec::new();
            struct Collect<'a>(&'a mut Vec<Tensor<2>>);
            impl burn::module::ModuleVisitor for Collect<'_> {
                fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
                    self.0.push(param.val().reshape([3, 4]));
                }
            }
            loss.visit(&mut Collect(&mut params));
            assert_eq!(params.len(), 1, "{json}: one parameter, the class weights");
            let w = params.pop().unwrap();
            let with = |w: Tensor<2>| {
                let inputs = LossInputs::new()
                    .with_float("embeddings", e.clone())
                    .with_int("labels", labels.clone())
                    .with_float("class_weights", w);
                values(loss.forward_inputs(&inputs).unwrap().flat)
            };
            let given = with(w.clone());
            assert!(
                (own[0] - given[0]).abs() <= 1e-6 * own[0].abs().max(1.0),
                "{name} {json}: {own:?} vs {given:?}"
            );
            // other weights: another loss
            let other = with(w.neg());
            assert!(
                (own[0] - other[0]).abs() > 1e-3,
                "{name} {json}: {own:?} vs {other:?}"
            );
        }
    }
}

#[test]
fn triplet_margin_equals_burn_nn_without_eps() {
    use burn::nn::loss::{Reduction as NnReduction, TripletMarginLossConfig};
    let a = [0.1f32, 0.5, -0.3, 0.2, 1.0, 0.0, 0.4, -0.6, 0.0, 0.3, 0.3, 0.3];
    let p = [0.2f32, 0.4, -0.1, 0.0, 1.5, 0.1, 0.4, -0.2, 0.9, 0.3, 0.0, 0.1];
    let n = [0.3f32, 0.5, 0.2, 0.2, 1.0, 0.7, -0.4, -0.6, 0.0, 0.0, 0.3, -0.3];
    for (name, device) in common::test_devices() {
        for p_norm in [1.0, 2.0, 3.0] {
            for margin in [0.1, 1.0] {
                let ours = LossConfig::parse(&format!(
                    r#"{{"type": "triplet_margin", "eps": 0.0, "p": {p_norm}, "margin": {margin}}}"#
                ))
                .unwrap()
                .init(&device);
                let inputs = LossInputs::new()
                    .with_float("anchor", rows(&a, 4, 3, &device))
                    .with_float("positive", rows(&p, 4, 3, &device))
                    .with_float("negative", rows(&n, 4, 3, &device));
                let got = values(ours.forward_inputs(&inputs).unwrap().flat)[0];
                let burn_nn = TripletMarginLossConfig::new()
                    .with_p(p_norm)
                    .with_margin(margin)
                    .init()
                    .forward(
                        rows(&a, 4, 3, &device),
                        rows(&p, 4, 3, &device),
                        rows(&n, 4, 3, &device),
                        NnReduction::Mean,
                    );
                let want = values(burn_nn)[0];
                assert!(
                    (got - want).abs() <= 1e-6,
                    "{name} p={p_norm} margin={margin}: {got} vs burn-nn {want}"
                );
            }
        }
    }
}

/// ε enters each distance as PyTorch's `pairwise_distance` adds it, `‖a − b + ε‖`, for both
/// distances (found by mutation testing: at the default ε = 1e-6 a sign error in the squared form
/// moved no fixture beyond its tolerance). Expected values from PyTorch 2.9:
/// `F.triplet_margin_loss(a, p, n, margin=1, eps=0.5, reduction="none")` and
/// `TripletMarginWithDistanceLoss(distance_function=lambda x, y: F.pairwise_distance(x, y,
/// eps=0.5) ** 2, margin=3, reduction="none")` on the rows below.
#[test]
fn triplet_margin_eps_shifts_the_difference_as_pytorch_does() {
    let (a, p, n) = (
        [0.0f32, 0.0, 1.0, 2.0],
        [1.0f32, 0.0, 1.0, 1.0],
        [0.0f32, 2.0, 3.0, 2.0],
    );
    let cases = [
        (
            r#"{"type": "triplet_margin", "eps": 0.5, "margin": 1.0, "reduction": "none"}"#,
            [0.125_967_98, 1.0],
        ),
        (
            r#"{"type": "triplet_margin", "eps": 0.5, "margin": 3.0, "distance": "squared_euclidean", "reduction": "none"}"#,
            [1.0, 3.0],
        ),
    ];
    for (name, device) in common::test_devices() {
        for (json, want) in cases {
            let loss = LossConfig::parse(json).unwrap().init(&device);
            let inputs = LossInputs::new()
                .with_float("anchor", rows(&a, 2, 2, &device))
                .with_float("positive", rows(&p, 2, 2, &device))
                .with_float("negative", rows(&n, 2, 2, &device));
            let got = values(loss.forward_inputs(&inputs).unwrap().flat);
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-5,
                    "{name} {json}: {got:?} vs PyTorch {want:?}"
                );
            }
        }
    }
}

#[test]
fn pk_batches_hold_p_classes_of_k_items_and_follow_the_seed() {
    // 5 classes with 7, 6, 4, 9 and 2 items
    let labels: Vec<usize> = [(0, 7), (1, 6), (2, 4), (3, 9), (4, 2)]
        .iter()
        .flat_map(|&(c, n)| std::iter::repeat_n(c, n))
        .collect();
    let batches = pk_batches(&labels, 3, 2, 7);
    assert!(!batches.is_empty());
    let mut seen = std::collections::BTreeSet::new();
    for batch in &batches {
        assert_eq!(batch.len(), 6);
        let mut per_class = std::collections::BTreeMap::new();
        for &i in batch {
            assert!(seen.insert(i), "item {i} drawn twice");
            *per_class.entry(labels[i]).or_insert(0) += 1;
        }
        assert_eq!(per_class.len(), 3, "{batch:?}: 3 classes");
        assert!(per_class.values().all(|&k| k == 2), "{batch:?}: 2 items each");
    }
    // groups of 2: 3 + 3 + 2 + 4 + 1 = 13 groups, batches of 3 distinct classes use at most 12
    assert!(batches.len() >= 3, "{}", batches.len());
    assert_eq!(pk_batches(&labels, 3, 2, 7), batches, "same seed, same batches");
    assert_ne!(
        pk_batches(&labels, 3, 2, 8),
        batches,
        "another seed, other batches"
    );
}

#[test]
fn recall_at_1_and_best_threshold_accuracy() {
    for (name, device) in common::test_devices() {
        // two tight clusters and one point nearer the other cluster
        let e = rows(
            &[0.0, 0.0, 0.1, 0.0, 0.0, 0.1, 5.0, 5.0, 5.1, 5.0, 4.8, 4.9],
            6,
            2,
            &device,
        );
        let labels = ints(&[0, 0, 0, 1, 1, 0], &device);
        let r = recall_at_1(e, labels, burn_losses::Distance::Euclidean);
        // rows 0-2 find a 0, rows 3-4 find a 1, row 5 (label 0) finds a 1
        assert!((r - 5.0 / 6.0).abs() < 1e-12, "{name}: {r}");
    }
    let (t, acc) = best_threshold_accuracy(&[0.1, 0.2, 0.9, 1.0, 0.3, 0.5], &[1.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(acc, 1.0);
    assert!((t - 0.4).abs() < 1e-12, "{t}");
    let (_, acc) = best_threshold_accuracy(&[0.1, 0.2, 0.3], &[0.0, 1.0, 1.0]);
    assert!((acc - 2.0 / 3.0).abs() < 1e-12, "{acc}");
}

/// `eval` with `"grad": true` where every array is written as JSON integers (so no float input
/// is tracked): the loss of the same values written as floats, and no gradient entries (integer
/// arrays are constants), instead of a panic in `backward`.
#[test]
fn eval_with_grad_on_integer_written_inputs() {
    let request = |inputs: serde_json::Value| burn_losses::eval::EvalRequest {
        loss: LossConfig::parse(r#"{"type": "triplet_margin"}"#).unwrap(),
        inputs: serde_json::from_value(inputs).unwrap(),
        grad: true,
        dtype: Default::default(),
    };
    for (name, device) in common::test_devices() {
        let ints =
            request(serde_json::json!({"anchor": [[1, 0]], "positive": [[0, 1]], "negative": [[1, 1]]}));
        let floats = request(
            serde_json::json!({"anchor": [[1.0, 0.0]], "positive": [[0.0, 1.0]], "negative": [[1.0, 1.0]]}),
        );
        let from_ints = burn_losses::eval::eval_request(&ints, &device).unwrap();
        let from_floats = burn_losses::eval::eval_request(&floats, &device).unwrap();
        assert_eq!(from_ints.loss, from_floats.loss, "{name}");
        assert_eq!(from_ints.grad, Some(Default::default()), "{name}");
        assert_eq!(from_floats.grad.unwrap().len(), 3, "{name}");
    }
}
