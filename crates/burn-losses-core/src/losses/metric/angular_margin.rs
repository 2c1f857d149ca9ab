//! ArcFace and CosFace: the family's shared documentation is the crate docs' [ArcFace and CosFace](crate#arcface-and-cosface).

use burn::module::Param;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

use crate::error::{LossError, LossResult, check, fmt_shape};
use crate::losses::metric::embedding::{check_label_range, embeddings_and_labels};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::checks::check_same_dtype;
use crate::tensor::dynamic::{DynTensor, LossInputs};
use crate::tensor::math::{l2_normalize, safe_sqrt};

/// `w` on the device of `like`, with its autodiff context (a loss built on the default device and
/// called on another one, e.g. by the CLI; a module moved with `fork` + `train` needs no move).
fn on_device_of(w: Tensor<2>, like: &Tensor<2>) -> Tensor<2> {
    let device = like.device();
    let w = if w.device() != device {
        w.to_device(&device)
    } else {
        w
    };
    let w = match (w.device().is_autodiff(), device.is_autodiff()) {
        (false, true) => Tensor::from_inner(w),
        (true, false) => w.without_autodiff(),
        _ => w,
    };
    // a module cast to half precision holds f16 / bf16 weights: they join the embeddings' compute
    // dtype (the cast is differentiable, the weight's gradient keeps its dtype)
    if w.dtype() != like.dtype() {
        w.cast(like.dtype())
    } else {
        w
    }
}

