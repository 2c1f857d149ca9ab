//! [`LossConfig`]: every loss config in one serde-tagged enum, so that a training config
//! (JSON / TOML) can name its loss, and [`Loss`], the module it builds.
//!
//! ```json
//! {"type": "focal", "gamma": 2.0, "alpha": [0.25, 0.75], "reduction": "mean"}
//! ```
//!
//! Both enums, the name table, `from_name`, `try_init`, [`LossConfig::list`] and the dispatch of
//! [`Loss`] are generated from the one registry list at the bottom of this file
//! (the `register_losses!` macro). Adding a loss = its family file (config with `try_init`, module
//! implementing [`LossModule`]) + one registry line.

use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor};

use crate::error::{LossError, LossResult, or_panic};
use crate::loss::{ClassificationLoss, InputKind, LossModule, TargetKind};
use crate::losses::*;
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};

mod composite;
pub mod custom;
mod regularizer;

pub use regularizer::RegularizerConfig;

/// Configuration of [`SumLoss`] (`"type": "sum"`): the composite's config over this registry's
/// configs.
pub type SumLossConfig = composite::SumLossConfigOf<LossConfig>;
/// A weighted sum of any losses of the registry: `Σ_k w_k · loss_k(input, target)`.
pub type SumLoss = composite::SumLossOf<Loss, LossConfig>;
/// One term of a [`SumLossConfig`]: a weight and a loss config.
pub type SumTerm = composite::SumTermOf<LossConfig>;
pub use composite::{ScheduleKind, StepCounter, TermActivation, TermWeighting, WeightSchedule};

impl composite::TermConfig for LossConfig {
    type Loss = Loss;

    fn try_init(&self, device: &burn::tensor::Device) -> LossResult<Loss> {
        LossConfig::try_init(self, device)
    }
}

impl composite::TermLoss for Loss {
    fn name(&self) -> &'static str {
        Loss::name(self)
    }

    fn module(&self) -> &dyn LossModule {
        Loss::module(self)
    }

    fn arguments(&self) -> &'static [crate::loss::Argument] {
        Loss::arguments(self)
    }
}

crate::loss::declare::typed_api!(@arguments SumLoss, [
    input: crate::loss::ArgumentKind::Float; required,
    target: crate::loss::ArgumentKind::FloatOrInt; required,
    weight: crate::loss::ArgumentKind::Float; optional,
    mask: crate::loss::ArgumentKind::Float; optional,
]);

/// One built-in loss of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossEntry {
    /// The `"type"` name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The reference implementation or paper it matches.
    pub anchor: &'static str,
    /// The Rust loss type (`FocalLoss`).
    pub loss_type: &'static str,
    /// The Rust config type (`FocalLossConfig`).
    pub config_type: &'static str,
}

/// The default fields of loss `name` as JSON (the `"type"` field removed), built-in or
/// registered.
pub(crate) fn defaults(name: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let config = LossConfig::from_name(name).ok()?;
    match serde_json::to_value(config).ok()? {
        serde_json::Value::Object(mut fields) => {
            fields.remove("type");
            Some(fields)
        }
        _ => None,
    }
}

/// The message of a config that serde refused, naming the field: serde's own messages say what
/// it expected but not where (`invalid type: string "x", expected f64`), so each field is tried
/// alone (`{"type": name, field: value}`; every built-in config takes serde defaults for the
/// fields it misses) with `builds` and the first that fails on its own is named —
/// `focal: config field `gamma`: invalid type: …`. A config that is no object, or has no string
/// `type`, names `type`.
fn diagnose(
    value: &serde_json::Value,
    error: serde_json::Error,
    builds: impl Fn(serde_json::Value) -> Result<(), serde_json::Error>,
) -> String {
    let names = LossConfig::NAMES;
    let Some(object) = value.as_object() else {
        return format!(
            "loss config: config field `type`: expected an object {{\"type\": <one of {names:?}>, <its fields>}}, got {value}"
        );
    };
    let Some(name) = object.get("type").and_then(serde_json::Value::as_str) else {
        return format!(
            "loss config: config field `type`: expected one of {names:?}, got {}",
            object
                .get("type")
                .map_or("no `type`".to_string(), |t| t.to_string())
        );
    };
    for (key, field) in object {
        if key == "type" {
            continue;
        }
        if let Err(e) = builds(serde_json::json!({"type": name, key.as_str(): field})) {
            let message = e.to_string();
            // serde's unknown-field message already names it
            return if message.contains(&format!("`{key}`")) {
                format!("{name}: {message}")
            } else {
                format!("{name}: config field `{key}`: {message}, got {field}")
            };
        }
    }
    format!("{name}: {error}")
}

