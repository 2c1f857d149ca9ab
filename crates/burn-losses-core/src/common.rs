//! Small pieces shared by the loss families: input checks that read values back, the builder
//! setter macro, and per-sample weight broadcasting.

use burn::tensor::{Float, Int, Tensor};

use crate::dynamic::DynTensor;
use crate::error::{LossError, LossResult, fmt_shape};

/// Generates `with_<field>` builder setters for a config struct (burn `Config` style).
macro_rules! config_setters {
    ($ty:ident { $($setter:ident => $field:ident : $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $setter(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}
pub(crate) use config_setters;

/// The typed `forward` / `try_forward` / `forward_no_reduction` of a loss whose `input` and
/// `target` have the same shape (any rank).
macro_rules! same_shape_forward_api {
    ($loss:ident) => {
        impl $loss {
            /// The configured reduction of the loss. `input` and `target` have the same shape (any
            /// rank); for `"none"` the result is flattened (see
            /// [`forward_no_reduction`](Self::forward_no_reduction) to keep the shape).
            #[track_caller]
            pub fn forward<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
            ) -> burn::tensor::Tensor<1> {
                $crate::error::or_panic($crate::common::InputTargetLoss::try_forward_typed::<D, D>(
                    self, input, target, None,
                ))
            }

            /// As [`forward`](Self::forward), with optional per-sample weights of shape `[N]`,
            /// returning an error instead of panicking on bad input.
            pub fn try_forward<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
                weight: Option<burn::tensor::Tensor<1>>,
            ) -> $crate::LossResult<burn::tensor::Tensor<1>> {
                $crate::common::InputTargetLoss::try_forward_typed::<D, D>(self, input, target, weight)
            }

            /// The unreduced loss, same shape as `input` (ignores the configured reduction).
            #[track_caller]
            pub fn forward_no_reduction<const D: usize>(
                &self,
                input: burn::tensor::Tensor<D>,
                target: burn::tensor::Tensor<D>,
            ) -> burn::tensor::Tensor<D> {
                let dims = input.dims();
                $crate::error::or_panic($crate::common::InputTargetLoss::forward_no_reduction_typed(
                    self, input, target, dims,
                ))
            }
        }
    };
}
pub(crate) use same_shape_forward_api;

/// [`same_shape_forward_api`] plus the [`LossModule`](crate::LossModule) impl of a loss on float
/// targets of the input's shape: class indices become one-hot `[N, C]` targets for the Learner
/// adapter. `binary` (the BCE / focal family): the input kind follows `config.from_logits`;
/// `raw`: the loss takes the model output as it is (regression and margin losses).
macro_rules! binary_loss_api {
    ($loss:ident) => {
        $crate::common::binary_loss_api!($loss, |this: &$loss| if this.config.from_logits {
            $crate::InputKind::Logits
        } else {
            $crate::InputKind::SigmoidProbabilities
        });
    };
    ($loss:ident, raw) => {
        $crate::common::binary_loss_api!($loss, |_: &$loss| $crate::InputKind::Logits);
    };
    ($loss:ident, $input_kind:expr) => {
        $crate::common::same_shape_forward_api!($loss);

        impl $crate::config::LossModule for $loss {
            fn forward_inputs(&self, inputs: &$crate::LossInputs) -> $crate::LossResult<$crate::DynTensor> {
                $crate::common::InputTargetLoss::forward_named(self, inputs)
            }

            fn target_kind(&self) -> $crate::TargetKind {
                $crate::TargetKind::Probabilities
            }

            fn input_kind(&self) -> $crate::InputKind {
                ($input_kind)(self)
            }

            fn classification_loss(
                &self,
                input: burn::tensor::Tensor<2>,
                targets: burn::tensor::Tensor<1, burn::tensor::Int>,
            ) -> $crate::LossResult<burn::tensor::Tensor<1>> {
                let one_hot = $crate::common::one_hot_like(&input, targets);
                self.try_forward(input, one_hot, None)
            }
        }
    };
}

pub(crate) use binary_loss_api;

/// `try_init` (validate, then build) and `init` (panic with the same message) for a loss module
/// that holds just its validated `config`.
macro_rules! config_init {
    ($config:ident => $loss:ident) => {
        impl $config {
            /// Builds the loss, or says which field is out of range.
            pub fn try_init(&self) -> $crate::error::LossResult<$loss> {
                self.validate()?;
                Ok($loss {
                    config: self.clone(),
                })
            }

            /// Builds the loss; panics with the [`try_init`](Self::try_init) message on a bad field.
            #[track_caller]
            pub fn init(&self) -> $loss {
                $crate::error::or_panic(self.try_init())
            }
        }
    };
}
pub(crate) use config_init;

/// A loss config and its module from one declaration: the serde struct (`deny_unknown_fields`,
/// defaults on missing fields), `Default`, burn `Config`, `new`, one `with_<field>` setter per
/// field, `validate`, `try_init` / `init`, and the module struct holding the validated config.
/// Doc comments (formula, defaults, anchors) are written at the declaration.
macro_rules! loss_config {
    (
        $(#[$config_doc:meta])*
        $config:ident ($name:literal, defaults $defaults:literal) {
            $( $(#[$field_doc:meta])* $field:ident : $ty:ty = $default:expr => $setter:ident, )*
        }
        validate(&$this:ident) $validate:block
        $(#[$loss_doc:meta])*
        $loss:ident;
    ) => {
        $(#[$config_doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $config {
            $( $(#[$field_doc])* pub $field: $ty, )*
        }

        impl Default for $config {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl burn::config::Config for $config {}

        impl $config {
            #[allow(dead_code)]
            const NAME: &'static str = $name;

            #[doc = concat!("The defaults (", $defaults, ").")]
            pub fn new() -> Self {
                Self::default()
            }

            /// Checks every field; the error names the field and its expected range.
            pub fn validate(&$this) -> $crate::LossResult<()> $validate

            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $setter(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }

        $crate::common::config_init!($config => $loss);

        $(#[$loss_doc])*
        #[derive(burn::module::Module, Debug)]
        pub struct $loss {
            /// The validated configuration.
            #[module(skip)]
            pub config: $config,
        }
    };
}
pub(crate) use loss_config;

/// An element-wise loss of `input` and `target` of one shape: the loss implements
/// [`values`](Self::values) on the `[N, M]` views; [`elementwise_loss_api`] provides its checks,
/// per-sample weights, reductions, typed `forward`s and [`LossModule`](crate::LossModule).
pub(crate) trait ElementwiseLoss {
    /// snake_case loss name used in messages.
    const NAME: &'static str;

    /// Checks of the values of `input` / `target` beyond their shapes (default: none).
    fn check_values(&self, _input: &DynTensor<Float>, _target: &DynTensor<Float>) -> LossResult<()> {
        Ok(())
    }

    /// `target` as an `[N, M]` tensor for an `input` viewed as `[N, M]` (default: the same shape
    /// is required).
    fn target_2d(&self, input: &DynTensor<Float>, target: &DynTensor<Float>) -> LossResult<Tensor<2>> {
        same_shape_target_2d(Self::NAME, input, target)
    }

    /// The element losses of `x`, `y` (`[N, M]`).
    fn values(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2>;
}

/// `target` of exactly the shape of `input`.
fn check_target_shape(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
) -> LossResult<()> {
    if target.shape == input.shape {
        return Ok(());
    }
    Err(LossError::input(
        loss,
        "target",
        format!("the shape of `input` {}", fmt_shape(&input.shape)),
        fmt_shape(&target.shape),
    ))
}

/// `target` of the shape of `input` (checked), as its `[N, M]` view.
pub(crate) fn same_shape_target_2d(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
) -> LossResult<Tensor<2>> {
    check_target_shape(loss, input, target)?;
    let n = input.shape[0];
    Ok(target.view([n, input.numel().checked_div(n).unwrap_or(0)]))
}

/// The [`ElementLoss`](crate::ElementLoss) of an [`ElementwiseLoss`]: checks, values, per-sample
/// weights; the logical shape is the input's.
pub(crate) fn elementwise_terms<L: ElementwiseLoss>(
    loss: &L,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
) -> LossResult<(crate::ElementLoss<2>, Vec<usize>)> {
    check_rank_at_least_1(L::NAME, "input", input)?;
    check_sample_weight(L::NAME, weight, input)?;
    check_same_dtype(L::NAME, "target", Some(target), input)?;
    let y = loss.target_2d(input, target)?;
    loss.check_values(input, target)?;
    let n = input.shape[0];
    let m = input.numel().checked_div(n).unwrap_or(0);
    let values = loss.values(input.view([n, m]), y);
    let terms = crate::ElementLoss::new(values).weighted(sample_weight_2d(weight, n, m));
    Ok((terms, input.shape.clone()))
}

/// [`InputTargetLoss`] for an [`ElementwiseLoss`] and the API of [`binary_loss_api`]`(raw)`.
macro_rules! elementwise_loss_api {
    ($loss:ident) => {
        impl $crate::common::InputTargetLoss for $loss {
            const NAME: &'static str = <$loss as $crate::common::ElementwiseLoss>::NAME;
            type Target = burn::tensor::Float;

            fn reduction(&self) -> $crate::Reduction {
                self.config.reduction
            }

            fn target_argument(inputs: &$crate::LossInputs) -> $crate::LossResult<$crate::DynTensor> {
                inputs.float(<Self as $crate::common::InputTargetLoss>::NAME, "target")
            }

            fn element_loss(
                &self,
                input: &$crate::DynTensor,
                target: &$crate::DynTensor,
                weight: Option<&$crate::DynTensor>,
            ) -> $crate::LossResult<($crate::ElementLoss<2>, Vec<usize>)> {
                $crate::common::elementwise_terms(self, input, target, weight)
            }
        }

        $crate::common::binary_loss_api!($loss, raw);
    };
}
pub(crate) use elementwise_loss_api;

thread_local! {
    static TRUSTED_INPUTS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Skips (`true`) or runs (`false`, the default) the input checks that read tensor values back
/// to the host, for the losses computed on this thread; returns the previous setting.
///
/// Those checks (class indices in `[0, C)`, targets and probabilities in `[0, 1]`, labels `±1`,
/// …) each cost one device sync, which on a GPU stalls the queue between the forward and the
/// backward; a training loop whose data pipeline already guarantees valid values can switch
/// them off. Shape, rank, length and dtype checks, which read no values, always run. With the
/// checks off, an invalid value is not reported: the loss returns a wrong value, NaN, or fails
/// inside burn, as a plain tensor expression would. The check is per thread (set it on the
/// thread that calls the loss, e.g. the one running burn-train's `fit`).
pub fn set_trusted_inputs(trusted: bool) -> bool {
    TRUSTED_INPUTS.with(|flag| flag.replace(trusted))
}

/// Whether the value checks are off on this thread (see [`set_trusted_inputs`]).
pub fn trusted_inputs() -> bool {
    TRUSTED_INPUTS.with(std::cell::Cell::get)
}

/// A tensor argument must hold at least one element: burn cannot reshape an empty tensor to a
/// shape with a zero dimension (a `0` there means "keep this dimension"), so an empty batch is
/// refused here with a clear error rather than failing inside burn. (PyTorch returns NaN for the
/// mean of an empty batch; no loss has a useful value for one.)
pub(crate) fn check_non_empty<K: crate::dynamic::DynKind>(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<K>,
) -> LossResult<()> {
    if t.numel() == 0 {
        return Err(LossError::input(
            loss,
            argument,
            "a non-empty tensor (an empty batch has no loss)",
            format!("shape {}", fmt_shape(&t.shape)),
        ));
    }
    Ok(())
}

/// Reads back `[min, max]` of a float tensor (one device sync).
pub(crate) fn float_min_max(t: &Tensor<1, Float>) -> (f64, f64) {
    let both = Tensor::cat(vec![t.clone().min(), t.clone().max()], 0);
    let v: Vec<f64> = both.into_data().iter::<f64>().collect();
    (v[0], v[1])
}

/// Reads back `[min, max]` of an integer tensor (one device sync).
pub(crate) fn int_min_max(t: &Tensor<1, Int>) -> (i64, i64) {
    let both = Tensor::cat(vec![t.clone().min(), t.clone().max()], 0);
    let v: Vec<i64> = both.into_data().iter::<i64>().collect();
    (v[0], v[1])
}

/// Checks that every element of `t` lies in `[lo, hi]` (NaN fails too).
pub(crate) fn check_float_range(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<Float>,
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if t.numel() == 0 || trusted_inputs() {
        return Ok(());
    }
    let (min, max) = float_min_max(&t.flat);
    range_result(loss, argument, min, max, lo, hi, what)
}

/// [`check_float_range`] on host values (what the fused kernels read anyway): the same check,
/// the same message, no device work.
pub(crate) fn check_host_range(
    loss: &'static str,
    argument: &str,
    values: &[f32],
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if values.is_empty() || trusted_inputs() {
        return Ok(());
    }
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    let mut nan = false;
    for block in values.chunks(1024) {
        // lane-wise, so that the loop vectorises
        let mut lanes_min = [f32::INFINITY; 8];
        let mut lanes_max = [f32::NEG_INFINITY; 8];
        let mut eights = block.chunks_exact(8);
        for eight in &mut eights {
            for ((lo, hi), &v) in lanes_min.iter_mut().zip(lanes_max.iter_mut()).zip(eight) {
                nan |= v.is_nan();
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        for &v in eights.remainder() {
            nan |= v.is_nan();
            min = min.min(v);
            max = max.max(v);
        }
        min = lanes_min.iter().copied().fold(min, f32::min);
        max = lanes_max.iter().copied().fold(max, f32::max);
    }
    if nan {
        (min, max) = (f32::NAN, f32::NAN);
    }
    range_result(loss, argument, min as f64, max as f64, lo, hi, what)
}

/// `Ok` when `[min, max]` lies in `[lo, hi]` (NaN fails), else the error of the range checks.
fn range_result(
    loss: &'static str,
    argument: &str,
    min: f64,
    max: f64,
    lo: f64,
    hi: f64,
    what: &str,
) -> LossResult<()> {
    if min >= lo && max <= hi {
        Ok(())
    } else {
        Err(LossError::input(
            loss,
            argument,
            format!("{what} in [{lo}, {hi}]"),
            format!("values in [{min}, {max}]"),
        ))
    }
}

/// A float argument must have the float dtype of `input` (burn does not mix dtypes in one op).
pub(crate) fn check_same_dtype(
    loss: &'static str,
    argument: &str,
    tensor: Option<&DynTensor<Float>>,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    if let Some(t) = tensor
        && t.flat.dtype() != input.flat.dtype()
    {
        return Err(LossError::input(
            loss,
            argument,
            format!("dtype {:?} (the dtype of `input`)", input.flat.dtype()),
            format!("dtype {:?}", t.flat.dtype()),
        ));
    }
    Ok(())
}

/// Checks an optional per-sample weight: shape `[N]` (the batch size of `input`) and the dtype
/// of `input`.
pub(crate) fn check_sample_weight(
    loss: &'static str,
    weight: Option<&DynTensor<Float>>,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    let batch = input.shape[0];
    if let Some(w) = weight
        && w.shape != [batch]
    {
        return Err(LossError::input(
            loss,
            "weight",
            format!("per-sample weights of shape [{batch}] (the batch size)"),
            format!("shape {}", fmt_shape(&w.shape)),
        ));
    }
    check_same_dtype(loss, "weight", weight, input)
}

/// Every (non-ignored) class index of `t` must lie in `[0, C)`; `ignore` is named in the message
/// (the caller has already pointed ignored positions at a valid class).
pub(crate) fn check_class_indices(
    loss: &'static str,
    t: &Tensor<2, Int>,
    c: usize,
    ignore: Option<i64>,
) -> LossResult<()> {
    if t.shape().num_elements() == 0 || trusted_inputs() {
        return Ok(());
    }
    let (min, max) = int_min_max(&t.clone().flatten(0, 1));
    if min < 0 || max >= c as i64 {
        let ignore = match ignore {
            Some(i) => format!(" (or ignore_index {i})"),
            None => String::new(),
        };
        return Err(LossError::input(
            loss,
            "target",
            format!("class indices in [0, {c}){ignore}"),
            format!("indices in [{min}, {max}]"),
        ));
    }
    Ok(())
}

/// Class indices `[N, S]` with an `ignore_index`: the ignored positions are pointed at class 0
/// (so that gathers and one-hot encodings stay in range) and returned as the mask of the kept
/// positions (`None` without an `ignore_index`); every other index must lie in `[0, classes)`.
pub(crate) fn class_indices_without_ignored(
    loss: &'static str,
    t: Tensor<2, Int>,
    classes: usize,
    ignore: Option<i64>,
) -> LossResult<(Tensor<2, Int>, Option<Tensor<2, burn::tensor::Bool>>)> {
    let valid = ignore.map(|ignore| t.clone().not_equal_elem(ignore));
    let t = match &valid {
        Some(valid) => t.mask_fill(valid.clone().bool_not(), 0),
        None => t,
    };
    check_class_indices(loss, &t, classes, ignore)?;
    Ok((t, valid))
}

/// With `from_logits = false`, `input` must hold probabilities in `[0, 1]`.
pub(crate) fn check_probability_input(
    loss: &'static str,
    from_logits: bool,
    input: &DynTensor<Float>,
) -> LossResult<()> {
    if from_logits {
        return Ok(());
    }
    check_float_range(
        loss,
        "input",
        input,
        0.0,
        1.0,
        "probabilities (from_logits = false)",
    )
}

/// The checks of every loss called as `(input, target, weight)` on one shape: `input` of rank
/// >= 1, `target` of the same shape and dtype, per-sample `weight [N]`.
pub(crate) fn check_same_shape_inputs(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
) -> LossResult<()> {
    check_rank_at_least_1(loss, "input", input)?;
    check_target_shape(loss, input, target)?;
    check_sample_weight(loss, weight, input)?;
    check_same_dtype(loss, "target", Some(target), input)
}

/// A tensor argument must not be a scalar (its dim 0 is the batch).
pub(crate) fn check_rank_at_least_1(
    loss: &'static str,
    argument: &str,
    t: &DynTensor<Float>,
) -> LossResult<()> {
    if t.shape.is_empty() {
        return Err(LossError::input(
            loss,
            argument,
            "a tensor of rank >= 1",
            "a scalar",
        ));
    }
    Ok(())
}

/// The checks of every binary / multi-label loss called as `(input, target, weight)`: those of
/// [`check_same_shape_inputs`], target values in `[0, 1]`, probabilities in `[0, 1]` when
/// `from_logits = false`.
pub(crate) fn check_binary_inputs(
    loss: &'static str,
    input: &DynTensor<Float>,
    target: &DynTensor<Float>,
    weight: Option<&DynTensor<Float>>,
    from_logits: bool,
) -> LossResult<()> {
    check_same_shape_inputs(loss, input, target, weight)?;
    check_float_range(loss, "target", target, 0.0, 1.0, BINARY_TARGETS)?;
    check_probability_input(loss, from_logits, input)
}

/// What the binary losses' `target` must hold (the range checks' wording).
pub(crate) const BINARY_TARGETS: &str = "target probabilities";

/// Binary label smoothing `y ← y·(1 − s) + s/2` (Keras); `y` unchanged for `s = 0`.
pub(crate) fn smooth_binary_target<const D: usize>(y: Tensor<D>, smoothing: f64) -> Tensor<D> {
    if smoothing > 0.0 {
        y * (1.0 - smoothing) + 0.5 * smoothing
    } else {
        y
    }
}

/// `(log p, log(1 − p))` of a binary input: from logits `(log_sigmoid(x), log_sigmoid(−x))`
/// (exact, no clipping); from probabilities (`from_logits = false`) the logarithms of `p`
/// clipped to `[epsilon, 1 − epsilon]` (Keras).
pub(crate) fn binary_log_likelihoods<const D: usize>(
    x: Tensor<D>,
    from_logits: bool,
    epsilon: f64,
) -> (Tensor<D>, Tensor<D>) {
    if from_logits {
        (log_sigmoid(x.clone()), log_sigmoid(x.neg()))
    } else {
        let clipped = x.clamp(epsilon, 1.0 - epsilon);
        (clipped.clone().log(), (clipped.neg() + 1.0).log())
    }
}

/// `[N, C]`: `true` where column `c` is the class index of row `n` (indices `[N]`). Any `C ≥ 1`
/// (burn's `one_hot` refuses `C < 2`).
pub(crate) fn one_hot_mask(t: Tensor<1, Int>, c: usize) -> Tensor<2, burn::tensor::Bool> {
    let [n] = t.dims();
    let classes = Tensor::<1, Int>::arange(0..c as i64, &t.device())
        .reshape([1, c])
        .expand([n, c]);
    t.reshape([n, 1]).expand([n, c]).equal(classes)
}

/// [`one_hot_mask`] as 0 / 1 in `dtype`.
pub(crate) fn one_hot(t: Tensor<1, Int>, c: usize, dtype: burn::tensor::DType) -> Tensor<2> {
    one_hot_mask(t, c).float().cast(dtype)
}

/// One-hot `[N, C]` float targets of class indices `[N]`, in the dtype of `input [N, C]`: the
/// multi-label view of a multiclass problem that the binary losses train on ([`one_hot`]: `C = 1`
/// is a valid, trivial problem here — one output logit; PML's ArcFace with one class scores 0).
pub(crate) fn one_hot_like(input: &Tensor<2>, targets: Tensor<1, Int>) -> Tensor<2> {
    let [_, c] = input.dims();
    one_hot(targets, c, input.dtype())
}

/// One-hot `[N, C, S]` floats of class indices `[N, S]` (all in `[0, C)`), in `dtype`.
pub(crate) fn one_hot_classes(t: Tensor<2, Int>, c: usize, dtype: burn::tensor::DType) -> Tensor<3> {
    let [n, s] = t.dims();
    one_hot(t.reshape([n * s]), c, dtype)
        .reshape([n, s, c])
        .swap_dims(1, 2)
}

/// Per-sample weights `[N]` broadcast to `[N, M]`.
pub(crate) fn sample_weight_2d(weight: Option<&DynTensor<Float>>, n: usize, m: usize) -> Option<Tensor<2>> {
    weight.map(|w| w.view([n, 1]).expand([n, m]))
}

/// `log σ(x)` with a gradient that is accurate to f32 rounding on every backend.
///
/// Same value as burn's `activation::log_sigmoid`; the derivative `σ(−x)` is formed without the cancellation
/// `1 − σ(x)` that some backends' `log_sigmoid` backward has for large `x` (measured: flex differed
/// from ndarray / wgpu / tch by 2.4e-5 relative). For `x ≥ 0`: `−log1p(exp(−x))`; for `x < 0`:
/// `x − log1p(exp(x))`, each branch fed only its own half of the inputs so nothing overflows.
pub fn log_sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let negative = x.clone().lower_elem(0.0);
    let x_pos = x.clone().mask_fill(negative.clone(), 0.0);
    let x_neg = x.clone().mask_fill(negative.clone().bool_not(), 0.0);
    let upper = x_pos.neg().exp().log1p().neg();
    let lower = x_neg.clone() - x_neg.exp().log1p();
    upper.mask_where(negative, lower)
}

/// `σ(x)` as `exp(log σ(x))`: the same value as burn's `sigmoid`, with a backward pass
/// `σ(x)·σ(−x)` that has no `1 − σ(x)` cancellation, so that every backend agrees to f32 rounding
/// (smp computes its probabilities as `logsigmoid(x).exp()` for the same reason).
pub(crate) fn stable_sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    log_sigmoid(x).exp()
}

/// Softmax over `dim` as `exp(log_softmax(x))` (smp's form), for the same cross-backend
/// agreement of the gradient.
pub(crate) fn stable_softmax<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    burn::tensor::activation::log_softmax(x, dim).exp()
}

/// Reduces element losses to what the named-argument form returns: the unreduced values with
/// their logical `shape` for `"none"`, a scalar (shape `[]`) for `"mean"` / `"sum"`.
pub(crate) fn reduce_to_dyn(
    terms: crate::ElementLoss<2>,
    shape: Vec<usize>,
    reduction: crate::Reduction,
) -> DynTensor {
    reduced_to_dyn(terms.reduce(reduction), shape, reduction)
}

/// A loss already reduced with `reduction` as a [`DynTensor`]: the unreduced `shape` for
/// `"none"`, a scalar otherwise.
pub(crate) fn reduced_to_dyn(loss: Tensor<1>, shape: Vec<usize>, reduction: crate::Reduction) -> DynTensor {
    match reduction {
        crate::Reduction::None => DynTensor::new(loss, shape),
        crate::Reduction::Mean | crate::Reduction::Sum => DynTensor::new(loss, vec![]),
    }
}

/// The shared `forward` machinery of losses called as `(input, target, optional weight)`.
///
/// A loss implements [`element_loss`](Self::element_loss) once, on rank-erased tensors; the typed
/// `forward` / `try_forward` / `forward_no_reduction` and the named-argument `forward_inputs` of
/// every such loss are the provided methods below.
pub(crate) trait InputTargetLoss {
    /// snake_case loss name used in messages.
    const NAME: &'static str;
    /// `Float` (binary targets) or `Int` (class indices).
    type Target: crate::dynamic::DynKind;

    /// The configured reduction.
    fn reduction(&self) -> crate::Reduction;

    /// Checks the inputs and builds the element losses; also returns the logical shape of the
    /// unreduced output.
    fn element_loss(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
    ) -> LossResult<(crate::ElementLoss<2>, Vec<usize>)>;

    /// Reads the `target` argument of the right kind.
    fn target_argument(inputs: &crate::LossInputs) -> LossResult<DynTensor<Self::Target>>;

    /// The loss by a [fused kernel](crate::fused), checks included, when one applies to these
    /// inputs: flat `[numel]` for `"none"`, `[1]` otherwise, with the logical shape of the
    /// unreduced loss. `None` (the default): the composed [`element_loss`](Self::element_loss)
    /// path.
    fn fused_loss(
        &self,
        _input: &DynTensor<Float>,
        _target: &DynTensor<Self::Target>,
        _weight: Option<&DynTensor<Float>>,
        _reduction: crate::Reduction,
    ) -> Option<LossResult<(Tensor<1>, Vec<usize>)>> {
        None
    }

    /// The loss with `reduction`, fused or composed, and the logical shape of the unreduced loss.
    fn loss_with(
        &self,
        input: &DynTensor<Float>,
        target: &DynTensor<Self::Target>,
        weight: Option<&DynTensor<Float>>,
        reduction: crate::Reduction,
    ) -> LossResult<(Tensor<1>, Vec<usize>)> {
        check_non_empty(Self::NAME, "input", input)?;
        check_non_empty(Self::NAME, "target", target)?;
        if let Some(fused) = self.fused_loss(input, target, weight, reduction) {
            return fused;
        }
        let (terms, shape) = self.element_loss(input, target, weight)?;
        Ok((terms.reduce(reduction), shape))
    }

    fn try_forward_typed<const D: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        weight: Option<Tensor<1>>,
    ) -> LossResult<Tensor<1>> {
        let (loss, _) = self.loss_with(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            weight.map(DynTensor::from_tensor).as_ref(),
            self.reduction(),
        )?;
        Ok(loss)
    }

    fn forward_no_reduction_typed<const D: usize, const DO: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        out_dims: [usize; DO],
    ) -> LossResult<Tensor<DO>> {
        let (loss, _) = self.loss_with(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            None,
            crate::Reduction::None,
        )?;
        Ok(loss.reshape(out_dims))
    }

    fn forward_named(&self, inputs: &crate::LossInputs) -> LossResult<DynTensor> {
        inputs.only(Self::NAME, &["input", "target", "weight"])?;
        let input = inputs.float(Self::NAME, "input")?;
        let target = Self::target_argument(inputs)?;
        let weight = inputs.float_opt("weight")?;
        let reduction = self.reduction();
        let (loss, shape) = self.loss_with(&input, &target, weight.as_ref(), reduction)?;
        Ok(reduced_to_dyn(loss, shape, reduction))
    }
}

/// `[N, spatial…]`: the shape of the class-index target of an input `[N, C, spatial…]`.
pub(crate) fn pixel_shape(input_shape: &[usize]) -> Vec<usize> {
    std::iter::once(input_shape[0])
        .chain(input_shape[2..].iter().copied())
        .collect()
}

/// Class-index targets of an input `[N, C, spatial…]` must have shape `[N, spatial…]`;
/// `alternative` (e.g. ", or probabilities …") is added to the expectation.
pub(crate) fn check_class_target_shape(
    loss: &'static str,
    input_shape: &[usize],
    target_shape: &[usize],
    alternative: &str,
) -> LossResult<()> {
    let expected = pixel_shape(input_shape);
    if target_shape == expected.as_slice() {
        return Ok(());
    }
    Err(LossError::input(
        loss,
        "target",
        format!(
            "class indices of shape {} (input shape {} without the class dim 1){alternative}",
            fmt_shape(&expected),
            fmt_shape(input_shape)
        ),
        fmt_shape(target_shape),
    ))
}

/// One-hot `[N, C, spatial…]` floats (dtype of `input`) of class indices `[N, spatial…]`.
pub(crate) fn one_hot_target(
    name: &'static str,
    input: &DynTensor,
    target: &DynTensor<Int>,
) -> LossResult<DynTensor> {
    if input.shape.len() < 2 {
        return Err(LossError::input(
            name,
            "input",
            "shape [N, C, spatial...] to one-hot the class-index target",
            fmt_shape(&input.shape),
        ));
    }
    let (n, c) = (input.shape[0], input.shape[1]);
    check_class_target_shape(name, &input.shape, &target.shape, "")?;
    let s = target.numel().checked_div(n).unwrap_or(0);
    let t = target.view([n, s]);
    check_class_indices(name, &t, c, None)?;
    let one_hot = one_hot_classes(t, c, input.flat.dtype());
    Ok(DynTensor::new(one_hot.reshape([n * c * s]), input.shape.clone()))
}
