//! JSON evaluation of any loss: `{"loss": <LossConfig>, "inputs": {...}, "grad": true}` in,
//! `{"loss": ..., "grad": {...}}` out.
//!
//! The `burn-losses eval` command and the reference-fixture tests both run through
//! [`eval_request`], so a fixture that passes in the tests passes through the CLI too.
//! Integer JSON arrays become `Int` tensors (class indices); anything else becomes `f32`. An
//! integer array given where the loss wants floats is converted (a constant: write `1.0`, not
//! `1`, for an input whose gradient you want). `grad` is the gradient of the sum of the loss
//! output with respect to each float input.
//!
//! `"dtype"` (default `"f32"`; `"f16"`, `"bf16"`, `"f64"`) is the dtype of the float inputs, for
//! checking a loss in the precision a model trains in: half-precision inputs are computed in
//! `f32` (see `burn_losses::dynamic`'s "Mixed precision"), their gradients come back in the
//! input's dtype and are written here as the numbers they hold. A dtype the device does not
//! support is an error naming both.

use std::collections::BTreeMap;

use burn::tensor::{DType, Device, Int, Tensor, TensorCreationOptions, TensorData};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use burn_losses_core::{DynInput, DynTensor, Loss, LossConfig, LossInputs};

/// The request read by `burn-losses eval`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalRequest {
    /// The loss and its options.
    pub loss: LossConfig,
    /// Forward arguments by name (`input`, `target`, `weight`, …) as nested arrays.
    pub inputs: BTreeMap<String, Value>,
    /// Whether to return input gradients.
    #[serde(default)]
    pub grad: bool,
    /// The dtype of the float inputs (default `f32`).
    #[serde(default, skip_serializing_if = "InputDtype::is_default")]
    pub dtype: InputDtype,
}

/// The dtype of a request's float inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputDtype {
    /// 32-bit float (the default).
    #[default]
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
    /// 64-bit float.
    F64,
}

impl InputDtype {
    /// The burn dtype.
    pub fn dtype(self) -> DType {
        match self {
            InputDtype::F32 => DType::F32,
            InputDtype::F16 => DType::F16,
            InputDtype::Bf16 => DType::BF16,
            InputDtype::F64 => DType::F64,
        }
    }

    fn is_default(&self) -> bool {
        *self == InputDtype::F32
    }
}

/// The answer: the loss (a number for `mean`/`sum`, a nested array for `none`) and, when asked,
/// the gradient of its sum with respect to each float input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalResponse {
    /// Loss value(s).
    pub loss: Value,
    /// Input gradients by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad: Option<BTreeMap<String, Value>>,
}

/// A parsed nested JSON array.
struct Parsed {
    shape: Vec<usize>,
    floats: Vec<f64>,
    all_integers: bool,
}

fn parse_nested(name: &str, value: &Value) -> Result<Parsed, String> {
    fn shape_of(v: &Value) -> Vec<usize> {
        match v {
            Value::Array(items) => {
                let mut s = vec![items.len()];
                if let Some(first) = items.first() {
                    s.extend(shape_of(first));
                }
                s
            }
            _ => vec![],
        }
    }
    fn walk(name: &str, v: &Value, shape: &[usize], out: &mut Parsed) -> Result<(), String> {
        match (v, shape.split_first()) {
            (Value::Array(items), Some((&len, rest))) if items.len() == len => {
                items.iter().try_for_each(|item| walk(name, item, rest, out))
            }
            (Value::Number(n), None) => {
                out.all_integers &= n.is_i64() || n.is_u64();
                out.floats.push(
                    n.as_f64()
                        .ok_or_else(|| format!("input `{name}`: {n} is not a number"))?,
                );
                Ok(())
            }
            _ => Err(format!(
                "input `{name}`: expected a rectangular nested array of numbers of shape {:?}",
                out.shape
            )),
        }
    }
    let shape = shape_of(value);
    let mut parsed = Parsed {
        shape: shape.clone(),
        floats: Vec::new(),
        all_integers: true,
    };
    walk(name, value, &shape, &mut parsed)?;
    Ok(parsed)
}

/// A number [`nest`] writes as a JSON leaf: floats (NaN / ±inf spelled as strings, since JSON has
/// none, so nothing is silently lost) and integers (class indices stay JSON integers).
pub trait JsonLeaf: Copy {
    /// The JSON value of this number.
    fn to_json(self) -> Value;
}

impl JsonLeaf for f64 {
    fn to_json(self) -> Value {
        serde_json::Number::from_f64(self)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(format!("{self}")))
    }
}

impl JsonLeaf for f32 {
    fn to_json(self) -> Value {
        (self as f64).to_json()
    }
}

impl JsonLeaf for i64 {
    fn to_json(self) -> Value {
        Value::from(self)
    }
}