/// Generates [`LossConfig`], [`Loss`] and everything that dispatches over them from one list of
/// `Variant("snake_name", ConfigType => LossType): "one-line summary"; anchor "reference"`
/// entries.
macro_rules! register_losses {
    ($( $variant:ident($name:literal, $config:ident => $loss:ident): $summary:literal; anchor $anchor:literal ),* $(,)?) => {
        /// Any loss of this crate, by its snake_case name in the `"type"` field, or a loss
        /// registered with [`custom`](crate::custom).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(tag = "type")]
        pub enum LossConfig {
            $(
                #[doc = concat!("[`", stringify!($loss), "`] (`\"", $name, "\"`): ", $summary)]
                #[serde(rename = $name)]
                $variant($config),
            )*
            /// A user-defined loss registered with [`custom`](crate::custom) (any other `"type"`).
            #[serde(untagged)]
            Custom(custom::CustomLossConfig),
        }

        /// The built-in configs as serde derives them (what [`LossConfig`]'s `Deserialize`
        /// reads a built-in `"type"` with, so that a bad field is reported by its own loss).
        #[derive(serde::Deserialize)]
        #[serde(tag = "type")]
        enum BuiltinLossConfig {
            $(
                #[serde(rename = $name)]
                $variant($config),
            )*
        }

        impl<'de> serde::Deserialize<'de> for LossConfig {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                let value = serde_json::Value::deserialize(deserializer)?;
                let custom = value
                    .get("type")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| !Self::NAMES.contains(&t));
                if custom {
                    return custom::CustomLossConfig::deserialize(value)
                        .map(LossConfig::Custom)
                        .map_err(D::Error::custom);
                }
                match BuiltinLossConfig::deserialize(value.clone()) {
                    Ok(config) => Ok(match config {
                        $(BuiltinLossConfig::$variant(c) => LossConfig::$variant(c),)*
                    }),
                    Err(e) => Err(D::Error::custom(diagnose(&value, e, |v| {
                        BuiltinLossConfig::deserialize(v).map(|_| ())
                    }))),
                }
            }
        }

        /// A loss built from a [`LossConfig`]. Its `Display` (and so burn's model summary of an
        /// adapter holding it) is the one-line [`summary`](LossConfig::summary) of its config.
        #[derive(burn::module::Module, Debug)]
        #[module(custom_display)]
        pub enum Loss {
            $(
                #[doc = concat!("See [`", stringify!($loss), "`].")]
                $variant($loss),
            )*
            /// A user-defined loss.
            Custom(custom::CustomLossModule),
        }

        impl LossConfig {
            /// Every loss name accepted in `"type"`.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// Every loss name with its one-line summary (what `burn-losses list` prints).
            pub fn list() -> &'static [(&'static str, &'static str)] {
                &[$(($name, $summary)),*]
            }

            /// Every built-in loss: name, summary, the reference it matches, and the Rust names of
            /// its loss and config types (what `burn-losses list` / `describe` print).
            pub fn catalogue() -> &'static [LossEntry] {
                &[$(LossEntry {
                    name: $name,
                    summary: $summary,
                    anchor: $anchor,
                    loss_type: stringify!($loss),
                    config_type: stringify!($config),
                }),*]
            }

            /// The doc comment of the built-in loss `name`'s module type and each of its config's
            /// fields, from their declarations (`None` for another name).
            pub(crate) fn declared_docs(name: &str) -> Option<(String, Vec<crate::loss::doc::FieldDoc>)> {
                use crate::loss::doc::Documented;
                match name {
                    $($name => Some((<$loss as Documented>::doc(), <$config as Documented>::fields())),)*
                    _ => None,
                }
            }

            /// The named arguments of the built-in loss `name` (what its `forward_inputs` and
            /// `eval` accept), from the `forward` clause of its declaration; `None` for another
            /// name.
            pub fn arguments(name: &str) -> Option<&'static [crate::loss::Argument]> {
                use crate::loss::DeclaredArguments;
                match name {
                    $($name => Some(<$loss as DeclaredArguments>::ARGUMENTS),)*
                    _ => None,
                }
            }

            /// The snake_case name of this loss.
            pub fn name(&self) -> &'static str {
                match self {
                    $(LossConfig::$variant(_) => $name,)*
                    LossConfig::Custom(c) => c.name,
                }
            }

            /// The default configuration of the loss called `name`.
            pub fn from_name(name: &str) -> LossResult<Self> {
                match name {
                    $($name => Ok(LossConfig::$variant(Default::default())),)*
                    other => custom::CustomLossConfig::new(other).map(LossConfig::Custom),
                }
            }

            /// Validates the config and builds the loss on `device` (the device of the losses'
            /// parameters, e.g. ArcFace's class weights; as burn-nn's `init(&device)`).
            pub fn try_init(&self, device: &burn::tensor::Device) -> LossResult<Loss> {
                Ok(match self {
                    $(LossConfig::$variant(c) => Loss::$variant(c.try_init(device)?),)*
                    LossConfig::Custom(c) => Loss::Custom(c.try_init(device)?),
                })
            }
        }

        impl Loss {
            /// The snake_case name of this loss.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Loss::$variant(_) => $name,)*
                    Loss::Custom(l) => l.config.name,
                }
            }

            /// The named arguments this loss takes (what [`forward_inputs`](Self::forward_inputs)
            /// accepts), from its declaration.
            pub fn arguments(&self) -> &'static [crate::loss::Argument] {
                use crate::loss::DeclaredArguments;
                match self {
                    $(Loss::$variant(_) => <$loss as DeclaredArguments>::ARGUMENTS,)*
                    Loss::Custom(_) => <custom::CustomLossModule as DeclaredArguments>::ARGUMENTS,
                }
            }

            /// The config this loss was built from.
            pub fn config(&self) -> LossConfig {
                match self {
                    $(Loss::$variant(l) => LossConfig::$variant(l.config.clone()),)*
                    Loss::Custom(l) => LossConfig::Custom(l.config.clone()),
                }
            }

            /// The loss module, for the calls every loss provides.
            pub fn module(&self) -> &dyn LossModule {
                match self {
                    $(Loss::$variant(l) => l,)*
                    Loss::Custom(l) => l,
                }
            }
        }
    };
}

