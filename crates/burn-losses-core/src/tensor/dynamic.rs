//! Rank-erased tensors: how the config-driven [`Loss`](crate::Loss), the CLI and the test
//! harness call a loss whose input rank is only known at run time.
//!
//! A [`DynTensor`] is a flat (rank-1) burn tensor plus its logical shape. Every loss has one
//! implementation written against these; the typed `forward` methods convert their
//! `Tensor<D>` arguments to this form and back, so both paths run the same code.
//!
//! # Mixed precision
//!
//! Wrapping a float tensor is also where its compute dtype is chosen ([`compute_dtype`]): `f16`
//! and `bf16` arguments are cast to `f32`, so every loss computes, and returns, `f32` for
//! half-precision inputs, as PyTorch's autocast does for its losses (they are on autocast's
//! "float32" list: `binary_cross_entropy_with_logits`, `nll_loss`, `mse_loss`, …). The cast is
//! an autodiff op, so the gradient reaching a half-precision input comes back in that input's
//! dtype. `f32` and `f64` tensors are used as they are.

use std::collections::BTreeMap;

use burn::tensor::kind::Basic;
use burn::tensor::{Bool, DType, Float, Int, Tensor};

use crate::error::{LossError, LossResult, fmt_shape};

/// A flat tensor with its logical shape.
#[derive(Debug, Clone)]
pub struct DynTensor<K: Basic = Float> {
    /// The elements, row-major.
    pub flat: Tensor<1, K>,
    /// The logical shape (empty for a scalar).
    pub shape: Vec<usize>,
}

/// The dtype a loss computes in for a float argument of `dtype`: `f32` for `f16` / `bf16`
/// (see [Mixed precision](crate#mixed-precision)), `dtype` itself otherwise.
pub fn compute_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        other => other,
    }
}

/// A tensor kind a [`DynTensor`] holds; float tensors are moved to their [`compute_dtype`].
pub trait DynKind: Basic {
    /// `tensor` in the dtype the losses compute in (unchanged for integer and bool tensors).
    fn into_compute_dtype<const D: usize>(tensor: Tensor<D, Self>) -> Tensor<D, Self>;
}

impl DynKind for Float {
    fn into_compute_dtype<const D: usize>(tensor: Tensor<D, Self>) -> Tensor<D, Self> {
        let dtype = compute_dtype(tensor.dtype());
        if dtype == tensor.dtype() {
            tensor
        } else {
            tensor.cast(dtype)
        }
    }
}

impl DynKind for Int {
    fn into_compute_dtype<const D: usize>(tensor: Tensor<D, Self>) -> Tensor<D, Self> {
        tensor
    }
}

impl DynKind for Bool {
    fn into_compute_dtype<const D: usize>(tensor: Tensor<D, Self>) -> Tensor<D, Self> {
        tensor
    }
}

impl<K: DynKind> DynTensor<K> {
    /// Wraps a typed tensor (a half-precision float tensor is cast to `f32`, see
    /// [Mixed precision](crate#mixed-precision)).
    pub fn from_tensor<const D: usize>(tensor: Tensor<D, K>) -> Self {
        let shape = tensor.dims().to_vec();
        let numel: usize = shape.iter().product();
        Self {
            flat: K::into_compute_dtype(tensor.reshape([numel])),
            shape,
        }
    }

    /// Wraps a flat tensor with a logical shape (the product of `shape` must equal its length;
    /// a half-precision float tensor is cast to `f32`, see [Mixed precision](crate#mixed-precision)).
    pub fn new(flat: Tensor<1, K>, shape: Vec<usize>) -> Self {
        debug_assert_eq!(flat.dims()[0], shape.iter().product::<usize>());
        Self {
            flat: K::into_compute_dtype(flat),
            shape,
        }
    }
}

impl<K: Basic> DynTensor<K> {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Back to a typed tensor of rank `D` (the logical rank must be `D`).
    pub fn into_tensor<const D: usize>(self) -> Tensor<D, K> {
        let dims: [usize; D] = self
            .shape
            .clone()
            .try_into()
            .unwrap_or_else(|_| panic!("rank mismatch: logical shape {:?} into rank {D}", self.shape));
        self.flat.reshape(dims)
    }

    /// Reshape to a rank-`D` view with explicit `dims` (product must match).
    pub fn view<const D: usize>(&self, dims: [usize; D]) -> Tensor<D, K> {
        self.flat.clone().reshape(dims)
    }
}

/// A named float or integer input of a loss.
#[derive(Debug, Clone)]
pub enum DynInput {
    /// Float tensor (logits, probabilities, float targets, weights).
    Float(DynTensor<Float>),
    /// Integer tensor (class indices).
    Int(DynTensor<Int>),
}

impl<const D: usize> From<Tensor<D>> for DynInput {
    fn from(tensor: Tensor<D>) -> Self {
        DynInput::Float(DynTensor::from_tensor(tensor))
    }
}

impl<const D: usize> From<Tensor<D, Int>> for DynInput {
    fn from(tensor: Tensor<D, Int>) -> Self {
        DynInput::Int(DynTensor::from_tensor(tensor))
    }
}

impl DynInput {
    /// Logical shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            DynInput::Float(t) => &t.shape,
            DynInput::Int(t) => &t.shape,
        }
    }
}