/// Nests a flat row-major vector into JSON arrays of `shape` (a bare number for `[]`).
pub fn nest<T: JsonLeaf>(values: &[T], shape: &[usize]) -> Value {
    match shape.split_first() {
        None => values[0].to_json(),
        Some((&len, rest)) => {
            let stride: usize = rest.iter().product();
            Value::Array(
                (0..len)
                    .map(|i| nest(&values[i * stride..(i + 1) * stride], rest))
                    .collect(),
            )
        }
    }
}

fn to_values(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// Runs one request on `device` (the autodiff device is derived from it when `grad` is asked).
pub fn eval_request(request: &EvalRequest, device: &Device) -> Result<EvalResponse, String> {
    let loss = request.loss.try_init(device).map_err(|e| e.to_string())?;
    eval_inputs_as(&loss, &request.inputs, request.grad, request.dtype, device)
}

/// Runs an already built `loss` on JSON `inputs` (nested arrays by argument name): what
/// [`eval_request`] does after `try_init`, for a loss whose state carries over calls (GHM's EMA).
pub fn eval_inputs(
    loss: &Loss,
    json_inputs: &BTreeMap<String, Value>,
    grad: bool,
    device: &Device,
) -> Result<EvalResponse, String> {
    eval_inputs_as(loss, json_inputs, grad, InputDtype::F32, device)
}

/// [`eval_inputs`] with the float inputs in `dtype`.
pub fn eval_inputs_as(
    loss: &Loss,
    json_inputs: &BTreeMap<String, Value>,
    grad: bool,
    dtype: InputDtype,
    device: &Device,
) -> Result<EvalResponse, String> {
    if !device.supports_dtype(dtype.dtype()) {
        return Err(format!(
            "dtype: {:?} is not supported on device {device:?} (expected a dtype the device supports)",
            dtype.dtype()
        ));
    }
    let device = if grad {
        device.clone().autodiff()
    } else {
        device.clone()
    };
    let mut inputs = LossInputs::new();
    let mut leaves: Vec<(String, DynTensor)> = Vec::new();
    for (name, value) in json_inputs {
        let parsed = parse_nested(name, value)?;
        let numel = parsed.floats.len();
        let input = if parsed.all_integers && !parsed.floats.is_empty() {
            // class indices and labels: every backend's int dtype holds i32 (flex's is i32)
            let (lo, hi) = (i32::MIN as f64, i32::MAX as f64);
            if let Some(&bad) = parsed.floats.iter().find(|&&x| !(lo..=hi).contains(&x)) {
                return Err(format!(
                    "input `{name}`: expected integers in [{lo}, {hi}] (class indices, labels), got {bad}"
                ));
            }
            let ints: Vec<i64> = parsed.floats.iter().map(|&x| x as i64).collect();
            DynInput::Int(DynTensor::new(
                Tensor::<1, Int>::from_data(TensorData::new(ints, [numel]), &device),
                parsed.shape,
            ))
        } else {
            let mut flat = if dtype == InputDtype::F32 {
                let floats: Vec<f32> = parsed.floats.iter().map(|&x| x as f32).collect();
                Tensor::<1>::from_data(TensorData::new(floats, [numel]), &device)
            } else {
                let options = TensorCreationOptions::new(device.clone()).with_dtype(dtype.dtype());
                Tensor::<1>::from_data(TensorData::new(parsed.floats, [numel]), options)
            };
            if grad {
                flat = flat.require_grad();
            }
            if grad {
                // the leaf itself, in its dtype (the loss's argument is its f32 cast for half
                // precision, see `DynTensor::new`)
                let leaf = DynTensor {
                    flat: flat.clone(),
                    shape: parsed.shape.clone(),
                };
                leaves.push((name.clone(), leaf));
            }
            DynInput::Float(DynTensor::new(flat, parsed.shape))
        };
        inputs.insert(name, input);
    }
    let out = loss.forward_inputs(&inputs).map_err(|e| e.to_string())?;
    let grad = if grad && !out.flat.is_tracked() {
        // No float input reaches the loss (e.g. every array written as integers: those are
        // class indices or converted constants): the gradient of each float input is zero.
        Some(
            leaves
                .iter()
                .map(|(name, leaf)| (name.clone(), nest(&vec![0.0; leaf.numel()], &leaf.shape)))
                .collect(),
        )
    } else if grad {
        let grads = out.flat.clone().sum().backward();
        let mut map = BTreeMap::new();
        for (name, leaf) in &leaves {
            // A float input that the loss converts to integers, or does not use, has no gradient.
            let g = leaf
                .flat
                .grad(&grads)
                .map(to_values)
                .unwrap_or_else(|| vec![0.0; leaf.numel()]);
            map.insert(name.clone(), nest(&g, &leaf.shape));
        }
        Some(map)
    } else {
        None
    };
    let values = to_values(out.flat);
    Ok(EvalResponse {
        loss: nest(&values, &out.shape),
        grad,
    })
}