impl burn::config::Config for LossConfig {}

/// `cross_entropy` with its defaults, the loss of burn's own guide: a `#[derive(Config)]` training
/// config gets it with `#[config(default = "LossConfig::default()")]`, or any other loss written
/// in JSON with [`loss_json!`](crate::loss_json).
impl Default for LossConfig {
    fn default() -> Self {
        LossConfig::CrossEntropy(CrossEntropyLossConfig::default())
    }
}

/// The error of a loss config JSON that serde refused (its message names the field, see
/// `diagnose`).
fn json_error(e: serde_json::Error) -> LossError {
    LossError::parse(
        "loss config JSON",
        "{\"type\": <a loss name>, <fields of that loss>}",
        e,
    )
}

/// Writes a JSON field value of [`LossConfig::summary`]: numbers as short as they read (`2`, not
/// `2.0`), strings unquoted, lists and objects as JSON.
fn summary_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            Some(x) => format!("{x}"),
            None => n.to_string(),
        },
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(summary_value).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}

impl LossConfig {
    /// The config of a JSON value (what [`loss_json!`](crate::loss_json) expands to); panics with
    /// the parse message on a bad config.
    #[track_caller]
    pub fn from_json_value(value: serde_json::Value) -> Self {
        or_panic(serde_json::from_value(value).map_err(json_error))
    }

