//! Overlap family (dice, generalized_dice, tversky, focal_tversky, log_cosh_dice): the empty-class
//! policy, identities between the variants, and the typed API against the named-argument one.

use crate::common;

use burn::tensor::{Int, Tensor, TensorData};
use burn_losses::{
    Activation, DiceLossConfig, FocalTverskyLossConfig, GeneralizedDiceLossConfig, LogCoshDiceLossConfig,
    LossConfig, LossInputs, Reduction, TverskyLossConfig,
};
use common::cases::Lcg;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

/// Random logits `[2, 3, 4, 4]` and class indices `[2, 4, 4]`.
fn batch(device: &burn::tensor::Device, seed: u64) -> (Tensor<4>, Tensor<3, Int>) {
    let mut rng = Lcg::new(seed);
    let x: Vec<f32> = (0..2 * 3 * 16).map(|_| (rng.normal() * 2.0) as f32).collect();
    let t: Vec<i64> = (0..2 * 16).map(|_| rng.below(3) as i64).collect();
    (
        Tensor::<4>::from_data(TensorData::new(x, [2, 3, 4, 4]), device),
        Tensor::<3, Int>::from_data(TensorData::new(t, [2, 4, 4]), device),
    )
}

/// Probabilities `[1, 3, 4]` in which class 2 is neither predicted (p = 0) nor in the target.
fn empty_class_case(device: &burn::tensor::Device) -> (Tensor<3>, Tensor<2, Int>) {
    let p = Tensor::<3>::from_data(
        TensorData::new(
            vec![0.9f32, 0.2, 0.6, 0.0, 0.1, 0.8, 0.4, 1.0, 0.0, 0.0, 0.0, 0.0],
            [1, 3, 4],
        ),
        device,
    );
    let t = Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 1, 0, 1], [1, 4]), device);
    (p, t)
}

#[test]
fn an_empty_class_scores_zero_and_never_nan() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let (p, t) = empty_class_case(&ad);
        for smooth in [1e-5, 0.0] {
            let p = p.clone().require_grad();
            let dice = DiceLossConfig::new()
                .with_smooth_nr(smooth)
                .with_smooth_dr(smooth)
                .with_reduction(Reduction::None)
                .init(&device);
            let per_class = dice.forward_no_reduction(p.clone(), t.clone());
            assert_eq!(per_class.dims(), [1, 3], "{name}: [N, C] per (sample, class)");
            let grads = per_class.clone().sum().backward();
            let per_class = values(per_class);
            assert_eq!(per_class.len(), 3, "{name}");
            assert!(
                per_class[2].abs() < 1e-6,
                "{name} smooth {smooth}: empty class scores {}",
                per_class[2]
            );
            assert!(per_class.iter().all(|v| v.is_finite()), "{name}: {per_class:?}");
            let g: Vec<f64> = p.grad(&grads).unwrap().into_data().iter::<f64>().collect();
            assert!(
                g.iter().all(|v| v.is_finite()),
                "{name} smooth {smooth}: gradient {g:?}"
            );
            // the other losses of the family follow the same policy
            for config in [
                r#"{"type": "tversky", "smooth_nr": 0, "smooth_dr": 0, "reduction": "none"}"#,
                r#"{"type": "focal_tversky", "smooth_nr": 0, "smooth_dr": 0, "reduction": "none"}"#,
                r#"{"type": "log_cosh_dice", "smooth_nr": 0, "smooth_dr": 0, "reduction": "none"}"#,
                r#"{"type": "generalized_dice", "smooth_nr": 0, "smooth_dr": 0}"#,
            ] {
                let loss = LossConfig::parse(config).unwrap().init(&device);
                let out = loss
                    .forward_inputs(
                        &LossInputs::new()
                            .with_float("input", p.clone())
                            .with_int("target", t.clone()),
                    )
                    .unwrap();
                let v: Vec<f64> = out.flat.into_data().iter::<f64>().collect();
                assert!(v.iter().all(|x| x.is_finite()), "{name} {config}: {v:?}");
                if !config.contains("generalized") {
                    assert!(v[2].abs() < 1e-6, "{name} {config}: empty class {}", v[2]);
                }
            }
        }
    }
}

