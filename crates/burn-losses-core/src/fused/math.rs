//! The scalar math of the host kernels: `exp` / `ln` / `ln_1p` as straight-line f32 code that
//! the compiler vectorises (Cephes single-precision polynomials, ≤ 2 ulp on the ranges used),
//! the focal power `q^γ` with its derivative, lane-wise sums and maxima, and the SIMD dispatch.

/// `exp(x)` in f32, Cephes `expf`: x = n·ln 2 + r, |r| ≤ ln2/2, a degree-5 polynomial in r,
/// n added to the exponent bits. Inputs are clamped to [−87.33, 88] (results in
/// [MIN_POSITIVE, 1.65e38]); below that it returns ~MIN_POSITIVE rather than a subnormal.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.336_55, 88.0);
    let t = x * LOG2E + ROUND;
    let n_int = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let n = t - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5.0e-1; // Cephes: 5.0000001201e-1, the same f32
    let y = p * z + r + 1.0;
    y * f32::from_bits(((n_int + 127) << 23) as u32)
}

/// `ln(x)` in f32 for normal positive `x`, Cephes `logf`: x = m·2^e with m ∈ [√½, √2), a
/// degree-9 polynomial in m − 1.
#[inline(always)]
pub(crate) fn ln(x: f32) -> f32 {
    const SQRT_HALF_BITS: i32 = 0x3F35_04F3;
    let bits = x.to_bits() as i32;
    let e = (bits - SQRT_HALF_BITS) >> 23;
    let m = f32::from_bits((bits - (e << 23)) as u32);
    let t = m - 1.0;
    let z = t * t;
    let mut y = 7.037_683_6e-2 * t - 1.151_461e-1;
    y = y * t + 1.167_699_9e-1;
    y = y * t - 1.242_014_1e-1;
    y = y * t + 1.424_932_3e-1;
    y = y * t - 1.666_805_8e-1;
    y = y * t + 2.000_071_5e-1;
    y = y * t - 2.499_999_4e-1;
    y = y * t + 3.333_333e-1; // Cephes: 3.3333331174e-1, the same f32
    let ef = e as f32;
    let y = y * t * z + -2.121_944_4e-4 * ef - 0.5 * z;
    t + y + 0.693_359_4 * ef
}

/// `ln(1 + e)` for `e > −1`, accurate for small `e` (Goldberg's `ln(u)·e/(u − 1)`, which corrects the
/// rounding of `u = 1 + e`).
#[inline(always)]
pub(crate) fn ln_1p(e: f32) -> f32 {
    let u = 1.0 + e;
    let d = u - 1.0;
    // both sides computed, then selected: no branch in a vectorised loop
    let r = ln(u) * (e / d);
    if d == 0.0 { e } else { r }
}

/// `exp(x) − 1` for `x ≤ 0`, accurate near 0 (Kahan's `(u − 1)·x / ln(u)`, `u = exp(x)`): the
/// `1 − p` of a probability from its logarithm without the cancellation of `1 − exp(x)`.
#[inline(always)]
pub(crate) fn exp_m1(x: f32) -> f32 {
    let u = exp(x);
    let d = u - 1.0;
    // computed, then selected: no branch in a vectorised loop (`exp` stops at MIN_POSITIVE, so
    // `ln(u)` is finite)
    let r = d * (x / ln(u));
    let r = if d == -1.0 { -1.0 } else { r };
    if d == 0.0 { x } else { r }
}

/// `σ(x)` and `σ(−x)` from one `exp(−|x|)`, each without cancellation.
#[inline(always)]
pub(crate) fn sigmoid_pair(x: f32) -> (f32, f32) {
    let e = exp(-x.abs());
    let r = 1.0 / (1.0 + e);
    let er = e * r;
    if x >= 0.0 { (r, er) } else { (er, r) }
}

/// How the focal factor `q^γ` is computed: γ ∈ {0, 1, 2} exactly, any other γ as
/// `exp(γ·ln q)`. A const parameter of the kernels' loops, so that they carry no branch on it.
pub(crate) const GAMMA_ZERO: u8 = 0;
pub(crate) const GAMMA_ONE: u8 = 1;
pub(crate) const GAMMA_TWO: u8 = 2;
pub(crate) const GAMMA_OTHER: u8 = 3;

