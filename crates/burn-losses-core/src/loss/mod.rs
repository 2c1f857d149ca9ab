//! What a loss is: the contract every loss module implements ([`LossModule`]), what it expects
//! as `input` ([`InputKind`]) and `target` ([`TargetKind`]), and the machinery the loss files are
//! declared with. Everything here sits below the loss files and the registry that lists them.

use burn::tensor::{Int, Tensor};

use crate::error::{LossError, LossResult};
use crate::tensor::dynamic::DynTensor;
use crate::tensor::dynamic::LossInputs;

pub(crate) mod declare;
pub(crate) mod doc;
pub(crate) mod elementwise;
pub(crate) mod input_target;

/// The kind of tensor a loss argument holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentKind {
    /// A float tensor.
    Float,
    /// An integer tensor (class indices, labels).
    Int,
    /// Either (the loss reads the form it is given, e.g. class indices or probabilities).
    FloatOrInt,
}

impl core::fmt::Display for ArgumentKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ArgumentKind::Float => "float",
            ArgumentKind::Int => "int",
            ArgumentKind::FloatOrInt => "float or int",
        })
    }
}

/// One named argument of a loss: what its `forward_inputs` accepts under that name (the typed
/// `forward` passes its arguments under the same names). Declared once, in the `forward` clause
/// of the loss's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument {
    /// The argument's name (`input`, `target`, `weight`, `embeddings`, …).
    pub name: &'static str,
    /// The kind of tensor it holds.
    pub kind: ArgumentKind,
    /// Whether every call needs it (`false`: optional).
    pub required: bool,
}

/// A loss whose named arguments are declared: every built-in loss (the registry requires it).
pub(crate) trait DeclaredArguments {
    /// The arguments, in declaration order.
    const ARGUMENTS: &'static [Argument];
    /// Their names, in the same order: what `forward_inputs` accepts (generated with
    /// `ARGUMENTS` from the same declaration, so the check needs no allocation per call).
    const ARGUMENT_NAMES: &'static [&'static str];
}

/// What a loss expects in its `input` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Raw scores.
    Logits,
    /// Softmax probabilities over dim 1.
    SoftmaxProbabilities,
    /// Independent sigmoid probabilities.
    SigmoidProbabilities,
}

/// What a loss accepts as `target`: how a composite loss ([`SumLoss`](crate::SumLoss))
/// feeds one target to several terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Class indices only (softmax losses).
    ClassIndices,
    /// Float targets of the shape of `input` (binary / multi-label losses): class indices are
    /// one-hot encoded for them.
    Probabilities,
    /// Either form (the overlap losses), or a loss that checks its target itself.
    Either,
}

/// What every loss module provides to the config-driven [`Loss`](crate::Loss) (and so to the CLI, the Learner
/// adapter and the tests): the named-argument forward, the kind of `input` it expects, and how it
/// scores class logits against class indices.
pub trait LossModule {
    /// Runs the loss on named arguments (`input`, `target`, optional `weight`, …). The output
    /// holds its logical shape: `[]` for `mean`/`sum`, the element shape for `none`.
    fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor>;

    /// What the loss expects in `input` (default: logits).
    fn input_kind(&self) -> InputKind {
        InputKind::Logits
    }

    /// What the loss accepts as `target` (default: either form).
    fn target_kind(&self) -> TargetKind {
        TargetKind::Either
    }

    /// Whether the loss averages its arguments' last axis away (Keras's per-sample loss,
    /// `reduce_last_axis: true`): `forward_no_reduction` then keeps that axis with size 1.
    #[doc(hidden)]
    fn reduces_last_axis(&self) -> bool {
        false
    }

