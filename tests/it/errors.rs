//! Every invalid config and bad input gets an error naming the field / argument with expected vs
//! actual; configs deserialise with defaults for missing fields and reject unknown ones.

use crate::common;

use burn::tensor::{Int, Tensor};
use burn_losses::{BinaryFocalLossConfig, ErrorKind, FocalLossConfig, LossConfig, LossInputs, Reduction};

pub(crate) fn config_error(json: &str) -> String {
    let cfg = LossConfig::parse(json).unwrap_or_else(|e| panic!("{json} should parse: {e}"));
    let err = cfg.try_init(&burn::tensor::Device::default()).expect_err(json);
    assert_eq!(err.kind, ErrorKind::Config);
    err.to_string()
}

#[test]
fn invalid_configs_name_the_field() {
    let cases = [
        (
            r#"{"type": "focal", "gamma": -1}"#,
            "focal: config field `gamma`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "binary_focal", "gamma": -0.5}"#,
            "binary_focal: config field `gamma`: expected a finite number >= 0, got -0.5",
        ),
        (
            r#"{"type": "binary_focal", "alpha": 1.5}"#,
            "binary_focal: config field `alpha`: expected a number in [0, 1], or null for no α weighting \
             (torchvision's alpha=-1), got 1.5",
        ),
        (
            r#"{"type": "binary_focal", "alpha": -1}"#,
            "binary_focal: config field `alpha`: expected a number in [0, 1], or null for no α weighting \
             (torchvision's alpha=-1), got -1",
        ),
        (
            r#"{"type": "binary_focal", "label_smoothing": 1.2}"#,
            "binary_focal: config field `label_smoothing`: expected a number in [0, 1], got 1.2",
        ),
        (
            r#"{"type": "focal", "label_smoothing": -0.1}"#,
            "focal: config field `label_smoothing`: expected a number in [0, 1], got -0.1",
        ),
        (
            r#"{"type": "focal", "alpha": []}"#,
            "focal: config field `alpha`: expected one weight per class, got an empty list",
        ),
        (
            r#"{"type": "focal", "alpha": [1.0, -2.0]}"#,
            "focal: config field `alpha[1]`: expected a finite weight >= 0, got -2",
        ),
        (
            r#"{"type": "focal", "epsilon": 0.0}"#,
            "focal: config field `epsilon`: expected a number in (0, 0.5), got 0",
        ),
        (
            r#"{"type": "binary_focal", "epsilon": 0.7}"#,
            "binary_focal: config field `epsilon`: expected a number in (0, 0.5), got 0.7",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(config_error(json), message, "{json}");
    }
}

#[test]
#[should_panic(expected = "focal: config field `gamma`: expected a finite number >= 0, got -2")]
fn init_panics_with_the_same_message() {
    FocalLossConfig::new()
        .with_gamma(-2.0)
        .init(&burn::tensor::Device::default());
}

#[test]
fn parse_errors_are_clear() {
    let e = LossConfig::parse("focall").unwrap_err().to_string();
    assert!(
        e.starts_with(
            r#"loss_config: loss name: expected one of ["binary_focal", "focal", "class_balanced", "#
        ),
        "{e}"
    );
    // the built-in names, then any registered by other tests of this binary (`custom::`)
    assert!(
        e.contains(r#""hinge_embedding""#) && e.ends_with(r#"], got "focall""#),
        "{e}"
    );
    for name in LossConfig::NAMES {
        assert!(e.contains(&format!("\"{name}\"")), "{name} missing from {e}");
    }
    let e = LossConfig::parse(r#"{"type": "focal", "gama": 2}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `gama`"), "{e}");
    let e = LossConfig::parse(r#"{"type": "dyce"}"#).unwrap_err().to_string();
    assert!(
        e.contains(r#"loss name: expected one of ["binary_focal", "#) && e.ends_with(r#"got "dyce""#),
        "{e}"
    );
    let e = LossConfig::parse(r#"{"type": "focal", "reduction": "avg"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `avg`, expected one of `none`, `mean`, `sum`"),
        "{e}"
    );
}

#[test]
fn configs_deserialise_with_defaults_and_round_trip() {
    let cfg = LossConfig::parse(r#"{"type": "binary_focal"}"#).unwrap();
    assert_eq!(cfg, LossConfig::BinaryFocal(BinaryFocalLossConfig::new()));
    let LossConfig::BinaryFocal(b) = &cfg else {
        unreachable!()
    };
    assert_eq!(
        (b.gamma, b.alpha, b.from_logits, b.label_smoothing, b.reduction),
        (2.0, Some(0.25), true, 0.0, Reduction::Mean)
    );
    // explicit null turns alpha off, a missing field keeps the default
    let LossConfig::BinaryFocal(b) = LossConfig::parse(r#"{"type": "binary_focal", "alpha": null}"#).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(b.alpha, None);
    let LossConfig::Focal(f) =
        LossConfig::parse(r#"{"type": "focal", "gamma": 1, "ignore_index": null, "reduction": "none"}"#)
            .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(
        (f.gamma, f.ignore_index, f.reduction),
        (1.0, None, Reduction::None)
    );
    assert_eq!(
        LossConfig::parse("focal").unwrap(),
        LossConfig::Focal(FocalLossConfig::new())
    );
    for cfg in common::cases::all_configs() {
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(LossConfig::parse(&json).unwrap(), cfg, "{json}");
        assert!(json.starts_with(r#"{"type":""#), "{json}");
    }
}

#[test]
fn config_nests_in_a_burn_training_config() {
    #[derive(burn::config::Config, Debug)]
    struct TrainingConfig {
        loss: LossConfig,
        #[config(default = 3)]
        epochs: usize,
    }
    let cfg: TrainingConfig =
        serde_json::from_str(r#"{"loss": {"type": "focal", "gamma": 0.5}, "epochs": 3}"#).unwrap();
    let LossConfig::Focal(f) = &cfg.loss else {
        panic!("focal expected")
    };
    assert_eq!(f.gamma, 0.5);
    assert_eq!(cfg.loss.init(&burn::tensor::Device::default()).name(), "focal");

    // The same from TOML, with defaults for what is left out.
    let cfg: TrainingConfig =
        toml::from_str("epochs = 5\n[loss]\ntype = \"binary_focal\"\ngamma = 1.0\nreduction = \"sum\"\n")
            .unwrap();
    assert_eq!(
        cfg.loss,
        LossConfig::BinaryFocal(
            BinaryFocalLossConfig::new()
                .with_gamma(1.0)
                .with_reduction(Reduction::Sum)
        )
    );
    assert_eq!(cfg.epochs, 5);
}

#[test]
fn bad_inputs_name_the_argument() {
    for (device_name, device) in common::test_devices() {
        let focal = FocalLossConfig::new().init(&device);
        let x = Tensor::<2>::zeros([4, 3], &device);
        let cases: Vec<(Result<Tensor<1>, burn_losses::LossError>, &str)> = vec![
            (
                focal.try_forward(x.clone(), Tensor::<1, Int>::from_ints([0, 1, 2], &device), None),
                "focal: argument `target`: expected class indices of shape [4] (input shape [4, 3] without the class dim 1), got [3]",
            ),
            (
                focal.try_forward(
                    x.clone(),
                    Tensor::<1, Int>::from_ints([0, 1, 3, 2], &device),
                    None,
                ),
                "focal: argument `target`: expected class indices in [0, 3) (or ignore_index -100), got indices in [0, 3]",
            ),
            (
                focal.try_forward(
                    x.clone(),
                    Tensor::<1, Int>::from_ints([0, -1, 2, 2], &device),
                    None,
                ),
                "focal: argument `target`: expected class indices in [0, 3) (or ignore_index -100), got indices in [-1, 2]",
            ),
            (
                focal.try_forward(
                    Tensor::<1>::zeros([4], &device),
                    Tensor::<1, Int>::zeros([4], &device),
                    None,
                ),
                "focal: argument `input`: expected shape [N, C] or [N, C, d1, ...], got [4]",
            ),
            (
                focal.try_forward(
                    x.clone(),
                    Tensor::<1, Int>::from_ints([0, 1, 2, 2], &device),
                    Some(Tensor::<1>::ones([3], &device)),
                ),
                "focal: argument `weight`: expected per-sample weights of shape [4] (the batch size), got shape [3]",
            ),
            (
                FocalLossConfig::new()
                    .with_alpha(Some(vec![1.0, 1.0]))
                    .init(&device)
                    .try_forward(
                        x.clone(),
                        Tensor::<1, Int>::from_ints([0, 1, 1, 0], &device),
                        None,
                    ),
                "focal: argument `input`: expected 2 classes along dim 1 (the length of config field `alpha`), got 3 classes (input shape [4, 3])",
            ),
            (
                FocalLossConfig::new()
                    .with_from_logits(false)
                    .init(&device)
                    .try_forward(
                        x.clone() - 0.5,
                        Tensor::<1, Int>::from_ints([0, 1, 1, 0], &device),
                        None,
                    ),
                "focal: argument `input`: expected probabilities (from_logits = false) in [0, 1], got values in [-0.5, -0.5]",
            ),
            (
                BinaryFocalLossConfig::new().init(&device).try_forward(
                    x.clone(),
                    Tensor::<2>::zeros([4, 2], &device),
                    None,
                ),
                "binary_focal: argument `target`: expected the shape of `input` [4, 3], got [4, 2]",
            ),
            (
                BinaryFocalLossConfig::new().init(&device).try_forward(
                    x.clone(),
                    Tensor::<2>::ones([4, 3], &device) * 2.0,
                    None,
                ),
                "binary_focal: argument `target`: expected target probabilities in [0, 1], got values in [2, 2]",
            ),
        ];
        for (result, message) in cases {
            let err = result.expect_err(message);
            assert_eq!(err.kind, ErrorKind::Input);
            assert_eq!(err.to_string(), message, "on {device_name}");
        }
        // named-argument path: wrong kinds and unknown names
        let loss = LossConfig::parse("focal").unwrap().init(&device);
        let inputs = LossInputs::new()
            .with_float("input", x.clone())
            .with_float("target", Tensor::<1>::zeros([4], &device));
        assert_eq!(
            loss.forward_inputs(&inputs).unwrap_err().to_string(),
            "focal: argument `target`: expected an integer tensor of class indices, got a float tensor of shape [4]"
        );
        let inputs = LossInputs::new()
            .with_float("input", x.clone())
            .with_float("labels", x.clone());
        assert!(
            loss.forward_inputs(&inputs)
                .unwrap_err()
                .to_string()
                .contains("unknown argument `labels`")
        );
        let inputs = LossInputs::new().with_float("input", x.clone());
        assert_eq!(
            loss.forward_inputs(&inputs).unwrap_err().to_string(),
            "focal: argument `target`: expected an integer tensor, got nothing (missing argument)"
        );
    }
}

#[test]
#[should_panic(expected = "focal: argument `target`: expected class indices in [0, 3)")]
fn forward_panics_with_the_same_message() {
    let device = burn_losses::device::test_devices()[0].1.clone();
    FocalLossConfig::new().init(&device).forward(
        Tensor::<2>::zeros([2, 3], &device),
        Tensor::<1, Int>::from_ints([0, 7], &device),
    );
}

#[test]
fn mixed_float_dtypes_are_named() {
    use burn::tensor::{DType, TensorData};
    // flex holds both f32 and f64; other backends may not have f64.
    let Some((_, device)) = common::test_devices().into_iter().find(|(n, _)| *n == "flex") else {
        println!("flex not enabled: dtype test skipped");
        return;
    };
    let x = Tensor::<2>::zeros([2, 3], &device);
    let y64 = Tensor::<2>::from_data(TensorData::new(vec![0.0f64; 6], [2, 3]), (&device, DType::F64));
    let err = BinaryFocalLossConfig::new()
        .init(&device)
        .try_forward(x.clone(), y64, None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "binary_focal: argument `target`: expected dtype F32 (the dtype of `input`), got dtype F64"
    );
    let w64 = Tensor::<1>::from_data(TensorData::new(vec![1.0f64; 2], [2]), (&device, DType::F64));
    let err = FocalLossConfig::new()
        .init(&device)
        .try_forward(x, Tensor::<1, Int>::from_ints([0, 1], &device), Some(w64))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "focal: argument `weight`: expected dtype F32 (the dtype of `input`), got dtype F64"
    );
}

#[test]
fn invalid_imbalance_configs_name_the_field() {
    let cases = [
        (
            r#"{"type": "class_balanced"}"#,
            "class_balanced: config field `samples_per_class`: expected one training-sample count per class, \
             at least 2 classes (required), got nothing",
        ),
        (
            r#"{"type": "class_balanced", "samples_per_class": [10]}"#,
            "class_balanced: config field `samples_per_class`: expected one training-sample count per class, \
             at least 2 classes (required), got [10]",
        ),
        (
            r#"{"type": "class_balanced", "samples_per_class": [10, 0, 3]}"#,
            "class_balanced: config field `samples_per_class[1]`: expected a count >= 1 (class 1 has no samples: \
             its weight (1 − β)/(1 − β^0) would be infinite), got 0",
        ),
        (
            r#"{"type": "class_balanced", "samples_per_class": [10, 3], "beta": 1.0}"#,
            "class_balanced: config field `beta`: expected a number in [0, 1), got 1",
        ),
        (
            r#"{"type": "class_balanced", "samples_per_class": [10, 3], "beta": -0.5}"#,
            "class_balanced: config field `beta`: expected a number in [0, 1), got -0.5",
        ),
        (
            r#"{"type": "class_balanced", "samples_per_class": [10, 3], "gamma": -1}"#,
            "class_balanced: config field `gamma`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "bce", "pos_weight": []}"#,
            "bce: config field `pos_weight`: expected one weight per class, got an empty list",
        ),
        (
            r#"{"type": "bce", "pos_weight": [1.0, -3.0]}"#,
            "bce: config field `pos_weight[1]`: expected a finite weight >= 0, got -3",
        ),
        (
            r#"{"type": "bce", "label_smoothing": 1.5}"#,
            "bce: config field `label_smoothing`: expected a number in [0, 1], got 1.5",
        ),
        (
            r#"{"type": "bce", "epsilon": 0.5}"#,
            "bce: config field `epsilon`: expected a number in (0, 0.5), got 0.5",
        ),
        (
            r#"{"type": "balanced_bce", "beta": 1.2}"#,
            "balanced_bce: config field `beta`: expected a number in [0, 1], or null for the fraction of \
             negatives in the batch, got 1.2",
        ),
        (
            r#"{"type": "balanced_bce", "epsilon": -1}"#,
            "balanced_bce: config field `epsilon`: expected a number in (0, 0.5), got -1",
        ),
        (
            r#"{"type": "ghm_c", "bins": 0}"#,
            "ghm_c: config field `bins`: expected a number of bins >= 1, got 0",
        ),
        (
            r#"{"type": "ghm_c", "momentum": 1.0}"#,
            "ghm_c: config field `momentum`: expected a number in [0, 1), got 1",
        ),
        (
            r#"{"type": "ghm_r", "mu": 0}"#,
            "ghm_r: config field `mu`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "ghm_r", "bins": 0}"#,
            "ghm_r: config field `bins`: expected a number of bins >= 1, got 0",
        ),
        (
            r#"{"type": "ghm_r", "momentum": -0.1}"#,
            "ghm_r: config field `momentum`: expected a number in [0, 1), got -0.1",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(config_error(json), message, "{json}");
    }
    let e = LossConfig::parse(r#"{"type": "class_balanced", "samples_per_class": [3, 1], "base": "sofmax"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `sofmax`, expected one of `softmax`, `sigmoid`, `focal`, `softmax_bce`"),
        "{e}"
    );
}

/// Runs a request through the named-argument path (`eval`'s) and returns its error message.
pub(crate) fn input_error(loss: &str, inputs: LossInputs) -> String {
    let loss = LossConfig::parse(loss)
        .unwrap()
        .init(&burn::tensor::Device::default());
    let err = loss.forward_inputs(&inputs).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Input);
    err.to_string()
}

#[test]
fn bad_imbalance_inputs_name_the_argument() {
    use burn_losses::ClassificationLoss;
    for (device_name, device) in common::test_devices() {
        let x = Tensor::<2>::zeros([4, 3], &device);
        let classes = |v: [i64; 4]| Tensor::<1, Int>::from_ints(v, &device);
        let cb = r#"{"type": "class_balanced", "samples_per_class": [10, 5, 2, 1]}"#;
        let cases = [
            (
                input_error(
                    cb,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_int("target", classes([0, 1, 2, 0])),
                ),
                "class_balanced: argument `input`: expected logits of shape [N, 4] (4 = the length of config field \
                 `samples_per_class`), got [4, 3]",
            ),
            (
                input_error(
                    r#"{"type": "class_balanced", "samples_per_class": [10, 5, 2]}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_int("target", classes([0, 1, 3, 0])),
                ),
                "class_balanced: argument `target`: expected class indices in [0, 3), got indices in [0, 3]",
            ),
            (
                input_error(
                    r#"{"type": "class_balanced", "samples_per_class": [10, 5, 2]}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_int("target", Tensor::<1, Int>::from_ints([0, 1], &device)),
                ),
                "class_balanced: argument `target`: expected class indices of shape [4], got [2]",
            ),
            (
                input_error(
                    r#"{"type": "bce", "pos_weight": [1.0, 2.0]}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone()),
                ),
                "bce: argument `input`: expected 2 classes in the last dimension (the length of config field \
                 `pos_weight`), got 3 (input shape [4, 3])",
            ),
            (
                input_error(
                    r#"{"type": "balanced_bce"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", Tensor::<2>::zeros([4, 2], &device)),
                ),
                "balanced_bce: argument `target`: expected the shape of `input` [4, 3], got [4, 2]",
            ),
            (
                input_error(
                    r#"{"type": "ghm_c"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_int("target", classes([0, 1, 4, 0])),
                ),
                "ghm_c: argument `target`: expected class indices in [0, 3] (3 = background, an all-zero one-hot row), \
                 got indices in [0, 4]",
            ),
            (
                input_error(
                    r#"{"type": "ghm_c"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone())
                        .with_float("mask", Tensor::<1>::ones([4], &device)),
                ),
                "ghm_c: argument `mask`: expected per-element weights (0 = ignored) of shape [4, 3], got shape [4]",
            ),
            (
                // the older spelling of the argument names the canonical one
                input_error(
                    r#"{"type": "ghm_c"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone())
                        .with_float("valid", Tensor::<1>::ones([4], &device)),
                ),
                "ghm_c: argument `mask`: expected per-element weights (0 = ignored) of shape [4, 3], got shape [4]",
            ),
            (
                input_error(
                    r#"{"type": "ghm_r"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone())
                        .with_float("mask", x.clone())
                        .with_float("valid", x.clone()),
                ),
                "ghm_r: argument `mask`: expected `mask` or its older spelling `valid`, not both, got both",
            ),
            (
                input_error(
                    r#"{"type": "ghm_c"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", Tensor::<1>::zeros([3], &device)),
                ),
                "ghm_c: argument `target`: expected binary targets of the shape of `input` [4, 3], or class indices \
                 [N], got [3]",
            ),
            (
                input_error(
                    r#"{"type": "ghm_r"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", Tensor::<2>::zeros([3, 4], &device)),
                ),
                "ghm_r: argument `target`: expected the shape of `input` [4, 3], got [3, 4]",
            ),
        ];
        for (got, message) in cases {
            assert_eq!(got, message, "on {device_name}");
        }
        let regression = LossConfig::parse("ghm_r").unwrap().init(&device);
        let err = regression
            .classification_loss(x.clone(), classes([0, 1, 2, 0]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ghm_r: argument `target`: expected real-valued regression targets of the shape of `input` (ghm_r is a \
             regression loss), got class indices of shape [4]"
        );
    }
}

#[test]
fn invalid_overlap_configs_name_the_field() {
    let cases = [
        (
            r#"{"type": "dice", "smooth_nr": -1}"#,
            "dice: config field `smooth_nr`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "generalized_dice", "smooth_dr": -0.5}"#,
            "generalized_dice: config field `smooth_dr`: expected a finite number >= 0, got -0.5",
        ),
        (
            r#"{"type": "generalized_dice", "absent_classes": "zero"}"#,
            "generalized_dice: config field `absent_classes`: expected \"score\" (one ratio over all classes: its \
             weights already give absent classes the largest finite weight), got \"zero\"",
        ),
        (
            r#"{"type": "dice", "weight": [1.0, -1.0]}"#,
            "dice: config field `weight[1]`: expected a finite weight >= 0, got -1",
        ),
        (
            r#"{"type": "log_cosh_dice", "weight": []}"#,
            "log_cosh_dice: config field `weight`: expected one weight per class, got an empty list",
        ),
        (
            r#"{"type": "log_cosh_dice", "smooth_dr": -2}"#,
            "log_cosh_dice: config field `smooth_dr`: expected a finite number >= 0, got -2",
        ),
        (
            r#"{"type": "tversky", "alpha": -0.1}"#,
            "tversky: config field `alpha`: expected a finite number >= 0, got -0.1",
        ),
        (
            r#"{"type": "tversky", "beta": -1}"#,
            "tversky: config field `beta`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "tversky", "smooth_nr": -1e-5}"#,
            "tversky: config field `smooth_nr`: expected a finite number >= 0, got -0.00001",
        ),
        (
            r#"{"type": "focal_tversky", "alpha": -1}"#,
            "focal_tversky: config field `alpha`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "focal_tversky", "beta": -1}"#,
            "focal_tversky: config field `beta`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "focal_tversky", "gamma": 0}"#,
            "focal_tversky: config field `gamma`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "focal_tversky", "exponent_after_mean": true, "reduction": "sum"}"#,
            "focal_tversky: config field `reduction`: expected \"mean\" with exponent_after_mean = true (the \
             exponent applies to the mean), got \"sum\"",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(config_error(json), message, "{json}");
    }
    for (json, wanted) in [
        (
            r#"{"type": "dice", "activation": "elu"}"#,
            "unknown variant `elu`, expected one of `none`, `softmax`, `sigmoid`, `tanh`, `relu`, `identity`",
        ),
        (
            r#"{"type": "dice", "absent_classes": "drop"}"#,
            "unknown variant `drop`, expected one of `score`, `zero`, `skip`",
        ),
        (
            r#"{"type": "generalized_dice", "w_type": "cube"}"#,
            "unknown variant `cube`, expected one of `square`, `simple`, `uniform`",
        ),
        (r#"{"type": "tversky", "gamma": 2}"#, "unknown field `gamma`"),
        (
            r#"{"type": "dice", "w_type": "square"}"#,
            "unknown field `w_type`",
        ),
    ] {
        let e = LossConfig::parse(json).unwrap_err().to_string();
        assert!(e.contains(wanted), "{json}: {e}");
    }
    // defaults on missing fields (MONAI's)
    let LossConfig::Dice(dice) = LossConfig::parse(r#"{"type": "dice"}"#).unwrap() else {
        unreachable!()
    };
    assert_eq!(dice, burn_losses::DiceLossConfig::new());
    assert_eq!(
        (
            dice.smooth_nr,
            dice.smooth_dr,
            dice.include_background,
            dice.batch
        ),
        (1e-5, 1e-5, true, false)
    );
    assert_eq!(dice.activation, burn_losses::Activation::None);
}

#[test]
fn bad_overlap_inputs_name_the_argument() {
    use burn::tensor::TensorData;
    for (device_name, device) in common::test_devices() {
        let x = Tensor::<4>::zeros([2, 3, 2, 2], &device);
        let classes = |shape: [usize; 3], v: i64| Tensor::<3, Int>::full(shape, v, &device);
        let good = classes([2, 2, 2], 1);
        let run = |loss: &str, inputs: LossInputs| input_error(loss, inputs);
        let xt = |t: Tensor<3, Int>| {
            LossInputs::new()
                .with_float("input", x.clone())
                .with_int("target", t)
        };
        let cases = [
            (
                run(
                    r#"{"type": "dice"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_int("target", Tensor::<2, Int>::zeros([2, 2], &device)),
                ),
                "dice: argument `target`: expected class indices of shape [2, 2, 2] (input shape [2, 3, 2, 2] without \
                 the class dim 1), or probabilities of the shape of `input`, got [2, 2]",
            ),
            (
                run(
                    r#"{"type": "tversky"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", Tensor::<4>::zeros([2, 2, 2, 2], &device)),
                ),
                "tversky: argument `target`: expected one-hot / soft probabilities of the shape of `input` [2, 3, 2, 2], \
                 or class indices of shape [2, 2, 2], got [2, 2, 2, 2]",
            ),
            (
                run(r#"{"type": "dice", "weight": [1.0, 2.0]}"#, xt(good.clone())),
                "dice: argument `input`: expected 2 classes (the length of config field `weight`), got 3 classes",
            ),
            (
                run(
                    r#"{"type": "log_cosh_dice", "weight": [1.0, 2.0, 3.0], "include_background": false}"#,
                    xt(good.clone()),
                ),
                "log_cosh_dice: argument `input`: expected 3 classes without the background channel 0 (the length of \
                 config field `weight`), got 2 classes without the background channel 0",
            ),
            (
                run(
                    r#"{"type": "dice", "activation": "softmax"}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<4>::zeros([2, 1, 2, 2], &device))
                        .with_int("target", good.clone()),
                ),
                "dice: argument `input`: expected at least 2 channels along dim 1 for activation \"softmax\" (use \
                 \"sigmoid\" for one channel), got 1 channel (input shape [2, 1, 2, 2])",
            ),
            (
                run(
                    r#"{"type": "generalized_dice"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone().add_scalar(3.0))
                        .with_int("target", good.clone()),
                ),
                "generalized_dice: argument `input`: expected probabilities (activation \"none\"; set \"softmax\" or \
                 \"sigmoid\" for logits) in [0, 1], got values in [3, 3]",
            ),
            (
                run(
                    r#"{"type": "dice", "ignore_index": 255}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone()),
                ),
                "dice: argument `target`: expected class indices (config field `ignore_index` is 255), got float \
                 probabilities of shape [2, 3, 2, 2]",
            ),
            (
                run(
                    r#"{"type": "focal_tversky"}"#,
                    LossInputs::new()
                        .with_float("input", x.clone())
                        .with_float("target", x.clone().add_scalar(2.0)),
                ),
                "focal_tversky: argument `target`: expected target probabilities in [0, 1], got values in [2, 2]",
            ),
            (
                run(r#"{"type": "dice"}"#, xt(classes([2, 2, 2], 3))),
                "dice: argument `target`: expected class indices in [0, 3), got indices in [3, 3]",
            ),
            (
                run(
                    r#"{"type": "dice", "ignore_index": -1}"#,
                    xt(classes([2, 2, 2], -2)),
                ),
                "dice: argument `target`: expected class indices in [0, 3) (or ignore_index -1), got indices in [-2, -2]",
            ),
            (
                run(
                    r#"{"type": "dice"}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<4>::zeros([2, 1, 2, 2], &device))
                        .with_int("target", classes([2, 2, 2], 2)),
                ),
                "dice: argument `target`: expected class indices in [0, 2), got indices in [2, 2]",
            ),
            (
                run(
                    r#"{"type": "dice"}"#,
                    xt(good.clone()).with_float("mask", x.clone()),
                ),
                "dice: argument `mask`: expected shape [2, 2, 2] or [2, 1, 2, 2] (input shape [2, 3, 2, 2] without / \
                 with a single channel), got [2, 3, 2, 2]",
            ),
            (
                run(
                    r#"{"type": "dice"}"#,
                    xt(good.clone()).with_float(
                        "mask",
                        Tensor::<3>::from_data(
                            TensorData::new(vec![0.0f32, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2, 2, 2]),
                            &device,
                        ),
                    ),
                ),
                "dice: argument `mask`: expected mask values in [0, 1], got values in [0, 2]",
            ),
            (
                run(
                    r#"{"type": "dice"}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<1>::zeros([4], &device))
                        .with_int("target", Tensor::<1, Int>::zeros([4], &device)),
                ),
                "dice: argument `input`: expected shape [N, C, spatial...] (or [N, C]), got [4]",
            ),
            (
                run(
                    r#"{"type": "dice"}"#,
                    xt(good.clone()).with_float("weight", Tensor::<1>::ones([2], &device)),
                ),
                "dice: argument `weight`: expected one of the arguments [\"input\", \"target\", \"mask\"], got unknown \
                 argument `weight`",
            ),
        ];
        for (got, message) in cases {
            assert_eq!(got, message, "on {device_name}");
        }
    }
}

#[test]
fn invalid_lovasz_dsc_and_sum_configs_name_the_field() {
    let cases = [
        (
            r#"{"type": "dsc", "alpha": -1}"#,
            "dsc: config field `alpha`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "dsc", "smooth": -0.5}"#,
            "dsc: config field `smooth`: expected a finite number >= 0, got -0.5",
        ),
        (
            r#"{"type": "sum", "terms": []}"#,
            "sum: config field `terms`: expected at least one {\"weight\": w, \"loss\": {...}} term, got an empty list",
        ),
        (
            r#"{"type": "sum", "terms": [{"weight": -1, "loss": {"type": "focal"}}]}"#,
            "sum: config field `terms[0].weight`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "focal"}}, {"loss": {"type": "dice", "reduction": "none"}}]}"#,
            "sum: config field `terms[1].loss.reduction`: expected \"mean\" or \"sum\" (the terms are added as scalars), \
             got \"none\"",
        ),
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "focal"}}, {"loss": {"type": "dice"}}]}"#,
            "sum: config field `terms[1].loss`: expected a loss that takes the input of terms[0] (logits), got dice \
             which takes softmax probabilities",
        ),
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "focal", "gamma": -1}}]}"#,
            "focal: config field `gamma`: expected a finite number >= 0, got -1",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(config_error(json), message, "{json}");
    }
    for (json, wanted) in [
        (
            r#"{"type": "lovasz", "mode": "multiclass"}"#,
            "unknown variant `multiclass`, expected `softmax` or `hinge`",
        ),
        (
            r#"{"type": "lovasz", "classes": "some"}"#,
            "unknown variant `some`, expected `present` or `all`",
        ),
        (r#"{"type": "lovasz", "smooth": 1}"#, "unknown field `smooth`"),
        (r#"{"type": "dsc", "gamma": 1}"#, "unknown field `gamma`"),
        (
            r#"{"type": "sum", "terms": [{"loss": {"type": "focal"}, "scale": 2}]}"#,
            "unknown field `scale`",
        ),
        (
            r#"{"type": "sum", "terms": [{"weight": 1}]}"#,
            "missing field `loss`",
        ),
    ] {
        let e = LossConfig::parse(json).unwrap_err().to_string();
        assert!(e.contains(wanted), "{json}: {e}");
    }
}

#[test]
fn bad_lovasz_dsc_and_sum_inputs_name_the_argument() {
    for (device_name, device) in common::test_devices() {
        let x4 = Tensor::<4>::zeros([2, 3, 2, 2], &device);
        let t3 = Tensor::<3, Int>::ones([2, 2, 2], &device);
        let x2 = Tensor::<2>::zeros([4, 3], &device);
        let classes = |v: [i64; 4]| Tensor::<1, Int>::from_ints(v, &device);
        let cases = [
            (
                input_error(
                    r#"{"type": "lovasz"}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_float("target", x4.clone()),
                ),
                "lovasz: argument `target`: expected class indices of shape [2, 2, 2] (mode \"softmax\"), got a float \
                 tensor of shape [2, 3, 2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "lovasz"}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", Tensor::<2, Int>::ones([2, 2], &device)),
                ),
                "lovasz: argument `target`: expected class indices of shape [2, 2, 2] (input shape [2, 3, 2, 2] \
                 without the class dim 1), got [2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "lovasz", "ignore_index": 255}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", t3.clone().mul_scalar(3)),
                ),
                "lovasz: argument `target`: expected class indices in [0, 3) (or ignore_index 255), got indices in [3, 3]",
            ),
            (
                input_error(
                    r#"{"type": "lovasz", "mode": "hinge"}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", t3.clone()),
                ),
                "lovasz: argument `target`: expected 0/1 targets of the shape of `input` [2, 3, 2, 2] (mode \"hinge\"), \
                 got [2, 2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "lovasz", "mode": "hinge"}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_float("target", x4.clone().add_scalar(2.0)),
                ),
                "lovasz: argument `target`: expected binary targets in [0, 1], got values in [2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "dsc"}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", t3.clone()),
                ),
                "dsc: argument `input`: expected logits of shape [N, C] (softmax) or [N] (sigmoid), got [2, 3, 2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "dsc"}"#,
                    LossInputs::new()
                        .with_float("input", x2.clone())
                        .with_int("target", Tensor::<1, Int>::ones([3], &device)),
                ),
                "dsc: argument `target`: expected class indices of shape [4], got [3]",
            ),
            (
                input_error(
                    r#"{"type": "dsc"}"#,
                    LossInputs::new()
                        .with_float("input", x2.clone())
                        .with_int("target", classes([0, 1, 2, 3])),
                ),
                "dsc: argument `target`: expected class indices in [0, 3), got indices in [0, 3]",
            ),
            (
                input_error(
                    r#"{"type": "dsc"}"#,
                    LossInputs::new()
                        .with_float("input", Tensor::<1>::zeros([4], &device))
                        .with_int("target", classes([0, 1, 2, 0])),
                ),
                "dsc: argument `target`: expected class indices in [0, 2), got indices in [0, 2]",
            ),
            (
                input_error(
                    r#"{"type": "dsc"}"#,
                    LossInputs::new()
                        .with_float("input", x2.clone())
                        .with_int("target", classes([0, 1, 2, 0]))
                        .with_float("mask", Tensor::<1>::ones([3], &device)),
                ),
                "dsc: argument `mask`: expected shape [4] (one value per instance), got [3]",
            ),
            (
                input_error(
                    r#"{"type": "sum", "terms": [{"loss": {"type": "focal"}}]}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_float("target", x4.clone()),
                ),
                "sum: argument `target`: expected class indices (terms[0] is focal, which takes class indices), got a \
                 float tensor of shape [2, 3, 2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "sum", "terms": [{"loss": {"type": "dice", "activation": "softmax"}}, {"loss": {"type": "binary_focal"}}]}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", Tensor::<2, Int>::ones([2, 2], &device)),
                ),
                "dice: argument `target`: expected class indices of shape [2, 2, 2] (input shape [2, 3, 2, 2] without \
                 the class dim 1), or probabilities of the shape of `input`, got [2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "sum", "terms": [{"loss": {"type": "binary_focal"}}]}"#,
                    LossInputs::new()
                        .with_float("input", x4.clone())
                        .with_int("target", t3.clone().mul_scalar(5)),
                ),
                "sum: argument `target`: expected class indices in [0, 3), got indices in [5, 5]",
            ),
        ];
        for (got, message) in cases {
            assert_eq!(got, message, "on {device_name}");
        }
    }
}

