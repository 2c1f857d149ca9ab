//! [`SumLoss`](crate::SumLoss): a weighted sum of any losses of this crate from one config, each term fed the
//! same `input` and `target`.
//!
//! ```json
//! {"type": "sum", "terms": [
//!   {"weight": 1.0, "loss": {"type": "dice", "activation": "softmax"}},
//!   {"weight": 1.0, "loss": {"type": "focal", "gamma": 0.0}}]}
//! ```
//!
//! ```python
//! monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, lambda_dice=1, lambda_ce=1)   # dice + focal γ=0 (= cross-entropy)
//! monai.losses.DiceFocalLoss(softmax=True, to_onehot_y=True, gamma=2)                   # dice + binary_focal (alpha null)
//! ```

use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, fmt_shape};
use crate::loss::{InputKind, LossModule, TargetKind};
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::onehot::one_hot_target;

/// What a term of a composite loss is configured with: a config that builds a loss — the
/// registry's [`LossConfig`](crate::LossConfig). The composite is generic over it only so that it
/// sits below the registry that lists it (its `"sum"` variant holds terms of `LossConfig`s);
/// [`SumLossConfig`](crate::SumLossConfig), [`SumLoss`](crate::SumLoss) and
/// [`SumTerm`](crate::SumTerm) are the registry's instances.
pub trait TermConfig: Clone + PartialEq + core::fmt::Debug + Serialize {
    /// The loss it builds.
    type Loss: TermLoss;
    /// Validates the config and builds the loss on `device`.
    fn try_init(&self, device: &burn::tensor::Device) -> LossResult<Self::Loss>;
}

/// A built term of a composite loss: the registry's [`Loss`](crate::Loss).
pub trait TermLoss: burn::module::Module {
    /// The loss's snake_case name.
    fn name(&self) -> &'static str;
    /// The loss module.
    fn module(&self) -> &dyn LossModule;
}

fn default_weight() -> f64 {
    1.0
}

/// One term of a [`SumLossConfigOf`] ([`SumTerm`](crate::SumTerm) in the registry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumTermOf<C> {
    /// The term's factor, finite and >= 0. Default `1.0`.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// The term's loss; its reduction must be `"mean"` or `"sum"` (terms are added as scalars).
    pub loss: C,
}

impl<C> SumTermOf<C> {
    /// A term of weight `weight`.
    pub fn new(weight: f64, loss: C) -> Self {
        Self { weight, loss }
    }
}

crate::loss::doc::documented! {
    /// Configuration of [`SumLoss`](crate::SumLoss) (`"type": "sum"` in a
    /// [`LossConfig`](crate::LossConfig)).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    pub struct SumLossConfigOf<C> {
        /// The terms, at least one (required).
        pub terms: Vec<SumTermOf<C>>,
    }
}

impl<C> Default for SumLossConfigOf<C> {
    fn default() -> Self {
        Self { terms: Vec::new() }
    }
}

impl<C: TermConfig + serde::de::DeserializeOwned> burn::config::Config for SumLossConfigOf<C> {}

impl<C: TermConfig> SumLossConfigOf<C> {
    const NAME: &'static str = "sum";

    /// A sum of `terms`.
    pub fn new(terms: Vec<SumTermOf<C>>) -> Self {
        Self { terms }
    }

    /// Adds a term.
    pub fn with_term(mut self, weight: f64, loss: C) -> Self {
        self.terms.push(SumTermOf::new(weight, loss));
        self
    }

    /// Validates every term and builds the loss on `device`.
    pub fn try_init(&self, device: &burn::tensor::Device) -> LossResult<SumLossOf<C::Loss, C>> {
        if self.terms.is_empty() {
            return Err(LossError::config(
                Self::NAME,
                "terms",
                "at least one {\"weight\": w, \"loss\": {...}} term",
                "an empty list",
            ));
        }
        let mut losses: Vec<C::Loss> = Vec::with_capacity(self.terms.len());
        for (k, term) in self.terms.iter().enumerate() {
            if !(term.weight.is_finite() && term.weight >= 0.0) {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].weight"),
                    "a finite number >= 0",
                    term.weight,
                ));
            }
            let reduction = serde_json::to_value(&term.loss)
                .ok()
                .and_then(|v| v.get("reduction").and_then(|r| r.as_str().map(str::to_string)));
            if reduction.as_deref() == Some("none") {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].loss.reduction"),
                    "\"mean\" or \"sum\" (the terms are added as scalars)",
                    "\"none\"",
                ));
            }
            let loss = term.loss.try_init(device)?;
            if let Some(first) = losses.first().map(|l| l.module().input_kind())
                && loss.module().input_kind() != first
            {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].loss"),
                    format!("a loss that takes the input of terms[0] ({})", describe(first)),
                    format!(
                        "{} which takes {}",
                        loss.name(),
                        describe(loss.module().input_kind())
                    ),
                ));
            }
            losses.push(loss);
        }
        Ok(SumLossOf {
            terms: losses,
            config: self.clone(),
        })
    }

    /// Builds the loss; panics with the [`try_init`](Self::try_init) message on a bad term.
    #[track_caller]
    pub fn init(&self, device: &burn::tensor::Device) -> SumLossOf<C::Loss, C> {
        crate::error::or_panic(self.try_init(device))
    }
}

