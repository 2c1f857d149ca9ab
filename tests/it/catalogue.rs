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
