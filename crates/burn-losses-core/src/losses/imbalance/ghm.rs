//! Gradient harmonizing (GHM): the family's shared documentation is the crate docs' [Gradient harmonizing (GHM)](crate#gradient-harmonizing-ghm).

use std::sync::{Arc, Mutex};

use burn::tensor::activation::sigmoid;
use burn::tensor::{Bool, Device, Float, Int, Tensor, TensorData};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::loss::LossModule;
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::{check_float_range, check_same_dtype, int_min_max};
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::math::log_sigmoid;

fn default_bins() -> usize {
    10
}

/// The EMA of the bin counts (mmdet's `acc_sum` buffer), one per device, shared by every clone of
/// one loss module.
#[derive(Debug, Clone, Default)]
pub struct GhmState(Arc<Mutex<Vec<DeviceCounts>>>);

/// One device (without autodiff), its accumulated bin counts, and the device-group exchange
/// they were last updated from (workers of one group on one device update them once).
type DeviceCounts = (Device, Vec<f64>, Option<u64>);

impl GhmState {
    /// The accumulated counts of the first device the loss ran on, one per bin (empty before the
    /// first call with `momentum > 0`).
    pub fn counts(&self) -> Vec<f64> {
        let states = self.0.lock().expect("GHM state lock");
        states
            .first()
            .map(|(_, counts, _)| counts.clone())
            .unwrap_or_default()
    }

    /// The accumulated counts on `device` (empty before its first call with `momentum > 0`).
    pub fn counts_on(&self, device: &Device) -> Vec<f64> {
        let device = device.clone().inner();
        let states = self.0.lock().expect("GHM state lock");
        states
            .iter()
            .find(|(d, _, _)| *d == device)
            .map(|(_, counts, _)| counts.clone())
            .unwrap_or_default()
    }

    /// Forgets the accumulated counts on every device (the next call starts from 0, as a fresh
    /// mmdet module).
    pub fn reset(&self) {
        self.0.lock().expect("GHM state lock").clear();
    }

    /// Runs `update` on the counts of `device` (created empty on its first use), telling it
    /// whether to advance the EMA: always, except for a device-group exchange (`exchange`) that
    /// already advanced this device's counts (another worker of the group on the same device).
    fn update<R>(
        &self,
        device: &Device,
        exchange: Option<u64>,
        update: impl FnOnce(&mut Vec<f64>, bool) -> R,
    ) -> R {
        let device = device.clone().inner();
        let mut states = self.0.lock().expect("GHM state lock");
        let at = match states.iter().position(|(d, _, _)| *d == device) {
            Some(at) => at,
            None => {
                states.push((device, Vec::new(), None));
                states.len() - 1
            }
        };
        let (_, counts, last) = &mut states[at];
        let advance = exchange.is_none() || *last != exchange;
        *last = exchange;
        update(counts, advance)
    }
}

/// How a GHM variant bins and normalises (the two differ in mmdet).
struct Binning {
    bins: usize,
    /// Upper edge of the last bin.
    last_edge: f32,
    momentum: f64,
    /// `tot` = Σ label_weight (GHMR) instead of the number of valid elements (GHMC).
    tot_is_weight_sum: bool,
}

