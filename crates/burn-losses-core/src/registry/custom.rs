//! User-defined losses: write a loss as a function, a function with parameters, or a struct, give
//! it a name, and it works everywhere a built-in loss does — [`LossConfig`](crate::LossConfig)
//! by name with its parameters from JSON / TOML, the Learner adapters, `sum` composites, `eval`
//! (and the CLI in a binary that registers it), the plots.
//!
//! The three ways of the TensorFlow 2 guide (Arjun Sarkar, "Creating custom loss functions using TensorFlow 2"), in Rust:
//!
//! ```
//! use burn::tensor::Tensor;
//! use burn_losses_core::custom::{self, CustomLoss};
//! use serde::{Deserialize, Serialize};
//!
//! // (1) a plain function of (input, target): one value for the batch
//! custom::register_fn("my_rmse", "RMSE as a function", |input: Tensor<2>, target: Tensor<2>| {
//!     (input - target).powi_scalar(2).mean().sqrt().reshape([1, 1])
//! });
//!
//! // (2) a "wrapper": a function of parameters that returns the loss function
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Threshold { threshold: f64 }
//! impl Default for Threshold { fn default() -> Self { Self { threshold: 1.0 } } }
//!
//! custom::register_with_params("my_huber", "Huber with a threshold", |p: Threshold| {
//!     move |input: Tensor<2>, target: Tensor<2>| {
//!         let error = (target - input).abs();
//!         let small = error.clone().lower_equal_elem(p.threshold);
//!         let big = (error.clone() - 0.5 * p.threshold) * p.threshold;
//!         big.mask_where(small, error.powi_scalar(2) * 0.5)
//!     }
//! });
//!
//! // (3) a "class": a struct whose fields are its parameters
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct MyHuberLoss { threshold: f64 }
//! impl Default for MyHuberLoss { fn default() -> Self { Self { threshold: 1.0 } } }
//! impl CustomLoss for MyHuberLoss {
//!     fn loss(&self, input: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
//!         let error = (target - input).abs();
//!         let small = error.clone().lower_equal_elem(self.threshold);
//!         let big = (error.clone() - 0.5 * self.threshold) * self.threshold;
//!         big.mask_where(small, error.powi_scalar(2) * 0.5)
//!     }
//! }
//! custom::register::<MyHuberLoss>("my_huber_class", "Huber as a struct");
//!
//! let config = burn_losses_core::LossConfig::parse(r#"{"type": "my_huber", "threshold": 2.0}"#).unwrap();
//! assert_eq!(config.name(), "my_huber");
//! ```
//!
//! # What a user loss receives and returns
//! [`CustomLoss::loss`] gets `input` and `target` as `[N, M]` tensors: dim 0 is the batch, the
//! other dimensions flattened (a target of the input's shape is required; class indices are
//! one-hot encoded first when the loss trains a classifier through the Learner adapter). It
//! returns element losses `[N, M]`, per-sample losses `[N, 1]`, or one value `[1, 1]`; the
//! framework adds the `reduction` field (`"mean"` default, `"sum"`, `"none"`) and the optional
//! per-sample `weight [N]` argument, as for the built-in losses (a `[1, 1]` value ignores both).
//! Parameters come from the config's other fields, deserialised into the registered type, so
//! `deny_unknown_fields` and defaults work as for a built-in loss. The name `reduction` is
//! reserved.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

use burn::tensor::{Int, Tensor};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult};
use crate::reduction::{ElementLoss, Reduction};
use crate::reduction::{reduce_to_dyn, sample_weight_2d};
use crate::tensor::checks::check_same_shape_inputs;
use crate::tensor::dynamic::{DynTensor, LossInputs};

/// A user-defined loss of `input` and `target` (the TensorFlow 2 custom-loss guide's "class").
pub trait CustomLoss: Send + Sync + core::fmt::Debug + 'static {
    /// The loss of `input` and `target`, both `[N, M]`: element losses `[N, M]`, per-sample
    /// losses `[N, 1]`, or one value for the batch `[1, 1]`.
    fn loss(&self, input: Tensor<2>, target: Tensor<2>) -> Tensor<2>;
}

/// A loss function `(input, target) -> loss` as a [`CustomLoss`].
struct FnLoss<F>(F);

impl<F> core::fmt::Debug for FnLoss<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FnLoss")
    }
}

impl<F> CustomLoss for FnLoss<F>
where
    F: Fn(Tensor<2>, Tensor<2>) -> Tensor<2> + Send + Sync + 'static,
{
    fn loss(&self, input: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
        (self.0)(input, target)
    }
}

type Builder = dyn Fn(serde_json::Value) -> Result<Arc<dyn CustomLoss>, String> + Send + Sync;

/// One registered loss.
struct Entry {
    name: &'static str,
    summary: &'static str,
    /// The parameters' defaults (what `list` shows).
    defaults: serde_json::Map<String, serde_json::Value>,
    build: Arc<Builder>,
}