/// The focal modulating power `q ↦ max(q, MIN_POSITIVE)^γ` of the composed losses
/// ([`modulating_factor`](crate::tensor::math::modulating_factor)), with the derivative of the floor
/// (zero below it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FocalPower {
    /// γ ≥ 0.
    pub gamma: f32,
    /// One of the `GAMMA_*` kinds of γ.
    pub kind: u8,
}

impl FocalPower {
    pub(crate) fn new(gamma: f32) -> Self {
        let kind = match gamma {
            0.0 => GAMMA_ZERO,
            1.0 => GAMMA_ONE,
            2.0 => GAMMA_TWO,
            _ => GAMMA_OTHER,
        };
        Self { gamma, kind }
    }

    /// `(q^γ, d q^γ / dq)`; `KIND` is `self.kind` and not [`GAMMA_ZERO`].
    #[inline(always)]
    pub(crate) fn eval<const KIND: u8>(self, q: f32) -> (f32, f32) {
        let qc = q.max(f32::MIN_POSITIVE);
        let (factor, pow_minus_one) = match KIND {
            GAMMA_ONE => (qc, 1.0),
            GAMMA_TWO => (qc * qc, qc),
            _ => {
                let f = exp(self.gamma * ln(qc));
                (f, f / qc)
            }
        };
        let derivative = if q >= f32::MIN_POSITIVE {
            self.gamma * pow_minus_one
        } else {
            0.0
        };
        (factor, derivative)
    }
}

/// Runs `f` compiled for the widest SIMD instruction set of this CPU (pulp's run-time
/// dispatch); mark the closure `#[inline(always)]` so that its loops are compiled inside.
#[inline(always)]
pub(crate) fn simd<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

/// Eight independent accumulators: reductions the compiler can vectorise without reordering
/// one sum (eight lanes, added at the end).
pub(crate) const LANES: usize = 8;

/// `Σ f(vᵢ)` over `values`, in eight lanes (f32), the lanes added in f64.
#[inline(always)]
pub(crate) fn lane_sum(values: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; LANES];
    let mut it = values.chunks_exact(LANES);
    for eight in &mut it {
        for (lane, &v) in lanes.iter_mut().zip(eight) {
            *lane += f(v);
        }
    }
    let rest: f32 = it.remainder().iter().map(|&v| f(v)).sum();
    lanes.iter().map(|&v| v as f64).sum::<f64>() + rest as f64
}