#[test]
fn invalid_metric_configs_name_the_field() {
    let cases = [
        (
            r#"{"type": "triplet_margin", "margin": -1}"#,
            "triplet_margin: config field `margin`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "triplet_margin", "p": 0.5}"#,
            "triplet_margin: config field `p`: expected a finite norm degree >= 1, got 0.5",
        ),
        (
            r#"{"type": "triplet_margin", "eps": -1e-6}"#,
            "triplet_margin: config field `epsilon`: expected a finite number >= 0, got -0.000001",
        ),
        (
            r#"{"type": "triplet_mined", "margin": -0.1}"#,
            "triplet_mined: config field `margin`: expected a finite number >= 0, got -0.1",
        ),
        (
            r#"{"type": "contrastive", "neg_margin": -1}"#,
            "contrastive: config field `margin`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "contrastive", "pos_margin": -1}"#,
            "contrastive: config field `pos_margin`: expected a finite number >= 0, got -1",
        ),
        (
            r#"{"type": "nt_xent", "temperature": 0}"#,
            "nt_xent: config field `temperature`: expected a finite number > 0, got 0",
        ),
        (
            r#"{"type": "supcon", "temperature": -0.1}"#,
            "supcon: config field `temperature`: expected a finite number > 0, got -0.1",
        ),
        (
            r#"{"type": "arcface", "embedding_size": 8}"#,
            "arcface: config field `num_classes`: expected an integer >= 1 (required), got 0",
        ),
        (
            r#"{"type": "cosface", "num_classes": 10}"#,
            "cosface: config field `embedding_size`: expected an integer >= 1 (required), got 0",
        ),
        (
            r#"{"type": "arcface", "num_classes": 10, "embedding_size": 8, "margin": 180}"#,
            "arcface: config field `margin`: expected a number in [0, 180), got 180",
        ),
        (
            r#"{"type": "cosface", "num_classes": 10, "embedding_size": 8, "margin": -0.35}"#,
            "cosface: config field `margin`: expected a finite number >= 0, got -0.35",
        ),
        (
            r#"{"type": "arcface", "num_classes": 10, "embedding_size": 8, "scale": 0}"#,
            "arcface: config field `scale`: expected a finite number > 0, got 0",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(config_error(json), message, "{json}");
    }
    for (json, wanted) in [
        (
            r#"{"type": "triplet_mined", "mining": "hard"}"#,
            "unknown variant `hard`, expected one of `batch_all`, `batch_hard`, `semi_hard`",
        ),
        (
            r#"{"type": "triplet_margin", "distance": "l2"}"#,
            "unknown variant `l2`, expected one of `euclidean`, `squared_euclidean`, `cosine`",
        ),
        (r#"{"type": "nt_xent", "tau": 0.1}"#, "unknown field `tau`"),
        (
            r#"{"type": "arcface", "num_classes": "ten"}"#,
            "invalid type: string \"ten\", expected usize",
        ),
    ] {
        let e = LossConfig::parse(json).unwrap_err().to_string();
        assert!(e.contains(wanted), "{json}: {e}");
    }
    // PML's name for the negative margin is accepted
    let LossConfig::Contrastive(c) =
        LossConfig::parse(r#"{"type": "contrastive", "neg_margin": 0.5}"#).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(c.margin, 0.5);
}

#[test]
fn bad_metric_inputs_name_the_argument() {
    for (device_name, device) in common::test_devices() {
        let rows = |n: usize, d: usize| Tensor::<2>::ones([n, d], &device);
        let labels = |n: usize| Tensor::<1, Int>::zeros([n], &device);
        let cases = [
            (
                input_error(
                    r#"{"type": "triplet_margin"}"#,
                    LossInputs::new()
                        .with_float("anchor", rows(4, 3))
                        .with_float("positive", rows(4, 3))
                        .with_float("negative", rows(4, 2)),
                ),
                "triplet_margin: argument `negative`: expected the shape of `anchor` [4, 3], got [4, 2]",
            ),
            (
                input_error(
                    r#"{"type": "triplet_margin"}"#,
                    LossInputs::new()
                        .with_float("anchor", Tensor::<1>::ones([4], &device))
                        .with_float("positive", rows(4, 3))
                        .with_float("negative", rows(4, 3)),
                ),
                "triplet_margin: argument `anchor`: expected embeddings of shape [N, D] with N, D >= 1, got [4]",
            ),
            (
                input_error(
                    r#"{"type": "triplet_margin"}"#,
                    LossInputs::new()
                        .with_float("anchor", rows(4, 3))
                        .with_float("positive", rows(4, 3)),
                ),
                "triplet_margin: argument `negative`: expected a float tensor, got nothing (missing argument)",
            ),
            (
                input_error(
                    r#"{"type": "triplet_mined"}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(4, 3))
                        .with_int("labels", labels(5)),
                ),
                "triplet_mined: argument `labels`: expected integer labels of shape [4] (one per embedding), got [5]",
            ),
            (
                input_error(
                    r#"{"type": "supcon"}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(4, 3))
                        .with_float("labels", Tensor::<1>::zeros([4], &device)),
                ),
                "supcon: argument `labels`: expected an integer tensor of class indices, got a float tensor of shape [4]",
            ),
            (
                input_error(
                    r#"{"type": "nt_xent"}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(4, 3))
                        .with_int("labels", labels(4))
                        .with_float("weight", Tensor::<1>::ones([4], &device)),
                ),
                "nt_xent: argument `weight`: expected one of the arguments [\"embeddings\", \"labels\"], got unknown \
                 argument `weight`",
            ),
            (
                input_error(
                    r#"{"type": "contrastive"}"#,
                    LossInputs::new()
                        .with_float("input1", rows(4, 3))
                        .with_float("input2", rows(3, 3))
                        .with_float("target", Tensor::<1>::ones([4], &device)),
                ),
                "contrastive: argument `input2`: expected the shape of `input1` [4, 3], got [3, 3]",
            ),
            (
                input_error(
                    r#"{"type": "contrastive"}"#,
                    LossInputs::new()
                        .with_float("distance", Tensor::<1>::ones([4], &device))
                        .with_float("target", Tensor::<1>::ones([4], &device).mul_scalar(2)),
                ),
                "contrastive: argument `target`: expected similarity targets (1 = similar) in [0, 1], got values in [2, 2]",
            ),
            (
                input_error(
                    r#"{"type": "contrastive"}"#,
                    LossInputs::new()
                        .with_float("distance", Tensor::<1>::ones([4], &device))
                        .with_float("target", Tensor::<1>::ones([3], &device)),
                ),
                "contrastive: argument `target`: expected similarity targets of shape [4] (1 = similar, 0 = \
                 dissimilar), got [3]",
            ),
            (
                input_error(
                    r#"{"type": "contrastive"}"#,
                    LossInputs::new().with_float("target", Tensor::<1>::ones([3], &device)),
                ),
                "contrastive: argument `inputs`: expected `input1`, `input2` and `target`; or `distance` and \
                 `target`; or `embeddings` and `labels`, got arguments [\"target\"]",
            ),
            (
                input_error(
                    r#"{"type": "arcface", "num_classes": 3, "embedding_size": 4}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(2, 5))
                        .with_int("labels", labels(2)),
                ),
                "arcface: argument `embeddings`: expected embeddings of shape [N, 4] (embedding_size = 4), got [2, 5]",
            ),
            (
                input_error(
                    r#"{"type": "arcface", "num_classes": 3, "embedding_size": 4}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(2, 4))
                        .with_int("labels", labels(2))
                        .with_float("class_weights", rows(3, 5)),
                ),
                "arcface: argument `class_weights`: expected a class-weight matrix of shape [3, 4] ([num_classes, \
                 embedding_size]), got [3, 5]",
            ),
            (
                input_error(
                    r#"{"type": "cosface", "num_classes": 3, "embedding_size": 4}"#,
                    LossInputs::new()
                        .with_float("embeddings", rows(2, 4))
                        .with_int("labels", Tensor::<1, Int>::from_ints([0, 3], &device)),
                ),
                "cosface: argument `labels`: expected class indices in [0, 3) (num_classes = 3), got indices in [0, 3]",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want, "on {device_name}");
        }
        // a metric loss in the classification adapter says what it takes instead
        let loss = LossConfig::parse(r#"{"type": "triplet_mined"}"#)
            .unwrap()
            .init(&device);
        let e = burn_losses::ClassificationLoss::classification_loss(&loss, rows(2, 3), labels(2))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "triplet_mined: argument `input`: expected embeddings and labels (it is not a loss of class logits \
             against class indices; train it with an embedding adapter), got class logits [N, C]"
        );
    }
}

/// `set_trusted_inputs(true)` skips the checks that read values back (the loss then computes on
/// what it is given, like the plain formula), keeps the shape checks, and is per thread; the
/// default reports the value.
#[test]
fn trusted_inputs_skip_only_the_value_checks() {
    let device = common::test_devices().into_iter().next().expect("a device").1;
    let bce = LossConfig::parse(r#"{"type": "bce", "from_logits": true, "reduction": "sum"}"#)
        .unwrap()
        .init(&device);
    let x = Tensor::<2>::from_data([[0.5f32, -1.0]], &device);
    let y = Tensor::<2>::from_data([[1.5f32, 0.0]], &device);
    let inputs = LossInputs::new()
        .with_float("input", x.clone())
        .with_float("target", y);
    let err = bce.forward_inputs(&inputs).unwrap_err().to_string();
    assert!(
        err.contains("argument `target`") && err.contains("[0, 1]"),
        "{err}"
    );
    assert!(!burn_losses::set_trusted_inputs(true), "the default is checked");
    let trusted = bce.forward_inputs(&inputs).map(|o| o.flat.into_scalar::<f32>());
    // the BCE formula at y = 1.5: 1.5·softplus(−0.5) − 0.5·softplus(0.5), plus softplus(−1)
    let softplus = |z: f64| (1.0 + z.exp()).ln();
    let want = 1.5 * softplus(-0.5) - 0.5 * softplus(0.5) + softplus(-1.0);
    let classes = FocalLossConfig::new()
        .init(&device)
        .try_forward(x.clone(), Tensor::<1, Int>::from_ints([0, 1], &device), None)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    let other_thread = std::thread::spawn({
        let (bce, inputs) = (bce.clone(), inputs.clone());
        move || bce.forward_inputs(&inputs).is_err()
    })
    .join()
    .unwrap();
    assert!(burn_losses::set_trusted_inputs(false));
    let trusted = trusted.unwrap_or_else(|e| panic!("trusted inputs: {e}")) as f64;
    assert!((trusted - want).abs() < 1e-5, "{trusted} vs {want}");
    assert!(
        classes.contains("argument `target`") && classes.contains("shape"),
        "{classes}"
    );
    assert!(other_thread, "another thread keeps the checks");
    assert!(bce.forward_inputs(&inputs).is_err(), "checks back on");
}

/// One spelling per meaning (the glossary in the crate docs and README): the older spellings of
/// renamed fields still parse, as serde aliases, and a config is written back with the
/// canonical name (what `list --json` shows); a bad value under an old spelling is reported by
/// that spelling.
#[test]
fn older_spellings_parse_and_serialise_canonically() {
    for (old, canonical) in [
        (
            r#"{"type": "triplet_margin", "eps": 0.5}"#,
            r#"{"type": "triplet_margin", "epsilon": 0.5}"#,
        ),
        (
            r#"{"type": "gaussian_nll", "eps": 0.001}"#,
            r#"{"type": "gaussian_nll", "epsilon": 0.001}"#,
        ),
        (
            r#"{"type": "dsc", "square_denominator": true}"#,
            r#"{"type": "dsc", "squared_pred": true}"#,
        ),
        (
            r#"{"type": "multi_margin", "p": 2}"#,
            r#"{"type": "multi_margin", "p": 2.0}"#,
        ),
    ] {
        let parsed = LossConfig::parse(old).unwrap_or_else(|e| panic!("{old}: {e}"));
        assert_eq!(parsed, LossConfig::parse(canonical).unwrap(), "{old}");
        let written = serde_json::to_value(&parsed).unwrap();
        let expected: serde_json::Value = serde_json::from_str(canonical).unwrap();
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(&written[key], value, "{old} written as {written}");
        }
    }
    let e = LossConfig::parse(r#"{"type": "triplet_margin", "eps": "small"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("config field `eps`"), "{e}");
    let e = LossConfig::parse(r#"{"type": "multi_margin", "p": 3}"#)
        .unwrap()
        .try_init(&burn::tensor::Device::default())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "multi_margin: config field `p`: expected 1 or 2, got 3");
}
