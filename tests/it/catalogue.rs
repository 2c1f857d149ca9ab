//! The run-time catalogue (`burn_losses::docs`, what `burn-losses list` / `describe` print) covers
//! every registered loss: a summary, an anchor, the loss's doc comment and a doc comment for every
//! config field, read from the sources, so the CLI can never drift from the code.

use burn_losses::LossConfig;
use burn_losses::docs::{describe, entry};

#[test]
fn every_loss_has_a_doc_an_anchor_and_documented_fields() {
    let mut missing = Vec::new();
    assert_eq!(LossConfig::catalogue().len(), LossConfig::NAMES.len());
    for e in LossConfig::catalogue() {
        assert!(!e.summary.is_empty() && !e.anchor.is_empty(), "{e:?}");
        let Some(doc) = describe(e.name) else {
            missing.push(format!("{}: no doc found for {}", e.name, e.loss_type));
            continue;
        };
        if !doc.doc.contains('`') {
            missing.push(format!(
                "{}: doc of {} has no formula: {:?}",
                e.name, e.loss_type, doc.doc
            ));
        }
        for (field, _, field_doc) in &doc.fields {
            if field_doc.is_empty() {
                missing.push(format!(
                    "{}: field `{field}` of {} has no doc",
                    e.name, e.config_type
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // one spot check of the content
    let focal = describe("focal").unwrap();
    assert!(
        focal.doc.contains("FL = Σₖ αₖ · qₖ · (1 − pₖ)^γ · (−log pₖ)"),
        "{}",
        focal.doc
    );
    let gamma = focal.fields.iter().find(|f| f.0 == "gamma").unwrap();
    assert_eq!(gamma.1, serde_json::json!(2.0));
    assert!(entry("huber").unwrap().anchor.contains("PyTorch huber_loss"));
    assert!(describe("not_a_loss").is_none());
}

/// A registered loss missing from `common::cases::all_configs` would silently skip every
/// parameterised suite (gradients, parity, properties, stability, degenerate batches, mixed
/// precision, the CLI fuzz test): this guard makes it a failure instead.
#[test]
fn every_registered_loss_is_in_the_parameterised_case_lists() {
    let listed = crate::common::cases::configs_by_loss();
    let missing: Vec<&str> = LossConfig::NAMES
        .iter()
        .copied()
        .filter(|name| !listed.contains_key(name))
        .collect();
    assert!(
        missing.is_empty(),
        "registered losses with no config in tests/it/common/cases.rs `all_configs` (they skip the \
         gradient, parity, property, stability, degenerate-batch and mixed-precision suites): {missing:?}"
    );
}

/// Every registered loss has at least one case in `tests/fixtures/*.json` (values and gradients
/// from its anchor library, written by `tools/golden/*.py`).
#[test]
fn every_registered_loss_has_a_reference_fixture() {
    let mut covered = std::collections::BTreeSet::new();
    for (_, fixture) in crate::common::load_fixtures() {
        for case in fixture["cases"].as_array().expect("a fixture file has `cases`") {
            if let Some(name) = case["request"]["loss"]["type"].as_str() {
                covered.insert(name.to_string());
            }
        }
    }
    let missing: Vec<&str> = LossConfig::NAMES
        .iter()
        .copied()
        .filter(|name| !covered.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "registered losses with no reference fixture in tests/fixtures/*.json: {missing:?}"
    );
}

/// What `describe NAME` prints is the loss's own declaration: the fields its declaration
/// documents are exactly the fields `list --json` shows (the serialised defaults), each loss's
/// doc is its own (no two losses print the same doc), and a field declared once for several
/// losses by a macro carries each loss's own values (nt_xent's and supcon's temperatures).
#[test]
fn describe_prints_each_loss_its_own_declared_fields_and_doc() {
    let mut problems = Vec::new();
    let mut docs: Vec<(&str, String)> = Vec::new();
    for name in LossConfig::NAMES {
        let listed: std::collections::BTreeSet<String> = burn_losses::docs::defaults(name)
            .expect("defaults")
            .keys()
            .cloned()
            .collect();
        let declared: std::collections::BTreeSet<String> = burn_losses::docs::declared_fields(name)
            .expect("a declaration")
            .into_iter()
            .map(str::to_string)
            .collect();
        if listed != declared {
            problems.push(format!(
                "{name}: `list --json` fields {listed:?} != declared fields {declared:?}"
            ));
        }
        let doc = describe(name).expect("described").doc;
        if let Some((other, _)) = docs.iter().find(|(_, d)| *d == doc) {
            problems.push(format!("{name} prints the doc of {other}"));
        }
        docs.push((name, doc));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (name, default) in [("nt_xent", "0.07"), ("supcon", "0.1")] {
        let doc = describe(name).unwrap();
        let temperature = &doc.fields.iter().find(|f| f.0 == "temperature").unwrap().2;
        assert!(
            temperature.contains(&format!("Default `{default}`")),
            "{name}: temperature doc {temperature:?}"
        );
        assert!(
            doc.doc
                .contains(if name == "nt_xent" { "NT-Xent" } else { "upervised" }),
            "{}",
            doc.doc
        );
    }
}

/// Every registered loss declares its named arguments (the registry does not compile otherwise):
/// unique names, the one list `forward_inputs` accepts (an undeclared name is refused with every
/// declared name in the message), and the one list `eval` and `describe` show.
#[test]
fn every_loss_declares_its_arguments_and_accepts_exactly_those() {
    use burn_losses::LossInputs;
    let mut problems = Vec::new();
    for name in LossConfig::NAMES {
        let arguments = LossConfig::arguments(name).expect("a built-in loss");
        let loss = LossConfig::from_name(name).unwrap();
        // defaults of losses with required fields do not build; the declaration is still checked
        let names: Vec<&str> = arguments.iter().map(|a| a.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        if arguments.is_empty() || unique.len() != names.len() {
            problems.push(format!("{name}: arguments {names:?}"));
        }
        assert_eq!(describe(name).expect("documented").arguments, arguments, "{name}");
        if let Ok(loss) = loss.try_init(&burn::tensor::Device::default()) {
            assert_eq!(loss.arguments(), arguments, "{name}");
            let device = burn::tensor::Device::default();
            let inputs = LossInputs::new().with_float(
                "not_an_argument",
                burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &device),
            );
            match loss.forward_inputs(&inputs) {
                Err(e)
                    if names.iter().all(|n| {
                        e.to_string().contains(&format!("\"{n}\""))
                            || e.to_string().contains(&format!("`{n}`"))
                    }) => {}
                other => problems.push(format!(
                    "{name}: an undeclared argument gave {:?}, not the declared list {names:?}",
                    other.map(|o| o.shape)
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