impl Binning {
    /// The harmonizing weights `[n, m]` of gradient lengths `g` (no gradient) and `tot`.
    /// In a device group (`group`, while training) the bin counts are every worker's, `tot` this
    /// worker's own (see [`crate::group`]).
    fn weights(
        &self,
        loss: &'static str,
        g: Tensor<2>,
        label_weight: Option<Tensor<2>>,
        state: &GhmState,
        group: Option<crate::group::DeviceGroup>,
    ) -> LossResult<(Tensor<2>, f64)> {
        let [n, m] = g.dims();
        let (device, dtype) = (g.device(), g.dtype());
        let valid: Option<Tensor<2, Bool>> = label_weight.as_ref().map(|w| w.clone().greater_elem(0.0));
        // cumulative[i] = #valid elements with g ≥ edges[i]; bin index = #edges[1..=bins] ≤ g.
        let mut cumulative = Vec::with_capacity(self.bins + 2);
        let mut index: Tensor<2, Int> = Tensor::zeros([n, m], &device);
        for i in 0..=self.bins {
            let edge = if i == self.bins {
                self.last_edge
            } else {
                i as f32 / self.bins as f32
            };
            let mut above = g.clone().greater_equal_elem(edge);
            if let Some(valid) = &valid {
                above = above.bool_and(valid.clone());
            }
            if i > 0 {
                index = index + above.clone().int();
            }
            cumulative.push(above.float().cast(dtype).sum());
        }
        let tot_raw = match (&label_weight, &valid) {
            (Some(w), _) if self.tot_is_weight_sum => w.clone().sum(),
            (_, Some(valid)) => valid.clone().float().cast(dtype).sum(),
            _ => Tensor::<1>::from_data(TensorData::new(vec![(n * m) as f32], [1]), (&device, dtype)),
        };
        cumulative.push(tot_raw);
        let own: Vec<f64> = Tensor::cat(cumulative, 0).into_data().iter::<f64>().collect();
        let own_tot = own[self.bins + 1].max(1.0);
        let (host, exchange) = match &group {
            Some(group) => {
                let (total, number) = group.numbered_sum(loss, own)?;
                (total, Some(number))
            }
            None => (own, None),
        };
        // the weights tot / count of the (joined) density, the mean over this batch's own tot
        let tot = host[self.bins + 1].max(1.0);

        let mut bin_weight = vec![0.0f64; self.bins + 1];
        let mut non_empty = 0usize;
        let mut weigh = |acc: Option<&mut Vec<f64>>, advance: bool| {
            let mut acc = acc.map(|acc| {
                if acc.len() != self.bins {
                    *acc = vec![0.0; self.bins];
                }
                acc
            });
            for i in 0..self.bins {
                let count = host[i] - host[i + 1];
                if count > 0.0 {
                    non_empty += 1;
                    bin_weight[i] = match acc.as_mut() {
                        Some(acc) => {
                            if advance {
                                acc[i] = self.momentum * acc[i] + (1.0 - self.momentum) * count;
                            }
                            tot / acc[i]
                        }
                        None => tot / count,
                    };
                }
            }
        };
        if self.momentum > 0.0 {
            state.update(&device, exchange, |acc, advance| weigh(Some(acc), advance));
        } else {
            weigh(None, true);
        }
        if non_empty > 0 {
            bin_weight.iter_mut().for_each(|w| *w /= non_empty as f64);
        }
        let bin_weight =
            Tensor::<1>::from_data(TensorData::new(bin_weight, [self.bins + 1]), (&device, dtype));
        let mut weights = bin_weight.gather(0, index.reshape([n * m])).reshape([n, m]);
        if let Some(valid) = valid {
            weights = weights.mask_fill(valid.bool_not(), 0.0);
        }
        Ok((weights, own_tot))
    }
}

/// Checks an optional `mask` argument (mmdet's `label_weight`; also accepted as `valid`): the
/// given shape and dtype.
fn check_valid(
    loss: &'static str,
    valid: Option<&DynTensor<Float>>,
    expected: &[usize],
    input: &DynTensor<Float>,
) -> LossResult<()> {
    if let Some(v) = valid
        && v.shape != expected
    {
        return Err(LossError::input(
            loss,
            "mask",
            format!(
                "per-element weights (0 = ignored) of shape {}",
                fmt_shape(expected)
            ),
            format!("shape {}", fmt_shape(&v.shape)),
        ));
    }
    check_same_dtype(loss, "mask", valid, input)
}

/// mmdet 3.x `weight_reduce_loss(reduction="mean", avg_factor=tot)` divides by `tot + eps`.
fn avg_factor(tot: f64) -> f64 {
    tot + f32::EPSILON as f64
}

fn validate_binning(loss: &'static str, bins: usize, momentum: f64) -> LossResult<()> {
    if bins == 0 {
        return Err(LossError::config(loss, "bins", "a number of bins >= 1", 0));
    }
    check::in_range(loss, "momentum", momentum, 0.0, 1.0, true)
}

// ---------------------------------------------------------------------------------------------
// GHM-C
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`GhmCLoss`] (`"type": "ghm_c"` in a [`LossConfig`](crate::LossConfig)).
    GhmCLossConfig("ghm_c", defaults "10 bins, no momentum, mean") {
        /// Number of equal-width bins of the gradient length on [0, 1], >= 1. Default `10` (mmdet;
        /// the paper uses 30).
        bins: usize = default_bins() => with_bins,
        /// EMA momentum `m ∈ [0, 1)` of the bin counts across calls. Default `0` (no EMA; mmdet's
        /// default; the paper uses 0.75).
        momentum: f64 = 0.0 => with_momentum,
        /// `"mean"` (default: divided by `tot`, the number of valid elements), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        validate_binning(Self::NAME, self.bins, self.momentum)
    }
    /// GHM-C: BCE-with-logits weighted by the gradient density of `g = |σ(x) − y|` (see the
    /// [GHM docs](crate#gradient-harmonizing-ghm)). `input` logits of any shape with a binary `target` of the same shape, or
    /// `input [N, C]` with class indices `target [N]` in `[0, C]` (expanded to one-hot as mmdet's
    /// `_expand_onehot_labels`; `C` = background, an all-zero row). Optional `mask` (mmdet's
    /// `label_weight`, same shape as `input`, or `[N]` with class indices): elements with
    /// `mask ≤ 0` are left out of the bins, `tot` and the loss.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element masked (`mask` all 0): nothing is binned,
    /// `tot` = 1, the loss is 0 with a zero gradient.
    GhmCLoss {
        /// The EMA of the bin counts (used when `momentum > 0`).
        #[module(skip)]
        state: GhmState = GhmState::default(),
    };
    forward "logits against a binary `target` of their shape (the weighted element losses, unreduced)",
        <const D: usize> (input: Tensor<D> => with_float, target: Tensor<D> => with_float),
        optional mask: Tensor<D> => with_float, unreduced Tensor<D>;
        named { input: Float required, target: FloatOrInt required, mask: Float optional, valid: Float optional }
}

