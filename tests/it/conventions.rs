//! burn's conventions: `use burn::nn::loss::*` and `use burn_losses::prelude::*` together, the
//! inherent typed `forward` of a loss and of [`Loss`], `init(&device)`, the one-line summary that
//! burn's model summary shows, and a loss field in a `#[derive(Config)]` training config.

use burn::config::Config;
use burn::tensor::{Int, Tensor};

use crate::common;

fn assert_close(actual: &Tensor<1>, expected: &Tensor<1>, tol: f32) {
    let a = actual.to_data().iter::<f32>().collect::<Vec<f32>>();
    let e = expected.to_data().iter::<f32>().collect::<Vec<f32>>();
    assert_eq!(a.len(), e.len());
    for (x, y) in a.iter().zip(&e) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {e:?}");
    }
}

/// Both globs in one scope: every name of `burn::nn::loss` used here resolves to burn's (an
/// ambiguous name would not compile), every loss of burn-losses to ours.
mod both_preludes {
    use burn::nn::loss::*;
    use burn_losses::prelude::*;

    #[test]
    fn the_prelude_sits_beside_burns_losses() {
        let device = burn::tensor::Device::default();
        // burn's (each of the 18 names burn-losses also has at its root, but not in its prelude)
        let _ = (
            CrossEntropyLossConfig::new().init(&device),
            HuberLossConfig::new(1.0).init(),
            MseLoss::new(),
            SmoothL1LossConfig::new().init(),
            CosineEmbeddingLossConfig::new().init(),
            HingeEmbeddingLossConfig::new().init(),
            MarginRankingLossConfig::new().init(),
            MultiMarginLossConfig::new().init(),
            TripletMarginLossConfig::new().init(),
            Reduction::Mean,
        );
        // ours
        let focal: FocalLoss = FocalLossConfig::new().init(&device);
        let config: LossConfig = loss_json!({"type": "dice"});
        assert_eq!(focal.config.gamma, 2.0);
        assert_eq!(config.name(), "dice");
    }
}

#[test]
fn loss_config_defaults_to_cross_entropy_and_builds_on_a_device() {
    for (_, device) in common::test_devices() {
        let config = burn_losses::LossConfig::default();
        assert_eq!(config, burn_losses::LossConfig::parse("cross_entropy").unwrap());
        let loss = config.init(&device);
        let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
        let target = Tensor::<1, Int>::from_ints([0, 2], &device);
        // the enum's inherent forward (first two declared arguments) and forward_classification
        // agree with the typed loss
        let typed = burn_losses::CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits.clone(), target.clone());
        let by_enum = loss.forward(logits.clone(), target.clone());
        let by_classification = loss.forward_classification(logits, target);
        assert_close(&by_enum, &typed, 1e-6);
        assert_close(&by_classification, &typed, 1e-6);
        // ArcFace's class weights are built on the device given to init
        let arcface =
            burn_losses::LossConfig::parse(r#"{"type": "arcface", "num_classes": 3, "embedding_size": 4}"#)
                .unwrap()
                .init(&device);
        let burn_losses::Loss::ArcFace(arcface) = arcface else {
            unreachable!()
        };
        assert_eq!(arcface.class_weights.val().device(), device);
    }
}

#[test]
fn the_enum_forward_passes_the_declared_first_two_arguments() {
    let device = burn::tensor::Device::default();
    let loss = burn_losses::LossConfig::parse(r#"{"type": "supcon"}"#)
        .unwrap()
        .init(&device);
    let embeddings = Tensor::<2>::from_floats([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]], &device);
    let labels = Tensor::<1, Int>::from_ints([0, 0, 1, 1], &device);
    let by_forward = loss.forward(embeddings.clone(), labels.clone());
    let by_embedding = loss.embedding_loss(embeddings, labels).unwrap();
    assert_close(&by_forward, &by_embedding, 1e-6);
    // a wrong kind of second argument is named
    let err = loss
        .try_forward(
            Tensor::<2>::zeros([4, 2], &device),
            Tensor::<1>::zeros([4], &device),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("labels"), "{err}");
}

