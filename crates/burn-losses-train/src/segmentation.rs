//! Dense prediction (segmentation) through burn's `Learner`: [`LossSegmenter`] turns a model
//! that maps images to logits `[N, C, H, W]` and any loss of this crate into burn's
//! [`TrainStep`] / [`InferenceStep`], with a [`SegmentationOutput`] that feeds burn's own
//! `LossMetric` and `DiceMetric` (`burn::train::metric::vision`) and this crate's
//! [`PixelAccuracyMetric`] and [`MeanIouMetric`].
//!
//! ```ignore
//! let loss = LossConfig::parse(r#"{"type": "dice", "activation": "softmax"}"#)?.try_init(&device)?;
//! let learner_model = LossSegmenter::new(model, loss); // model: impl Segmenter
//! ```

use burn::module::Module;
use burn::tensor::{Int, Tensor};
#[cfg(feature = "vision")]
use burn::train::metric::vision::DiceInput;
use burn::train::metric::{
    Adaptor, ItemLazy, LossInput, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric,
    NumericAttributes, NumericEntry, SerializedEntry, format_float,
};
use burn::train::{InferenceStep, TrainOutput, TrainStep};

/// A model that maps its input to dense class logits `[N, C, H, W]`.
pub trait Segmenter: Module + burn::module::ModuleDisplay {
    /// The batch input (e.g. images `Tensor<4>`).
    type Input: Send + 'static;
    /// Logits `[N, C, H, W]` (no activation: the adapter applies what the loss expects).
    fn logits(&self, input: Self::Input) -> Tensor<4>;
}

/// One training / validation batch: model input and per-pixel class indices `[N, H, W]`.
#[derive(Debug, Clone)]
pub struct SegmentationBatch<I> {
    /// Model input.
    pub inputs: I,
    /// Class indices `[N, H, W]`.
    pub targets: Tensor<3, Int>,
}

/// What a segmentation step returns: the loss, the logits `[N, C, H, W]` and the targets
/// `[N, H, W]`. Adapts to burn's `LossInput` and (feature `vision`) `DiceInput<4>` (argmax prediction and target,
/// both one-hot) and to [`SegmentationInput`].
#[derive(Debug, Clone)]
pub struct SegmentationOutput {
    /// The scalar loss `[1]`.
    pub loss: Tensor<1>,
    /// Logits `[N, C, H, W]`.
    pub output: Tensor<4>,
    /// Class indices `[N, H, W]`.
    pub targets: Tensor<3, Int>,
}

impl ItemLazy for SegmentationOutput {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
            output: self.output.without_autodiff(),
            targets: self.targets.without_autodiff(),
        })
    }
}

impl Adaptor<LossInput> for SegmentationOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

/// One-hot `[N, C, H, W]` integers of class indices `[N, H, W]`.
fn one_hot_4d(t: Tensor<3, Int>, c: usize) -> Tensor<4, Int> {
    let [n, h, w] = t.dims();
    t.reshape([n * h * w])
        .one_hot::<2>(c)
        .reshape([n, h, w, c])
        .permute([0, 3, 1, 2])
}

#[cfg(feature = "vision")]
impl Adaptor<DiceInput<4>> for SegmentationOutput {
    fn adapt(&self) -> DiceInput<4> {
        let [n, c, h, w] = self.output.dims();
        let predicted = self.output.clone().argmax(1).reshape([n, h, w]);
        DiceInput::new(one_hot_4d(predicted, c), one_hot_4d(self.targets.clone(), c))
    }
}

/// Predicted and true class per pixel, the input of [`PixelAccuracyMetric`] and
/// [`MeanIouMetric`].
#[derive(Debug, Clone)]
pub struct SegmentationInput {
    /// Logits `[N, C, H, W]` (argmax is the prediction).
    pub output: Tensor<4>,
    /// Class indices `[N, H, W]`.
    pub targets: Tensor<3, Int>,
}

impl Adaptor<SegmentationInput> for SegmentationOutput {
    fn adapt(&self) -> SegmentationInput {
        SegmentationInput {
            output: self.output.clone(),
            targets: self.targets.clone(),
        }
    }
}

