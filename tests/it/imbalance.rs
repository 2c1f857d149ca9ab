//! The imbalance family's documented special cases: β = 0 is the plain loss, β → 1 inverse
//! frequency, counts from a dataset, all-negative / all-positive batches of balanced_bce, GHM with
//! every element in one bin, GHM weights without gradient, bce equal to burn's own BCE.

use crate::common;

use burn::data::dataset::InMemDataset;
use burn::nn::loss::{BinaryCrossEntropyLossConfig, CrossEntropyLossConfig};
use burn::tensor::{Int, Tensor, TensorData};
use burn_losses::{
    BalancedBceLossConfig, BceLossConfig, ClassBalancedBase, ClassBalancedLossConfig, GhmCLossConfig,
    Reduction,
};
use common::cases::Lcg;

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{what}: {a} != {b}");
}

fn random_logits(rng: &mut Lcg, n: usize, c: usize, scale: f64) -> Vec<f32> {
    (0..n * c).map(|_| (rng.normal() * scale) as f32).collect()
}

#[test]
fn class_balanced_beta_zero_is_the_plain_loss() {
    for (name, device) in common::test_devices() {
        let mut rng = Lcg::new(11);
        let (n, c) = (8, 4);
        let x = Tensor::<2>::from_data(
            TensorData::new(random_logits(&mut rng, n, c, 2.0), [n, c]),
            &device,
        );
        let t: Vec<i64> = (0..n).map(|_| rng.below(c) as i64).collect();
        let t = Tensor::<1, Int>::from_data(TensorData::new(t, [n]), &device);
        let counts = vec![500, 60, 7, 1];
        let cb = |base| {
            ClassBalancedLossConfig::new(counts.clone())
                .with_beta(0.0)
                .with_base(base)
                .init(&device)
        };
        let ce = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(x.clone(), t.clone());
        let ours = cb(ClassBalancedBase::Softmax).forward(x.clone(), t.clone());
        assert_close(
            scalar(ours),
            scalar(ce),
            1e-6,
            &format!("{name}: softmax, beta 0 vs burn CE"),
        );

        let one_hot = t.clone().one_hot::<2>(c);
        let bce = BinaryCrossEntropyLossConfig::new()
            .with_logits(true)
            .init(&device)
            .forward(x.clone(), one_hot);
        let ours = cb(ClassBalancedBase::Sigmoid).forward(x.clone(), t.clone());
        assert_close(
            scalar(ours),
            scalar(bce.clone()),
            1e-6,
            &format!("{name}: sigmoid, beta 0 vs burn BCE"),
        );
        // focal at gamma 0 is the sigmoid sum divided by N instead of N·C
        let focal0 = ClassBalancedLossConfig::new(counts.clone())
            .with_beta(0.0)
            .with_base(ClassBalancedBase::Focal)
            .with_gamma(0.0)
            .init(&device)
            .forward(x, t);
        assert_close(
            scalar(focal0),
            scalar(bce) * c as f64,
            1e-6,
            &format!("{name}: focal, gamma 0"),
        );
    }
}

#[test]
fn class_balanced_weights_from_uniform_to_inverse_frequency() {
    let counts = vec![5000u64, 1200, 300, 70, 2];
    let uniform = ClassBalancedLossConfig::new(counts.clone())
        .with_beta(0.0)
        .class_weights();
    assert!(uniform.iter().all(|&w| (w - 1.0).abs() < 1e-12), "{uniform:?}");
    let inverse: Vec<f64> = counts.iter().map(|&n| 1.0 / n as f64).collect();
    let total: f64 = inverse.iter().sum();
    let near_one = ClassBalancedLossConfig::new(counts.clone())
        .with_beta(1.0 - 1e-10)
        .class_weights();
    for (w, i) in near_one.iter().zip(&inverse) {
        let expected = i / total * counts.len() as f64;
        assert!((w - expected).abs() <= 1e-6 * expected, "{w} vs {expected}");
    }
    // weights always sum to C, and never rise with the count (β = 0.9 saturates above n ≈ 50)
    for beta in [0.9, 0.999, 0.9999] {
        let w = ClassBalancedLossConfig::new(counts.clone())
            .with_beta(beta)
            .class_weights();
        assert!((w.iter().sum::<f64>() - 5.0).abs() < 1e-9);
        assert!(
            w.windows(2).all(|p| p[0] <= p[1]) && w[0] < w[4],
            "beta {beta}: {w:?}"
        );
    }
}

