//! One error type for every loss: configuration validation and input checks.
//!
//! Each message names the loss, the field or argument, what was expected and what was found, e.g.
//! `focal: config field `gamma`: expected a finite number >= 0, got -1`.

use core::fmt;

/// Where a [`LossError`] was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A configuration field is out of range (reported by `try_init`).
    Config,
    /// A `forward` argument has the wrong shape, dtype or values.
    Input,
    /// A loss name or serialised configuration could not be understood.
    Parse,
}

/// Error returned by `try_init` / `try_forward` (and the message of the panics of `init` / `forward`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossError {
    /// The snake_case loss name (`"focal"`, `"binary_focal"`, …) or `"loss_config"`.
    pub loss: &'static str,
    /// Config, input or parse error.
    pub kind: ErrorKind,
    /// The config field or forward argument at fault (`"gamma"`, `"target"`, …).
    pub name: String,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub actual: String,
}

impl LossError {
    /// A configuration field out of range.
    pub fn config(
        loss: &'static str,
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl fmt::Display,
    ) -> Self {
        Self {
            loss,
            kind: ErrorKind::Config,
            name: field.into(),
            expected: expected.into(),
            actual: actual.to_string(),
        }
    }

    /// A forward argument with the wrong shape, dtype or values.
    pub fn input(
        loss: &'static str,
        argument: impl Into<String>,
        expected: impl Into<String>,
        actual: impl fmt::Display,
    ) -> Self {
        Self {
            loss,
            kind: ErrorKind::Input,
            name: argument.into(),
            expected: expected.into(),
            actual: actual.to_string(),
        }
    }

    /// A loss name or serialised configuration that could not be understood.
    pub fn parse(what: impl Into<String>, expected: impl Into<String>, actual: impl fmt::Display) -> Self {
        Self {
            loss: "loss_config",
            kind: ErrorKind::Parse,
            name: what.into(),
            expected: expected.into(),
            actual: actual.to_string(),
        }
    }
}

impl fmt::Display for LossError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Config => "config field",
            ErrorKind::Input => "argument",
            ErrorKind::Parse => "",
        };
        if what.is_empty() {
            write!(
                f,
                "{}: {}: expected {}, got {}",
                self.loss, self.name, self.expected, self.actual
            )
        } else {
            write!(
                f,
                "{}: {} `{}`: expected {}, got {}",
                self.loss, what, self.name, self.expected, self.actual
            )
        }
    }
}

impl std::error::Error for LossError {}

/// Result alias used throughout the crate.
pub type LossResult<T> = Result<T, LossError>;

/// Formats a shape as `[2, 3, 4]`.
pub fn fmt_shape(dims: &[usize]) -> String {
    format!("{dims:?}")
}

/// Unwraps a [`LossResult`] for the panicking convenience APIs (`init`, `forward`), with the
/// error's own message.
#[track_caller]
pub(crate) fn or_panic<T>(result: LossResult<T>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{error}"),
    }
}

/// Checks shared by several configs.
pub(crate) mod check {
    use super::{LossError, LossResult};

    /// `value` must be finite and >= 0 (γ of a focal loss, margins, …).
    pub fn non_negative(loss: &'static str, field: &str, value: f64) -> LossResult<()> {
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            Err(LossError::config(loss, field, "a finite number >= 0", value))
        }
    }

    /// `value` must be finite and > 0 (temperatures, scales).
    pub fn positive(loss: &'static str, field: &str, value: f64) -> LossResult<()> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(LossError::config(loss, field, "a finite number > 0", value))
        }
    }

    /// A non-empty list of finite weights >= 0, one per class (`alpha`, `pos_weight`, …).
    pub fn weights(loss: &'static str, field: &str, weights: &[f32]) -> LossResult<()> {
        if weights.is_empty() {
            return Err(LossError::config(
                loss,
                field,
                "one weight per class",
                "an empty list",
            ));
        }
        for (c, &w) in weights.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(LossError::config(
                    loss,
                    format!("{field}[{c}]"),
                    "a finite weight >= 0",
                    w,
                ));
            }
        }
        Ok(())
    }

    /// `value` must lie in `[lo, hi]` (with `hi_open` = true: `[lo, hi)`).
    pub fn in_range(
        loss: &'static str,
        field: &str,
        value: f64,
        lo: f64,
        hi: f64,
        hi_open: bool,
    ) -> LossResult<()> {
        let ok = value.is_finite() && value >= lo && if hi_open { value < hi } else { value <= hi };
        if ok {
            Ok(())
        } else {
            let close = if hi_open { ")" } else { "]" };
            Err(LossError::config(
                loss,
                field,
                format!("a number in [{lo}, {hi}{close}"),
                value,
            ))
        }
    }

    /// `value` must lie in the open interval `(lo, hi)`.
    pub fn in_open_range(loss: &'static str, field: &str, value: f64, lo: f64, hi: f64) -> LossResult<()> {
        if value.is_finite() && value > lo && value < hi {
            Ok(())
        } else {
            Err(LossError::config(
                loss,
                field,
                format!("a number in ({lo}, {hi})"),
                value,
            ))
        }
    }
}
