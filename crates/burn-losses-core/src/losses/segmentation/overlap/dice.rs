//! [`DiceLoss`], [`LogCoshDiceLoss`] and [`GeneralizedDiceLoss`].

use burn::tensor::{Float, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::shared::*;
use crate::error::{LossError, LossResult, check, or_panic};
use crate::reduction::reduce_to_dyn;
use crate::reduction::{ElementLoss, Reduction};
use crate::tensor::activation::Activation;
use crate::tensor::dynamic::{DynInput, DynTensor, LossInputs};
use crate::tensor::math::{log_cosh, safe_ratio};

/// Declares a loss with [`DiceLossConfig`]'s fields (the shared ones plus `squared_pred`,
/// `jaccard`, `weight`) through [`overlap_config`], its `validate` and its Dice form.
macro_rules! dice_config {
    ($(#[$($meta:tt)*])* $config:ident($name:literal) $(#[$($loss_meta:tt)*])* $loss:ident;) => {
        overlap_config! {
            $(#[$($meta)*])*
            $config($name) {
                /// `true`: `P = Σ p²` and `G = Σ g²` (V-Net; MONAI `squared_pred`). Default `false`.
                squared_pred: bool = false => with_squared_pred,
                /// `true`: the Jaccard / IoU form, denominator `2(G + P − I)` (MONAI `jaccard`).
                /// Default `false`.
                jaccard: bool = false => with_jaccard,
                /// Per-class weights multiplying each class's loss before the reduction, length C
                /// (C − 1 without the background) or 1 (MONAI `weight`). Default `None`. With one
                /// scored channel (after `include_background: false`) it is ignored, as MONAI's
                /// `DiceLoss` ignores it there.
                weight: Option<Vec<f32>> = None => with_weight,
                /// `"macro"` (default): one loss per sample and class. `"micro"`: one Dice per
                /// sample over all classes and pixels, `weight` scaling class c's terms in every
                /// sum (kornia `dice_loss(average="micro")`; Keras `Dice(axis=(1, 2, 3))`, or with
                /// `batch` `axis=None`); `"none"` then returns `[N]` (`[1]` with `batch`). `dice`
                /// only.
                average: ClassAverage = ClassAverage::Macro => with_average,
            }
            validate(&self) {
                if let Some(w) = &self.weight {
                    check::weights(Self::NAME, "weight", w)?;
                }
                self.options().check_average(Self::NAME, self.average)?;
                if Self::NAME != "dice" {
                    if self.average != ClassAverage::Macro {
                        return Err(LossError::config(
                            Self::NAME,
                            "average",
                            "\"macro\" (the log cosh applies to each class's Dice loss)",
                            format!("\"{}\"", self.average),
                        ));
                    }
                    self.options().refuse_skip(Self::NAME)?;
                }
                Ok(())
            }
            $(#[$($loss_meta)*])*
            $loss;
        }

        impl $config {
            fn form(&self) -> DiceForm<'_> {
                DiceForm {
                    squared_pred: self.squared_pred,
                    jaccard: self.jaccard,
                    weight: self.weight.as_deref(),
                    average: self.average,
                }
            }
        }
    };
}

dice_config! {
    /// Configuration of [`DiceLoss`] (`"type": "dice"` in a [`LossConfig`](crate::LossConfig)):
    /// MONAI `DiceLoss`'s options.
    DiceLossConfig("dice")
    /// Soft Dice loss (Milletari et al. 2016, V-Net, <https://arxiv.org/abs/1606.04797>), per sample
    /// and class:
    ///
    /// ```text
    /// f = 1 − (2·I + smooth_nr) / (G + P + smooth_dr)            (jaccard: denominator 2·(G + P − I))
    /// ```
    ///
    /// with the sums of the module docs (squared with `squared_pred`), times the class `weight`;
    /// `"mean"` averages `f` over `[N, C']` (`[C']` with `batch`), `"none"` returns it (`C'` = C, or
    /// C − 1 without the background). Equals MONAI `DiceLoss` (`to_onehot_y=True` for class
    /// targets, `MaskedDiceLoss` for `mask`) option by option. The V-Net / survey-document PyTorch
    /// Dice (`sigmoid`, global sums, smooth 1) is `{"activation": "sigmoid", "batch": true,
    /// "smooth_nr": 1, "smooth_dr": 1}` on one channel.
    ///
    /// # Shapes
    /// - `input`: `[N, C, spatial…]` (or `[N, C]`)
    /// - `target`: class indices `[N, spatial…]` or probabilities `[N, C, spatial…]`
    /// - `mask` (optional): `[N, spatial…]` or `[N, 1, spatial…]`
    /// - output: `[1]` (mean, sum); `[N, C']` or `[C']` with `batch` (none); `[N]` (`[1]` with `batch`) with
    ///   `average: "micro"` or `absent_classes: "skip"`
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A class absent from prediction and target — every pixel
    /// ignored or masked included — takes the empty-class policy of the [overlap losses](crate#overlap-losses): `(0 +
    /// smooth_nr) / (0 + smooth_dr)` (loss 0 with the default smoothing), and loss 0 with a zero
    /// gradient, never NaN, when `smooth_dr` = 0.
    DiceLoss;
}

impl DiceLoss {
    fn scores(
        &self,
        input: &DynTensor<Float>,
        target: OverlapTarget<'_>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let options = self.config.options();
        let name = DiceLossConfig::NAME;
        let f = dice_scores(name, &options, &self.config.form(), input, target, mask)?;
        let per_sample =
            self.config.average == ClassAverage::Micro || options.absent_classes == AbsentClasses::Skip;
        Ok(if per_sample {
            scored_per_sample(f)
        } else {
            scored(f, options.batch)
        })
    }

    fn reduce(&self, terms: ElementLoss<2>) -> Tensor<1> {
        terms.reduce(self.config.reduction)
    }
}

dice_config! {
    /// Configuration of [`LogCoshDiceLoss`] (`"type": "log_cosh_dice"`): the options of
    /// [`DiceLossConfig`] (`weight` applies before the `log cosh`).
    LogCoshDiceLossConfig("log_cosh_dice")
    /// Log-cosh Dice loss (Jadon 2020, "A survey of loss functions for semantic segmentation",
    /// <https://arxiv.org/abs/2006.14822>): `log(cosh(f))` of each (sample, class) [`DiceLoss`] value
    /// `f` before the reduction (so `"none"` is `[N, C']`), computed as
    /// `|f| + log1p(exp(−2|f|)) − log 2` (no overflow). Same options, shapes and anchors as
    /// [`DiceLoss`]; the reference is MONAI `DiceLoss(reduction="none")` followed by `log(cosh(·))`.
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A class absent from prediction and target — every pixel
    /// ignored or masked included — takes the empty-class policy of the [overlap losses](crate#overlap-losses): `(0 +
    /// smooth_nr) / (0 + smooth_dr)` (loss 0 with the default smoothing), and loss 0 with a zero
    /// gradient, never NaN, when `smooth_dr` = 0.
    LogCoshDiceLoss;
}

impl LogCoshDiceLoss {
    fn scores(
        &self,
        input: &DynTensor<Float>,
        target: OverlapTarget<'_>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let options = self.config.options();
        let name = LogCoshDiceLossConfig::NAME;
        let f = dice_scores(name, &options, &self.config.form(), input, target, mask)?;
        Ok(scored(log_cosh(f), options.batch))
    }

    fn reduce(&self, terms: ElementLoss<2>) -> Tensor<1> {
        terms.reduce(self.config.reduction)
    }
}

/// The class weights of [`GeneralizedDiceLoss`], from the target volume `G` of each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneralizedDiceWeight {
    /// `w = 1 / G²` (Sudre et al. 2017; MONAI default).
    #[default]
    Square,
    /// `w = 1 / G`.
    Simple,
    /// `w = 1`.
    Uniform,
}

overlap_config! {
    /// Configuration of [`GeneralizedDiceLoss`] (`"type": "generalized_dice"`): MONAI
    /// `GeneralizedDiceLoss`'s options.
    GeneralizedDiceLossConfig("generalized_dice") {
        /// `"square"` (default, `1/G²`), `"simple"` (`1/G`) or `"uniform"` (1).
        w_type: GeneralizedDiceWeight = GeneralizedDiceWeight::Square => with_w_type,
    }
    validate(&self) {
        if self.absent_classes != AbsentClasses::Score {
            return Err(LossError::config(
                Self::NAME,
                "absent_classes",
                "\"score\" (one ratio over all classes: its weights already give absent classes the largest finite weight)",
                format!("\"{}\"", self.absent_classes),
            ));
        }
        Ok(())
    }
    /// Generalized Dice loss (Sudre et al. 2017, <https://arxiv.org/abs/1707.03237>): one ratio per
    /// sample over all classes, each class weighted by the inverse of its target volume,
    ///
    /// ```text
    /// f = 1 − (2·Σ_c w_c·I_c + smooth_nr) / (Σ_c w_c·(G_c + P_c) + smooth_dr)
    /// ```
    ///
    /// A class absent from the target (`G_c = 0`, infinite weight) gets the largest finite weight of
    /// its sample (of the batch with `batch`), as MONAI `GeneralizedDiceLoss` does. `"none"` returns
    /// `[N]` (`[1]` with `batch`), `"mean"` averages it. Inputs as [`DiceLoss`].
    ///
    /// **Degenerate batches:** an empty batch is an error naming the argument (no loss has a value for
    /// it; PyTorch's mean would be NaN). A class absent from prediction and target — every pixel
    /// ignored or masked included — takes the empty-class policy of the [overlap losses](crate#overlap-losses): `(0 +
    /// smooth_nr) / (0 + smooth_dr)` (loss 0 with the default smoothing), and loss 0 with a zero
    /// gradient, never NaN, when `smooth_dr` = 0.
    GeneralizedDiceLoss;
}

impl GeneralizedDiceLoss {
    fn scores(
        &self,
        input: &DynTensor<Float>,
        target: OverlapTarget<'_>,
        mask: Option<&DynTensor<Float>>,
    ) -> LossResult<(ElementLoss<2>, Vec<usize>)> {
        let config = &self.config;
        let OverlapSums {
            intersection,
            pred,
            target: ground,
        } = overlap_sums(
            GeneralizedDiceLossConfig::NAME,
            &config.options(),
            input,
            target,
            mask,
            false,
        )?;
        let w = match config.w_type {
            GeneralizedDiceWeight::Uniform => ground.ones_like(),
            kind => {
                let empty = ground.clone().equal_elem(0.0);
                let safe = ground.clone().mask_fill(empty.clone(), 1.0);
                let w = match kind {
                    GeneralizedDiceWeight::Square => safe.powi_scalar(2).recip(),
                    _ => safe.recip(),
                };
                let w = w.mask_fill(empty.clone(), 0.0);
                let largest = w.clone().max_dim(1);
                w + empty.float().cast(largest.dtype()) * largest
            }
        };
        let numerator = (intersection * w.clone()).sum_dim(1) * 2.0 + config.smooth_nr;
        let denominator = ((ground + pred) * w).sum_dim(1) + config.smooth_dr;
        let f = safe_ratio(numerator, denominator).neg() + 1.0;
        let n = f.dims()[0];
        Ok((ElementLoss::new(f), vec![n]))
    }

    fn reduce(&self, terms: ElementLoss<2>) -> Tensor<1> {
        terms.reduce(self.config.reduction)
    }
}