crate::loss_adapter! {
    /// A segmentation model trained with a burn-losses [`Loss`](burn_losses_core::Loss) (any loss whose `input` is dense
    /// logits / probabilities and whose `target` is class indices or one-hot: the overlap losses,
    /// `focal`, `binary_focal`, `sum`, …), see [`Loss::dense_loss`](burn_losses_core::Loss::dense_loss).
    LossSegmenter<M: Segmenter>, batch SegmentationBatch, output SegmentationOutput,
    step forward_segmentation,
    loss "The loss (a sub-module: learned term weights train with the model; moved to the model's device by `new`).",
    prepare crate::loss_on_device_of,
}

impl<M: Segmenter, B> LossSegmenter<M, B> {
    /// Logits, loss and targets of one batch. Panics with the loss's message on bad targets.
    pub fn forward_segmentation(&self, batch: SegmentationBatch<M::Input>) -> SegmentationOutput {
        let logits = self.model.logits(batch.inputs);
        let loss = self
            .settings
            .scope(|| self.loss.dense_loss(logits.clone(), batch.targets.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let loss = crate::regularized(loss, &self.loss, &self.model);
        SegmentationOutput {
            loss,
            output: logits,
            targets: batch.targets,
        }
    }
}

/// Per-class pixel counts of one or more batches: intersection `|P_c ∩ T_c|`, predicted `|P_c|`
/// and true `|T_c|` pixels, and the number of pixels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentationCounts {
    /// `|P_c ∩ T_c|` per class.
    pub intersection: Vec<f64>,
    /// `|P_c|` per class.
    pub predicted: Vec<f64>,
    /// `|T_c|` per class.
    pub truth: Vec<f64>,
    /// Pixels seen.
    pub pixels: f64,
}

impl SegmentationCounts {
    /// The counts of one batch (one device sync).
    pub fn of(input: &SegmentationInput) -> Self {
        let [n, c, h, w] = input.output.dims();
        let predicted = one_hot_4d(input.output.clone().argmax(1).reshape([n, h, w]), c);
        let truth = one_hot_4d(input.targets.clone(), c);
        let per_class = |t: Tensor<4, Int>| -> Tensor<1, Int> {
            t.swap_dims(0, 1).reshape([c, n * h * w]).sum_dim(1).reshape([c])
        };
        let all = Tensor::cat(
            vec![
                per_class(predicted.clone() * truth.clone()),
                per_class(predicted),
                per_class(truth),
            ],
            0,
        );
        let v: Vec<f64> = all.into_data().iter::<f64>().collect();
        Self {
            intersection: v[..c].to_vec(),
            predicted: v[c..2 * c].to_vec(),
            truth: v[2 * c..].to_vec(),
            pixels: (n * h * w) as f64,
        }
    }

    /// Adds `other` (same number of classes, or `self` empty).
    pub fn add(&mut self, other: &Self) {
        if self.intersection.is_empty() {
            *self = other.clone();
            return;
        }
        for (a, b) in [
            (&mut self.intersection, &other.intersection),
            (&mut self.predicted, &other.predicted),
            (&mut self.truth, &other.truth),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.pixels += other.pixels;
    }

    /// Fraction of pixels whose predicted class is right.
    pub fn pixel_accuracy(&self) -> f64 {
        self.intersection.iter().sum::<f64>() / self.pixels
    }

    /// Fraction of the pixels of true class `>= first_class` whose predicted class is right
    /// (`first_class` 1: the foreground pixels only).
    pub fn pixel_accuracy_from(&self, first_class: usize) -> f64 {
        if first_class == 0 {
            return self.pixel_accuracy();
        }
        let right: f64 = self.intersection.iter().skip(first_class).sum();
        right / self.truth.iter().skip(first_class).sum::<f64>()
    }

    /// IoU `|P ∩ T| / |P ∪ T|` per class (`NaN` for a class absent from both).
    pub fn per_class_iou(&self) -> Vec<f64> {
        (0..self.intersection.len())
            .map(|c| {
                let union = self.predicted[c] + self.truth[c] - self.intersection[c];
                self.intersection[c] / union
            })
            .collect()
    }

    /// Dice `2|P ∩ T| / (|P| + |T|)` per class (`NaN` for a class absent from both).
    pub fn per_class_dice(&self) -> Vec<f64> {
        (0..self.intersection.len())
            .map(|c| 2.0 * self.intersection[c] / (self.predicted[c] + self.truth[c]))
            .collect()
    }

    /// Mean IoU over the classes present in prediction or target, from class `first_class` on
    /// (1 leaves out the background).
    pub fn mean_iou(&self, first_class: usize) -> f64 {
        let defined: Vec<f64> = self
            .per_class_iou()
            .into_iter()
            .skip(first_class)
            .filter(|v| !v.is_nan())
            .collect();
        defined.iter().sum::<f64>() / defined.len() as f64
    }
}

/// Epoch-level state of the segmentation metrics: counts summed over the batches, so that the
/// running value is the metric of all pixels seen (not a mean of batch values).
#[derive(Debug, Clone, Default)]
struct CountsState {
    epoch: SegmentationCounts,
    batch: SegmentationCounts,
    items: usize,
}

impl CountsState {
    fn update(&mut self, input: &SegmentationInput) {
        self.batch = SegmentationCounts::of(input);
        self.epoch.add(&self.batch);
        self.items += input.targets.dims()[0];
    }