fn registry() -> &'static RwLock<BTreeMap<String, Entry>> {
    static REGISTRY: OnceLock<RwLock<BTreeMap<String, Entry>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Registers a loss under `name` built from parameters `P` (the config's fields other than
/// `type` and `reduction`): the general form behind [`register_fn`], [`register_with_params`]
/// and [`register`]. Registering a name again replaces the earlier loss.
///
/// # Panics
/// If `name` is a built-in loss, or `P`'s defaults do not serialise to a JSON object.
pub fn register_builder<P, L>(name: &str, summary: &str, build: impl Fn(P) -> L + Send + Sync + 'static)
where
    P: DeserializeOwned + Serialize + Default,
    L: CustomLoss,
{
    assert!(
        !super::LossConfig::NAMES.contains(&name),
        "custom loss `{name}`: the name of a built-in loss"
    );
    let defaults = match serde_json::to_value(P::default()) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(serde_json::Value::Null) => serde_json::Map::new(),
        other => {
            panic!("custom loss `{name}`: its parameters must serialise to a JSON object, got {other:?}")
        }
    };
    assert!(
        !defaults.contains_key("reduction") && !defaults.contains_key("type"),
        "custom loss `{name}`: `type` and `reduction` are reserved field names"
    );
    let entry = Entry {
        name: Box::leak(name.to_string().into_boxed_str()),
        summary: Box::leak(summary.to_string().into_boxed_str()),
        defaults,
        build: Arc::new(move |params| {
            let params: P = serde_json::from_value(params).map_err(|e| e.to_string())?;
            Ok(Arc::new(build(params)) as Arc<dyn CustomLoss>)
        }),
    };
    registry()
        .write()
        .expect("custom loss registry")
        .insert(name.to_string(), entry);
}

/// Registers a loss function of `(input, target)` without parameters (the TensorFlow 2 custom-loss guide's `my_rmse`).
pub fn register_fn(
    name: &str,
    summary: &str,
    loss: impl Fn(Tensor<2>, Tensor<2>) -> Tensor<2> + Clone + Send + Sync + 'static,
) {
    register_builder(name, summary, move |_: NoParams| FnLoss(loss.clone()));
}

/// Registers a function of parameters `P` that returns the loss function (the TensorFlow 2 custom-loss guide's wrapper
/// `my_huber_loss_with_threshold(threshold)`).
pub fn register_with_params<P, F>(name: &str, summary: &str, wrapper: impl Fn(P) -> F + Send + Sync + 'static)
where
    P: DeserializeOwned + Serialize + Default,
    F: Fn(Tensor<2>, Tensor<2>) -> Tensor<2> + Send + Sync + 'static,
{
    register_builder(name, summary, move |p: P| FnLoss(wrapper(p)));
}

/// Registers a struct implementing [`CustomLoss`] whose fields are its parameters (the TensorFlow 2 custom-loss guide's
/// `MyHuberLoss` class).
pub fn register<L>(name: &str, summary: &str)
where
    L: CustomLoss + DeserializeOwned + Serialize + Default,
{
    register_builder(name, summary, |l: L| l);
}

/// Parameters of a loss that has none.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

/// The registered losses: `(name, summary, parameter defaults)`, sorted by name.
pub fn registered() -> Vec<(
    &'static str,
    &'static str,
    serde_json::Map<String, serde_json::Value>,
)> {
    registry()
        .read()
        .expect("custom loss registry")
        .values()
        .map(|e| (e.name, e.summary, e.defaults.clone()))
        .collect()
}

/// Whether a loss called `name` is registered.
pub fn is_registered(name: &str) -> bool {
    registry()
        .read()
        .expect("custom loss registry")
        .contains_key(name)
}

/// The config of a registered loss: its name, `reduction` and parameters (serialised flat, as
/// `{"type": name, "reduction": …, <parameters>}`).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomLossConfig {
    /// The registered name.
    pub name: &'static str,
    /// `"mean"` (default), `"sum"` or `"none"`.
    pub reduction: Reduction,
    /// The loss's own parameters (missing ones take the registered type's defaults).
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl CustomLossConfig {
    /// The config of the registered loss `name` with default parameters.
    pub fn new(name: &str) -> LossResult<Self> {
        Self::from_map(name, serde_json::Map::new())
    }

    /// The config of the registered loss `name` with `params` (a `reduction` entry is taken out).
    pub fn from_map(name: &str, mut params: serde_json::Map<String, serde_json::Value>) -> LossResult<Self> {
        let registry = registry().read().expect("custom loss registry");
        let Some(entry) = registry.get(name) else {
            return Err(unknown_loss(name));
        };
        let reduction = match params.remove("reduction") {
            None => Reduction::Mean,
            Some(r) => match serde_json::from_value(r) {
                Ok(Reduction::MeanWithSampleWeight) => {
                    return Err(LossError::parse(
                        format!("{name} config"),
                        "reduction \"none\", \"mean\" or \"sum\"",
                        "\"mean_with_sample_weight\" (Keras's reduction is for the built-in losses)",
                    ));
                }
                Ok(reduction) => reduction,
                Err(e) => {
                    return Err(LossError::parse(
                        format!("{name} config"),
                        "reduction \"none\", \"mean\" or \"sum\"",
                        e,
                    ));
                }
            },
        };
        Ok(Self {
            name: entry.name,
            reduction,
            params,
        })
    }

    /// Builds the loss (deserialises the parameters into the registered type); a registered loss
    /// holds no tensor, so `device` is only taken for the one `init(&device)` signature.
    pub fn try_init(&self, _device: &burn::tensor::Device) -> LossResult<CustomLossModule> {
        self.build()
    }

    fn build(&self) -> LossResult<CustomLossModule> {
        let build = {
            let registry = registry().read().expect("custom loss registry");
            let entry = registry.get(self.name).ok_or_else(|| unknown_loss(self.name))?;
            entry.build.clone()
        };
        let loss = build(serde_json::Value::Object(self.params.clone())).map_err(|e| {
            LossError::config(self.name, "parameters", "the fields of the registered loss", e)
        })?;
        Ok(CustomLossModule {
            config: self.clone(),
            loss: CustomLossHandle(loss),
        })
    }
}

/// The error for a name that is neither built in nor registered.
pub(crate) fn unknown_loss(name: &str) -> LossError {
    let mut names: Vec<String> = super::LossConfig::NAMES.iter().map(|n| n.to_string()).collect();
    names.extend(registered().into_iter().map(|(n, _, _)| n.to_string()));
    LossError::parse("loss name", format!("one of {names:?}"), format!("{name:?}"))
}

impl Serialize for CustomLossConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serde_json::Map::new();
        map.insert("type".into(), self.name.into());
        map.insert(
            "reduction".into(),
            serde_json::to_value(self.reduction).map_err(serde::ser::Error::custom)?,
        );
        map.extend(self.params.clone());
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CustomLossConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let name = match map.remove("type") {
            Some(serde_json::Value::String(name)) => name,
            Some(other) => {
                return Err(serde::de::Error::custom(format!(
                    "`type` must be a loss name, got {other}"
                )));
            }
            None => return Err(serde::de::Error::missing_field("type")),
        };
        let config = Self::from_map(&name, map).map_err(serde::de::Error::custom)?;
        // the parameters are checked now, so that a bad field fails where the config is read
        config.build().map_err(serde::de::Error::custom)?;
        Ok(config)
    }
}