/// The named arguments of one `forward` call (`input`, `target`, `weight`, …).
#[derive(Debug, Clone, Default)]
pub struct LossInputs {
    inputs: BTreeMap<String, DynInput>,
}

impl LossInputs {
    /// No inputs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a float argument.
    pub fn with_float<const D: usize>(mut self, name: &str, tensor: Tensor<D>) -> Self {
        self.insert(name, DynInput::Float(DynTensor::from_tensor(tensor)));
        self
    }

    /// Adds (or replaces) an integer argument.
    pub fn with_int<const D: usize>(mut self, name: &str, tensor: Tensor<D, Int>) -> Self {
        self.insert(name, DynInput::Int(DynTensor::from_tensor(tensor)));
        self
    }

    /// Adds (or replaces) an argument.
    pub fn insert(&mut self, name: &str, input: DynInput) {
        self.inputs.insert(name.to_string(), input);
    }

    /// The argument names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inputs.keys().map(String::as_str)
    }

    /// Whether an argument called `name` was given.
    pub fn contains(&self, name: &str) -> bool {
        self.inputs.contains_key(name)
    }

    /// Checks that no argument outside `allowed` was given.
    pub fn only(&self, loss: &'static str, allowed: &[&str]) -> LossResult<()> {
        for name in self.names() {
            if !allowed.contains(&name) {
                return Err(LossError::input(
                    loss,
                    name,
                    format!("one of the arguments {allowed:?}"),
                    format!("unknown argument `{name}`"),
                ));
            }
        }
        Ok(())
    }

    /// A required float argument.
    pub fn float(&self, loss: &'static str, name: &str) -> LossResult<DynTensor<Float>> {
        match self.float_opt(name)? {
            Some(t) => {
                crate::tensor::dynamic::check_non_empty(loss, name, &t)?;
                Ok(t)
            }
            None => Err(LossError::input(
                loss,
                name,
                "a float tensor",
                "nothing (missing argument)",
            )),
        }
    }

    /// An optional float argument (an integer argument is converted to float).
    pub fn float_opt(&self, name: &str) -> LossResult<Option<DynTensor<Float>>> {
        match self.inputs.get(name) {
            None => Ok(None),
            Some(DynInput::Float(t)) => Ok(Some(t.clone())),
            // Integers where floats are expected (e.g. 0/1 targets written as JSON integers) are
            // converted, to the (compute) dtype of the float arguments (f64 stays f64); this is
            // lossless for the values a loss sees.
            Some(DynInput::Int(t)) => {
                let mut flat = t.flat.clone().float();
                if let Some(dtype) = self.float_dtype()
                    && dtype != flat.dtype()
                {
                    flat = flat.cast(dtype);
                }
                Ok(Some(DynTensor::new(flat, t.shape.clone())))
            }
        }
    }

    /// The dtype of the float arguments (the first one's), if there is one.
    fn float_dtype(&self) -> Option<DType> {
        self.inputs.values().find_map(|input| match input {
            DynInput::Float(t) => Some(t.flat.dtype()),
            DynInput::Int(_) => None,
        })
    }

    /// A required argument of either kind.
    pub fn get(&self, loss: &'static str, name: &str) -> LossResult<&DynInput> {
        let input = self
            .inputs
            .get(name)
            .ok_or_else(|| LossError::input(loss, name, "a tensor", "nothing (missing argument)"))?;
        match input {
            DynInput::Float(t) => crate::tensor::dynamic::check_non_empty(loss, name, t)?,
            DynInput::Int(t) => crate::tensor::dynamic::check_non_empty(loss, name, t)?,
        }
        Ok(input)
    }

    /// An optional float argument `name` that an older spelling `old` also names (see the
    /// crate's glossary); giving both is an error naming `name`.
    pub fn float_opt_aliased(
        &self,
        loss: &'static str,
        name: &str,
        old: &str,
    ) -> LossResult<Option<DynTensor<Float>>> {
        match (self.contains(name), self.contains(old)) {
            (true, true) => Err(LossError::input(
                loss,
                name,
                format!("`{name}` or its older spelling `{old}`, not both"),
                "both",
            )),
            (false, true) => self.float_opt(old),
            _ => self.float_opt(name),
        }
    }

    /// A required integer argument.
    pub fn int(&self, loss: &'static str, name: &str) -> LossResult<DynTensor<Int>> {
        match self.inputs.get(name) {
            None => Err(LossError::input(
                loss,
                name,
                "an integer tensor",
                "nothing (missing argument)",
            )),
            Some(DynInput::Int(t)) => {
                crate::tensor::dynamic::check_non_empty(loss, name, t)?;
                Ok(t.clone())
            }
            Some(DynInput::Float(t)) => Err(LossError::input(
                loss,
                name,
                "an integer tensor of class indices",
                format!("a float tensor of shape {}", fmt_shape(&t.shape)),
            )),
        }
    }
}

/// A tensor argument must hold at least one element: burn cannot reshape an empty tensor to a
/// shape with a zero dimension (a `0` there means "keep this dimension"), so an empty batch is
/// refused here with a clear error rather than failing inside burn. (PyTorch returns NaN for the
/// mean of an empty batch; no loss has a useful value for one.)
pub(crate) fn check_non_empty<K: DynKind>(
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