    /// The configured loss of `input [N, C]` (already turned into what [`input_kind`]
    /// asks for) against class indices `[N]`: multiclass losses use the indices as they are,
    /// binary / multi-label losses their one-hot `[N, C]` (one sigmoid per class). A loss that
    /// cannot score class indices (a regression loss) says so.
    ///
    /// [`input_kind`]: Self::input_kind
    fn classification_loss(&self, input: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>>;
}

/// `forward_inputs` of a loss of `input` and class indices `target` (any ranks), flattened: the
/// typed `forward` of the multiclass losses, and their [`LossModule::classification_loss`]
/// (logits `[N, C]`, indices `[N]`).
pub(crate) fn forward_with_indices<L: LossModule + ?Sized, const D: usize, const DT: usize>(
    loss: &L,
    input: Tensor<D>,
    targets: Tensor<DT, Int>,
) -> LossResult<Tensor<1>> {
    let inputs = LossInputs::new()
        .with_float("input", input)
        .with_int("target", targets);
    forward_typed(loss, inputs)
}

/// [`LossModule::classification_loss`] of a loss whose `forward_inputs` takes `input [N, C]` and
/// a float `target` of its shape: the one-hot view of the class indices ([`one_hot_like`]).
pub(crate) fn classification_with_one_hot<L: LossModule + ?Sized>(
    loss: &L,
    input: Tensor<2>,
    targets: Tensor<1, Int>,
) -> LossResult<Tensor<1>> {
    let one_hot = crate::tensor::onehot::one_hot_like(&input, targets);
    let inputs = LossInputs::new()
        .with_float("input", input)
        .with_float("target", one_hot);
    Ok(loss.forward_inputs(&inputs)?.flat)
}

/// The error of [`LossModule::classification_loss`] for a loss that does not score class logits
/// against class indices (a metric-learning loss): says what it takes instead.
pub(crate) fn not_a_classification_loss(loss: &'static str, takes: &str) -> LossError {
    LossError::input(
        loss,
        "input",
        format!(
            "{takes} (it is not a loss of class logits against class indices; train it with an embedding adapter)"
        ),
        "class logits [N, C]",
    )
}

/// A loss that scores class logits `[N, C]` against class indices `[N]`: what the Learner
/// adapter of `burn-losses-train` needs.
pub trait ClassificationLoss {
    /// The scalar training loss (`[1]`) from model logits `[N, C]` and class indices `[N]`.
    /// Logits are turned into the probabilities the loss expects when it was configured with
    /// `from_logits = false`; a `"none"` reduction is averaged.
    fn classification_loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> LossResult<Tensor<1>>;
}

/// The typed `try_forward` of a loss from its named arguments, through
/// [`LossModule::forward_inputs`]: `[1]` for `"mean"` / `"sum"`, the flattened unreduced losses for
/// `"none"` (the rule of every typed `forward`).
pub(crate) fn forward_typed<L: LossModule + ?Sized>(loss: &L, inputs: LossInputs) -> LossResult<Tensor<1>> {
    Ok(loss.forward_inputs(&inputs)?.flat)
}

/// The typed `forward_no_reduction` of a loss from its named arguments: the `"none"` output of
/// `unreduced` (the loss with `reduction: "none"`) in its logical shape, of rank `R` — the one
/// rule of every `forward_no_reduction`: the unreduced losses, never flattened, in the shape the
/// loss's `# Shapes` section gives for `"none"`.
pub(crate) fn forward_unreduced<L: LossModule + ?Sized, const R: usize>(
    unreduced: &L,
    inputs: LossInputs,
) -> LossResult<Tensor<R>> {
    let mut out = unreduced.forward_inputs(&inputs)?;
    if out.shape.len() + 1 == R && unreduced.reduces_last_axis() {
        // Keras's per-sample loss: the averaged axis kept with size 1
        out.shape.push(1);
    }
    if out.shape.len() != R {
        return Err(LossError::input(
            "forward_no_reduction",
            "input",
            format!("arguments whose unreduced loss has rank {R}"),
            format!(
                "an unreduced loss of shape {}",
                crate::error::fmt_shape(&out.shape)
            ),
        ));
    }
    Ok(out.into_tensor())
}