/// The shared user loss inside a [`CustomLossModule`].
#[derive(Clone, Debug)]
pub struct CustomLossHandle(Arc<dyn CustomLoss>);

/// A registered loss, built: the [`Loss`](crate::Loss) of a [`CustomLossConfig`].
#[derive(burn::module::Module, Debug)]
pub struct CustomLossModule {
    /// The config it was built from.
    #[module(skip)]
    pub config: CustomLossConfig,
    /// The user's loss.
    #[module(skip)]
    pub loss: CustomLossHandle,
}

crate::loss::declare::typed_api!(@arguments CustomLossModule, [
    input: crate::loss::ArgumentKind::Float; required,
    target: crate::loss::ArgumentKind::Float; required,
    weight: crate::loss::ArgumentKind::Float; optional,
]);

impl CustomLossModule {
    /// The configured reduction of the user's loss of `input` and `target` (one shape).
    #[track_caller]
    pub fn forward<const D: usize>(&self, input: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
        let inputs = LossInputs::new()
            .with_float("input", input)
            .with_float("target", target);
        crate::error::or_panic(crate::loss::LossModule::forward_inputs(self, &inputs)).flat
    }
}

impl crate::loss::LossModule for CustomLossModule {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = self.config.name;
        inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
        let input = inputs.float(name, "input")?;
        let target = inputs.float(name, "target")?;
        let weight = inputs.float_opt("weight")?;
        check_same_shape_inputs(name, &input, &target, weight.as_ref())?;
        let n = input.shape[0];
        let m = input.numel().checked_div(n).unwrap_or(0);
        let out = self.loss.0.loss(input.view([n, m]), target.view([n, m]));
        let dims = out.dims();
        let (out, shape) = match dims {
            [a, b] if a == n && b == m => (out, input.shape.clone()),
            [a, 1] if a == n => (out, vec![n]),
            [1, 1] => {
                let reduction = match self.config.reduction {
                    Reduction::None => Reduction::None,
                    _ => Reduction::Sum,
                };
                return Ok(reduce_to_dyn(ElementLoss::new(out), vec![], reduction));
            }
            other => {
                return Err(LossError::input(
                    name,
                    "input",
                    format!("the user loss to return [{n}, {m}], [{n}, 1] or [1, 1] for inputs [{n}, {m}]"),
                    format!("{other:?}"),
                ));
            }
        };
        let terms = ElementLoss::new(out).weighted(sample_weight_2d(weight.as_ref(), n, dims[1]));
        Ok(reduce_to_dyn(terms, shape, self.config.reduction))
    }

    fn target_kind(&self) -> crate::loss::TargetKind {
        crate::loss::TargetKind::Probabilities
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        crate::loss::classification_with_one_hot(self, input, targets)
    }
}
