//! [`SumLoss`](crate::SumLoss): a weighted sum of any losses of this crate from one config, each term fed the
//! same `input` and `target` — or, per term, other arguments of the sum (`inputs`: a model with
//! several heads) and its own activation of `input` (`activation`: MONAI's `DiceCELoss` feeds
//! logits to the cross-entropy and softmax probabilities to the Dice).
//!
//! ```json
//! {"type": "sum", "terms": [
//!   {"weight": 1.0, "loss": {"type": "dice", "activation": "softmax"}},
//!   {"weight": 1.0, "loss": {"type": "focal", "gamma": 0.0}}]}
//! {"type": "sum", "terms": [
//!   {"loss": {"type": "cross_entropy"}},
//!   {"weight": 0.5, "loss": {"type": "mse"}, "inputs": {"input": "box_pred", "target": "box_true"}}]}
//! ```
//!
//! ```python
//! monai.losses.DiceCELoss(softmax=True, to_onehot_y=True, lambda_dice=1, lambda_ce=1)   # dice + focal γ=0 (= cross-entropy)
//! monai.losses.DiceFocalLoss(softmax=True, to_onehot_y=True, gamma=2)                   # dice + binary_focal (alpha null)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use super::regularizer::RegularizerConfig;
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
    /// The loss's declared arguments.
    fn arguments(&self) -> &'static [crate::loss::Argument];
}

/// What a term of a [`SumLossConfig`](crate::SumLossConfig) does to its `input` before its loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermActivation {
    /// The input as the sum got it (default).
    #[default]
    None,
    /// Softmax over dim 1, for a term whose loss takes softmax probabilities (`dice` with
    /// activation `"none"`, `focal` with `from_logits: false`, …) in a sum fed logits.
    Softmax,
    /// Sigmoid, for a term whose loss takes sigmoid probabilities.
    Sigmoid,
}

impl core::fmt::Display for TermActivation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TermActivation::None => "none",
            TermActivation::Softmax => "softmax",
            TermActivation::Sigmoid => "sigmoid",
        })
    }
}

impl TermActivation {
    fn is_none(&self) -> bool {
        *self == TermActivation::None
    }
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
    /// The term's arguments taken from other arguments of the sum, `{term argument: sum
    /// argument}` — `{"input": "box_pred", "target": "box_true"}` feeds a second head. The sum's
    /// arguments named here go only to the terms that name them; the others go to every term.
    /// Default `{}` (every term gets the sum's arguments under their own names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, String>,
    /// `"softmax"` / `"sigmoid"`: the term gets the activated `input` (its loss must take
    /// probabilities of that kind), so that a sum fed logits can hold a Dice on probabilities
    /// (MONAI `DiceCELoss`). Default `"none"`.
    #[serde(default, skip_serializing_if = "TermActivation::is_none")]
    pub activation: TermActivation,
    /// A factor of the term's weight that changes with the training steps (`{"kind": "linear",
    /// "start": 0, "end": 1, "steps": 1000}`): the Learner adapters count their training steps.
    /// Default `null` (the weight alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<WeightSchedule>,
}

/// The shape of a [`WeightSchedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// `start` throughout.
    Constant,
    /// From `start` to `end` linearly over `steps`, then `end` (a warm-up ramp).
    Linear,
    /// `start` before step `steps`, `end` from it on.
    Step,
    /// From `start` to `end` along half a cosine over `steps` (`end + (start − end)·½(1 +
    /// cos(π·t/steps))`), then `end`.
    Cosine,
}

/// A factor of a term's weight by training step `t` (counted by the Learner adapters from 0; a
/// data-parallel run counts every device's steps): `weight · schedule(t)`. Per epoch: `steps` =
/// epochs × batches per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightSchedule {
    /// `"constant"`, `"linear"`, `"step"` or `"cosine"`.
    pub kind: ScheduleKind,
    /// The factor at step 0.
    pub start: f64,
    /// The factor after `steps` (default `1`).
    #[serde(default = "default_weight")]
    pub end: f64,
    /// The length of the ramp / the step of the change, in training steps (>= 1).
    pub steps: u64,
}

impl WeightSchedule {
    /// The factor at training step `t`.
    pub fn at(&self, t: u64) -> f64 {
        let progress = (t as f64 / self.steps.max(1) as f64).min(1.0);
        match self.kind {
            ScheduleKind::Constant => self.start,
            ScheduleKind::Linear => self.start + (self.end - self.start) * progress,
            ScheduleKind::Step => {
                if t < self.steps {
                    self.start
                } else {
                    self.end
                }
            }
            ScheduleKind::Cosine => {
                self.end + (self.start - self.end) * 0.5 * (1.0 + (core::f64::consts::PI * progress).cos())
            }
        }
    }

