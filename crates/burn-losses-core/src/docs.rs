//! The loss catalogue at run time: every loss's name, summary, anchor, default fields and doc
//! comments (formula, fields, anchors), from the registry and the declarations themselves, so
//! that `burn-losses list` / `describe` can never drift from the code.

use crate::loss::doc::markdown;
pub use crate::registry::LossEntry;

/// The documentation of one loss, from its doc comments.
#[derive(Debug, Clone, PartialEq)]
pub struct LossDoc {
    /// The loss type's doc comment (formula, shapes, anchors), as Markdown.
    pub doc: String,
    /// Each config field: name, default (JSON) and doc comment.
    pub fields: Vec<(String, serde_json::Value, String)>,
    /// The named arguments the loss takes, from its declaration.
    pub arguments: &'static [crate::loss::Argument],
}

/// The registry entry of the built-in loss `name`.
pub fn entry(name: &str) -> Option<&'static LossEntry> {
    crate::registry::LossConfig::catalogue()
        .iter()
        .find(|e| e.name == name)
}

/// The default fields of loss `name` as JSON (the `"type"` field removed), built-in or
/// registered.
pub fn defaults(name: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    crate::registry::defaults(name)
}

/// The documentation of the built-in loss `name`: its loss type's doc comment and each config
/// field's default and doc comment, from the declarations; `None` for an unknown or
/// user-registered name.
pub fn describe(name: &str) -> Option<LossDoc> {
    entry(name)?;
    let (doc, declared) = crate::registry::LossConfig::declared_docs(name)?;
    let fields = defaults(name)?
        .into_iter()
        .map(|(field, default)| {
            let doc = declared
                .iter()
                .find(|f| f.name == field)
                .map(|f| markdown(&f.doc))
                .unwrap_or_default();
            (field, default, doc)
        })
        .collect();
    Some(LossDoc {
        doc: markdown(&doc),
        fields,
        arguments: crate::registry::LossConfig::arguments(name)?,
    })
}

/// The config fields the declaration of the built-in loss `name` documents, in declaration
/// order (what [`describe`] pairs with the serialised defaults); `None` for another name.
pub fn declared_fields(name: &str) -> Option<Vec<&'static str>> {
    let (_, declared) = crate::registry::LossConfig::declared_docs(name)?;
    Some(declared.into_iter().map(|f| f.name).collect())
}