#[test]
fn class_balanced_counts_come_from_a_dataset() {
    let labels = InMemDataset::new(vec![0usize, 2, 2, 1, 2, 0, 2]);
    let config = ClassBalancedLossConfig::from_dataset(&labels, 3, |&l| l).unwrap();
    assert_eq!(config.samples_per_class, vec![2, 1, 4]);
    assert_eq!(config.beta, 0.9999);
    let err = ClassBalancedLossConfig::from_dataset(&labels, 2, |&l| l).unwrap_err();
    assert_eq!(
        err.to_string(),
        "class_balanced: argument `dataset`: expected labels in [0, 2), got item 1: label 2 outside [0, 2)"
    );
}

#[test]
fn class_balanced_batch_without_some_classes_is_finite() {
    for (name, device) in common::test_devices() {
        let x = Tensor::<2>::from_floats([[3.0, -1.0, 0.5, 2.0], [1.0, 1.0, -4.0, 0.0]], &device);
        let t = Tensor::<1, Int>::from_ints([0, 0], &device); // classes 1, 2, 3 absent
        for base in [
            ClassBalancedBase::Softmax,
            ClassBalancedBase::Sigmoid,
            ClassBalancedBase::Focal,
            ClassBalancedBase::SoftmaxBce,
        ] {
            let loss = ClassBalancedLossConfig::new(vec![100, 10, 3, 1])
                .with_base(base)
                .init(&device)
                .forward(x.clone(), t.clone());
            let v = scalar(loss);
            assert!(v.is_finite() && v > 0.0, "{name} {base:?}: {v}");
        }
    }
}

#[test]
fn balanced_bce_all_negative_and_all_positive_batches_give_zero() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let loss = BalancedBceLossConfig::new().init(&device);
        for fill in [0.0f32, 1.0] {
            let x = Tensor::<2>::from_floats([[2.0, -3.0, 0.5], [-1.0, 4.0, 0.0]], &ad).require_grad();
            let y = Tensor::<2>::full([2, 3], fill, &ad);
            let value = loss.forward(x.clone(), y);
            let grads = value.clone().backward();
            assert_eq!(scalar(value), 0.0, "{name}: all targets {fill}");
            let g = values(x.grad(&grads).unwrap());
            assert!(
                g.iter().all(|v| *v == 0.0),
                "{name}: all targets {fill}: gradient {g:?}"
            );
        }
        // a fixed beta still learns from such a batch
        let fixed = BalancedBceLossConfig::new().with_beta(Some(0.3)).init(&device);
        let x = Tensor::<2>::from_floats([[2.0, -3.0]], &device);
        let v = scalar(fixed.forward(x, Tensor::<2>::zeros([1, 2], &device)));
        assert!(v > 0.0 && v.is_finite(), "{name}: {v}");
    }
}

