//! The documentation a loss carries at run time: its type's doc comment and each config field's,
//! taken from the declarations by [`documented!`] (what `burn-losses describe` prints; nothing
//! reads the crate's sources).

/// One config field's name (as in JSON) and doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDoc {
    /// The field's name.
    pub name: &'static str,
    /// Its doc comment, as Markdown.
    pub doc: String,
}

/// A struct whose doc comments are available at run time ([`documented!`]).
pub(crate) trait Documented {
    /// The struct's doc comment, as Markdown.
    fn doc() -> String;
    /// Each named field with its doc comment, in declaration order.
    fn fields() -> Vec<FieldDoc>;
}

/// The text of one `#[doc = …]` attribute (a `///` line) followed by a newline, `""` for any other
/// attribute.
macro_rules! doc_line {
    (doc = $($text:tt)*) => {
        concat!($($text)*, "\n")
    };
    ($($other:tt)*) => {
        ""
    };
}
pub(crate) use doc_line;

/// Emits a struct as written and implements [`Documented`] for it from its own doc comments
/// (`///` lines and `#[doc = concat!(…)]` attributes alike), so that the docs `describe` prints
/// are the declaration's.
macro_rules! documented {
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident $(< $($gen:ident $(: $bound:path)?),* >)? {
            $( $(#[$($field_attr:tt)*])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$($attr)*])*
        $vis struct $name $(< $($gen $(: $bound)?),* >)? {
            $( $(#[$($field_attr)*])* $field_vis $field : $ty ),*
        }

        impl $(< $($gen $(: $bound)?),* >)? $crate::loss::doc::Documented for $name $(< $($gen),* >)? {
            fn doc() -> String {
                let mut text = String::new();
                $( text.push_str($crate::loss::doc::doc_line!($($attr)*)); )*
                text
            }

            fn fields() -> Vec<$crate::loss::doc::FieldDoc> {
                vec![$(
                    $crate::loss::doc::FieldDoc {
                        name: stringify!($field),
                        doc: {
                            let mut text = String::new();
                            $( text.push_str($crate::loss::doc::doc_line!($($field_attr)*)); )*
                            text
                        },
                    }
                ),*]
            }
        }
    };
}
pub(crate) use documented;

/// Doc-comment text as Markdown: the one space after each `///` removed, surrounding blank lines
/// trimmed.
pub(crate) fn markdown(text: &str) -> String {
    text.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}