#[test]
fn summaries_are_one_line_with_the_changed_fields() {
    let device = burn::tensor::Device::default();
    let summary = |json: &str| burn_losses::LossConfig::parse(json).unwrap().summary();
    assert_eq!(summary(r#"{"type": "focal"}"#), "focal");
    assert_eq!(
        summary(r#"{"type": "focal", "gamma": 3.0, "alpha": [0.25, 0.75]}"#),
        "focal(gamma=3, alpha=[0.25, 0.75])"
    );
    assert_eq!(
        summary(r#"{"type": "huber", "delta": 0.5, "reduction": "sum"}"#),
        "huber(delta=0.5, reduction=sum)"
    );
    assert_eq!(
        summary(
            r#"{"type": "sum", "terms": [{"weight": 0.5, "loss": {"type": "dice", "activation": "softmax"}}, {"weight": 1.0, "loss": {"type": "cross_entropy"}}]}"#
        ),
        "sum(0.5*dice(activation=softmax) + 1*cross_entropy)"
    );
    // the module's Display (what burn's model summary prints for an adapter's `loss`) is the summary
    let loss = burn_losses::LossConfig::parse(r#"{"type": "focal", "gamma": 3.0}"#)
        .unwrap()
        .init(&device);
    assert_eq!(loss.to_string(), "focal(gamma=3)");
    // Display of the config stays the full JSON of a burn Config
    let config = burn_losses::LossConfig::parse(r#"{"type": "focal", "gamma": 3.0}"#).unwrap();
    assert!(
        config.to_string().starts_with(r#"{"type":"focal","gamma":3.0"#),
        "{config}"
    );
}

/// A training config as burn's guide writes it, with the loss chosen in it.
#[derive(Config, Debug)]
struct TrainingConfig {
    #[config(default = r#"burn_losses::loss_json!({"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.75]})"#)]
    loss: burn_losses::LossConfig,
    #[config(default = "burn_losses::LossConfig::default()")]
    auxiliary: burn_losses::LossConfig,
    #[config(default = 10)]
    num_epochs: usize,
}

#[test]
fn a_loss_is_a_field_of_a_derived_training_config() {
    let config = TrainingConfig::new();
    assert_eq!(config.loss.summary(), "focal(alpha=[0.25, 0.75])");
    assert_eq!(config.auxiliary.name(), "cross_entropy");
    // saved and loaded as burn saves a config
    let path = common::scratch_path("training-config").with_extension("json");
    config.save(&path).unwrap();
    let loaded = TrainingConfig::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(loaded.loss, config.loss);
    assert_eq!(loaded.auxiliary, config.auxiliary);
    // a config file that names another loss
    let text = r#"{"loss": {"type": "dice", "activation": "softmax"}, "auxiliary": {"type": "cross_entropy"}, "num_epochs": 2}"#;
    let parsed: TrainingConfig = serde_json::from_str(text).unwrap();
    assert_eq!(parsed.loss.summary(), "dice(activation=softmax)");
}

#[test]
#[should_panic(expected = "gamma")]
fn a_bad_json_default_names_the_field() {
    let _ = burn_losses::loss_json!({"type": "focal", "gamma": "two"});
}

/// A `sum` whose terms read other arguments (two heads) and activate their input themselves.
#[test]
fn sum_terms_take_their_own_inputs_and_activation() {
    let device = burn::tensor::Device::default();
    let loss = burn_losses::LossConfig::parse(
        r#"{"type": "sum", "terms": [
            {"loss": {"type": "cross_entropy"}},
            {"weight": 0.5, "loss": {"type": "mse"}, "inputs": {"input": "box_pred", "target": "box_true"}}]}"#,
    )
    .unwrap()
    .init(&device);
    assert_eq!(
        loss.config().summary(),
        "sum(1*cross_entropy + 0.5*mse[input=box_pred, target=box_true])"
    );
    let logits = Tensor::<2>::from_floats([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], &device);
    let classes = Tensor::<1, Int>::from_ints([0, 2], &device);
    let boxes = Tensor::<2>::from_floats([[1.0, 2.0], [0.0, -1.0]], &device);
    let truth = Tensor::<2>::from_floats([[1.5, 2.0], [0.0, 0.0]], &device);
    let inputs = burn_losses::LossInputs::new()
        .with_float("input", logits.clone())
        .with_int("target", classes.clone())
        .with_float("box_pred", boxes.clone())
        .with_float("box_true", truth.clone());
    let total = loss.forward_inputs(&inputs).unwrap().flat;
    let ce = burn_losses::CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits, classes);
    let mse = burn_losses::MseLossConfig::new()
        .init(&device)
        .forward(boxes, truth);
    assert_close(&total, &(ce + mse * 0.5), 1e-6);
    // the second head's arguments are named when missing
    let err = loss
        .forward_inputs(
            &burn_losses::LossInputs::new()
                .with_float("input", Tensor::<2>::zeros([2, 3], &device))
                .with_int("target", Tensor::<1, Int>::zeros([2], &device)),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("box_pred") && err.contains("terms[1] takes it as `input`"),
        "{err}"
    );
    // an activation on a term whose loss takes logits, and an argument its loss does not have
    for (json, wanted) in [
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "cross_entropy"}, "activation": "softmax"}]}"#,
            "sum: config field `terms[0].activation`: expected a loss that takes probabilities with \
             activation \"softmax\", got cross_entropy which takes logits",
        ),
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "mse"}, "inputs": {"prediction": "box"}}]}"#,
            "sum: config field `terms[0].inputs`: expected arguments of mse ([\"input\", \"target\", \"weight\"]) \
             as keys, got \"prediction\"",
        ),
    ] {
        let err = burn_losses::LossConfig::parse(json)
            .unwrap()
            .try_init(&device)
            .unwrap_err()
            .to_string();
        assert_eq!(err, wanted);
    }
}