    /// One line naming the loss and the fields that differ from its defaults — `focal(gamma=3,
    /// alpha=0.25)`, `cross_entropy`, `sum(0.5*dice(activation=softmax) + 0.5*cross_entropy)`:
    /// what an adapter shows in burn's model summary. ([`Display`](core::fmt::Display) stays the
    /// full JSON, as for every burn `Config`.)
    pub fn summary(&self) -> String {
        if let LossConfig::Sum(sum) = self {
            let terms: Vec<String> = sum
                .terms
                .iter()
                .map(|t| {
                    let mut routing: Vec<String> = Vec::new();
                    if t.activation != TermActivation::None {
                        routing.push(t.activation.to_string());
                    }
                    routing.extend(
                        t.inputs
                            .iter()
                            .map(|(argument, source)| format!("{argument}={source}")),
                    );
                    if let Some(schedule) = &t.schedule {
                        routing.push(format!(
                            "{} {}→{} over {} steps",
                            summary_value(&serde_json::json!(schedule.kind)),
                            summary_value(&serde_json::json!(schedule.start)),
                            summary_value(&serde_json::json!(schedule.end)),
                            schedule.steps
                        ));
                    }
                    let routing = if routing.is_empty() {
                        String::new()
                    } else {
                        format!("[{}]", routing.join(", "))
                    };
                    format!(
                        "{}*{}{routing}",
                        summary_value(&serde_json::json!(t.weight)),
                        t.loss.summary()
                    )
                })
                .collect();
            let mut extra = String::new();
            if sum.weighting != TermWeighting::Fixed {
                extra += "; weighting=uncertainty";
            }
            if !sum.regularizers.is_empty() {
                extra += &format!("; {} regularizer(s)", sum.regularizers.len());
            }
            return format!("sum({}{extra})", terms.join(" + "));
        }
        let name = self.name();
        let fields = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => return name.to_string(),
        };
        let defaults = defaults(name).unwrap_or_default();
        // in the order the fields are declared (serde_json's map is sorted by name)
        let mut keys: Vec<&String> = fields.keys().filter(|key| key.as_str() != "type").collect();
        if let Some((_, declared)) = Self::declared_docs(name) {
            let position = |key: &str| declared.iter().position(|f| f.name == key).unwrap_or(usize::MAX);
            keys.sort_by_key(|key| position(key));
        }
        let changed: Vec<String> = keys
            .into_iter()
            .filter(|key| defaults.get(key.as_str()) != fields.get(key.as_str()))
            .map(|key| format!("{key}={}", summary_value(&fields[key.as_str()])))
            .collect();
        if changed.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", changed.join(", "))
        }
    }
}

impl burn::module::ModuleDisplay for Loss {
    fn custom_content(&self, content: burn::module::Content) -> Option<burn::module::Content> {
        content.add_formatted(&self.config().summary()).optional()
    }
}

impl core::fmt::Display for LossConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| core::fmt::Error)?)
    }
}

impl LossConfig {
    /// Parses a loss name (`focal`) or a JSON config (`{"type": "focal", "gamma": 1}`).
    pub fn parse(text: &str) -> LossResult<Self> {
        let text = text.trim();
        if text.starts_with('{') {
            serde_json::from_str(text).map_err(json_error)
        } else {
            Self::from_name(text)
        }
    }

    /// Builds the loss on `device`; panics with the [`try_init`](Self::try_init) message on a
    /// bad field.
    #[track_caller]
    pub fn init(&self, device: &burn::tensor::Device) -> Loss {
        or_panic(self.try_init(device))
    }
}

impl Loss {
    /// The loss of `first` and `second`, passed as the loss's first two declared arguments (see
    /// [`arguments`](Self::arguments): `input` and `target` for most losses, `embeddings` and
    /// `labels` for the metric-learning ones), with the configured reduction: `[1]` for
    /// `"mean"` / `"sum"`, the unreduced losses flattened for `"none"` — burn-nn's
    /// `loss.forward(logits, targets)`. Each may be a float or an integer tensor of any rank.
    /// Panics with the [`try_forward`](Self::try_forward) message on bad arguments.
    #[track_caller]
    pub fn forward(&self, first: impl Into<DynInput>, second: impl Into<DynInput>) -> Tensor<1> {
        or_panic(self.try_forward(first, second))
    }

    /// As [`forward`](Self::forward), with an error naming the argument instead of a panic.
    pub fn try_forward(
        &self,
        first: impl Into<DynInput>,
        second: impl Into<DynInput>,
    ) -> LossResult<Tensor<1>> {
        let names = self.arguments();
        let mut inputs = LossInputs::new();
        inputs.insert(names.first().map_or("input", |a| a.name), first.into());
        inputs.insert(names.get(1).map_or("target", |a| a.name), second.into());
        Ok(self.forward_inputs(&inputs)?.flat)
    }

    /// The scalar training loss (`[1]`) of logits `[N, C]` against class indices `[N]`, as the
    /// Learner adapter computes it (see [`ClassificationLoss`]); panics with the loss's message
    /// on bad targets.
    #[track_caller]
    pub fn forward_classification(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
        or_panic(self.classification_loss(logits, targets))
    }

