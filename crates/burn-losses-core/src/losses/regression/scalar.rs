//! The regression losses' scalar forms for the fused element-wise kernel: each is its loss's
//! composed formula (in `mod.rs`) for one element, `ℓ(x, y)` and `∂ℓ/∂x`, with the composed
//! path's subgradients at the kinks (`sign(0) = 0`, a clamp passes the gradient at its bound).

use crate::fused::ScalarLoss;
use crate::fused::math::{exp, ln, ln_1p};

/// `sign(v)`, 0 at 0 (burn's and PyTorch's `sign`).
#[inline(always)]
fn sign(v: f32) -> f32 {
    (v > 0.0) as u8 as f32 - (v < 0.0) as u8 as f32
}

/// MAE: `|d|`, `sign(d)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AbsError;

impl ScalarLoss for AbsError {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        (x - y).abs()
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        sign(x - y)
    }
}

/// MSE: `d²`, `2d`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SquaredError;

impl ScalarLoss for SquaredError {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        d * d
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        2.0 * (x - y)
    }
}

/// Huber with threshold δ, scaled by `scale`: `q·(|d| − q/2)·scale`, `q = min(|d|, δ)`; the
/// gradient `clamp(d, −δ, δ)·scale`. Smooth L1 is Huber(β) / β, and L1 at β = 0 (`delta` 0 with
/// `l1`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Huber {
    delta: f32,
    scale: f32,
    l1: bool,
}

impl Huber {
    pub(crate) fn new(delta: f64, scale: f64) -> Self {
        Self {
            delta: delta as f32,
            scale: scale as f32,
            l1: false,
        }
    }

    /// PyTorch's `smooth_l1_loss`: Huber(β) / β, or `|d|` at β = 0.
    pub(crate) fn smooth_l1(beta: f64) -> Self {
        if beta == 0.0 {
            Self {
                delta: 0.0,
                scale: 1.0,
                l1: true,
            }
        } else {
            Self::new(beta, 1.0 / beta)
        }
    }
}

impl ScalarLoss for Huber {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let a = (x - y).abs();
        if self.l1 {
            return a;
        }
        let q = a.min(self.delta);
        q * (a - 0.5 * q) * self.scale
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        if self.l1 {
            return sign(d);
        }
        d.max(-self.delta).min(self.delta) * self.scale
    }
}

/// log-cosh: `|d| + ln(1 + e^{−2|d|}) − ln 2`, gradient `sign(d)·(1 − e^{−2|d|}) / (1 + e^{−2|d|})`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogCosh;

impl ScalarLoss for LogCosh {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let a = (x - y).abs();
        a + ln_1p(exp(-2.0 * a)) - core::f32::consts::LN_2
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        let e = exp(-2.0 * d.abs());
        sign(d) * (1.0 - e) / (1.0 + e)
    }
}

/// Charbonnier: `√(d² + ε²)`, gradient `d / √(d² + ε²)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Charbonnier {
    pub(crate) epsilon: f32,
}

impl ScalarLoss for Charbonnier {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        (d * d + self.epsilon * self.epsilon).sqrt()
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        d / (d * d + self.epsilon * self.epsilon).sqrt()
    }
}

/// Pinball at one τ, with `d = y − x`: `τ·d` for `d ≥ 0`, `(τ − 1)·d` below; gradient `−τ` or
/// `1 − τ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pinball {
    pub(crate) tau: f32,
}

impl ScalarLoss for Pinball {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let d = y - x;
        if d >= 0.0 {
            d * self.tau
        } else {
            d * (self.tau - 1.0)
        }
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        if y - x >= 0.0 { -self.tau } else { 1.0 - self.tau }
    }
}

/// MAPE: `100·|d| / max(|y|, ε)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mape {
    pub(crate) epsilon: f32,
}

impl ScalarLoss for Mape {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        (x - y).abs() / y.abs().max(self.epsilon) * 100.0
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        sign(x - y) / y.abs().max(self.epsilon) * 100.0
    }
}

/// sMAPE: `200·|d| / max(|y| + |x|, ε)`; the denominator's gradient passes where `|y| + |x| ≥ ε`
/// (the clamp's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Smape {
    pub(crate) epsilon: f32,
}

impl ScalarLoss for Smape {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        (x - y).abs() / (y.abs() + x.abs()).max(self.epsilon) * 200.0
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let d = x - y;
        let sum = y.abs() + x.abs();
        let denominator = sum.max(self.epsilon);
        let through = (sum >= self.epsilon) as u8 as f32;
        (sign(d) / denominator - d.abs() * sign(x) * through / (denominator * denominator)) * 200.0
    }
}

/// MSLE: `ln(1 + r)²` with `r = (x' − y') / (1 + y')`, `x' = max(x, ε)`, `y' = max(y, ε)`;
/// gradient `2·ln(1 + r) / (1 + x')` where `x ≥ ε` (the clamp's), 0 below.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Msle {
    pub(crate) epsilon: f32,
}

impl Msle {
    #[inline(always)]
    fn log_ratio(&self, x: f32, y: f32) -> (f32, f32) {
        let (x, y) = (x.max(self.epsilon), y.max(self.epsilon));
        // r > −1 (both clamped to ε > 0): the kernels' ln(1 + r), exact near 0
        (ln_1p((x - y) / (y + 1.0)), x)
    }
}

impl ScalarLoss for Msle {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        let (l, _) = self.log_ratio(x, y);
        l * l
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        let (l, clamped) = self.log_ratio(x, y);
        let through = (x >= self.epsilon) as u8 as f32;
        2.0 * l / (1.0 + clamped) * through
    }
}

/// Poisson negative log-likelihood: `x − y·ln(x + ε)` (rates), or `eˣ − y·x` with `log_input`;
/// `full` adds Stirling's term of `y` (no gradient in `x`), 0 for `y ≤ 1`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Poisson {
    pub(crate) log_input: bool,
    pub(crate) full: bool,
    pub(crate) epsilon: f32,
}

impl ScalarLoss for Poisson {
    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        // std's exp (libm): the composed path's e^x = ∞ past 88; ln of the checked positive
        // rates (x ≥ 0) and counts (y > 1) by the kernels' polynomial
        let nll = if self.log_input {
            x.exp() - y * x
        } else {
            x - y * ln(x + self.epsilon)
        };
        if !self.full || y <= 1.0 {
            return nll;
        }
        nll + y * ln(y) - y + 0.5 * ln(2.0 * core::f32::consts::PI * y)
    }
    #[inline(always)]
    fn grad(&self, x: f32, y: f32) -> f32 {
        if self.log_input {
            x.exp() - y
        } else {
            1.0 - y / (x + self.epsilon)
        }
    }
}