    fn validate(&self, loss: &'static str, field: &str) -> LossResult<()> {
        crate::error::check::non_negative(loss, &format!("{field}.start"), self.start)?;
        crate::error::check::non_negative(loss, &format!("{field}.end"), self.end)?;
        if self.steps == 0 {
            return Err(LossError::config(
                loss,
                format!("{field}.steps"),
                "at least 1 training step",
                0,
            ));
        }
        Ok(())
    }
}

/// The training steps counted so far, shared by the clones of a loss (the Learner clones the
/// model for every step).
#[derive(Debug, Clone, Default)]
pub struct StepCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl StepCounter {
    /// The steps counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts one training step.
    pub fn advance(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl<C> SumTermOf<C> {
    /// A term of weight `weight`.
    pub fn new(weight: f64, loss: C) -> Self {
        Self {
            weight,
            loss,
            inputs: BTreeMap::new(),
            activation: TermActivation::None,
            schedule: None,
        }
    }

    /// This term with `argument` taken from the sum's argument `source`.
    pub fn with_input(mut self, argument: &str, source: &str) -> Self {
        self.inputs.insert(argument.to_string(), source.to_string());
        self
    }

    /// This term with its weight scaled by `schedule` over the training steps.
    pub fn with_schedule(mut self, schedule: WeightSchedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// This term with its `input` activated by `activation`.
    pub fn with_activation(mut self, activation: TermActivation) -> Self {
        self.activation = activation;
        self
    }

    /// The sum's argument this term reads its `input` from.
    fn input_source(&self) -> &str {
        self.inputs.get("input").map_or("input", String::as_str)
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
        /// Penalties on the trained model's parameters (`{"l1": …, "l2": …, "exclude_biases":
        /// …, "exclude_norms": …, "include": [...]}`, Keras' `L1L2`), added by the Learner
        /// adapters to every step's loss. Default `[]`.
        pub regularizers: Vec<RegularizerConfig>,
        /// `"fixed"` (default): `Σ_k w_k·L_k`. `"uncertainty"`: each term also has a learned
        /// log-variance `s_k` (a parameter, 0 at the start, trained with the model by the Learner
        /// adapters): `Σ_k ½·exp(−s_k)·w_k·L_k + ½·s_k` — homoscedastic uncertainty weighting
        /// (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for
        /// Scene Geometry and Semantics", CVPR 2018), their regression form `L/(2σ²) + log σ`
        /// with `s = log σ²`; their classification form `L/σ² + log σ` is `w_k = 2`.
        pub weighting: TermWeighting,
    }
}

/// How the terms of a [`SumLossConfig`](crate::SumLossConfig) are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermWeighting {
    /// The configured weights.
    #[default]
    Fixed,
    /// The configured weights times learned factors (homoscedastic uncertainty, Kendall et al.
    /// 2018).
    Uncertainty,
}

impl<C> Default for SumLossConfigOf<C> {
    fn default() -> Self {
        Self {
            terms: Vec::new(),
            regularizers: Vec::new(),
            weighting: TermWeighting::Fixed,
        }
    }
}

impl<C: TermConfig + serde::de::DeserializeOwned> burn::config::Config for SumLossConfigOf<C> {}

impl<C: TermConfig> SumLossConfigOf<C> {
    const NAME: &'static str = "sum";

    /// A sum of `terms`.
    pub fn new(terms: Vec<SumTermOf<C>>) -> Self {
        Self {
            terms,
            regularizers: Vec::new(),
            weighting: TermWeighting::Fixed,
        }
    }

    /// With `weighting` (learned uncertainty weights or the fixed ones).
    pub fn with_weighting(mut self, weighting: TermWeighting) -> Self {
        self.weighting = weighting;
        self
    }

    /// Adds a penalty on the trained model's parameters.
    pub fn with_regularizer(mut self, regularizer: RegularizerConfig) -> Self {
        self.regularizers.push(regularizer);
        self
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
        for (r, regularizer) in self.regularizers.iter().enumerate() {
            regularizer.validate(Self::NAME, &format!("regularizers[{r}]"))?;
        }
        let mut losses: Vec<C::Loss> = Vec::with_capacity(self.terms.len());
        // the first term reading the sum's `input`, and the kind of input it takes
        let mut reference: Option<(usize, InputKind)> = None;
        for (k, term) in self.terms.iter().enumerate() {
            if !(term.weight.is_finite() && term.weight >= 0.0) {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].weight"),
                    "a finite number >= 0",
                    term.weight,
                ));
            }
            if let Some(schedule) = &term.schedule {
                schedule.validate(Self::NAME, &format!("terms[{k}].schedule"))?;
            }
            if self.weighting == TermWeighting::Uncertainty && term.weight == 0.0 {
                // ½·exp(−s)·0·L + ½·s falls without bound
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].weight"),
                    "a number > 0 with weighting \"uncertainty\"",
                    term.weight,
                ));
            }
            // the term's config as JSON, read by the two checks below
            let loss_json = serde_json::to_value(&term.loss).ok();
            if let Some(nested) = loss_json.as_ref().and_then(nested_training_options) {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].loss"),
                    "a sum without regularizers, schedules or learned weights inside another sum (put them on the outer sum)",
                    nested,
                ));
            }
            let reduction = loss_json
                .as_ref()
                .and_then(|v| v.get("reduction").and_then(|r| r.as_str()));
            if reduction == Some("none") {
                return Err(LossError::config(
                    Self::NAME,
                    format!("terms[{k}].loss.reduction"),
                    "\"mean\" or \"sum\" (the terms are added as scalars)",
                    "\"none\"",
                ));
            }
            let loss = term.loss.try_init(device)?;
            let declared: Vec<&str> = loss.arguments().iter().map(|a| a.name).collect();
            for argument in term.inputs.keys() {
                if !declared.contains(&argument.as_str()) {
                    return Err(LossError::config(
                        Self::NAME,
                        format!("terms[{k}].inputs"),
                        format!("arguments of {} ({declared:?}) as keys", loss.name()),
                        format!("{argument:?}"),
                    ));
                }
            }
            let kind = term_input_kind(Self::NAME, k, term, &loss)?;
            if term.input_source() == "input" {
                match reference {
                    Some((first, first_kind)) if kind != first_kind => {
                        return Err(LossError::config(
                            Self::NAME,
                            format!("terms[{k}].loss"),
                            format!(
                                "a loss that takes the input of terms[{first}] ({})",
                                describe(first_kind)
                            ),
                            format!("{} which takes {}", loss.name(), describe(kind)),
                        ));
                    }
                    None => reference = Some((k, kind)),
                    _ => {}
                }
            }
            losses.push(loss);
        }
        let log_variances = match self.weighting {
            TermWeighting::Fixed => None,
            TermWeighting::Uncertainty => Some(burn::module::Param::from_tensor(Tensor::<1>::zeros(
                [self.terms.len()],
                device,
            ))),
        };
        Ok(SumLossOf {
            terms: losses,
            log_variances,
            config: self.clone(),
            steps: StepCounter::default(),
        })
    }

    /// Builds the loss; panics with the [`try_init`](Self::try_init) message on a bad term.
    #[track_caller]
    pub fn init(&self, device: &burn::tensor::Device) -> SumLossOf<C::Loss, C> {
        crate::error::or_panic(self.try_init(device))
    }
}