    /// The penalty on `model`'s parameters that this loss's config asks for (a `sum` with
    /// `regularizers`), `[1]` on the parameters' graph, or `None`. The Learner adapters add it to
    /// every step's loss.
    pub fn regularization<M: burn::module::Module>(&self, model: &M) -> Option<Tensor<1>> {
        match self {
            Loss::Sum(sum) => sum.regularization(model),
            _ => None,
        }
    }

    /// Counts one training step (what the terms' weight schedules read); the Learner adapters
    /// call it after every training step. A no-op for a loss without schedules.
    pub fn advance(&self) {
        if let Loss::Sum(sum) = self {
            sum.steps.advance();
        }
    }

    /// Runs the loss on named arguments (`input`, `target`, optional `weight`, …). The output
    /// holds its logical shape: `[]` for `mean`/`sum`, the element shape for `none`.
    pub fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
        self.module().forward_inputs(inputs)
    }

    /// What the loss expects in `input`.
    pub fn input_kind(&self) -> InputKind {
        self.module().input_kind()
    }

    /// The scalar training loss (`[1]`) of dense logits `[N, C, spatial…]` against class indices
    /// `[N, spatial…]` (segmentation; `DT = D − 1`): the logits become what the loss expects
    /// (softmax over dim 1 or sigmoid for probability losses), class indices become one-hot
    /// `[N, C, spatial…]` for binary / multi-label losses, and a `"none"` reduction is averaged.
    pub fn dense_loss<const D: usize, const DT: usize>(
        &self,
        logits: Tensor<D>,
        targets: Tensor<DT, Int>,
    ) -> LossResult<Tensor<1>> {
        let input = match self.input_kind() {
            InputKind::Logits => logits,
            InputKind::SoftmaxProbabilities => softmax(logits, 1),
            InputKind::SigmoidProbabilities => sigmoid(logits),
        };
        let input = DynTensor::from_tensor(input);
        let target = DynTensor::from_tensor(targets);
        let target = match self.module().target_kind() {
            TargetKind::Probabilities => DynInput::Float(crate::tensor::onehot::one_hot_target(
                self.name(),
                &input,
                &target,
            )?),
            TargetKind::ClassIndices | TargetKind::Either => DynInput::Int(target),
        };
        let mut inputs = LossInputs::new();
        inputs.insert("input", DynInput::Float(input));
        inputs.insert("target", target);
        let out = self.forward_inputs(&inputs)?.flat;
        Ok(if out.dims()[0] == 1 { out } else { out.mean() })
    }
}

impl Loss {
    /// The scalar training loss (`[1]`) of a labelled batch of `embeddings [N, D]` with integer
    /// `labels [N]`: the metric-learning losses (`triplet_mined`, `contrastive` over every pair,
    /// `nt_xent`, `supcon`, `arcface`, `cosface`); a `"none"` reduction is averaged. Other losses
    /// say which arguments they take.
    pub fn embedding_loss(&self, embeddings: Tensor<2>, labels: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let inputs = LossInputs::new()
            .with_float("embeddings", embeddings)
            .with_int("labels", labels);
        let out = self.forward_inputs(&inputs)?.flat;
        Ok(if out.dims()[0] == 1 { out } else { out.mean() })
    }
}

impl ClassificationLoss for Loss {
    fn classification_loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
        let input = match self.input_kind() {
            InputKind::Logits => logits,
            InputKind::SoftmaxProbabilities => softmax(logits, 1),
            InputKind::SigmoidProbabilities => sigmoid(logits),
        };
        let loss = self.module().classification_loss(input, targets)?;
        Ok(if loss.dims()[0] == 1 { loss } else { loss.mean() })
    }
}