#[test]
fn an_all_background_batch_is_finite_for_every_smoothing() {
    for (name, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        let (x, _) = batch(&ad, 3);
        let t = Tensor::<3, Int>::zeros([2, 4, 4], &ad);
        for (smooth_nr, smooth_dr) in [(1e-5, 1e-5), (0.0, 0.0), (1.0, 1.0)] {
            for include_background in [true, false] {
                for loss in [
                    LossConfig::Dice(
                        DiceLossConfig::new()
                            .with_activation(Activation::Softmax)
                            .with_smooth_nr(smooth_nr)
                            .with_smooth_dr(smooth_dr)
                            .with_include_background(include_background),
                    ),
                    LossConfig::GeneralizedDice(
                        GeneralizedDiceLossConfig::new()
                            .with_activation(Activation::Softmax)
                            .with_smooth_nr(smooth_nr)
                            .with_smooth_dr(smooth_dr)
                            .with_include_background(include_background),
                    ),
                ] {
                    let x = x.clone().require_grad();
                    let out = loss
                        .init(&device)
                        .forward_inputs(
                            &LossInputs::new()
                                .with_float("input", x.clone())
                                .with_int("target", t.clone()),
                        )
                        .unwrap();
                    let v: Vec<f64> = out.flat.into_data().iter::<f64>().collect();
                    assert!(
                        v.iter().all(|x| x.is_finite()),
                        "{name} {loss} background={include_background}: {v:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn tversky_with_equal_weights_is_dice_and_gamma_one_is_tversky() {
    for (name, device) in common::test_devices() {
        let (x, t) = batch(&device, 7);
        for batch_sum in [false, true] {
            let dice = DiceLossConfig::new()
                .with_activation(Activation::Softmax)
                .with_batch(batch_sum)
                .with_reduction(Reduction::None)
                .init(&device);
            let tversky = TverskyLossConfig::new()
                .with_activation(Activation::Softmax)
                .with_batch(batch_sum)
                .with_reduction(Reduction::None)
                .init(&device);
            let d = values(dice.forward_no_reduction(x.clone(), t.clone()));
            let tv = values(tversky.forward_no_reduction(x.clone(), t.clone()));
            assert_close(
                &tv,
                &d,
                1e-6,
                &format!("{name} tversky(0.5, 0.5) vs dice, batch={batch_sum}"),
            );

            let focal = FocalTverskyLossConfig::new()
                .with_activation(Activation::Softmax)
                .with_batch(batch_sum)
                .with_gamma(1.0)
                .with_reduction(Reduction::None)
                .init(&device);
            let f = values(focal.forward_no_reduction(x.clone(), t.clone()));
            assert_close(&f, &tv, 1e-6, &format!("{name} focal_tversky γ=1 vs tversky"));

            // γ per class vs γ after the mean
            let gamma = 2.0;
            let per_class = FocalTverskyLossConfig::new()
                .with_activation(Activation::Softmax)
                .with_batch(batch_sum)
                .with_gamma(gamma);
            let after_mean = per_class.clone().with_exponent_after_mean(true).init(&device);
            let mean_tv = tv.iter().sum::<f64>() / tv.len() as f64;
            let want_per_class = tv.iter().map(|v| v.powf(gamma)).sum::<f64>() / tv.len() as f64;
            assert_close(
                &values(per_class.init(&device).forward(x.clone(), t.clone())),
                &[want_per_class],
                1e-5,
                &format!("{name} mean of (1 − TI)^γ"),
            );
            assert_close(
                &values(after_mean.forward(x.clone(), t.clone())),
                &[mean_tv.powf(gamma)],
                1e-5,
                &format!("{name} (mean of 1 − TI)^γ"),
            );
        }
    }
}

#[test]
fn log_cosh_dice_is_log_cosh_of_each_dice_value() {
    for (name, device) in common::test_devices() {
        let (x, t) = batch(&device, 11);
        let dice = DiceLossConfig::new()
            .with_activation(Activation::Softmax)
            .with_weight(Some(vec![0.5, 1.0, 3.0]))
            .with_reduction(Reduction::None)
            .init(&device);
        let log_cosh = LogCoshDiceLossConfig::new()
            .with_activation(Activation::Softmax)
            .with_weight(Some(vec![0.5, 1.0, 3.0]))
            .with_reduction(Reduction::None)
            .init(&device);
        let want: Vec<f64> = values(dice.forward_no_reduction(x.clone(), t.clone()))
            .iter()
            .map(|f| f.cosh().ln())
            .collect();
        let got = values(log_cosh.forward_no_reduction(x, t));
        assert_close(&got, &want, 1e-6, &format!("{name} log_cosh_dice"));
    }
}

#[test]
fn class_indices_one_hot_targets_mask_and_ignore_index_agree() {
    for (name, device) in common::test_devices() {
        let (x, t) = batch(&device, 13);
        for activation in [Activation::Softmax, Activation::Sigmoid] {
            let config = DiceLossConfig::new()
                .with_activation(activation)
                .with_include_background(false);
            let dice = config.init(&device);
            let one_hot: Tensor<4> = t
                .clone()
                .reshape([32])
                .one_hot::<2>(3)
                .reshape([2, 4, 4, 3])
                .permute([0, 3, 1, 2])
                .float();
            let by_index = values(dice.forward(x.clone(), t.clone()));
            let by_one_hot = values(dice.forward_probabilities(x.clone(), one_hot));
            assert_close(
                &by_index,
                &by_one_hot,
                1e-6,
                &format!("{name} {activation} indices vs one-hot"),
            );

            // ignore_index 255 on the first row of each image = a mask that is 0 there
            let row0 = Tensor::<3, Int>::ones([2, 1, 4], &device).mul_scalar(255);
            let ignored = Tensor::cat(vec![row0, t.clone().narrow(1, 1, 3)], 1);
            let mask = Tensor::cat(
                vec![
                    Tensor::<3>::zeros([2, 1, 4], &device),
                    Tensor::<3>::ones([2, 3, 4], &device),
                ],
                1,
            );
            let with_ignore = values(
                config
                    .clone()
                    .with_ignore_index(Some(255))
                    .init(&device)
                    .forward(x.clone(), ignored),
            );
            let with_mask = values(dice.try_forward(x.clone(), t.clone(), Some(mask)).unwrap());
            assert_close(
                &with_ignore,
                &with_mask,
                1e-6,
                &format!("{name} {activation} ignore_index vs mask"),
            );
            assert!(
                (with_mask[0] - by_index[0]).abs() > 1e-4,
                "{name}: the mask changed nothing"
            );
        }
    }
}