#[test]
fn bce_equals_burn_binary_cross_entropy_where_options_overlap() {
    for (name, device) in common::test_devices() {
        let mut rng = Lcg::new(3);
        let (n, c) = (6, 3);
        let logits = Tensor::<2>::from_data(
            TensorData::new(random_logits(&mut rng, n, c, 3.0), [n, c]),
            &device,
        );
        let t: Vec<i64> = (0..n * c).map(|_| (rng.uniform() > 0.6) as i64).collect();
        let t = Tensor::<2, Int>::from_data(TensorData::new(t, [n, c]), &device);
        let burn_logits = BinaryCrossEntropyLossConfig::new()
            .with_logits(true)
            .init(&device)
            .forward(logits.clone(), t.clone());
        let ours = BceLossConfig::new()
            .init(&device)
            .forward(logits.clone(), t.clone().float());
        assert_close(
            scalar(ours),
            scalar(burn_logits),
            1e-6,
            &format!("{name}: logits"),
        );
        // pos_weight of ones changes nothing
        let ones = BceLossConfig::new()
            .with_pos_weight(Some(vec![1.0; c]))
            .init(&device)
            .forward(logits.clone(), t.clone().float());
        let plain = BceLossConfig::new()
            .init(&device)
            .forward(logits.clone(), t.clone().float());
        assert_close(
            scalar(ones),
            scalar(plain),
            1e-7,
            &format!("{name}: pos_weight 1"),
        );

        let probs = burn::tensor::activation::sigmoid(logits);
        let burn_probs = BinaryCrossEntropyLossConfig::new()
            .init(&device)
            .forward(probs.clone(), t.clone());
        let ours = BceLossConfig::new()
            .with_from_logits(false)
            .init(&device)
            .forward(probs, t.float());
        assert_close(
            scalar(ours),
            scalar(burn_probs),
            1e-5,
            &format!("{name}: probabilities"),
        );

        // rank 1: burn smooths towards 1/2 as Keras does
        let x = Tensor::<1>::from_floats([1.5, -0.5, 3.0, -2.0], &device);
        let y = Tensor::<1, Int>::from_ints([1, 0, 0, 1], &device);
        let burn_smooth = BinaryCrossEntropyLossConfig::new()
            .with_logits(true)
            .with_smoothing(Some(0.2))
            .init(&device)
            .forward(x.clone(), y.clone());
        let ours = BceLossConfig::new()
            .with_label_smoothing(0.2)
            .init(&device)
            .forward(x, y.float());
        assert_close(
            scalar(ours),
            scalar(burn_smooth),
            1e-6,
            &format!("{name}: smoothing"),
        );
    }
}

#[test]
fn ghm_c_with_every_element_in_one_bin_is_plain_bce() {
    for (name, device) in common::test_devices() {
        // |σ(±6) − y| ≈ 0.0025 for every element: one bin, weight tot / count / 1 = 1
        let x = Tensor::<2>::from_floats([[6.0, -6.0, 6.0], [-6.0, -6.0, 6.0]], &device);
        let y = Tensor::<2>::from_floats([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], &device);
        let ghm = GhmCLossConfig::new().init(&device).forward(x.clone(), y.clone());
        let bce = BceLossConfig::new().init(&device).forward(x, y);
        assert_close(scalar(ghm), scalar(bce), 1e-6, &format!("{name}: one bin"));
    }
}

#[test]
fn ghm_weights_carry_no_gradient() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let mut rng = Lcg::new(9);
        let (n, c) = (4, 5);
        let xs = random_logits(&mut rng, n, c, 2.0);
        let ys: Vec<f32> = (0..n * c).map(|_| (rng.uniform() > 0.7) as u8 as f32).collect();
        for momentum in [0.0, 0.75] {
            let loss = GhmCLossConfig::new()
                .with_momentum(momentum)
                .with_reduction(Reduction::Sum)
                .init(&device);
            let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [n, c]), &ad).require_grad();
            let y = Tensor::<2>::from_data(TensorData::new(ys.clone(), [n, c]), &ad);
            let weighted = loss.forward_no_reduction(x.clone(), y.clone());
            let grads = weighted.clone().sum().backward();
            let grad = values(x.grad(&grads).unwrap());
            // d(w·bce)/dx with w constant = w·(σ(x) − y), w = (w·bce) / bce
            let bce = values(
                BceLossConfig::new()
                    .with_reduction(Reduction::None)
                    .init(&device)
                    .forward_no_reduction(x.clone().detach(), y.clone().detach()),
            );
            let sig = values(burn::tensor::activation::sigmoid(x.detach()));
            let weighted = values(weighted.detach());
            for i in 0..n * c {
                let w = weighted[i] / bce[i];
                let expected = w * (sig[i] - ys[i] as f64);
                assert!(
                    (grad[i] - expected).abs() <= 1e-5 * (1.0 + expected.abs()),
                    "{name} momentum {momentum} element {i}: grad {} vs w·(σ − y) {expected}",
                    grad[i]
                );
            }
        }
    }
}