    fn entry(&self, value: impl Fn(&SegmentationCounts) -> f64, final_entry: bool) -> SerializedEntry {
        let current = 100.0 * value(&self.batch);
        let running = 100.0 * value(&self.epoch);
        let serialized = if final_entry {
            NumericEntry::Final(running).serialize()
        } else {
            NumericEntry::Aggregated {
                aggregated_value: current,
                count: self.batch_items(),
            }
            .serialize()
        };
        SerializedEntry::new(
            format!(
                "epoch {} % - batch {} %",
                format_float(running, 2),
                format_float(current, 2)
            ),
            serialized,
        )
    }

    fn batch_items(&self) -> usize {
        self.batch.pixels as usize
    }
}

macro_rules! counts_metric {
    ($(#[$meta:meta])* $metric:ident, $label:literal, |$counts:ident, $metric_self:ident| $value:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $metric {
            name: MetricName,
            state: CountsState,
            first_class: usize,
        }

        impl Default for $metric {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $metric {
            /// The metric over every pixel / class, background (class 0) included.
            pub fn new() -> Self {
                Self {
                    name: MetricName::new($label.to_string()),
                    state: CountsState::default(),
                    first_class: 0,
                }
            }

            /// `false` leaves class 0 (the background) out: of the classes averaged (IoU), of
            /// the pixels counted (accuracy over the foreground pixels).
            pub fn with_background(mut self, include: bool) -> Self {
                self.first_class = if include { 0 } else { 1 };
                self
            }

            fn measure(&self, $counts: &SegmentationCounts) -> f64 {
                let $metric_self = self;
                $value
            }
        }

        impl Metric for $metric {
            type Input = SegmentationInput;

            fn name(&self) -> MetricName {
                self.name.clone()
            }

            fn update(
                &mut self,
                input: &SegmentationInput,
                _metadata: &MetricMetadata,
            ) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
                self.state.update(input);
                Ok(self.state.entry(|c| self.measure(c), false))
            }

            fn compute(&mut self) -> Result<SerializedEntry, burn::tensor::TensorReadError> {
                Ok(self.state.entry(|c| self.measure(c), true))
            }

            fn clear(&mut self) {
                self.state = CountsState::default();
            }

            fn attributes(&self) -> MetricAttributes {
                NumericAttributes {
                    unit: Some("%".to_string()),
                    higher_is_better: true,
                }
                .into()
            }
        }

        impl Numeric for $metric {
            fn value(&self) -> Option<NumericEntry> {
                Some(NumericEntry::Aggregated {
                    aggregated_value: 100.0 * self.measure(&self.state.batch),
                    count: self.state.batch_items(),
                })
            }

            fn running_value(&self) -> Option<NumericEntry> {
                Some(NumericEntry::Aggregated {
                    aggregated_value: 100.0 * self.measure(&self.state.epoch),
                    count: self.state.items,
                })
            }

            fn final_value(&self) -> NumericEntry {
                NumericEntry::Final(100.0 * self.measure(&self.state.epoch))
            }
        }
    };
}

counts_metric!(
    /// Per-pixel accuracy (%) over the epoch's pixels (burn `Metric`, input [`SegmentationInput`]);
    /// `with_background(false)`: over the foreground pixels only.
    PixelAccuracyMetric, "Pixel Accuracy", |counts, metric| counts.pixel_accuracy_from(metric.first_class)
);

counts_metric!(
    /// Mean IoU (%) over the classes present, from the epoch's summed pixel counts (burn
    /// `Metric`, input [`SegmentationInput`]); `with_background(false)` leaves class 0 out.
    MeanIouMetric, "Mean IoU", |counts, metric| counts.mean_iou(metric.first_class)
);