/// Generates the config, the module and the shared forward of an additive-margin softmax loss;
/// the variant only says how the target class's cosine is modified (`modify_target_cosine`).
macro_rules! margin_softmax_loss {
    (
        $(#[$($config_meta:tt)*])* $config:ident,
        $(#[$($loss_meta:tt)*])* $loss:ident,
        $name:literal, margin: $margin:literal, $margin_doc:literal
    ) => {
        $crate::loss::declare::loss_config! {
            $(#[$($config_meta)*])*
            $config($name, defaults "scale 64, mean", new(num_classes: usize, embedding_size: usize)) {
                /// Number of classes `C >= 1` (rows of the class-weight matrix). Required.
                num_classes: usize = 0,
                /// Embedding size `D >= 1` (columns of the class-weight matrix). Required.
                embedding_size: usize = 0,
                #[doc = $margin_doc]
                margin: f64 = $margin => with_margin,
                /// Scale `s > 0` of the logits. Default `64` (PML, the papers).
                scale: f64 = 64.0 => with_scale,
                /// `"mean"` (default), `"sum"` or `"none"` (`[N]`).
                reduction: Reduction = Reduction::Mean => with_reduction,
            }
            validate(&self) {
                for (field, value) in [("num_classes", self.num_classes), ("embedding_size", self.embedding_size)] {
                    if value == 0 {
                        return Err(LossError::config(Self::NAME, field, "an integer >= 1 (required)", value));
                    }
                }
                self.validate_margin()?;
                check::positive(Self::NAME, "scale", self.scale)
            }
            $(#[$($loss_meta)*])*
            $loss on device {
                /// The class-weight matrix `W [C, D]` (one learned centre per class), trained with
                /// the model; drawn from N(0, 1) (PML's `normal_`) at `try_init`.
                class_weights: Param<Tensor<2>> = burn::nn::Initializer::Normal { mean: 0.0, std: 1.0 }
                    .init([self.num_classes, self.embedding_size], device),
            };
            forward "`embeddings [N, D]` and class indices `labels [N]` (optionally with a class-weight matrix `[C, D]` replacing the module's for this call)",
                <> (embeddings: Tensor<2> => with_float, labels: Tensor<1, Int> => with_int),
                optional class_weights: Tensor<2> => with_float, unreduced Tensor<1>;
        }

        impl $loss {
            fn forward_named(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
                let name = $config::NAME;
                inputs.only(name, <Self as crate::loss::DeclaredArguments>::ARGUMENT_NAMES)?;
                let (e, labels) = embeddings_and_labels(name, inputs)?;
                let (c, d) = (self.config.num_classes, self.config.embedding_size);
                let [n, dim] = e.dims();
                if dim != d {
                    return Err(LossError::input(
                        name,
                        "embeddings",
                        format!("embeddings of shape [N, {d}] (embedding_size = {d})"),
                        fmt_shape(&[n, dim]),
                    ));
                }
                check_label_range(name, &labels, c)?;
                let w = match inputs.float_opt("class_weights")? {
                    Some(w) => {
                        if w.shape != [c, d] {
                            return Err(LossError::input(
                                name,
                                "class_weights",
                                format!("a class-weight matrix of shape [{c}, {d}] ([num_classes, embedding_size])"),
                                fmt_shape(&w.shape),
                            ));
                        }
                        check_same_dtype(name, "class_weights", Some(&w), &DynTensor::from_tensor(e.clone()))?;
                        w.view([c, d])
                    }
                    None => on_device_of(self.class_weights.val(), &e),
                };
                let cosine = l2_normalize(e, 1, 1e-12).matmul(l2_normalize(w, 1, 1e-12).transpose());
                let one_hot = crate::tensor::onehot::one_hot_like(&cosine, labels);
                let target = (cosine.clone() * one_hot.clone()).sum_dim(1);
                let modified = self.modify_target_cosine(target.clone());
                let logits = (cosine + one_hot.clone() * (modified - target)) * self.config.scale;
                let per_sample = (log_softmax(logits, 1) * one_hot).sum_dim(1).neg();
                Ok(reduce_to_dyn(ElementLoss::new(per_sample), vec![n], self.config.reduction))
            }
        }

        impl crate::loss::LossModule for $loss {
            fn forward_inputs(&self, inputs: &LossInputs) -> LossResult<DynTensor> {
                self.forward_named(inputs)
            }

            fn classification_loss(&self, _input: Tensor<2>, _targets: Tensor<1, Int>) -> LossResult<Tensor<1>> {
                Err(crate::loss::not_a_classification_loss(
                    $config::NAME,
                    "embeddings and labels",
                ))
            }
        }
    };
}

margin_softmax_loss!(
    /// Configuration of [`ArcFaceLoss`] (`"type": "arcface"` in a [`LossConfig`](crate::LossConfig)).
    ArcFaceLossConfig,
    /// ArcFace (Deng et al. 2019, "ArcFace: Additive Angular Margin Loss for Deep Face
    /// Recognition"), PML `ArcFaceLoss`: with `cos θ_ic` the cosine between the L2-normalised
    /// embedding `i` and class weight `c`,
    ///
    /// ```text
    /// logit_ic = s·cos(θ_ic + m) for the target class c = y_i,  s·cos θ_ic otherwise
    ///            (past θ = π − m: s·(cos θ − m·sin m), keeping the target logit decreasing in θ)
    /// ℓ_i = cross-entropy(logit_i, y_i);  mean over N (PML MeanReducer)
    /// ```
    ///
    /// `cos(θ + m)` is computed as `cos θ·cos m − sin θ·sin m` with `sin θ = √(1 − cos²θ)` (a
    /// safe root): the same value as PML's `cos(acos(cos θ) + m)` without `acos`'s infinite
    /// derivative at `cos θ = ±1` (insightface's `easy_margin` is not offered).
    ///
    /// The class weights `W [C, D]` are a trainable [`Param`]; the named-argument form also takes
    /// `class_weights [C, D]` replacing them for one call (fixtures, CLI).
    ///
    /// # Shapes
    /// - `embeddings`: `[N, D]`, `labels`: `[N]` class indices, `class_weights` (optional): `[C, D]`
    /// - output: `[1]` (mean, sum) or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    ArcFaceLoss,
    "arcface", margin: 28.6,
    "Additive angular margin in degrees, in [0, 180). Default `28.6` (PML; 0.5 rad in the paper)."
);

margin_softmax_loss!(
    /// Configuration of [`CosFaceLoss`] (`"type": "cosface"` in a [`LossConfig`](crate::LossConfig)).
    CosFaceLossConfig,
    /// CosFace / large-margin cosine loss (Wang et al. 2018), PML `CosFaceLoss`:
    ///
    /// ```text
    /// logit_ic = s·(cos θ_ic − m) for the target class c = y_i,  s·cos θ_ic otherwise
    /// ℓ_i = cross-entropy(logit_i, y_i);  mean over N
    /// ```
    ///
    /// The class weights `W [C, D]` are a trainable [`Param`]; the named-argument form also takes
    /// `class_weights [C, D]` replacing them for one call.
    ///
    /// # Shapes
    /// - `embeddings`: `[N, D]`, `labels`: `[N]` class indices, `class_weights` (optional): `[C, D]`
    /// - output: `[1]` (mean, sum) or `[N]` (none)
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value
    /// for it; PyTorch's mean would be NaN). Every element has a loss, so there is no other
    /// degenerate case: a batch of one class, or of negatives only, is an ordinary batch.
    CosFaceLoss,
    "cosface", margin: 0.35,
    "Additive cosine margin `m >= 0`. Default `0.35` (PML, the paper)."
);

impl ArcFaceLossConfig {
    fn validate_margin(&self) -> LossResult<()> {
        check::in_range(Self::NAME, "margin", self.margin, 0.0, 180.0, true)
    }
}

impl ArcFaceLoss {
    /// `cos(θ + m)` from `cos θ`, or `cos θ − m·sin m` past `θ = π − m` (PML).
    fn modify_target_cosine(&self, cosine: Tensor<2>) -> Tensor<2> {
        let m = self.config.margin.to_radians();
        let sine = safe_sqrt((cosine.clone().powi_scalar(2).neg() + 1.0).clamp_min(0.0));
        let shifted = cosine.clone() * m.cos() - sine * m.sin();
        // θ > π − m  ⇔  cos θ < −cos m
        let past_limit = cosine.clone().lower_elem(-m.cos());
        shifted.mask_where(past_limit, cosine - m * m.sin())
    }
}

impl CosFaceLossConfig {
    fn validate_margin(&self) -> LossResult<()> {
        check::non_negative(Self::NAME, "margin", self.margin)
    }
}

impl CosFaceLoss {
    /// `cos θ − m`.
    fn modify_target_cosine(&self, cosine: Tensor<2>) -> Tensor<2> {
        cosine - self.config.margin
    }
}