fn describe(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Logits => "logits",
        InputKind::SoftmaxProbabilities => "softmax probabilities",
        InputKind::SigmoidProbabilities => "sigmoid probabilities",
    }
}

crate::loss::doc::documented! {
    /// `Σ_k w_k · loss_k(input, target)`: composite losses such as MONAI's `DiceCELoss` (dice +
    /// cross-entropy = `focal` with γ = 0) and `DiceFocalLoss` (dice + `binary_focal` with
    /// `alpha: null` on the one-hot target — MONAI's focal term is a sigmoid focal even next to a
    /// softmax Dice), or a U-Net's "CE + Dice".
    ///
    /// Every term gets the same arguments. Class-index targets `[N, spatial…]` are turned into
    /// one-hot `[N, C, spatial…]` (C = dim 1 of `input`) for the terms that take binary /
    /// probability targets (`binary_focal`, `bce`, …); the others get them as they are. Other
    /// arguments (`mask`, `weight`) go to every term, so every term must accept them. All terms take
    /// the same kind of `input` (logits, or probabilities) — checked by `try_init`.
    ///
    /// **Degenerate batches:** each term's own policy; an empty batch is an error naming the argument
    /// (no loss has a value for it; PyTorch's mean would be NaN).
    #[derive(burn::module::Module, Debug)]
    pub struct SumLossOf<L: burn::module::Module, C> {
        /// The built terms, in config order.
        pub terms: Vec<L>,
        /// The validated configuration.
        #[module(skip)]
        pub config: SumLossConfigOf<C>,
    }
}

impl<C: TermConfig> SumLossOf<C::Loss, C> {
    /// The weighted sum for `input [N, C, spatial…]` and class indices `[N, spatial…]`.
    pub fn try_forward<const D: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Int>,
    ) -> LossResult<Tensor<1>> {
        let out = self.forward_named(
            &LossInputs::new()
                .with_float("input", input)
                .with_int("target", target),
        )?;
        Ok(out.flat)
    }

    /// As [`try_forward`](Self::try_forward); panics on bad input.
    #[track_caller]
    pub fn forward<const D: usize, const DT: usize>(
        &self,
        input: Tensor<D>,
        target: Tensor<DT, Int>,
    ) -> Tensor<1> {
        crate::error::or_panic(self.try_forward(input, target))
    }

    fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = SumLossConfigOf::<C>::NAME;
        let input = inputs.float(name, "input")?;
        let target = inputs.get(name, "target")?;
        let mut one_hot_inputs: Option<LossInputs> = None;
        let mut total: Option<Tensor<1>> = None;
        for (k, (loss, term)) in self.terms.iter().zip(&self.config.terms).enumerate() {
            let term_inputs = match (target, loss.module().target_kind()) {
                (DynInput::Int(t), TargetKind::Probabilities) => {
                    if one_hot_inputs.is_none() {
                        let mut converted = inputs.clone();
                        converted.insert("target", DynInput::Float(one_hot_target(name, &input, t)?));
                        one_hot_inputs = Some(converted);
                    }
                    one_hot_inputs.as_ref().expect("set above")
                }
                (DynInput::Float(t), TargetKind::ClassIndices) => {
                    return Err(LossError::input(
                        name,
                        "target",
                        format!(
                            "class indices (terms[{k}] is {}, which takes class indices)",
                            loss.name()
                        ),
                        format!("a float tensor of shape {}", fmt_shape(&t.shape)),
                    ));
                }
                _ => inputs,
            };
            let out = loss.module().forward_inputs(term_inputs)?;
            if !out.shape.is_empty() {
                return Err(LossError::input(
                    name,
                    format!("terms[{k}]"),
                    "a scalar loss",
                    format!("shape {}", fmt_shape(&out.shape)),
                ));
            }
            let weighted = out.flat * term.weight;
            total = Some(match total {
                Some(t) => t + weighted,
                None => weighted,
            });
        }
        Ok(DynTensor::new(total.expect("at least one term"), vec![]))
    }
}

impl<C: TermConfig> LossModule for SumLossOf<C::Loss, C> {
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.forward_named(inputs)
    }

    fn input_kind(&self) -> InputKind {
        self.terms[0].module().input_kind()
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let mut total: Option<Tensor<1>> = None;
        for (loss, term) in self.terms.iter().zip(&self.config.terms) {
            let value = loss
                .module()
                .classification_loss(input.clone(), targets.clone())?;
            let value = if value.dims()[0] == 1 { value } else { value.mean() } * term.weight;
            total = Some(match total {
                Some(t) => t + value,
                None => value,
            });
        }
        Ok(total.expect("at least one term"))
    }
}
