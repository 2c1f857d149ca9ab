//! The loss catalogue at run time: every loss's name, summary, anchor, default fields and doc
//! comments (formula, fields, anchors), read from the registry and from the crate's own sources
//! (embedded at compile time), so that `burn-losses list` / `describe` can never drift from the
//! code.

/// One built-in loss of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossEntry {
    /// The `"type"` name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The reference implementation or paper it matches.
    pub anchor: &'static str,
    /// The Rust loss type (`FocalLoss`).
    pub loss_type: &'static str,
    /// The Rust config type (`FocalLossConfig`).
    pub config_type: &'static str,
}

/// The documentation of one loss, from its doc comments.
#[derive(Debug, Clone, PartialEq)]
pub struct LossDoc {
    /// The loss type's doc comment (formula, shapes, anchors), as Markdown.
    pub doc: String,
    /// Each config field: name, default (JSON) and doc comment.
    pub fields: Vec<(String, serde_json::Value, String)>,
}

/// The sources of every loss family (their doc comments are what `describe` prints).
const SOURCES: &[&str] = &[
    include_str!("angular_margin.rs"),
    include_str!("bce.rs"),
    include_str!("class_balanced.rs"),
    include_str!("classification.rs"),
    include_str!("composite.rs"),
    include_str!("contrastive.rs"),
    include_str!("dsc.rs"),
    include_str!("focal.rs"),
    include_str!("ghm.rs"),
    include_str!("lovasz.rs"),
    include_str!("margin.rs"),
    include_str!("overlap.rs"),
    include_str!("regression.rs"),
    include_str!("triplet.rs"),
];

/// The `///` lines directly above line `at` (attributes skipped), without the `///`.
fn doc_above(lines: &[&str], at: usize) -> String {
    let mut doc = Vec::new();
    let mut i = at;
    while i > 0 {
        i -= 1;
        let line = lines[i].trim_start();
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.strip_prefix(' ').unwrap_or(text).to_string());
        } else if let Some(parts) = line.strip_prefix("#[doc = concat!(") {
            // a doc built by a macro: its literal pieces, the macro arguments elided
            let pieces: Vec<&str> = parts.split('"').skip(1).step_by(2).collect();
            doc.push(pieces.join("…"));
        } else if line.starts_with("#[") || line.starts_with("#[doc") {
            continue;
        } else {
            break;
        }
    }
    doc.reverse();
    doc.join("\n").trim().to_string()
}

/// The line that declares `name`: `pub struct Name` or, inside `loss_config!`, `Name;` (the loss)
/// / `Name("snake", …` (the config). Returns (source lines, line index).
fn declaration(name: &str) -> Option<(Vec<&'static str>, usize)> {
    for source in SOURCES {
        let lines: Vec<&'static str> = source.lines().collect();
        let matches = |l: &&str| {
            let t = l.trim();
            t == format!("pub struct {name} {{")
                || t == format!("{name};")
                || t == format!("{name},")
                || t.starts_with(&format!("{name}(\""))
                || t.contains(&format!("=> {name}, \""))
        };
        // the declaration with a doc comment (a macro invocation naming the type may come first)
        let mut found = (0..lines.len()).filter(|&i| matches(&lines[i]));
        let first = found.clone().next();
        if let Some(at) = found.find(|&i| !doc_above(&lines, i).is_empty()).or(first) {
            return Some((lines, at));
        }
    }
    None
}

/// Whether the trimmed line `t` declares `field`: `pub field: T,`, `field: T = default => setter,`
/// (`loss_config!`), `with_x => field: T = default,` (the family macros) or `"name", field: default,`
/// followed by its doc string (`margin_softmax_loss!`).
fn declares_field(t: &str, field: &str) -> bool {
    let t = t.strip_prefix("pub ").unwrap_or(t);
    t.starts_with(&format!("{field}: "))
        || t.contains(&format!("=> {field}: "))
        || t.starts_with('"') && t.contains(&format!(", {field}: "))
}

/// The doc of `field`: the `///` lines above its declaration at or after line `from` (up to the
/// end of that declaration, `}`), else anywhere in the same source (fields declared once in a
/// family macro), else the string literal that follows a macro argument declaring it.
fn field_doc(lines: &[&str], from: usize, field: &str) -> String {
    let end = (from + 1..lines.len())
        .find(|&i| lines[i].trim() == "}")
        .unwrap_or(lines.len());
    let candidates = (from + 1..end).chain(0..lines.len());
    for i in candidates {
        let t = lines[i].trim();
        if !declares_field(t, field) {
            continue;
        }
        let doc = doc_above(lines, i);
        if !doc.is_empty() {
            return doc;
        }
        if let Some(next) = lines.get(i + 1).map(|l| l.trim())
            && next.starts_with('"')
        {
            return next.trim_end_matches(',').trim_matches('"').to_string();
        }
    }
    String::new()
}

/// The registry entry of the built-in loss `name`.
pub fn entry(name: &str) -> Option<&'static LossEntry> {
    crate::LossConfig::catalogue().iter().find(|e| e.name == name)
}

/// The default fields of loss `name` as JSON (the `"type"` field removed), built-in or
/// registered.
pub fn defaults(name: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let config = crate::LossConfig::from_name(name).ok()?;
    match serde_json::to_value(config).ok()? {
        serde_json::Value::Object(mut fields) => {
            fields.remove("type");
            Some(fields)
        }
        _ => None,
    }
}

/// The documentation of the built-in loss `name`: its loss type's doc comment and each config
/// field's default and doc comment; `None` for an unknown or user-registered name.
pub fn describe(name: &str) -> Option<LossDoc> {
    let entry = entry(name)?;
    let (lines, at) = declaration(entry.loss_type)?;
    let doc = doc_above(&lines, at);
    let defaults = defaults(name)?;
    let config = declaration(entry.config_type);
    let fields = defaults
        .into_iter()
        .map(|(field, default)| {
            let doc = match &config {
                Some((lines, at)) => field_doc(lines, *at, &field),
                None => field_doc(&lines, 0, &field),
            };
            (field, default, doc)
        })
        .collect();
    Some(LossDoc { doc, fields })
}