/// The target of a GHM-C call.
enum GhmCTarget<'a> {
    Binary(&'a DynTensor<Float>),
    Classes(&'a DynTensor<Int>),
}

impl GhmCLoss {
    /// The configured reduction for logits `[N, C]` and class indices `[N]` in `[0, C]`, with
    /// optional `mask [N]`.
    pub fn try_forward_classes(
        &self,
        input: Tensor<2>,
        target: Tensor<1, Int>,
        mask: Option<Tensor<1>>,
    ) -> LossResult<Tensor<1>> {
        let (terms, _) = self.element_loss(
            &DynTensor::from_tensor(input),
            GhmCTarget::Classes(&DynTensor::from_tensor(target)),
            mask.map(DynTensor::from_tensor).as_ref(),
        )?;
        Ok(terms.reduce(self.config.reduction))
    }

    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: GhmCTarget<'_>,
        valid: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = GhmCLossConfig::NAME;
        crate::tensor::dynamic::check_non_empty(name, "input", input)?;
        if input.shape.is_empty() {
            return Err(LossError::input(
                name,
                "input",
                "a tensor of rank >= 1",
                "a scalar",
            ));
        }
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let y = match target {
            GhmCTarget::Binary(t) => {
                if t.shape != input.shape {
                    return Err(LossError::input(
                        name,
                        "target",
                        format!(
                            "binary targets of the shape of `input` {}, or class indices [N]",
                            fmt_shape(&input.shape)
                        ),
                        fmt_shape(&t.shape),
                    ));
                }
                check_valid(name, valid, &input.shape, input)?;
                check_same_dtype(name, "target", Some(t), input)?;
                check_float_range(name, "target", t, 0.0, 1.0, "target probabilities")?;
                t.view([n, m])
            }
            GhmCTarget::Classes(t) => {
                if input.shape.len() != 2 || t.shape != [n] {
                    return Err(LossError::input(
                        name,
                        "target",
                        format!(
                            "class indices [N] for input [N, C], or binary targets of the shape of `input` {}",
                            fmt_shape(&input.shape)
                        ),
                        format!("class indices of shape {}", fmt_shape(&t.shape)),
                    ));
                }
                check_valid(name, valid, &[n], input)?;
                if n > 0 && !crate::tensor::checks::trusted_inputs() {
                    let (min, max) = int_min_max(&t.flat);
                    if min < 0 || max > m as i64 {
                        return Err(LossError::input(
                            name,
                            "target",
                            format!("class indices in [0, {m}] ({m} = background, an all-zero one-hot row)"),
                            format!("indices in [{min}, {max}]"),
                        ));
                    }
                }
                crate::tensor::onehot::one_hot(t.flat.clone(), m + 1, input.flat.dtype()).slice([0..n, 0..m])
            }
        };
        let label_weight = valid.map(|v| {
            if v.shape.len() == input.shape.len() {
                v.view([n, m])
            } else {
                v.view([n, 1]).expand([n, m])
            }
        });
        let x = input.view([n, m]);
        let g = (sigmoid(x.clone().detach()) - y.clone().detach()).abs();
        let binning = Binning {
            bins: self.config.bins,
            last_edge: 1.0f32 + 1e-6f32,
            momentum: self.config.momentum,
            tot_is_weight_sum: false,
        };
        let group = crate::group::training_group(&input.flat);
        let (weights, tot) = binning.weights(name, g, label_weight, &self.state, group)?;
        let bce = (y.clone() * log_sigmoid(x.clone()) + (y.neg() + 1.0) * log_sigmoid(x.neg())).neg();
        let terms = ElementLoss::new(bce)
            .weighted(Some(weights))
            .averaged_over(avg_factor(tot));
        Ok((terms, input.shape.clone()))
    }
}

impl LossModule for GhmCLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = GhmCLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let valid = inputs.float_opt_aliased(name, "mask", "valid")?;
        let (terms, shape) = match inputs.get(name, "target")? {
            DynInput::Float(t) => self.element_loss(&input, GhmCTarget::Binary(t), valid.as_ref())?,
            DynInput::Int(t) => self.element_loss(&input, GhmCTarget::Classes(t), valid.as_ref())?,
        };
        Ok(reduce_to_dyn(terms, shape, self.config.reduction))
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        self.try_forward_classes(input, targets, None)
    }
}