/// `max vᵢ` (−∞ for none; NaN if any is NaN).
#[inline(always)]
pub(crate) fn lane_max(values: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let mut nan = false;
    let mut it = values.chunks_exact(LANES);
    for eight in &mut it {
        for (lane, &v) in lanes.iter_mut().zip(eight) {
            nan |= v.is_nan();
            *lane = lane.max(v);
        }
    }
    for &v in it.remainder() {
        nan |= v.is_nan();
        lanes[0] = lanes[0].max(v);
    }
    if nan {
        return f32::NAN;
    }
    lanes.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `Σ values` in f64 (blocks of eight f32 lanes, each block added in f64).
pub(crate) fn sum_f64(values: &[f32]) -> f64 {
    values.chunks(256).map(|block| lane_sum(block, |v| v)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error in units of f32 epsilon.
    fn ulps(got: f32, want: f64) -> f64 {
        ((got as f64 - want) / want.abs().max(f32::MIN_POSITIVE as f64)).abs() / f32::EPSILON as f64
    }

    #[test]
    fn exp_within_two_ulps_on_the_used_range() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 87.0 * i as f32 / 200_000.0;
            worst = worst.max(ulps(exp(x), (x as f64).exp()));
        }
        assert!(worst < 2.0, "exp: worst {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1e4) > 0.0 && exp(-1e4) <= 1.2e-38);
        assert!(exp(-f32::INFINITY) <= 1.2e-38);
    }

    #[test]
    fn ln_and_ln_1p_within_two_ulps() {
        let mut worst = 0.0f64;
        for i in 1..=200_000 {
            // q from MIN_POSITIVE to 1 (log-spaced), and 1 + e for e in (0, 1]
            let q = (f32::MIN_POSITIVE as f64).powf(1.0 - i as f64 / 200_000.0) as f32;
            worst = worst.max(ulps(ln(q), (q as f64).ln()).min(1e9) * if q == 1.0 { 0.0 } else { 1.0 });
            let e = q;
            worst = worst.max(ulps(ln_1p(e), (e as f64).ln_1p()));
        }
        assert!(worst < 2.0, "ln / ln_1p: worst {worst} ulp");
        assert_eq!(ln(1.0), 0.0);
        // the log-sum-exp's sums: 1 ≤ z ≤ C
        for z in [1.0f32, 1.5, 2.0, 10.0, 999.0, 1.0e6] {
            assert!(ulps(ln(z), (z as f64).ln()) < 2.0, "ln({z})");
        }
    }

    #[test]
    fn exp_m1_and_ln_1p_near_zero_and_far() {
        for x in [
            -1e-30f32, -1e-7, -3e-5, -0.01, -0.3, -0.5, -1.0, -5.0, -20.0, -100.0,
        ] {
            let want = (x as f64).exp_m1();
            assert!(
                ulps(exp_m1(x), want) < 3.0,
                "exp_m1({x}) = {} vs {want}",
                exp_m1(x)
            );
        }
        assert_eq!(exp_m1(0.0), 0.0);
        for e in [1e-30f32, 1e-7, 3e-5, 0.01, 0.5, 1.0, 2.5, 99.0, 1e6] {
            let want = (e as f64).ln_1p();
            assert!(ulps(ln_1p(e), want) < 2.0, "ln_1p({e}) = {} vs {want}", ln_1p(e));
        }
        // MSLE's log ratios: e in (−1, 0)
        for e in [
            -1e-30f32, -1e-7, -3e-5, -0.01, -0.3, -0.5, -0.9, -0.999, -0.999_999,
        ] {
            let want = (e as f64).ln_1p();
            assert!(ulps(ln_1p(e), want) < 3.0, "ln_1p({e}) = {} vs {want}", ln_1p(e));
        }
    }

    #[test]
    fn focal_power_and_its_derivative() {
        for gamma in [1.0f32, 2.0, 0.5, 3.7] {
            let power = FocalPower::new(gamma);
            for q in [1e-30f32, 1e-6, 0.1, 0.5, 0.9, 1.0] {
                if (q as f64).powf(gamma as f64) < 1e-30 {
                    continue; // underflows: `exp` stops at MIN_POSITIVE (moves the loss by < 1e-37)
                }
                let (f, d) = match power.kind {
                    GAMMA_ONE => power.eval::<GAMMA_ONE>(q),
                    GAMMA_TWO => power.eval::<GAMMA_TWO>(q),
                    _ => power.eval::<GAMMA_OTHER>(q),
                };
                let (qd, gd) = (q as f64, gamma as f64);
                // exp(γ·ln q) turns ln's ≤ 2 ulp into |γ·ln q|·2 ulp of the power (≤ 32 ulp here)
                assert!(ulps(f, qd.powf(gd)) < 32.0, "γ={gamma} q={q}: {f}");
                assert!(ulps(d, gd * qd.powf(gd - 1.0)) < 32.0, "γ={gamma} q={q}: d {d}");
            }
            // below the floor: the floor's value, no derivative
            let (f, d) = power.eval::<GAMMA_OTHER>(0.0);
            assert_eq!(d, 0.0);
            let want = (f32::MIN_POSITIVE as f64).powf(gamma as f64);
            // an underflowing power stops at MIN_POSITIVE (see `exp`)
            assert!(
                ulps(f, want) < 32.0 || (want < 1e-37 && f <= 1.2e-38),
                "γ={gamma}: {f} vs {want}"
            );
        }
    }

    #[test]
    fn lane_reductions() {
        let v: Vec<f32> = (0..1003).map(|i| ((i * 37) % 101) as f32 - 50.0).collect();
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        assert_eq!(sum_f64(&v), exact);
        assert_eq!(lane_sum(&v, |x| 2.0 * x), 2.0 * exact);
        assert_eq!(lane_max(&v), 50.0);
        assert_eq!(lane_max(&[]), f32::NEG_INFINITY);
        let mut with_nan = v.clone();
        with_nan[1001] = f32::NAN;
        assert!(lane_max(&with_nan).is_nan());
    }
}