/// What a sum nested in a term (its config as JSON) holds of the options that only the outermost
/// sum applies (`regularizers`, term `schedule`s, learned `weighting`), if any.
fn nested_training_options(value: &serde_json::Value) -> Option<String> {
    if value.get("type").and_then(|t| t.as_str()) != Some("sum") {
        return None;
    }
    let mut found = Vec::new();
    if value
        .get("regularizers")
        .and_then(|r| r.as_array())
        .is_some_and(|r| !r.is_empty())
    {
        found.push("regularizers");
    }
    if value
        .get("weighting")
        .and_then(|w| w.as_str())
        .is_some_and(|w| w != "fixed")
    {
        found.push("weighting");
    }
    let scheduled = value
        .get("terms")
        .and_then(|t| t.as_array())
        .is_some_and(|terms| {
            terms
                .iter()
                .any(|t| t.get("schedule").is_some_and(|s| !s.is_null()))
        });
    if scheduled {
        found.push("a term schedule");
    }
    (!found.is_empty()).then(|| format!("a nested sum with {}", found.join(", ")))
}

/// The kind of input a term takes from the sum: its loss's, or logits when the term activates
/// them itself (then its loss must take probabilities of that activation's kind).
fn term_input_kind<C, L: TermLoss>(
    sum: &'static str,
    k: usize,
    term: &SumTermOf<C>,
    loss: &L,
) -> LossResult<InputKind> {
    let takes = loss.module().input_kind();
    if term.activation.is_none() {
        return Ok(takes);
    }
    // either activation gives probabilities: a loss on probabilities of either kind takes them
    // (a Dice with activation "none" next to a sigmoid, MONAI's DiceCELoss(sigmoid=True))
    if takes == InputKind::Logits {
        return Err(LossError::config(
            sum,
            format!("terms[{k}].activation"),
            format!(
                "a loss that takes probabilities with activation \"{}\"",
                term.activation
            ),
            format!("{} which takes {}", loss.name(), describe(takes)),
        ));
    }
    Ok(InputKind::Logits)
}

