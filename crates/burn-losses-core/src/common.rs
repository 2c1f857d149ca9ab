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
    if t.numel() == 0 {
        return Ok(());
    }
    let (min, max) = float_min_max(&t.flat);
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

/// The shared `forward` machinery of losses called as `(input, target, optional weight)`.
///
/// A loss implements [`element_loss`](Self::element_loss) once, on rank-erased tensors; the typed
/// `forward` / `try_forward` / `forward_no_reduction` and the named-argument `forward_inputs` of
/// every such loss are the provided methods below.
pub(crate) trait InputTargetLoss {
    /// snake_case loss name used in messages.
    const NAME: &'static str;
    /// `Float` (binary targets) or `Int` (class indices).
    type Target: burn::tensor::kind::Basic;

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

    fn try_forward_typed<const D: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        weight: Option<Tensor<1>>,
    ) -> LossResult<Tensor<1>> {
        let (terms, _) = self.element_loss(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            weight.map(DynTensor::from_tensor).as_ref(),
        )?;
        Ok(terms.reduce(self.reduction()))
    }

    fn forward_no_reduction_typed<const D: usize, const DO: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Self::Target>,
        out_dims: [usize; DO],
    ) -> LossResult<Tensor<DO>> {
        let (terms, _) = self.element_loss(
            &DynTensor::from_tensor(input),
            &DynTensor::from_tensor(target),
            None,
        )?;
        Ok(terms.unreduced().reshape(out_dims))
    }

    fn forward_named(&self, inputs: &crate::LossInputs) -> LossResult<DynTensor> {
        inputs.only(Self::NAME, &["input", "target", "weight"])?;
        let input = inputs.float(Self::NAME, "input")?;
        let target = Self::target_argument(inputs)?;
        let weight = inputs.float_opt("weight")?;
        let (terms, shape) = self.element_loss(&input, &target, weight.as_ref())?;
        let reduction = self.reduction();
        let out = terms.reduce(reduction);
        Ok(match reduction {
            crate::Reduction::None => DynTensor::new(out, shape),
            crate::Reduction::Mean | crate::Reduction::Sum => DynTensor::new(out, vec![]),
        })
    }
}