// ---------------------------------------------------------------------------------------------
// GHM-R
// ---------------------------------------------------------------------------------------------

crate::loss::declare::loss_config! {
    /// Configuration of [`GhmRLoss`] (`"type": "ghm_r"` in a [`LossConfig`](crate::LossConfig)).
    GhmRLossConfig("ghm_r", defaults "μ = 0.02, 10 bins, no momentum, mean") {
        /// μ > 0 of the authentic smooth L1 `√(d² + μ²) − μ`. Default `0.02` (mmdet, the paper).
        mu: f64 = 0.02 => with_mu,
        /// Number of bins of the gradient length on [0, 1), >= 1. Default `10`.
        bins: usize = default_bins() => with_bins,
        /// EMA momentum `m ∈ [0, 1)` of the bin counts across calls. Default `0`.
        momentum: f64 = 0.0 => with_momentum,
        /// `"mean"` (default: divided by `tot = max(Σ mask, 1)`), `"sum"` or `"none"`.
        reduction: Reduction = Reduction::Mean => with_reduction,
    }
    validate(&self) {
        if !(self.mu.is_finite() && self.mu > 0.0) {
            return Err(LossError::config(
                Self::NAME,
                "mu",
                "a finite number > 0",
                self.mu,
            ));
        }
        validate_binning(Self::NAME, self.bins, self.momentum)
    }
    /// GHM-R: the authentic smooth L1 loss `ℓ = √(d² + μ²) − μ` of `d = input − target`, weighted by
    /// the gradient density of `g = |d| / √(d² + μ²)` (see the [GHM docs](crate#gradient-harmonizing-ghm)). `input` and
    /// `target` of the same shape (any rank), optional `mask` of that shape (mmdet's `label_weight`;
    /// `tot = max(Σ mask, 1)`).
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). Every element masked (`mask` all 0): nothing is binned,
    /// `tot` = 1, the loss is 0 with a zero gradient.
    GhmRLoss {
        /// The EMA of the bin counts (used when `momentum > 0`).
        #[module(skip)]
        state: GhmState = GhmState::default(),
    };
    forward "predictions against `target` of their shape (the weighted element losses, unreduced)",
        <const D: usize> (input: Tensor<D> => with_float, target: Tensor<D> => with_float),
        optional mask: Tensor<D> => with_float, unreduced Tensor<D>;
        named { input: Float required, target: Float required, mask: Float optional, valid: Float optional }
}

impl GhmRLoss {
    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Float>,
        valid: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let name = GhmRLossConfig::NAME;
        crate::tensor::dynamic::check_non_empty(name, "input", input)?;
        if input.shape.is_empty() {
            return Err(LossError::input(
                name,
                "input",
                "a tensor of rank >= 1",
                "a scalar",
            ));
        }
        if target.shape != input.shape {
            return Err(LossError::input(
                name,
                "target",
                format!("the shape of `input` {}", fmt_shape(&input.shape)),
                fmt_shape(&target.shape),
            ));
        }
        check_same_dtype(name, "target", Some(target), input)?;
        check_valid(name, valid, &input.shape, input)?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let mu = self.config.mu;
        let d = input.view([n, m]) - target.view([n, m]);
        let root = (d.clone().powi_scalar(2) + mu * mu).sqrt();
        let g = (d.clone().detach() / root.clone().detach()).abs();
        let binning = Binning {
            bins: self.config.bins,
            last_edge: 1e3,
            momentum: self.config.momentum,
            tot_is_weight_sum: true,
        };
        let group = crate::group::training_group(&input.flat);
        let (weights, tot) = binning.weights(name, g, valid.map(|v| v.view([n, m])), &self.state, group)?;
        let terms = ElementLoss::new(root - mu)
            .weighted(Some(weights))
            .averaged_over(tot);
        Ok((terms, input.shape.clone()))
    }
}

impl LossModule for GhmRLoss {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = GhmRLossConfig::NAME;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.float(name, "target")?;
        let valid = inputs.float_opt_aliased(name, "mask", "valid")?;
        let (terms, shape) = self.element_loss(&input, &target, valid.as_ref())?;
        Ok(reduce_to_dyn(terms, shape, self.config.reduction))
    }

    fn classification_loss(&self, _input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        Err(LossError::input(
            GhmRLossConfig::NAME,
            "target",
            "real-valued regression targets of the shape of `input` (ghm_r is a regression loss)",
            format!("class indices of shape {}", fmt_shape(&targets.dims())),
        ))
    }
}