// The registry: one line per loss.
register_losses! {
    BinaryFocal("binary_focal", BinaryFocalLossConfig => BinaryFocalLoss):
        "sigmoid focal loss, binary / multi-label";
        anchor "torchvision sigmoid_focal_loss, Keras",
    Focal("focal", FocalLossConfig => FocalLoss):
        "softmax focal loss, multiclass";
        anchor "kornia focal_loss, PyTorch cross_entropy at gamma 0, Keras",
    ClassBalanced("class_balanced", ClassBalancedLossConfig => ClassBalancedLoss):
        "class-balanced loss over softmax / sigmoid / focal / softmax_bce";
        anchor "Cui et al. 2019, official TF code and its PyTorch port",
    Bce("bce", BceLossConfig => BceLoss):
        "binary cross-entropy with pos_weight";
        anchor "PyTorch binary_cross_entropy_with_logits, Keras",
    BalancedBce("balanced_bce", BalancedBceLossConfig => BalancedBceLoss):
        "class-balanced BCE, beta = fraction of negatives";
        anchor "HED, Xie & Tu 2015",
    GhmC("ghm_c", GhmCLossConfig => GhmCLoss):
        "gradient harmonizing classification loss (Li et al. 2019)";
        anchor "mmdet GHMC",
    GhmR("ghm_r", GhmRLossConfig => GhmRLoss):
        "gradient harmonizing regression loss, authentic smooth L1";
        anchor "mmdet GHMR",
    Dice("dice", DiceLossConfig => DiceLoss):
        "soft Dice / Jaccard loss for segmentation";
        anchor "MONAI DiceLoss, V-Net",
    GeneralizedDice("generalized_dice", GeneralizedDiceLossConfig => GeneralizedDiceLoss):
        "generalized Dice, classes weighted by inverse target volume";
        anchor "MONAI GeneralizedDiceLoss",
    Tversky("tversky", TverskyLossConfig => TverskyLoss):
        "Tversky loss, alpha on false positives and beta on false negatives";
        anchor "MONAI TverskyLoss",
    FocalTversky("focal_tversky", FocalTverskyLossConfig => FocalTverskyLoss):
        "focal Tversky loss";
        anchor "Abraham & Khan 2019; smp TverskyLoss(gamma=)",
    LogCoshDice("log_cosh_dice", LogCoshDiceLossConfig => LogCoshDiceLoss):
        "log(cosh(Dice loss)) per sample and class";
        anchor "Jadon 2020",
    Lovasz("lovasz", LovaszLossConfig => LovaszLoss):
        "Lovasz-softmax / Lovasz hinge surrogate of the IoU loss";
        anchor "Berman et al. 2018, smp LovaszLoss",
    Dsc("dsc", DscLossConfig => DscLoss):
        "self-adjusting Dice for imbalanced classification / tagging";
        anchor "Li et al. 2020, ShannonAI",
    Sum("sum", SumLossConfig => SumLoss):
        "weighted sum of losses fed the same input and target";
        anchor "MONAI DiceCELoss, DiceFocalLoss",
    TripletMargin("triplet_margin", TripletMarginLossConfig => TripletMarginLoss):
        "triplet margin loss on anchor / positive / negative rows";
        anchor "PyTorch TripletMarginLoss",
    TripletMined("triplet_mined", TripletMinedLossConfig => TripletMinedLoss):
        "triplet loss mined in a labelled batch: batch-all, batch-hard, semi-hard";
        anchor "PML, TF-Addons",
    Contrastive("contrastive", ContrastiveLossConfig => ContrastiveLoss):
        "contrastive loss on pairs, distances or every pair of a labelled batch";
        anchor "TF-Addons, PML",
    NtXent("nt_xent", NtXentLossConfig => NtXentLoss):
        "NT-Xent / InfoNCE over cosine similarities";
        anchor "SimCLR; PML NTXentLoss",
    SupCon("supcon", SupConLossConfig => SupConLoss):
        "supervised contrastive loss";
        anchor "Khosla et al. 2020; PML SupConLoss",
    ArcFace("arcface", ArcFaceLossConfig => ArcFaceLoss):
        "additive angular margin softmax with trainable class weights";
        anchor "Deng et al. 2019; PML ArcFaceLoss",
    CosFace("cosface", CosFaceLossConfig => CosFaceLoss):
        "additive cosine margin softmax with trainable class weights";
        anchor "Wang et al. 2018; PML CosFaceLoss",
    Mae("mae", MaeLossConfig => MaeLoss):
        "mean absolute error";
        anchor "PyTorch l1_loss, Keras",
    Mse("mse", MseLossConfig => MseLoss):
        "mean squared error";
        anchor "PyTorch mse_loss, Keras, burn-nn MseLoss",
    Rmse("rmse", RmseLossConfig => RmseLoss):
        "root mean squared error with an epsilon under the root";
        anchor "my_rmse of the TensorFlow 2 custom-loss guide (Sarkar)",
    Huber("huber", HuberLossConfig => HuberLoss):
        "Huber loss with threshold delta";
        anchor "PyTorch huber_loss, Keras Huber",
    SmoothL1("smooth_l1", SmoothL1LossConfig => SmoothL1Loss):
        "smooth L1 loss with beta";
        anchor "PyTorch smooth_l1_loss",
    LogCosh("log_cosh", LogCoshLossConfig => LogCoshLoss):
        "log(cosh(error)), overflow-safe";
        anchor "Keras log_cosh",
    Quantile("quantile", QuantileLossConfig => QuantileLoss):
        "pinball loss for one or several quantiles";
        anchor "TF-Addons pinball_loss",
    Mape("mape", MapeLossConfig => MapeLoss):
        "mean absolute percentage error";
        anchor "Keras mean_absolute_percentage_error",
    Smape("smape", SmapeLossConfig => SmapeLoss):
        "symmetric mean absolute percentage error";
        anchor "Makridakis 1993, M3/M4 competitions",
    Msle("msle", MsleLossConfig => MsleLoss):
        "mean squared logarithmic error";
        anchor "Keras mean_squared_logarithmic_error",
    Poisson("poisson", PoissonLossConfig => PoissonLoss):
        "Poisson negative log-likelihood";
        anchor "Keras poisson; log_input = PyTorch PoissonNLLLoss",
    Charbonnier("charbonnier", CharbonnierLossConfig => CharbonnierLoss):
        "Charbonnier loss sqrt(d^2 + epsilon^2), the robust L1";
        anchor "Lai et al. 2017 (LapSRN); kornia charbonnier_loss at epsilon 1",
    GaussianNll("gaussian_nll", GaussianNllLossConfig => GaussianNllLoss):
        "Gaussian negative log-likelihood with predicted variances";
        anchor "PyTorch GaussianNLLLoss",
    CrossEntropy("cross_entropy", CrossEntropyLossConfig => CrossEntropyLoss):
        "softmax cross-entropy with class weights, ignore_index, label smoothing";
        anchor "PyTorch cross_entropy",
    Nll("nll", NllLossConfig => NllLoss):
        "negative log-likelihood of log-probabilities";
        anchor "PyTorch nll_loss",
    KlDivergence("kl_divergence", KlDivergenceLossConfig => KlDivergenceLoss):
        "Kullback-Leibler divergence, batchmean";
        anchor "PyTorch kl_div, Keras kl_divergence",
    Poly1("poly1", Poly1LossConfig => Poly1Loss):
        "Poly-1: cross-entropy + epsilon (1 - p_t)";
        anchor "Leng et al. 2022",
    Hinge("hinge", HingeLossConfig => HingeLoss):
        "hinge loss max(1 - y yhat, 0), labels +-1 or 0/1";
        anchor "Keras hinge",
    SquaredHinge("squared_hinge", SquaredHingeLossConfig => SquaredHingeLoss):
        "squared hinge loss";
        anchor "Keras squared_hinge",
    CategoricalHinge("categorical_hinge", CategoricalHingeLossConfig => CategoricalHingeLoss):
        "multiclass hinge on one-hot targets";
        anchor "Keras categorical_hinge",
    MultiMargin("multi_margin", MultiMarginLossConfig => MultiMarginLoss):
        "multiclass margin loss with p, margin, class weights";
        anchor "PyTorch multi_margin_loss",
    Perceptron("perceptron", PerceptronLossConfig => PerceptronLoss):
        "perceptron loss max(0, -y yhat)";
        anchor "Rosenblatt; scikit-learn Perceptron",
    Exponential("exponential", ExponentialLossConfig => ExponentialLoss):
        "exponential loss exp(-y yhat)";
        anchor "AdaBoost",
    Logistic("logistic", LogisticLossConfig => LogisticLoss):
        "logistic loss log(1 + exp(-y yhat)), stable";
        anchor "scikit-learn log_loss of margins",
    CosineSimilarity("cosine_similarity", CosineSimilarityLossConfig => CosineSimilarityLoss):
        "negative cosine similarity or 1 - cos along an axis";
        anchor "Keras cosine_similarity",
    CosineEmbedding("cosine_embedding", CosineEmbeddingLossConfig => CosineEmbeddingLoss):
        "cosine embedding loss of pairs with +-1 labels";
        anchor "PyTorch cosine_embedding_loss",
    MarginRanking("margin_ranking", MarginRankingLossConfig => MarginRankingLoss):
        "margin ranking loss of score pairs";
        anchor "PyTorch margin_ranking_loss",
    HingeEmbedding("hinge_embedding", HingeEmbeddingLossConfig => HingeEmbeddingLoss):
        "hinge embedding loss of distances with +-1 labels";
        anchor "PyTorch hinge_embedding_loss",
}