/// A term weight scheduled over the training steps the adapters count (`Loss::advance`).
#[test]
fn scheduled_term_weights_follow_the_training_steps() {
    let device = burn::tensor::Device::default();
    let json = r#"{"type": "sum", "terms": [
        {"loss": {"type": "mse"}},
        {"loss": {"type": "mae"}, "schedule": {"kind": "linear", "start": 0.0, "end": 2.0, "steps": 4}}]}"#;
    let loss = burn_losses::LossConfig::parse(json).unwrap().init(&device);
    assert_eq!(loss.to_string(), "sum(1*mse + 1*mae[linear 0→2 over 4 steps])");
    let x = Tensor::<2>::from_floats([[1.0, -2.0], [0.5, 3.0]], &device);
    let y = Tensor::<2>::from_floats([[0.0, 0.0], [1.0, 1.0]], &device);
    let (mse, mae) = ((1.0 + 4.0 + 0.25 + 4.0) / 4.0, (1.0 + 2.0 + 0.5 + 2.0) / 4.0);
    for t in 0..6u64 {
        let value: f64 = loss.forward(x.clone(), y.clone()).into_scalar::<f64>();
        let factor = 2.0 * (t as f64 / 4.0).min(1.0);
        assert!((value - (mse + factor * mae)).abs() < 1e-5, "step {t}: {value}");
        loss.advance();
    }
    // the other shapes
    let at = |kind: &str, t: u64| {
        serde_json::from_str::<burn_losses::WeightSchedule>(&format!(
            r#"{{"kind": "{kind}", "start": 1.0, "end": 0.0, "steps": 10}}"#
        ))
        .unwrap()
        .at(t)
    };
    assert_eq!((at("step", 9), at("step", 10)), (1.0, 0.0));
    assert!((at("cosine", 5) - 0.5).abs() < 1e-12 && at("cosine", 10).abs() < 1e-12);
    assert_eq!(at("constant", 100), 1.0);
    let err = burn_losses::LossConfig::parse(
        r#"{"type": "sum", "terms": [{"loss": {"type": "mse"}, "schedule": {"kind": "linear", "start": 0, "steps": 0}}]}"#,
    )
    .unwrap()
    .try_init(&device)
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "sum: config field `terms[0].schedule.steps`: expected at least 1 training step, got 0"
    );
}

/// What the configs refuse: a sum's learned weights on a term of weight 0, training options in a
/// nested sum, bce's ignore_index on a label, a Lovász hinge weight;
/// routing on the classification path; and a term activation for any loss on probabilities.
#[test]
fn configs_refuse_what_they_would_ignore() {
    use burn_losses::ClassificationLoss;
    let device = burn::tensor::Device::default();
    let error = |json: &str| {
        burn_losses::LossConfig::parse(json)
            .unwrap()
            .try_init(&device)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(
            r#"{"type": "sum", "weighting": "uncertainty", "terms": [{"weight": 0, "loss": {"type": "mse"}}]}"#
        ),
        "sum: config field `terms[0].weight`: expected a number > 0 with weighting \"uncertainty\", got 0"
    );
    assert_eq!(
        error(
            r#"{"type": "sum", "terms": [{"loss": {"type": "sum", "terms": [{"loss": {"type": "mse"}}], "regularizers": [{"l2": 1}]}}]}"#
        ),
        "sum: config field `terms[0].loss`: expected a sum without regularizers, schedules or learned weights inside \
         another sum (put them on the outer sum), got a nested sum with regularizers"
    );
    assert_eq!(
        error(r#"{"type": "lovasz", "mode": "hinge", "weight": [1.0]}"#),
        "lovasz: config field `weight`: expected null with mode \"hinge\" (one class; kornia's lovasz_hinge_loss has \
         no weight), got [1.0]"
    );
    assert_eq!(
        error(r#"{"type": "bce", "ignore_index": 1}"#),
        "bce: config field `ignore_index`: expected a value outside the labels 0 and 1 (e.g. -100 or 255), got 1"
    );
    // a Dice on probabilities next to a sigmoid (MONAI DiceCELoss(sigmoid=True)'s Dice)
    let loss = burn_losses::LossConfig::parse(
        r#"{"type": "sum", "terms": [{"loss": {"type": "dice"}, "activation": "sigmoid"}, {"loss": {"type": "bce"}}]}"#,
    )
    .unwrap()
    .init(&device);
    let x = Tensor::<2>::from_floats([[2.0, -1.0], [0.1, 0.2]], &device);
    let routed = burn_losses::LossConfig::parse(
        r#"{"type": "sum", "terms": [{"loss": {"type": "mse"}, "inputs": {"input": "second"}}]}"#,
    )
    .unwrap()
    .init(&device);
    let err = routed
        .classification_loss(x.clone(), Tensor::<1, Int>::from_ints([0, 1], &device))
        .unwrap_err()
        .to_string();
    assert!(err.contains("terms[0].inputs"), "{err}");
    let y = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 1.0]], &device);
    assert!(loss.forward(x, y).into_scalar::<f64>().is_finite());
}
