//! The benchmark table's rows (`benches/cases/mod.rs`, timed by `benches/compare.rs` next to the
//! PyTorch anchors of `benches/compare.py`): every registered loss has a row, every row names an
//! anchor that `compare.py` defines, and every row runs — forward and backward, at a small size,
//! on each lane — so that a loss without a row, or a row that no longer runs, fails here rather
//! than in an hour-long benchmark run.

use std::collections::BTreeSet;

use burn_losses::{DynInput, DynTensor, LossConfig};

use crate::bench_cases::{Kind, cases, inputs};
use crate::common;

#[test]
fn every_registered_loss_has_a_benchmark_row() {
    let covered: BTreeSet<String> = cases().iter().filter_map(|c| c.loss_type()).collect();
    let missing: Vec<&str> = LossConfig::NAMES
        .iter()
        .copied()
        .filter(|name| !covered.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "losses without a row in benches/cases/mod.rs: {missing:?}"
    );
    let names: BTreeSet<String> = cases().into_iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases().len(), "two rows share a name");
}

#[test]
fn every_benchmark_row_names_an_anchor_of_compare_py() {
    let script = include_str!("../../benches/compare.py");
    for case in cases() {
        let key = format!("\"{}\": (", case.anchor);
        assert!(
            script.contains(&key),
            "{}: benches/compare.py's anchors() has no entry {key}…",
            case.name
        );
        let kind = format!("\"{}\"", case.data.kind());
        assert!(
            script.contains(&kind),
            "{}: benches/compare.py builds no inputs of kind {kind}",
            case.name
        );
    }
}

#[test]
fn every_benchmark_row_runs_forward_and_backward_at_a_small_size() {
    for (lane, device) in common::test_devices() {
        let ad = device.clone().autodiff();
        for case in cases() {
            let Kind::Config(json) = &case.kind else {
                continue; // burn-nn's own losses: not ours to smoke-test
            };
            let previous = burn_losses::set_fused_kernels(!case.composed);
            let loss = LossConfig::parse(json)
                .and_then(|config| config.try_init(&ad))
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let data = case.data.small();
            let mut args = inputs(data, &ad);
            let name = data.float_input();
            let x = args.float("bench", name).unwrap();
            let flat = x.flat.clone().require_grad();
            args.insert(
                name,
                DynInput::Float(DynTensor::new(flat.clone(), x.shape.clone())),
            );
            let value = loss
                .forward_inputs(&args)
                .unwrap_or_else(|e| panic!("{lane} {}: {e}", case.name))
                .flat
                .sum();
            let grads = value.backward();
            let v = value.into_scalar::<f64>();
            let g = flat
                .grad(&grads)
                .unwrap_or_else(|| panic!("{lane} {}: no gradient of {name}", case.name))
                .abs()
                .sum()
                .into_scalar::<f64>();
            burn_losses::set_fused_kernels(previous);
            assert!(
                v.is_finite() && g.is_finite(),
                "{lane} {}: value {v}, Σ|∂/∂{name}| {g}",
                case.name
            );
        }
    }
}