/// The term's `input` after its [`TermActivation`].
fn activated(
    sum: &'static str,
    k: usize,
    activation: TermActivation,
    input: &DynTensor,
) -> LossResult<DynTensor> {
    match activation {
        TermActivation::None => Ok(input.clone()),
        TermActivation::Sigmoid => Ok(DynTensor::new(
            crate::tensor::math::stable_sigmoid(input.flat.clone()),
            input.shape.clone(),
        )),
        TermActivation::Softmax => {
            if input.shape.len() < 2 {
                return Err(LossError::input(
                    sum,
                    "input",
                    format!("shape [N, C, …] (terms[{k}] takes its softmax over dim 1)"),
                    fmt_shape(&input.shape),
                ));
            }
            let (n, c) = (input.shape[0], input.shape[1]);
            let s = input.numel().checked_div(n * c).unwrap_or(0);
            let p = crate::tensor::math::stable_softmax(input.view([n, c, s]), 1);
            Ok(DynTensor::new(p.reshape([input.numel()]), input.shape.clone()))
        }
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
    /// Every term gets the sum's arguments, except where a term's `inputs` takes one of its
    /// arguments from another argument of the sum (`{"input": "box_pred", "target": "box_true"}`:
    /// a second head of the model); an argument some term takes that way goes to those terms
    /// only. A term's `activation` (`"softmax"` / `"sigmoid"`) turns its `input` into the
    /// probabilities its loss takes, as MONAI's `DiceCELoss` feeds logits to the cross-entropy and
    /// softmax probabilities to the Dice. Class-index targets `[N, spatial…]` are turned into
    /// one-hot `[N, C, spatial…]` (C = dim 1 of the term's `input`) for the terms that take binary
    /// / probability targets (`binary_focal`, `bce`, …); the others get them as they are. Other
    /// arguments (`mask`, `weight`) go to every term, so every term must accept them. All terms
    /// that read the sum's `input` take the same kind of it (logits, or probabilities; logits for a
    /// term with an activation) — checked by `try_init`.
    ///
    /// **Degenerate batches:** each term's own policy; an empty batch is an error naming the argument
    /// (no loss has a value for it; PyTorch's mean would be NaN).
    #[derive(burn::module::Module, Debug)]
    pub struct SumLossOf<L: burn::module::Module, C> {
        /// The built terms, in config order.
        pub terms: Vec<L>,
        /// The learned log-variances `s_k` of `weighting: "uncertainty"`, one per term.
        pub log_variances: Option<burn::module::Param<Tensor<1>>>,
        /// The validated configuration.
        #[module(skip)]
        pub config: SumLossConfigOf<C>,
        /// The training steps counted so far (the terms' schedules read it). Shared by the clones
        /// of this loss, not saved in its record: a run resumed from a checkpoint starts its
        /// schedules at step 0 again.
        #[module(skip)]
        pub steps: StepCounter,
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

    /// Term `k`'s contribution from its weighted loss `w_k·L_k` (`[1]`): itself, or with learned
    /// uncertainty `½·exp(−s_k)·w_k·L_k + ½·s_k`.
    fn weighted(&self, k: usize, value: Tensor<1>) -> Tensor<1> {
        let value = match &self.log_variances {
            None => value,
            Some(s) => {
                let s_k = s.val().narrow(0, k, 1).cast(value.dtype());
                value * s_k.clone().neg().exp() * 0.5 + s_k * 0.5
            }
        };
        // the schedule scales the whole term (with learned weights too: a factor 0 leaves no
        // `½·s_k` to fall without bound)
        match &self.config.terms[k].schedule {
            Some(schedule) => value * schedule.at(self.steps.get()),
            None => value,
        }
    }

    /// The current factor of each term's loss: `w_k`, or `½·exp(−s_k)·w_k` with learned
    /// uncertainty weights (what to plot over training).
    pub fn term_factors(&self) -> Vec<f64> {
        let t = self.steps.get();
        let weights: Vec<f64> = self
            .config
            .terms
            .iter()
            .map(|term| term.weight * term.schedule.as_ref().map_or(1.0, |s| s.at(t)))
            .collect();
        match &self.log_variances {
            None => weights,
            Some(s) => s
                .val()
                .into_data()
                .iter::<f64>()
                .zip(weights)
                .map(|(s_k, w)| 0.5 * (-s_k).exp() * w)
                .collect(),
        }
    }

    /// The sum of the configured penalties on `model`'s parameters (`[1]`), or `None` without
    /// regularizers.
    pub fn regularization<M: burn::module::Module>(&self, model: &M) -> Option<Tensor<1>> {
        self.config
            .regularizers
            .iter()
            .filter_map(|r| r.penalty(model))
            .reduce(|a, b| a + b)
    }

    fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        let name = SumLossConfigOf::<C>::NAME;
        // the sum's arguments that some term takes under another name go to those terms only
        let routed: BTreeSet<&str> = self
            .config
            .terms
            .iter()
            .flat_map(|t| t.inputs.values().map(String::as_str))
            .collect();
        // class-index targets one-hot encoded once per (target argument, class count), shared by
        // the terms that take probabilities
        let mut one_hots: Vec<((&str, usize), DynTensor)> = Vec::new();
        let mut total: Option<Tensor<1>> = None;
        for (k, (loss, term)) in self.terms.iter().zip(&self.config.terms).enumerate() {
            let mut term_inputs = LossInputs::new();
            for argument in inputs.names().filter(|a| !routed.contains(a)) {
                term_inputs.insert(argument, inputs.get(name, argument)?.clone());
            }
            for (argument, source) in &term.inputs {
                let value = inputs.get(name, source).map_err(|_| {
                    LossError::input(
                        name,
                        source.as_str(),
                        format!("a tensor (terms[{k}] takes it as `{argument}`)"),
                        "nothing (missing argument)",
                    )
                })?;
                term_inputs.insert(argument, value.clone());
            }
            let input = activated(name, k, term.activation, &term_inputs.float(name, "input")?)?;
            if !term.activation.is_none() {
                term_inputs.insert("input", DynInput::Float(input.clone()));
            }
            match (term_inputs.get(name, "target")?, loss.module().target_kind()) {
                (DynInput::Int(t), TargetKind::Probabilities) => {
                    let key = (
                        term.inputs.get("target").map_or("target", String::as_str),
                        input.shape.get(1).copied().unwrap_or(0),
                    );
                    let one_hot = match one_hots.iter().find(|(k, _)| *k == key) {
                        Some((_, one_hot)) => one_hot.clone(),
                        None => {
                            let one_hot = one_hot_target(name, &input, t)?;
                            one_hots.push((key, one_hot.clone()));
                            one_hot
                        }
                    };
                    term_inputs.insert("target", DynInput::Float(one_hot));
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
                _ => {}
            }
            let out = loss.module().forward_inputs(&term_inputs)?;
            if !out.shape.is_empty() {
                return Err(LossError::input(
                    name,
                    format!("terms[{k}]"),
                    "a scalar loss",
                    format!("shape {}", fmt_shape(&out.shape)),
                ));
            }
            let weighted = self.weighted(k, out.flat * term.weight);
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
        // the kind of the first term reading `input` (checked alike for all of them by try_init)
        self.terms
            .iter()
            .zip(&self.config.terms)
            .enumerate()
            .find(|(_, (_, term))| term.input_source() == "input")
            .and_then(|(k, (loss, term))| term_input_kind(SumLossConfigOf::<C>::NAME, k, term, loss).ok())
            .unwrap_or(InputKind::Logits)
    }

    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let name = SumLossConfigOf::<C>::NAME;
        if let Some(k) = self.config.terms.iter().position(|t| !t.inputs.is_empty()) {
            return Err(LossError::config(
                name,
                format!("terms[{k}].inputs"),
                "no routing on the classification path, which has only `input` and `target` (use \
                 named arguments: forward_inputs, or LossMultiHead for a model with several heads)",
                format!("{:?}", self.config.terms[k].inputs),
            ));
        }
        let mut total: Option<Tensor<1>> = None;
        for (k, (loss, term)) in self.terms.iter().zip(&self.config.terms).enumerate() {
            let term_input = match term.activation {
                TermActivation::None => input.clone(),
                activation => {
                    activated(name, k, activation, &DynTensor::from_tensor(input.clone()))?.into_tensor()
                }
            };
            let value = loss.module().classification_loss(term_input, targets.clone())?;
            let value = self.weighted(
                k,
                if value.dims()[0] == 1 { value } else { value.mean() } * term.weight,
            );
            total = Some(match total {
                Some(t) => t + value,
                None => value,
            });
        }
        Ok(total.expect("at least one term"))
    }
}
