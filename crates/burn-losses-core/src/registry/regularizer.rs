//! Regularisation of a model's parameters, added to a composite loss by the Learner adapters:
//! Keras' `L1L2` penalty `l1·Σ|w| + l2·Σw²` over the float parameters, optionally without the
//! biases and the normalisation layers' parameters (optax's masked weight decay) or over one
//! parameter group (the parameters whose path contains a given text).

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{LossError, LossResult, check};

/// One regularisation term of a [`SumLossConfig`](crate::SumLossConfig) (`"regularizers"`):
/// `l1·Σ|w| + l2·Σw²` over the selected parameters of the model the adapter trains (Keras
/// `keras.regularizers.L1L2(l1, l2)`; L1, L2 and the elastic net are its special cases). The
/// adapters (`LossClassifier`, `LossSegmenter`, `LossEmbedder`, `LossSiamese`) add it to the loss
/// of every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegularizerConfig {
    /// Factor of `Σ|w|`, >= 0. Default `0`.
    pub l1: f64,
    /// Factor of `Σw²`, >= 0 (Keras' `l2`; PyTorch's `weight_decay = 2·l2` for plain SGD).
    /// Default `0`.
    pub l2: f64,
    /// Leaves out the parameters named `bias` (optax masks them out of weight decay on request).
    /// Default `false`.
    pub exclude_biases: bool,
    /// Leaves out the parameters of normalisation layers (burn's `LayerNorm`, `BatchNorm`,
    /// `GroupNorm`, `InstanceNorm`, `RmsNorm`: any module type whose name ends in `Norm`).
    /// Default `false`. Running statistics (`running_mean`, `running_var`) are never penalised.
    pub exclude_norms: bool,
    /// Only the parameters whose dotted path (`head.linear.weight`) contains one of these texts: a
    /// parameter group. Default `[]`: every parameter.
    pub include: Vec<String>,
}

impl Default for RegularizerConfig {
    fn default() -> Self {
        Self {
            l1: 0.0,
            l2: 0.0,
            exclude_biases: false,
            exclude_norms: false,
            include: Vec::new(),
        }
    }
}

impl RegularizerConfig {
    /// Checks the factors; `field` names this term in the error (`regularizers[0]`).
    pub(crate) fn validate(&self, loss: &'static str, field: &str) -> LossResult<()> {
        check::non_negative(loss, &format!("{field}.l1"), self.l1)?;
        check::non_negative(loss, &format!("{field}.l2"), self.l2)?;
        if self.l1 == 0.0 && self.l2 == 0.0 {
            return Err(LossError::config(
                loss,
                field,
                "a term with l1 > 0 or l2 > 0",
                "l1 = l2 = 0",
            ));
        }
        Ok(())
    }

    /// The penalty over `model`'s selected float parameters (`[1]`; zero when none is selected),
    /// on the parameters' graph: its gradient reaches them.
    pub fn penalty<M: Module>(&self, model: &M) -> Option<Tensor<1>> {
        let mut visitor = Penalty {
            config: self,
            path: Vec::new(),
            containers: Vec::new(),
            total: None,
        };
        model.visit(&mut visitor);
        visitor.total
    }
}

/// Sums the penalty while visiting the model, tracking each parameter's path and the type of the
/// module that holds it.
struct Penalty<'a> {
    config: &'a RegularizerConfig,
    path: Vec<String>,
    containers: Vec<String>,
    total: Option<Tensor<1>>,
}

impl Penalty<'_> {
    fn selected(&self) -> bool {
        let name = self.path.last().map(String::as_str).unwrap_or("");
        // a normalisation layer's running statistics are state, not trained parameters
        if name.starts_with("running_") {
            return false;
        }
        if self.config.exclude_biases && name == "bias" {
            return false;
        }
        // the type of the module holding the parameter is the container of its field
        let holder = self.containers.last().map(String::as_str).unwrap_or("");
        if self.config.exclude_norms && holder.ends_with("Norm") {
            return false;
        }
        if !self.config.include.is_empty() {
            let dotted = self.path.join(".");
            return self
                .config
                .include
                .iter()
                .any(|group| dotted.contains(group.as_str()));
        }
        true
    }
}

impl ModuleVisitor for Penalty<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !self.selected() {
            return;
        }
        let w = param.val();
        let numel = w.shape().num_elements();
        // half-precision parameters are summed in f32 (Σw² overflows f16 easily)
        let w = w.reshape([numel]);
        let w = w.clone().cast(crate::tensor::dynamic::compute_dtype(w.dtype()));
        let mut term: Option<Tensor<1>> = None;
        if self.config.l1 > 0.0 {
            term = Some(w.clone().abs().sum() * self.config.l1);
        }
        if self.config.l2 > 0.0 {
            let l2 = w.powi_scalar(2).sum() * self.config.l2;
            term = Some(match term {
                Some(t) => t + l2,
                None => l2,
            });
        }
        if let Some(term) = term {
            self.total = Some(match self.total.take() {
                Some(total) => total + term,
                None => term,
            });
        }
    }
}
